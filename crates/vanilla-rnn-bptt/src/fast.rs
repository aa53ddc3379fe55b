//! The fast path of the character model: the same forward, BPTT and
//! Adagrad update as [`crate::bptt`] + [`crate::CharTrainer`] for the
//! vanilla cell with one sequence (`B = 1`), written for speed and tested
//! equal to the textbook code:
//!
//! * the input is one-hot, so `U x^(t)` is column `x^(t)` of `U`, and
//!   `∇U += ∇a x^(t)ᵀ` only touches that column;
//! * every buffer is allocated once, in [`FastBptt::new`]; the inner loop
//!   allocates nothing;
//! * products walk the column-major matrices column by column (`axpy` and
//!   `dot` on contiguous slices), which the compiler vectorises; the
//!   backward pass fuses `∇W += ∇a h^(t−1)ᵀ` with `Wᵀ ∇a` so each column of
//!   `W` is read once per step;
//! * clipping and Adagrad are one fused loop over the parameters.
//!
//! Book: *Recurrent networks and BPTT → Speed*.

use crate::output::RecurrentModel;
use crate::rnn_cell::RnnCell;
use crate::train::{TrainConfig, check_ids};
use crate::{Clip, LossScale};
use foundations::{Error, Params, ParamsExt, ensure_finite};

/// `y += a x`.
#[inline]
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `Σ a_i b_i` with eight independent partial sums, so the compiler can
/// keep them in vector registers (a single running sum is a chain of
/// dependent additions that cannot be vectorised).
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

/// Preallocated buffers for forward + BPTT over chunks of up to `T`
/// characters, and the gradients they produce.
#[derive(Debug, Clone)]
pub struct FastBptt {
    n: usize,
    v: usize,
    /// `h^(0) … h^(T)`, one after the other (`(T + 1)·n`).
    hs: Vec<f64>,
    /// `ŷ^(1) … ŷ^(T)` (`T·V`).
    ps: Vec<f64>,
    dh: Vec<f64>,
    dh_next: Vec<f64>,
    da: Vec<f64>,
    /// The gradients of the last call, named like the model's parameters.
    pub grads: RecurrentModel<RnnCell>,
}

impl FastBptt {
    /// Buffers for `model` and chunks of up to `t_max` characters.
    pub fn new(model: &RecurrentModel<RnnCell>, t_max: usize) -> Self {
        let n = model.cell.w.nrows();
        let v = model.out.v.nrows();
        FastBptt {
            n,
            v,
            hs: vec![0.0; (t_max + 1) * n],
            ps: vec![0.0; t_max * v],
            dh: vec![0.0; n],
            dh_next: vec![0.0; n],
            da: vec![0.0; n],
            grads: model.zeros_like(),
        }
    }

    /// `h^(T)` of the last call.
    pub fn last_h(&self, t_steps: usize) -> &[f64] {
        &self.hs[t_steps * self.n..(t_steps + 1) * self.n]
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
        let (n, v, t_steps) = (self.n, self.v, inputs.len());
        let (w, u, b) = (m.cell.w.as_slice(), m.cell.u.as_slice(), &m.cell.b);
        let (vm, c) = (m.out.v.as_slice(), m.out.c.as_slice());
        self.hs[..n].copy_from_slice(h0);
        let mut loss = 0.0;
        for t in 0..t_steps {
            let (past, now) = self.hs.split_at_mut((t + 1) * n);
            let (h_prev, h) = (&past[t * n..], &mut now[..n]);
            // a = W h^(t−1) + U x^(t) + b, with U x^(t) = column x^(t) of U
            let x = inputs[t];
            for i in 0..n {
                h[i] = b[i] + u[x * n + i];
            }
            for j in 0..n {
                axpy(h, h_prev[j], &w[j * n..(j + 1) * n]);
            }
            h.iter_mut().for_each(|a| *a = a.tanh()); // h = tanh(a)
            // o = V h + c, then ŷ = softmax(o)
            let p = &mut self.ps[t * v..(t + 1) * v];
            p.copy_from_slice(c);
            for j in 0..n {
                axpy(p, h[j], &vm[j * v..(j + 1) * v]);
            }
            let max = p.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let mut sum = 0.0;
            for o in p.iter_mut() {
                *o = (*o - max).exp();
                sum += *o;
            }
            p.iter_mut().for_each(|o| *o /= sum);
            loss -= p[targets[t]].ln();
        }
        let g = &mut self.grads;
        g.visit_mut(&mut |_, m| m.fill(0.0));
        let (dw, du) = (g.cell.w.as_mut_slice(), g.cell.u.as_mut_slice());
        let db = g.cell.b.as_mut_slice();
        let (dv, dc) = (g.out.v.as_mut_slice(), g.out.c.as_mut_slice());
        self.dh_next.fill(0.0);
        for t in (0..t_steps).rev() {
            let h = &self.hs[(t + 1) * n..(t + 2) * n];
            let h_prev = &self.hs[t * n..(t + 1) * n];
            // ∇o = ŷ − y (ps is not needed again: use it in place)
            let dy = &mut self.ps[t * v..(t + 1) * v];
            dy[targets[t]] -= 1.0;
            axpy(dc, 1.0, dy);
            // ∇V += ∇o hᵀ and ∇h = Vᵀ ∇o + ∇h_next, column by column
            for j in 0..n {
                let col = j * v..(j + 1) * v;
                axpy(&mut dv[col.clone()], h[j], dy);
                self.dh[j] = self.dh_next[j] + dot(&vm[col], dy);
            }
            // ∇a = (1 − h²) ⊙ ∇h; ∇b += ∇a; ∇U[:, x] += ∇a
            let x = inputs[t];
            for i in 0..n {
                self.da[i] = (1.0 - h[i] * h[i]) * self.dh[i];
            }
            axpy(db, 1.0, &self.da);
            axpy(&mut du[x * n..(x + 1) * n], 1.0, &self.da);
            // ∇W += ∇a h^(t−1)ᵀ and ∇h_next = Wᵀ ∇a, column by column
            for j in 0..n {
                let col = j * n..(j + 1) * n;
                axpy(&mut dw[col.clone()], h_prev[j], &self.da);
                self.dh_next[j] = dot(&w[col], &self.da);
            }
        }
        loss
    }
    // ANCHOR_END: fast_bptt
}

/// Clip element-wise to `±clip`, then Adagrad: `m ← m + g²`,
/// `θ ← θ − η g / sqrt(m + ε)`, in one loop over every entry.
// ANCHOR: fast_update
fn clip_adagrad(
    theta: &mut [f64],
    g: &[f64],
    mem: &mut [f64],
    clip: f64,
    lr: f64,
) {
    for ((t, &g), m) in theta.iter_mut().zip(g).zip(mem.iter_mut()) {
        let g = g.clamp(-clip, clip);
        *m += g * g;
        *t -= lr * g / (*m + 1e-8).sqrt();
    }
}
// ANCHOR_END: fast_update

/// [`crate::CharTrainer`] for the vanilla cell on the fast path: the same
/// chunks, state carrying, clipping to ±5 and Adagrad, with the same
/// numbers up to rounding (tested).
#[derive(Debug, Clone)]
pub struct FastTrainer {
    data: Vec<usize>,
    pos: usize,
    h: Vec<f64>,
    bptt: FastBptt,
    mem: RecurrentModel<RnnCell>,
    config: TrainConfig,
    steps: usize,
    smooth_loss: f64,
}

impl FastTrainer {
    /// A fast trainer for `model` on `data`.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad configuration or one the fast path does
    /// not cover (it implements the min-char-rnn recipe: the summed loss,
    /// element-wise clipping, no truncation inside a chunk), or a model
    /// whose input and output sizes differ; [`Error::Data`] for fewer than
    /// `T + 1` characters or an id outside the vocabulary.
    pub fn new(
        model: &RecurrentModel<RnnCell>,
        data: Vec<usize>,
        config: TrainConfig,
    ) -> Result<Self, Error> {
        config.validate()?;
        let supported = config.scale == LossScale::Sum
            && matches!(config.clip, Clip::Elementwise(_))
            && config.truncation.is_none();
        if !supported {
            return Err(Error::config(
                "FastTrainer",
                "the fast path implements the summed loss, element-wise \
                 clipping and whole-chunk BPTT; use CharTrainer otherwise",
            ));
        }
        let v = model.out.v.nrows();
        if model.cell.u.ncols() != v {
            return Err(Error::config(
                "FastTrainer",
                "a char model reads and predicts the same vocabulary",
            ));
        }
        if data.len() < config.seq_len + 1 {
            return Err(Error::Data(format!(
                "FastTrainer: {} characters of data, need at least T + 1 = {}",
                data.len(),
                config.seq_len + 1
            )));
        }
        check_ids(&data, v)?;
        Ok(FastTrainer {
            data,
            pos: 0,
            h: vec![0.0; model.cell.w.nrows()],
            bptt: FastBptt::new(model, config.seq_len),
            mem: model.zeros_like(),
            smooth_loss: (v as f64).ln() * config.seq_len as f64,
            config,
            steps: 0,
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
        let t = self.config.seq_len;
        if self.pos + t + 1 > self.data.len() {
            self.pos = 0;
            self.h.fill(0.0);
        }
        let inputs = &self.data[self.pos..self.pos + t];
        let targets = &self.data[self.pos + 1..self.pos + t + 1];
        let loss = self.bptt.run(model, &self.h, inputs, targets);
        ensure_finite(loss, self.steps)?;
        let clip = match self.config.clip {
            Clip::Elementwise(c) => c,
            _ => unreachable!("checked in new"),
        };
        let lr = self.config.lr;
        let (g, mem) = (&self.bptt.grads, &mut self.mem);
        for (theta, g, m) in [
            (&mut model.cell.w, &g.cell.w, &mut mem.cell.w),
            (&mut model.cell.u, &g.cell.u, &mut mem.cell.u),
            (&mut model.cell.b, &g.cell.b, &mut mem.cell.b),
            (&mut model.out.v, &g.out.v, &mut mem.out.v),
            (&mut model.out.c, &g.out.c, &mut mem.out.c),
        ] {
            clip_adagrad(
                theta.as_mut_slice(),
                g.as_slice(),
                m.as_mut_slice(),
                clip,
                lr,
            );
        }
        self.h.copy_from_slice(self.bptt.last_h(t));
        self.pos += t;
        self.steps += 1;
        self.smooth_loss = 0.999 * self.smooth_loss + 0.001 * loss;
        Ok(loss)
    }

    /// Updates done so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The moving average of the chunk loss (weight 0.999).
    pub fn smooth_loss(&self) -> f64 {
        self.smooth_loss
    }
}
