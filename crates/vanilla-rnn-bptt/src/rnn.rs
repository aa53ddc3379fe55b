//! The RNN of the BPTT slides, in their notation, as the reference (the
//! exercises):
//!
//! `a^(t) = W h^(t−1) + U x^(t) + b`, `h^(t) = tanh(a^(t))`,
//! `o^(t) = V h^(t) + c`, `ŷ^(t) = softmax(o^(t))`, `L = Σ_t L^(t)`.
//!
//! Full BPTT follows the slides' summary of gradients line by line. The
//! engine that training, sampling and the next chapter use is the generic
//! one ([`crate::bptt`] with [`crate::RnnCell`]); it is tested equal to this
//! one. Sampling has one form for every cell: [`Rnn::sample`] runs the
//! generic [`crate::sample()`], the exercise `rnn-sample`.
//!
//! Book: `vanilla-rnn-bptt/forward.md#one-step`,
//! `vanilla-rnn-bptt/bptt.md#the-summary-line-by-line`.

use crate::loss::Targets;
use crate::output::{Output, RecurrentModel};
use crate::rnn_cell::RnnCell;
use foundations::ops::{add_bias, sum_columns};
use foundations::shape::{Dim, expect_shape};
use foundations::softmax::{log_softmax_columns, softmax_columns};
use foundations::{Error, Params, Rng, impl_params, init};
use nalgebra::DMatrix;

/// The parameters of the slides' RNN (`W_hh`, `W_xh`, `W_hy` in the other
/// lecture's names are `w`, `u`, `v`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rnn {
    /// `W`, `n x n`: hidden to hidden.
    pub w: DMatrix<f64>,
    /// `U`, `n x D`: input to hidden.
    pub u: DMatrix<f64>,
    /// `V`, `K x n`: hidden to output.
    pub v: DMatrix<f64>,
    /// `b`, `n x 1`: the hidden bias.
    pub b: DMatrix<f64>,
    /// `c`, `K x 1`: the output bias.
    pub c: DMatrix<f64>,
}
impl_params!(Rnn { w, u, v, b, c });

/// What one step's backward needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RnnStepCache {
    /// `h^(t−1)`, `n x B`.
    pub h_prev: DMatrix<f64>,
    /// `x^(t)`, `D x B`.
    pub x: DMatrix<f64>,
    /// `h^(t)`, `n x B`.
    pub h: DMatrix<f64>,
}

/// What BPTT needs from the sequence forward: with the slides' indices,
/// `hs[t]` is `h^(t)` for `t = 0 … T`, and `xs[t − 1]`, `os[t − 1]`,
/// `y_hat[t − 1]` are `x^(t)`, `o^(t)`, `ŷ^(t)` for `t = 1 … T`.
#[derive(Debug, Clone, PartialEq)]
pub struct RnnCache {
    /// `h^(0) … h^(T)`.
    pub hs: Vec<DMatrix<f64>>,
    /// `x^(1) … x^(T)`.
    pub xs: Vec<DMatrix<f64>>,
    /// `o^(1) … o^(T)` (logits).
    pub os: Vec<DMatrix<f64>>,
    /// `ŷ^(1) … ŷ^(T)` (probabilities).
    pub y_hat: Vec<DMatrix<f64>>,
}

impl RnnCache {
    /// `T`.
    pub fn len(&self) -> usize {
        self.xs.len()
    }

    /// Whether `T = 0`.
    pub fn is_empty(&self) -> bool {
        self.xs.is_empty()
    }

    /// `h^(T)`.
    pub fn last_h(&self) -> &DMatrix<f64> {
        self.hs.last().expect("a cache holds at least h^(0)")
    }

    /// The slide's loss `L = Σ_t L^(t) = −Σ_t Σ_columns log ŷ^(t)[y]`
    /// (steps without a target add nothing).
    ///
    /// # Panics
    /// When `targets` has another length or a target is out of range.
    pub fn loss(&self, targets: &Targets) -> f64 {
        check_targets("RnnCache::loss", self, targets);
        let mut loss = 0.0;
        for (t, o) in self.os.iter().enumerate() {
            if let Some(ys) = targets.step(t) {
                let log_p = log_softmax_columns(o);
                for (j, &y) in ys.iter().enumerate() {
                    loss -= log_p[(y, j)];
                }
            }
        }
        loss
    }
}

fn check_targets(func: &str, cache: &RnnCache, targets: &Targets) {
    assert!(
        targets.len() == cache.len(),
        "{func}: {} steps of targets for a sequence of T = {}",
        targets.len(),
        cache.len()
    );
    for t in 0..cache.len() {
        if let Some(ys) = targets.step(t) {
            let (k, b) = cache.os[t].shape();
            assert!(
                ys.len() == b,
                "{func}: step {} has {} targets, expected B = {b}",
                t + 1,
                ys.len()
            );
            if let Some(&y) = ys.iter().find(|&&y| y >= k) {
                panic!("{func}: target {y} out of range for K = {k} classes");
            }
        }
    }
}

/// `1 − tanh²(a) = 1 − h²`, element-wise, from `h = tanh(a)`: the slides'
/// `diag(1 − tanh²(a))` as a matrix of the same shape as `h`.
pub fn tanh_deriv(h: &DMatrix<f64>) -> DMatrix<f64> {
    h.map(|h| 1.0 - h * h)
}

impl Rnn {
    /// An RNN reading `D = input_size` rows, with `n = hidden_size` and
    /// `K = outputs`; weights normal with standard deviation 0.01
    /// (min-char-rnn), biases zero.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        outputs: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        let cell = RnnCell::new(input_size, hidden_size, rng)?;
        let out = Output::new(hidden_size, outputs, rng)?;
        Ok(Self::from_model(&RecurrentModel { cell, out }))
    }

    /// Weights uniform in `[−scale, scale)` (biases too): for tests, where
    /// zero biases would hide a missing `∇b`.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn random(
        input_size: usize,
        hidden_size: usize,
        outputs: usize,
        scale: f64,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        let mut rnn = Self::new(input_size, hidden_size, outputs, rng)?;
        rnn.visit_mut(&mut |_, m| {
            *m = init::uniform(m.nrows(), m.ncols(), scale, rng)
        });
        Ok(rnn)
    }

    /// `D`.
    pub fn input_size(&self) -> usize {
        self.u.ncols()
    }

    /// `n`.
    pub fn hidden_size(&self) -> usize {
        self.w.nrows()
    }

    /// `K`.
    pub fn outputs(&self) -> usize {
        self.v.nrows()
    }

    /// The same numbers as the generic engine's model (`cell.w`, `cell.u`,
    /// `cell.b`, `out.v`, `out.c`).
    pub fn to_model(&self) -> RecurrentModel<RnnCell> {
        RecurrentModel {
            cell: RnnCell {
                w: self.w.clone(),
                u: self.u.clone(),
                b: self.b.clone(),
            },
            out: Output {
                v: self.v.clone(),
                c: self.c.clone(),
            },
        }
    }

    /// The slide-form RNN with the engine model's numbers.
    pub fn from_model(m: &RecurrentModel<RnnCell>) -> Self {
        Rnn {
            w: m.cell.w.clone(),
            u: m.cell.u.clone(),
            v: m.out.v.clone(),
            b: m.cell.b.clone(),
            c: m.out.c.clone(),
        }
    }

    fn check_step(&self, f: &str, h_prev: &DMatrix<f64>, x: &DMatrix<f64>) {
        let (n, d) = (self.hidden_size(), self.input_size());
        expect_shape(f, "x", x, Dim::Is(d), Dim::Any("B"));
        expect_shape(f, "h_prev", h_prev, Dim::Is(n), Dim::Is(x.ncols()));
    }

    /// One step on a batch of columns: `a = W h^(t−1) + U x^(t) + b`,
    /// `h^(t) = tanh(a)`, `o^(t) = V h^(t) + c`. Returns `(h^(t), o^(t),
    /// cache)`.
    ///
    /// Book: `vanilla-rnn-bptt/forward.md#one-step`.
    ///
    /// # Panics
    /// When `x` is not `D x B` or `h_prev` is not `n x B`.
    pub fn step_forward(
        &self,
        h_prev: &DMatrix<f64>,
        x: &DMatrix<f64>,
    ) -> (DMatrix<f64>, DMatrix<f64>, RnnStepCache) {
        self.check_step("Rnn::step_forward", h_prev, x);
        // BEGIN SOLUTION rnn-step-forward
        // ANCHOR: step_forward
        // a = W h^(t−1) + U x^(t) + b   (b added to every column)
        let a = add_bias(&self.w * h_prev + &self.u * x, &self.b);
        // h^(t) = tanh(a)
        let h = a.map(f64::tanh);
        // o^(t) = V h^(t) + c
        let o = add_bias(&self.v * &h, &self.c);
        // ANCHOR_END: step_forward
        let cache = RnnStepCache {
            h_prev: h_prev.clone(),
            x: x.clone(),
            h: h.clone(),
        };
        (h, o, cache)
        // END SOLUTION
    }

    /// One step backward. `d_o` is `∇o^(t)`; `d_h_next` is what step `t + 1`
    /// sends back, `Wᵀ diag(1 − tanh²(a^(t+1))) ∇h^(t+1)` (zero at the last
    /// step). Returns this step's share of every gradient, the message
    /// `Wᵀ diag(1 − tanh²(a^(t))) ∇h^(t)` for step `t − 1`, and `∇x^(t)`.
    ///
    /// Book: `vanilla-rnn-bptt/bptt.md#one-step-backward`.
    ///
    /// # Panics
    /// When `d_o` is not `K x B` or `d_h_next` is not `n x B`.
    pub fn step_backward(
        &self,
        cache: &RnnStepCache,
        d_o: &DMatrix<f64>,
        d_h_next: &DMatrix<f64>,
    ) -> (Rnn, DMatrix<f64>, DMatrix<f64>) {
        let f = "Rnn::step_backward";
        let (n, b) = cache.h.shape();
        expect_shape(f, "d_o", d_o, Dim::Is(self.outputs()), Dim::Is(b));
        expect_shape(f, "d_h_next", d_h_next, Dim::Is(n), Dim::Is(b));
        // BEGIN SOLUTION rnn-step-backward
        // ANCHOR: step_backward
        // ∇h^(t) = (message from t + 1) + Vᵀ ∇o^(t)
        let d_h = d_h_next + self.v.tr_mul(d_o);
        // h = tanh(a): diag(1 − tanh²(a)) ∇h
        let d_a = tanh_deriv(&cache.h).component_mul(&d_h);
        let grads = Rnn {
            // a = W h^(t−1) + U x^(t) + b
            w: &d_a * cache.h_prev.transpose(),
            u: &d_a * cache.x.transpose(),
            // o = V h + c
            v: d_o * cache.h.transpose(),
            b: sum_columns(&d_a),
            c: sum_columns(d_o),
        };
        let d_h_prev = self.w.tr_mul(&d_a);
        let dx = self.u.tr_mul(&d_a);
        // ANCHOR_END: step_backward
        (grads, d_h_prev, dx)
        // END SOLUTION
    }

    /// The sequence forward from `h0` over `xs` (`T` matrices `D x B`),
    /// keeping every `h^(t)`, `o^(t)` and `ŷ^(t)` for BPTT.
    ///
    /// # Panics
    /// When `xs` is empty or a shape is wrong.
    // ANCHOR: forward
    pub fn forward(&self, h0: &DMatrix<f64>, xs: &[DMatrix<f64>]) -> RnnCache {
        assert!(!xs.is_empty(), "Rnn::forward: empty sequence (T = 0)");
        let mut cache = RnnCache {
            hs: vec![h0.clone()],
            xs: xs.to_vec(),
            os: Vec::with_capacity(xs.len()),
            y_hat: Vec::with_capacity(xs.len()),
        };
        for x in xs {
            let (h, o, _) = self.step_forward(cache.last_h(), x);
            cache.y_hat.push(softmax_columns(&o));
            cache.os.push(o);
            cache.hs.push(h);
        }
        cache
    }
    // ANCHOR_END: forward

    /// Full BPTT for the slide's summed loss `L = Σ_t L^(t)`, following the
    /// slides' summary of gradients line by line. Steps without a target
    /// have `∇o^(t) = 0`. Returns every parameter's gradient and
    /// `∇h^(0) L`.
    ///
    /// Book: `vanilla-rnn-bptt/bptt.md#the-summary-line-by-line`.
    ///
    /// # Panics
    /// When `targets` does not have `T` steps of `B` classes below `K`.
    pub fn bptt(
        &self,
        cache: &RnnCache,
        targets: &Targets,
    ) -> (Rnn, DMatrix<f64>) {
        check_targets("Rnn::bptt", cache, targets);
        // BEGIN SOLUTION rnn-bptt
        use foundations::ParamsExt as _;
        let t_last = cache.len(); // T; the slides count t = 1 … T
        let (n, batch) = cache.hs[0].shape();
        let h = |t: usize| &cache.hs[t]; // h^(t)
        let x = |t: usize| &cache.xs[t - 1]; // x^(t)
        // ANCHOR: bptt_do
        // ∇o^(t) L = ŷ^(t) − ȳ^(t)   (zero where step t has no target)
        let mut d_o = vec![DMatrix::zeros(0, 0)]; // d_o[t], t = 1 … T
        for t in 1..=t_last {
            let mut d = cache.y_hat[t - 1].clone();
            match targets.step(t - 1) {
                Some(ys) => {
                    for (j, &y) in ys.iter().enumerate() {
                        d[(y, j)] -= 1.0;
                    }
                }
                None => d.fill(0.0),
            }
            d_o.push(d);
        }
        // ANCHOR_END: bptt_do
        // ANCHOR: bptt_dh
        // ∇h^(T) L = Vᵀ ∇o^(T) L, then for t = T−1 … 1:
        // ∇h^(t) L = Wᵀ diag(1 − tanh²(a^(t+1))) ∇h^(t+1) L + Vᵀ ∇o^(t) L
        let mut d_h = vec![DMatrix::zeros(n, batch); t_last + 1];
        for t in (1..=t_last).rev() {
            d_h[t] = self.v.tr_mul(&d_o[t]);
            if t < t_last {
                let d_a_next = tanh_deriv(h(t + 1)).component_mul(&d_h[t + 1]);
                d_h[t] += self.w.tr_mul(&d_a_next);
            }
        }
        // ANCHOR_END: bptt_dh
        let mut g = self.zeros_like();
        for t in 1..=t_last {
            // diag(1 − tanh²(a^(t))) ∇h^(t) L, shared by ∇b, ∇W, ∇U
            let d_a = tanh_deriv(h(t)).component_mul(&d_h[t]);
            // ANCHOR: bptt_dc
            // ∇c L = Σ_t ∇o^(t) L
            g.c += sum_columns(&d_o[t]);
            // ANCHOR_END: bptt_dc
            // ANCHOR: bptt_db
            // ∇b L = Σ_t diag(1 − tanh²(a^(t))) ∇h^(t) L
            g.b += sum_columns(&d_a);
            // ANCHOR_END: bptt_db
            // ANCHOR: bptt_dv
            // ∇V L = Σ_t (∇o^(t) L) h^(t)ᵀ
            g.v += &d_o[t] * h(t).transpose();
            // ANCHOR_END: bptt_dv
            // ANCHOR: bptt_dw
            // ∇W L = Σ_t diag(1 − tanh²(a^(t))) (∇h^(t) L) h^(t−1)ᵀ
            g.w += &d_a * h(t - 1).transpose();
            // ANCHOR_END: bptt_dw
            // ANCHOR: bptt_du
            // ∇U L = Σ_t diag(1 − tanh²(a^(t))) (∇h^(t) L) x^(t)ᵀ
            g.u += &d_a * x(t).transpose();
            // ANCHOR_END: bptt_du
        }
        // ANCHOR: bptt_dh0
        // ∇h^(0) L = Wᵀ diag(1 − tanh²(a^(1))) ∇h^(1) L
        let d_h0 = self.w.tr_mul(&tanh_deriv(h(1)).component_mul(&d_h[1]));
        // ANCHOR_END: bptt_dh0
        (g, d_h0)
        // END SOLUTION
    }

    /// Truncated BPTT with chunks of `k` steps, for the slide's summed
    /// loss: run forward over a chunk from the carried state, backpropagate
    /// within the chunk only, add its gradients, and carry `h` (its value,
    /// not its gradient) into the next chunk. Returns `(L, gradients,
    /// h^(T))`; for `k ≥ T` it is full BPTT.
    ///
    /// Book: `vanilla-rnn-bptt/truncated.md#chunks-of-k-steps`.
    ///
    /// # Panics
    /// When `k` is 0, `xs` is empty, `targets` does not have `T` steps, or a
    /// shape is wrong.
    pub fn truncated_bptt(
        &self,
        h0: &DMatrix<f64>,
        xs: &[DMatrix<f64>],
        targets: &Targets,
        k: usize,
    ) -> (f64, Rnn, DMatrix<f64>) {
        let f = "Rnn::truncated_bptt";
        assert!(k > 0, "{f}: chunk length k must be at least 1");
        assert!(!xs.is_empty(), "{f}: empty sequence (T = 0)");
        assert!(
            xs.len() == targets.len(),
            "{f}: {} inputs but {} steps of targets",
            xs.len(),
            targets.len()
        );
        // BEGIN SOLUTION rnn-truncated-bptt
        use foundations::ParamsExt as _;
        // ANCHOR: truncated
        let mut loss = 0.0;
        let mut grads = self.zeros_like();
        let mut h = h0.clone();
        for start in (0..xs.len()).step_by(k) {
            let end = (start + k).min(xs.len());
            let chunk_targets = targets.slice(start..end);
            // forward from the carried state: h is a constant here
            let cache = self.forward(&h, &xs[start..end]);
            loss += cache.loss(&chunk_targets);
            // backward within the chunk; ∇h^(start) is dropped
            let (g, _d_h_start) = self.bptt(&cache, &chunk_targets);
            grads.accumulate(&g);
            h = cache.last_h().clone(); // carry the value forward
        }
        (loss, grads, h)
        // ANCHOR_END: truncated
        // END SOLUTION
    }

    /// `n` ids sampled from the model, starting from `h0` (one column) and
    /// the seed id: the generic [`crate::sample()`] (the exercise
    /// `rnn-sample`) run on the engine model with the same numbers
    /// ([`Rnn::to_model`]).
    ///
    /// # Errors
    /// [`Error::Config`] for a temperature that is not a positive number or
    /// a model whose `D ≠ K`; [`Error::Data`] for a seed outside the
    /// vocabulary.
    ///
    /// # Panics
    /// When `h0` is not `n x 1`.
    pub fn sample(
        &self,
        h0: &DMatrix<f64>,
        seed: usize,
        n: usize,
        temperature: f64,
        rng: &mut Rng,
    ) -> Result<Vec<usize>, Error> {
        let hid = self.hidden_size();
        expect_shape("Rnn::sample", "h0", h0, Dim::Is(hid), Dim::Is(1));
        crate::sample::sample(&self.to_model(), h0, seed, n, temperature, rng)
    }
}
