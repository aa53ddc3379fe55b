//! The speed path: the tiny GPT's whole training step (forward, loss and
//! backward) fused for speed. Not an exercise: a fused form of the layers
//! ([`crate::attention::forward`] and the matrix form of its backward for
//! all heads at once, [`LayerNorm::forward`] and the compact form of its
//! backward, the feed-forward network) that gives the
//! same numbers as [`Gpt::loss_reference`], tested equal in
//! `tests/layers.rs` (`engine_equals_the_reference_gpt`,
//! `engine_equals_the_reference_above_the_small_size_threshold`). Layer
//! norm's backward is a compact form of its own (`ln_backward`), the
//! softmax backward the attention crate's. Pre-norm blocks only (what GPT-2
//! uses).
//! Book: `transformer/gpt.md#speed-the-engine-against-numpy` lists the fusions.

use crate::attention::{
    Mask, softmax_backward_columns, softmax_columns_in_place,
};
use crate::encoder_layer::{EncoderLayer, Norm};
use crate::layer_norm::{EPS, LayerNorm};
use crate::model::{Gpt, embed_backward};
use crate::positional::Positional;
use foundations::ops::sum_columns;
use foundations::softmax::{Reduction, cross_entropy, softmax_columns};
use foundations::{DMatrix, ParamsExt, Rng};
use nalgebra::{Dyn, Matrix, MatrixView, Storage, StorageMut};
use vanilla_rnn_bptt::draw;

struct Ln {
    x_hat: DMatrix<f64>,
    inv_std: Vec<f64>,
}

/// `y = γ ⊙ x̂ + β` per column, and what backward needs: a fused copy of
/// [`LayerNorm::forward`] that keeps only `x̂` and `1/σ`.
fn ln_forward(ln: &LayerNorm, x: &DMatrix<f64>) -> (DMatrix<f64>, Ln) {
    let d = x.nrows();
    let mut x_hat = x.clone();
    let mut y = DMatrix::zeros(d, x.ncols());
    let mut inv_std = Vec::with_capacity(x.ncols());
    let (g, b) = (ln.gamma.as_slice(), ln.beta.as_slice());
    for (xh, yc) in x_hat
        .as_mut_slice()
        .chunks_exact_mut(d)
        .zip(y.as_mut_slice().chunks_exact_mut(d))
    {
        let mu = xh.iter().sum::<f64>() / d as f64;
        let var =
            xh.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / d as f64;
        let r = 1.0 / (var + EPS).sqrt();
        for k in 0..d {
            xh[k] = (xh[k] - mu) * r;
            yc[k] = g[k] * xh[k] + b[k];
        }
        inv_std.push(r);
    }
    (y, Ln { x_hat, inv_std })
}

/// Layer norm's backward on `x̂` and `1/σ` alone, adding `(dγ, dβ)` into
/// `grads` and returning `dx`: the compact form
/// `dx = (1/σ)(dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂))`, `dx̂ = γ ⊙ dy`,
/// on the fused step's own caches.
fn ln_backward(
    ln: &LayerNorm,
    x_hat: &DMatrix<f64>,
    inv_std: &[f64],
    d_y: &DMatrix<f64>,
    grads: &mut LayerNorm,
) -> DMatrix<f64> {
    let d = x_hat.nrows();
    let n = d as f64;
    let mut d_x = DMatrix::zeros(d, x_hat.ncols());
    let g = ln.gamma.as_slice();
    let (dg, db) = (grads.gamma.as_mut_slice(), grads.beta.as_mut_slice());
    // ANCHOR: ln_backward
    for t in 0..x_hat.ncols() {
        let xh = &x_hat.as_slice()[t * d..(t + 1) * d];
        let dy = &d_y.as_slice()[t * d..(t + 1) * d];
        let (mut mean_dxh, mut mean_dxh_xh) = (0.0, 0.0);
        for k in 0..d {
            dg[k] += dy[k] * xh[k];
            db[k] += dy[k];
            let dxh = dy[k] * g[k];
            mean_dxh += dxh;
            mean_dxh_xh += dxh * xh[k];
        }
        mean_dxh /= n;
        mean_dxh_xh /= n;
        let dx = &mut d_x.as_mut_slice()[t * d..(t + 1) * d];
        for k in 0..d {
            let dxh = dy[k] * g[k];
            dx[k] = inv_std[t] * (dxh - mean_dxh - xh[k] * mean_dxh_xh);
        }
    }
    // ANCHOR_END: ln_backward
    d_x
}

struct Block {
    ln1: Ln,
    n1: DMatrix<f64>,
    qkv: DMatrix<f64>,
    /// Attention weights per (sequence, head), `T x T`.
    a: Vec<DMatrix<f64>>,
    concat: DMatrix<f64>,
    ln2: Ln,
    n2: DMatrix<f64>,
    /// `φ'(z)` of the feed-forward network, kept from the forward pass.
    d_phi: DMatrix<f64>,
    h_ff: DMatrix<f64>,
}

/// The transpose of the `rows x cols` block at `(row0, col0)` of a
/// column-major matrix with `ld` rows, as a view: no copy, the matrix
/// product reads it with swapped strides.
fn tr_block(
    m: &DMatrix<f64>,
    row0: usize,
    col0: usize,
    rows: usize,
    cols: usize,
) -> MatrixView<'_, f64, Dyn, Dyn, Dyn, Dyn> {
    let ld = m.nrows();
    MatrixView::from_slice_with_strides_generic(
        &m.as_slice()[col0 * ld + row0..],
        Dyn(cols),
        Dyn(rows),
        Dyn(ld),
        Dyn(1),
    )
}

/// `c = α a b + β c`. Transposed views go straight to the blocked matrix
/// product when every side exceeds nalgebra's small-size threshold (5);
/// below it nalgebra's fallback loop does not handle swapped strides, so
/// small operands are copied to contiguous matrices first.
fn mm<SA, SB, SC>(
    c: &mut Matrix<f64, Dyn, Dyn, SC>,
    alpha: f64,
    a: &Matrix<f64, Dyn, Dyn, SA>,
    b: &Matrix<f64, Dyn, Dyn, SB>,
    beta: f64,
) where
    SA: Storage<f64, Dyn, Dyn>,
    SB: Storage<f64, Dyn, Dyn>,
    SC: StorageMut<f64, Dyn, Dyn>,
{
    if a.nrows().min(a.ncols()).min(b.ncols()) > 5 {
        c.gemm(alpha, a, b, beta);
    } else {
        c.gemm(alpha, &a.clone_owned(), &b.clone_owned(), beta);
    }
}

/// `a b` into a new matrix, through [`mm`].
fn mul<SA, SB>(
    a: &Matrix<f64, Dyn, Dyn, SA>,
    b: &Matrix<f64, Dyn, Dyn, SB>,
) -> DMatrix<f64>
where
    SA: Storage<f64, Dyn, Dyn>,
    SB: Storage<f64, Dyn, Dyn>,
{
    let mut c = DMatrix::zeros(a.nrows(), b.ncols());
    mm(&mut c, 1.0, a, b, 0.0);
    c
}

/// `mᵀ` as a view.
fn tr(m: &DMatrix<f64>) -> MatrixView<'_, f64, Dyn, Dyn, Dyn, Dyn> {
    tr_block(m, 0, 0, m.nrows(), m.ncols())
}

fn stacked_qkv(b: &EncoderLayer) -> DMatrix<f64> {
    let d = b.attn.width();
    let mut w = DMatrix::zeros(3 * d, d);
    w.rows_mut(0, d).copy_from(&b.attn.w_q);
    w.rows_mut(d, d).copy_from(&b.attn.w_k);
    w.rows_mut(2 * d, d).copy_from(&b.attn.w_v);
    w
}

// ANCHOR: block_forward
fn block_forward(
    blk: &EncoderLayer,
    x: &DMatrix<f64>,
    seqs: usize,
    t: usize,
) -> (DMatrix<f64>, Block) {
    let d = blk.attn.width();
    let (heads, dk) = (blk.attn.heads, blk.attn.head_size());
    let scale = 1.0 / (dk as f64).sqrt();
    let (n1, ln1) = ln_forward(&blk.ln1, x);
    let qkv = stacked_qkv(blk) * &n1; // [Q; K; V] = [W_Q; W_K; W_V] LN₁(x)
    let mut concat = DMatrix::zeros(d, seqs * t);
    let mut a_all = Vec::with_capacity(seqs * heads);
    for s in 0..seqs {
        for m in 0..heads {
            let q = qkv.view((m * dk, s * t), (dk, t));
            let k_t = tr_block(&qkv, d + m * dk, s * t, dk, t);
            let v = qkv.view((2 * d + m * dk, s * t), (dk, t));
            let mut a = DMatrix::zeros(t, t);
            mm(&mut a, scale, &k_t, &q, 0.0); // S = KᵀQ/√d_k
            softmax_columns_in_place(&mut a, Mask::Causal);
            let mut y = concat.view_mut((m * dk, s * t), (dk, t));
            mm(&mut y, 1.0, &v, &a, 0.0); // Y_m = V_m A
            a_all.push(a);
        }
    }
    let mut z = x.clone();
    z.gemm(1.0, &blk.attn.w_o, &concat, 1.0); // z = x + W_O concat
    let (n2, ln2) = ln_forward(&blk.ln2, &z);
    let mut h_ff = &blk.ffn.w1 * &n2;
    let act = blk.ffn.activation;
    let b1 = blk.ffn.b1.as_slice();
    let mut d_phi = DMatrix::zeros(h_ff.nrows(), h_ff.ncols());
    let dff = b1.len();
    for (hc, dc) in h_ff
        .as_mut_slice()
        .chunks_exact_mut(dff)
        .zip(d_phi.as_mut_slice().chunks_exact_mut(dff))
    {
        for k in 0..dff {
            let (f, df) = act.apply_with_derivative(hc[k] + b1[k]);
            hc[k] = f; // h = φ(W_1 n₂ + b_1)
            dc[k] = df;
        }
    }
    let mut y = z; // y = z + W_2 h + b_2
    y.gemm(1.0, &blk.ffn.w2, &h_ff, 1.0);
    let b2 = blk.ffn.b2.as_slice();
    for yc in y.as_mut_slice().chunks_exact_mut(d) {
        for k in 0..d {
            yc[k] += b2[k];
        }
    }
    let cache = Block {
        ln1,
        n1,
        qkv,
        a: a_all,
        concat,
        ln2,
        n2,
        d_phi,
        h_ff,
    };
    (y, cache)
}
// ANCHOR_END: block_forward

// ANCHOR: block_backward
fn block_backward(
    blk: &EncoderLayer,
    c: &Block,
    d_y: &DMatrix<f64>,
    seqs: usize,
    t: usize,
    g: &mut EncoderLayer,
) -> DMatrix<f64> {
    let d = blk.attn.width();
    let (heads, dk) = (blk.attn.heads, blk.attn.head_size());
    let scale = 1.0 / (dk as f64).sqrt();
    // y = z + W_2 φ(W_1 n₂ + b_1) + b_2
    mm(&mut g.ffn.w2, 1.0, d_y, &tr(&c.h_ff), 1.0);
    g.ffn.b2 += sum_columns(d_y);
    let mut d_z_ff = mul(&tr(&blk.ffn.w2), d_y);
    d_z_ff.component_mul_assign(&c.d_phi);
    mm(&mut g.ffn.w1, 1.0, &d_z_ff, &tr(&c.n2), 1.0);
    g.ffn.b1 += sum_columns(&d_z_ff);
    let d_n2 = mul(&tr(&blk.ffn.w1), &d_z_ff);
    // n₂ = LN₂(z)
    let mut d_z =
        ln_backward(&blk.ln2, &c.ln2.x_hat, &c.ln2.inv_std, &d_n2, &mut g.ln2);
    d_z += d_y;
    // z = x + W_O concat
    mm(&mut g.attn.w_o, 1.0, &d_z, &tr(&c.concat), 1.0);
    let d_concat = mul(&tr(&blk.attn.w_o), &d_z);
    let mut d_qkv = DMatrix::zeros(3 * d, seqs * t);
    let mut d_s = DMatrix::zeros(t, t);
    for s in 0..seqs {
        for m in 0..heads {
            let a = &c.a[s * heads + m];
            let q = c.qkv.view((m * dk, s * t), (dk, t));
            let k = c.qkv.view((d + m * dk, s * t), (dk, t));
            let v_t = tr_block(&c.qkv, 2 * d + m * dk, s * t, dk, t);
            let d_yh = d_concat.view((m * dk, s * t), (dk, t));
            // Y = V A
            let mut d_v = d_qkv.view_mut((2 * d + m * dk, s * t), (dk, t));
            mm(&mut d_v, 1.0, &d_yh, &tr(a), 0.0);
            mm(&mut d_s, 1.0, &v_t, &d_yh, 0.0);
            softmax_backward_columns(&mut d_s, a); // A = softmax(S)
            // S = KᵀQ/√d_k
            let mut d_q = d_qkv.view_mut((m * dk, s * t), (dk, t));
            mm(&mut d_q, scale, &k, &d_s, 0.0);
            let mut d_k = d_qkv.view_mut((d + m * dk, s * t), (dk, t));
            mm(&mut d_k, scale, &q, &tr(&d_s), 0.0);
        }
    }
    // [Q; K; V] = W_QKV n₁
    let d_w = mul(&d_qkv, &tr(&c.n1));
    g.attn.w_q += d_w.rows(0, d);
    g.attn.w_k += d_w.rows(d, d);
    g.attn.w_v += d_w.rows(2 * d, d);
    let w_qkv = stacked_qkv(blk);
    let d_n1 = mul(&tr(&w_qkv), &d_qkv);
    // n₁ = LN₁(x)
    let mut d_x =
        ln_backward(&blk.ln1, &c.ln1.x_hat, &c.ln1.inv_std, &d_n1, &mut g.ln1);
    d_x += d_z;
    d_x
}
// ANCHOR_END: block_backward

fn check_engine(model: &Gpt) {
    assert!(
        model
            .blocks
            .iter()
            .all(|b| b.norm == Norm::Pre && b.mask == Mask::Causal),
        "gpt engine: only causal pre-norm blocks (use Gpt::loss_reference \
         for post-norm)"
    );
}

/// The embedded inputs `W_E[:, id] + p_t` of every sequence, side by side.
fn embed_batch(model: &Gpt, inputs: &[&[usize]], t: usize) -> DMatrix<f64> {
    let d = model.config.d;
    let p = model.pos.table();
    let mut x = DMatrix::zeros(d, inputs.len() * t);
    for (s, ids) in inputs.iter().enumerate() {
        for (i, &id) in ids.iter().enumerate() {
            let mut col = x.column_mut(s * t + i);
            col.copy_from(&model.wte.column(id));
            col += p.column(i);
        }
    }
    x
}

/// The blocks over every sequence; the caches of each block.
fn forward_all(
    model: &Gpt,
    inputs: &[&[usize]],
    t: usize,
) -> (DMatrix<f64>, Vec<Block>) {
    let mut h = embed_batch(model, inputs, t);
    let mut caches = Vec::with_capacity(model.blocks.len());
    for blk in &model.blocks {
        let (y, c) = block_forward(blk, &h, inputs.len(), t);
        caches.push(c);
        h = y;
    }
    (h, caches)
}

/// The logits `W_out LN_f(h)` (`V x B·T`) of every sequence, forward only.
fn logits_all(model: &Gpt, inputs: &[&[usize]], t: usize) -> DMatrix<f64> {
    let (h, _) = forward_all(model, inputs, t);
    &model.w_out * ln_forward(&model.ln_f, &h).0
}

fn check_sequence(model: &Gpt, func: &str, ids: &[usize]) -> usize {
    let mut batch = ids.to_vec();
    batch.push(0); // a dummy target: check_batch wants T + 1 ids
    model.check_batch(func, &[batch])
}

/// The logits (`V x T`) for one sequence of ids, by the engine.
///
/// # Panics
/// When the sequence is empty, longer than the positional table, or holds
/// an unknown id.
pub fn logits(model: &Gpt, ids: &[usize]) -> DMatrix<f64> {
    check_engine(model);
    let t = check_sequence(model, "fast_gpt::logits", ids);
    logits_all(model, &[ids], t)
}

/// The attention weights of every block and head for one sequence:
/// `maps[layer][head]` is `T x T`, row `i` the weights of query `i`.
///
/// # Panics
/// As [`logits`].
pub fn attention_maps(model: &Gpt, ids: &[usize]) -> Vec<Vec<DMatrix<f64>>> {
    check_engine(model);
    let t = check_sequence(model, "fast_gpt::attention_maps", ids);
    let (_, caches) = forward_all(model, &[ids], t);
    caches
        .into_iter()
        .map(|c| c.a.iter().map(|a| a.transpose()).collect())
        .collect()
}

/// The mean next-token cross-entropy of a batch, forward only.
///
/// # Panics
/// As [`Gpt::check_batch`].
pub fn loss(model: &Gpt, batch: &[Vec<usize>]) -> f64 {
    check_engine(model);
    let t = model.check_batch("fast_gpt::loss", batch);
    let inputs: Vec<&[usize]> = batch.iter().map(|s| &s[..t]).collect();
    let logits = logits_all(model, &inputs, t);
    let targets: Vec<usize> =
        batch.iter().flat_map(|s| s[1..].iter().copied()).collect();
    cross_entropy(&logits, &targets, Reduction::Mean).0
}

/// `n` new ids after `prompt`, each drawn from `softmax(z/τ)` of the last
/// position, the context cut to the last `T_max` ids.
///
/// # Panics
/// When the prompt is empty or holds an unknown id, or `τ ≤ 0`.
pub fn sample(
    model: &Gpt,
    prompt: &[usize],
    n: usize,
    temperature: f64,
    rng: &mut Rng,
) -> Vec<usize> {
    assert!(!prompt.is_empty(), "fast_gpt::sample: the prompt is empty");
    assert!(
        temperature > 0.0,
        "fast_gpt::sample: temperature must be > 0"
    );
    let mut ids = prompt.to_vec();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let start = ids.len().saturating_sub(model.config.max_len);
        let z = logits(model, &ids[start..]);
        let p = softmax_columns(&(z.columns(z.ncols() - 1, 1) / temperature));
        let next = draw(&p, rng);
        ids.push(next);
        out.push(next);
    }
    out
}

/// The mean next-token cross-entropy of a batch of sequences of `T + 1`
/// ids, and every gradient: the engine version of
/// [`Gpt::loss_reference`].
///
/// # Panics
/// As [`Gpt::check_batch`], and on post-norm blocks.
pub fn loss_and_grads(model: &Gpt, batch: &[Vec<usize>]) -> (f64, Gpt) {
    check_engine(model);
    let t = model.check_batch("fast_gpt::loss_and_grads", batch);
    let seqs = batch.len();
    let n = (seqs * t) as f64;
    let inputs: Vec<&[usize]> = batch.iter().map(|s| &s[..t]).collect();
    let (h, caches) = forward_all(model, &inputs, t);
    let (z, lnf) = ln_forward(&model.ln_f, &h);
    let mut d_logits = &model.w_out * &z;
    // fused softmax + cross-entropy, in place: ∂L/∂z = (ŷ − y)/n
    let mut loss = 0.0;
    let v = model.config.vocab;
    for (j, col) in d_logits.as_mut_slice().chunks_exact_mut(v).enumerate() {
        let y = batch[j / t][j % t + 1];
        let max = col.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for x in col.iter_mut() {
            *x = (*x - max).exp();
            sum += *x;
        }
        loss -= (col[y] / sum).ln();
        let inv = 1.0 / (sum * n);
        col.iter_mut().for_each(|x| *x *= inv);
        col[y] -= 1.0 / n;
    }
    loss /= n;
    let mut g = model.zeros_like();
    g.w_out = mul(&d_logits, &tr(&z));
    let d_z = mul(&tr(&model.w_out), &d_logits);
    let mut d_h =
        ln_backward(&model.ln_f, &lnf.x_hat, &lnf.inv_std, &d_z, &mut g.ln_f);
    for (i, blk) in model.blocks.iter().enumerate().rev() {
        d_h = block_backward(blk, &caches[i], &d_h, seqs, t, &mut g.blocks[i]);
    }
    // x = W_E[:, id] + p_t
    embed_backward(&d_h, &inputs.concat(), &mut g.wte);
    if let Positional::Learned(p) = &mut g.pos {
        for s in 0..seqs {
            let mut cols = p.columns_mut(0, t);
            cols += d_h.columns(s * t, t);
        }
    }
    (loss, g)
}
