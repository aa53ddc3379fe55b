//! Decoding: turning a model's next-token distributions into a sequence.
//!
//! * greedy: take the most probable token at every step;
//! * sampling with temperature `τ`: draw from `softmax(o / τ)`;
//! * beam search of width `k`: keep the `k` best partial sequences by
//!   total log-probability, extend each by every token, keep the best `k`
//!   again; finished sequences (ending in `<END>`) are ranked by the
//!   length-normalised score `log P / |y|^α` (Wu et al. 2016 use a variant
//!   of this penalty).
//!
//! Every strategy works on any [`Decoder`], so the tests can build a model
//! whose probabilities are known.
//! Book: `attention/decoding.md#greedy`,
//! `attention/decoding.md#sampling-with-temperature`,
//! `attention/decoding.md#beam-search`.

use foundations::Rng;
use rand::Rng as _;

/// A model that gives, for a state and the last token, the next state and
/// the log-probabilities of every next token.
pub trait Decoder {
    /// What the decoder carries from one step to the next.
    type State: Clone;
    /// The state before the first token.
    fn initial(&self) -> Self::State;
    /// The token the decoder reads first (`<START>`).
    fn start_token(&self) -> usize;
    /// The token that ends a sequence (`<END>`).
    fn end_token(&self) -> usize;
    /// After reading `token`: the next state and `log p(next token)` for
    /// every token of the vocabulary (they exponentiate to a distribution).
    fn step(
        &self,
        state: &Self::State,
        token: usize,
    ) -> (Self::State, Vec<f64>);
}

/// A finished (or cut off) sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    /// The tokens produced, `<END>` included when it was produced.
    pub tokens: Vec<usize>,
    /// `log P(tokens)`, the sum of the steps' log-probabilities.
    pub log_prob: f64,
    /// The length-normalised score `log P / |tokens|^α`.
    pub score: f64,
}

/// `log P / len^α` (`α = 0`: no normalisation; `α = 1`: per-token mean).
pub fn length_normalised(log_prob: f64, len: usize, alpha: f64) -> f64 {
    log_prob / (len.max(1) as f64).powf(alpha)
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Greedy decoding: at each step the most probable token, until `<END>` or
/// `max_len` tokens.
pub fn greedy<D: Decoder>(model: &D, max_len: usize) -> Hypothesis {
    let mut state = model.initial();
    let mut token = model.start_token();
    let mut tokens = Vec::new();
    let mut log_prob = 0.0;
    // ANCHOR: greedy
    while tokens.len() < max_len {
        let (next, log_p) = model.step(&state, token);
        token = argmax(&log_p);
        log_prob += log_p[token];
        tokens.push(token);
        state = next;
        if token == model.end_token() {
            break;
        }
    }
    // ANCHOR_END: greedy
    let score = length_normalised(log_prob, tokens.len(), 0.0);
    Hypothesis {
        tokens,
        log_prob,
        score,
    }
}

/// Sampling with temperature `τ > 0`: each token drawn from
/// `p_i ∝ exp(log p_i / τ)` (`τ < 1` sharper, `τ > 1` flatter), until
/// `<END>` or `max_len`. `log_prob` is under the model (`τ = 1`).
///
/// # Panics
/// When `temperature` is not positive.
pub fn sample<D: Decoder>(
    model: &D,
    max_len: usize,
    temperature: f64,
    rng: &mut Rng,
) -> Hypothesis {
    assert!(
        temperature > 0.0,
        "decode::sample: temperature {temperature} must be > 0"
    );
    let mut state = model.initial();
    let mut token = model.start_token();
    let mut tokens = Vec::new();
    let mut log_prob = 0.0;
    while tokens.len() < max_len {
        let (next, log_p) = model.step(&state, token);
        // ANCHOR: temperature
        let max = log_p.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = log_p
            .iter()
            .map(|l| ((l - max) / temperature).exp())
            .collect();
        let mut u = rng.random::<f64>() * w.iter().sum::<f64>();
        token = w.len() - 1;
        for (i, wi) in w.iter().enumerate() {
            if u < *wi {
                token = i;
                break;
            }
            u -= wi;
        }
        // ANCHOR_END: temperature
        log_prob += log_p[token];
        tokens.push(token);
        state = next;
        if token == model.end_token() {
            break;
        }
    }
    let score = length_normalised(log_prob, tokens.len(), 0.0);
    Hypothesis {
        tokens,
        log_prob,
        score,
    }
}

/// Beam search of width `k`: returns up to `k` hypotheses, best
/// (highest [`length_normalised`] score with exponent `alpha`) first.
///
/// At every step each live hypothesis is extended by every token (one
/// call of `model.step` per live hypothesis); all the extensions together
/// are ranked by total log-probability and taken best first until the live
/// and the finished hypotheses number `k`. An extension ending in `<END>`
/// is finished: it leaves the beam but keeps its place among the `k`. Ties
/// go to the extension of the better-ranked hypothesis, then to the lower
/// token id (so `k = 1` is exactly [`greedy`]); in the final list, equal
/// scores keep the order in which the hypotheses were finished. The search
/// stops when no live hypothesis is left (`k` are finished) or after
/// `max_len` steps; the live ones are then returned unfinished, scored like
/// the others.
///
/// Book: `attention/decoding.md#beam-search`.
///
/// # Panics
/// When `k` is zero.
pub fn beam_search<D: Decoder>(
    model: &D,
    k: usize,
    max_len: usize,
    alpha: f64,
) -> Vec<Hypothesis> {
    assert!(k > 0, "decode::beam_search: beam width k must be ≥ 1");
    // BEGIN SOLUTION beam-search
    // ANCHOR: beam
    // a live hypothesis: (tokens, log P, state, last token)
    let mut live =
        vec![(Vec::new(), 0.0, model.initial(), model.start_token())];
    let mut finished: Vec<Hypothesis> = Vec::new();
    for _ in 0..max_len {
        // every extension of every live hypothesis, by total log P
        let mut ext: Vec<(usize, usize, f64, D::State)> = Vec::new();
        for (h, (_, lp, state, last)) in live.iter().enumerate() {
            let (next, log_p) = model.step(state, *last);
            for (tok, l) in log_p.iter().enumerate() {
                ext.push((h, tok, lp + l, next.clone()));
            }
        }
        // best first; ties to the earlier hypothesis, then the lower token
        ext.sort_by(|a, b| {
            b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1))
        });
        let mut next_live = Vec::new();
        for (h, tok, lp, state) in ext {
            if next_live.len() + finished.len() >= k {
                break;
            }
            let mut tokens = live[h].0.clone();
            tokens.push(tok);
            if tok == model.end_token() {
                let score = length_normalised(lp, tokens.len(), alpha);
                finished.push(Hypothesis {
                    tokens,
                    log_prob: lp,
                    score,
                });
            } else {
                next_live.push((tokens, lp, state, tok));
            }
        }
        live = next_live;
        if live.is_empty() {
            break;
        }
    }
    // whatever is still live at max_len is returned unfinished
    for (tokens, lp, _, _) in live {
        let score = length_normalised(lp, tokens.len(), alpha);
        finished.push(Hypothesis {
            tokens,
            log_prob: lp,
            score,
        });
    }
    finished.sort_by(|a, b| b.score.total_cmp(&a.score));
    finished.truncate(k);
    // ANCHOR_END: beam
    finished
    // END SOLUTION
}
