//! The GRU's engine: [`crate::Gru`] (the same nine slide-named matrices)
//! implementing [`vanilla_rnn_bptt::RecurrentCell`], so that the generic
//! BPTT, truncated BPTT, training loop and sampling run it. Not an
//! exercise: it is what the examples and later crates use, and it is tested
//! equal to the reference (`Gru::step_forward_reference`, …).
//!
//! What makes it faster than the reference: `[a_r; a_z; a_h]` in one
//! `3n x B` buffer that becomes `[r; z; h̃]` in place, a one-hot input
//! selecting a column of each `W_x•` ([`crate::EngineInput`]), loops over
//! the entries for the update and the gates' backward.
//!
//! Book: `lstm-gru/engine.md#engine-cells`.

use crate::gru::Gru;
use crate::lstm_engine::EngineInput;
use foundations::Mat;
use foundations::activations::sigmoid_scalar as sigmoid;
use foundations::ops::sum_columns;
use foundations::shape::{Dim, expect_shape};
use vanilla_rnn_bptt::RecurrentCell;

/// What the engine's step backward needs.
#[derive(Debug, Clone, PartialEq)]
pub struct GruEngineCache {
    /// `x_t`.
    pub input: EngineInput,
    /// `h_{t−1}`.
    pub h_prev: Mat,
    /// `[r; z; h̃]`, `3n x B`.
    pub act: Mat,
}

impl Gru {
    /// The input weights and biases of the three blocks `r`, `z`, `h̃`, in
    /// the order of the rows of the engine's `3n x B` buffers.
    fn input_blocks(&self) -> [(&Mat, &Mat); 3] {
        [
            (&self.w_xr, &self.b_r),
            (&self.w_xz, &self.b_z),
            (&self.w_xh, &self.b_h),
        ]
    }
}

impl RecurrentCell for Gru {
    type State = Mat;
    type StateGrad = Mat;
    type Cache = GruEngineCache;

    fn input_size(&self) -> usize {
        self.w_xh.ncols()
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

    fn step_forward(&self, h_prev: &Mat, x: &Mat) -> (Mat, GruEngineCache) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let f_name = "Gru::step_forward";
        expect_shape(f_name, "x", x, Dim::Is(d), Dim::Any("B"));
        let bsz = x.ncols();
        expect_shape(f_name, "h_prev", h_prev, Dim::Is(n), Dim::Is(bsz));
        // a = [b_r; b_z; b_h] + [W_xr; W_xz; W_xh] x: a column lookup per
        // block when x is one-hot
        let input = EngineInput::new(x);
        let mut a = Mat::zeros(3 * n, bsz);
        for (k, (w_x, b)) in self.input_blocks().into_iter().enumerate() {
            let mut a_k = a.rows_mut(k * n, n);
            for mut col in a_k.column_iter_mut() {
                col.copy_from(&b.column(0));
            }
            input.add_product(a_k, w_x.as_view());
        }
        // r = σ(a_r + W_hr h_{t−1}), z = σ(a_z + W_hz h_{t−1})
        a.rows_mut(0, n).gemm(1.0, &self.w_hr, h_prev, 1.0);
        a.rows_mut(n, n).gemm(1.0, &self.w_hz, h_prev, 1.0);
        a.rows_mut(0, 2 * n).apply(|v| *v = sigmoid(*v));
        // h̃ = tanh(a_h + W_hh (r ⊙ h_{t−1}))
        let rh = a.rows(0, n).component_mul(h_prev);
        a.rows_mut(2 * n, n).gemm(1.0, &self.w_hh, &rh, 1.0);
        a.rows_mut(2 * n, n).apply(|v| *v = v.tanh());
        // h = z ⊙ h̃ + (1 − z) ⊙ h_{t−1}
        let h = Mat::from_fn(n, bsz, |k, j| {
            let (z, ht) = (a[(n + k, j)], a[(2 * n + k, j)]);
            z * ht + (1.0 - z) * h_prev[(k, j)]
        });
        let cache = GruEngineCache {
            input,
            h_prev: h_prev.clone(),
            act: a,
        };
        (h, cache)
    }

    fn step_backward(
        &self,
        cache: &GruEngineCache,
        d_h: &Mat,
    ) -> (Gru, Mat, Mat) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let bsz = cache.act.ncols();
        let f_name = "Gru::step_backward";
        expect_shape(f_name, "d_h", d_h, Dim::Is(n), Dim::Is(bsz));
        let (act, hp) = (&cache.act, &cache.h_prev);
        // d_a = [d_ar; d_az; d_ah]: pre-activation gradients; first z and
        // h̃ from h = z ⊙ h̃ + (1 − z) ⊙ h_{t−1}
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
        // then r, through W_hh (r ⊙ h_{t−1})
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
        let (d_ar, d_az) = (d_a.rows(0, n), d_a.rows(n, n));
        d_h_prev.gemm_tr(1.0, &self.w_hr, &d_ar, 1.0);
        d_h_prev.gemm_tr(1.0, &self.w_hz, &d_az, 1.0);
        let rh = act.rows(0, n).component_mul(hp);
        let mut grads = Gru {
            w_xr: Mat::zeros(n, d),
            w_hr: d_ar * hp.transpose(),
            b_r: Mat::zeros(n, 1),
            w_xz: Mat::zeros(n, d),
            w_hz: d_az * hp.transpose(),
            b_z: Mat::zeros(n, 1),
            w_xh: Mat::zeros(n, d),
            w_hh: &d_ah * rh.transpose(),
            b_h: Mat::zeros(n, 1),
        };
        // ∇W_x• = ∇a_• xᵀ (a column per one-hot input), ∇b_• = Σ_j ∇a_•,
        // ∇x = Σ_• W_x•ᵀ ∇a_•
        let mut d_x = Mat::zeros(d, bsz);
        let g = &mut grads;
        let grad_blocks = [
            (&mut g.w_xr, &mut g.b_r),
            (&mut g.w_xz, &mut g.b_z),
            (&mut g.w_xh, &mut g.b_h),
        ];
        let blocks = self.input_blocks().into_iter().zip(grad_blocks);
        for (k, ((w_x, _), (dw_x, db))) in blocks.enumerate() {
            let d_ak = d_a.rows(k * n, n);
            cache.input.weight_grad(dw_x.as_view_mut(), d_ak);
            *db = sum_columns(&d_ak.into_owned());
            d_x.gemm_tr(1.0, w_x, &d_ak, 1.0);
        }
        (grads, d_h_prev, d_x)
    }
}
