//! "Show, attend and tell" (Xu et al. 2015) as the captioning slides draw
//! it: an LSTM whose gates read the previous word's embedding, the previous
//! hidden state and the attention output over the image's regions,
//!
//! `z_t = Σ_i α_{t,i} v_i`, `α_t = softmax(e_t)`,
//! `e_{t,i} = wᵀ tanh(W_q h_{t−1} + W_k v_i)` (additive scoring: `h` and
//! `v_i` have different sizes),
//! `(i, f, o, g) = (σ, σ, σ, tanh)(T [E y_{t−1}; h_{t−1}; z_t] + b)`,
//! `c_t = f ⊙ c_{t−1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`,
//! `ŷ_t = softmax(W_hy h_t + b_y)`.
//!
//! `E` (`m x V`) is the word embedding: `E y_{t−1}` with `y_{t−1}` one-hot
//! is column `y_{t−1}` of `E`. The LSTM is the `lstm-gru` crate's engine
//! cell with input `x_t = [E y_{t−1}; z_t]`; its `W` acts on
//! `[h_{t−1}; x_t]`, so the slide's `T` is `W` with its column blocks in
//! another order (the same model). The regions `v_i` are a fixed
//! convolutional feature map (no gradient into the CNN); `h_0 = c_0 = 0`.
//! The backward pass is BPTT by hand: at each step `∂L/∂x_t` splits into
//! `∂L/∂(E y_{t−1})`, which lands in column `y_{t−1}` of `∂L/∂E`, and
//! `∂L/∂z_t`, which goes back through the attention into the scoring
//! parameters and `h_{t−1}`. Book:
//! `attention/captioning.md#show-attend-and-tell`.

use crate::additive::{Additive, AdditiveCache};
use crate::decode::Decoder;
use datasets::dates::{END, START};
use foundations::ops::{add_bias, stack_rows, sum_columns};
use foundations::params::{visit_child, visit_child_mut};
use foundations::shape::{Dim, expect_shape};
use foundations::softmax::{Reduction, cross_entropy, log_softmax_columns};
use foundations::{DMatrix, Error, Mat, Params, ParamsExt, Rng, init};
use lstm_gru::{Lstm, LstmState};
use vanilla_rnn_bptt::{Output, RecurrentCell};

/// The decoder of the slides: embedding, attention, LSTM, output layer.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowAttendTell {
    /// `E`, `m x V`: column `y` is the embedding of word `y`.
    pub embed: Mat,
    /// The LSTM over `x_t = [E y_{t−1}; z_t]` (`W` is `4n x (n + m + K)`).
    pub lstm: Lstm,
    /// Additive scoring of a region `v_i` (`K`) against `h_{t−1}` (`n`).
    pub attn: Additive,
    /// `W_hy` (`V x n`), `b_y` (`V x 1`).
    pub out: Output,
}

impl Params for ShowAttendTell {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        visit_child("embed", &self.embed, f);
        visit_child("lstm", &self.lstm, f);
        visit_child("attn", &self.attn, f);
        visit_child("out", &self.out, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        visit_child_mut("embed", &mut self.embed, f);
        visit_child_mut("lstm", &mut self.lstm, f);
        visit_child_mut("attn", &mut self.attn, f);
        visit_child_mut("out", &mut self.out, f);
    }
}

/// One step of a batch, as the backward needs it.
#[derive(Debug, Clone)]
pub struct SatStep {
    /// The previous words `y_{t−1}`, one per example.
    pub prev: Vec<usize>,
    /// One attention cache per example (its `p` is `α_t`, `R x 1`).
    pub attend: Vec<AdditiveCache>,
    /// The LSTM step's cache.
    pub lstm: <Lstm as RecurrentCell>::Cache,
    /// `h_t`, `n x B`.
    pub h: Mat,
    /// `o_t = W_hy h_t + b_y`, `V x B`.
    pub logits: Mat,
}

/// Everything [`ShowAttendTell::backward`] needs.
#[derive(Debug, Clone)]
pub struct SatCache {
    /// One per caption step.
    pub steps: Vec<SatStep>,
    /// `∂L/∂o_t`, one per step.
    pub d_logits: Vec<Mat>,
}

impl ShowAttendTell {
    /// Regions of `K` numbers, embedding size `m`, hidden size `n`,
    /// vocabulary `V`, `a` scoring units; `E` is drawn from U(−0.1, 0.1).
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        k: usize,
        m: usize,
        n: usize,
        vocab: usize,
        a: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        if k == 0 || m == 0 || vocab == 0 {
            return Err(Error::config(
                "ShowAttendTell::new",
                format!("sizes K = {k}, m = {m}, V = {vocab} must be ≥ 1"),
            ));
        }
        Ok(ShowAttendTell {
            embed: init::uniform(m, vocab, 0.1, rng),
            lstm: Lstm::new(m + k, n, rng)?,
            attn: Additive::new(n, k, a, rng)?,
            out: Output::new(n, vocab, rng)?,
        })
    }

    /// `V`, the vocabulary size.
    pub fn vocab(&self) -> usize {
        self.embed.ncols()
    }

    /// `m`, the embedding size.
    fn m(&self) -> usize {
        self.embed.nrows()
    }

    /// One step for a batch: from the state `(h_{t−1}, c_{t−1})`, each
    /// image's regions (`K x R`, one column per region) and the previous
    /// words, the next state and the step (its `logits` are `o_t`).
    ///
    /// # Panics
    /// When the regions are not `K x R` or their count is not the batch.
    pub fn step(
        &self,
        prev: &LstmState,
        regions: &[Mat],
        words: &[usize],
    ) -> (LstmState, SatStep) {
        let f = "ShowAttendTell::step";
        let (k, b) = (self.attn.w_k.ncols(), words.len());
        assert!(
            regions.len() == b,
            "{f}: {} images for {b} words",
            regions.len()
        );
        for (c, r) in regions.iter().enumerate() {
            expect_shape(
                f,
                &format!("regions[{c}]"),
                r,
                Dim::Is(k),
                Dim::Any("R"),
            );
        }
        // ANCHOR: sat_step
        // E y_{t−1}: a one-hot column times E picks a column of E
        let mut e_y = Mat::zeros(self.m(), b);
        for (c, &y) in words.iter().enumerate() {
            e_y.set_column(c, &self.embed.column(y));
        }
        // z_t = Σ_i α_{t,i} v_i, α_t = softmax(wᵀ tanh(W_q h_{t−1} + W_k v_i))
        let mut z = Mat::zeros(k, b);
        let mut attend = Vec::with_capacity(b);
        for (c, v) in regions.iter().enumerate() {
            let q = prev.h.columns(c, 1).into_owned();
            let (z_c, cache) = self.attn.forward(&q, v, v);
            z.set_column(c, &z_c.column(0));
            attend.push(cache);
        }
        // the gates read [h_{t−1}; E y_{t−1}; z_t]: c_t, h_t as in an LSTM
        let x = stack_rows(&e_y, &z);
        let (next, lstm) = self.lstm.step_forward(prev, &x);
        // o_t = W_hy h_t + b_y
        let logits = add_bias(&self.out.v * &next.h, &self.out.c);
        // ANCHOR_END: sat_step
        let step = SatStep {
            prev: words.to_vec(),
            attend,
            lstm,
            h: next.h.clone(),
            logits,
        };
        (next, step)
    }

    /// The teacher-forced loss `L = (1/B) Σ_b Σ_t −log ŷ_t[y_t]` of a batch
    /// and its cache. `regions[b]` is image `b`'s `K x R` feature map;
    /// captions are of one length and end with `<END>`.
    ///
    /// # Panics
    /// When the batch is empty or ragged, or the sizes do not fit.
    pub fn forward(
        &self,
        regions: &[Mat],
        captions: &[Vec<usize>],
    ) -> (f64, SatCache) {
        let b = captions.len();
        assert!(
            b > 0 && regions.len() == b,
            "ShowAttendTell::forward: {} images for {b} captions",
            regions.len()
        );
        let t_len = captions[0].len();
        assert!(
            t_len > 0 && captions.iter().all(|c| c.len() == t_len),
            "ShowAttendTell::forward: captions must be non-empty and of one \
             length"
        );
        let mut state = self.lstm.zero_state(b); // h_0 = c_0 = 0
        let mut steps = Vec::with_capacity(t_len);
        let mut d_logits = Vec::with_capacity(t_len);
        let mut loss = 0.0;
        // ANCHOR: sat_forward
        for t in 0..t_len {
            // teacher forcing: <START>, then the true previous word
            let prev: Vec<usize> = captions
                .iter()
                .map(|c| if t == 0 { START } else { c[t - 1] })
                .collect();
            let (next, step) = self.step(&state, regions, &prev);
            let y: Vec<usize> = captions.iter().map(|c| c[t]).collect();
            // −Σ_b log ŷ_t[y_t], divided by B here (and ∂L/∂o_t with it)
            let (l, d_o) =
                cross_entropy(&step.logits, &y, Reduction::MeanBy(b as f64));
            loss += l;
            steps.push(step);
            d_logits.push(d_o);
            state = next;
        }
        // ANCHOR_END: sat_forward
        (loss, SatCache { steps, d_logits })
    }

    /// The gradient of [`ShowAttendTell::forward`]'s loss with respect to
    /// every parameter.
    pub fn backward(&self, cache: &SatCache) -> ShowAttendTell {
        let mut g = self.zeros_like();
        let (m, k) = (self.m(), self.attn.w_k.ncols());
        let b = cache.steps[0].prev.len();
        let mut d_state = self.lstm.zero_state_grad(b);
        // ANCHOR: sat_backward
        for (step, d_o) in cache.steps.iter().zip(&cache.d_logits).rev() {
            // forward: o_t = W_hy h_t + b_y
            g.out.v += d_o * step.h.transpose();
            g.out.c += sum_columns(d_o);
            // ∂L/∂h_t: from o_t and from step t+1 (already in d_state)
            d_state.d_h += self.out.v.transpose() * d_o;
            // forward: the LSTM step on [h_{t−1}; x_t], x_t = [E y_{t−1}; z_t]
            let (gl, mut d_prev, d_x) =
                self.lstm.step_backward(&step.lstm, &d_state);
            g.lstm.accumulate(&gl);
            for (c, (&y, att)) in step.prev.iter().zip(&step.attend).enumerate()
            {
                // forward: E y_{t−1} = column y of E
                let mut d_e = g.embed.column_mut(y);
                d_e += d_x.view((0, c), (m, 1));
                // forward: z_t = attention(query h_{t−1}, regions): its
                // gradient reaches the scoring parameters and h_{t−1}
                let d_z = d_x.view((m, c), (k, 1)).into_owned();
                let (ga, d_q, _, _) = self.attn.backward(att, &d_z);
                g.attn.accumulate(&ga);
                let mut d_h = d_prev.d_h.column_mut(c);
                d_h += d_q.column(0);
            }
            d_state = d_prev;
        }
        // ANCHOR_END: sat_backward
        g
    }
}

/// One image's regions with a trained [`ShowAttendTell`], as a
/// [`Decoder`] (greedy, sampling, beam search);
/// [`SatDecoder::greedy_with_attention`] also returns where each word
/// looked.
#[derive(Debug, Clone)]
pub struct SatDecoder<'a> {
    model: &'a ShowAttendTell,
    regions: Mat,
}

impl<'a> SatDecoder<'a> {
    /// The decoder for one `K x R` feature map.
    pub fn new(model: &'a ShowAttendTell, regions: &Mat) -> Self {
        SatDecoder {
            model,
            regions: regions.clone(),
        }
    }

    /// Greedy decoding; row `t` of the matrix is `α_t` over the `R`
    /// regions for output word `t`.
    pub fn greedy_with_attention(&self, max_len: usize) -> (Vec<usize>, Mat) {
        let mut state = self.initial();
        let mut token = START;
        let mut out = Vec::new();
        let mut rows = Vec::new();
        let regions = std::slice::from_ref(&self.regions);
        while out.len() < max_len {
            let (next, step) = self.model.step(&state, regions, &[token]);
            token = log_softmax_columns(&step.logits).column(0).argmax().0;
            rows.push(step.attend[0].p.clone());
            out.push(token);
            state = next;
            if token == END {
                break;
            }
        }
        let r = self.regions.ncols();
        (out, Mat::from_fn(rows.len(), r, |t, i| rows[t][i]))
    }
}

impl Decoder for SatDecoder<'_> {
    type State = LstmState;
    fn initial(&self) -> LstmState {
        self.model.lstm.zero_state(1)
    }
    fn start_token(&self) -> usize {
        START
    }
    fn end_token(&self) -> usize {
        END
    }
    fn step(&self, state: &LstmState, token: usize) -> (LstmState, Vec<f64>) {
        let regions = std::slice::from_ref(&self.regions);
        let (next, step) = self.model.step(state, regions, &[token]);
        (next, log_softmax_columns(&step.logits).as_slice().to_vec())
    }
}
