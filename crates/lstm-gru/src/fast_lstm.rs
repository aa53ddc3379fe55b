//! The fast path of the LSTM character model: the same forward, BPTT and
//! Adagrad update as the generic [`vanilla_rnn_bptt::CharTrainer`] running
//! an [`LstmCell`] (one sequence, `B = 1`, the summed loss), written for
//! speed and tested equal to it:
//!
//! * every buffer is allocated once, in [`FastLstm::new`]; a training step
//!   allocates nothing;
//! * the input is one-hot, so `W_x x_t` is column `x_t` of `W_x`;
//! * only the recurrence is sequential: per step one product `W_h h_{t−1}`
//!   forward and one `W_hᵀ ∇a_t` backward. Everything that does not feed the
//!   next step is done once for the whole chunk as a matrix product: the
//!   logits `V H`, `∇H = Vᵀ ∇O`, `∇V = ∇O Hᵀ` and `∇W_h = ∇A H_{prev}ᵀ`;
//! * clipping and Adagrad are one fused loop over the parameters.
//!
//! Book: *LSTM and GRU → Speed*.

use crate::lstm_cell::LstmCell;
use foundations::{Error, Mat, Params, ensure_finite};
use nalgebra::DVector;
use std::ops::AddAssign;
use vanilla_rnn_bptt::RecurrentModel;

/// `y += a x`.
#[inline]
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `Σ a_i b_i` with eight independent partial sums, so that the compiler
/// can keep them in vector registers.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = acc.iter().sum::<f64>();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `e^x` without a library call, so that loops over slices vectorise:
/// `x = k ln 2 + r` with `k` an integer and `|r| ≤ ln 2 / 2`, `e^r` by its
/// Taylor series to `r^13` (truncation error below `1e-17`), and `2^k`
/// written directly into the exponent bits. Within a few ulps of
/// `f64::exp` (tested); inputs are clamped to `[−708, 709]`.
#[inline(always)]
pub fn exp_vec(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-708.0, 709.0);
    let kf = x.mul_add(std::f64::consts::LOG2_E, MAGIC);
    let k_bits = kf.to_bits().wrapping_sub(MAGIC.to_bits());
    let k = kf - MAGIC;
    let r = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, x));
    let mut p: f64 = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(r, c);
    }
    p * f64::from_bits(k_bits.wrapping_add(1023) << 52)
}

/// `σ(x) = 1 / (1 + e^{−x})` with [`exp_vec`].
#[inline(always)]
pub fn sigmoid_vec(x: f64) -> f64 {
    1.0 / (1.0 + exp_vec(-x))
}

/// `tanh(x)` with [`exp_vec`]: `1 − 2 / (e^{2|x|} + 1)` with the sign put
/// back, and its odd Taylor series below `|x| < 0.05`, where the
/// subtraction would lose digits. Within 1e-14 relative of `f64::tanh`
/// (tested).
#[inline(always)]
pub fn tanh_vec(x: f64) -> f64 {
    let a = x.abs();
    let big = 1.0 - 2.0 / (exp_vec(2.0 * a) + 1.0);
    let a2 = a * a;
    // x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835
    let small = a
        * (62.0 / 2835.0f64)
            .mul_add(a2, -17.0 / 315.0)
            .mul_add(a2, 2.0 / 15.0)
            .mul_add(a2, -1.0 / 3.0)
            .mul_add(a2, 1.0);
    let t = if a < 0.05 { small } else { big };
    t.copysign(x)
}

/// Preallocated buffers for forward + BPTT of an LSTM char model over
/// chunks of `T` characters, its gradients and its Adagrad memory.
#[derive(Debug, Clone)]
pub struct FastLstm {
    n: usize,
    v: usize,
    t_max: usize,
    /// `h_0 … h_T` as columns (`n x (T + 1)`).
    hs: Mat,
    /// `c_0 … c_T`.
    cs: Mat,
    /// `tanh(c_1) … tanh(c_T)`.
    tanh_cs: Mat,
    /// Activated gates `[i; f; o; g]` per step (`4n x T`).
    gates: Mat,
    /// Pre-activation gradients per step (`4n x T`).
    d_a: Mat,
    /// Logits, then probabilities, then `∇O` (`V x T`).
    probs: Mat,
    /// `∇H` from the output layer (`n x T`).
    d_hs: Mat,
    d_h: DVector<f64>,
    d_c: DVector<f64>,
    /// The gradients, as a model (`cell.w`, `cell.b`, `out.v`, `out.c`).
    grads: RecurrentModel<LstmCell>,
    /// Adagrad's memory, as a model.
    memory: RecurrentModel<LstmCell>,
}

impl FastLstm {
    /// Buffers for `model` and chunks of up to `t_max` characters.
    ///
    /// # Errors
    /// [`Error::Config`] when `t_max` is 0 or the model does not read the
    /// vocabulary it predicts.
    pub fn new(
        model: &RecurrentModel<LstmCell>,
        t_max: usize,
    ) -> Result<Self, Error> {
        let n = model.cell.w.nrows() / 4;
        let v = model.outputs();
        if t_max == 0 || model.cell.w.ncols() != n + v {
            return Err(Error::config(
                "FastLstm",
                format!(
                    "needs T ≥ 1 (got {t_max}) and a cell reading the {v} \
                     classes it predicts (it reads {})",
                    model.cell.w.ncols() - n
                ),
            ));
        }
        let mut zeros = model.clone();
        zeros.visit_mut(&mut |_, m| m.fill(0.0));
        Ok(FastLstm {
            n,
            v,
            t_max,
            hs: Mat::zeros(n, t_max + 1),
            cs: Mat::zeros(n, t_max + 1),
            tanh_cs: Mat::zeros(n, t_max + 1),
            gates: Mat::zeros(4 * n, t_max),
            d_a: Mat::zeros(4 * n, t_max),
            probs: Mat::zeros(v, t_max),
            d_hs: Mat::zeros(n, t_max),
            d_h: DVector::zeros(n),
            d_c: DVector::zeros(n),
            grads: zeros.clone(),
            memory: zeros,
        })
    }

    /// The gradients of the last [`FastLstm::loss_and_grads`].
    pub fn grads(&self) -> &RecurrentModel<LstmCell> {
        &self.grads
    }

    /// `h_T` and `c_T` of the last chunk (`T = inputs.len()`), to carry on.
    pub fn last_state(&self, t_steps: usize) -> (Mat, Mat) {
        (
            self.hs.columns(t_steps, 1).into_owned(),
            self.cs.columns(t_steps, 1).into_owned(),
        )
    }

    /// The summed cross-entropy `L = −Σ_t log ŷ_t[y_t]` of predicting
    /// `targets` from `inputs` (ids) starting from `(h0, c0)`, and its
    /// gradients, kept in [`FastLstm::grads`].
    ///
    /// # Panics
    /// When the chunk is empty or longer than `T`, the lengths differ, an
    /// id is outside the vocabulary, or `h0`, `c0` are not `n x 1`.
    pub fn loss_and_grads(
        &mut self,
        model: &RecurrentModel<LstmCell>,
        inputs: &[usize],
        targets: &[usize],
        h0: &Mat,
        c0: &Mat,
    ) -> f64 {
        let (n, v, t_len) = (self.n, self.v, inputs.len());
        assert!(
            t_len >= 1 && t_len <= self.t_max && targets.len() == t_len,
            "FastLstm::loss_and_grads: {t_len} inputs and {} targets, \
             expected 1 ≤ T ≤ {} of each",
            targets.len(),
            self.t_max
        );
        assert!(
            inputs.iter().chain(targets).all(|&i| i < v),
            "FastLstm::loss_and_grads: an id is outside the vocabulary of {v}"
        );
        assert!(
            h0.shape() == (n, 1) && c0.shape() == (n, 1),
            "FastLstm::loss_and_grads: h0 is {:?}, c0 is {:?}, expected \
             {n}x1",
            h0.shape(),
            c0.shape()
        );
        let m = 4 * n;
        let ws = model.cell.w.as_slice();
        let bs = model.cell.b.as_slice();
        self.hs.column_mut(0).copy_from(&h0.column(0));
        self.cs.column_mut(0).copy_from(&c0.column(0));
        // ANCHOR: fast_forward
        for (t, &id) in inputs.iter().enumerate() {
            // a = W_h h_{t−1} + (column id of W_x) + b
            let g = &mut self.gates.as_mut_slice()[t * m..(t + 1) * m];
            let w_id = &ws[(n + id) * m..(n + id + 1) * m];
            for ((g, b), w) in g.iter_mut().zip(bs).zip(w_id) {
                *g = b + w;
            }
            let h_prev = &self.hs.as_slice()[t * n..(t + 1) * n];
            // four columns of W_h at a time: g is read and written once
            // per four columns instead of once per column
            let mut j = 0;
            while j + 4 <= n {
                let c = &ws[j * m..(j + 4) * m];
                let (c0, c1, c2, c3) =
                    (&c[..m], &c[m..2 * m], &c[2 * m..3 * m], &c[3 * m..]);
                let (h0, h1, h2, h3) =
                    (h_prev[j], h_prev[j + 1], h_prev[j + 2], h_prev[j + 3]);
                for r in 0..m {
                    g[r] += h0 * c0[r] + h1 * c1[r] + h2 * c2[r] + h3 * c3[r];
                }
                j += 4;
            }
            for (jj, &h) in h_prev.iter().enumerate().skip(j) {
                axpy(g, h, &ws[jj * m..(jj + 1) * m]);
            }
            // the nonlinearities over contiguous slices, so that they
            // vectorise: σ on the i, f, o blocks, tanh on the g block
            for v in &mut g[..3 * n] {
                *v = sigmoid_vec(*v);
            }
            for v in &mut g[3 * n..] {
                *v = tanh_vec(*v);
            }
            let (c_prev, c_rest) =
                self.cs.as_mut_slice().split_at_mut((t + 1) * n);
            let c_prev = &c_prev[t * n..];
            let c = &mut c_rest[..n];
            let tc = &mut self.tanh_cs.as_mut_slice()[(t + 1) * n..(t + 2) * n];
            let h = &mut self.hs.as_mut_slice()[(t + 1) * n..(t + 2) * n];
            for k in 0..n {
                c[k] = g[n + k] * c_prev[k] + g[k] * g[3 * n + k];
                tc[k] = tanh_vec(c[k]);
                h[k] = g[2 * n + k] * tc[k];
            }
        }
        // ANCHOR_END: fast_forward
        // logits for the whole chunk at once: O = V H + c
        let hs = self.hs.columns(1, t_len);
        let mut probs = self.probs.columns_mut(0, t_len);
        for mut col in probs.column_iter_mut() {
            col.copy_from(&model.out.c.column(0));
        }
        probs.gemm(1.0, &model.out.v, &hs, 1.0);
        let mut loss = 0.0;
        for (t, &y) in targets.iter().enumerate() {
            let mut col = probs.column_mut(t);
            let max = col.max();
            let mut sum = 0.0;
            for p in col.iter_mut() {
                *p = exp_vec(*p - max);
                sum += *p;
            }
            col /= sum;
            loss -= col[y].ln();
            col[y] -= 1.0; // ∇o = ŷ − y
        }
        // output layer backward for all steps at once
        let g = &mut self.grads;
        g.out.v.gemm(1.0, &probs, &hs.transpose(), 0.0);
        g.out.c.fill(0.0);
        for col in probs.column_iter() {
            g.out.c.column_mut(0).add_assign(col);
        }
        let mut d_hs = self.d_hs.columns_mut(0, t_len);
        d_hs.gemm_tr(1.0, &model.out.v, &probs, 0.0);
        // ANCHOR: fast_backward
        self.d_h.fill(0.0);
        self.d_c.fill(0.0);
        for t in (0..t_len).rev() {
            let gt = self.gates.column(t);
            let mut da = self.d_a.column_mut(t);
            for k in 0..n {
                let (i, f, o, gg) =
                    (gt[k], gt[n + k], gt[2 * n + k], gt[3 * n + k]);
                let tc = self.tanh_cs[(k, t + 1)];
                let dh = self.d_h[k] + d_hs[(k, t)];
                let dc = self.d_c[k] + dh * o * (1.0 - tc * tc);
                da[k] = dc * gg * i * (1.0 - i);
                da[n + k] = dc * self.cs[(k, t)] * f * (1.0 - f);
                da[2 * n + k] = dh * tc * o * (1.0 - o);
                da[3 * n + k] = dc * i * (1.0 - gg * gg);
                self.d_c[k] = dc * f;
            }
            // ∇h_{t−1} = W_hᵀ ∇a_t, one dot product per column of W_h
            let da = da.as_slice();
            for (j, dh) in self.d_h.iter_mut().enumerate() {
                *dh = dot(&ws[j * m..(j + 1) * m], da);
            }
        }
        // ANCHOR_END: fast_backward
        let d_a = self.d_a.columns(0, t_len);
        g.cell.w.columns_mut(0, n).gemm(
            1.0,
            &d_a,
            &self.hs.columns(0, t_len).transpose(),
            0.0,
        );
        g.cell.w.columns_mut(n, v).fill(0.0);
        g.cell.b.fill(0.0);
        for (t, &id) in inputs.iter().enumerate() {
            g.cell.w.column_mut(n + id).axpy(1.0, &d_a.column(t), 1.0);
            g.cell.b.column_mut(0).axpy(1.0, &d_a.column(t), 1.0);
        }
        loss
    }

    /// Clips every gradient entry to `[−clip, clip]` and applies Adagrad
    /// (`m ← m + g²; θ ← θ − lr g / sqrt(m + 1e-8)`, as
    /// `foundations::optim::Adagrad`) in one pass.
    pub fn clip_and_adagrad(
        &mut self,
        model: &mut RecurrentModel<LstmCell>,
        lr: f64,
        clip: f64,
    ) {
        let g = &self.grads;
        let pairs: [(&mut Mat, &Mat, &mut Mat); 4] = {
            let m = &mut self.memory;
            let (mc, mo) = (&mut m.cell, &mut m.out);
            let (p_cell, p_out) = (&mut model.cell, &mut model.out);
            [
                (&mut p_cell.w, &g.cell.w, &mut mc.w),
                (&mut p_cell.b, &g.cell.b, &mut mc.b),
                (&mut p_out.v, &g.out.v, &mut mo.v),
                (&mut p_out.c, &g.out.c, &mut mo.c),
            ]
        };
        for (theta, grad, mem) in pairs {
            let (theta, mem) = (theta.as_mut_slice(), mem.as_mut_slice());
            for ((t, &g), m) in
                theta.iter_mut().zip(grad.as_slice()).zip(mem.iter_mut())
            {
                let g = g.clamp(-clip, clip);
                *m += g * g;
                *t -= lr * g / (*m + 1e-8).sqrt();
            }
        }
    }
}

/// min-char-rnn's training loop for an LSTM on the fast path: chunks of
/// `T` characters, the state carried from chunk to chunk and reset when the
/// corpus wraps, element-wise clipping to ±5 and Adagrad.
#[derive(Debug, Clone)]
pub struct FastLstmTrainer {
    fast: FastLstm,
    data: Vec<usize>,
    pos: usize,
    h: Mat,
    c: Mat,
    t_len: usize,
    lr: f64,
    steps: usize,
}

impl FastLstmTrainer {
    /// A trainer for `model` on `data` with chunks of `t_len` and Adagrad's
    /// learning rate `lr`.
    ///
    /// # Errors
    /// As [`FastLstm::new`]; [`Error::Data`] when `data` has fewer than
    /// `T + 1` characters or an id outside the vocabulary.
    pub fn new(
        model: &RecurrentModel<LstmCell>,
        data: Vec<usize>,
        t_len: usize,
        lr: f64,
    ) -> Result<Self, Error> {
        let fast = FastLstm::new(model, t_len)?;
        vanilla_rnn_bptt::check_ids(&data, model.outputs())?;
        if data.len() < t_len + 1 {
            return Err(Error::Data(format!(
                "FastLstmTrainer: {} characters, need at least T + 1 = {}",
                data.len(),
                t_len + 1
            )));
        }
        let n = fast.n;
        Ok(FastLstmTrainer {
            fast,
            data,
            pos: 0,
            h: Mat::zeros(n, 1),
            c: Mat::zeros(n, 1),
            t_len,
            lr,
            steps: 0,
        })
    }

    /// One update on the next chunk; returns its loss.
    ///
    /// # Errors
    /// [`Error::NonFiniteLoss`] when the loss is not finite (the model is
    /// left unchanged).
    pub fn step(
        &mut self,
        model: &mut RecurrentModel<LstmCell>,
    ) -> Result<f64, Error> {
        let t = self.t_len;
        if self.pos + t + 1 > self.data.len() {
            self.pos = 0;
            self.h.fill(0.0);
            self.c.fill(0.0);
        }
        let (p, d) = (self.pos, &self.data);
        let loss = self.fast.loss_and_grads(
            model,
            &d[p..p + t],
            &d[p + 1..p + t + 1],
            &self.h,
            &self.c,
        );
        let loss = ensure_finite(loss, self.steps)?;
        self.fast.clip_and_adagrad(model, self.lr, 5.0);
        self.h.column_mut(0).copy_from(&self.fast.hs.column(t));
        self.c.column_mut(0).copy_from(&self.fast.cs.column(t));
        self.pos += t;
        self.steps += 1;
        Ok(loss)
    }

    /// Updates done so far.
    pub fn steps(&self) -> usize {
        self.steps
    }
}
