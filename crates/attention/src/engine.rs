//! The **engine** form of dot-product attention: a batch of `B` queries,
//! each attending over its own `N` keys and values (column `b` of every
//! key matrix belongs to query `b`), with the softmax backward written
//! without building the `N x N` Jacobian: `∂L/∂s = p ⊙ (∂L/∂p − pᵀ ∂L/∂p)`,
//! which is `(diag(p) − p pᵀ) ∂L/∂p` multiplied out. This is what the
//! encoder-decoder, examples and later crates use; it is tested equal to the
//! reference ([`crate::attention`]).
//! Book: `attention/attention.md#the-backward-pass`.

use foundations::Mat;
use foundations::shape::{Dim, expect_shape};

/// What [`attention_backward`] needs: the inputs and the distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendCache {
    /// Queries, `d x B`.
    pub q: Mat,
    /// `N` key matrices, each `d x B`.
    pub keys: Vec<Mat>,
    /// `N` value matrices, each `d_v x B`.
    pub values: Vec<Mat>,
    /// The attention distributions, `N x B` (column `b` sums to 1).
    pub p: Mat,
    /// `1` or `1/√d`.
    pub scale: f64,
}

fn check(func: &str, q: &Mat, keys: &[Mat], values: &[Mat]) {
    assert!(
        !keys.is_empty(),
        "{func}: no keys: an empty source has nothing to attend to (N must \
         be at least 1)"
    );
    assert!(
        keys.len() == values.len(),
        "{func}: {} keys but {} values: every key needs its value",
        keys.len(),
        values.len()
    );
    let (d, b) = keys[0].shape();
    expect_shape(func, "q", q, Dim::Is(d), Dim::Is(b));
    let dv = values[0].nrows();
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        expect_shape(func, &format!("keys[{i}]"), k, Dim::Is(d), Dim::Is(b));
        expect_shape(func, &format!("values[{i}]"), v, Dim::Is(dv), Dim::Is(b));
    }
}

/// `z_b = Σ_i p_ib v_ib` with `p_·b = softmax(s_·b)`, `s_ib = c q_bᵀ k_ib`.
/// Returns `z` (`d_v x B`) and the cache (its `p` is the attention, `N x B`).
///
/// # Panics
/// When there are no keys, keys and values differ in number, or a shape
/// does not fit (naming the argument, expected and actual shapes).
pub fn attention_forward(
    q: &Mat,
    keys: &[Mat],
    values: &[Mat],
    scale: f64,
) -> (Mat, AttendCache) {
    check("engine::attention_forward", q, keys, values);
    let (n, b) = (keys.len(), q.ncols());
    // ANCHOR: attention_forward
    let mut p = Mat::zeros(n, b);
    for (i, k) in keys.iter().enumerate() {
        for c in 0..b {
            p[(i, c)] = scale * q.column(c).dot(&k.column(c));
        }
    }
    let p = foundations::softmax::softmax_columns(&p);
    let mut z = Mat::zeros(values[0].nrows(), b);
    for (i, v) in values.iter().enumerate() {
        for c in 0..b {
            z.column_mut(c).axpy(p[(i, c)], &v.column(c), 1.0);
        }
    }
    // ANCHOR_END: attention_forward
    let cache = AttendCache {
        q: q.clone(),
        keys: keys.to_vec(),
        values: values.to_vec(),
        p,
        scale,
    };
    (z, cache)
}

/// From `d_z` (`d_v x B`): `(∂L/∂q, ∂L/∂keys, ∂L/∂values)`.
///
/// # Panics
/// When `d_z` is not `d_v x B`.
pub fn attention_backward(
    cache: &AttendCache,
    d_z: &Mat,
) -> (Mat, Vec<Mat>, Vec<Mat>) {
    let AttendCache {
        q,
        keys,
        values,
        p,
        scale,
    } = cache;
    let (n, b) = p.shape();
    let dv = values[0].nrows();
    expect_shape(
        "engine::attention_backward",
        "d_z",
        d_z,
        Dim::Is(dv),
        Dim::Is(b),
    );
    // ANCHOR: attention_backward
    // forward: z = Σ_i p_i v_i
    let mut d_p = Mat::zeros(n, b);
    let mut d_values = Vec::with_capacity(n);
    for (i, v) in values.iter().enumerate() {
        let mut dv_i = d_z.clone();
        for c in 0..b {
            d_p[(i, c)] = v.column(c).dot(&d_z.column(c));
            dv_i.column_mut(c).scale_mut(p[(i, c)]);
        }
        d_values.push(dv_i);
    }
    // forward: p = softmax(s): ∂L/∂s = p ⊙ (∂L/∂p − pᵀ ∂L/∂p), per column
    let mut d_s = d_p;
    softmax_backward_columns(&mut d_s, p);
    // forward: s_i = c qᵀ k_i
    let mut d_q = Mat::zeros(q.nrows(), b);
    let mut d_keys = Vec::with_capacity(n);
    for (i, k) in keys.iter().enumerate() {
        let mut dk_i = q.clone();
        for c in 0..b {
            let g = scale * d_s[(i, c)];
            d_q.column_mut(c).axpy(g, &k.column(c), 1.0);
            dk_i.column_mut(c).scale_mut(g);
        }
        d_keys.push(dk_i);
    }
    // ANCHOR_END: attention_backward
    (d_q, d_keys, d_values)
}

/// The softmax backward without the `N x N` Jacobian, in place, for a
/// distribution in every column of `p`: `d` holds `∂L/∂p` and becomes
/// `∂L/∂s = p ⊙ (∂L/∂p − pᵀ ∂L/∂p)`, which is `(diag(p) − p pᵀ) ∂L/∂p`
/// ([`crate::attention::softmax_jacobian`]) multiplied out. The
/// transformer's attention runs it too.
pub fn softmax_backward_columns(d: &mut Mat, p: &Mat) {
    // ANCHOR: softmax_backward
    for (mut d_col, p_col) in d.column_iter_mut().zip(p.column_iter()) {
        let dot = p_col.dot(&d_col); // pᵀ ∂L/∂p
        d_col.zip_apply(&p_col, |d, p| *d = p * (*d - dot));
    }
    // ANCHOR_END: softmax_backward
}
