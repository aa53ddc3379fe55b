//! The vanilla RNN cell as an engine: `h^(t) = tanh(W h^(t−1) + U x^(t) + b)`
//! implementing [`RecurrentCell`], so the generic BPTT, truncated BPTT,
//! training loop and sampling run it. Tested equal to the slide-form
//! reference in [`crate::rnn`] (the exercises). The engine does the same
//! arithmetic in place: the products accumulated into one buffer, the
//! weight gradients written into theirs (a rank-1 update for one column).
//!
//! Book: `vanilla-rnn-bptt/cell-trait.md#the-trait`.

use crate::cell::{RecurrentCell, check_sizes};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Rng, impl_params, init};
use nalgebra::DMatrix;

/// The parameters of one vanilla RNN cell (the slides' `W`, `U`, `b`;
/// `W_hh`, `W_xh` and the hidden bias in the other lecture's names).
#[derive(Debug, Clone, PartialEq)]
pub struct RnnCell {
    /// `W`, `n x n`: hidden to hidden.
    pub w: DMatrix<f64>,
    /// `U`, `n x D`: input to hidden.
    pub u: DMatrix<f64>,
    /// `b`, `n x 1`.
    pub b: DMatrix<f64>,
}
impl_params!(RnnCell { w, u, b });

/// What [`RnnCell::step_backward`](RecurrentCell::step_backward) needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RnnCellCache {
    /// `h^(t−1)`, `n x B`.
    pub h_prev: DMatrix<f64>,
    /// `x^(t)`, `D x B`.
    pub x: DMatrix<f64>,
    /// `h^(t) = tanh(a^(t))`, `n x B`.
    pub h: DMatrix<f64>,
}

impl RnnCell {
    /// A cell with `D = input_size` and `n = hidden_size`, weights normal
    /// with standard deviation 0.01 (as min-char-rnn) and `b = 0`.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        check_sizes("RnnCell", input_size, hidden_size)?;
        Ok(RnnCell {
            w: init::normal(hidden_size, hidden_size, 0.01, rng),
            u: init::normal(hidden_size, input_size, 0.01, rng),
            b: DMatrix::zeros(hidden_size, 1),
        })
    }
}

impl RecurrentCell for RnnCell {
    type State = DMatrix<f64>;
    type StateGrad = DMatrix<f64>;
    type Cache = RnnCellCache;

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

    /// `a = W h^(t−1) + U x^(t) + b` ([`affine_step`]), then
    /// `h^(t) = tanh(a)` in place.
    fn step_forward(
        &self,
        h_prev: &DMatrix<f64>,
        x: &DMatrix<f64>,
    ) -> (DMatrix<f64>, RnnCellCache) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let f = "RnnCell::step_forward";
        expect_shape(f, "x", x, Dim::Is(d), Dim::Any("B"));
        expect_shape(f, "h_prev", h_prev, Dim::Is(n), Dim::Is(x.ncols()));
        let mut h = affine_step((&self.w, &self.u, &self.b), h_prev, x);
        h.apply(|a| *a = a.tanh());
        let cache = RnnCellCache {
            h_prev: h_prev.clone(),
            x: x.clone(),
            h: h.clone(),
        };
        (h, cache)
    }

    /// Given `∇h^(t)`: `∇a = (1 − h²) ⊙ ∇h` in place, then the affine
    /// part's gradients and messages ([`affine_step_backward`]).
    fn step_backward(
        &self,
        cache: &RnnCellCache,
        d_h: &DMatrix<f64>,
    ) -> (RnnCell, DMatrix<f64>, DMatrix<f64>) {
        let f = "RnnCell::step_backward";
        let (n, b) = cache.h.shape();
        expect_shape(f, "d_h", d_h, Dim::Is(n), Dim::Is(b));
        let mut da = d_h.clone();
        da.zip_apply(&cache.h, |g, h| *g *= 1.0 - h * h);
        affine_step_backward((&self.w, &self.u), &cache.h_prev, &cache.x, &da)
    }
}

/// `a = W h^(t−1) + U x^(t) + b` for a batch of columns, the affine part
/// that the tanh and the ReLU cell share, accumulated in one buffer: start
/// from `b` in every column, add both products in place (`gemm`). Shapes
/// are the caller's to check.
pub(crate) fn affine_step(
    (w, u, b): (&DMatrix<f64>, &DMatrix<f64>, &DMatrix<f64>),
    h_prev: &DMatrix<f64>,
    x: &DMatrix<f64>,
) -> DMatrix<f64> {
    let mut a = DMatrix::from_fn(b.nrows(), x.ncols(), |i, _| b[i]);
    a.gemm(1.0, w, h_prev, 1.0);
    a.gemm(1.0, u, x, 1.0);
    a
}

/// The backward of [`affine_step`] given `∇a`: the weight gradients
/// `∇W = ∇a h^(t−1)ᵀ` and `∇U = ∇a xᵀ` written into buffers, as one rank-1
/// update (`ger`) for a single column (sampling, the character model) and
/// one product (`gemm`) for a batch, `∇b = Σ_j ∇a_j`; and the messages
/// `∇h^(t−1) = Wᵀ ∇a`, `∇x = Uᵀ ∇a` as transposed products (`gemm_tr`).
pub(crate) fn affine_step_backward(
    (w, u): (&DMatrix<f64>, &DMatrix<f64>),
    h_prev: &DMatrix<f64>,
    x: &DMatrix<f64>,
    da: &DMatrix<f64>,
) -> (RnnCell, DMatrix<f64>, DMatrix<f64>) {
    let (n, d, b) = (w.nrows(), u.ncols(), da.ncols());
    let mut grads = RnnCell {
        w: DMatrix::zeros(n, n),
        u: DMatrix::zeros(n, d),
        b: DMatrix::zeros(n, 1),
    };
    if b == 1 {
        // one column: the products are outer products, a rank-1 update each
        grads.w.ger(1.0, &da.column(0), &h_prev.column(0), 0.0);
        grads.u.ger(1.0, &da.column(0), &x.column(0), 0.0);
        grads.b.copy_from(da);
    } else {
        // a batch: one matrix product over all columns at once
        grads.w.gemm(1.0, da, &h_prev.transpose(), 0.0);
        grads.u.gemm(1.0, da, &x.transpose(), 0.0);
        for j in 0..b {
            grads.b.column_mut(0).axpy(1.0, &da.column(j), 1.0);
        }
    }
    let mut d_h_prev = DMatrix::zeros(n, b);
    d_h_prev.gemm_tr(1.0, w, da, 0.0);
    let mut dx = DMatrix::zeros(d, b);
    dx.gemm_tr(1.0, u, da, 0.0);
    (grads, d_h_prev, dx)
}
