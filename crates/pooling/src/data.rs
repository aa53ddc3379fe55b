//! The bundled 8x8 digits as volumes: each image a `1 x 8 x 8` volume.

use datasets::Digit;
use fc_and_conv::Volume;

/// The images as `1 x 8 x 8` volumes (pixels in [0, 1]) and their labels.
pub fn to_volumes(digits: &[Digit]) -> (Vec<Volume>, Vec<usize>) {
    let x = digits
        .iter()
        .map(|d| Volume::from_image(&d.pixels))
        .collect();
    let y = digits.iter().map(|d| d.label).collect();
    (x, y)
}

/// The fraction of `predicted` equal to `labels`.
///
/// # Panics
/// When the lengths differ.
pub fn accuracy(predicted: &[usize], labels: &[usize]) -> f64 {
    assert_eq!(predicted.len(), labels.len(), "accuracy: lengths differ");
    let right = predicted.iter().zip(labels).filter(|(p, y)| p == y).count();
    right as f64 / labels.len().max(1) as f64
}
