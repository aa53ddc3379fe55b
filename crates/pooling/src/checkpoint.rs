//! Saving and loading a trained [`ConvNet`] as JSON: the configuration and
//! every parameter matrix under its dotted name (`conv1.w.0`, `fc2.b`),
//! written through the `Params` trait, so the file lists exactly what the
//! optimizer updated.
//!
//! Book: *Pooling and a whole ConvNet → Training on the digits*.

use crate::convnet::{ConvNet, ConvNetConfig};
use foundations::{DMatrix, Error, Params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One matrix: its shape and its entries in column-major order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedMatrix {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// `rows·cols` entries, column by column.
    pub data: Vec<f64>,
}

/// The file: the configuration and every parameter by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The sizes of the network.
    pub config: ConvNetConfig,
    /// Every parameter matrix by its dotted name.
    pub params: BTreeMap<String, SavedMatrix>,
}

impl Checkpoint {
    /// The checkpoint of `net`.
    pub fn of(net: &ConvNet) -> Self {
        let mut params = BTreeMap::new();
        net.params().visit(&mut |name, m| {
            let saved = SavedMatrix {
                rows: m.nrows(),
                cols: m.ncols(),
                data: m.as_slice().to_vec(),
            };
            params.insert(name.to_string(), saved);
        });
        Checkpoint {
            config: net.config(),
            params,
        }
    }

    /// The network it describes.
    ///
    /// # Errors
    /// [`Error::Config`] for a configuration that cannot be built;
    /// [`Error::Data`] naming a parameter that is missing, of the wrong
    /// shape, or unknown to the network.
    pub fn to_net(&self) -> Result<ConvNet, Error> {
        let mut net = ConvNet::new(self.config, &mut foundations::rng(0))?;
        let mut params = net.params();
        let mut problem = None;
        let mut seen = 0;
        params.visit_mut(&mut |name, m| {
            match self.params.get(name) {
                Some(s)
                    if (s.rows, s.cols) == m.shape()
                        && s.data.len() == s.rows * s.cols =>
                {
                    *m = DMatrix::from_column_slice(s.rows, s.cols, &s.data);
                    seen += 1;
                }
                Some(s) => {
                    problem.get_or_insert(format!(
                        "parameter {name} is {}x{} with {} entries, expected \
                         {}x{}",
                        s.rows,
                        s.cols,
                        s.data.len(),
                        m.nrows(),
                        m.ncols()
                    ));
                }
                None => {
                    problem
                        .get_or_insert(format!("parameter {name} is missing"));
                }
            };
        });
        if problem.is_none() && seen != self.params.len() {
            problem = Some(format!(
                "{} parameters in the file, the network has {seen}",
                self.params.len()
            ));
        }
        if let Some(p) = problem {
            return Err(Error::Data(format!("checkpoint: {p}")));
        }
        net.set_params(params);
        Ok(net)
    }
}

impl ConvNet {
    /// Writes the network as JSON to `path`.
    ///
    /// # Errors
    /// [`Error::Data`] when the file cannot be written.
    pub fn save_json(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string(&Checkpoint::of(self))
            .map_err(|e| Error::Data(format!("checkpoint: {e}")))?;
        std::fs::write(path, text).map_err(|e| {
            Error::Data(format!("checkpoint: {}: {e}", path.display()))
        })
    }

    /// Reads a network written by [`ConvNet::save_json`].
    ///
    /// # Errors
    /// [`Error::Data`] when the file cannot be read or parsed or does not
    /// fit its configuration; [`Error::Config`] for a configuration that
    /// cannot be built.
    pub fn load_json(path: &Path) -> Result<ConvNet, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Data(format!("checkpoint: {}: {e}", path.display()))
        })?;
        let c: Checkpoint = serde_json::from_str(&text)
            .map_err(|e| Error::Data(format!("checkpoint: {e}")))?;
        c.to_net()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::to_volumes;

    #[test]
    fn save_then_load_gives_the_same_scores() {
        let net =
            ConvNet::new(ConvNetConfig::default(), &mut foundations::rng(3))
                .unwrap();
        let path = std::env::temp_dir().join("pooling-checkpoint-test.json");
        net.save_json(&path).unwrap();
        let back = ConvNet::load_json(&path).unwrap();
        let digits = datasets::Digits::load().unwrap();
        let (x, _) = to_volumes(&digits.images[..5]);
        assert_eq!(net.scores(&x), back.scores(&x));
        assert_eq!(back.config(), net.config());
    }

    #[test]
    fn a_wrong_shape_or_missing_parameter_is_named() {
        let net =
            ConvNet::new(ConvNetConfig::default(), &mut foundations::rng(3))
                .unwrap();
        let mut c = Checkpoint::of(&net);
        c.params.get_mut("fc2.b").unwrap().rows = 3;
        let e = c.to_net().unwrap_err().to_string();
        assert!(e.contains("parameter fc2.b is 3x1"), "{e}");
        let mut c = Checkpoint::of(&net);
        c.params.remove("conv1.w.0");
        let e = c.to_net().unwrap_err().to_string();
        assert!(e.contains("parameter conv1.w.0 is missing"), "{e}");
    }
}
