//! The 8x8 handwritten digits: 1,797 images, pixels 0..16, ten classes.

use crate::DataError;
use flate2::read::GzDecoder;
use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use std::io::Read;

/// One image: 8x8 pixels scaled to [0, 1] (row-major) and its class.
#[derive(Debug, Clone, PartialEq)]
pub struct Digit {
    /// 8 x 8 pixel intensities in [0, 1] (the raw 0..16 divided by 16).
    pub pixels: DMatrix<f64>,
    /// The class 0..9.
    pub label: usize,
}

/// The whole data set, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    /// Every image.
    pub images: Vec<Digit>,
}

const GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

impl Digits {
    /// Loads the bundled file.
    ///
    /// # Errors
    /// When the bundled file is unreadable (it never is, unless it was
    /// edited).
    pub fn load() -> Result<Self, DataError> {
        Self::from_gz(GZ)
    }

    /// Parses gzip-compressed CSV rows of 64 pixels and a label.
    ///
    /// # Errors
    /// [`DataError::Unreadable`] naming the line that is wrong.
    pub fn from_gz(bytes: &[u8]) -> Result<Self, DataError> {
        let mut text = String::new();
        GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .map_err(|e| {
                DataError::Unreadable(format!("digits.csv.gz: {e}"))
            })?;
        let images = text
            .lines()
            .enumerate()
            .map(|(i, line)| {
                parse_row(line).map_err(|e| {
                    DataError::Unreadable(format!("digits line {}: {e}", i + 1))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if images.is_empty() {
            return Err(DataError::Unreadable("digits: no rows".into()));
        }
        Ok(Digits { images })
    }

    /// A deterministic shuffle with `seed`, then the first
    /// `⌊train_fraction · n⌋` images train and the rest test.
    pub fn split(
        &self,
        train_fraction: f64,
        seed: u64,
    ) -> (Vec<Digit>, Vec<Digit>) {
        let mut order: Vec<usize> = (0..self.images.len()).collect();
        order.shuffle(&mut crate::seeded(seed));
        let k = (self.images.len() as f64 * train_fraction.clamp(0.0, 1.0))
            as usize;
        let pick = |ids: &[usize]| {
            ids.iter().map(|&i| self.images[i].clone()).collect()
        };
        (pick(&order[..k]), pick(&order[k..]))
    }
}

fn parse_row(line: &str) -> Result<Digit, String> {
    let values: Vec<f64> = line
        .split(',')
        .map(|v| v.trim().parse::<f64>().map_err(|e| format!("{v:?}: {e}")))
        .collect::<Result<_, _>>()?;
    if values.len() != 65 {
        return Err(format!("{} values, expected 65", values.len()));
    }
    let label = values[64];
    if !(0.0..=9.0).contains(&label) || label.fract() != 0.0 {
        return Err(format!("label {label} is not a digit"));
    }
    Ok(Digit {
        pixels: DMatrix::from_row_slice(8, 8, &values[..64]) / 16.0,
        label: label as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_1797_images_of_ten_classes() {
        let d = Digits::load().unwrap();
        assert_eq!(d.images.len(), 1797);
        let mut counts = [0usize; 10];
        for im in &d.images {
            counts[im.label] += 1;
            assert!(im.pixels.iter().all(|p| (0.0..=1.0).contains(p)));
        }
        assert!(counts.iter().all(|&c| c > 170), "{counts:?}");
        // The first image is a zero, as in scikit-learn.
        assert_eq!(d.images[0].label, 0);
        assert_eq!(d.images[0].pixels[(0, 2)], 5.0 / 16.0);
    }

    #[test]
    fn split_is_deterministic_and_disjoint() {
        let d = Digits::load().unwrap();
        let (a, b) = d.split(0.8, 7);
        let (a2, _) = d.split(0.8, 7);
        assert_eq!(a.len() + b.len(), 1797);
        assert_eq!(a, a2);
        assert_ne!(a[0], d.split(0.8, 8).0[0]);
    }

    #[test]
    fn unreadable_data_names_the_line() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(b"1,2,3\n").unwrap();
        let err = Digits::from_gz(&e.finish().unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("line 1: 3 values, expected 65"),
            "{err}"
        );
        assert!(Digits::from_gz(b"not gzip").is_err());
    }
}
