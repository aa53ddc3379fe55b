//! Mut2, the second of the three architectures that Jozefowicz, Zaremba &
//! Sutskever (2015) found by searching over ten thousand recurrent cells,
//! as the paper writes it (its `h_t → h_{t+1}` written here as `h → h'`):
//!
//! `z = σ(W_xz x + W_hz h + b_z)`, `r = σ(x + W_hr h + b_r)`,
//! `h' = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 − z)`.
//!
//! The lecture's slide drops the reset gate's recurrent term and writes
//! `r = σ(x + b_r)`: that is this cell with `W_hr = 0` (a test checks it),
//! a gate that cannot see the state it resets. The book's errata appendix
//! lists it.
//!
//! What the three variants share is in [`crate::mut_shared`]. A reference
//! cell with an optional challenge exercise (its step backward).
//! Book: `lstm-gru/gru.md#other-variants`.

use crate::gru::new_cell;
use crate::mut_shared::{
    MutCache, check_d_next, check_step, gate_backward, update,
};
use foundations::activations::sigmoid;
use foundations::ops::{add_bias, sum_columns};
use foundations::{Error, Mat, ParamsExt, Rng, impl_params};

/// Mut2's parameters (`w_x*` are `n x D`, `w_h*` are `n x n`, biases
/// `n x 1`). Gradients are a second `Mut2` value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mut2 {
    /// `W_xz`, `W_hz`, `b_z`: the update gate.
    pub w_xz: Mat,
    pub w_hz: Mat,
    pub b_z: Mat,
    /// `W_hr`, `b_r`: the reset gate (`x` enters it without a weight).
    pub w_hr: Mat,
    pub b_r: Mat,
    /// `W_hh`, `W_xh`, `b_h`: the candidate.
    pub w_hh: Mat,
    pub w_xh: Mat,
    pub b_h: Mat,
}
impl_params!(Mut2 {
    w_xz,
    w_hz,
    b_z,
    w_hr,
    b_r,
    w_hh,
    w_xh,
    b_h
});

impl Mut2 {
    /// A new cell: weights uniform in `±1/√n`, biases zero.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero or D ≠ n.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        new_cell("Mut2", (input_size, hidden_size), true, rng)
    }

    /// One step: `h' = tanh(…) ⊙ z + h ⊙ (1 − z)`. `h` is `n x B`, `x` is
    /// `D x B`.
    ///
    /// # Panics
    /// When a shape does not fit.
    pub fn step_forward(&self, h: &Mat, x: &Mat) -> (Mat, MutCache) {
        check_step("Mut2::step_forward", (&self.w_hh, &self.w_xz), h, x);
        // ANCHOR: mut2_forward
        // z = σ(W_xz x + W_hz h + b_z)
        let z = sigmoid(&add_bias(&self.w_xz * x + &self.w_hz * h, &self.b_z));
        // r = σ(x + W_hr h + b_r)
        let r = sigmoid(&add_bias(x + &self.w_hr * h, &self.b_r));
        // h' = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 − z)
        update((&self.w_hh, &self.b_h), h, x, (r, z), &self.w_xh * x)
        // ANCHOR_END: mut2_forward
    }

    /// One step back from `∂L/∂h'`: the parameter gradients, `∂L/∂h` and
    /// `∂L/∂x`.
    ///
    /// Book: `lstm-gru/gru.md#other-variants`.
    ///
    /// # Panics
    /// When `d_next` is not `n x B`.
    pub fn step_backward(
        &self,
        cache: &MutCache,
        d_next: &Mat,
    ) -> (Mut2, Mat, Mat) {
        check_d_next("Mut2::step_backward", cache, d_next);
        // BEGIN SOLUTION mut2-backward
        let MutCache { h, x, r, z, cand } = cache;
        let mut g = self.zeros_like();
        // forward: h' = h̃ ⊙ z + h ⊙ (1 − z)
        let d_z = d_next.component_mul(&(cand - h));
        let mut d_h = d_next.zip_map(z, |d, z| d * (1.0 - z));
        // forward: h̃ = tanh(a), a = W_hh (r ⊙ h) + u + b_h
        let d_a = d_next
            .component_mul(z)
            .zip_map(cand, |d, t| d * (1.0 - t * t));
        g.w_hh = &d_a * r.component_mul(h).transpose();
        g.b_h = sum_columns(&d_a);
        let d_rh = self.w_hh.transpose() * &d_a;
        d_h += d_rh.component_mul(r);
        // forward: u = W_xh x
        g.w_xh = &d_a * x.transpose();
        let mut d_x = self.w_xh.transpose() * &d_a;
        // forward: r = σ(x + W_hr h + b_r), x without a weight
        let d_ar = d_rh.component_mul(h).zip_map(r, |d, s| d * s * (1.0 - s));
        g.w_hr = &d_ar * h.transpose();
        g.b_r = sum_columns(&d_ar);
        d_h += self.w_hr.transpose() * &d_ar;
        d_x += &d_ar;
        // forward: z = σ(W_xz x + W_hz h + b_z)
        let gz = gate_backward(&d_z, z, (&self.w_xz, &self.w_hz), h, x);
        (g.w_xz, g.w_hz, g.b_z) = (gz.w_x, gz.w_h, gz.b);
        d_h += gz.d_h;
        d_x += gz.d_x;
        (g, d_h, d_x)
        // END SOLUTION
    }
}
