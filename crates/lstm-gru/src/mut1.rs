//! Mut1, the first of the three architectures that Jozefowicz, Zaremba &
//! Sutskever (2015) found by searching over ten thousand recurrent cells,
//! as the lecture's slide writes it (the paper's `h_t → h_{t+1}` written
//! here as `h → h'`):
//!
//! `z = σ(W_xz x + b_z)`, `r = σ(W_xr x + W_hr h + b_r)`,
//! `h' = tanh(W_hh (r ⊙ h) + tanh(x) + b_h) ⊙ z + h ⊙ (1 − z)`.
//!
//! What the three variants share is in [`crate::mut_shared`]. A reference
//! cell with an optional challenge exercise (its step backward).
//! Book: `lstm-gru/gru.md#other-variants`.

use crate::gru::new_cell;
use crate::mut_shared::{
    MutCache, check_d_next, check_step, gate_backward, update,
};
use foundations::activations::{sigmoid, tanh};
use foundations::ops::{add_bias, sum_columns};
use foundations::{Error, Mat, ParamsExt, Rng, impl_params};

/// Mut1's parameters (`w_x*` are `n x D`, `w_h*` are `n x n`, biases
/// `n x 1`). Gradients are a second `Mut1` value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mut1 {
    /// `W_xz`, `b_z`: the update gate.
    pub w_xz: Mat,
    pub b_z: Mat,
    /// `W_xr`, `W_hr`, `b_r`: the reset gate.
    pub w_xr: Mat,
    pub w_hr: Mat,
    pub b_r: Mat,
    /// `W_hh`, `b_h`: the candidate.
    pub w_hh: Mat,
    pub b_h: Mat,
}
impl_params!(Mut1 {
    w_xz,
    b_z,
    w_xr,
    w_hr,
    b_r,
    w_hh,
    b_h
});

impl Mut1 {
    /// A new cell: weights uniform in `±1/√n`, biases zero.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero or D ≠ n.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        new_cell("Mut1", (input_size, hidden_size), true, rng)
    }

    /// One step: `h' = tanh(…) ⊙ z + h ⊙ (1 − z)`. `h` is `n x B`, `x` is
    /// `D x B`.
    ///
    /// # Panics
    /// When a shape does not fit.
    pub fn step_forward(&self, h: &Mat, x: &Mat) -> (Mat, MutCache) {
        check_step("Mut1::step_forward", (&self.w_hh, &self.w_xz), h, x);
        // ANCHOR: mut1_forward
        // z = σ(W_xz x + b_z)
        let z = sigmoid(&add_bias(&self.w_xz * x, &self.b_z));
        // r = σ(W_xr x + W_hr h + b_r)
        let r = sigmoid(&add_bias(&self.w_xr * x + &self.w_hr * h, &self.b_r));
        // h' = tanh(W_hh (r ⊙ h) + tanh(x) + b_h) ⊙ z + h ⊙ (1 − z)
        update((&self.w_hh, &self.b_h), h, x, (r, z), tanh(x))
        // ANCHOR_END: mut1_forward
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
    ) -> (Mut1, Mat, Mat) {
        check_d_next("Mut1::step_backward", cache, d_next);
        // BEGIN SOLUTION mut1-backward
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
        // forward: u = tanh(x)
        let mut d_x = d_a.zip_map(&tanh(x), |d, t| d * (1.0 - t * t));
        // forward: r = σ(W_xr x + W_hr h + b_r)
        let w = (&self.w_xr, &self.w_hr);
        let gr = gate_backward(&d_rh.component_mul(h), r, w, h, x);
        (g.w_xr, g.w_hr, g.b_r) = (gr.w_x, gr.w_h, gr.b);
        d_h += gr.d_h;
        d_x += gr.d_x;
        // forward: z = σ(W_xz x + b_z)
        let d_az = d_z.zip_map(z, |d, s| d * s * (1.0 - s));
        g.w_xz = &d_az * x.transpose();
        g.b_z = sum_columns(&d_az);
        d_x += self.w_xz.transpose() * &d_az;
        (g, d_h, d_x)
        // END SOLUTION
    }
}
