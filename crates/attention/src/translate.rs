//! A trained [`Seq2Seq`] as a [`Decoder`] for one source sequence: encode
//! once, then step the decoder one token at a time (no teacher forcing).
//! The decoder's state carries `a_{t−1}` too, which a model with input
//! feeding reads ([`crate::input_feeding`]). Book: `attention/decoding.md#greedy`.

use crate::decode::{Decoder, greedy};
use crate::seq2seq::Seq2Seq;
use datasets::dates::{END, START};
use foundations::Mat;
use foundations::softmax::log_softmax_columns;
use vanilla_rnn_bptt::RecurrentCell;

/// One source, encoded, ready to decode.
#[derive(Debug, Clone)]
pub struct Translator<'a, C: RecurrentCell> {
    model: &'a Seq2Seq<C>,
    hs: Vec<Mat>,
    last: C::State,
}

impl<'a, C: RecurrentCell> Translator<'a, C> {
    /// Encodes `src` (ids of the source vocabulary).
    ///
    /// # Panics
    /// When `src` is empty.
    pub fn new(model: &'a Seq2Seq<C>, src: &[usize]) -> Self {
        let (hs, last, _) = model.encode(&[src.to_vec()]);
        Translator { model, hs, last }
    }

    /// One decoder step from the state `(s_{t−1}, a_{t−1})` and the
    /// previous token: the next state, `log p` of every token, and the
    /// attention distribution over the source (`None` without attention).
    pub fn step_with_attention(
        &self,
        (state, a_prev): &(C::State, Mat),
        token: usize,
    ) -> ((C::State, Mat), Vec<f64>, Option<Vec<f64>>) {
        let x = self.model.decoder_input(&[token], a_prev);
        let (next, step) = self.model.decoder_step(state, &x, &self.hs);
        let a = step.cat.rows(0, self.model.hidden_size()).into_owned();
        let log_p = log_softmax_columns(&step.logits).as_slice().to_vec();
        (
            (next, a),
            log_p,
            step.attend.map(|c| c.p.as_slice().to_vec()),
        )
    }

    /// Greedy decoding that also records the attention at every step:
    /// the tokens and a `T x N` matrix of weights (row `t`: where output
    /// `t` looked), empty without attention.
    pub fn greedy_with_attention(&self, max_len: usize) -> (Vec<usize>, Mat) {
        let mut state = self.initial();
        let mut token = START;
        let mut tokens = Vec::new();
        let mut rows: Vec<Vec<f64>> = Vec::new();
        while tokens.len() < max_len {
            let (next, log_p, att) = self.step_with_attention(&state, token);
            token = (0..log_p.len())
                .fold(0, |b, i| if log_p[i] > log_p[b] { i } else { b });
            tokens.push(token);
            if let Some(p) = att {
                rows.push(p);
            }
            state = next;
            if token == END {
                break;
            }
        }
        let n = self.hs.len();
        let weights = Mat::from_fn(rows.len(), n, |t, i| rows[t][i]);
        (tokens, weights)
    }
}

impl<C: RecurrentCell> Decoder for Translator<'_, C> {
    /// The decoder cell's state and `a_{t−1}` (`n x 1`; `a_0 = 0`).
    type State = (C::State, Mat);
    fn initial(&self) -> (C::State, Mat) {
        (self.last.clone(), Mat::zeros(self.model.hidden_size(), 1))
    }
    fn start_token(&self) -> usize {
        START
    }
    fn end_token(&self) -> usize {
        END
    }
    fn step(
        &self,
        state: &(C::State, Mat),
        token: usize,
    ) -> ((C::State, Mat), Vec<f64>) {
        let (next, log_p, _) = self.step_with_attention(state, token);
        (next, log_p)
    }
}

/// Greedy translation of one source: the output ids (ending in `<END>` when
/// it was produced within `max_len`).
pub fn translate<C: RecurrentCell>(
    model: &Seq2Seq<C>,
    src: &[usize],
    max_len: usize,
) -> Vec<usize> {
    greedy(&Translator::new(model, src), max_len).tokens
}
