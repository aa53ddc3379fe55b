//! The LSTM's engine: [`crate::Lstm`] (the same `w`, `b`, gate order i, f,
//! o, g) implementing [`vanilla_rnn_bptt::RecurrentCell`], so that the
//! generic BPTT, truncated BPTT, training loop and sampling run it. Not an
//! exercise: it is what the examples and later crates use, and it is tested
//! equal to the reference (`Lstm::step_forward_reference`, …).
//!
//! What makes it faster than the reference: no `[h; x]` is stacked (the two
//! column blocks of `W` multiply `h` and `x` in place, one fused product for
//! all four gates), one-hot inputs select a column of `W_x` instead of
//! multiplying by it, and the nonlinearities, the state update and the
//! whole gate backward run in single loops over contiguous columns.
//!
//! Book: *LSTM and GRU → Engine cells and speed*.

use crate::lstm::{Lstm, LstmState, LstmStateGrads};
use datasets::one_hot_ids;
use foundations::Mat;
use foundations::shape::{Dim, expect_shape};
use vanilla_rnn_bptt::RecurrentCell;

/// What the engine's step backward needs.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmEngineCache {
    /// `h_{t−1}`, `n x B`.
    pub h_prev: Mat,
    /// `x_t`, `D x B`.
    pub x: Mat,
    /// The id of the 1 in each column when `x` is one-hot.
    pub one_hot: Option<Vec<usize>>,
    /// `c_{t−1}`, `n x B`.
    pub c_prev: Mat,
    /// The activated gates `[i; f; o; g]`, `4n x B`.
    pub gates: Mat,
    /// `tanh(c_t)`, `n x B`.
    pub tanh_c: Mat,
}

fn sigmoid(x: f64) -> f64 {
    foundations::activations::sigmoid_scalar(x)
}

impl RecurrentCell for Lstm {
    type State = LstmState;
    type StateGrad = LstmStateGrads;
    type Cache = LstmEngineCache;

    fn input_size(&self) -> usize {
        self.w.ncols() - self.hidden_size()
    }

    fn hidden_size(&self) -> usize {
        self.w.nrows() / 4
    }

    fn zero_state(&self, batch: usize) -> LstmState {
        LstmState::zeros(self.hidden_size(), batch)
    }

    fn zero_state_grad(&self, batch: usize) -> LstmStateGrads {
        LstmStateGrads::zeros(self.hidden_size(), batch)
    }

    fn hidden(state: &LstmState) -> &Mat {
        &state.h
    }

    fn hidden_grad_mut(grad: &mut LstmStateGrads) -> &mut Mat {
        &mut grad.d_h
    }

    fn step_forward(
        &self,
        prev: &LstmState,
        x: &Mat,
    ) -> (LstmState, LstmEngineCache) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let f_name = "Lstm::step_forward";
        expect_shape(f_name, "x", x, Dim::Is(d), Dim::Any("B"));
        let bsz = x.ncols();
        expect_shape(f_name, "h_prev", &prev.h, Dim::Is(n), Dim::Is(bsz));
        expect_shape(f_name, "c_prev", &prev.c, Dim::Is(n), Dim::Is(bsz));
        // ANCHOR: engine_forward
        // a = W_h h_{t−1} + W_x x_t + b: one product for all four gates
        let mut a = Mat::from_fn(4 * n, bsz, |r, _| self.b[(r, 0)]);
        a.gemm(1.0, &self.w.columns(0, n), &prev.h, 1.0);
        let one_hot = one_hot_ids(x);
        match &one_hot {
            Some(ids) => {
                for (j, &id) in ids.iter().enumerate() {
                    a.column_mut(j).axpy(1.0, &self.w.column(n + id), 1.0);
                }
            }
            None => a.gemm(1.0, &self.w.columns(n, d), x, 1.0),
        }
        let mut c = Mat::zeros(n, bsz);
        let mut tanh_c = Mat::zeros(n, bsz);
        let mut h = Mat::zeros(n, bsz);
        for j in 0..bsz {
            let g = &mut a.as_mut_slice()[j * 4 * n..(j + 1) * 4 * n];
            for v in &mut g[..3 * n] {
                *v = sigmoid(*v);
            }
            for v in &mut g[3 * n..] {
                *v = v.tanh();
            }
            for k in 0..n {
                let (i, f, o, gg) =
                    (g[k], g[n + k], g[2 * n + k], g[3 * n + k]);
                let ck = f * prev.c[(k, j)] + i * gg;
                let tk = ck.tanh();
                c[(k, j)] = ck;
                tanh_c[(k, j)] = tk;
                h[(k, j)] = o * tk;
            }
        }
        // ANCHOR_END: engine_forward
        let cache = LstmEngineCache {
            h_prev: prev.h.clone(),
            x: if one_hot.is_some() {
                Mat::zeros(0, bsz)
            } else {
                x.clone()
            },
            one_hot,
            c_prev: prev.c.clone(),
            gates: a,
            tanh_c,
        };
        (LstmState { h, c }, cache)
    }

    fn step_backward(
        &self,
        cache: &LstmEngineCache,
        d_state: &LstmStateGrads,
    ) -> (Lstm, LstmStateGrads, Mat) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let bsz = cache.gates.ncols();
        let f_name = "Lstm::step_backward";
        expect_shape(f_name, "d_h", &d_state.d_h, Dim::Is(n), Dim::Is(bsz));
        expect_shape(f_name, "d_c", &d_state.d_c, Dim::Is(n), Dim::Is(bsz));
        // ANCHOR: engine_backward
        let mut d_a = Mat::zeros(4 * n, bsz);
        let mut d_c_prev = Mat::zeros(n, bsz);
        for j in 0..bsz {
            let g = &cache.gates.as_slice()[j * 4 * n..(j + 1) * 4 * n];
            let da = &mut d_a.as_mut_slice()[j * 4 * n..(j + 1) * 4 * n];
            for k in 0..n {
                let (i, f, o, gg) =
                    (g[k], g[n + k], g[2 * n + k], g[3 * n + k]);
                let t = cache.tanh_c[(k, j)];
                let dh = d_state.d_h[(k, j)];
                let dc = d_state.d_c[(k, j)] + dh * o * (1.0 - t * t);
                da[k] = dc * gg * i * (1.0 - i);
                da[n + k] = dc * cache.c_prev[(k, j)] * f * (1.0 - f);
                da[2 * n + k] = dh * t * o * (1.0 - o);
                da[3 * n + k] = dc * i * (1.0 - gg * gg);
                d_c_prev[(k, j)] = dc * f;
            }
        }
        let mut grads = Lstm {
            w: Mat::zeros(4 * n, n + d),
            b: Mat::zeros(4 * n, 1),
        };
        grads.w.columns_mut(0, n).gemm(
            1.0,
            &d_a,
            &cache.h_prev.transpose(),
            0.0,
        );
        let mut d_x = Mat::zeros(d, bsz);
        let w_x = self.w.columns(n, d);
        match &cache.one_hot {
            Some(ids) => {
                for (j, &id) in ids.iter().enumerate() {
                    grads.w.column_mut(n + id).axpy(1.0, &d_a.column(j), 1.0);
                }
            }
            None => grads.w.columns_mut(n, d).gemm(
                1.0,
                &d_a,
                &cache.x.transpose(),
                0.0,
            ),
        }
        d_x.gemm_tr(1.0, &w_x, &d_a, 0.0);
        for j in 0..bsz {
            grads.b.column_mut(0).axpy(1.0, &d_a.column(j), 1.0);
        }
        let mut d_h_prev = Mat::zeros(n, bsz);
        d_h_prev.gemm_tr(1.0, &self.w.columns(0, n), &d_a, 0.0);
        // ANCHOR_END: engine_backward
        let d_prev = LstmStateGrads {
            d_h: d_h_prev,
            d_c: d_c_prev,
        };
        (grads, d_prev, d_x)
    }
}
