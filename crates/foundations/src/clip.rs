//! Gradient clipping, both kinds: element-wise to `±c` (min-char-rnn) and by
//! the global L2 norm (the lecture's slide). Never used inside a function
//! that is gradient-checked. Book: *Foundations → Gradient clipping*.

use crate::params::{Params, ParamsExt};

/// Every entry clipped to `[−c, c]`.
// ANCHOR: clip_elementwise
pub fn clip_elementwise<P: Params>(grads: &mut P, c: f64) {
    grads.visit_mut(&mut |_, g| g.apply(|v| *v = v.clamp(-c, c)));
}
// ANCHOR_END: clip_elementwise

/// If `‖g‖ > threshold`, rescale `g ← (threshold / ‖g‖) g`, where `‖g‖` is
/// the global L2 norm over every parameter. Returns the norm before clipping.
///
/// The slide's snippet compares the *squared* norm with the threshold; this
/// compares the norm itself (see the errata).
// ANCHOR: clip_norm
pub fn clip_global_norm<P: Params>(grads: &mut P, threshold: f64) -> f64 {
    let norm = grads.global_norm();
    if norm > threshold {
        grads.scale(threshold / norm);
    }
    norm
}
// ANCHOR_END: clip_norm

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Named;
    use nalgebra::DMatrix;

    #[test]
    fn elementwise_clamps_each_entry() {
        let mut g =
            Named("w", DMatrix::from_row_slice(1, 3, &[-9.0, 0.5, 7.0]));
        clip_elementwise(&mut g, 5.0);
        assert_eq!(g.1.as_slice(), &[-5.0, 0.5, 5.0]);
    }

    #[test]
    fn global_norm_rescales_direction_preserved() {
        let mut g = (
            Named("a", DMatrix::from_element(1, 1, 3.0)),
            Named("b", DMatrix::from_element(1, 1, 4.0)),
        );
        let before = clip_global_norm(&mut g, 1.0);
        assert_eq!(before, 5.0);
        assert!((g.global_norm() - 1.0).abs() < 1e-15);
        assert!((g.0.1[(0, 0)] / g.1.1[(0, 0)] - 0.75).abs() < 1e-15);
    }

    #[test]
    fn the_norm_and_the_slides_squared_norm_disagree_between_2_and_4() {
        // ‖g‖ = 3 with threshold 4: the norm is under the threshold, so the
        // gradient is left alone, but ‖g‖² = 9 > 4 would have clipped it.
        let mut g = Named("w", DMatrix::from_row_slice(2, 1, &[3.0, 0.0]));
        let norm = clip_global_norm(&mut g, 4.0);
        assert_eq!(g.1[(0, 0)], 3.0, "left unchanged");
        assert!(norm * norm > 4.0, "the squared-norm test would clip");
    }
}
