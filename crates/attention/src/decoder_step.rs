//! One decoder step with attention, the **reference** form (an exercise):
//! the slide's pipeline for a single example, built on
//! [`crate::attention::attention_forward_reference`]. Its engine twin is
//! [`crate::Seq2Seq::decoder_step`], the same step on a batch.
//!
//! `s_t = f(s_{t−1}, y_{t−1})`, `e_i = s_tᵀ h_i`, `α = softmax(e)`,
//! `a_t = Σ_i α_i h_i`, `o_t = W_o [a_t; s_t] + b_o`.
//!
//! The graded tests check that both agree.
//! Book: `attention/seq2seq.md#one-decoder-step`.

use crate::attention::{Scoring, attention_forward_reference};
use foundations::Mat;
use foundations::ops::stack_rows;
use foundations::shape::{Dim, expect_shape};
use vanilla_rnn_bptt::RecurrentCell;

/// The result of one decoder step.
#[derive(Debug, Clone)]
pub struct DecoderStep<S> {
    /// The new decoder state (its hidden part is `s_t`).
    pub state: S,
    /// The attention distribution `α` over the `N` encoder states, `N x 1`.
    pub alpha: Mat,
    /// The attention output `a_t`, `n x 1`.
    pub context: Mat,
    /// The scores `o_t`, `V x 1`.
    pub logits: Mat,
}

/// One step for one example: `cell` is the decoder, `prev` its state,
/// `y_prev` the previous target as a one-hot column (`V x 1`), `hs` the
/// encoder states as columns (`n x N`), `w_o` (`V x 2n`) and `b_o`
/// (`V x 1`) the output projection.
///
/// Book: `attention/seq2seq.md#one-decoder-step`.
///
/// # Panics
/// When a shape does not fit.
pub fn decoder_step_reference<C: RecurrentCell>(
    cell: &C,
    w_o: &Mat,
    b_o: &Mat,
    prev: &C::State,
    y_prev: &Mat,
    hs: &Mat,
) -> DecoderStep<C::State> {
    let f = "decoder_step_reference";
    let n = cell.hidden_size();
    expect_shape(f, "y_prev", y_prev, Dim::Is(cell.input_size()), Dim::Is(1));
    expect_shape(f, "hs", hs, Dim::Is(n), Dim::Any("N"));
    expect_shape(f, "w_o", w_o, Dim::Any("V"), Dim::Is(2 * n));
    expect_shape(f, "b_o", b_o, Dim::Is(w_o.nrows()), Dim::Is(1));
    // BEGIN SOLUTION decoder-step
    // ANCHOR: decoder_step_reference
    // s_t = f(s_{t−1}, y_{t−1})
    let (state, _) = cell.step_forward(prev, y_prev);
    let s = C::hidden(&state).clone();
    // e_i = s_tᵀ h_i, α = softmax(e), a_t = Σ_i α_i h_i
    let (context, cache) =
        attention_forward_reference(&s, hs, hs, Scoring::Dot);
    // o_t = W_o [a_t; s_t] + b_o
    let logits = w_o * stack_rows(&context, &s) + b_o;
    // ANCHOR_END: decoder_step_reference
    DecoderStep {
        state,
        alpha: cache.p,
        context,
        logits,
    }
    // END SOLUTION
}
