//! The vanilla RNN with a ReLU in place of the tanh, one of the lectures'
//! cures for vanishing gradients ("better activations"):
//! `h^(t) = max(0, W h^(t−1) + U x^(t) + b)`. Its derivative is 1 wherever
//! a unit is active, so going back one step multiplies the gradient by
//! `Wᵀ diag(1[a > 0])` — no factor below 1 from the activation itself.
//! With `W = I` and `b = 0` it is Le, Jaitly & Hinton's IRNN (2015).
//! Implements [`RecurrentCell`], so BPTT, training and sampling run it.
//!
//! Book: `vanilla-rnn-bptt/gradient-flow.md#three-cures-measured`.

use crate::cell::{RecurrentCell, check_sizes};
use crate::rnn_cell::{RnnCell, affine_step, affine_step_backward};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Rng, impl_params, init};
use nalgebra::DMatrix;

/// The parameters of one ReLU RNN cell: `W` (`n x n`), `U` (`n x D`), `b`
/// (`n x 1`), as in [`crate::RnnCell`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReluRnnCell {
    /// `W`, `n x n`: hidden to hidden.
    pub w: DMatrix<f64>,
    /// `U`, `n x D`: input to hidden.
    pub u: DMatrix<f64>,
    /// `b`, `n x 1`.
    pub b: DMatrix<f64>,
}
impl_params!(ReluRnnCell { w, u, b });

/// What [`ReluRnnCell::step_backward`](RecurrentCell::step_backward)
/// needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ReluRnnCellCache {
    /// `h^(t−1)`, `n x B`.
    pub h_prev: DMatrix<f64>,
    /// `x^(t)`, `D x B`.
    pub x: DMatrix<f64>,
    /// `h^(t) = max(0, a^(t))`, `n x B`: `h > 0` exactly where `a > 0`.
    pub h: DMatrix<f64>,
}

impl ReluRnnCell {
    /// Le et al.'s IRNN: `W = I`, `b = 0`, `U` normal with standard
    /// deviation `u_std`.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn identity(
        input_size: usize,
        hidden_size: usize,
        u_std: f64,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        check_sizes("ReluRnnCell", input_size, hidden_size)?;
        Ok(ReluRnnCell {
            w: DMatrix::identity(hidden_size, hidden_size),
            u: init::normal(hidden_size, input_size, u_std, rng),
            b: DMatrix::zeros(hidden_size, 1),
        })
    }
}

impl RecurrentCell for ReluRnnCell {
    type State = DMatrix<f64>;
    type StateGrad = DMatrix<f64>;
    type Cache = ReluRnnCellCache;

    fn input_size(&self) -> usize {
        self.u.ncols()
    }

    fn hidden_size(&self) -> usize {
        self.w.nrows()
    }

    fn zero_state(&self, batch: usize) -> DMatrix<f64> {
        DMatrix::zeros(self.hidden_size(), batch)
    }

    fn zero_state_grad(&self, batch: usize) -> DMatrix<f64> {
        DMatrix::zeros(self.hidden_size(), batch)
    }

    fn hidden(state: &DMatrix<f64>) -> &DMatrix<f64> {
        state
    }

    fn hidden_grad_mut(grad: &mut DMatrix<f64>) -> &mut DMatrix<f64> {
        grad
    }

    /// `a = W h^(t−1) + U x^(t) + b`, `h^(t) = max(0, a)`.
    fn step_forward(
        &self,
        h_prev: &DMatrix<f64>,
        x: &DMatrix<f64>,
    ) -> (DMatrix<f64>, ReluRnnCellCache) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let f = "ReluRnnCell::step_forward";
        expect_shape(f, "x", x, Dim::Is(d), Dim::Any("B"));
        expect_shape(f, "h_prev", h_prev, Dim::Is(n), Dim::Is(x.ncols()));
        // ANCHOR: relu_step
        // a = W h^(t−1) + U x^(t) + b, h^(t) = max(0, a)
        let mut h = affine_step((&self.w, &self.u, &self.b), h_prev, x);
        h.apply(|a| *a = a.max(0.0));
        // ANCHOR_END: relu_step
        let cache = ReluRnnCellCache {
            h_prev: h_prev.clone(),
            x: x.clone(),
            h: h.clone(),
        };
        (h, cache)
    }

    /// Given `∇h^(t)`: `∇a = 1[h > 0] ⊙ ∇h`, then as the tanh cell:
    /// `∇W = ∇a h^(t−1)ᵀ`, `∇U = ∇a xᵀ`, `∇b = Σ_columns ∇a`,
    /// `∇h^(t−1) = Wᵀ ∇a`, `∇x = Uᵀ ∇a`.
    fn step_backward(
        &self,
        cache: &ReluRnnCellCache,
        d_h: &DMatrix<f64>,
    ) -> (ReluRnnCell, DMatrix<f64>, DMatrix<f64>) {
        let f = "ReluRnnCell::step_backward";
        let (n, b) = cache.h.shape();
        expect_shape(f, "d_h", d_h, Dim::Is(n), Dim::Is(b));
        // ANCHOR: relu_step_back
        // h = max(0, a): ∂h/∂a = 1 where a > 0 (that is, h > 0), else 0
        let da = d_h.zip_map(&cache.h, |g, h| if h > 0.0 { g } else { 0.0 });
        // a = W h^(t−1) + U x^(t) + b: ∇W, ∇U, ∇b, and ∇h^(t−1) = Wᵀ ∇a
        let (RnnCell { w, u, b }, d_h_prev, dx) = affine_step_backward(
            (&self.w, &self.u),
            &cache.h_prev,
            &cache.x,
            &da,
        );
        // ANCHOR_END: relu_step_back
        (ReluRnnCell { w, u, b }, d_h_prev, dx)
    }
}
