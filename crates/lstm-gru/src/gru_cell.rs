//! The GRU as an engine: the slide's cell (as [`crate::Gru`]) with its gate
//! weights fused, implementing [`vanilla_rnn_bptt::RecurrentCell`]. Not an
//! exercise; tested equal to the reference.
//!
//! `w_x = [W_xr; W_xz; W_xh]` (`3n x D`) multiplies `x` once for both gates
//! and the candidate (a column lookup when `x` is one-hot);
//! `w_h = [W_hr; W_hz]` (`2n x n`) multiplies `h_{t−1}` once for both
//! gates; `W_hh` acts on `r ⊙ h_{t−1}`; `b = [b_r; b_z; b_h]`.
//!
//! Book: *LSTM and GRU → Engine cells*.

use crate::gru::Gru;
use crate::lstm_cell::one_hot_ids;
use foundations::activations::sigmoid_scalar as sigmoid;
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Mat, Rng, impl_params};
use vanilla_rnn_bptt::RecurrentCell;

/// The GRU engine's fused parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct GruCell {
    /// `[W_xr; W_xz; W_xh]`, `3n x D`.
    pub w_x: Mat,
    /// `[W_hr; W_hz]`, `2n x n`.
    pub w_h: Mat,
    /// `W_hh`, `n x n`, acting on `r ⊙ h_{t−1}`.
    pub w_hh: Mat,
    /// `[b_r; b_z; b_h]`, `3n x 1`.
    pub b: Mat,
}
impl_params!(GruCell { w_x, w_h, w_hh, b });

/// What [`GruCell`]'s step backward needs.
#[derive(Debug, Clone, PartialEq)]
pub struct GruCellCache {
    /// `x_t` (empty when one-hot).
    pub x: Mat,
    /// The id of the 1 in each column when `x` is one-hot.
    pub one_hot: Option<Vec<usize>>,
    /// `h_{t−1}`.
    pub h_prev: Mat,
    /// `[r; z; h̃]`, `3n x B`.
    pub act: Mat,
}

impl GruCell {
    /// A new cell, initialised as [`Gru::new`] (the same numbers for the
    /// same seed).
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        Gru::new(input_size, hidden_size, rng).map(|g| GruCell::from(&g))
    }

    /// The slide-named parameters of the same cell.
    pub fn to_reference(&self) -> Gru {
        let n = self.w_hh.nrows();
        let rows = |m: &Mat, k: usize| m.rows(k * n, n).into_owned();
        Gru {
            w_xr: rows(&self.w_x, 0),
            w_hr: rows(&self.w_h, 0),
            b_r: rows(&self.b, 0),
            w_xz: rows(&self.w_x, 1),
            w_hz: rows(&self.w_h, 1),
            b_z: rows(&self.b, 1),
            w_xh: rows(&self.w_x, 2),
            w_hh: self.w_hh.clone(),
            b_h: rows(&self.b, 2),
        }
    }
}

impl From<&Gru> for GruCell {
    fn from(g: &Gru) -> Self {
        let stack = |ms: &[&Mat]| {
            let rows: usize = ms.iter().map(|m| m.nrows()).sum();
            let mut out = Mat::zeros(rows, ms[0].ncols());
            let mut r = 0;
            for m in ms {
                out.rows_mut(r, m.nrows()).copy_from(*m);
                r += m.nrows();
            }
            out
        };
        GruCell {
            w_x: stack(&[&g.w_xr, &g.w_xz, &g.w_xh]),
            w_h: stack(&[&g.w_hr, &g.w_hz]),
            w_hh: g.w_hh.clone(),
            b: stack(&[&g.b_r, &g.b_z, &g.b_h]),
        }
    }
}

impl RecurrentCell for GruCell {
    type State = Mat;
    type StateGrad = Mat;
    type Cache = GruCellCache;

    fn input_size(&self) -> usize {
        self.w_x.ncols()
    }

    fn hidden_size(&self) -> usize {
        self.w_hh.nrows()
    }

    fn zero_state(&self, batch: usize) -> Mat {
        Mat::zeros(self.hidden_size(), batch)
    }

    fn zero_state_grad(&self, batch: usize) -> Mat {
        Mat::zeros(self.hidden_size(), batch)
    }

    fn hidden(state: &Mat) -> &Mat {
        state
    }

    fn hidden_grad_mut(grad: &mut Mat) -> &mut Mat {
        grad
    }

    fn step_forward(&self, h_prev: &Mat, x: &Mat) -> (Mat, GruCellCache) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let f_name = "GruCell::step_forward";
        expect_shape(f_name, "x", x, Dim::Is(d), Dim::Any("B"));
        let bsz = x.ncols();
        expect_shape(f_name, "h_prev", h_prev, Dim::Is(n), Dim::Is(bsz));
        // a = W_x x + b for r, z, h̃ at once; then W_h h_{t−1} for r, z
        let mut a = Mat::from_fn(3 * n, bsz, |r, _| self.b[(r, 0)]);
        let one_hot = one_hot_ids(x);
        match &one_hot {
            Some(ids) => {
                for (j, &id) in ids.iter().enumerate() {
                    a.column_mut(j).axpy(1.0, &self.w_x.column(id), 1.0);
                }
            }
            None => a.gemm(1.0, &self.w_x, x, 1.0),
        }
        a.rows_mut(0, 2 * n).gemm(1.0, &self.w_h, h_prev, 1.0);
        a.rows_mut(0, 2 * n).apply(|v| *v = sigmoid(*v));
        let rh = a.rows(0, n).component_mul(h_prev);
        a.rows_mut(2 * n, n).gemm(1.0, &self.w_hh, &rh, 1.0);
        a.rows_mut(2 * n, n).apply(|v| *v = v.tanh());
        // h = z ⊙ h̃ + (1 − z) ⊙ h_{t−1}
        let h = Mat::from_fn(n, bsz, |k, j| {
            let (z, ht) = (a[(n + k, j)], a[(2 * n + k, j)]);
            z * ht + (1.0 - z) * h_prev[(k, j)]
        });
        let cache = GruCellCache {
            x: if one_hot.is_some() {
                Mat::zeros(0, bsz)
            } else {
                x.clone()
            },
            one_hot,
            h_prev: h_prev.clone(),
            act: a,
        };
        (h, cache)
    }

    fn step_backward(
        &self,
        cache: &GruCellCache,
        d_h: &Mat,
    ) -> (GruCell, Mat, Mat) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let bsz = cache.act.ncols();
        let f_name = "GruCell::step_backward";
        expect_shape(f_name, "d_h", d_h, Dim::Is(n), Dim::Is(bsz));
        let (act, hp) = (&cache.act, &cache.h_prev);
        // d_a = [d_ar; d_az; d_ah]: pre-activation gradients
        let mut d_a = Mat::zeros(3 * n, bsz);
        let mut d_h_prev = Mat::zeros(n, bsz);
        for j in 0..bsz {
            for k in 0..n {
                let (z, ht) = (act[(n + k, j)], act[(2 * n + k, j)]);
                let dh = d_h[(k, j)];
                d_a[(n + k, j)] = dh * (ht - hp[(k, j)]) * z * (1.0 - z);
                d_a[(2 * n + k, j)] = dh * z * (1.0 - ht * ht);
                d_h_prev[(k, j)] = dh * (1.0 - z);
            }
        }
        let d_ah = d_a.rows(2 * n, n).into_owned();
        let mut d_rh = Mat::zeros(n, bsz);
        d_rh.gemm_tr(1.0, &self.w_hh, &d_ah, 0.0);
        for j in 0..bsz {
            for k in 0..n {
                let r = act[(k, j)];
                d_a[(k, j)] = d_rh[(k, j)] * hp[(k, j)] * r * (1.0 - r);
                d_h_prev[(k, j)] += d_rh[(k, j)] * r;
            }
        }
        let d_g = d_a.rows(0, 2 * n);
        d_h_prev.gemm_tr(1.0, &self.w_h, &d_g, 1.0);
        let rh = act.rows(0, n).component_mul(hp);
        let mut grads = GruCell {
            w_x: Mat::zeros(3 * n, d),
            w_h: d_g * hp.transpose(),
            w_hh: &d_ah * rh.transpose(),
            b: Mat::zeros(3 * n, 1),
        };
        match &cache.one_hot {
            Some(ids) => {
                for (j, &id) in ids.iter().enumerate() {
                    grads.w_x.column_mut(id).axpy(1.0, &d_a.column(j), 1.0);
                }
            }
            None => grads.w_x.gemm(1.0, &d_a, &cache.x.transpose(), 0.0),
        }
        for j in 0..bsz {
            grads.b.column_mut(0).axpy(1.0, &d_a.column(j), 1.0);
        }
        let mut d_x = Mat::zeros(d, bsz);
        d_x.gemm_tr(1.0, &self.w_x, &d_a, 0.0);
        (grads, d_h_prev, d_x)
    }
}
