//! # checkpoint — trained models as safetensors files
//!
//! One format for every model the course saves: a
//! [safetensors](https://huggingface.co/docs/safetensors) file of float64
//! tensors, one per parameter matrix under its dotted name from
//! `Params::visit` (`cell.w`, `blocks.0.attn.w_q`, `conv1.w.0`), each
//! `rows x cols` matrix stored with shape `[rows, cols]` in row-major
//! order; the metadata holds `format`, the model's `kind` and its
//! configuration as a JSON object (`config`). Any tool that reads
//! safetensors (Python's `safetensors`, PyTorch, NumPy) opens it.
//!
//! * [`save`] / [`load`]: a model to a file and back, bit for bit; a bad
//!   file is a [`CheckpointError`] that says what is wrong (tensor shape or
//!   type, a missing or extra tensor, another kind or configuration, a
//!   truncated file).
//! * [`Checkpoint`]: the file in memory, for tools that look inside.
//! * [`torch`]: the char LSTM and the tiny GPT under PyTorch's names and
//!   layout (`weight_ih_l0`, gates reordered), and back.
//!
//! A crate of its own so that only what saves and loads compiles it: the
//! topic crates' libraries (and their graded tests) do not depend on it.
//! Book: *Appendices → Checkpoints and the export to PyTorch*.

pub mod char_model;
pub mod error;
pub mod file;
pub mod torch;

pub use char_model::CharConfig;
pub use error::CheckpointError;
pub use file::{Checkpoint, FORMAT, Tensor, load, save};
