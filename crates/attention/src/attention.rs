//! Attention for one query over `N` key/value pairs, by the slide's sums:
//! `s_i = similarity(q, k_i)`, `p = softmax(s)`, `z = Σ_i p_i v_i`.
//!
//! This is the **reference** form (the exercises): explicit loops over the
//! `N` pairs, the softmax Jacobian `diag(p) − p pᵀ` built as a matrix. The
//! model uses the vectorised engine in [`crate::engine`], tested equal to
//! this one. Book: `attention/attention.md#the-forward-pass`.

use foundations::Mat;
use foundations::shape::{Dim, expect_shape};

/// How a query is compared with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    /// `s_i = qᵀ k_i` (the slides; Luong et al. 2015).
    Dot,
    /// `s_i = qᵀ k_i / √d` (Vaswani et al. 2017), `d` the key size.
    ScaledDot,
}

impl Scoring {
    /// The factor every dot product is multiplied by: `1` or `1/√d`.
    pub fn scale(self, d: usize) -> f64 {
        match self {
            Scoring::Dot => 1.0,
            Scoring::ScaledDot => 1.0 / (d as f64).sqrt(),
        }
    }
}

/// What [`attention_backward_reference`] needs from [`attention_forward_reference`].
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionCache {
    /// The query `q`, `d x 1`.
    pub q: Mat,
    /// The keys `k_i` as columns, `d x N`.
    pub keys: Mat,
    /// The values `v_i` as columns, `d_v x N`.
    pub values: Mat,
    /// The attention distribution `p`, `N x 1`.
    pub p: Mat,
    /// `1` or `1/√d` ([`Scoring::scale`]).
    pub scale: f64,
}

/// Checks the shapes shared by every attention function: `q` is `d x 1`,
/// `keys` `d x N` with `N ≥ 1`, `values` `d_v x N`.
///
/// # Panics
/// Naming `func`, the argument, the expected and the actual shape.
#[track_caller]
pub fn check_inputs(func: &str, q: &Mat, keys: &Mat, values: &Mat) {
    assert!(
        keys.ncols() > 0,
        "{func}: keys is {}x0: an empty source has nothing to attend to \
         (N must be at least 1)",
        keys.nrows()
    );
    expect_shape(
        func,
        "values",
        values,
        Dim::Any("d_v"),
        Dim::Is(keys.ncols()),
    );
    expect_shape(func, "q", q, Dim::Is(keys.nrows()), Dim::Is(1));
}

/// Attention of one query: `s_i = c · qᵀ k_i` (`c` from `scoring`),
/// `p = softmax(s)`, `z = Σ_i p_i v_i`; returns `z` (`d_v x 1`) and the
/// cache.
///
/// Book: `attention/attention.md#the-forward-pass`.
///
/// # Panics
/// When the shapes do not fit ([`check_inputs`]): keys and values of
/// different counts, a query of the wrong size, an empty source.
pub fn attention_forward_reference(
    q: &Mat,
    keys: &Mat,
    values: &Mat,
    scoring: Scoring,
) -> (Mat, AttentionCache) {
    check_inputs("attention_forward_reference", q, keys, values);
    // BEGIN SOLUTION dot-attention-forward
    let (d, n) = keys.shape();
    let scale = scoring.scale(d);
    // ANCHOR: forward
    // s_i = similarity(q, k_i): a scaled dot product
    let mut s = Mat::zeros(n, 1);
    for i in 0..n {
        let mut dot = 0.0;
        for j in 0..d {
            dot += q[j] * keys[(j, i)];
        }
        s[i] = scale * dot;
    }
    // p = softmax(s), shifted by max(s) so that exp never overflows
    let max = s.max();
    let mut p = s.map(|s_i| (s_i - max).exp());
    let total = p.sum();
    p /= total;
    // z = Σ_i p_i v_i
    let mut z = Mat::zeros(values.nrows(), 1);
    for i in 0..n {
        for r in 0..values.nrows() {
            z[r] += p[i] * values[(r, i)];
        }
    }
    // ANCHOR_END: forward
    let cache = AttentionCache {
        q: q.clone(),
        keys: keys.clone(),
        values: values.clone(),
        p,
        scale,
    };
    (z, cache)
    // END SOLUTION
}

/// The Jacobian of the softmax at its output `p` (`N x 1`):
/// `∂p_i/∂s_j = p_i (δ_ij − p_j)`, i.e. `J = diag(p) − p pᵀ` (`N x N`,
/// symmetric).
///
/// Book: `attention/attention.md#the-softmax-jacobian`.
///
/// # Panics
/// When `p` is not a column.
pub fn softmax_jacobian(p: &Mat) -> Mat {
    expect_shape("softmax_jacobian", "p", p, Dim::Any("N"), Dim::Is(1));
    // BEGIN SOLUTION softmax-jacobian
    // ANCHOR: jacobian
    let n = p.nrows();
    let mut jac = Mat::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            let delta = if i == j { 1.0 } else { 0.0 };
            jac[(i, j)] = p[i] * (delta - p[j]);
        }
    }
    // ANCHOR_END: jacobian
    jac
    // END SOLUTION
}

/// The gradients of attention from `d_z = ∂L/∂z` (`d_v x 1`): returns
/// `(∂L/∂q, ∂L/∂keys, ∂L/∂values)` in the shapes of `q`, `keys`, `values`.
/// Book: `attention/attention.md#the-backward-pass`.
///
/// # Panics
/// When `d_z` is not `d_v x 1`.
pub fn attention_backward_reference(
    cache: &AttentionCache,
    d_z: &Mat,
) -> (Mat, Mat, Mat) {
    let dv = cache.values.nrows();
    expect_shape(
        "attention_backward_reference",
        "d_z",
        d_z,
        Dim::Is(dv),
        Dim::Is(1),
    );
    // BEGIN SOLUTION dot-attention-backward
    let AttentionCache {
        q,
        keys,
        values,
        p,
        scale,
    } = cache;
    let (d, n) = keys.shape();
    // ANCHOR: backward
    // forward: z = Σ_i p_i v_i, so ∂L/∂v_i = p_i ∂L/∂z, ∂L/∂p_i = v_iᵀ ∂L/∂z
    let mut d_values = Mat::zeros(dv, n);
    let mut d_p = Mat::zeros(n, 1);
    for i in 0..n {
        for r in 0..dv {
            d_values[(r, i)] = p[i] * d_z[r];
            d_p[i] += values[(r, i)] * d_z[r];
        }
    }
    // forward: p = softmax(s), so ∂L/∂s = J ∂L/∂p with J = diag(p) − p pᵀ
    let d_s = softmax_jacobian(p) * d_p;
    // forward: s_i = c · qᵀ k_i, so ∂L/∂q = c Σ_i ∂L/∂s_i k_i and
    // ∂L/∂k_i = c ∂L/∂s_i q
    let mut d_q = Mat::zeros(d, 1);
    let mut d_keys = Mat::zeros(d, n);
    for i in 0..n {
        for j in 0..d {
            d_q[j] += scale * d_s[i] * keys[(j, i)];
            d_keys[(j, i)] = scale * d_s[i] * q[j];
        }
    }
    // ANCHOR_END: backward
    (d_q, d_keys, d_values)
    // END SOLUTION
}
