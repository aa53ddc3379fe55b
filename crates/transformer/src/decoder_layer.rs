//! The decoder layer (Vaswani et al. 2017, §3.1): masked self-attention,
//! encoder-decoder (cross) attention over the encoder's output `M`, and the
//! feed-forward network, each with a residual and a layer norm.
//! Book: `transformer/layers.md#the-decoder-layer`.

use crate::attention::Mask;
use crate::encoder_layer::Norm;
use crate::feed_forward::{Activation, FeedForward, FeedForwardCache};
use crate::layer_norm::{LayerNorm, LayerNormCache};
use crate::multi_head::{MultiHeadAttention, MultiHeadCache};
use foundations::shape::{Dim, expect_same_shape, expect_shape};
use foundations::{DMatrix, Error, Rng, impl_params};

/// Masked self-attention, cross-attention and feed-forward.
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderLayer {
    /// Masked multi-head self-attention.
    pub self_attn: MultiHeadAttention,
    /// Its norm.
    pub ln1: LayerNorm,
    /// Multi-head attention from the decoder's tokens to the encoder's.
    pub cross_attn: MultiHeadAttention,
    /// Its norm.
    pub ln2: LayerNorm,
    /// The position-wise feed-forward network.
    pub ffn: FeedForward,
    /// Its norm.
    pub ln3: LayerNorm,
    /// Post- or pre-norm (not a parameter).
    pub norm: Norm,
}
impl_params!(DecoderLayer {
    self_attn,
    ln1,
    cross_attn,
    ln2,
    ffn,
    ln3
});

/// Every sub-layer's cache.
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderCache {
    /// Masked self-attention.
    pub self_attn: MultiHeadCache,
    /// First norm.
    pub ln1: LayerNormCache,
    /// Cross-attention.
    pub cross_attn: MultiHeadCache,
    /// Second norm.
    pub ln2: LayerNormCache,
    /// Feed-forward.
    pub ffn: FeedForwardCache,
    /// Third norm.
    pub ln3: LayerNormCache,
}

impl DecoderLayer {
    /// A layer of width `d`, `h` heads and hidden width `d_ff`.
    ///
    /// # Errors
    /// When `d` is not divisible by `h`, or a size is 0.
    pub fn new(
        d: usize,
        heads: usize,
        d_ff: usize,
        norm: Norm,
        activation: Activation,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        Ok(DecoderLayer {
            self_attn: MultiHeadAttention::new(d, heads, rng)?,
            ln1: LayerNorm::new(d)?,
            cross_attn: MultiHeadAttention::new(d, heads, rng)?,
            ln2: LayerNorm::new(d)?,
            ffn: FeedForward::new(d, d_ff, activation, rng)?,
            ln3: LayerNorm::new(d)?,
            norm,
        })
    }

    /// Post-norm: `z₁ = LN₁(x + MMHA(x))`, `z₂ = LN₂(z₁ + MHA(z₁, M))`,
    /// `y = LN₃(z₂ + FFN(z₂))`; pre-norm moves each `LN` inside its branch.
    ///
    /// # Panics
    /// When `x` or `memory` does not have `d` rows.
    pub fn forward(
        &self,
        x: &DMatrix<f64>,
        memory: &DMatrix<f64>,
    ) -> (DMatrix<f64>, DecoderCache) {
        let d = self.self_attn.width();
        let func = "decoder_layer::forward";
        expect_shape(func, "x", x, Dim::Is(d), Dim::Any("T"));
        expect_shape(func, "memory", memory, Dim::Is(d), Dim::Any("T_src"));
        // ANCHOR: forward
        let (y, self_attn, ln1, cross_attn, ln2, ffn, ln3) = match self.norm {
            Norm::Post => {
                let (a, self_attn) = self.self_attn.forward(x, x, Mask::Causal);
                let (z1, ln1) = self.ln1.forward(&(x + a));
                let (c, cross_attn) =
                    self.cross_attn.forward(&z1, memory, Mask::None);
                let (z2, ln2) = self.ln2.forward(&(&z1 + c));
                let (f, ffn) = self.ffn.forward(&z2);
                let (y, ln3) = self.ln3.forward(&(&z2 + f));
                (y, self_attn, ln1, cross_attn, ln2, ffn, ln3)
            }
            Norm::Pre => {
                let (n1, ln1) = self.ln1.forward(x);
                let (a, self_attn) =
                    self.self_attn.forward(&n1, &n1, Mask::Causal);
                let z1 = x + a;
                let (n2, ln2) = self.ln2.forward(&z1);
                let (c, cross_attn) =
                    self.cross_attn.forward(&n2, memory, Mask::None);
                let z2 = z1 + c;
                let (n3, ln3) = self.ln3.forward(&z2);
                let (f, ffn) = self.ffn.forward(&n3);
                (z2 + f, self_attn, ln1, cross_attn, ln2, ffn, ln3)
            }
        };
        let cache = DecoderCache {
            self_attn,
            ln1,
            cross_attn,
            ln2,
            ffn,
            ln3,
        };
        (y, cache)
        // ANCHOR_END: forward
    }

    /// Backward of [`Self::forward`]: the gradients, `∂L/∂x` and `∂L/∂M`.
    ///
    /// Book: `transformer/layers.md#the-decoder-layer`.
    ///
    /// # Panics
    /// When `d_y` is not `d x T`.
    pub fn backward(
        &self,
        cache: &DecoderCache,
        d_y: &DMatrix<f64>,
    ) -> (DecoderLayer, DMatrix<f64>, DMatrix<f64>) {
        let func = "decoder_layer::backward";
        expect_same_shape(func, "x", &cache.self_attn.x_q, "d_y", d_y);
        // ANCHOR: backward
        // BEGIN SOLUTION decoder-backward
        let c = cache;
        let (g, d_x, d_mem) = match self.norm {
            Norm::Post => {
                // y = LN₃(z₂ + FFN(z₂))
                let (ln3, d_r3) = self.ln3.backward(&c.ln3, d_y);
                let (ffn, d_z2_f) = self.ffn.backward(&c.ffn, &d_r3);
                let d_z2 = d_r3 + d_z2_f;
                // z₂ = LN₂(z₁ + MHA(z₁, M))
                let (ln2, d_r2) = self.ln2.backward(&c.ln2, &d_z2);
                let (cross_attn, d_z1_c, d_mem) =
                    self.cross_attn.backward(&c.cross_attn, &d_r2);
                let d_z1 = d_r2 + d_z1_c;
                // z₁ = LN₁(x + MMHA(x))
                let (ln1, d_r1) = self.ln1.backward(&c.ln1, &d_z1);
                let (self_attn, d_q, d_kv) =
                    self.self_attn.backward(&c.self_attn, &d_r1);
                let g = (self_attn, ln1, cross_attn, ln2, ffn, ln3);
                (g, d_r1 + d_q + d_kv, d_mem)
            }
            Norm::Pre => {
                // y = z₂ + FFN(LN₃(z₂))
                let (ffn, d_n3) = self.ffn.backward(&c.ffn, d_y);
                let (ln3, d_z2_ln) = self.ln3.backward(&c.ln3, &d_n3);
                let d_z2 = d_y + d_z2_ln;
                // z₂ = z₁ + MHA(LN₂(z₁), M)
                let (cross_attn, d_n2, d_mem) =
                    self.cross_attn.backward(&c.cross_attn, &d_z2);
                let (ln2, d_z1_ln) = self.ln2.backward(&c.ln2, &d_n2);
                let d_z1 = &d_z2 + d_z1_ln;
                // z₁ = x + MMHA(LN₁(x))
                let (self_attn, d_q, d_kv) =
                    self.self_attn.backward(&c.self_attn, &d_z1);
                let (ln1, d_x_ln) = self.ln1.backward(&c.ln1, &(d_q + d_kv));
                let g = (self_attn, ln1, cross_attn, ln2, ffn, ln3);
                (g, d_z1 + d_x_ln, d_mem)
            }
        };
        let (self_attn, ln1, cross_attn, ln2, ffn, ln3) = g;
        let grads = DecoderLayer {
            self_attn,
            ln1,
            cross_attn,
            ln2,
            ffn,
            ln3,
            norm: self.norm,
        };
        (grads, d_x, d_mem)
        // END SOLUTION
        // ANCHOR_END: backward
    }
}
