//! What Jozefowicz, Zaremba & Sutskever's three variants (MUT1–MUT3)
//! share, written once. Each computes its own gates `z` and `r` and its own
//! input term `u` (`tanh x` for MUT1, `W_xh x` for MUT2 and MUT3); then all
//! three end the same way (`update`):
//!
//! `h̃ = tanh(W_hh (r ⊙ h) + u + b_h)`, `h' = h̃ ⊙ z + h ⊙ (1 − z)`.
//!
//! Also here: the cache, the shape checks and
//! the backward of a gate of the form `σ(W_x x + W_h h + b)`
//! (`gate_backward`). The backward of the shared end is part of each
//! variant's exercise: given here, it would be most of the GRU's step
//! backward (the exercise `gru-step-backward`) in another shape.
//! Book: `lstm-gru/gru.md#other-variants`.

use foundations::Mat;
use foundations::activations::tanh;
use foundations::ops::{add_bias, sum_columns};
use foundations::shape::{Dim, expect_shape};

/// What a MUT cell's `step_backward` needs from its forward step (the
/// same for the three variants).
#[derive(Debug, Clone, PartialEq)]
pub struct MutCache {
    /// `h`, the previous state, `n x B`.
    pub h: Mat,
    /// `x`, `D x B`.
    pub x: Mat,
    /// The reset gate `r`.
    pub r: Mat,
    /// The update gate `z`.
    pub z: Mat,
    /// The candidate `h̃ = tanh(…)`.
    pub cand: Mat,
}

/// A step's inputs: `x` is `D x B` and `h` is `n x B`, where `n` is the
/// rows of `w_hh` and `D` the columns of `w_xz`.
///
/// # Panics
/// When a shape does not fit, naming `f_name`.
pub(crate) fn check_step(
    f_name: &str,
    (w_hh, w_xz): (&Mat, &Mat),
    h: &Mat,
    x: &Mat,
) {
    expect_shape(f_name, "x", x, Dim::Is(w_xz.ncols()), Dim::Any("B"));
    expect_shape(f_name, "h", h, Dim::Is(w_hh.nrows()), Dim::Is(x.ncols()));
}

/// `∂L/∂h'` has the shape of the state the cache holds.
///
/// # Panics
/// When it does not, naming `f_name`.
pub(crate) fn check_d_next(f_name: &str, cache: &MutCache, d_next: &Mat) {
    let (n, b) = cache.h.shape();
    expect_shape(f_name, "d_next", d_next, Dim::Is(n), Dim::Is(b));
}

/// The common end of the three variants, from the gates `r`, `z` and the
/// input term `u`: `h̃ = tanh(W_hh (r ⊙ h) + u + b_h)`,
/// `h' = h̃ ⊙ z + h ⊙ (1 − z)`. Returns `h'` and the cache.
pub(crate) fn update(
    (w_hh, b_h): (&Mat, &Mat),
    h: &Mat,
    x: &Mat,
    (r, z): (Mat, Mat),
    u: Mat,
) -> (Mat, MutCache) {
    // ANCHOR: mut_update
    // h̃ = tanh(W_hh (r ⊙ h) + u + b_h)
    let cand = tanh(&add_bias(w_hh * r.component_mul(h) + u, b_h));
    // h' = h̃ ⊙ z + h ⊙ (1 − z)
    let next = cand.component_mul(&z) + h.zip_map(&z, |h, z| h * (1.0 - z));
    // ANCHOR_END: mut_update
    let cache = MutCache {
        h: h.clone(),
        x: x.clone(),
        r,
        z,
        cand,
    };
    (next, cache)
}

/// The gradients `gate_backward` returns.
#[derive(Debug, Clone)]
pub(crate) struct GateGrads {
    /// `∇W_x`, `∇W_h`, `∇b`.
    pub w_x: Mat,
    pub w_h: Mat,
    pub b: Mat,
    /// What the gate adds to the gradient of its `h` input and to `∂L/∂x`.
    pub d_h: Mat,
    pub d_x: Mat,
}

/// Backward of a gate `s = σ(W_x x + W_h h + b)` from `∂L/∂s`.
pub(crate) fn gate_backward(
    d_s: &Mat,
    s: &Mat,
    (w_x, w_h): (&Mat, &Mat),
    h: &Mat,
    x: &Mat,
) -> GateGrads {
    // σ' = σ (1 − σ)
    let d_a = d_s.zip_map(s, |d, s| d * s * (1.0 - s));
    GateGrads {
        w_x: &d_a * x.transpose(),
        w_h: &d_a * h.transpose(),
        b: sum_columns(&d_a),
        d_h: w_h.transpose() * &d_a,
        d_x: w_x.transpose() * &d_a,
    }
}
