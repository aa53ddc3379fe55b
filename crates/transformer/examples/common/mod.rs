//! What the tiny-GPT examples share (`sonnets`, `transformer_vs_lstm`,
//! `gpt_speed`): the model's recipe, the random training windows, one
//! training step and the CPU clock. `mod common;` in each example.
#![allow(dead_code)] // each example uses its own part

use foundations::optim::{Adam, Optimizer};
use foundations::{Error, clip, ensure_finite};
use rand::Rng as _;
use std::time::Instant;
use transformer::{Activation, Config, Gpt, Norm, PositionKind, fast_gpt};

/// The tiny GPT of the book: pre-norm, sinusoidal positions, GELU,
/// `d_ff = 4d`, context `T`.
pub fn gpt_config(
    vocab: usize,
    d: usize,
    heads: usize,
    layers: usize,
    t: usize,
) -> Config {
    Config {
        vocab,
        d,
        heads,
        layers,
        d_ff: 4 * d,
        max_len: t,
        norm: Norm::Pre,
        positions: PositionKind::Sinusoidal,
        activation: Activation::Gelu,
    }
}

/// Every non-overlapping window of `T + 1` ids (the validation batch).
pub fn windows(ids: &[usize], t: usize) -> Vec<Vec<usize>> {
    ids.chunks_exact(t + 1).map(|w| w.to_vec()).collect()
}

/// `b` windows of `T + 1` ids at random starts in `train`.
pub fn random_batch(
    train: &[usize],
    b: usize,
    t: usize,
    rng: &mut foundations::Rng,
) -> Vec<Vec<usize>> {
    (0..b)
        .map(|_| {
            let s = rng.random_range(0..train.len() - t - 1);
            train[s..s + t + 1].to_vec()
        })
        .collect()
}

/// One training step on `batch` by the engine: the loss and gradients, the
/// global gradient norm clipped to 1, one Adam step. Returns the loss.
///
/// # Errors
/// When the loss is not finite.
pub fn train_step(
    model: &mut Gpt,
    opt: &mut Adam,
    batch: &[Vec<usize>],
    step: usize,
) -> Result<f64, Error> {
    let (loss, mut grads) = fast_gpt::loss_and_grads(model, batch);
    ensure_finite(loss, step)?;
    clip::clip_global_norm(&mut grads, 1.0);
    opt.step(model, &grads);
    Ok(loss)
}

/// A running mean: `loss` itself at first, then
/// `(1 − rate) running + rate loss`.
pub fn smooth(running: f64, loss: f64, rate: f64) -> f64 {
    if running.is_nan() {
        loss
    } else {
        (1.0 - rate) * running + rate * loss
    }
}

/// This thread's CPU time in seconds (Linux `/proc/thread-self/schedstat`),
/// which other jobs on a shared machine do not inflate; wall time since
/// `wall` elsewhere.
pub fn cpu_seconds(wall: &Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or_else(|| wall.elapsed().as_secs_f64(), |ns| ns * 1e-9)
}
