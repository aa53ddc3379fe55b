//! # transformer — attention is all you need, by hand
//!
//! Letters (Vaswani et al. 2017, and the lecture): `T` tokens in a
//! sequence, `d` the model width, `h` heads, `d_k = d/h` rows per head,
//! `d_ff` the feed-forward width, `V` the vocabulary, `N` blocks, `B` the
//! batch. Tokens are **columns**: a sequence is a `d x T` matrix; the
//! attention weights are `T_k x T_q` with column `i` belonging to query `i`.
//!
//! Reference layers (the exercises) are one file each; [`fast_gpt`] is the
//! fused engine that trains the tiny GPT, tested equal to [`model::Gpt`]'s
//! reference loss. Book: `transformer/index.md#letters-and-layout`.

pub mod attention;
pub mod decoder_layer;
pub mod encoder_layer;
pub mod fast_gpt;
pub mod feed_forward;
pub mod layer_norm;
pub mod model;
pub mod multi_head;
pub mod positional;

pub use crate::attention::Mask;
pub use decoder_layer::DecoderLayer;
pub use encoder_layer::{EncoderLayer, Norm};
pub use feed_forward::{Activation, FeedForward};
pub use layer_norm::LayerNorm;
pub use model::{Config, EncoderDecoder, Gpt, PositionKind};
pub use multi_head::MultiHeadAttention;
pub use positional::Positional;
