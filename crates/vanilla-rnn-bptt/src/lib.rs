//! # vanilla-rnn-bptt — recurrent networks and backpropagation through time
//!
//! Letters of the RNN lecture: `T` steps, `n` hidden size, `V` vocabulary
//! (`K` outputs in general, `D` input rows), `B` batch (columns). At step
//! `t` the BPTT slides compute
//!
//! ```text
//! a(t) = W h(t−1) + U x(t) + b      W: n x n, U: n x D, b: n x 1
//! h(t) = tanh(a(t))
//! o(t) = V h(t) + c                 V: K x n, c: K x 1
//! ŷ(t) = softmax(o(t)),  L = Σ_t L(t) = −Σ_t log ŷ(t)[y(t)]
//! ```
//!
//! (`W_hh`, `W_xh`, `W_hy` in the other lecture's names.)
//!
//! * [`cell`]: the [`RecurrentCell`] trait — a state, a state gradient, one
//!   step forward and backward. Everything else is generic over it:
//!   [`bptt`] (sequence forward, BPTT, truncated BPTT), [`train`] (the
//!   training loop), [`sample`] (sampling with temperature: the exercise
//!   `rnn-sample`, the one sampler of the course).
//! * [`rnn`]: the slides' RNN ([`Rnn`]: `w`, `u`, `v`, `b`, `c`) with BPTT
//!   line by line — the reference and the other exercises.
//! * [`rnn_cell`]: the vanilla cell as an engine, [`RnnCell`].
//! * [`relu_cell`]: the same cell with a ReLU, [`ReluRnnCell`] (the IRNN
//!   with `W = I`), for the gradient-flow experiment.
//! * [`output`]: the output layer [`Output`] and [`RecurrentModel`].
//! * [`fast`]: the char model's fast path (one-hot columns, no allocation
//!   in the inner loop), tested equal to the engine.
//! * [`loss`]: many-to-many, many-to-one, one-to-many; sum, `1/(nT)`, `1/n`.
//!
//! Book: `vanilla-rnn-bptt/index.md#the-letters`.

pub mod bptt;
pub mod cell;
pub mod fast;
pub mod loss;
pub mod output;
pub mod relu_cell;
pub mod rnn;
pub mod rnn_cell;
pub mod sample;
pub mod train;

pub use bptt::{
    Bptt, SequenceCache, bptt, sequence_backward, sequence_forward,
    truncated_bptt,
};
pub use cell::{RecurrentCell, check_sizes};
pub use fast::{FastBptt, FastTrainer};
pub use loss::{
    LossScale, Targets, one_to_many_inputs, sequence_loss, sequence_loss_by,
};
pub use output::{Output, OutputCache, RecurrentModel};
pub use relu_cell::{ReluRnnCell, ReluRnnCellCache};
pub use rnn::{Rnn, RnnCache, RnnStepCache};
pub use rnn_cell::{RnnCell, RnnCellCache};
pub use sample::{draw, sample};
pub use train::{
    CharTrainer, Chunks, Clip, TrainConfig, evaluate, one_hot_inputs,
    train_step,
};
