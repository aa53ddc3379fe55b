//! Saving and loading a model's weights as JSON, for any [`Params`] value:
//! every named matrix with its shape and its entries (column-major), plus
//! the vocabulary and the kind of cell, so a saved char model can be
//! sampled later.
//!
//! Book: *Recurrent networks and BPTT → A character-level language model*.

use foundations::{Error, Params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One matrix: its shape and entries in column-major order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMatrix {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// `rows·cols` entries, column after column.
    pub data: Vec<f64>,
}

/// A saved char model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The kind of cell (`"rnn"`, `"lstm"`, …), checked when loading.
    pub kind: String,
    /// The vocabulary, by id.
    pub vocab: Vec<char>,
    /// `n`, the hidden size.
    pub hidden_size: usize,
    /// Every parameter matrix by its dotted name.
    pub params: BTreeMap<String, StoredMatrix>,
}

impl Checkpoint {
    /// The weights of `params` with their vocabulary and kind.
    pub fn new<P: Params>(
        kind: &str,
        vocab: &[char],
        hidden_size: usize,
        params: &P,
    ) -> Self {
        let mut stored = BTreeMap::new();
        params.visit(&mut |name, m| {
            stored.insert(
                name.to_string(),
                StoredMatrix {
                    rows: m.nrows(),
                    cols: m.ncols(),
                    data: m.as_slice().to_vec(),
                },
            );
        });
        Checkpoint {
            kind: kind.to_string(),
            vocab: vocab.to_vec(),
            hidden_size,
            params: stored,
        }
    }

    /// Copies the saved weights into `params` (built with the same kind,
    /// vocabulary and hidden size).
    ///
    /// # Errors
    /// [`Error::Data`] when a parameter is missing or has another shape.
    pub fn load_into<P: Params>(&self, params: &mut P) -> Result<(), Error> {
        let mut problem = None;
        params.visit_mut(&mut |name, m| {
            if problem.is_some() {
                return;
            }
            match self.params.get(name) {
                None => problem = Some(format!("no parameter named {name:?}")),
                Some(s)
                    if (s.rows, s.cols) != m.shape()
                        || s.data.len() != s.rows * s.cols =>
                {
                    problem = Some(format!(
                        "{name} is saved as {}x{}, the model has {}x{}",
                        s.rows,
                        s.cols,
                        m.nrows(),
                        m.ncols()
                    ))
                }
                Some(s) => m.as_mut_slice().copy_from_slice(&s.data),
            }
        });
        match problem {
            Some(p) => Err(Error::Data(format!("checkpoint: {p}"))),
            None => Ok(()),
        }
    }

    /// The checkpoint as JSON text.
    ///
    /// # Panics
    /// Never for finite weights (JSON has no NaN).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("checkpoint: weights must be finite")
    }

    /// A checkpoint from JSON text.
    ///
    /// # Errors
    /// [`Error::Data`] when the text is not a checkpoint.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text)
            .map_err(|e| Error::Data(format!("checkpoint: not readable: {e}")))
    }

    /// Writes the JSON to `path`.
    ///
    /// # Errors
    /// [`Error::Data`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, self.to_json()).map_err(|e| {
            Error::Data(format!("checkpoint: cannot write {path:?}: {e}"))
        })
    }

    /// Reads a checkpoint from `path`.
    ///
    /// # Errors
    /// [`Error::Data`] when the file cannot be read or parsed.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Data(format!("checkpoint: cannot read {path:?}: {e}"))
        })?;
        Self::from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rnn;
    use foundations::ParamsExt;

    #[test]
    fn a_model_round_trips_through_json() {
        let mut rng = foundations::rng(3);
        let model = Rnn::random(4, 3, 4, 0.5, &mut rng).unwrap().to_model();
        let ck = Checkpoint::new("rnn", &['h', 'e', 'l', 'o'], 3, &model);
        let back = Checkpoint::from_json(&ck.to_json()).unwrap();
        assert_eq!(back.vocab, ck.vocab);
        let mut other = model.zeros_like();
        back.load_into(&mut other).unwrap();
        for (a, b) in model.to_flat().iter().zip(other.to_flat()) {
            assert!((a - b).abs() <= 1e-15 * a.abs(), "{a} vs {b}");
        }
    }

    #[test]
    fn a_mismatched_model_is_an_error() {
        let mut rng = foundations::rng(3);
        let model = Rnn::random(4, 3, 4, 0.5, &mut rng).unwrap().to_model();
        let ck = Checkpoint::new("rnn", &['a', 'b', 'c', 'd'], 3, &model);
        let mut bigger =
            Rnn::random(4, 5, 4, 0.5, &mut rng).unwrap().to_model();
        let e = ck.load_into(&mut bigger).unwrap_err();
        assert!(e.to_string().contains("cell.w is saved as 3x3"), "{e}");
        assert!(Checkpoint::from_json("{").is_err());
    }
}
