//! Sampling at test time, generic over the cell: feed a seed character,
//! draw the next one from `softmax(o / τ)`, feed it back in.
//!
//! [`sample`] is the exercise `rnn-sample`: the one sampler of the course,
//! which the slide-form [`crate::Rnn::sample`], the character model's
//! examples and the next chapter's LSTM and GRU all call.
//!
//! Book: `vanilla-rnn-bptt/char-model.md#sampling`.

use crate::cell::RecurrentCell;
use crate::output::RecurrentModel;
use datasets::one_hot;
use foundations::softmax::softmax_columns;
use foundations::{Error, Rng};
use nalgebra::DMatrix;
use rand::Rng as _;

/// Draws a class from the probabilities `p` (one column) with one uniform
/// number: the first class whose cumulative probability exceeds it.
pub fn draw(p: &DMatrix<f64>, rng: &mut Rng) -> usize {
    let u: f64 = rng.random();
    let mut cum = 0.0;
    for (i, &pi) in p.iter().enumerate() {
        cum += pi;
        if u < cum {
            return i;
        }
    }
    p.len() - 1 // rounding left the sum just under 1
}

/// Checks a temperature and a seed id for sampling.
///
/// # Errors
/// [`Error::Config`] for a temperature that is not a positive finite
/// number; [`Error::Data`] for a seed outside the vocabulary.
pub fn check_sampling(
    temperature: f64,
    seed: usize,
    v: usize,
) -> Result<(), Error> {
    if !(temperature > 0.0 && temperature.is_finite()) {
        return Err(Error::config(
            "sample",
            format!("temperature {temperature} must be a positive number"),
        ));
    }
    if seed >= v {
        return Err(Error::Data(format!(
            "sample: seed id {seed} is outside the vocabulary of {v}"
        )));
    }
    Ok(())
}

/// `n` character ids sampled from `model`, starting from the state `state`
/// (one column) and the seed id `seed`: at each step one
/// [`RecurrentCell::step_forward`] and the output layer give `o`,
/// `p = softmax(o / τ)`, draw the next id from `p` with [`draw`] (one
/// uniform number from `rng`) and feed it back as the next one-hot input.
/// `τ < 1` sharpens the distribution, `τ > 1` flattens it.
///
/// Book: `vanilla-rnn-bptt/char-model.md#sampling`.
///
/// # Errors
/// As [`check_sampling`], and [`Error::Config`] when the model's input and
/// output sizes differ.
pub fn sample<C: RecurrentCell>(
    model: &RecurrentModel<C>,
    state: &C::State,
    seed: usize,
    n: usize,
    temperature: f64,
    rng: &mut Rng,
) -> Result<Vec<usize>, Error> {
    let v = model.outputs();
    if model.cell.input_size() != v {
        return Err(Error::config(
            "sample",
            "the model must read the vocabulary it predicts (D = K)",
        ));
    }
    check_sampling(temperature, seed, v)?;
    // BEGIN SOLUTION rnn-sample
    // ANCHOR: sample
    let mut state = state.clone();
    let mut id = seed;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let x = one_hot(&[id], v); // x = one-hot(id), V x 1
        let (next, _) = model.cell.step_forward(&state, &x);
        let (o, _) = model.out.forward(C::hidden(&next)); // o = V h + c
        let p = softmax_columns(&(o / temperature)); // softmax(o / τ)
        id = draw(&p, rng);
        out.push(id);
        state = next;
    }
    Ok(out)
    // ANCHOR_END: sample
    // END SOLUTION
}
