//! Mut3, the third of the three architectures that Jozefowicz, Zaremba &
//! Sutskever (2015) found by searching over ten thousand recurrent cells,
//! as the lecture's slide writes it (the paper's `h_t → h_{t+1}` written
//! here as `h → h'`):
//!
//! `z = σ(W_xz x + W_hz tanh(h) + b_z)`, `r = σ(W_xr x + W_hr h + b_r)`,
//! `h' = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 − z)`.
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

/// Mut3's parameters (`w_x*` are `n x D`, `w_h*` are `n x n`, biases
/// `n x 1`). Gradients are a second `Mut3` value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mut3 {
    /// `W_xz`, `W_hz`, `b_z`: the update gate (`W_hz` reads `tanh h`).
    pub w_xz: Mat,
    pub w_hz: Mat,
    pub b_z: Mat,
    /// `W_xr`, `W_hr`, `b_r`: the reset gate.
    pub w_xr: Mat,
    pub w_hr: Mat,
    pub b_r: Mat,
    /// `W_hh`, `W_xh`, `b_h`: the candidate.
    pub w_hh: Mat,
    pub w_xh: Mat,
    pub b_h: Mat,
}
impl_params!(Mut3 {
    w_xz,
    w_hz,
    b_z,
    w_xr,
    w_hr,
    b_r,
    w_hh,
    w_xh,
    b_h
});

impl Mut3 {
    /// A new cell: weights uniform in `±1/√n`, biases zero.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        new_cell("Mut3", (input_size, hidden_size), false, rng)
    }

    /// One step: `h' = tanh(…) ⊙ z + h ⊙ (1 − z)`. `h` is `n x B`, `x` is
    /// `D x B`.
    ///
    /// # Panics
    /// When a shape does not fit.
    pub fn step_forward(&self, h: &Mat, x: &Mat) -> (Mat, MutCache) {
        check_step("Mut3::step_forward", (&self.w_hh, &self.w_xz), h, x);
        // ANCHOR: mut3_forward
        // z = σ(W_xz x + W_hz tanh(h) + b_z)
        let z = &self.w_xz * x + &self.w_hz * tanh(h);
        let z = sigmoid(&add_bias(z, &self.b_z));
        // r = σ(W_xr x + W_hr h + b_r)
        let r = sigmoid(&add_bias(&self.w_xr * x + &self.w_hr * h, &self.b_r));
        // h' = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 − z)
        update((&self.w_hh, &self.b_h), h, x, (r, z), &self.w_xh * x)
        // ANCHOR_END: mut3_forward
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
    ) -> (Mut3, Mat, Mat) {
        check_d_next("Mut3::step_backward", cache, d_next);
        // BEGIN SOLUTION mut3-backward
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
        // forward: r = σ(W_xr x + W_hr h + b_r)
        let w = (&self.w_xr, &self.w_hr);
        let gr = gate_backward(&d_rh.component_mul(h), r, w, h, x);
        (g.w_xr, g.w_hr, g.b_r) = (gr.w_x, gr.w_h, gr.b);
        d_h += gr.d_h;
        d_x += gr.d_x;
        // forward: z = σ(W_xz x + W_hz tanh(h) + b_z): the gate reads
        // tanh(h), so its gradient passes through tanh' = 1 − tanh² h
        let tanh_h = tanh(h);
        let gz = gate_backward(&d_z, z, (&self.w_xz, &self.w_hz), &tanh_h, x);
        (g.w_xz, g.w_hz, g.b_z) = (gz.w_x, gz.w_h, gz.b);
        d_h += gz.d_h.zip_map(&tanh_h, |d, t| d * (1.0 - t * t));
        d_x += gz.d_x;
        (g, d_h, d_x)
        // END SOLUTION
    }
}
