//! Test set-up shared by `graded.rs` and `layers.rs`.

use attention::Scoring;
use attention::engine::{attention_backward, attention_forward};
use foundations::{DMatrix, init, rng};

/// Random `Q` (`d_k x T_q`), `K` (`d_k x T_k`), `V` and `∂L/∂Y`
/// (`d_k + 1` rows) from `seed`.
pub fn random_qkv(
    dk: usize,
    t_q: usize,
    t_k: usize,
    seed: u64,
) -> [DMatrix<f64>; 4] {
    let mut r = rng(seed);
    let q = init::normal(dk, t_q, 1.0, &mut r);
    let k = init::normal(dk, t_k, 1.0, &mut r);
    let v = init::normal(dk + 1, t_k, 1.0, &mut r);
    let d_y = init::normal(dk + 1, t_q, 1.0, &mut r);
    [q, k, v, d_y]
}

/// Attention without a mask computed by the attention chapter's engine
/// (`attention::engine`): query `i` is batch column `i`, and every query
/// sees the same keys and values (key `j` repeated in every column).
/// Returns `Y`, `∂L/∂Q`, `∂L/∂K`, `∂L/∂V` for `∂L/∂Y = d_y`, in the
/// transformer's shapes.
pub fn by_the_attention_chapter(
    q: &DMatrix<f64>,
    k: &DMatrix<f64>,
    v: &DMatrix<f64>,
    d_y: &DMatrix<f64>,
) -> [DMatrix<f64>; 4] {
    let t_q = q.ncols();
    let repeat = |m: &DMatrix<f64>| -> Vec<DMatrix<f64>> {
        (0..m.ncols())
            .map(|j| DMatrix::from_fn(m.nrows(), t_q, |r, _| m[(r, j)]))
            .collect()
    };
    let (keys, values) = (repeat(k), repeat(v));
    let scale = Scoring::ScaledDot.scale(q.nrows());
    let (y, cache) = attention_forward(q, &keys, &values, scale);
    let (d_q, d_keys, d_values) = attention_backward(&cache, d_y);
    // key j was read by every query: its gradient is the sum over columns
    let gather = |g: &[DMatrix<f64>], rows: usize| {
        DMatrix::from_fn(rows, g.len(), |r, j| g[j].row(r).sum())
    };
    let d_k = gather(&d_keys, k.nrows());
    let d_v = gather(&d_values, v.nrows());
    [y, d_q, d_k, d_v]
}
