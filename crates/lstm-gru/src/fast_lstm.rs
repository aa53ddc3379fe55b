//! The fast path of the LSTM character model: the same forward, BPTT and
//! Adagrad update as the generic [`vanilla_rnn_bptt::CharTrainer`] running
//! an [`Lstm`] (one sequence, `B = 1`, the summed loss, element-wise
//! clipping), written for speed (buffers allocated once, one-hot column
//! lookups, only the recurrence step by step with the kernels of
//! `foundations::fast_math`, one fused `clip_adagrad` that skips the
//! columns of `W_x` a chunk does not use) and tested equal to it.
//!
//! Book: `lstm-gru/engine.md#speed` (what each shortcut does and why it
//! changes no number).

use crate::lstm::Lstm;
use foundations::fast_math::{
    axpy, exp_vec, gemv_acc, gemv_t_acc, sigmoid_vec, tanh_vec,
};
use foundations::optim::clip_adagrad;
use foundations::{Error, Mat, ParamsExt, ensure_finite};
use nalgebra::DVector;
use vanilla_rnn_bptt::{Chunks, RecurrentCell, RecurrentModel, TrainConfig};

/// Preallocated buffers for forward + BPTT of an LSTM char model over
/// chunks of `T` characters, its gradients and its Adagrad memory.
#[derive(Debug, Clone)]
pub struct FastLstm {
    n: usize,
    v: usize,
    t_max: usize,
    /// `h_0 … h_T` as columns (`n x (T + 1)`).
    hs: Mat,
    /// The same, transposed (`(T + 1) x n`), for `∇V` and `∇W_h` as
    /// products.
    hs_t: Mat,
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
    /// `Vᵀ` (`n x V`), copied once per chunk for `∇H = Vᵀ ∇O`.
    v_t: Mat,
    d_h: DVector<f64>,
    d_c: DVector<f64>,
    /// Which columns of `W_x` the last chunk's characters selected: the
    /// only columns of `∇W_x` that are not zero.
    used: Vec<bool>,
    /// The gradients, as a model (`cell.w`, `cell.b`, `out.v`, `out.c`).
    grads: RecurrentModel<Lstm>,
    /// Adagrad's memory, as a model.
    memory: RecurrentModel<Lstm>,
}

impl FastLstm {
    /// Buffers for `model` and chunks of up to `t_max` characters.
    ///
    /// # Errors
    /// [`Error::Config`] when `t_max` is 0 or the model does not read the
    /// vocabulary it predicts.
    pub fn new(
        model: &RecurrentModel<Lstm>,
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
        let zeros = model.zeros_like();
        Ok(FastLstm {
            n,
            v,
            t_max,
            hs: Mat::zeros(n, t_max + 1),
            hs_t: Mat::zeros(t_max + 1, n),
            cs: Mat::zeros(n, t_max + 1),
            tanh_cs: Mat::zeros(n, t_max + 1),
            gates: Mat::zeros(4 * n, t_max),
            d_a: Mat::zeros(4 * n, t_max),
            probs: Mat::zeros(v, t_max),
            d_hs: Mat::zeros(n, t_max),
            v_t: Mat::zeros(n, v),
            d_h: DVector::zeros(n),
            d_c: DVector::zeros(n),
            used: vec![false; v],
            grads: zeros.clone(),
            memory: zeros,
        })
    }

    /// The gradients of the last [`FastLstm::loss_and_grads`].
    pub fn grads(&self) -> &RecurrentModel<Lstm> {
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
        model: &RecurrentModel<Lstm>,
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
        self.hs.column_mut(0).copy_from(&h0.column(0));
        self.cs.column_mut(0).copy_from(&c0.column(0));
        self.forward_chunk(model, inputs);
        let loss = self.output_loss_and_grads(model, targets);
        self.backward_through_time(model, t_len);
        self.parameter_grads(inputs);
        loss
    }

    /// The LSTM over the chunk, step by step from `h_0 = hs[:, 0]`,
    /// `c_0 = cs[:, 0]`: `a_t = W_h h_{t−1} + W_x[:, x_t] + b`,
    /// `(i, f, o, g) = (σ, σ, σ, tanh)(a_t)`, `c_t = f ⊙ c_{t−1} + i ⊙ g`,
    /// `h_t = o ⊙ tanh(c_t)`, into `gates`, `cs`, `tanh_cs`, `hs` (and
    /// `hs_t`, its transpose).
    fn forward_chunk(
        &mut self,
        model: &RecurrentModel<Lstm>,
        inputs: &[usize],
    ) {
        let (n, m) = (self.n, 4 * self.n);
        let ws = model.cell.w.as_slice();
        let (w_h, bs) = (&ws[..n * m], model.cell.b.as_slice());
        // ANCHOR: fast_forward
        for (t, &id) in inputs.iter().enumerate() {
            // a = W_h h_{t−1} + (column id of W_x) + b: one product for
            // all four gates
            let g = &mut self.gates.as_mut_slice()[t * m..(t + 1) * m];
            let w_id = &ws[(n + id) * m..(n + id + 1) * m];
            for ((g, b), w) in g.iter_mut().zip(bs).zip(w_id) {
                *g = b + w;
            }
            gemv_acc(g, w_h, &self.hs.as_slice()[t * n..(t + 1) * n]);
            // the nonlinearities over contiguous slices, so that they
            // vectorise: σ on the i, f, o blocks, tanh on the g block
            let (ifo, gg) = g.split_at_mut(3 * n);
            ifo.iter_mut().for_each(|a| *a = sigmoid_vec(*a));
            gg.iter_mut().for_each(|a| *a = tanh_vec(*a));
            let (i, rest) = ifo.split_at(n);
            let (f, o) = rest.split_at(n);
            // c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
            let (c_prev, c) =
                self.cs.as_mut_slice()[t * n..(t + 2) * n].split_at_mut(n);
            let tc = &mut self.tanh_cs.as_mut_slice()[(t + 1) * n..][..n];
            let h = &mut self.hs.as_mut_slice()[(t + 1) * n..][..n];
            for k in 0..n {
                c[k] = f[k].mul_add(c_prev[k], i[k] * gg[k]);
                tc[k] = tanh_vec(c[k]);
                h[k] = o[k] * tc[k];
            }
        }
        // ANCHOR_END: fast_forward
        self.hs.transpose_to(&mut self.hs_t);
    }

    /// The output layer for the whole chunk at once: `O = V H + c`,
    /// `ŷ_t = softmax(o_t)`, `L = −Σ_t log ŷ_t[y_t]` (returned), then
    /// `∇o_t = ŷ_t − y_t` (left in `probs`), `∇V = ∇O Hᵀ`,
    /// `∇c = Σ_t ∇o_t` and `∇H = Vᵀ ∇O` (into `d_hs`).
    fn output_loss_and_grads(
        &mut self,
        model: &RecurrentModel<Lstm>,
        targets: &[usize],
    ) -> f64 {
        let t_len = targets.len();
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
            col.apply(|p| *p = exp_vec(*p - max));
            let sum = col.sum();
            col /= sum;
            loss -= col[y].ln();
            col[y] -= 1.0; // ∇o = ŷ − y
        }
        let g = &mut self.grads;
        g.out.v.gemm(1.0, &probs, &self.hs_t.rows(1, t_len), 0.0);
        g.out.c.fill(0.0);
        for col in probs.column_iter() {
            g.out.c += col;
        }
        model.out.v.transpose_to(&mut self.v_t);
        let mut d_hs = self.d_hs.columns_mut(0, t_len);
        d_hs.gemm(1.0, &self.v_t, &probs, 0.0);
        loss
    }

    /// Back through time from `t = T` down to 1, carrying `(∇h, ∇c)`:
    /// `∇h_t = ∇H[:, t] + W_hᵀ ∇a_{t+1}`,
    /// `∇c_t = ∇c_{t+1} ⊙ f_{t+1} + ∇h_t ⊙ o ⊙ (1 − tanh² c_t)`, and the
    /// pre-activation gradients `∇a_t = (∇i, ∇f, ∇o, ∇g) ⊙ (σ', σ', σ',
    /// tanh')` into `d_a`.
    fn backward_through_time(
        &mut self,
        model: &RecurrentModel<Lstm>,
        t_len: usize,
    ) {
        let (n, m) = (self.n, 4 * self.n);
        let w_h = &model.cell.w.as_slice()[..n * m];
        let d_hs = self.d_hs.as_slice();
        let (gates, d_a) = (self.gates.as_slice(), self.d_a.as_mut_slice());
        let (cs, tanh_cs) = (self.cs.as_slice(), self.tanh_cs.as_slice());
        let (d_h, d_c) = (self.d_h.as_mut_slice(), self.d_c.as_mut_slice());
        // ANCHOR: fast_backward
        d_h.fill(0.0);
        d_c.fill(0.0);
        for t in (0..t_len).rev() {
            let gt = &gates[t * m..(t + 1) * m];
            let (i, f, o, gg) =
                (&gt[..n], &gt[n..2 * n], &gt[2 * n..3 * n], &gt[3 * n..]);
            let da = &mut d_a[t * m..(t + 1) * m];
            let (da_i, rest) = da.split_at_mut(n);
            let (da_f, rest) = rest.split_at_mut(n);
            let (da_o, da_g) = rest.split_at_mut(n);
            let tc = &tanh_cs[(t + 1) * n..(t + 2) * n];
            let c_prev = &cs[t * n..(t + 1) * n];
            let d_ho = &d_hs[t * n..(t + 1) * n];
            for k in 0..n {
                // h_t = o ⊙ tanh(c_t), with ∇h_t from the output and from
                // step t + 1
                let dh = d_h[k] + d_ho[k];
                let dc = d_c[k] + dh * o[k] * (1.0 - tc[k] * tc[k]);
                // c_t = f ⊙ c_{t−1} + i ⊙ g, through the gates'
                // nonlinearities σ' = σ(1 − σ), tanh' = 1 − tanh²
                da_i[k] = dc * gg[k] * i[k] * (1.0 - i[k]);
                da_f[k] = dc * c_prev[k] * f[k] * (1.0 - f[k]);
                da_o[k] = dh * tc[k] * o[k] * (1.0 - o[k]);
                da_g[k] = dc * i[k] * (1.0 - gg[k] * gg[k]);
                d_c[k] = dc * f[k];
            }
            // ∇h_{t−1} = W_hᵀ ∇a_t
            d_h.fill(0.0);
            gemv_t_acc(d_h, w_h, da);
        }
        // ANCHOR_END: fast_backward
    }

    /// The parameter gradients of the cell for the whole chunk:
    /// `∇W_h = ∇A H_{prev}ᵀ` (one product), and `∇W_x[:, x_t] += ∇a_t`,
    /// `∇b = Σ_t ∇a_t` (the columns of `W_x` the chunk's characters
    /// select; the last chunk's columns are cleared first, the others are
    /// still zero).
    fn parameter_grads(&mut self, inputs: &[usize]) {
        let (n, m, t_len) = (self.n, 4 * self.n, inputs.len());
        let g = &mut self.grads;
        let d_a = self.d_a.columns(0, t_len);
        g.cell.w.columns_mut(0, n).gemm(
            1.0,
            &d_a,
            &self.hs_t.rows(0, t_len),
            0.0,
        );
        let dw = g.cell.w.as_mut_slice();
        for (id, used) in self.used.iter_mut().enumerate() {
            if *used {
                dw[(n + id) * m..(n + id + 1) * m].fill(0.0);
                *used = false;
            }
        }
        g.cell.b.fill(0.0);
        let db = g.cell.b.as_mut_slice();
        for (t, &id) in inputs.iter().enumerate() {
            let da = &self.d_a.as_slice()[t * m..(t + 1) * m];
            axpy(&mut dw[(n + id) * m..(n + id + 1) * m], 1.0, da);
            axpy(db, 1.0, da);
            self.used[id] = true;
        }
    }

    /// `foundations::optim::clip_adagrad` on every parameter, skipping the
    /// columns of `W_x` for characters not in the last chunk: their
    /// gradient is zero, for which Adagrad changes neither `m` nor `θ`.
    pub fn clip_and_adagrad(
        &mut self,
        model: &mut RecurrentModel<Lstm>,
        lr: f64,
        clip: f64,
    ) {
        let update = |theta: &mut [f64], grad: &[f64], mem: &mut [f64]| {
            clip_adagrad(theta, grad, mem, clip, lr);
        };
        let (g, mem) = (&self.grads, &mut self.memory);
        let (n, m) = (self.n, 4 * self.n);
        // W_h, whole; then the columns of W_x that were used
        let (w, gw) = (model.cell.w.as_mut_slice(), g.cell.w.as_slice());
        let mw = mem.cell.w.as_mut_slice();
        update(&mut w[..n * m], &gw[..n * m], &mut mw[..n * m]);
        for (id, _) in self.used.iter().enumerate().filter(|u| *u.1) {
            let cols = (n + id) * m..(n + id + 1) * m;
            update(&mut w[cols.clone()], &gw[cols.clone()], &mut mw[cols]);
        }
        for (theta, grad, mem) in [
            (&mut model.cell.b, &g.cell.b, &mut mem.cell.b),
            (&mut model.out.v, &g.out.v, &mut mem.out.v),
            (&mut model.out.c, &g.out.c, &mut mem.out.c),
        ] {
            update(theta.as_mut_slice(), grad.as_slice(), mem.as_mut_slice());
        }
    }
}

/// min-char-rnn's training loop for an LSTM on the fast path
/// ([`vanilla_rnn_bptt::CharTrainer`]'s, for the configurations it
/// covers): the corpus's [`Chunks`], the state carried from chunk to chunk
/// and reset when the corpus wraps, element-wise clipping and Adagrad.
#[derive(Debug, Clone)]
pub struct FastLstmTrainer {
    fast: FastLstm,
    chunks: Chunks,
    h: Mat,
    c: Mat,
    lr: f64,
    clip: f64,
}

impl FastLstmTrainer {
    /// A trainer for `model` on `data` with `config`'s chunk length `T`
    /// (`seq_len`), learning rate and clipping threshold.
    ///
    /// # Errors
    /// As [`TrainConfig::fast_clip`] (the fast path implements
    /// min-char-rnn's recipe only), [`Chunks::new`] and [`FastLstm::new`].
    pub fn new(
        model: &RecurrentModel<Lstm>,
        data: Vec<usize>,
        config: TrainConfig,
    ) -> Result<Self, Error> {
        let clip = config.fast_clip("FastLstmTrainer")?;
        let sizes = (model.cell.input_size(), model.outputs());
        let chunks = Chunks::new("FastLstmTrainer", data, sizes, &config)?;
        let fast = FastLstm::new(model, config.seq_len)?;
        let n = fast.n;
        Ok(FastLstmTrainer {
            fast,
            chunks,
            h: Mat::zeros(n, 1),
            c: Mat::zeros(n, 1),
            lr: config.lr,
            clip,
        })
    }

    /// One update on the next chunk; returns its loss.
    ///
    /// # Errors
    /// [`Error::NonFiniteLoss`] when the loss is not finite (the model is
    /// left unchanged).
    pub fn step(
        &mut self,
        model: &mut RecurrentModel<Lstm>,
    ) -> Result<f64, Error> {
        let step = self.chunks.steps();
        let (inputs, targets, wrapped) = self.chunks.chunk();
        if wrapped {
            self.h.fill(0.0);
            self.c.fill(0.0);
        }
        let t = inputs.len();
        let fast = &mut self.fast;
        let loss =
            fast.loss_and_grads(model, inputs, targets, &self.h, &self.c);
        let loss = ensure_finite(loss, step)?;
        fast.clip_and_adagrad(model, self.lr, self.clip);
        self.h.column_mut(0).copy_from(&fast.hs.column(t));
        self.c.column_mut(0).copy_from(&fast.cs.column(t));
        self.chunks.advance(loss);
        Ok(loss)
    }

    /// Updates done so far.
    pub fn steps(&self) -> usize {
        self.chunks.steps()
    }
}
