//! Mut3, the third of the three architectures that
//! Jozefowicz, Zaremba & Sutskever (2015) found by searching over ten
//! thousand recurrent cells, as the lecture's slide writes it (the paper's
//! `h_t → h_{t+1}` written here as `h → h'`):
//!
//! `z = σ(W_xz x + W_hz tanh(h) + b_z)`, `r = σ(W_xr x + W_hr h + b_r)`, `h' = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 − z)`.
//!
//! The end they share with the other two variants (the candidate and the
//! update) is in [`crate::mut_shared`]. A reference cell with an optional
//! challenge exercise (its step backward). Book: *LSTM and GRU → The GRU →
//! Other variants*.

use crate::mut_shared::{
    MutCache, check_sizes, gate_backward, update, update_backward,
};
use crate::ops::add_bias;
use foundations::activations::{sigmoid, tanh};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Mat, ParamsExt, Rng, impl_params};

/// Mut3's parameters. Gradients are a second `Mut3` value.
#[derive(Debug, Clone, PartialEq)]
pub struct Mut3 {
    /// `W_xz`, `n x D`.
    pub w_xz: Mat,
    /// `W_hz`, `n x n`.
    pub w_hz: Mat,
    /// `b_z`, `n x 1`.
    pub b_z: Mat,
    /// `W_xr`, `n x D`.
    pub w_xr: Mat,
    /// `W_hr`, `n x n`.
    pub w_hr: Mat,
    /// `b_r`, `n x 1`.
    pub b_r: Mat,
    /// `W_hh`, `n x n`.
    pub w_hh: Mat,
    /// `W_xh`, `n x D`.
    pub w_xh: Mat,
    /// `b_h`, `n x 1`.
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

/// What [`Mut3::step_backward`] needs from the forward step.
pub type Mut3Cache = MutCache;

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
        let (n, d) = (hidden_size, input_size);
        check_sizes("Mut3", n, d, false)?;
        let s = 1.0 / (n as f64).sqrt();
        let mut u = |r, c| foundations::init::uniform(r, c, s, rng);
        Ok(Mut3 {
            w_xz: u(n, d),
            w_hz: u(n, n),
            b_z: Mat::zeros(n, 1),
            w_xr: u(n, d),
            w_hr: u(n, n),
            b_r: Mat::zeros(n, 1),
            w_hh: u(n, n),
            w_xh: u(n, d),
            b_h: Mat::zeros(n, 1),
        })
    }

    /// The hidden size `n`.
    pub fn hidden_size(&self) -> usize {
        self.w_hh.nrows()
    }

    /// One step: `h' = tanh(…) ⊙ z + h ⊙ (1 − z)`. `x` is `D x B`, `h` is
    /// `n x B`.
    ///
    /// # Panics
    /// When a shape does not fit.
    pub fn step_forward(&self, x: &Mat, h: &Mat) -> (Mat, Mut3Cache) {
        let n = self.hidden_size();
        let f_name = "mut3::step_forward";
        expect_shape(f_name, "x", x, Dim::Is(self.w_xz.ncols()), Dim::Any("B"));
        expect_shape(f_name, "h", h, Dim::Is(n), Dim::Is(x.ncols()));
        let z = sigmoid(&add_bias(
            &self.w_xz * x + &self.w_hz * tanh(h),
            &self.b_z,
        ));
        let r = sigmoid(&add_bias(&self.w_xr * x + &self.w_hr * h, &self.b_r));
        // h' = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 − z)
        let w = (&self.w_hh, &self.b_h);
        update(w, x, h, (r, z), &self.w_xh * x)
    }

    /// One step back from `∂L/∂h'`: the parameter gradients, `∂L/∂x` and
    /// `∂L/∂h`.
    ///
    /// # Panics
    /// When `d_next` is not `n x B`.
    pub fn step_backward(
        &self,
        cache: &Mut3Cache,
        d_next: &Mat,
    ) -> (Mut3, Mat, Mat) {
        let n = self.hidden_size();
        let b = Dim::Is(cache.x.ncols());
        expect_shape("mut3::step_backward", "d_next", d_next, Dim::Is(n), b);
        // BEGIN SOLUTION mut3-backward
        let MutCache { x, h, r, z, .. } = cache;
        let mut g = self.zeros_like();
        // forward: h' = h̃ ⊙ z + h ⊙ (1 − z), h̃ = tanh(W_hh (r ⊙ h) + u + b_h)
        let s = update_backward(&self.w_hh, cache, d_next);
        (g.w_hh, g.b_h) = (s.w_hh, s.b_h);
        let mut d_h_prev = s.d_h;
        // forward: u = W_xh x
        let mut d_x = self.w_xh.transpose() * &s.d_u;
        g.w_xh = &s.d_u * x.transpose();
        // forward: r = σ(W_xr x + W_hr h + b_r)
        let gr = gate_backward(&s.d_r, r, (&self.w_xr, &self.w_hr), x, h);
        (g.w_xr, g.w_hr, g.b_r) = (gr.w_x, gr.w_h, gr.b);
        d_x += gr.d_x;
        d_h_prev += gr.d_h;
        // forward: z = σ(W_xz x + W_hz tanh(h) + b_z): the gate reads
        // tanh(h), so its gradient passes through tanh' = 1 − tanh² h
        let tanh_h = tanh(h);
        let gz = gate_backward(&s.d_z, z, (&self.w_xz, &self.w_hz), x, &tanh_h);
        (g.w_xz, g.w_hz, g.b_z) = (gz.w_x, gz.w_h, gz.b);
        d_x += gz.d_x;
        d_h_prev += gz.d_h.zip_map(&tanh_h, |d, t| d * (1.0 - t * t));
        (g, d_x, d_h_prev)
        // END SOLUTION
    }
}
