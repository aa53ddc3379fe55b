//! Backpropagation through time for any [`RecurrentCell`]: the sequence
//! forward with its cache, the backward pass that walks the steps in
//! reverse, and truncated BPTT.
//!
//! Book:
//! `vanilla-rnn-bptt/cell-trait.md#the-generic-sequence-forward-and-bptt`,
//! `vanilla-rnn-bptt/truncated.md#chunks-of-k-steps`.

use crate::cell::RecurrentCell;
use crate::loss::{LossScale, Targets, sequence_loss_by};
use crate::output::{OutputCache, RecurrentModel};
use foundations::ParamsExt;
use nalgebra::DMatrix;

/// Everything the backward pass over a sequence needs.
#[derive(Debug, Clone)]
pub struct SequenceCache<C: RecurrentCell> {
    /// `h^(0) … h^(T)` (`T + 1` states, the first is the one passed in).
    pub states: Vec<C::State>,
    /// One cell cache per step.
    pub steps: Vec<C::Cache>,
    /// One output-layer cache per step.
    pub outputs: Vec<OutputCache>,
}

impl<C: RecurrentCell> SequenceCache<C> {
    /// `h^(T)`, the state to carry into the next chunk.
    pub fn last_state(&self) -> &C::State {
        self.states.last().expect("a cache holds at least h^(0)")
    }
}

/// Runs `model` over the input columns `xs` (`T` matrices, each
/// `input_size x B`) from the state `h0`; returns the logits
/// `o^(t) = V h^(t) + c` of every step and the cache.
///
/// # Panics
/// When `xs` is empty or a shape is wrong.
// ANCHOR: sequence_forward
pub fn sequence_forward<C: RecurrentCell>(
    model: &RecurrentModel<C>,
    h0: &C::State,
    xs: &[DMatrix<f64>],
) -> (Vec<DMatrix<f64>>, SequenceCache<C>) {
    assert!(
        !xs.is_empty(),
        "bptt::sequence_forward: empty sequence (T = 0)"
    );
    let mut cache = SequenceCache {
        states: vec![h0.clone()],
        steps: Vec::with_capacity(xs.len()),
        outputs: Vec::with_capacity(xs.len()),
    };
    let mut logits = Vec::with_capacity(xs.len());
    for x in xs {
        let (h, step) = model.cell.step_forward(cache.last_state(), x);
        let (o, out) = model.out.forward(C::hidden(&h));
        cache.states.push(h);
        cache.steps.push(step);
        cache.outputs.push(out);
        logits.push(o);
    }
    (logits, cache)
}
// ANCHOR_END: sequence_forward

/// BPTT: from `∇o^(t)` at the steps that carry a loss (`None` elsewhere)
/// and, optionally, a gradient flowing into the last state `h^(T)`, walks
/// the steps in reverse and returns the parameter gradients (summed over
/// steps), `∇h^(0)` and `∇x^(t)` for every step.
///
/// # Panics
/// When `d_o` does not have one entry per step, or a shape is wrong.
// ANCHOR: sequence_backward
pub fn sequence_backward<C: RecurrentCell>(
    model: &RecurrentModel<C>,
    cache: &SequenceCache<C>,
    d_o: &[Option<DMatrix<f64>>],
    d_last: Option<&C::StateGrad>,
) -> (RecurrentModel<C>, C::StateGrad, Vec<DMatrix<f64>>) {
    let t_steps = cache.steps.len();
    assert!(
        d_o.len() == t_steps,
        "bptt::sequence_backward: {} output gradients for {} steps",
        d_o.len(),
        t_steps
    );
    let batch = C::hidden(&cache.states[0]).ncols();
    let mut grads = model.zeros_like();
    let mut d_state = match d_last {
        Some(d) => d.clone(),
        None => model.cell.zero_state_grad(batch),
    };
    let mut dxs = vec![DMatrix::zeros(0, 0); t_steps];
    for t in (0..t_steps).rev() {
        // o^(t) = V h^(t) + c: its gradient joins the one from step t + 1
        if let Some(d) = &d_o[t] {
            let (g_out, d_h) = model.out.backward(&cache.outputs[t], d);
            grads.out.accumulate(&g_out);
            *C::hidden_grad_mut(&mut d_state) += d_h;
        }
        // h^(t) = f_W(h^(t−1), x^(t))
        let (g_cell, d_prev, dx) =
            model.cell.step_backward(&cache.steps[t], &d_state);
        grads.cell.accumulate(&g_cell);
        dxs[t] = dx;
        d_state = d_prev;
    }
    (grads, d_state, dxs)
}
// ANCHOR_END: sequence_backward

/// The result of one BPTT pass over a sequence.
#[derive(Debug, Clone)]
pub struct Bptt<C: RecurrentCell> {
    /// `L`, combined as the [`LossScale`] says.
    pub loss: f64,
    /// `∇θ L` for every parameter of the model.
    pub grads: RecurrentModel<C>,
    /// `∇h^(0) L` (for truncated BPTT: through the first chunk only).
    pub d_h0: C::StateGrad,
    /// `∇x^(t) L`, one per step.
    pub dxs: Vec<DMatrix<f64>>,
    /// `h^(T)`, to carry forward.
    pub last_state: C::State,
}

/// Loss and full-BPTT gradients of `model` on one sequence: forward from
/// `h0` over `xs`, the loss of `targets` combined by `scale`, and the
/// backward pass. No clipping here (this is the function that is
/// gradient-checked).
///
/// # Panics
/// When `xs` is empty, `targets` has another length, or a shape is wrong.
pub fn bptt<C: RecurrentCell>(
    model: &RecurrentModel<C>,
    h0: &C::State,
    xs: &[DMatrix<f64>],
    targets: &Targets,
    scale: LossScale,
) -> Bptt<C> {
    truncated_bptt(model, h0, xs, targets, scale, xs.len().max(1))
}

/// Truncated BPTT with chunks of `k` steps: the state is carried forward
/// across chunk boundaries, but gradients stop there. Each chunk's loss is
/// divided by the divisor of the *whole* sequence, so the chunk losses add
/// up to the full loss, and for `k ≥ T` this is full BPTT.
///
/// The gradient is the sum over chunks of the gradient of that chunk's
/// loss with its incoming state held constant.
///
/// # Panics
/// When `k` is 0, `xs` is empty, `targets` has another length, or a shape
/// is wrong.
// ANCHOR: truncated_bptt
pub fn truncated_bptt<C: RecurrentCell>(
    model: &RecurrentModel<C>,
    h0: &C::State,
    xs: &[DMatrix<f64>],
    targets: &Targets,
    scale: LossScale,
    k: usize,
) -> Bptt<C> {
    assert!(
        k > 0,
        "bptt::truncated_bptt: chunk length k must be at least 1"
    );
    assert!(
        !xs.is_empty(),
        "bptt::truncated_bptt: empty sequence (T = 0)"
    );
    assert!(
        xs.len() == targets.len(),
        "bptt::truncated_bptt: {} inputs but {} steps of targets",
        xs.len(),
        targets.len()
    );
    let divisor = scale.divisor(targets, xs[0].ncols());
    let mut loss = 0.0;
    let mut grads = model.zeros_like();
    let mut d_h0 = None;
    let mut dxs = Vec::with_capacity(xs.len());
    let mut state = h0.clone();
    for start in (0..xs.len()).step_by(k) {
        let end = (start + k).min(xs.len());
        let (logits, cache) = sequence_forward(model, &state, &xs[start..end]);
        let chunk_targets = targets.slice(start..end);
        let (l, d_o) = sequence_loss_by(&logits, &chunk_targets, divisor);
        let (g, d_in, dx) = sequence_backward(model, &cache, &d_o, None);
        loss += l;
        grads.accumulate(&g);
        d_h0.get_or_insert(d_in); // gradients stop at the chunk boundary
        dxs.extend(dx);
        state = cache.last_state().clone(); // the state is carried on
    }
    Bptt {
        loss,
        grads,
        d_h0: d_h0.expect("at least one chunk"),
        dxs,
        last_state: state,
    }
}
// ANCHOR_END: truncated_bptt
