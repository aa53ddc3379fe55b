//! One checkpoint file: float64 tensors by name and the metadata
//! `format`, `kind` and `config` (the model's configuration as JSON).
//!
//! A parameter matrix `rows x cols` is stored with shape `[rows, cols]` in
//! row-major order, as safetensors (and NumPy, and PyTorch) expect, so
//! `torch.load`-ing a file gives each matrix as the course writes it.

use crate::error::CheckpointError;
use foundations::{DMatrix, Params};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The `format` written in every file of this crate.
pub const FORMAT: &str = "backprop-by-hand";

/// One tensor: its shape and its entries in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The sizes, outermost first (`[rows, cols]` for a matrix).
    pub shape: Vec<usize>,
    /// `∏ shape` entries, the last index fastest.
    pub data: Vec<f64>,
}

impl Tensor {
    // ANCHOR: from_matrix
    /// The matrix `m` as a `[rows, cols]` tensor.
    pub fn from_matrix(m: &DMatrix<f64>) -> Self {
        Tensor {
            shape: vec![m.nrows(), m.ncols()],
            data: m.transpose().as_slice().to_vec(),
        }
    }
    // ANCHOR_END: from_matrix

    /// A `[rows, cols]` tensor as a matrix; `None` for another rank.
    pub fn to_matrix(&self) -> Option<DMatrix<f64>> {
        match self.shape[..] {
            [r, c] => Some(DMatrix::from_row_slice(r, c, &self.data)),
            _ => None,
        }
    }

    /// A vector (`[n]`) from an `n x 1` or `1 x n` matrix.
    pub fn vector(m: &DMatrix<f64>) -> Self {
        Tensor {
            shape: vec![m.len()],
            data: m.as_slice().to_vec(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.data.iter().flat_map(|x| x.to_le_bytes()).collect()
    }
}

/// A model's kind, configuration and named tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// What model the tensors belong to (`"gpt"`, `"char-lstm"`, …).
    pub kind: String,
    /// The model's configuration, a JSON object.
    pub config: Map<String, Value>,
    /// Every tensor by name.
    pub tensors: BTreeMap<String, Tensor>,
}

fn to_object<C: Serialize>(config: &C) -> Map<String, Value> {
    match serde_json::to_value(config) {
        Ok(Value::Object(m)) => m,
        other => panic!(
            "Checkpoint: a configuration must serialise to a JSON object, \
             got {other:?}"
        ),
    }
}

impl Checkpoint {
    /// A checkpoint with no tensors yet.
    ///
    /// # Panics
    /// When `config` does not serialise to a JSON object (a struct).
    pub fn new<C: Serialize>(kind: &str, config: &C) -> Self {
        Checkpoint {
            kind: kind.to_string(),
            config: to_object(config),
            tensors: BTreeMap::new(),
        }
    }

    /// Every parameter of `params` under its dotted name (`Params::visit`).
    ///
    /// # Panics
    /// As [`Checkpoint::new`].
    pub fn of<C: Serialize, P: Params + ?Sized>(
        kind: &str,
        config: &C,
        params: &P,
    ) -> Self {
        let mut ck = Checkpoint::new(kind, config);
        params.visit(&mut |name, m| {
            ck.tensors.insert(name.to_string(), Tensor::from_matrix(m));
        });
        ck
    }

    /// The safetensors bytes: the metadata `format`, `kind` and `config`,
    /// then every tensor as float64.
    pub fn to_bytes(&self) -> Vec<u8> {
        let bytes: Vec<(String, Vec<u8>)> = self
            .tensors
            .iter()
            .map(|(n, t)| (n.clone(), t.bytes()))
            .collect();
        let views =
            bytes.iter().zip(self.tensors.values()).map(|((n, b), t)| {
                let view = TensorView::new(Dtype::F64, t.shape.clone(), b)
                    .expect("Checkpoint::to_bytes: data must fill its shape");
                (n.clone(), view)
            });
        let meta = [
            ("format".to_string(), FORMAT.to_string()),
            ("kind".to_string(), self.kind.clone()),
            (
                "config".to_string(),
                Value::Object(self.config.clone()).to_string(),
            ),
        ];
        safetensors::serialize(views, Some(meta.into_iter().collect()))
            .expect("Checkpoint::to_bytes: float64 tensors always serialise")
    }

    /// Reads the bytes of a safetensors file.
    ///
    /// # Errors
    /// [`CheckpointError::Truncated`] for a file shorter than its header
    /// says, [`CheckpointError::Format`] for one that is not safetensors,
    /// [`CheckpointError::Dtype`] for a tensor that is not float64,
    /// [`CheckpointError::Metadata`] when `kind` or `config` is missing.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        check_length(bytes)?;
        let (_, header) = SafeTensors::read_metadata(bytes)?;
        let file = SafeTensors::deserialize(bytes)?;
        let meta = |key: &str| {
            header
                .metadata()
                .as_ref()
                .and_then(|m| m.get(key).cloned())
                .ok_or_else(|| CheckpointError::Metadata(format!("no {key:?}")))
        };
        let kind = meta("kind")?;
        let config = match serde_json::from_str(&meta("config")?) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(CheckpointError::Metadata(
                    "\"config\" is not a JSON object".into(),
                ));
            }
        };
        let mut tensors = BTreeMap::new();
        for (name, view) in file.tensors() {
            if view.dtype() != Dtype::F64 {
                let dtype = format!("{:?}", view.dtype());
                return Err(CheckpointError::Dtype { name, dtype });
            }
            let data = view
                .data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect();
            let shape = view.shape().to_vec();
            tensors.insert(name, Tensor { shape, data });
        }
        Ok(Checkpoint {
            kind,
            config,
            tensors,
        })
    }

    /// Writes the file.
    ///
    /// # Errors
    /// [`CheckpointError::Io`] when it cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| {
            CheckpointError::Io {
                path: path.to_path_buf(),
                source,
            }
        })
    }

    /// Reads a file.
    ///
    /// # Errors
    /// [`CheckpointError::Io`], and as [`Checkpoint::from_bytes`].
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let bytes =
            std::fs::read(path).map_err(|source| CheckpointError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Self::from_bytes(&bytes)
    }

    /// Checks the kind of model.
    ///
    /// # Errors
    /// [`CheckpointError::Kind`] when it is not `kind`.
    pub fn expect_kind(&self, kind: &str) -> Result<(), CheckpointError> {
        if self.kind == kind {
            return Ok(());
        }
        Err(CheckpointError::Kind {
            file: self.kind.clone(),
            expected: kind.to_string(),
        })
    }

    /// The configuration, parsed.
    ///
    /// # Errors
    /// [`CheckpointError::Metadata`] when it does not parse as `C`.
    pub fn config<C: DeserializeOwned>(&self) -> Result<C, CheckpointError> {
        serde_json::from_value(Value::Object(self.config.clone()))
            .map_err(|e| CheckpointError::Metadata(format!("config: {e}")))
    }

    /// Checks that the file's configuration is `config`, field by field.
    ///
    /// # Errors
    /// [`CheckpointError::Config`] naming the first field that differs (or
    /// is present on one side only).
    pub fn expect_config<C: Serialize>(
        &self,
        config: &C,
    ) -> Result<(), CheckpointError> {
        let model = to_object(config);
        let keys: std::collections::BTreeSet<&String> =
            model.keys().chain(self.config.keys()).collect();
        let show =
            |v: Option<&Value>| v.map_or("absent".into(), Value::to_string);
        for key in keys {
            let (f, m) = (self.config.get(key), model.get(key));
            if f != m {
                return Err(CheckpointError::Config {
                    key: key.clone(),
                    file: show(f),
                    model: show(m),
                });
            }
        }
        Ok(())
    }

    /// Copies every tensor into the parameter of the same name.
    ///
    /// # Errors
    /// [`CheckpointError::Missing`], [`CheckpointError::Shape`] (the first
    /// parameter in visiting order that is wrong), then
    /// [`CheckpointError::Extra`] for a tensor the model does not have.
    pub fn load_into<P: Params + ?Sized>(
        &self,
        params: &mut P,
    ) -> Result<(), CheckpointError> {
        let mut problem = None;
        let mut seen = std::collections::BTreeSet::new();
        params.visit_mut(&mut |name, m| {
            if problem.is_some() {
                return;
            }
            let Some(t) = self.tensors.get(name) else {
                problem = Some(CheckpointError::Missing { name: name.into() });
                return;
            };
            match t.to_matrix() {
                Some(saved) if saved.shape() == m.shape() => *m = saved,
                _ => {
                    problem = Some(CheckpointError::Shape {
                        name: name.into(),
                        file: t.shape.clone(),
                        model: vec![m.nrows(), m.ncols()],
                    })
                }
            }
            seen.insert(name.to_string());
        });
        if let Some(p) = problem {
            return Err(p);
        }
        match self.tensors.keys().find(|n| !seen.contains(*n)) {
            Some(name) => Err(CheckpointError::Extra { name: name.clone() }),
            None => Ok(()),
        }
    }
}

/// A file shorter than its header announces is *truncated* (the usual
/// failure of a copy or a download), named as such rather than as a format
/// error.
fn check_length(bytes: &[u8]) -> Result<(), CheckpointError> {
    let len = bytes.len();
    let Some(n) = bytes.get(..8) else {
        return Err(CheckpointError::Truncated { len, expected: 8 });
    };
    let n = u64::from_le_bytes(n.try_into().expect("8 bytes")) as usize;
    let Some(header) = bytes.get(8..8usize.saturating_add(n)) else {
        let expected = 8usize.saturating_add(n);
        return Err(CheckpointError::Truncated { len, expected });
    };
    // the data ends at the largest end offset of any tensor
    let end = serde_json::from_slice::<Map<String, Value>>(header)
        .ok()
        .map(|h| {
            h.values()
                .filter_map(|t| t.get("data_offsets")?.get(1)?.as_u64())
                .max()
                .unwrap_or(0) as usize
        })
        .unwrap_or(0);
    let expected = 8 + n + end;
    if len < expected {
        return Err(CheckpointError::Truncated { len, expected });
    }
    Ok(())
}

/// Writes `params` with its `kind` and `config` to `path`.
///
/// # Errors
/// [`CheckpointError::Io`] when the file cannot be written.
pub fn save<C: Serialize, P: Params + ?Sized>(
    path: &Path,
    kind: &str,
    config: &C,
    params: &P,
) -> Result<(), CheckpointError> {
    Checkpoint::of(kind, config, params).save(path)
}

/// Reads a model of `kind` from `path`: parses its configuration, builds
/// the model with `build` (any weights), checks that the built model's
/// configuration (`config_of`) is the file's, and copies the tensors in.
///
/// # Errors
/// As [`Checkpoint::load`], [`Checkpoint::expect_kind`],
/// [`Checkpoint::expect_config`] and [`Checkpoint::load_into`], and
/// [`CheckpointError::Model`] when `build` fails.
pub fn load<C, M, F>(
    path: &Path,
    kind: &str,
    build: F,
) -> Result<(C, M), CheckpointError>
where
    C: Serialize + DeserializeOwned,
    M: Params,
    F: FnOnce(&C) -> Result<M, foundations::Error>,
{
    let ck = Checkpoint::load(path)?;
    ck.expect_kind(kind)?;
    let config: C = ck.config()?;
    ck.expect_config(&config)?;
    let mut model = build(&config)?;
    ck.load_into(&mut model)?;
    Ok((config, model))
}
