//! What Jozefowicz, Zaremba & Sutskever's three variants (MUT1–MUT3)
//! share. Each computes its own gates `z` and `r` and its own input term
//! `u` (`tanh x` for MUT1, `W_xh x` for MUT2 and MUT3); then all three end
//! the same way:
//!
//! `h̃ = tanh(W_hh (r ⊙ h) + u + b_h)`, `h' = h̃ ⊙ z + h ⊙ (1 − z)`.
//!
//! This file holds that common end ([`update`], [`update_backward`]), the
//! backward of a gate of the form `σ(W_x x + W_h h + b)`
//! ([`gate_backward`]), the cache the three share and their construction
//! checks. Book: *LSTM and GRU → The GRU → Other variants*.

use crate::ops::{add_bias, sum_columns};
use foundations::activations::tanh;
use foundations::{Error, Mat};

/// What a MUT cell's `step_backward` needs from its forward step (the
/// same for the three variants).
#[derive(Debug, Clone, PartialEq)]
pub struct MutCache {
    /// `x`, `D x B`.
    pub x: Mat,
    /// `h`, the previous state, `n x B`.
    pub h: Mat,
    /// The reset gate `r`.
    pub r: Mat,
    /// The update gate `z`.
    pub z: Mat,
    /// The candidate `h̃ = tanh(…)`.
    pub cand: Mat,
}

/// A variant's sizes: `n ≥ 1`, `D ≥ 1`, and `D = n` for the variants
/// that add `x` (or `tanh x`) to an `n`-vector.
pub(crate) fn check_sizes(
    cell: &str,
    n: usize,
    d: usize,
    input_is_hidden: bool,
) -> Result<(), Error> {
    if n == 0 || d == 0 {
        return Err(Error::config(
            cell,
            format!("sizes n = {n} and D = {d} must be at least 1"),
        ));
    }
    if input_is_hidden && d != n {
        return Err(Error::config(
            cell,
            format!(
                "this variant adds x (or tanh x) to an n-vector, so the \
                 input size D = {d} must equal the hidden size n = {n}"
            ),
        ));
    }
    Ok(())
}

/// The common end of the three variants, from the gates `r`, `z` and the
/// input term `u`: `h̃ = tanh(W_hh (r ⊙ h) + u + b_h)`,
/// `h' = h̃ ⊙ z + h ⊙ (1 − z)`. Returns `h'` and the cache.
pub(crate) fn update(
    (w_hh, b_h): (&Mat, &Mat),
    x: &Mat,
    h: &Mat,
    (r, z): (Mat, Mat),
    u: Mat,
) -> (Mat, MutCache) {
    let cand = tanh(&add_bias(w_hh * r.component_mul(h) + u, b_h));
    let next = cand.component_mul(&z) + h.zip_map(&z, |h, z| h * (1.0 - z));
    let cache = MutCache {
        x: x.clone(),
        h: h.clone(),
        r,
        z,
        cand,
    };
    (next, cache)
}

/// The gradients [`update_backward`] returns.
#[derive(Debug, Clone)]
pub(crate) struct UpdateGrads {
    /// `∇W_hh` and `∇b_h`.
    pub w_hh: Mat,
    pub b_h: Mat,
    /// `∂L/∂u`: the candidate's pre-activation gradient, which is also the
    /// input term's.
    pub d_u: Mat,
    /// `∂L/∂r` and `∂L/∂z` (before the gates' own `σ'`).
    pub d_r: Mat,
    pub d_z: Mat,
    /// The part of `∂L/∂h` that flows through the update and the
    /// candidate (the gates add theirs).
    pub d_h: Mat,
}

/// Backward of [`update`] from `∂L/∂h'`.
pub(crate) fn update_backward(
    w_hh: &Mat,
    cache: &MutCache,
    d_next: &Mat,
) -> UpdateGrads {
    let MutCache { h, r, z, cand, .. } = cache;
    // forward: h' = h̃ ⊙ z + h ⊙ (1 − z)
    let d_z = d_next.component_mul(&(cand - h));
    let d_cand = d_next.component_mul(z);
    let mut d_h = d_next.zip_map(z, |d, z| d * (1.0 - z));
    // forward: h̃ = tanh(W_hh (r ⊙ h) + u + b_h)
    let d_u = d_cand.zip_map(cand, |d, t| d * (1.0 - t * t));
    let d_rh = w_hh.transpose() * &d_u;
    d_h += d_rh.component_mul(r);
    UpdateGrads {
        w_hh: &d_u * r.component_mul(h).transpose(),
        b_h: sum_columns(&d_u),
        d_r: d_rh.component_mul(h),
        d_z,
        d_u,
        d_h,
    }
}

/// The gradients [`gate_backward`] returns.
#[derive(Debug, Clone)]
pub(crate) struct GateGrads {
    /// `∇W_x`, `∇W_h`, `∇b`.
    pub w_x: Mat,
    pub w_h: Mat,
    pub b: Mat,
    /// What the gate adds to `∂L/∂x` and to the gradient of its `h` input.
    pub d_x: Mat,
    pub d_h: Mat,
}

/// Backward of a gate `s = σ(W_x x + W_h h + b)` from `∂L/∂s`.
pub(crate) fn gate_backward(
    d_s: &Mat,
    s: &Mat,
    (w_x, w_h): (&Mat, &Mat),
    x: &Mat,
    h: &Mat,
) -> GateGrads {
    // σ' = σ (1 − σ)
    let d_a = d_s.zip_map(s, |d, s| d * s * (1.0 - s));
    GateGrads {
        w_x: &d_a * x.transpose(),
        w_h: &d_a * h.transpose(),
        b: sum_columns(&d_a),
        d_x: w_x.transpose() * &d_a,
        d_h: w_h.transpose() * &d_a,
    }
}
