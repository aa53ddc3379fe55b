//! The fast path of the character model: the same forward, BPTT and
//! Adagrad update as [`crate::bptt`] + [`crate::CharTrainer`] for the
//! vanilla cell with one sequence (`B = 1`), written for speed (one-hot
//! column lookups, buffers allocated once, only the recurrence step by
//! step, the course's one update [`foundations::optim::clip_adagrad`]) and
//! tested equal to the textbook code.
//!
//! Book: `vanilla-rnn-bptt/speed.md#what-the-fast-path-changes`
//! (what each shortcut does).

use crate::output::RecurrentModel;
use crate::rnn_cell::RnnCell;
use crate::train::{Chunks, TrainConfig};
use foundations::fast_math::{axpy, exp_vec, gemv_acc, tanh_vec};
use foundations::optim::clip_adagrad;
use foundations::{Error, ParamsExt, ensure_finite};
use nalgebra::DMatrix;

/// Preallocated buffers for forward + BPTT over chunks of up to `T`
/// characters, and the gradients they produce.
#[derive(Debug, Clone)]
pub struct FastBptt {
    t_max: usize,
    /// `h^(0) … h^(T)` as the columns of an `n x (T + 1)` matrix.
    hs: DMatrix<f64>,
    /// The same, transposed: `(T + 1) x n`, for `∇V` and `∇W` as products.
    hs_t: DMatrix<f64>,
    /// `o^(t)`, then `ŷ^(t)`, then `∇o^(t) = ŷ^(t) − y^(t)` (`V x T`).
    probs: DMatrix<f64>,
    /// `Vᵀ ∇o^(t)` for every step (`n x T`).
    d_ho: DMatrix<f64>,
    /// `∇a^(t)` for every step (`n x T`).
    d_a: DMatrix<f64>,
    /// `Wᵀ` (`n x n`) and `Vᵀ` (`n x V`), copied once per call.
    w_t: DMatrix<f64>,
    v_t: DMatrix<f64>,
    dh_next: Vec<f64>,
    /// The gradients of the last call, named like the model's parameters.
    pub grads: RecurrentModel<RnnCell>,
}

impl FastBptt {
    /// Buffers for `model` and chunks of up to `t_max` characters.
    pub fn new(model: &RecurrentModel<RnnCell>, t_max: usize) -> Self {
        let n = model.cell.w.nrows();
        let v = model.out.v.nrows();
        FastBptt {
            t_max,
            hs: DMatrix::zeros(n, t_max + 1),
            hs_t: DMatrix::zeros(t_max + 1, n),
            probs: DMatrix::zeros(v, t_max),
            d_ho: DMatrix::zeros(n, t_max),
            d_a: DMatrix::zeros(n, t_max),
            w_t: DMatrix::zeros(n, n),
            v_t: DMatrix::zeros(n, v),
            dh_next: vec![0.0; n],
            grads: model.zeros_like(),
        }
    }

    /// `h^(T)` of the last call.
    pub fn last_h(&self, t_steps: usize) -> &[f64] {
        let n = self.hs.nrows();
        &self.hs.as_slice()[t_steps * n..(t_steps + 1) * n]
    }

    /// The summed loss of predicting `targets` from `inputs` (ids) starting
    /// from `h0`, and its gradients into `self.grads`. Nothing is checked
    /// here beyond slice bounds: callers check ids and lengths once.
    ///
    /// # Panics
    /// When the chunk is longer than the buffers or an id is out of range.
    // ANCHOR: fast_bptt
    pub fn run(
        &mut self,
        m: &RecurrentModel<RnnCell>,
        h0: &[f64],
        inputs: &[usize],
        targets: &[usize],
    ) -> f64 {
        let t_steps = inputs.len();
        assert!(t_steps <= self.t_max, "FastBptt::run: chunk too long");
        let n = m.cell.w.nrows();
        let (w, u, b) = (m.cell.w.as_slice(), m.cell.u.as_slice(), &m.cell.b);
        // forward: h^(t) = tanh(W h^(t−1) + U[:, x^(t)] + b)
        let hs = self.hs.as_mut_slice();
        hs[..n].copy_from_slice(h0);
        for (t, &x) in inputs.iter().enumerate() {
            let (past, now) = hs.split_at_mut((t + 1) * n);
            let h = &mut now[..n];
            for ((h, b), u) in h.iter_mut().zip(b.iter()).zip(&u[x * n..]) {
                *h = b + u;
            }
            gemv_acc(h, w, &past[t * n..]);
            h.iter_mut().for_each(|a| *a = tanh_vec(*a));
        }
        self.hs.transpose_to(&mut self.hs_t);
        // o^(t) = V h^(t) + c for every t at once; ŷ = softmax(o)
        let mut o = self.probs.columns_mut(0, t_steps);
        o.gemm(1.0, &m.out.v, &self.hs.columns(1, t_steps), 0.0);
        let mut loss = 0.0;
        for (t, mut p) in o.column_iter_mut().enumerate() {
            p += &m.out.c;
            let max = p.max();
            p.apply(|o| *o = exp_vec(*o - max));
            let sum = p.sum();
            p /= sum;
            loss -= p[targets[t]].ln();
            p[targets[t]] -= 1.0; // ∇o^(t) = ŷ^(t) − y^(t)
        }
        let d_o = self.probs.columns(0, t_steps);
        let g = &mut self.grads;
        // ∇c = Σ_t ∇o^(t), ∇V = Σ_t ∇o^(t) h^(t)ᵀ, and Vᵀ ∇o^(t) for all t
        g.out.c.fill(0.0);
        for col in d_o.column_iter() {
            g.out.c += col;
        }
        g.out.v.gemm(1.0, &d_o, &self.hs_t.rows(1, t_steps), 0.0);
        m.out.v.transpose_to(&mut self.v_t);
        let mut d_ho = self.d_ho.columns_mut(0, t_steps);
        d_ho.gemm(1.0, &self.v_t, &d_o, 0.0);
        // the recurrence, backwards: ∇a^(t) = (1 − h²) ⊙ (Vᵀ∇o^(t) + Wᵀ∇a^(t+1))
        m.cell.w.transpose_to(&mut self.w_t);
        g.cell.u.fill(0.0);
        self.dh_next.fill(0.0);
        let (hs, d_ho) = (self.hs.as_slice(), self.d_ho.as_slice());
        let (d_a, w_t) = (self.d_a.as_mut_slice(), self.w_t.as_slice());
        let du = g.cell.u.as_mut_slice();
        for t in (0..t_steps).rev() {
            let h = &hs[(t + 1) * n..(t + 2) * n];
            let da = &mut d_a[t * n..(t + 1) * n];
            let dho = &d_ho[t * n..(t + 1) * n];
            for i in 0..n {
                da[i] = (1.0 - h[i] * h[i]) * (dho[i] + self.dh_next[i]);
            }
            // ∇U[:, x^(t)] += ∇a^(t): the one column x^(t) selects
            axpy(&mut du[inputs[t] * n..(inputs[t] + 1) * n], 1.0, da);
            self.dh_next.fill(0.0);
            gemv_acc(&mut self.dh_next, w_t, da); // Wᵀ ∇a^(t)
        }
        // ∇b = Σ_t ∇a^(t), ∇W = Σ_t ∇a^(t) h^(t−1)ᵀ
        let d_a = self.d_a.columns(0, t_steps);
        g.cell.b.fill(0.0);
        for col in d_a.column_iter() {
            g.cell.b += col;
        }
        g.cell.w.gemm(1.0, &d_a, &self.hs_t.rows(0, t_steps), 0.0);
        loss
    }
    // ANCHOR_END: fast_bptt
}

/// [`crate::CharTrainer`] for the vanilla cell on the fast path: the same
/// [`Chunks`], state carrying, clipping and Adagrad, with the same numbers
/// up to rounding (tested).
#[derive(Debug, Clone)]
pub struct FastTrainer {
    chunks: Chunks,
    h: Vec<f64>,
    bptt: FastBptt,
    mem: RecurrentModel<RnnCell>,
    lr: f64,
    clip: f64,
}

impl FastTrainer {
    /// A fast trainer for `model` on `data`.
    ///
    /// # Errors
    /// As [`TrainConfig::fast_clip`] (the fast path implements
    /// min-char-rnn's recipe only) and [`Chunks::new`].
    pub fn new(
        model: &RecurrentModel<RnnCell>,
        data: Vec<usize>,
        config: TrainConfig,
    ) -> Result<Self, Error> {
        let clip = config.fast_clip("FastTrainer")?;
        let sizes = (model.cell.u.ncols(), model.out.v.nrows());
        Ok(FastTrainer {
            chunks: Chunks::new("FastTrainer", data, sizes, &config)?,
            h: vec![0.0; model.cell.w.nrows()],
            bptt: FastBptt::new(model, config.seq_len),
            mem: model.zeros_like(),
            lr: config.lr,
            clip,
        })
    }

    /// One update on the next chunk; returns its loss.
    ///
    /// # Errors
    /// [`Error::NonFiniteLoss`] (the model is then left unchanged).
    pub fn step(
        &mut self,
        model: &mut RecurrentModel<RnnCell>,
    ) -> Result<f64, Error> {
        let step = self.chunks.steps();
        let (inputs, targets, wrapped) = self.chunks.chunk();
        if wrapped {
            self.h.fill(0.0);
        }
        let t = inputs.len();
        let loss = self.bptt.run(model, &self.h, inputs, targets);
        ensure_finite(loss, step)?;
        let (g, mem) = (&self.bptt.grads, &mut self.mem);
        for (theta, g, m) in [
            (&mut model.cell.w, &g.cell.w, &mut mem.cell.w),
            (&mut model.cell.u, &g.cell.u, &mut mem.cell.u),
            (&mut model.cell.b, &g.cell.b, &mut mem.cell.b),
            (&mut model.out.v, &g.out.v, &mut mem.out.v),
            (&mut model.out.c, &g.out.c, &mut mem.out.c),
        ] {
            let (theta, g, m) = (theta.as_mut_slice(), g.as_slice(), m);
            clip_adagrad(theta, g, m.as_mut_slice(), self.clip, self.lr);
        }
        self.h.copy_from_slice(self.bptt.last_h(t));
        self.chunks.advance(loss);
        Ok(loss)
    }

    /// Updates done so far.
    pub fn steps(&self) -> usize {
        self.chunks.steps()
    }

    /// The moving average of the chunk loss ([`Chunks::smooth_loss`]).
    pub fn smooth_loss(&self) -> f64 {
        self.chunks.smooth_loss()
    }

    /// `h`, the state carried into the next chunk (`n` entries).
    pub fn state(&self) -> &[f64] {
        &self.h
    }
}
