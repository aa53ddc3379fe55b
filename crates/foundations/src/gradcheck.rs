//! Gradient checking by central differences.
//!
//! For every entry θ of every named parameter (and of the input, when the
//! caller names it), the numeric derivative is
//! `n = (L(θ + h) − L(θ − h)) / 2h` with `h = 1e-5`; its error is O(h²).
//! An entry passes when `|a − n| ≤ rtol·(|a| + |n|) + atol`, with
//! `rtol = 1e-6` and `atol = 1e-9·max(1, |L|)`: central differences in f64
//! carry rounding noise of about `ε·|L|/h` (≈ 2e-11·|L|), so a purely
//! relative test would fail correct code on tiny entries, while real bugs
//! give relative errors of 1e-3 and more.
//!
//! The report prints, per parameter, the worst entry (index, analytic,
//! numeric) and the classic relative error `|a − n| / max(|a| + |n|, 1e-12)`
//! that CS231n prints. Book: *Foundations → Checking gradients*.

use crate::layout::{Layout, layouts_of};
use crate::params::{Params, ParamsExt};
use nalgebra::DMatrix;
use rand::Rng as _;
use std::fmt;

/// The finite-difference step and the pass criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Finite-difference step `h`.
    pub h: f64,
    /// Relative tolerance on `|a| + |n|`.
    pub rtol: f64,
    /// Absolute floor, multiplied by `max(1, |L|)`.
    pub atol: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            h: 1e-5,
            rtol: 1e-6,
            atol: 1e-9,
        }
    }
}

impl Tolerance {
    /// Whether analytic `a` and numeric `n` agree for a loss of size `loss`.
    // ANCHOR: passes
    pub fn passes(&self, a: f64, n: f64, loss: f64) -> bool {
        let atol = self.atol * loss.abs().max(1.0);
        (a - n).abs() <= self.rtol * (a.abs() + n.abs()) + atol
    }
    // ANCHOR_END: passes
}

/// The classic relative error `|a − n| / max(|a| + |n|, 1e-12)`.
// ANCHOR: rel_error
pub fn relative_error(a: f64, n: f64) -> f64 {
    (a - n).abs() / (a.abs() + n.abs()).max(1e-12)
}
// ANCHOR_END: rel_error

/// The result for one named parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamCheck {
    /// The dotted name (`"w"`, `"blocks.0.w_q"`, `"x"`).
    pub name: String,
    /// Its shape.
    pub shape: (usize, usize),
    /// The index of the worst entry (largest `|a − n|` beyond tolerance,
    /// or largest relative error when all pass).
    pub worst: (usize, usize),
    /// Analytic value at the worst entry.
    pub analytic: f64,
    /// Numeric value at the worst entry.
    pub numeric: f64,
    /// Classic relative error at the worst entry.
    pub rel_error: f64,
    /// How many entries failed the criterion.
    pub failures: usize,
    /// Every analytic entry (transposed back when it came transposed).
    pub analytic_all: DMatrix<f64>,
    /// Every numeric entry.
    pub numeric_all: DMatrix<f64>,
    /// The layout the layer gives this parameter (or none).
    pub layout: Layout,
    /// The gradient came with the transposed shape (a failure even when
    /// its transpose matches).
    pub transposed_shape: bool,
    /// What the pattern of the failure suggests, in one line.
    pub diagnosis: Option<String>,
}

impl ParamCheck {
    /// Whether every entry passed (and the shape was the parameter's).
    pub fn passed(&self) -> bool {
        self.failures == 0 && !self.transposed_shape
    }

    /// `(9, 3) = gate g, unit 0; x[0]`: the worst entry, in the layout's
    /// words when there is one.
    pub fn worst_entry(&self) -> String {
        let (i, j) = self.worst;
        match self.layout.describe(self.worst, self.shape) {
            Some(d) if d.starts_with("t = ") => format!("({i}, {j}), {d}"),
            Some(d) => format!("({i}, {j}) = {d}"),
            None => format!("({i}, {j})"),
        }
    }
}

/// A whole check: the loss and one line per parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct GradReport {
    /// `L(θ)` at the point of the check.
    pub loss: f64,
    /// One entry per named parameter, in visiting order.
    pub params: Vec<ParamCheck>,
    /// The criterion used.
    pub tol: Tolerance,
}

impl GradReport {
    /// Whether every entry of every parameter passed.
    pub fn passed(&self) -> bool {
        self.params.iter().all(ParamCheck::passed)
    }

    /// The check for `name`, if there is one.
    pub fn param(&self, name: &str) -> Option<&ParamCheck> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The failed gradient with the largest error (relative error at its
    /// worst entry, then `|a − n|`), whatever its place in the list.
    pub fn worst(&self) -> Option<&ParamCheck> {
        let key = |p: &ParamCheck| {
            let shape = if p.transposed_shape { 2.0 } else { 0.0 };
            (shape + p.rel_error, (p.analytic - p.numeric).abs())
        };
        self.params.iter().filter(|p| !p.passed()).max_by(|x, y| {
            key(x)
                .partial_cmp(&key(y))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    }

    /// The absolute floor `atol·max(1, |L|)`.
    fn floor(&self) -> f64 {
        self.tol.atol * self.loss.abs().max(1.0)
    }

    /// One line saying what went wrong, for the top of a message:
    /// `dw does not match the numeric gradient: <diagnosis>` (or the worst
    /// entry when no pattern fits), then the values on a second line.
    pub fn headline(&self) -> Option<String> {
        let bad = self.worst()?;
        let what = match &bad.diagnosis {
            Some(d) => d.clone(),
            None => format!("worst at {}", bad.worst_entry()),
        };
        Some(format!(
            "d{} does not match the numeric gradient: {what}\n  entry {}: \
             analytic {:.9e} vs numeric {:.9e} (relative error {:.2e}; {} \
             of {} entries off)",
            bad.name,
            bad.worst_entry(),
            bad.analytic,
            bad.numeric,
            bad.rel_error,
            bad.failures,
            bad.shape.0 * bad.shape.1,
        ))
    }
}

impl fmt::Display for GradReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let floor = self.floor();
        writeln!(
            f,
            "gradient check at L = {:.6e} (an entry passes when |a − n| ≤ \
             {:.0e}·(|a| + |n|) + {floor:.1e})",
            self.loss, self.tol.rtol
        )?;
        let w = self
            .params
            .iter()
            .map(|p| p.name.len() + 1)
            .max()
            .unwrap_or(8)
            .max(8);
        writeln!(
            f,
            "  {:<w$} {:>7} {:>7} {:>13} {:>13} {:>9}  result",
            "gradient", "shape", "worst", "analytic", "numeric", "rel.err"
        )?;
        for p in &self.params {
            let verdict = if p.transposed_shape {
                "FAILED: transposed shape".to_string()
            } else if !p.passed() {
                let at = p
                    .layout
                    .describe(p.worst, p.shape)
                    .map(|d| format!(" (worst: {d})"))
                    .unwrap_or_default();
                format!(
                    "FAILED {} of {}{at}",
                    p.failures,
                    p.shape.0 * p.shape.1
                )
            } else if p.rel_error > self.tol.rtol {
                format!(
                    "ok: |a − n| = {:.1e} is under the absolute floor \
                     {floor:.1e} (rounding noise near 0)",
                    (p.analytic - p.numeric).abs()
                )
            } else {
                "ok".to_string()
            };
            writeln!(
                f,
                "  {:<w$} {:>7} {:>7} {:>13.6e} {:>13.6e} {:>9.2e}  {verdict}",
                format!("d{}", p.name),
                format!("{}x{}", p.shape.0, p.shape.1),
                format!("({},{})", p.worst.0, p.worst.1),
                p.analytic,
                p.numeric,
                p.rel_error,
            )?;
        }
        // Each diagnosis once, after the gradients it concerns.
        let mut said: Vec<(Vec<String>, &str)> = Vec::new();
        for p in &self.params {
            let Some(d) = p.diagnosis.as_deref() else {
                continue;
            };
            match said.iter_mut().find(|s| s.1 == d) {
                Some(s) => s.0.push(format!("d{}", p.name)),
                None => said.push((vec![format!("d{}", p.name)], d)),
            }
        }
        for (names, d) in said {
            writeln!(f, "  {}: {d}", names.join(", "))?;
        }
        Ok(())
    }
}

/// Sets entry `(i, j)` of the `k`-th matrix (visiting order) to `value`.
fn set_entry<P: Params>(p: &mut P, k: usize, i: usize, j: usize, value: f64) {
    let mut idx = 0;
    p.visit_mut(&mut |_, m| {
        if idx == k {
            m[(i, j)] = value;
        }
        idx += 1;
    });
}

/// Compares `analytic` (the gradient of `loss` at `theta`, as a value of
/// the same type) with central differences over every entry. A gradient
/// returned with the transposed shape is checked transposed and reported
/// as such.
///
/// # Panics
/// When `analytic` has other names or shapes than `theta` (other than a
/// transposed shape).
pub fn check_gradients<P: Params + Clone>(
    theta: &P,
    analytic: &P,
    loss: impl FnMut(&P) -> f64,
) -> GradReport {
    check_gradients_with(Tolerance::default(), theta, analytic, loss)
}

/// [`check_gradients`] with an explicit [`Tolerance`].
///
/// # Panics
/// When `analytic` has other names or shapes than `theta` (other than a
/// transposed shape).
pub fn check_gradients_with<P: Params + Clone>(
    tol: Tolerance,
    theta: &P,
    analytic: &P,
    mut loss: impl FnMut(&P) -> f64,
) -> GradReport {
    let shapes = theta.shapes();
    let grads = analytic.shapes();
    let transposed: Vec<bool> = shapes
        .iter()
        .zip(&grads)
        .map(|(w, g)| w.0 == g.0 && w.1 != g.1 && (w.1.1, w.1.0) == g.1)
        .collect();
    let fixed: Vec<_> = grads
        .iter()
        .zip(&transposed)
        .map(|(g, &t)| (g.0.clone(), if t { (g.1.1, g.1.0) } else { g.1 }))
        .collect();
    assert_eq!(
        shapes, fixed,
        "check_gradients: the gradient's names and shapes differ from the \
         parameters'"
    );
    let mut values = Vec::new();
    analytic.visit(&mut |_, m| values.push(m.clone()));
    for (v, &t) in values.iter_mut().zip(&transposed) {
        if t {
            *v = v.transpose();
        }
    }
    let layouts = layouts_of(theta);
    let l0 = loss(theta);
    let mut probe = theta.clone();
    let mut params = Vec::new();
    for (k, (name, (rows, cols))) in shapes.into_iter().enumerate() {
        let original = theta
            .get_nth(k)
            .expect("check_gradients: parameter disappeared");
        let mut check = ParamCheck {
            layout: layouts.get(&name).cloned().unwrap_or_default(),
            name,
            shape: (rows, cols),
            worst: (0, 0),
            analytic: 0.0,
            numeric: 0.0,
            rel_error: 0.0,
            failures: 0,
            analytic_all: values[k].clone(),
            numeric_all: DMatrix::zeros(rows, cols),
            transposed_shape: transposed[k],
            diagnosis: None,
        };
        let mut worst_excess = f64::NEG_INFINITY;
        for j in 0..cols {
            for i in 0..rows {
                let x = original[(i, j)];
                // ANCHOR: central
                set_entry(&mut probe, k, i, j, x + tol.h);
                let plus = loss(&probe);
                set_entry(&mut probe, k, i, j, x - tol.h);
                let minus = loss(&probe);
                set_entry(&mut probe, k, i, j, x);
                let n = (plus - minus) / (2.0 * tol.h);
                // ANCHOR_END: central
                check.numeric_all[(i, j)] = n;
                let a = values[k][(i, j)];
                let ok = tol.passes(a, n, l0);
                check.failures += usize::from(!ok);
                // The worst entry: the largest excess over the allowed error
                // (failing entries always rank above passing ones).
                let allowed = tol.rtol * (a.abs() + n.abs())
                    + tol.atol * l0.abs().max(1.0);
                let excess = (a - n).abs() - allowed;
                if excess > worst_excess {
                    worst_excess = excess;
                    check.worst = (i, j);
                    check.analytic = a;
                    check.numeric = n;
                    check.rel_error = relative_error(a, n);
                }
            }
        }
        params.push(check);
    }
    let mut report = GradReport {
        loss: l0,
        params,
        tol,
    };
    crate::diagnose::annotate(&mut report);
    report
}

trait GetNth {
    fn get_nth(&self, k: usize) -> Option<DMatrix<f64>>;
}

impl<P: Params> GetNth for P {
    fn get_nth(&self, k: usize) -> Option<DMatrix<f64>> {
        let mut idx = 0;
        let mut out = None;
        self.visit(&mut |_, m| {
            if idx == k {
                out = Some(m.clone());
            }
            idx += 1;
        });
        out
    }
}

/// Checks every entry and panics with the whole report when any fails.
///
/// `what` names the function under test in the message, e.g.
/// `"lstm::step_backward"`. Entries are named in the layouts the layer
/// gives ([`Params::layouts`]); the first line names the gradient with the
/// largest error and, when the failure fits a classic mistake, says which.
///
/// # Panics
/// When any entry fails: the message names the gradient, the worst entry,
/// and its analytic and numeric values, then prints the report.
#[track_caller]
pub fn assert_gradients<P: Params + Clone>(
    what: &str,
    theta: &P,
    analytic: &P,
    loss: impl FnMut(&P) -> f64,
) -> GradReport {
    let (want, got) = (theta.shapes(), analytic.shapes());
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        let transposed = w.0 == g.0 && (w.1.1, w.1.0) == g.1;
        assert!(
            w == g || transposed,
            "{what}: gradient {i} is d{} of shape {}x{}, expected d{} of \
             shape {}x{} (the parameter's)",
            g.0,
            g.1.0,
            g.1.1,
            w.0,
            w.1.0,
            w.1.1
        );
    }
    assert_eq!(
        want.len(),
        got.len(),
        "{what}: {} gradients for {} parameters",
        got.len(),
        want.len()
    );
    let report = check_gradients(theta, analytic, loss);
    if let Some(headline) = report.headline() {
        panic!("{what}: {headline}\n{report}");
    }
    report
}

/// The result of a directional check.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectionalCheck {
    /// `⟨t, ∇L⟩` from the analytic gradient.
    pub analytic: f64,
    /// `(L(θ + h t) − L(θ − h t)) / 2h`.
    pub numeric: f64,
    /// Whether they agree under the criterion.
    pub passed: bool,
}

/// For larger shapes: compares `⟨t, ∇L⟩` with
/// `(L(θ + h t) − L(θ − h t)) / 2h` for `directions` random unit directions.
///
/// # Panics
/// When `analytic` has other names or shapes than `theta`.
pub fn check_directional<P: Params + Clone>(
    theta: &P,
    analytic: &P,
    mut loss: impl FnMut(&P) -> f64,
    directions: usize,
    rng: &mut crate::Rng,
) -> Vec<DirectionalCheck> {
    assert_eq!(
        theta.shapes(),
        analytic.shapes(),
        "check_directional: the gradient's names and shapes differ"
    );
    let tol = Tolerance::default();
    let grad = analytic.to_flat();
    let l0 = loss(theta);
    (0..directions)
        .map(|_| {
            let mut t: Vec<f64> =
                grad.iter().map(|_| rng.random_range(-1.0..1.0)).collect();
            let norm = t.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            t.iter_mut().for_each(|x| *x /= norm);
            // ANCHOR: directional
            let a: f64 = t.iter().zip(&grad).map(|(t, g)| t * g).sum();
            let shifted = |s: f64| {
                let mut p = theta.clone();
                let mut off = 0;
                p.visit_mut(&mut |_, m| {
                    for v in m.as_mut_slice() {
                        *v += s * t[off];
                        off += 1;
                    }
                });
                p
            };
            let n = (loss(&shifted(tol.h)) - loss(&shifted(-tol.h)))
                / (2.0 * tol.h);
            // ANCHOR_END: directional
            DirectionalCheck {
                analytic: a,
                numeric: n,
                passed: tol.passes(a, n, l0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Named;
    use crate::testing::graded_config;
    use proptest::prelude::*;

    /// `L = Σ_t Σ_i h_t[i]` with `h_t = tanh(W h_{t−1} + x)`: T steps.
    fn recurrence(
        w: &DMatrix<f64>,
        h0: &DMatrix<f64>,
        x: &DMatrix<f64>,
        t: usize,
    ) -> f64 {
        let mut h = h0.clone();
        let mut loss = 0.0;
        for _ in 0..t {
            h = (w * &h + x).map(f64::tanh);
            loss += h.sum();
        }
        loss
    }

    /// Its gradient by hand (BPTT), for W and h0.
    fn recurrence_grad(
        w: &DMatrix<f64>,
        h0: &DMatrix<f64>,
        x: &DMatrix<f64>,
        t: usize,
    ) -> (DMatrix<f64>, DMatrix<f64>) {
        let mut hs = vec![h0.clone()];
        for _ in 0..t {
            let h = (w * hs.last().unwrap() + x).map(f64::tanh);
            hs.push(h);
        }
        // ANCHOR: recurrence_backward
        let mut dw = DMatrix::zeros(w.nrows(), w.ncols());
        let mut dh = DMatrix::zeros(h0.nrows(), 1);
        for s in (1..=t).rev() {
            dh += DMatrix::from_element(h0.nrows(), 1, 1.0);
            let da = dh.component_mul(&hs[s].map(|v| 1.0 - v * v));
            dw += &da * hs[s - 1].transpose();
            dh = w.transpose() * da;
        }
        // ANCHOR_END: recurrence_backward
        (dw, dh)
    }

    fn setup(
        n: usize,
        seed: u64,
    ) -> (DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
        let mut r = crate::rng(seed);
        let w = crate::init::uniform(n, n, 0.5, &mut r);
        let h0 = crate::init::uniform(n, 1, 1.0, &mut r);
        let x = crate::init::uniform(n, 1, 1.0, &mut r);
        (w, h0, x)
    }

    #[test]
    fn passes_a_correct_25_step_tanh_recurrence() {
        let (w, h0, x) = setup(6, 7);
        let (dw, dh0) = recurrence_grad(&w, &h0, &x, 25);
        let theta = (Named("w", w), Named("h0", h0));
        let grads = (Named("w", dw), Named("h0", dh0));
        let report = check_gradients(&theta, &grads, |p| {
            recurrence(&p.0.1, &p.1.1, &x, 25)
        });
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn fails_one_entry_off_by_1e_minus_4_relative_and_names_it() {
        let (w, h0, x) = setup(5, 3);
        let (mut dw, dh0) = recurrence_grad(&w, &h0, &x, 25);
        dw[(2, 3)] *= 1.0 + 1e-4;
        let theta = (Named("w", w), Named("h0", h0));
        let grads = (Named("w", dw), Named("h0", dh0));
        let report = check_gradients(&theta, &grads, |p| {
            recurrence(&p.0.1, &p.1.1, &x, 25)
        });
        let w = report.param("w").unwrap();
        assert_eq!(w.failures, 1, "{report}");
        assert_eq!(w.worst, (2, 3));
        assert!(report.param("h0").unwrap().passed());
        assert!(report.to_string().contains("FAILED 1 of 25"), "{report}");
    }

    #[test]
    #[should_panic(
        expected = "rnn: dw does not match the numeric gradient: worst at (1, 0)"
    )]
    fn assertion_message_names_gradient_entry_and_values() {
        let (w, h0, x) = setup(3, 1);
        let (mut dw, dh0) = recurrence_grad(&w, &h0, &x, 4);
        dw[(1, 0)] += 1e-3;
        let theta = (Named("w", w), Named("h0", h0));
        let grads = (Named("w", dw), Named("h0", dh0));
        assert_gradients("rnn", &theta, &grads, |p| {
            recurrence(&p.0.1, &p.1.1, &x, 4)
        });
    }

    #[test]
    #[should_panic(
        expected = "rnn: dh0 does not match the numeric gradient: returned \
                    with the transposed shape: 1x3 where the parameter is 3x1; \
                    its transpose matches the numeric gradient"
    )]
    fn a_gradient_returned_transposed_is_named_with_both_shapes() {
        let (w, h0, x) = setup(3, 1);
        let (dw, dh0) = recurrence_grad(&w, &h0, &x, 4);
        let theta = (Named("w", w), Named("h0", h0));
        let grads = (Named("w", dw), Named("h0", dh0.transpose()));
        assert_gradients("rnn", &theta, &grads, |p| {
            recurrence(&p.0.1, &p.1.1, &x, 4)
        });
    }

    #[test]
    fn an_ok_row_with_a_large_relative_error_says_why_it_is_ok() {
        // L = Σ w² + 3·v: dL/dw is 2w, 1e-12 here, below the rounding
        // noise of the central difference (about 2e-11·|L|).
        let w = DMatrix::from_element(2, 1, 5e-13);
        let v = DMatrix::from_element(1, 1, 0.7);
        let theta = (Named("w", w.clone()), Named("v", v));
        let grads = (
            Named("w", &w * 2.0),
            Named("v", DMatrix::from_element(1, 1, 3.0)),
        );
        let report = check_gradients(&theta, &grads, |p| {
            p.0.1.norm_squared() + 3.0 * p.1.1[(0, 0)] + 1.0
        });
        println!("{report}");
        assert!(report.passed(), "{report}");
        let w = report.param("w").unwrap();
        assert!(w.rel_error > 1e-3, "{report}");
        let text = report.to_string();
        assert!(
            text.contains("ok: |a − n| = ")
                && text.contains("under the absolute floor"),
            "{text}"
        );
    }

    #[test]
    fn the_headline_names_the_worst_gradient_not_the_first() {
        let (w, h0, x) = setup(3, 4);
        let (mut dw, mut dh0) = recurrence_grad(&w, &h0, &x, 4);
        dw[(0, 0)] *= 1.0 + 1e-4; // a small error, declared first
        dh0[(1, 0)] = -dh0[(1, 0)]; // a large one, declared second
        let theta = (Named("w", w), Named("h0", h0));
        let grads = (Named("w", dw), Named("h0", dh0));
        let report = check_gradients(&theta, &grads, |p| {
            recurrence(&p.0.1, &p.1.1, &x, 4)
        });
        let head = report.headline().unwrap();
        assert!(head.starts_with("dh0 does not match"), "{head}");
    }

    #[test]
    fn tolerance_absorbs_rounding_noise_but_not_bugs() {
        let tol = Tolerance::default();
        assert!(tol.passes(1e-12, 3e-11, 1.0));
        assert!(tol.passes(1.0, 1.0 + 5e-7, 1.0));
        assert!(!tol.passes(1.0, 1.0 + 1e-4, 1.0));
        assert!((relative_error(1.0, 3.0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn directional_check_agrees_and_catches_a_wrong_gradient() {
        let (w, h0, x) = setup(8, 11);
        let (dw, dh0) = recurrence_grad(&w, &h0, &x, 10);
        let theta = (Named("w", w), Named("h0", h0));
        let good = (Named("w", dw.clone()), Named("h0", dh0.clone()));
        let mut r = crate::rng(5);
        let loss = |p: &(Named<DMatrix<f64>>, Named<DMatrix<f64>>)| {
            recurrence(&p.0.1, &p.1.1, &x, 10)
        };
        let checks = check_directional(&theta, &good, loss, 4, &mut r);
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");
        let bad = (Named("w", dw * 1.01), Named("h0", dh0));
        let checks = check_directional(&theta, &bad, loss, 4, &mut r);
        assert!(checks.iter().all(|c| !c.passed), "{checks:?}");
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn recurrence_gradients_pass_on_random_shapes(
            n in 1usize..6, t in 1usize..12, seed in 0u64..1000
        ) {
            let (w, h0, x) = setup(n, seed);
            let (dw, dh0) = recurrence_grad(&w, &h0, &x, t);
            let theta = (Named("w", w), Named("h0", h0));
            let grads = (Named("w", dw), Named("h0", dh0));
            let report = check_gradients(&theta, &grads, |p| {
                recurrence(&p.0.1, &p.1.1, &x, t)
            });
            prop_assert!(report.passed(), "{}", report);
        }
    }
}
