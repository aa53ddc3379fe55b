//! Activations and their derivatives, element-wise, finite for inputs of
//! ±1e4. Book: *Foundations → Activations*.

use nalgebra::DMatrix;

/// `σ(x) = 1 / (1 + e^{−x})`, computed without overflow for any sign.
// ANCHOR: sigmoid
pub fn sigmoid_scalar(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp(); // e^{x} ≤ 1: no overflow
        e / (1.0 + e)
    }
}
// ANCHOR_END: sigmoid

/// `σ` on every entry.
pub fn sigmoid(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.map(sigmoid_scalar)
}

/// `σ'(x) = σ(x)(1 − σ(x))`, from the output `s = σ(x)`.
pub fn sigmoid_grad_from_output(s: &DMatrix<f64>) -> DMatrix<f64> {
    s.map(|s| s * (1.0 - s))
}

/// `tanh` on every entry.
pub fn tanh(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.map(f64::tanh)
}

/// `tanh'(x) = 1 − tanh²(x)`, from the output `y = tanh(x)`.
pub fn tanh_grad_from_output(y: &DMatrix<f64>) -> DMatrix<f64> {
    y.map(|y| 1.0 - y * y)
}

/// `ReLU(x) = max(0, x)` on every entry.
pub fn relu(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.map(|v| v.max(0.0))
}

/// `ReLU'(x)`: 1 where `x > 0`, else 0 (the kink at 0 gets 0).
pub fn relu_grad(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.map(|v| if v > 0.0 { 1.0 } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::assert_gradients;
    use crate::params::Named;

    #[test]
    fn stay_finite_and_correct_at_plus_minus_1e4() {
        assert_eq!(sigmoid_scalar(1e4), 1.0);
        assert_eq!(sigmoid_scalar(-1e4), 0.0);
        assert!((sigmoid_scalar(0.0) - 0.5).abs() < 1e-15);
        assert!(
            (sigmoid_scalar(-30.0) - (-30f64).exp() / (1.0 + (-30f64).exp()))
                .abs()
                < 1e-25
        );
        let x = DMatrix::from_row_slice(1, 2, &[1e4, -1e4]);
        assert!(tanh(&x).iter().all(|v| v.is_finite()));
        assert_eq!(relu(&x)[(0, 0)], 1e4);
        assert!(
            sigmoid_grad_from_output(&sigmoid(&x))
                .iter()
                .all(|v| *v == 0.0)
        );
    }

    #[test]
    fn derivatives_match_central_differences() {
        // Inputs away from ReLU's kink at 0.
        let x =
            DMatrix::from_row_slice(2, 3, &[-1.3, -0.4, 0.2, 0.7, 1.9, -2.2]);
        let up =
            DMatrix::from_row_slice(2, 3, &[0.3, -1.0, 2.0, 0.5, -0.7, 1.1]);
        type F = fn(&DMatrix<f64>) -> DMatrix<f64>;
        let cases: [(&str, F, DMatrix<f64>); 3] = [
            ("sigmoid", sigmoid, sigmoid_grad_from_output(&sigmoid(&x))),
            ("tanh", tanh, tanh_grad_from_output(&tanh(&x))),
            ("relu", relu, relu_grad(&x)),
        ];
        for (name, f, local) in cases {
            let dx = local.component_mul(&up);
            assert_gradients(
                name,
                &Named("x", x.clone()),
                &Named("x", dx),
                |p| f(&p.1).component_mul(&up).sum(),
            );
        }
    }
}
