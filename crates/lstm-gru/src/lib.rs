//! # lstm-gru — LSTM and GRU cells by hand
//!
//! Letters (from the lecture): `T` time steps, `n` hidden size, `D` input
//! size, `V` vocabulary, `B` batch (columns). Gates of the LSTM: `i` input,
//! `f` forget, `o` output, `g` new content; state `h` (hidden) and `c`
//! (cell). Gates of the GRU: `r` reset, `z` update; candidate `h̃`.
//!
//! Two forms of every cell live here:
//!
//! * the **reference** ([`Lstm`], [`Gru`]): the slide's equations line by
//!   line; their step forward/backward and the LSTM's backward through time
//!   are the exercises;
//! * the **engine**: fast versions of the same cells (added below) that the
//!   training loop, the examples and later crates use; tested equal to the
//!   reference.
//!
//! Book: *LSTM and GRU*.

pub mod gru;
pub mod lstm;
pub mod ops;

pub use gru::{Gru, GruCache, GruStepCache};
pub use lstm::{Lstm, LstmCache, LstmState, LstmStateGrads, LstmStepCache};
