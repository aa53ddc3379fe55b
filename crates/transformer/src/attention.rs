//! Scaled dot-product attention, one head (Vaswani et al. 2017, §3.2.1).
//!
//! Tokens are columns: `Q` is `d_k x T_q`, `K` is `d_k x T_k`, `V` is
//! `d_v x T_k`. The scores and the attention weights are `T_k x T_q`
//! matrices whose *column* `i` belongs to query `i`, so the softmax runs down
//! each column: `S = KᵀQ/√d_k`, `A = softmax(S)`, `Y = V A`.
//!
//! The math is the attention chapter's (`attention` crate), for `T_q`
//! queries sharing one set of keys, with a mask. [`forward_reference`] and
//! [`backward_reference`] are a copy of that chapter's one-query form, kept
//! here because `attention-backward` is this topic's exercise (a topic is
//! graded alone); `tests/layers.rs` and `tests/graded.rs` test them equal
//! to the attention crate's engine (`attention::engine`). The engine
//! [`forward`] is the matrix form; [`backward`], what the layers run, is
//! the exercise. The fused GPT's backward uses the attention crate's
//! [`softmax_backward_columns`].
//! Book: `transformer/attention.md#forward-as-on-the-slide`.

use ::attention::Scoring;
pub use ::attention::engine::softmax_backward_columns;
use foundations::shape::{Dim, expect_shape};
use nalgebra::DMatrix;

/// Which keys a query may look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// Every query sees every key.
    None,
    /// Query `i` sees keys `j ≤ i` only ("we can't see the future").
    Causal,
}

/// What backward needs: the inputs and the attention weights.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionCache {
    /// Queries, `d_k x T_q`.
    pub q: DMatrix<f64>,
    /// Keys, `d_k x T_k`.
    pub k: DMatrix<f64>,
    /// Values, `d_v x T_k`.
    pub v: DMatrix<f64>,
    /// Attention weights `A[j, i] = a_ij`, `T_k x T_q` (columns sum to 1).
    pub a: DMatrix<f64>,
}

/// The gradients with respect to the three inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionGrads {
    /// `∂L/∂Q`.
    pub d_q: DMatrix<f64>,
    /// `∂L/∂K`.
    pub d_k: DMatrix<f64>,
    /// `∂L/∂V`.
    pub d_v: DMatrix<f64>,
}

fn check(func: &str, q: &DMatrix<f64>, k: &DMatrix<f64>, v: &DMatrix<f64>) {
    expect_shape(func, "k", k, Dim::Is(q.nrows()), Dim::Any("T_k"));
    expect_shape(func, "v", v, Dim::Any("d_v"), Dim::Is(k.ncols()));
}

fn check_mask(func: &str, mask: Mask, t_q: usize, t_k: usize) {
    if mask == Mask::Causal {
        assert!(
            t_q == t_k,
            "{func}: a causal mask needs as many queries as keys, got \
             T_q = {t_q} and T_k = {t_k}"
        );
    }
}

/// The additive causal mask `M` (`T x T`, key `j` by query `i`): `0` where
/// `j ≤ i`, `−∞` where `j > i`, so that `softmax(S + M)` gives the future
/// zero weight.
///
/// Book: `transformer/attention.md#masking`.
// ANCHOR: causal_mask
pub fn causal_mask(t: usize) -> DMatrix<f64> {
    // BEGIN SOLUTION causal-mask
    DMatrix::from_fn(t, t, |j, i| if j > i { f64::NEG_INFINITY } else { 0.0 })
    // END SOLUTION
}
// ANCHOR_END: causal_mask

/// The reference forward, written like the slide, one query at a time:
/// `s_ij = q_i·k_j/√d_k`, `a_ij = exp(s_ij)/Z_i`, `x'_i = Σ_j a_ij v_j`.
///
/// # Panics
/// When `K` and `Q` differ in height, `V` and `K` in width, or a causal
/// mask is asked for with `T_q ≠ T_k`.
pub fn forward_reference(
    q: &DMatrix<f64>,
    k: &DMatrix<f64>,
    v: &DMatrix<f64>,
    mask: Mask,
) -> (DMatrix<f64>, AttentionCache) {
    let func = "attention::forward_reference";
    check(func, q, k, v);
    let (t_q, t_k) = (q.ncols(), k.ncols());
    check_mask(func, mask, t_q, t_k);
    let m = match mask {
        Mask::None => DMatrix::zeros(t_k, t_q),
        Mask::Causal => causal_mask(t_q),
    };
    let scale = 1.0 / (q.nrows() as f64).sqrt();
    let mut a = DMatrix::zeros(t_k, t_q);
    let mut y = DMatrix::zeros(v.nrows(), t_q);
    // ANCHOR: reference_forward
    for i in 0..t_q {
        // s_ij = q_i · k_j / √d_k (+ the mask)
        let s: Vec<f64> = (0..t_k)
            .map(|j| q.column(i).dot(&k.column(j)) * scale + m[(j, i)])
            .collect();
        // a_ij = exp(s_ij) / Z_i, shifted by the largest score
        let max = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = s.iter().map(|s| (s - max).exp()).sum();
        for j in 0..t_k {
            a[(j, i)] = (s[j] - max).exp() / z;
        }
        // x'_i = Σ_j a_ij v_j
        for j in 0..t_k {
            let a_ij = a[(j, i)];
            let mut y_i = y.column_mut(i);
            y_i.axpy(a_ij, &v.column(j), 1.0);
        }
    }
    // ANCHOR_END: reference_forward
    let cache = AttentionCache {
        q: q.clone(),
        k: k.clone(),
        v: v.clone(),
        a,
    };
    (y, cache)
}

/// The reference backward of [`forward_reference`], one query at a time.
/// Book: `transformer/attention.md#backward`.
///
/// # Panics
/// When `d_y` is not `d_v x T_q`.
pub fn backward_reference(
    cache: &AttentionCache,
    d_y: &DMatrix<f64>,
) -> AttentionGrads {
    let AttentionCache { q, k, v, a } = cache;
    let func = "attention::backward_reference";
    expect_shape(func, "d_y", d_y, Dim::Is(v.nrows()), Dim::Is(q.ncols()));
    // ANCHOR: reference_backward
    // BEGIN SOLUTION attention-backward
    let (t_q, t_k) = (q.ncols(), k.ncols());
    let scale = 1.0 / (q.nrows() as f64).sqrt();
    let mut d_q = DMatrix::zeros(q.nrows(), t_q);
    let mut d_k = DMatrix::zeros(k.nrows(), t_k);
    let mut d_v = DMatrix::zeros(v.nrows(), t_k);
    for i in 0..t_q {
        // x'_i = Σ_j a_ij v_j  ⇒  ∂L/∂v_j += a_ij dx'_i,
        //                        ∂L/∂a_ij = v_j · dx'_i
        let d_a: Vec<f64> = (0..t_k)
            .map(|j| {
                d_v.column_mut(j).axpy(a[(j, i)], &d_y.column(i), 1.0);
                v.column(j).dot(&d_y.column(i))
            })
            .collect();
        // a_i = softmax(s_i)  ⇒  ∂L/∂s_ij = a_ij (∂L/∂a_ij − Σ_l a_il ∂L/∂a_il)
        let dot: f64 = (0..t_k).map(|l| a[(l, i)] * d_a[l]).sum();
        for j in 0..t_k {
            let d_s = a[(j, i)] * (d_a[j] - dot);
            // s_ij = q_i · k_j / √d_k
            d_q.column_mut(i).axpy(d_s * scale, &k.column(j), 1.0);
            d_k.column_mut(j).axpy(d_s * scale, &q.column(i), 1.0);
        }
    }
    AttentionGrads { d_q, d_k, d_v }
    // END SOLUTION
    // ANCHOR_END: reference_backward
}

/// The engine forward: the same numbers as [`forward_reference`] in three
/// matrix products, `S = KᵀQ/√d_k`, `A = softmax(S)` (masked entries are
/// never exponentiated), `Y = V A`.
///
/// # Panics
/// As [`forward_reference`].
pub fn forward(
    q: &DMatrix<f64>,
    k: &DMatrix<f64>,
    v: &DMatrix<f64>,
    mask: Mask,
) -> (DMatrix<f64>, AttentionCache) {
    let func = "attention::forward";
    check(func, q, k, v);
    check_mask(func, mask, q.ncols(), k.ncols());
    let scale = Scoring::ScaledDot.scale(q.nrows());
    // ANCHOR: forward
    let mut a = k.tr_mul(q) * scale; // S = KᵀQ / √d_k
    softmax_columns_in_place(&mut a, mask); // A = softmax(S + M)
    let y = v * &a; // Y = V A
    // ANCHOR_END: forward
    let cache = AttentionCache {
        q: q.clone(),
        k: k.clone(),
        v: v.clone(),
        a,
    };
    (y, cache)
}

/// Softmax down every column of `s`, in place; under [`Mask::Causal`] the
/// entries `j > i` become exactly 0 without being exponentiated.
pub fn softmax_columns_in_place(s: &mut DMatrix<f64>, mask: Mask) {
    let rows = s.nrows();
    for (i, mut col) in s.column_iter_mut().enumerate() {
        let live = match mask {
            Mask::None => rows,
            Mask::Causal => (i + 1).min(rows),
        };
        let col = col.as_mut_slice();
        let (seen, future) = col.split_at_mut(live);
        let max = seen.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut z = 0.0;
        for x in seen.iter_mut() {
            *x = (*x - max).exp();
            z += *x;
        }
        let inv = 1.0 / z;
        seen.iter_mut().for_each(|x| *x *= inv);
        future.iter_mut().for_each(|x| *x = 0.0);
    }
}

/// The backward the layers run ([`crate::multi_head`]): the exercise,
/// [`backward_reference`]. (The fused GPT, [`crate::fast_gpt`], has the
/// matrix form of its own, for all heads at once.)
///
/// # Panics
/// When `d_y` is not `d_v x T_q`.
pub fn backward(cache: &AttentionCache, d_y: &DMatrix<f64>) -> AttentionGrads {
    let AttentionCache { q, v, .. } = cache;
    let func = "attention::backward";
    expect_shape(func, "d_y", d_y, Dim::Is(v.nrows()), Dim::Is(q.ncols()));
    backward_reference(cache, d_y)
}
