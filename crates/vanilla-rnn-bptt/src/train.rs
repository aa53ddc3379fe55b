//! The character-level language model's training loop, generic over the
//! cell: min-char-rnn's recipe (Karpathy 2015) — chunks of `T` characters,
//! the hidden state carried from chunk to chunk, Adagrad, gradients clipped
//! element-wise to ±5. Clipping happens here, *outside* [`crate::bptt`]
//! (the function that is gradient-checked). A non-finite loss stops
//! training with an error.
//!
//! Book: `vanilla-rnn-bptt/char-model.md#training`.

use crate::bptt::{bptt, sequence_forward, truncated_bptt};
use crate::cell::RecurrentCell;
use crate::loss::{LossScale, Targets, sequence_loss};
use crate::output::RecurrentModel;
use foundations::clip::{clip_elementwise, clip_global_norm};
use foundations::optim::{Adagrad, Optimizer};
use foundations::{Error, ensure_finite};
use nalgebra::DMatrix;

/// How gradients are clipped before the update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clip {
    /// No clipping.
    None,
    /// Every entry to `[−c, c]` (min-char-rnn uses 5).
    Elementwise(f64),
    /// Rescale when the global L2 norm exceeds the threshold (the slide).
    GlobalNorm(f64),
}

impl Clip {
    /// Clips `grads` in place.
    pub fn apply<P: foundations::Params>(self, grads: &mut P) {
        match self {
            Clip::None => {}
            Clip::Elementwise(c) => clip_elementwise(grads, c),
            Clip::GlobalNorm(t) => {
                clip_global_norm(grads, t);
            }
        }
    }
}

/// The training hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// `T`, characters per chunk (min-char-rnn: 25).
    pub seq_len: usize,
    /// Adagrad's learning rate (min-char-rnn: 0.1).
    pub lr: f64,
    /// Clipping before the update (min-char-rnn: element-wise to ±5).
    pub clip: Clip,
    /// How the per-step losses are combined (min-char-rnn: the sum).
    pub scale: LossScale,
    /// Truncation inside a chunk: backpropagate only `k` steps at a time
    /// (`None`: the whole chunk, which is already truncated BPTT across
    /// chunks since the state is carried but not differentiated).
    pub truncation: Option<usize>,
}

impl TrainConfig {
    /// The classic min-char-rnn setup: `T = 25`, Adagrad with learning
    /// rate 0.1, element-wise clipping to ±5, the summed loss.
    pub fn min_char_rnn() -> Self {
        TrainConfig {
            seq_len: 25,
            lr: 0.1,
            clip: Clip::Elementwise(5.0),
            scale: LossScale::Sum,
            truncation: None,
        }
    }

    /// Checks that the configuration can work.
    ///
    /// # Errors
    /// [`Error::Config`] for `T = 0`, a non-positive or non-finite learning
    /// rate, a non-positive clipping threshold or a truncation of 0.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::config("TrainConfig", reason));
        if self.seq_len == 0 {
            return bad("seq_len T must be at least 1".into());
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(format!("learning rate {} must be > 0", self.lr));
        }
        match self.clip {
            Clip::Elementwise(c) | Clip::GlobalNorm(c)
                if c.is_nan() || c <= 0.0 =>
            {
                return bad(format!("clipping threshold {c} must be > 0"));
            }
            _ => {}
        }
        if self.truncation == Some(0) {
            return bad("truncation k must be at least 1".into());
        }
        Ok(())
    }

    /// The clipping threshold of min-char-rnn's recipe, the one
    /// configuration the fast paths implement: the summed loss,
    /// element-wise clipping, whole-chunk BPTT.
    ///
    /// # Errors
    /// [`Error::Config`] naming `trainer` for a bad or any other
    /// configuration.
    pub fn fast_clip(&self, trainer: &str) -> Result<f64, Error> {
        self.validate()?;
        match self.clip {
            Clip::Elementwise(c)
                if self.scale == LossScale::Sum
                    && self.truncation.is_none() =>
            {
                Ok(c)
            }
            _ => Err(Error::config(
                trainer,
                "the fast path implements the summed loss, element-wise \
                 clipping and whole-chunk BPTT; use CharTrainer otherwise",
            )),
        }
    }
}

/// Checks that every id is below `v`: [`Error::Data`] naming the first id
/// out of range.
fn check_ids(ids: &[usize], v: usize) -> Result<(), Error> {
    match ids.iter().position(|&id| id >= v) {
        Some(i) => Err(Error::Data(format!(
            "id {} at position {i} is outside the vocabulary of {v}",
            ids[i]
        ))),
        None => Ok(()),
    }
}

/// One one-hot column (`v x 1`, [`datasets::one_hot`]) per id: the inputs
/// `x^(1) … x^(T)` of a sequence.
///
/// # Panics
/// When an id is `≥ v`.
pub fn one_hot_inputs(ids: &[usize], v: usize) -> Vec<DMatrix<f64>> {
    ids.iter().map(|&id| datasets::one_hot(&[id], v)).collect()
}

/// One update on one chunk: BPTT over `inputs` (character ids, one-hot)
/// predicting `targets`, then clipping and the optimizer's step. Returns
/// the chunk's loss (before the update) and the last state, to carry into
/// the next chunk.
///
/// # Errors
/// [`Error::Data`] for an empty chunk, inputs and targets of different
/// lengths or an id outside the vocabulary; [`Error::Config`] for a bad
/// `config`; [`Error::NonFiniteLoss`] when the loss is NaN or infinite (the
/// model is then left unchanged).
pub fn train_step<C: RecurrentCell, O: Optimizer>(
    model: &mut RecurrentModel<C>,
    opt: &mut O,
    state: &C::State,
    inputs: &[usize],
    targets: &[usize],
    config: &TrainConfig,
    step: usize,
) -> Result<(f64, C::State), Error> {
    // ANCHOR: train_step
    config.validate()?;
    if inputs.is_empty() {
        return Err(Error::Data("train_step: empty sequence".into()));
    }
    if inputs.len() != targets.len() {
        return Err(Error::Data(format!(
            "train_step: {} inputs but {} targets",
            inputs.len(),
            targets.len()
        )));
    }
    check_ids(inputs, model.cell.input_size())?;
    check_ids(targets, model.outputs())?;
    let xs = one_hot_inputs(inputs, model.cell.input_size());
    let ys = Targets::from_ids(targets);
    let k = config.truncation.unwrap_or(xs.len());
    let mut r = if k >= xs.len() {
        bptt(model, state, &xs, &ys, config.scale)
    } else {
        truncated_bptt(model, state, &xs, &ys, config.scale, k)
    };
    let loss = ensure_finite(r.loss, step)?;
    config.clip.apply(&mut r.grads); // outside the checked function
    opt.step(model, &r.grads);
    Ok((loss, r.last_state))
    // ANCHOR_END: train_step
}

/// min-char-rnn's walk over a corpus of ids, shared by [`CharTrainer`]
/// and the fast trainers: chunk after chunk of `T + 1` characters (inputs
/// `ids[p..p+T]`, targets `ids[p+1..p+T+1]`), back to the start when the
/// corpus ends (where the trainer resets its state to zero); it also counts
/// the updates and keeps min-char-rnn's `smooth_loss`.
#[derive(Debug, Clone)]
pub struct Chunks {
    data: Vec<usize>,
    pos: usize,
    seq_len: usize,
    steps: usize,
    smooth_loss: f64,
}

impl Chunks {
    /// Chunks of `config.seq_len` for a model that reads `reads` classes
    /// and predicts `predicts`; `trainer` names the caller in errors.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad `config` or `reads ≠ predicts` (a char
    /// model reads and predicts the same vocabulary); [`Error::Data`] when
    /// `data` has fewer than `T + 1` characters or an id outside the
    /// vocabulary.
    pub fn new(
        trainer: &str,
        data: Vec<usize>,
        (reads, predicts): (usize, usize),
        config: &TrainConfig,
    ) -> Result<Self, Error> {
        config.validate()?;
        if reads != predicts {
            return Err(Error::config(
                trainer,
                format!(
                    "a char model reads and predicts the same vocabulary, \
                     but the cell reads {reads} and the output has \
                     {predicts} classes"
                ),
            ));
        }
        let t = config.seq_len;
        if data.len() < t + 1 {
            return Err(Error::Data(format!(
                "{trainer}: {} characters of data, need at least T + 1 = {}",
                data.len(),
                t + 1
            )));
        }
        check_ids(&data, predicts)?;
        let ln_v = (predicts as f64).ln();
        let smooth_loss = match config.scale {
            LossScale::Sum => ln_v * t as f64,
            _ => ln_v,
        };
        Ok(Chunks {
            data,
            pos: 0,
            seq_len: t,
            steps: 0,
            smooth_loss,
        })
    }

    /// The next chunk's `(inputs, targets, wrapped)`: `wrapped` when the
    /// corpus has ended and the chunk starts again at 0, so that the
    /// trainer resets its state.
    pub fn chunk(&mut self) -> (&[usize], &[usize], bool) {
        let t = self.seq_len;
        let wrapped = self.pos + t + 1 > self.data.len();
        if wrapped {
            self.pos = 0;
        }
        let d = &self.data[self.pos..self.pos + t + 1];
        (&d[..t], &d[1..], wrapped)
    }

    /// Moves past the chunk just trained on, whose loss was `loss`.
    pub fn advance(&mut self, loss: f64) {
        self.pos += self.seq_len;
        self.steps += 1;
        self.smooth_loss = 0.999 * self.smooth_loss + 0.001 * loss;
    }

    /// Updates done so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The exponential moving average of the chunk loss (min-char-rnn's
    /// `smooth_loss`, weight 0.999).
    pub fn smooth_loss(&self) -> f64 {
        self.smooth_loss
    }
}

/// Trains a char model on a corpus of ids, min-char-rnn style: the
/// [`Chunks`] of the corpus one after the other, the state carried from
/// chunk to chunk and reset to zero when the corpus wraps around.
#[derive(Debug, Clone)]
pub struct CharTrainer<C: RecurrentCell> {
    chunks: Chunks,
    state: C::State,
    opt: Adagrad,
    config: TrainConfig,
}

impl<C: RecurrentCell> CharTrainer<C> {
    /// A trainer for `model` on `data`.
    ///
    /// # Errors
    /// As [`Chunks::new`].
    pub fn new(
        model: &RecurrentModel<C>,
        data: Vec<usize>,
        config: TrainConfig,
    ) -> Result<Self, Error> {
        let sizes = (model.cell.input_size(), model.outputs());
        Ok(CharTrainer {
            chunks: Chunks::new("CharTrainer", data, sizes, &config)?,
            state: model.cell.zero_state(1),
            opt: Adagrad::new(config.lr),
            config,
        })
    }

    /// One update on the next chunk; returns its loss.
    ///
    /// # Errors
    /// [`Error::NonFiniteLoss`] when the loss is not finite.
    pub fn step(
        &mut self,
        model: &mut RecurrentModel<C>,
    ) -> Result<f64, Error> {
        let step = self.chunks.steps();
        let (inputs, targets, wrapped) = self.chunks.chunk();
        if wrapped {
            self.state = model.cell.zero_state(1);
        }
        let (loss, state) = train_step(
            model,
            &mut self.opt,
            &self.state,
            inputs,
            targets,
            &self.config,
            step,
        )?;
        self.state = state;
        self.chunks.advance(loss);
        Ok(loss)
    }

    /// Updates done so far.
    pub fn steps(&self) -> usize {
        self.chunks.steps()
    }

    /// The moving average of the chunk loss ([`Chunks::smooth_loss`]).
    pub fn smooth_loss(&self) -> f64 {
        self.chunks.smooth_loss()
    }

    /// The state carried into the next chunk.
    pub fn state(&self) -> &C::State {
        &self.state
    }
}

/// The mean cross-entropy per character (nats) of predicting `ids[1..]`
/// from `ids[..len−1]`, the state carried across chunks of `chunk`
/// characters from `h^(0) = 0`.
///
/// # Errors
/// [`Error::Data`] for fewer than 2 ids or an id outside the vocabulary;
/// [`Error::Config`] for `chunk = 0`; [`Error::NonFiniteLoss`].
pub fn evaluate<C: RecurrentCell>(
    model: &RecurrentModel<C>,
    ids: &[usize],
    chunk: usize,
) -> Result<f64, Error> {
    if chunk == 0 {
        return Err(Error::config("evaluate", "chunk must be at least 1"));
    }
    if ids.len() < 2 {
        return Err(Error::Data(format!(
            "evaluate: {} characters, need at least 2",
            ids.len()
        )));
    }
    check_ids(ids, model.cell.input_size().min(model.outputs()))?;
    let v = model.cell.input_size();
    let mut state = model.cell.zero_state(1);
    let mut total = 0.0;
    let n = ids.len() - 1;
    for start in (0..n).step_by(chunk) {
        let end = (start + chunk).min(n);
        let xs = one_hot_inputs(&ids[start..end], v);
        let ys = Targets::from_ids(&ids[start + 1..end + 1]);
        let (logits, cache) = sequence_forward(model, &state, &xs);
        let (loss, _) = sequence_loss(&logits, &ys, LossScale::Sum);
        total += loss;
        state = cache.last_state().clone();
    }
    ensure_finite(total / n as f64, 0)
}
