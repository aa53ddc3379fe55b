//! Whole models from the layers: a decoder-only language model (the tiny
//! GPT) and an encoder-decoder transformer. These are the *reference*
//! models, built from the layer files one call at a time; the fused engine
//! that trains the GPT fast is `fast_gpt.rs`, tested equal to this.
//! Book: `transformer/gpt.md#the-model`.

use crate::attention::Mask;
use crate::decoder_layer::{DecoderCache, DecoderLayer};
use crate::encoder_layer::{EncoderCache, EncoderLayer, Norm};
use crate::feed_forward::Activation;
use crate::layer_norm::LayerNorm;
use crate::positional::Positional;
use foundations::softmax::{Reduction, cross_entropy};
use foundations::{DMatrix, Error, ParamsExt, Rng, impl_params, init};
use serde::{Deserialize, Serialize};

/// Fixed sinusoids or a learned table of positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PositionKind {
    /// The paper's sinusoids.
    Sinusoidal,
    /// Learned, as in GPT.
    Learned,
}

/// The sizes of a model (`V`, `d`, `h`, `N` layers, `d_ff`, `T_max`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `V`, the vocabulary.
    pub vocab: usize,
    /// `d`, the model width.
    pub d: usize,
    /// `h`, heads.
    pub heads: usize,
    /// `N`, blocks.
    pub layers: usize,
    /// `d_ff`, the feed-forward width.
    pub d_ff: usize,
    /// `T_max`, the longest context.
    pub max_len: usize,
    /// Post- or pre-norm.
    pub norm: Norm,
    /// Sinusoidal or learned positions.
    pub positions: PositionKind,
    /// ReLU or GELU.
    pub activation: Activation,
}

impl Config {
    fn check(&self, layer: &str) -> Result<(), Error> {
        if self.vocab == 0 || self.layers == 0 {
            return Err(Error::config(
                layer,
                format!(
                    "vocabulary V = {} and layers N = {} must be ≥ 1",
                    self.vocab, self.layers
                ),
            ));
        }
        Ok(())
    }

    fn positional(&self, rng: &mut Rng) -> Result<Positional, Error> {
        match self.positions {
            PositionKind::Sinusoidal => {
                Positional::sinusoidal(self.d, self.max_len)
            }
            PositionKind::Learned => {
                Positional::learned(self.d, self.max_len, rng)
            }
        }
    }

    /// `N` encoder layers of these sizes (GPT's blocks with [`Mask::Causal`]).
    fn blocks(
        &self,
        mask: Mask,
        rng: &mut Rng,
    ) -> Result<Vec<EncoderLayer>, Error> {
        let c = self;
        (0..c.layers)
            .map(|_| {
                EncoderLayer::new(
                    c.d,
                    c.heads,
                    c.d_ff,
                    c.norm,
                    mask,
                    c.activation,
                    rng,
                )
            })
            .collect()
    }
}

/// The columns `W_E[:, ids[t]]`: one embedding per token.
pub fn embed(w: &DMatrix<f64>, ids: &[usize]) -> DMatrix<f64> {
    let mut x = DMatrix::zeros(w.nrows(), ids.len());
    for (t, &id) in ids.iter().enumerate() {
        assert!(
            id < w.ncols(),
            "model::embed: token id {id} is out of range for a vocabulary of {}",
            w.ncols()
        );
        x.column_mut(t).copy_from(&w.column(id));
    }
    x
}

/// `∂L/∂W_E[:, ids[t]] += ∂L/∂x_t`: a token used twice gets both.
pub fn embed_backward(
    d_x: &DMatrix<f64>,
    ids: &[usize],
    d_w: &mut DMatrix<f64>,
) {
    for (t, &id) in ids.iter().enumerate() {
        let mut col = d_w.column_mut(id);
        col += d_x.column(t);
    }
}

/// A decoder-only language model: token embedding + positions, `N` causal
/// blocks, a final layer norm and the output projection to `V` logits.
#[derive(Debug, Clone, PartialEq)]
pub struct Gpt {
    /// The sizes (not a parameter).
    pub config: Config,
    /// Token embeddings `W_E`, `d x V`.
    pub wte: DMatrix<f64>,
    /// Positions.
    pub pos: Positional,
    /// The blocks (encoder layers with the causal mask).
    pub blocks: Vec<EncoderLayer>,
    /// The final norm.
    pub ln_f: LayerNorm,
    /// The output projection, `V x d`.
    pub w_out: DMatrix<f64>,
}
impl_params!(Gpt {
    wte,
    pos,
    blocks,
    ln_f,
    w_out
});

impl Gpt {
    /// A model of the given sizes.
    ///
    /// # Errors
    /// When `d` is not divisible by `h`, or a size is 0.
    pub fn new(config: Config, rng: &mut Rng) -> Result<Self, Error> {
        config.check("Gpt")?;
        let c = config;
        let blocks = c.blocks(Mask::Causal, rng)?;
        Ok(Gpt {
            config,
            wte: init::normal(c.d, c.vocab, 0.1, rng),
            pos: c.positional(rng)?,
            blocks,
            ln_f: LayerNorm::new(c.d)?,
            w_out: init::xavier(c.vocab, c.d, rng),
        })
    }

    /// Checks a batch of sequences of `T + 1` ids (inputs `s[..T]`, targets
    /// `s[1..]`) and returns `T`.
    ///
    /// # Panics
    /// On an empty batch, sequences of different or too short lengths, a
    /// sequence longer than the positional table, or an unknown id.
    pub fn check_batch(&self, func: &str, batch: &[Vec<usize>]) -> usize {
        assert!(!batch.is_empty(), "{func}: the batch is empty");
        let t = batch[0].len().saturating_sub(1);
        for s in batch {
            assert!(
                s.len() == t + 1 && t >= 1,
                "{func}: every sequence needs the same length ≥ 2 (T + 1 \
                 ids), got {} and {}",
                batch[0].len(),
                s.len()
            );
            if let Some(&id) = s.iter().find(|&&id| id >= self.config.vocab) {
                panic!(
                    "{func}: token id {id} is out of range for a vocabulary \
                     of {}",
                    self.config.vocab
                );
            }
        }
        self.pos.check_len(func, t);
        t
    }

    /// The reference loss and gradients of a batch: the mean cross-entropy
    /// of the next token over all `B·T` positions, through the layer files.
    ///
    /// # Panics
    /// As [`Self::check_batch`].
    pub fn loss_reference(&self, batch: &[Vec<usize>]) -> (f64, Gpt) {
        let t = self.check_batch("Gpt::loss_reference", batch);
        let n = (batch.len() * t) as f64;
        let mut grads = self.zeros_like();
        let mut loss = 0.0;
        for s in batch {
            let (inputs, targets) = (&s[..t], &s[1..]);
            // ANCHOR: gpt_forward
            let x = self.pos.forward(&embed(&self.wte, inputs)); // e + p
            let mut h = x;
            let mut caches: Vec<EncoderCache> = Vec::new();
            for block in &self.blocks {
                let (y, cache) = block.forward(&h);
                caches.push(cache);
                h = y;
            }
            let (z, ln_cache) = self.ln_f.forward(&h);
            let logits = &self.w_out * &z; // V x T
            let (l, d_logits) =
                cross_entropy(&logits, targets, Reduction::MeanBy(n));
            // ANCHOR_END: gpt_forward
            loss += l;
            // ANCHOR: gpt_backward
            grads.w_out += &d_logits * z.transpose();
            let d_z = self.w_out.tr_mul(&d_logits);
            let (g_ln, mut d_h) = self.ln_f.backward(&ln_cache, &d_z);
            grads.ln_f.accumulate(&g_ln);
            for (i, block) in self.blocks.iter().enumerate().rev() {
                let (g, d_x) = block.backward(&caches[i], &d_h);
                grads.blocks[i].accumulate(&g);
                d_h = d_x;
            }
            grads.pos.accumulate(&self.pos.backward(&d_h));
            embed_backward(&d_h, inputs, &mut grads.wte);
            // ANCHOR_END: gpt_backward
        }
        (loss, grads)
    }
}

/// An encoder-decoder transformer: source and target embeddings, `N`
/// encoder layers, `N` decoder layers attending to the encoder's output,
/// final norms and the output projection.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderDecoder {
    /// The sizes (`vocab` is the target vocabulary; not a parameter).
    pub config: Config,
    /// Source embeddings, `d x V_src`.
    pub src_embed: DMatrix<f64>,
    /// Target embeddings, `d x V`.
    pub tgt_embed: DMatrix<f64>,
    /// Positions, shared by both sides.
    pub pos: Positional,
    /// Encoder layers (no mask).
    pub encoder: Vec<EncoderLayer>,
    /// The encoder's final norm.
    pub enc_ln: LayerNorm,
    /// Decoder layers.
    pub decoder: Vec<DecoderLayer>,
    /// The decoder's final norm.
    pub dec_ln: LayerNorm,
    /// Output projection, `V x d`.
    pub w_out: DMatrix<f64>,
}
impl_params!(EncoderDecoder {
    src_embed,
    tgt_embed,
    pos,
    encoder,
    enc_ln,
    decoder,
    dec_ln,
    w_out
});

/// What [`EncoderDecoder::backward`] needs.
#[derive(Debug, Clone)]
pub struct EncoderDecoderCache {
    src: Vec<usize>,
    tgt: Vec<usize>,
    enc: Vec<EncoderCache>,
    enc_ln: crate::layer_norm::LayerNormCache,
    memory: DMatrix<f64>,
    dec: Vec<DecoderCache>,
    dec_ln: crate::layer_norm::LayerNormCache,
    z: DMatrix<f64>,
}

impl EncoderDecoder {
    /// A model with `src_vocab` source tokens and `config.vocab` target
    /// tokens.
    ///
    /// # Errors
    /// When `d` is not divisible by `h`, or a size is 0.
    pub fn new(
        config: Config,
        src_vocab: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        config.check("EncoderDecoder")?;
        let c = config;
        if src_vocab == 0 {
            return Err(Error::config(
                "EncoderDecoder",
                "empty source vocabulary",
            ));
        }
        let encoder = c.blocks(Mask::None, rng)?;
        let decoder = (0..c.layers)
            .map(|_| {
                DecoderLayer::new(
                    c.d,
                    c.heads,
                    c.d_ff,
                    c.norm,
                    c.activation,
                    rng,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EncoderDecoder {
            config,
            src_embed: init::normal(c.d, src_vocab, 0.1, rng),
            tgt_embed: init::normal(c.d, c.vocab, 0.1, rng),
            pos: c.positional(rng)?,
            encoder,
            enc_ln: LayerNorm::new(c.d)?,
            decoder,
            dec_ln: LayerNorm::new(c.d)?,
            w_out: init::xavier(c.vocab, c.d, rng),
        })
    }

    /// The logits (`V x T`) of the target tokens `tgt` given `src`.
    ///
    /// # Panics
    /// On an empty sequence, one longer than the positional table, or an
    /// unknown id.
    pub fn forward(
        &self,
        src: &[usize],
        tgt: &[usize],
    ) -> (DMatrix<f64>, EncoderDecoderCache) {
        let func = "EncoderDecoder::forward";
        assert!(!src.is_empty() && !tgt.is_empty(), "{func}: empty sequence");
        self.pos.check_len(func, src.len().max(tgt.len()));
        let mut h = self.pos.forward(&embed(&self.src_embed, src));
        let mut enc = Vec::new();
        for layer in &self.encoder {
            let (y, c) = layer.forward(&h);
            enc.push(c);
            h = y;
        }
        let (memory, enc_ln) = self.enc_ln.forward(&h);
        let mut h = self.pos.forward(&embed(&self.tgt_embed, tgt));
        let mut dec = Vec::new();
        for layer in &self.decoder {
            let (y, c) = layer.forward(&h, &memory);
            dec.push(c);
            h = y;
        }
        let (z, dec_ln) = self.dec_ln.forward(&h);
        let logits = &self.w_out * &z;
        let cache = EncoderDecoderCache {
            src: src.to_vec(),
            tgt: tgt.to_vec(),
            enc,
            enc_ln,
            memory,
            dec,
            dec_ln,
            z,
        };
        (logits, cache)
    }

    /// Every parameter's gradient from `∂L/∂logits`.
    pub fn backward(
        &self,
        cache: &EncoderDecoderCache,
        d_logits: &DMatrix<f64>,
    ) -> EncoderDecoder {
        let mut g = self.zeros_like();
        g.w_out = d_logits * cache.z.transpose();
        let (g_ln, mut d_h) = self
            .dec_ln
            .backward(&cache.dec_ln, &self.w_out.tr_mul(d_logits));
        g.dec_ln = g_ln;
        // every decoder layer reads the memory: its gradients add up
        let mut d_mem =
            DMatrix::zeros(cache.memory.nrows(), cache.memory.ncols());
        for (i, layer) in self.decoder.iter().enumerate().rev() {
            let (gl, d_x, d_m) = layer.backward(&cache.dec[i], &d_h);
            g.decoder[i] = gl;
            d_mem += d_m;
            d_h = d_x;
        }
        g.pos.accumulate(&self.pos.backward(&d_h));
        embed_backward(&d_h, &cache.tgt, &mut g.tgt_embed);
        let (g_ln, mut d_h) = self.enc_ln.backward(&cache.enc_ln, &d_mem);
        g.enc_ln = g_ln;
        for (i, layer) in self.encoder.iter().enumerate().rev() {
            let (gl, d_x) = layer.backward(&cache.enc[i], &d_h);
            g.encoder[i] = gl;
            d_h = d_x;
        }
        g.pos.accumulate(&self.pos.backward(&d_h));
        embed_backward(&d_h, &cache.src, &mut g.src_embed);
        g
    }

    /// Teacher forcing: the mean cross-entropy of `tgt_out` given `src` and
    /// the shifted `tgt_in`, and the gradients.
    ///
    /// # Panics
    /// As [`Self::forward`], or when `tgt_in` and `tgt_out` differ in length.
    pub fn loss(
        &self,
        src: &[usize],
        tgt_in: &[usize],
        tgt_out: &[usize],
    ) -> (f64, EncoderDecoder) {
        let (logits, cache) = self.forward(src, tgt_in);
        let (l, d) = cross_entropy(&logits, tgt_out, Reduction::Mean);
        (l, self.backward(&cache, &d))
    }
}
