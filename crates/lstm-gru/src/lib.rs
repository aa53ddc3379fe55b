//! # lstm-gru — LSTM and GRU cells by hand
//!
//! Letters (from the lecture): `T` time steps, `n` hidden size, `D` input
//! size, `V` vocabulary, `B` batch (columns), `L` layers of a stack. Gates
//! of the LSTM: `i` input, `f` forget, `o` output, `g` new content; its
//! state is `h` (hidden) and `c` (cell). Gates of the GRU: `r` reset, `z`
//! update; candidate `h̃`.
//!
//! ## One type per cell, two forms
//!
//! [`Lstm`] and [`Gru`] each hold one cell's parameters (a second value of
//! the same type holds their gradients) and have two forms:
//!
//! * the **reference**, the slide's equations line by line:
//!   `step_forward_reference(&prev, &x)`, `step_backward_reference(&cache,
//!   &d_next) -> (grads, d_prev, d_x)`, and for the LSTM the sequence
//!   `forward_reference` / `backward_reference` (through time). These are
//!   the exercises; nothing outside this crate's tests runs them.
//!   [`Mut1`], [`Mut2`], [`Mut3`] are Jozefowicz et al.'s variants, with a
//!   single form (`step_forward`, `step_backward`), whose step backward
//!   passes are optional challenge exercises.
//! * the **engine**: the same cells implementing
//!   [`vanilla_rnn_bptt::RecurrentCell`] (in [`lstm_engine`],
//!   [`gru_engine`]), so the generic sequence forward, BPTT, truncated
//!   BPTT, training loop ([`vanilla_rnn_bptt::CharTrainer`]) and sampling
//!   run them. Tested equal to the reference. Later crates use these.
//! * [`Stack`] puts any engine cell in layers and is a `RecurrentCell`
//!   itself. Its step forward is given; its step backward is the exercise
//!   `stacked-backward`, so in the student edition anything that runs BPTT
//!   through a stack waits for that exercise.
//!
//! ## Using the engine (the API later crates rely on)
//!
//! * `Lstm::new(input_size, hidden_size, &mut rng)`; state
//!   [`LstmState`] `{ h, c }` (`n x B` each), state gradient
//!   [`LstmStateGrads`] `{ d_h, d_c }`. Parameters `w` (`4n x (n + D)`,
//!   gate rows i, f, o, g, columns `[h; x]`) and `b` (`4n x 1`).
//! * `Gru::new(input_size, hidden_size, &mut rng)`; state and state
//!   gradient are plain `n x B` matrices. Parameters named as on the slide:
//!   `w_xr`, `w_xz`, `w_xh` (`n x D`), `w_hr`, `w_hz`, `w_hh` (`n x n`),
//!   `b_r`, `b_z`, `b_h` (`n x 1`).
//! * `Stack::new(vec![cell0, cell1, …])?`: any depth of any one cell type;
//!   its state is a `Vec` of the cells' states, bottom first.
//! * Through the trait: `cell.step_forward(&state, &x) -> (state, cache)`
//!   with `x` `D x B`; `cell.step_backward(&cache, &d_state) ->
//!   (grads, d_prev_state, d_x)`; `C::hidden(&state)` is the `h` to read;
//!   `cell.zero_state(B)`. One-hot columns of `x` are detected and cost a
//!   column lookup instead of a product.
//!
//! * [`FastLstmTrainer`] / [`FastLstm`]: the LSTM character model on a
//!   fast path (preallocated buffers, chunk-level products), tested equal to
//!   `CharTrainer<Lstm>`; `examples/lstm_speed.rs` compares it with the
//!   numpy reference in `benches/lstm_numpy.py`.
//!
//! ```
//! use foundations::{Mat, rng};
//! use lstm_gru::{Lstm, Stack};
//! use vanilla_rnn_bptt::RecurrentCell;
//!
//! let mut r = rng(0);
//! let stack = Stack::new(vec![
//!     Lstm::new(3, 5, &mut r).unwrap(),
//!     Lstm::new(5, 5, &mut r).unwrap(),
//! ])
//! .unwrap();
//! let x = Mat::from_element(3, 2, 0.5); // D = 3, B = 2
//! let (state, _cache) = stack.step_forward(&stack.zero_state(2), &x);
//! assert_eq!(<Stack<Lstm>>::hidden(&state).shape(), (5, 2));
//! // stack.step_backward(&_cache, &stack.zero_state_grad(2)) is the
//! // exercise stacked-backward: (grads, d_prev, d_x), d_x of shape 3 x 2.
//! ```
//!
//! Book: `lstm-gru/index.md#the-letters`.

pub mod fast_lstm;
pub mod gru;
pub mod gru_engine;
pub mod lstm;
pub mod lstm_engine;
pub mod mut1;
pub mod mut2;
pub mod mut3;
pub mod mut_shared;
pub mod stack;

pub use fast_lstm::{FastLstm, FastLstmTrainer};
pub use gru::{Gru, GruStepCache};
pub use gru_engine::GruEngineCache;
pub use lstm::{Lstm, LstmCache, LstmState, LstmStateGrads, LstmStepCache};
pub use lstm_engine::{EngineInput, LstmEngineCache};
pub use mut_shared::MutCache;
pub use mut1::Mut1;
pub use mut2::Mut2;
pub use mut3::Mut3;
pub use stack::{Stack, StackCache};
