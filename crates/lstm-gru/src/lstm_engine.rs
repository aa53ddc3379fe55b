//! The LSTM's engine: [`crate::Lstm`] (the same `w`, `b`, gate order i, f,
//! o, g) implementing [`vanilla_rnn_bptt::RecurrentCell`], so that the
//! generic BPTT, truncated BPTT, training loop and sampling run it. Not an
//! exercise: it is what the examples and later crates use, and it is tested
//! equal to the reference (`Lstm::step_forward_reference`, …).
//!
//! What makes it faster than the reference: no `[h; x]` is stacked, one-hot
//! inputs select a column of `W_x` ([`EngineInput`], shared with the GRU's
//! engine), the gates run in single loops over contiguous columns.
//!
//! Book: `lstm-gru/engine.md#engine-cells`.

use crate::lstm::{Lstm, LstmState, LstmStateGrads};
use datasets::one_hot_ids;
use foundations::Mat;
use foundations::ops::sum_columns;
use foundations::shape::{Dim, expect_shape};
use vanilla_rnn_bptt::RecurrentCell;

/// An engine cell's input `x_t` (`D x B`) as its step backward needs it:
/// the id of the 1 in each column when `x_t` is one-hot (which costs a
/// column lookup instead of a product), else `x_t` itself.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineInput {
    /// The ids of a one-hot `x_t`, one per column.
    OneHot(Vec<usize>),
    /// Any other `x_t`.
    Dense(Mat),
}

impl EngineInput {
    /// `x` as an engine keeps it.
    pub fn new(x: &Mat) -> Self {
        match one_hot_ids(x) {
            Some(ids) => EngineInput::OneHot(ids),
            None => EngineInput::Dense(x.clone()),
        }
    }

    /// `a += W_x x`: for a one-hot `x`, column `x[j]` of `W_x` added to
    /// column `j` of `a`.
    pub fn add_product(&self, mut a: MatViewMut, w_x: MatView) {
        match self {
            EngineInput::OneHot(ids) => {
                for (j, &id) in ids.iter().enumerate() {
                    a.column_mut(j).axpy(1.0, &w_x.column(id), 1.0);
                }
            }
            EngineInput::Dense(x) => a.gemm(1.0, &w_x, x, 1.0),
        }
    }

    /// `∇W_x = ∇a xᵀ` into `dw_x` (zero on entry): for a one-hot `x`,
    /// column `j` of `∇a` added to column `x[j]`.
    pub fn weight_grad(&self, mut dw_x: MatViewMut, d_a: MatView) {
        match self {
            EngineInput::OneHot(ids) => {
                for (j, &id) in ids.iter().enumerate() {
                    dw_x.column_mut(id).axpy(1.0, &d_a.column(j), 1.0);
                }
            }
            EngineInput::Dense(x) => dw_x.gemm(1.0, &d_a, &x.transpose(), 0.0),
        }
    }
}

/// A view of a block of a [`Mat`].
type MatView<'a> = nalgebra::DMatrixView<'a, f64>;
/// A mutable view of a block of a [`Mat`].
type MatViewMut<'a> = nalgebra::DMatrixViewMut<'a, f64>;

/// What the engine's step backward needs.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmEngineCache {
    /// `h_{t−1}`, `n x B`.
    pub h_prev: Mat,
    /// `x_t`.
    pub input: EngineInput,
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
        let input = EngineInput::new(x);
        input.add_product(a.as_view_mut(), self.w.columns(n, d));
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
            input,
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
            b: sum_columns(&d_a),
        };
        let h_prev_t = cache.h_prev.transpose();
        grads.w.columns_mut(0, n).gemm(1.0, &d_a, &h_prev_t, 0.0);
        let dw_x = grads.w.columns_mut(n, d);
        cache.input.weight_grad(dw_x, d_a.as_view());
        let mut d_x = Mat::zeros(d, bsz);
        d_x.gemm_tr(1.0, &self.w.columns(n, d), &d_a, 0.0);
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
