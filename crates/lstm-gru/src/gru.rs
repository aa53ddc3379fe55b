//! The GRU cell (Cho et al. 2014): its parameters, named as on the slide,
//! and the reference form — one step forward and backward exactly as the
//! slide writes them. The engine form of the same cell (the
//! [`vanilla_rnn_bptt::RecurrentCell`] implementation that runs sequences,
//! and that later crates use) is in [`crate::gru_engine`].
//!
//! `r_t = σ(W_xr x_t + W_hr h_{t−1} + b_r)`,
//! `z_t = σ(W_xz x_t + W_hz h_{t−1} + b_z)`,
//! `h̃_t = tanh(W_xh x_t + W_hh (r_t ⊙ h_{t−1}) + b_h)`,
//! `h_t = z_t ⊙ h̃_t + (1 − z_t) ⊙ h_{t−1}`.
//!
//! The slide writes `h̃_{t−1}` in the last line; `h̃_t` is meant. Cho et al.
//! and PyTorch put `z` on `h_{t−1}` instead (`h_t = z ⊙ h_{t−1} + (1 − z) ⊙
//! h̃_t`), and PyTorch applies `r` after the product: `r ⊙ (W_hh h_{t−1} +
//! b_hh)`. Book: `lstm-gru/gru.md#the-gru`.

use foundations::activations::{sigmoid, tanh};
use foundations::ops::{add_bias, sum_columns};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Mat, Params, Rng, impl_params};
use vanilla_rnn_bptt::{RecurrentCell, check_sizes};

/// The GRU's parameters, named as on the slide: `w_x*` are `n x D`, `w_h*`
/// are `n x n`, biases `n x 1`. Gradients are a second `Gru` value. The
/// slide form is [`Gru::step_forward_reference`] and
/// [`Gru::step_backward_reference`]; the engine is
/// `<Gru as RecurrentCell>::step_forward` (tested equal).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gru {
    /// Reset gate, input weights `W_xr`.
    pub w_xr: Mat,
    /// Reset gate, recurrent weights `W_hr`.
    pub w_hr: Mat,
    /// Reset gate bias `b_r`.
    pub b_r: Mat,
    /// Update gate, input weights `W_xz`.
    pub w_xz: Mat,
    /// Update gate, recurrent weights `W_hz`.
    pub w_hz: Mat,
    /// Update gate bias `b_z`.
    pub b_z: Mat,
    /// Candidate, input weights `W_xh`.
    pub w_xh: Mat,
    /// Candidate, recurrent weights `W_hh` (act on `r ⊙ h_{t−1}`).
    pub w_hh: Mat,
    /// Candidate bias `b_h`.
    pub b_h: Mat,
}
impl_params!(Gru {
    w_xr,
    w_hr,
    b_r,
    w_xz,
    w_hz,
    b_z,
    w_xh,
    w_hh,
    b_h
});

/// What [`Gru::step_backward_reference`] needs from one step forward.
#[derive(Debug, Clone, PartialEq)]
pub struct GruStepCache {
    /// `x_t`, `D x B`.
    pub x: Mat,
    /// `h_{t−1}`, `n x B`.
    pub h_prev: Mat,
    /// Reset gate `r_t`.
    pub r: Mat,
    /// Update gate `z_t`.
    pub z: Mat,
    /// Candidate `h̃_t`.
    pub h_tilde: Mat,
}

impl Gru {
    /// A new cell with input size `D = input_size` and hidden size
    /// `n = hidden_size`: weights uniform in
    /// `±1/√n` (as PyTorch does), biases zero.
    ///
    /// # Errors
    /// [`Error::Config`] when `n` or `d` is zero.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        new_cell("Gru", (input_size, hidden_size), false, rng)
    }

    /// One step of the slide's GRU. `h_prev` is `n x B`, `x` is `D x B`.
    ///
    /// Book: `lstm-gru/gru.md#the-gru`.
    ///
    /// # Panics
    /// When a shape does not fit: `Gru::step_forward_reference: x is 5x1,
    /// expected 4 x B`.
    pub fn step_forward_reference(
        &self,
        h_prev: &Mat,
        x: &Mat,
    ) -> (Mat, GruStepCache) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let f_name = "Gru::step_forward_reference";
        expect_shape(f_name, "x", x, Dim::Is(d), Dim::Any("B"));
        let b = Dim::Is(x.ncols());
        expect_shape(f_name, "h_prev", h_prev, Dim::Is(n), b);
        // BEGIN SOLUTION gru-step-forward
        // ANCHOR: gru_forward
        let r =
            sigmoid(&add_bias(&self.w_xr * x + &self.w_hr * h_prev, &self.b_r));
        let z =
            sigmoid(&add_bias(&self.w_xz * x + &self.w_hz * h_prev, &self.b_z));
        let h_tilde = tanh(&add_bias(
            &self.w_xh * x + &self.w_hh * r.component_mul(h_prev),
            &self.b_h,
        ));
        let h = z.component_mul(&h_tilde)
            + z.map(|z| 1.0 - z).component_mul(h_prev);
        // ANCHOR_END: gru_forward
        let cache = GruStepCache {
            x: x.clone(),
            h_prev: h_prev.clone(),
            r,
            z,
            h_tilde,
        };
        (h, cache)
        // END SOLUTION
    }

    /// One step back: from `∂L/∂h_t` (`n x B`) to the parameter gradients,
    /// `∂L/∂h_{t−1}` and `∂L/∂x_t`.
    ///
    /// Book: `lstm-gru/gru.md#backward`.
    ///
    /// # Panics
    /// When `d_h` is not `n x B`.
    pub fn step_backward_reference(
        &self,
        cache: &GruStepCache,
        d_h: &Mat,
    ) -> (Gru, Mat, Mat) {
        let n = self.hidden_size();
        let b = Dim::Is(cache.x.ncols());
        let f_name = "Gru::step_backward_reference";
        expect_shape(f_name, "d_h", d_h, Dim::Is(n), b);
        // BEGIN SOLUTION gru-step-backward
        let GruStepCache {
            x,
            h_prev,
            r,
            z,
            h_tilde,
        } = cache;
        // ANCHOR: gru_back_mix
        // forward: h = z ⊙ h̃ + (1 − z) ⊙ h_prev
        let d_z = d_h.component_mul(&(h_tilde - h_prev));
        let d_h_tilde = d_h.component_mul(z);
        let mut d_h_prev = d_h.component_mul(&z.map(|z| 1.0 - z));
        // ANCHOR_END: gru_back_mix
        // ANCHOR: gru_back_cand
        // forward: h̃ = tanh(W_xh x + W_hh (r ⊙ h_prev) + b_h)
        let d_ah = d_h_tilde.zip_map(h_tilde, |d, t| d * (1.0 - t * t));
        let rh = r.component_mul(h_prev);
        let d_rh = self.w_hh.transpose() * &d_ah;
        let d_r = d_rh.component_mul(h_prev);
        d_h_prev += d_rh.component_mul(r);
        // ANCHOR_END: gru_back_cand
        // ANCHOR: gru_back_gates
        // forward: r = σ(a_r), z = σ(a_z)
        let d_ar = d_r.zip_map(r, |d, s| d * s * (1.0 - s));
        let d_az = d_z.zip_map(z, |d, s| d * s * (1.0 - s));
        // forward: a_• = W_x• x + W_h• h_prev + b_•
        let d_x = self.w_xr.transpose() * &d_ar
            + self.w_xz.transpose() * &d_az
            + self.w_xh.transpose() * &d_ah;
        d_h_prev +=
            self.w_hr.transpose() * &d_ar + self.w_hz.transpose() * &d_az;
        let grads = Gru {
            w_xr: &d_ar * x.transpose(),
            w_hr: &d_ar * h_prev.transpose(),
            b_r: sum_columns(&d_ar),
            w_xz: &d_az * x.transpose(),
            w_hz: &d_az * h_prev.transpose(),
            b_z: sum_columns(&d_az),
            w_xh: &d_ah * x.transpose(),
            w_hh: &d_ah * rh.transpose(),
            b_h: sum_columns(&d_ah),
        };
        // ANCHOR_END: gru_back_gates
        (grads, d_h_prev, d_x)
        // END SOLUTION
    }
}

/// A GRU or a MUT variant with input size `D` and hidden size `n`, its
/// matrices shaped by their names: `w_x*` (`n x D`) and `w_h*` (`n x n`)
/// drawn uniform in `±1/√n` (as PyTorch does) in field order, the biases
/// `b_*` (`n x 1`) zero.
///
/// # Errors
/// [`Error::Config`] when `n` or `D` is zero, or `D ≠ n` for a variant that
/// adds `x` (or `tanh x`) to an `n`-vector (`input_is_hidden`).
pub(crate) fn new_cell<P: Params + Default>(
    cell: &str,
    (input_size, hidden_size): (usize, usize),
    input_is_hidden: bool,
    rng: &mut Rng,
) -> Result<P, Error> {
    check_sizes(cell, input_size, hidden_size)?;
    let (n, d) = (hidden_size, input_size);
    if input_is_hidden && d != n {
        return Err(Error::config(
            cell,
            format!(
                "this variant adds x (or tanh x) to an n-vector, so the \
                 input size D = {d} must equal the hidden size n = {n}"
            ),
        ));
    }
    let mut cell = P::default();
    let s = 1.0 / (n as f64).sqrt();
    cell.visit_mut(&mut |name, m| {
        *m = match &name[..3] {
            "w_x" => foundations::init::uniform(n, d, s, rng),
            "w_h" => foundations::init::uniform(n, n, s, rng),
            _ => Mat::zeros(n, 1),
        };
    });
    Ok(cell)
}
