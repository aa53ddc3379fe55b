//! # attention — sequence to sequence with attention, by hand
//!
//! Letters (from the lecture): `q` a query, `k_i` keys, `v_i` values,
//! `s_i` scores, `p` the attention distribution, `z` the attention output;
//! in the encoder-decoder, `N` source steps with encoder states `h_i`,
//! `T` target steps with decoder states `s_t`, attention scores `e_i`,
//! weights `α`, attention output `a_t`; `n` hidden size, `d` key size,
//! `V` target vocabulary, `k` beam width, `τ` temperature, `B` batch;
//! in captioning, `v_i` the image regions (`R` of `K` numbers), `E` the
//! word embedding (`m x V`).
//!
//! * [`attention`]: the reference `attention_forward_reference` / `attention_backward_reference`
//!   and the softmax Jacobian `diag(p) − p pᵀ` (exercises);
//! * [`additive`]: Bahdanau's additive scoring `vᵀ tanh(W_q q + W_k k)`;
//! * [`engine`]: batched dot-product attention, the form the model uses;
//! * [`seq2seq`]: the encoder-decoder on any recurrent cell (LSTM, GRU),
//!   with attention or with the last encoder state only;
//! * [`input_feeding`]: the option of feeding `a_{t−1}` into the decoder,
//!   `s_t = f(s_{t−1}, [y_{t−1}; a_{t−1}])`;
//! * [`decoder_step`]: one decoder step with attention, reference form
//!   (exercise);
//! * [`decode`]: greedy, temperature sampling, beam search (exercise);
//! * [`translate`](mod@translate): a trained model as a decoder for one source;
//! * [`captioning`]: a digit's English word from CNN features, character
//!   by character (the slides' `h = tanh(W_xh x + W_hh h + W_ih v)`);
//! * [`show_attend_tell`]: "show, attend and tell" as the captioning slides
//!   draw it: an LSTM reading `[E y_{t−1}; h_{t−1}; z_t]`, `z_t` the
//!   attention output over image regions.
//!
//! Book: `attention/index.md#what-we-build`.

pub mod additive;
pub mod attention;
pub mod captioning;
pub mod decode;
pub mod decoder_step;
pub mod engine;
pub mod input_feeding;
pub mod seq2seq;
pub mod show_attend_tell;
pub mod translate;

pub use additive::{Additive, AdditiveCache};
pub use attention::{
    AttentionCache, Scoring, attention_backward_reference,
    attention_forward_reference, softmax_jacobian,
};
pub use decode::{Decoder, Hypothesis, beam_search, greedy, sample};
pub use decoder_step::{DecoderStep, decoder_step_reference};
pub use seq2seq::{Context, Seq2Seq, Seq2SeqCache};
pub use translate::{Translator, translate};
