//! What can be wrong with a checkpoint file, each case named with what was
//! found and what was expected.

use std::path::PathBuf;

/// A checkpoint that cannot be written, read or loaded into a model.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file cannot be read or written.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file ends before the header or the tensors it announces.
    #[error(
        "checkpoint: the file is truncated: {len} bytes, its header \
         announces {expected}"
    )]
    Truncated {
        /// The file's length in bytes.
        len: usize,
        /// The length its header announces.
        expected: usize,
    },
    /// Not a safetensors file (a header that is not JSON, offsets that do
    /// not tile the data, …).
    #[error("checkpoint: not a safetensors file: {0}")]
    Format(#[from] safetensors::SafeTensorError),
    /// A tensor stored in another type than float64.
    #[error("checkpoint: tensor {name} is {dtype}, expected F64 (float64)")]
    Dtype {
        /// The tensor's name.
        name: String,
        /// Its type in the file.
        dtype: String,
    },
    /// A tensor whose shape is not the model's.
    #[error(
        "checkpoint: tensor {name} has shape {file:?}, the model's is {model:?}"
    )]
    Shape {
        /// The parameter's dotted name.
        name: String,
        /// Its shape in the file.
        file: Vec<usize>,
        /// Its shape in the model.
        model: Vec<usize>,
    },
    /// A parameter of the model that the file does not hold.
    #[error("checkpoint: tensor {name} is missing (the model has it)")]
    Missing {
        /// The parameter's dotted name.
        name: String,
    },
    /// A tensor in the file that the model does not have.
    #[error("checkpoint: tensor {name} is not a parameter of the model")]
    Extra {
        /// The tensor's name.
        name: String,
    },
    /// A file of another kind of model.
    #[error(
        "checkpoint: the file holds a {file:?} model, expected {expected:?}"
    )]
    Kind {
        /// The kind written in the file.
        file: String,
        /// The kind asked for.
        expected: String,
    },
    /// The file's configuration differs from the model's.
    #[error(
        "checkpoint: configuration {key} is {file} in the file, {model} in \
         the model"
    )]
    Config {
        /// The configuration field.
        key: String,
        /// Its value in the file (JSON).
        file: String,
        /// Its value in the model (JSON).
        model: String,
    },
    /// Metadata that is missing or cannot be parsed.
    #[error("checkpoint: metadata: {0}")]
    Metadata(String),
    /// The configuration cannot build a model.
    #[error("checkpoint: {0}")]
    Model(#[from] foundations::Error),
}
