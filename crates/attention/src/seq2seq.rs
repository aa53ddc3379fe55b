//! The encoder-decoder of the slides, with or without attention, on any
//! recurrent cell of the `lstm-gru` / `vanilla-rnn-bptt` crates.
//!
//! * Encoder: `h_i = f(h_{i−1}, x_i)` over the `N` source characters
//!   (one-hot columns); the encoder states `h_1 … h_N` are kept.
//! * Decoder: starts from the encoder's last state and reads `<START>`, then
//!   (teacher forcing) the true previous target: `s_t = f(s_{t−1}, y_{t−1})`.
//! * Context: with [`Context::Attention`], `e_i = s_tᵀ h_i`,
//!   `α = softmax(e)`, `a_t = Σ_i α_i h_i`; with [`Context::LastState`],
//!   `a_t = h_N` at every step (the bottleneck baseline).
//! * Output: `o_t = W_o [a_t; s_t] + b_o`, `ŷ_t = softmax(o_t)`.
//! * Input feeding (an option, [`Seq2Seq::new_input_feeding`], in
//!   [`crate::input_feeding`]): the decoder also reads the previous step's
//!   attention output, `s_t = f(s_{t−1}, [y_{t−1}; a_{t−1}])`, `a_0 = 0`.
//! * Loss: `L = (1/B) Σ_b Σ_t −log ŷ_t[y_t]` (sum over steps, mean over the
//!   batch).
//!
//! Every source in one batch has the same length `N` (the example buckets
//! by length), so no padding or masks are needed.
//! Book: `attention/seq2seq.md#the-model`.

use crate::engine::{self, AttendCache};
use datasets::dates::START;
use datasets::one_hot;
use foundations::ops::{add_bias, stack_rows, sum_columns};
use foundations::params::{visit_child, visit_child_mut};
use foundations::softmax::{Reduction, cross_entropy};
use foundations::{DMatrix, Error, Mat, Params, ParamsExt, Rng, init};
use vanilla_rnn_bptt::RecurrentCell;

/// Where the decoder's context comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `a_t = Σ_i α_i h_i`, dot-product attention over the encoder states.
    Attention,
    /// `a_t = h_N`: the last encoder state only (no attention).
    LastState,
}

/// An encoder-decoder: two cells of one type (the decoder starts from the
/// encoder's last state), and the output projection `W_o` (`V x 2n`),
/// `b_o` (`V x 1`).
#[derive(Debug, Clone)]
pub struct Seq2Seq<C> {
    /// The encoder cell (input: one-hot source characters).
    pub encoder: C,
    /// The decoder cell (input: the one-hot previous target, `V` rows, or
    /// `[y_{t−1}; a_{t−1}]`, `V + n` rows, with input feeding).
    pub decoder: C,
    /// `W_o`, `V x 2n`: acts on `[a_t; s_t]`.
    pub w_o: Mat,
    /// `b_o`, `V x 1`.
    pub b_o: Mat,
    /// Attention or the last state (not a parameter).
    pub context: Context,
}

impl<C: Params> Params for Seq2Seq<C> {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        visit_child("encoder", &self.encoder, f);
        visit_child("decoder", &self.decoder, f);
        visit_child("w_o", &self.w_o, f);
        visit_child("b_o", &self.b_o, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        visit_child_mut("encoder", &mut self.encoder, f);
        visit_child_mut("decoder", &mut self.decoder, f);
        visit_child_mut("w_o", &mut self.w_o, f);
        visit_child_mut("b_o", &mut self.b_o, f);
    }
}

/// One decoder step, as the backward needs it.
#[derive(Debug, Clone)]
pub struct DecoderStepCache<C: RecurrentCell> {
    /// The decoder cell's cache.
    pub cell: C::Cache,
    /// The attention cache (`None` for [`Context::LastState`]).
    pub attend: Option<AttendCache>,
    /// `[a_t; s_t]`, `2n x B`.
    pub cat: Mat,
    /// `o_t`, `V x B`.
    pub logits: Mat,
}

/// Everything [`Seq2Seq::backward`] needs.
#[derive(Debug, Clone)]
pub struct Seq2SeqCache<C: RecurrentCell> {
    /// The encoder cell's caches, one per source step.
    pub encoder: Vec<C::Cache>,
    /// One per target step.
    pub steps: Vec<DecoderStepCache<C>>,
    /// `∂L/∂o_t` (`V x B`), one per target step.
    pub d_logits: Vec<Mat>,
    /// `B`, the batch.
    pub batch: usize,
}

fn check_batch(func: &str, name: &str, seqs: &[Vec<usize>]) -> usize {
    assert!(!seqs.is_empty(), "{func}: {name} is an empty batch");
    let len = seqs[0].len();
    assert!(
        len > 0,
        "{func}: {name}[0] is empty: an empty source has nothing to encode"
    );
    for (b, s) in seqs.iter().enumerate() {
        assert!(
            s.len() == len,
            "{func}: {name}[{b}] has length {}, expected {len} (every \
             sequence of a batch has the same length)",
            s.len()
        );
    }
    len
}

impl<C: RecurrentCell> Seq2Seq<C> {
    /// A model from two cells and the target vocabulary size `V`; `W_o` is
    /// Xavier-initialised, `b_o` zero.
    ///
    /// # Errors
    /// [`Error::Config`] when the cells' hidden sizes differ, the decoder's
    /// input is not `V` rows, or `V` is zero.
    pub fn new(
        encoder: C,
        decoder: C,
        target_vocab: usize,
        context: Context,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        let n = encoder.hidden_size();
        if decoder.hidden_size() != n {
            return Err(Error::config(
                "Seq2Seq::new",
                format!(
                    "encoder has n = {n} but decoder n = {}: the decoder \
                     starts from the encoder's last state",
                    decoder.hidden_size()
                ),
            ));
        }
        if target_vocab == 0 || decoder.input_size() != target_vocab {
            return Err(Error::config(
                "Seq2Seq::new",
                format!(
                    "decoder input size {} must be the target vocabulary \
                     V = {target_vocab} ≥ 1 (V + n for input feeding: \
                     Seq2Seq::new_input_feeding)",
                    decoder.input_size()
                ),
            ));
        }
        Ok(Seq2Seq {
            encoder,
            decoder,
            w_o: init::xavier(target_vocab, 2 * n, rng),
            b_o: Mat::zeros(target_vocab, 1),
            context,
        })
    }

    /// `n`, the hidden size.
    pub fn hidden_size(&self) -> usize {
        self.encoder.hidden_size()
    }

    /// The encoder over a batch of sources of one length `N`: the states
    /// `h_1 … h_N` (each `n x B`), the last full state and the caches.
    ///
    /// # Panics
    /// On an empty batch or source, or sources of different lengths.
    pub fn encode(
        &self,
        src: &[Vec<usize>],
    ) -> (Vec<Mat>, C::State, Vec<C::Cache>) {
        let n_src = check_batch("Seq2Seq::encode", "src", src);
        let d = self.encoder.input_size();
        let mut state = self.encoder.zero_state(src.len());
        let mut hs = Vec::with_capacity(n_src);
        let mut caches = Vec::with_capacity(n_src);
        // ANCHOR: encode
        for i in 0..n_src {
            // x_i: character i of every source, one-hot (d x B)
            let ids: Vec<usize> = src.iter().map(|s| s[i]).collect();
            let x = one_hot(&ids, d);
            let (next, cache) = self.encoder.step_forward(&state, &x);
            hs.push(C::hidden(&next).clone());
            caches.push(cache);
            state = next;
        }
        // ANCHOR_END: encode
        (hs, state, caches)
    }

    /// The context `a_t` for decoder hidden states `s` (`n x B`): attention
    /// over `hs`, or the last of them.
    pub fn context(&self, s: &Mat, hs: &[Mat]) -> (Mat, Option<AttendCache>) {
        match self.context {
            Context::Attention => {
                let (a, cache) = engine::attention_forward(s, hs, hs, 1.0);
                (a, Some(cache))
            }
            Context::LastState => (hs[hs.len() - 1].clone(), None),
        }
    }

    /// `o = W_o [a; s] + b_o` for every column.
    pub fn project(&self, cat: &Mat) -> Mat {
        add_bias(&self.w_o * cat, &self.b_o)
    }

    /// One decoder step on a batch, the engine twin of
    /// [`crate::decoder_step_reference`]: from the state `prev` and the
    /// decoder's input `x` ([`Seq2Seq::decoder_input`]: the previous targets
    /// one-hot, `V x B`, with `a_{t−1}` below them under input feeding), the
    /// next state and the step's cache (its `logits` are `o_t`, `V x B`).
    pub fn decoder_step(
        &self,
        prev: &C::State,
        x: &Mat,
        hs: &[Mat],
    ) -> (C::State, DecoderStepCache<C>) {
        // ANCHOR: decoder_step
        // s_t = f(s_{t−1}, y_{t−1})
        let (next, cell) = self.decoder.step_forward(prev, x);
        let s = C::hidden(&next);
        // a_t = Σ_i α_i h_i (or h_N), o_t = W_o [a_t; s_t] + b_o
        let (a, attend) = self.context(s, hs);
        let cat = stack_rows(&a, s);
        let logits = self.project(&cat);
        // ANCHOR_END: decoder_step
        let cache = DecoderStepCache {
            cell,
            attend,
            cat,
            logits,
        };
        (next, cache)
    }

    /// The loss of a batch under teacher forcing: `src` (B sources of
    /// length `N`, ids of the source vocabulary) and `tgt` (B targets of
    /// length `T`, ending with `<END>`). Returns `L` and the cache.
    ///
    /// # Panics
    /// On empty or ragged batches, different batch sizes, or ids out of
    /// range.
    pub fn forward(
        &self,
        src: &[Vec<usize>],
        tgt: &[Vec<usize>],
    ) -> (f64, Seq2SeqCache<C>) {
        let t_len = check_batch("Seq2Seq::forward", "tgt", tgt);
        assert!(
            src.len() == tgt.len(),
            "Seq2Seq::forward: {} sources but {} targets",
            src.len(),
            tgt.len()
        );
        let b = src.len();
        let n = self.hidden_size();
        let (hs, mut state, enc_caches) = self.encode(src);
        let mut steps = Vec::with_capacity(t_len);
        let mut d_logits = Vec::with_capacity(t_len);
        let mut loss = 0.0;
        let mut a_prev = Mat::zeros(n, b); // a_0 = 0 (read with input feeding)
        // ANCHOR: decode_teacher
        for t in 0..t_len {
            // teacher forcing: the decoder reads <START>, then y_{t−1}
            let prev: Vec<usize> = tgt
                .iter()
                .map(|y| if t == 0 { START } else { y[t - 1] })
                .collect();
            // y_{t−1} one-hot, or [y_{t−1}; a_{t−1}] with input feeding
            let x = self.decoder_input(&prev, &a_prev);
            let (next, step) = self.decoder_step(&state, &x, &hs);
            a_prev = step.cat.rows(0, n).into_owned();
            let targets: Vec<usize> = tgt.iter().map(|y| y[t]).collect();
            let (l, d_o) = cross_entropy(
                &step.logits,
                &targets,
                Reduction::MeanBy(b as f64),
            );
            loss += l;
            steps.push(step);
            d_logits.push(d_o);
            state = next;
        }
        // ANCHOR_END: decode_teacher
        let cache = Seq2SeqCache {
            encoder: enc_caches,
            steps,
            d_logits,
            batch: b,
        };
        (loss, cache)
    }

    /// The gradient of the loss of [`Seq2Seq::forward`] with respect to
    /// every parameter (a value of the model's type).
    pub fn backward(&self, cache: &Seq2SeqCache<C>) -> Self {
        let n = self.hidden_size();
        let b = cache.batch;
        let mut grads = self.zeros_like();
        let mut d_hs = vec![Mat::zeros(n, b); cache.encoder.len()];
        let last = d_hs.len() - 1;
        let mut d_state = self.decoder.zero_state_grad(b);
        let v = self.w_o.nrows();
        // ∂L/∂a_t through step t+1's input (input feeding only)
        let mut d_a_fed = Mat::zeros(n, b);
        // ANCHOR: backward
        for (step, d_o) in cache.steps.iter().zip(&cache.d_logits).rev() {
            // forward: o_t = W_o [a_t; s_t] + b_o
            grads.w_o += d_o * step.cat.transpose();
            grads.b_o += sum_columns(d_o);
            let d_cat = self.w_o.transpose() * d_o;
            // a_t also fed step t+1 (input feeding): both terms add
            let d_a = d_cat.rows(0, n) + &d_a_fed;
            let mut d_s = d_cat.rows(n, n).into_owned();
            match &step.attend {
                // forward: a_t = Σ_i α_i h_i with α = softmax(s_tᵀ h_i):
                // h_i is both a key and a value, s_t is the query
                Some(att) => {
                    let (d_q, d_k, d_v) = engine::attention_backward(att, &d_a);
                    d_s += d_q;
                    for (i, d_h) in d_hs.iter_mut().enumerate() {
                        *d_h += &d_k[i] + &d_v[i];
                    }
                }
                // forward: a_t = h_N
                None => d_hs[last] += d_a,
            }
            // the decoder state gets ∂L/∂s_t from this step and the next
            *C::hidden_grad_mut(&mut d_state) += d_s;
            let (g, d_prev, d_x) =
                self.decoder.step_backward(&step.cell, &d_state);
            grads.decoder.accumulate(&g);
            d_state = d_prev;
            // input feeding: x_t = [y_{t−1}; a_{t−1}] sends ∂L/∂a_{t−1}
            // back to the previous step (a_0 = 0 is a constant)
            if self.feeds_input() {
                d_a_fed = d_x.rows(v, n).into_owned();
            }
        }
        // d_state now flows into the encoder's last state; each encoder
        // state h_i also receives what attention sent back to it
        for (i, enc) in cache.encoder.iter().enumerate().rev() {
            *C::hidden_grad_mut(&mut d_state) += &d_hs[i];
            let (g, d_prev, _) = self.encoder.step_backward(enc, &d_state);
            grads.encoder.accumulate(&g);
            d_state = d_prev;
        }
        // ANCHOR_END: backward
        grads
    }
}
