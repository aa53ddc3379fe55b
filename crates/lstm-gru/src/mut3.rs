//! Mut3, the third of the three architectures that
//! Jozefowicz, Zaremba & Sutskever (2015) found by searching over ten
//! thousand recurrent cells, as the lecture's slide writes it (the paper's
//! `h_t → h_{t+1}` written here as `h → h'`):
//!
//! `z = σ(W_xz x + W_hz tanh(h) + b_z)`, `r = σ(W_xr x + W_hr h + b_r)`, `h' = tanh(W_hh (r ⊙ h) + W_xh x + b_h) ⊙ z + h ⊙ (1 − z)`.
//!
//! A reference cell with an optional challenge exercise (its step
//! backward). Book: *LSTM and GRU → The GRU → Other variants*.

use crate::ops::{add_bias, sum_columns};
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
#[derive(Debug, Clone, PartialEq)]
pub struct Mut3Cache {
    /// `x`, `D x B`.
    pub x: Mat,
    /// `h`, the previous state, `n x B`.
    pub h: Mat,
    /// The reset gate `r`.
    pub r: Mat,
    /// The update gate `z`.
    pub z: Mat,
    /// The candidate `tanh(…)`.
    pub cand: Mat,
}

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
        if n == 0 || d == 0 {
            return Err(Error::config(
                "Mut3",
                format!("sizes n = {n} and D = {d} must be at least 1"),
            ));
        }
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
        let cand = tanh(&add_bias(
            &self.w_hh * r.component_mul(h) + &self.w_xh * x,
            &self.b_h,
        ));
        let next = cand.component_mul(&z) + h.zip_map(&z, |h, z| h * (1.0 - z));
        let cache = Mut3Cache {
            x: x.clone(),
            h: h.clone(),
            r,
            z,
            cand,
        };
        (next, cache)
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
        let Mut3Cache { x, h, r, z, cand } = cache;
        let mut g = self.zeros_like();
        // forward: h' = cand ⊙ z + h ⊙ (1 − z)
        let d_z = d_next.component_mul(&(cand - h));
        let d_cand = d_next.component_mul(z);
        let mut d_h_prev = d_next.zip_map(z, |d, z| d * (1.0 - z));
        let mut d_x = Mat::zeros(x.nrows(), x.ncols());
        // forward: cand = tanh(W_hh (r ⊙ h) + … + b_h)
        let d_ah = d_cand.zip_map(cand, |d, t| d * (1.0 - t * t));
        let d_rh = self.w_hh.transpose() * &d_ah;
        g.w_hh = &d_ah * r.component_mul(h).transpose();
        g.b_h = sum_columns(&d_ah);
        let d_r = d_rh.component_mul(h);
        d_h_prev += d_rh.component_mul(r);
        // forward: … + W_xh x inside the candidate
        d_x += self.w_xh.transpose() * &d_ah;
        g.w_xh = &d_ah * x.transpose();
        // forward: r = σ(W_xr x + W_hr h + b_r)
        let d_ar = d_r.zip_map(r, |d, s| d * s * (1.0 - s));
        d_x += self.w_xr.transpose() * &d_ar;
        d_h_prev += self.w_hr.transpose() * &d_ar;
        g.w_xr = &d_ar * x.transpose();
        g.w_hr = &d_ar * h.transpose();
        g.b_r = sum_columns(&d_ar);
        // forward: z = σ(W_xz x + W_hz tanh(h) + b_z)
        let d_az = d_z.zip_map(z, |d, s| d * s * (1.0 - s));
        let tanh_h = tanh(h);
        d_x += self.w_xz.transpose() * &d_az;
        d_h_prev += (self.w_hz.transpose() * &d_az)
            .zip_map(&tanh_h, |d, t| d * (1.0 - t * t));
        g.w_xz = &d_az * x.transpose();
        g.w_hz = &d_az * tanh_h.transpose();
        g.b_z = sum_columns(&d_az);
        (g, d_x, d_h_prev)
        // END SOLUTION
    }
}
