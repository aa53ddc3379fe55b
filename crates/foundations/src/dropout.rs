//! Inverted dropout (Srivastava et al. 2014): during training each unit is
//! kept with probability `1 − p` and scaled by `1/(1 − p)`, so nothing
//! changes at test time.

use crate::{Error, Rng};
use nalgebra::DMatrix;
use rand::Rng as _;

/// Inverted dropout with drop probability `p`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dropout {
    p: f64,
}

/// The mask a forward pass drew: `0` or `1/(1 − p)` per entry. Backward
/// multiplies by the same mask; a gradient check holds it fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct DropoutCache {
    /// The mask.
    pub mask: DMatrix<f64>,
}

impl Dropout {
    /// # Errors
    /// When `p` is not in `[0, 1)`.
    pub fn new(p: f64) -> Result<Self, Error> {
        if (0.0..1.0).contains(&p) {
            Ok(Dropout { p })
        } else {
            Err(Error::config(
                "Dropout",
                format!("p = {p} must be in [0, 1)"),
            ))
        }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Draws a mask and applies it: `y = x ⊙ mask`.
    pub fn forward(
        &self,
        x: &DMatrix<f64>,
        rng: &mut Rng,
    ) -> (DMatrix<f64>, DropoutCache) {
        // ANCHOR: dropout
        let keep = 1.0 - self.p;
        let mask = DMatrix::from_fn(x.nrows(), x.ncols(), |_, _| {
            if rng.random::<f64>() < keep {
                1.0 / keep
            } else {
                0.0
            }
        });
        (x.component_mul(&mask), DropoutCache { mask })
        // ANCHOR_END: dropout
    }

    /// `dx = dy ⊙ mask`.
    pub fn backward(
        &self,
        cache: &DropoutCache,
        d_y: &DMatrix<f64>,
    ) -> DMatrix<f64> {
        crate::shape::expect_same_shape(
            "dropout::backward",
            "mask",
            &cache.mask,
            "d_y",
            d_y,
        );
        d_y.component_mul(&cache.mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_outside_unit_interval_is_an_error() {
        assert!(Dropout::new(1.0).is_err());
        assert!(Dropout::new(-0.1).is_err());
    }

    #[test]
    fn keeps_expectation_and_routes_gradient_through_mask() {
        let d = Dropout::new(0.5).unwrap();
        let x = DMatrix::from_element(100, 100, 1.0);
        let (y, cache) = d.forward(&x, &mut crate::rng(3));
        let mean = y.sum() / 10_000.0;
        assert!((mean - 1.0).abs() < 0.05, "{mean}");
        assert!(y.iter().all(|v| *v == 0.0 || *v == 2.0));
        let dx = d.backward(&cache, &x);
        assert_eq!(dx, cache.mask);
        let (y2, _) = d.forward(&x, &mut crate::rng(3));
        assert_eq!(y, y2);
    }
}
