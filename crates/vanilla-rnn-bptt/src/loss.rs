//! Sequence losses: which steps carry a target (many-to-many, many-to-one,
//! one-to-many) and how the per-step cross-entropies are combined (the BPTT
//! slide's sum, or the other lecture's `1/(nT)` and `1/n` means).
//!
//! Book: `vanilla-rnn-bptt/forward.md#the-loss-and-its-shapes`.

use foundations::softmax::{Reduction, cross_entropy};
use nalgebra::DMatrix;

/// The target classes of a batch of `B` sequences: for every step `t`,
/// either `B` classes (one per column) or none (no loss at that step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    steps: Vec<Option<Vec<usize>>>,
}

impl Targets {
    /// Many-to-many (and one-to-many): a target at every step; `ys[t][i]`
    /// is the class of column `i` at step `t`.
    pub fn many_to_many(ys: Vec<Vec<usize>>) -> Self {
        Targets {
            steps: ys.into_iter().map(Some).collect(),
        }
    }

    /// Many-to-one: over `t_steps` steps, only the last carries a target
    /// (`y[i]` for column `i`).
    ///
    /// # Panics
    /// When `t_steps` is 0.
    pub fn many_to_one(t_steps: usize, y: Vec<usize>) -> Self {
        assert!(t_steps > 0, "Targets::many_to_one: T must be at least 1");
        let mut steps = vec![None; t_steps];
        steps[t_steps - 1] = Some(y);
        Targets { steps }
    }

    /// One-to-many: the input is given at the first step only (see
    /// [`one_to_many_inputs`]) and every step carries a target, so the loss
    /// is the many-to-many one.
    pub fn one_to_many(ys: Vec<Vec<usize>>) -> Self {
        Self::many_to_many(ys)
    }

    /// One sequence (`B = 1`) of character ids, a target at every step.
    pub fn from_ids(ids: &[usize]) -> Self {
        Self::many_to_many(ids.iter().map(|&y| vec![y]).collect())
    }

    /// `T`, the number of steps (with or without a target).
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether there are no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The targets of step `t`, if it carries a loss.
    pub fn step(&self, t: usize) -> Option<&[usize]> {
        self.steps.get(t).and_then(|s| s.as_deref())
    }

    /// Steps `range` only (for truncated BPTT's chunks).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Self {
        Targets {
            steps: self.steps[range].to_vec(),
        }
    }

    /// How many (column, step) pairs carry a loss: `n·T` for many-to-many,
    /// `n` for many-to-one.
    pub fn count(&self) -> usize {
        self.steps.iter().flatten().map(Vec::len).sum()
    }
}

/// The inputs of a one-to-many sequence: `x` at the first step, zero
/// columns after it (`T` steps in all).
pub fn one_to_many_inputs(
    x: &DMatrix<f64>,
    t_steps: usize,
) -> Vec<DMatrix<f64>> {
    let mut xs = vec![DMatrix::zeros(x.nrows(), x.ncols()); t_steps];
    if let Some(first) = xs.first_mut() {
        first.copy_from(x);
    }
    xs
}

/// How per-step, per-column losses are combined into `L`.
// ANCHOR: loss_scale
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossScale {
    /// `L = Σ_i Σ_t L_t^(i)`: the BPTT slide's sum, so `∇o^(t) = ŷ^(t) − y^(t)`
    /// exactly.
    Sum,
    /// `L = (1/n) Σ_i Σ_t L_t^(i)`: the mean over the `n` sequences of a
    /// batch (many-to-one's `1/n`).
    BatchMean,
    /// `L = (1/(nT)) Σ_i Σ_t L_t^(i)`: the mean over every (sequence, step)
    /// pair that carries a target (many-to-many's and one-to-many's
    /// `1/(nT)`; for many-to-one `T = 1`, so it equals `1/n`).
    BatchStepMean,
}

impl LossScale {
    /// The divisor of the sum for `targets` with `batch` columns.
    pub fn divisor(self, targets: &Targets, batch: usize) -> f64 {
        match self {
            LossScale::Sum => 1.0,
            LossScale::BatchMean => batch as f64,
            LossScale::BatchStepMean => targets.count().max(1) as f64,
        }
    }
}
// ANCHOR_END: loss_scale

/// Cross-entropy of the logits `o^(t)` (`K x B` each) against `targets`,
/// summed over steps and columns and divided by `divisor`; returns `L` and
/// `∇o^(t)` (`None` at steps without a target).
///
/// # Panics
/// When `logits` and `targets` have different lengths, or a step's targets
/// do not match its columns or classes.
pub fn sequence_loss_by(
    logits: &[DMatrix<f64>],
    targets: &Targets,
    divisor: f64,
) -> (f64, Vec<Option<DMatrix<f64>>>) {
    assert!(
        logits.len() == targets.len(),
        "loss::sequence_loss: {} steps of logits but {} steps of targets",
        logits.len(),
        targets.len()
    );
    let mut loss = 0.0;
    let mut d_o = Vec::with_capacity(logits.len());
    for (t, o) in logits.iter().enumerate() {
        match targets.step(t) {
            Some(ys) => {
                let (l, d) = cross_entropy(o, ys, Reduction::MeanBy(divisor));
                loss += l;
                d_o.push(Some(d));
            }
            None => d_o.push(None),
        }
    }
    (loss, d_o)
}

/// [`sequence_loss_by`] with the divisor of `scale`.
///
/// # Panics
/// As [`sequence_loss_by`].
pub fn sequence_loss(
    logits: &[DMatrix<f64>],
    targets: &Targets,
    scale: LossScale,
) -> (f64, Vec<Option<DMatrix<f64>>>) {
    let batch = logits.first().map_or(1, DMatrix::ncols);
    sequence_loss_by(logits, targets, scale.divisor(targets, batch))
}
