//! Softmax, log-softmax and cross-entropy on columns of logits.
//!
//! For one column of logits `z` and a target class `y`:
//! `p = softmax(z)`, `L = −log p_y`, and the "softmax property" of the slides
//! `∂L/∂z = p − onehot(y)` (`ŷ − y`). Book: *Foundations → Softmax and
//! cross-entropy*.

use nalgebra::DMatrix;

/// How per-column losses are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reduction {
    /// `L = Σ_columns L_col`: the BPTT slide's sum, so `∇z = ŷ − y` exactly.
    Sum,
    /// `L = (1/n) Σ L_col` over the `n` columns given: many-to-one's `1/n`.
    Mean,
    /// `L = (1/d) Σ L_col` for a given `d`, e.g. `n·T` for many-to-many's
    /// `1/(nT)` when the columns of one call are one of `T` steps.
    MeanBy(f64),
}

/// `softmax` of every column, shifted by the column maximum so that
/// `exp` never overflows.
// ANCHOR: softmax
pub fn softmax_columns(z: &DMatrix<f64>) -> DMatrix<f64> {
    let mut p = z.clone();
    for mut col in p.column_iter_mut() {
        let max = col.max();
        col.apply(|v| *v = (*v - max).exp());
        let sum = col.sum();
        col /= sum;
    }
    p
}
// ANCHOR_END: softmax

/// `log softmax` of every column: `z − max − log Σ exp(z − max)`.
pub fn log_softmax_columns(z: &DMatrix<f64>) -> DMatrix<f64> {
    let mut out = z.clone();
    for mut col in out.column_iter_mut() {
        let max = col.max();
        let lse = col.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
        col.apply(|v| *v -= lse);
    }
    out
}

/// Cross-entropy of each column of `logits` (V x B) with its target class,
/// combined by `reduction`, and the gradient `∂L/∂logits`.
///
/// # Panics
/// When `targets.len()` is not the number of columns, or a target is not a
/// row of `logits`.
// ANCHOR: cross_entropy
pub fn cross_entropy(
    logits: &DMatrix<f64>,
    targets: &[usize],
    reduction: Reduction,
) -> (f64, DMatrix<f64>) {
    check_targets("softmax::cross_entropy", logits, targets);
    let log_p = log_softmax_columns(logits);
    let mut loss = 0.0;
    for (j, &y) in targets.iter().enumerate() {
        loss -= log_p[(y, j)]; // L = −log p_y
    }
    // ∂L/∂z = ŷ − y, column by column
    let mut d = log_p.map(f64::exp);
    for (j, &y) in targets.iter().enumerate() {
        d[(y, j)] -= 1.0;
    }
    let scale = match reduction {
        Reduction::Sum => 1.0,
        Reduction::Mean => 1.0 / targets.len() as f64,
        Reduction::MeanBy(n) => 1.0 / n,
    };
    (loss * scale, d * scale)
}
// ANCHOR_END: cross_entropy

fn check_targets(func: &str, logits: &DMatrix<f64>, targets: &[usize]) {
    assert!(
        targets.len() == logits.ncols(),
        "{func}: {} targets for logits of {}x{}, expected {} (one per column)",
        targets.len(),
        logits.nrows(),
        logits.ncols(),
        logits.ncols()
    );
    if let Some(&bad) = targets.iter().find(|&&y| y >= logits.nrows()) {
        panic!(
            "{func}: target class {bad} out of range for {} classes",
            logits.nrows()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::assert_gradients;
    use crate::params::Named;
    use crate::testing::graded_config;
    use proptest::prelude::*;

    #[test]
    fn columns_sum_to_one_and_stay_finite_for_1e4() {
        let z =
            DMatrix::from_row_slice(3, 2, &[1e4, -1e4, 0.0, 0.0, -1e4, 1e4]);
        let p = softmax_columns(&z);
        for col in p.column_iter() {
            assert!((col.sum() - 1.0).abs() < 1e-12);
        }
        assert_eq!(p[(0, 0)], 1.0);
        let (loss, d) = cross_entropy(&z, &[1, 0], Reduction::Sum);
        assert!(loss.is_finite() && d.iter().all(|v| v.is_finite()));
        assert!((loss - 3e4).abs() < 1e-6, "{loss}"); // 1e4 + 2e4
    }

    #[test]
    fn uniform_logits_cost_log_v() {
        let z = DMatrix::zeros(4, 1);
        let (loss, _) = cross_entropy(&z, &[2], Reduction::Sum);
        assert!((loss - 4f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn gradient_is_y_hat_minus_y() {
        let z = DMatrix::from_row_slice(3, 1, &[0.5, -1.0, 2.0]);
        let (_, d) = cross_entropy(&z, &[0], Reduction::Sum);
        let p = softmax_columns(&z);
        assert!((d[(0, 0)] - (p[(0, 0)] - 1.0)).abs() < 1e-15);
        assert!((d[(2, 0)] - p[(2, 0)]).abs() < 1e-15);
    }

    #[test]
    fn mean_divides_by_columns_and_mean_by_by_the_given_count() {
        let z = DMatrix::from_row_slice(2, 2, &[0.1, 0.2, 0.3, -0.4]);
        let (s, ds) = cross_entropy(&z, &[0, 1], Reduction::Sum);
        let (m, dm) = cross_entropy(&z, &[0, 1], Reduction::Mean);
        let (b, _) = cross_entropy(&z, &[0, 1], Reduction::MeanBy(8.0));
        assert!((m - s / 2.0).abs() < 1e-15 && (b - s / 8.0).abs() < 1e-15);
        assert!((dm - ds / 2.0).norm() < 1e-15);
    }

    #[test]
    #[should_panic(
        expected = "softmax::cross_entropy: 1 targets for logits of 3x2, expected 2"
    )]
    fn wrong_number_of_targets_is_named() {
        cross_entropy(&DMatrix::zeros(3, 2), &[0], Reduction::Sum);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn cross_entropy_gradient_matches_numeric(
            v in 2usize..7, b in 1usize..5, seed in 0u64..1000
        ) {
            let mut r = crate::rng(seed);
            let z = crate::init::uniform(v, b, 3.0, &mut r);
            let targets: Vec<usize> = (0..b).map(|j| (j * 7 + seed as usize) % v).collect();
            for red in [Reduction::Sum, Reduction::Mean, Reduction::MeanBy(3.0)] {
                let (_, dz) = cross_entropy(&z, &targets, red);
                assert_gradients("cross_entropy", &Named("z", z.clone()), &Named("z", dz), |p| {
                    cross_entropy(&p.1, &targets, red).0
                });
            }
        }
    }
}
