//! The encoder layer (Vaswani et al. 2017, §3.1): self-attention, Add &
//! Normalize, feed-forward, Add & Normalize. With the causal mask the same
//! layer is the block of a decoder-only model (GPT): a decoder layer
//! without cross-attention. Book: `transformer/layers.md#the-encoder-layer`.

use crate::attention::Mask;
use crate::feed_forward::{Activation, FeedForward, FeedForwardCache};
use crate::layer_norm::{LayerNorm, LayerNormCache};
use crate::multi_head::{MultiHeadAttention, MultiHeadCache};
use foundations::shape::{Dim, expect_same_shape, expect_shape};
use foundations::{DMatrix, Error, Rng, impl_params};

/// Where the layer norms sit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub enum Norm {
    /// After each residual sum, as in the paper: `LN(x + f(x))`.
    Post,
    /// Before each sub-layer (GPT-2, Xiong et al. 2020): `x + f(LN(x))`.
    Pre,
}

/// Self-attention and feed-forward, each with a residual and a layer norm.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderLayer {
    /// Multi-head self-attention.
    pub attn: MultiHeadAttention,
    /// The norm of the attention sub-layer.
    pub ln1: LayerNorm,
    /// The position-wise feed-forward network.
    pub ffn: FeedForward,
    /// The norm of the feed-forward sub-layer.
    pub ln2: LayerNorm,
    /// Post- or pre-norm (not a parameter).
    pub norm: Norm,
    /// [`Mask::Causal`] for a decoder-only block (not a parameter).
    pub mask: Mask,
}
impl_params!(EncoderLayer {
    attn,
    ln1,
    ffn,
    ln2
});

/// Every sub-layer's cache.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderCache {
    /// Self-attention.
    pub attn: MultiHeadCache,
    /// First norm.
    pub ln1: LayerNormCache,
    /// Feed-forward.
    pub ffn: FeedForwardCache,
    /// Second norm.
    pub ln2: LayerNormCache,
}

impl EncoderLayer {
    /// A layer of width `d`, `h` heads and hidden width `d_ff`.
    ///
    /// # Errors
    /// When `d` is not divisible by `h`, or a size is 0.
    pub fn new(
        d: usize,
        heads: usize,
        d_ff: usize,
        norm: Norm,
        mask: Mask,
        activation: Activation,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        Ok(EncoderLayer {
            attn: MultiHeadAttention::new(d, heads, rng)?,
            ln1: LayerNorm::new(d)?,
            ffn: FeedForward::new(d, d_ff, activation, rng)?,
            ln2: LayerNorm::new(d)?,
            norm,
            mask,
        })
    }

    /// Post-norm: `z = LN₁(x + MHA(x))`, `y = LN₂(z + FFN(z))`;
    /// pre-norm: `z = x + MHA(LN₁(x))`, `y = z + FFN(LN₂(z))`.
    ///
    /// # Panics
    /// When `x` does not have `d` rows.
    pub fn forward(&self, x: &DMatrix<f64>) -> (DMatrix<f64>, EncoderCache) {
        let func = "encoder_layer::forward";
        expect_shape(func, "x", x, Dim::Is(self.attn.width()), Dim::Any("T"));
        // ANCHOR: forward
        let (y, attn, ln1, ffn, ln2) = match self.norm {
            Norm::Post => {
                let (a, attn) = self.attn.forward(x, x, self.mask);
                let (z, ln1) = self.ln1.forward(&(x + a)); // Add & Normalize
                let (f, ffn) = self.ffn.forward(&z);
                let (y, ln2) = self.ln2.forward(&(&z + f)); // Add & Normalize
                (y, attn, ln1, ffn, ln2)
            }
            Norm::Pre => {
                let (n1, ln1) = self.ln1.forward(x);
                let (a, attn) = self.attn.forward(&n1, &n1, self.mask);
                let z = x + a; // z = x + MHA(LN₁(x))
                let (n2, ln2) = self.ln2.forward(&z);
                let (f, ffn) = self.ffn.forward(&n2);
                (z + f, attn, ln1, ffn, ln2) // y = z + FFN(LN₂(z))
            }
        };
        (
            y,
            EncoderCache {
                attn,
                ln1,
                ffn,
                ln2,
            },
        )
        // ANCHOR_END: forward
    }

    /// Backward of [`Self::forward`]: a residual sends its gradient down
    /// both paths, which add up where they meet.
    ///
    /// Book: `transformer/layers.md#backward-through-a-block`.
    ///
    /// # Panics
    /// When `d_y` is not `d x T`.
    pub fn backward(
        &self,
        cache: &EncoderCache,
        d_y: &DMatrix<f64>,
    ) -> (EncoderLayer, DMatrix<f64>) {
        let func = "encoder_layer::backward";
        expect_same_shape(func, "x", &cache.attn.x_q, "d_y", d_y);
        // ANCHOR: backward
        // BEGIN SOLUTION block-backward
        let c = cache;
        let (attn, ln1, ffn, ln2, d_x) = match self.norm {
            Norm::Post => {
                // y = LN₂(z + FFN(z))
                let (ln2, d_r2) = self.ln2.backward(&c.ln2, d_y);
                let (ffn, d_z_ffn) = self.ffn.backward(&c.ffn, &d_r2);
                let d_z = d_r2 + d_z_ffn; // both paths into z
                // z = LN₁(x + MHA(x, x))
                let (ln1, d_r1) = self.ln1.backward(&c.ln1, &d_z);
                let (attn, d_q, d_kv) = self.attn.backward(&c.attn, &d_r1);
                (attn, ln1, ffn, ln2, d_r1 + d_q + d_kv)
            }
            Norm::Pre => {
                // y = z + FFN(LN₂(z))
                let (ffn, d_n2) = self.ffn.backward(&c.ffn, d_y);
                let (ln2, d_z_ln) = self.ln2.backward(&c.ln2, &d_n2);
                let d_z = d_y + d_z_ln;
                // z = x + MHA(LN₁(x), LN₁(x))
                let (attn, d_q, d_kv) = self.attn.backward(&c.attn, &d_z);
                let (ln1, d_x_ln) = self.ln1.backward(&c.ln1, &(d_q + d_kv));
                (attn, ln1, ffn, ln2, d_z + d_x_ln)
            }
        };
        let grads = EncoderLayer {
            attn,
            ln1,
            ffn,
            ln2,
            norm: self.norm,
            mask: self.mask,
        };
        (grads, d_x)
        // END SOLUTION
        // ANCHOR_END: backward
    }
}
