//! The LSTM cell (Hochreiter & Schmidhuber 1997): its parameters, its state,
//! and the reference form — one step forward and backward, and a sequence
//! forward and backward through time, through both `h` and `c`, written to
//! read like the slide. The engine form of the same cell (the
//! [`RecurrentCell`] implementation that later crates run) is in
//! [`crate::lstm_engine`].
//!
//! `(i, f, o, g) = (σ, σ, σ, tanh)(W [h_{t−1}; x_t] + b)`,
//! `c_t = f ⊙ c_{t−1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`.
//!
//! `W` is `4n x (n + D)`: its first `n` columns act on `h_{t−1}`, the last
//! `D` on `x_t` (the slide's order `[h_{t−1}; x_t]`); its row blocks are the
//! gates in the slide's order i, f, o, g (PyTorch orders them i, f, g, o).
//! Book: `lstm-gru/lstm.md#the-lstm-cell`.

use foundations::activations::{sigmoid, tanh};
use foundations::ops::{add_bias, stack_rows, sum_columns};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Mat, ParamsExt, Rng, impl_params};
use vanilla_rnn_bptt::{RecurrentCell, check_sizes};

/// The LSTM's parameters: `w` (`4n x (n + D)`) and `b` (`4n x 1`).
/// Gradients are a second `Lstm` value. The slide form is
/// [`Lstm::step_forward_reference`] and its kin; the engine is
/// `<Lstm as RecurrentCell>::step_forward` (tested equal).
#[derive(Debug, Clone, PartialEq)]
pub struct Lstm {
    /// `W = [W_h W_x]`, gate blocks i, f, o, g from top to bottom.
    pub w: Mat,
    /// One bias per gate row, `4n x 1`.
    pub b: Mat,
}
impl_params!(Lstm { w, b } layouts = Lstm::gate_layouts);

impl Lstm {
    // ANCHOR: gate_layouts
    /// The lecture's names of `W`'s and `b`'s entries, for gradient
    /// reports: rows by gate (i, f, o, g) and unit, columns by `h_prev`
    /// and `x` (row 9 of a cell with `n = 3` is gate g, unit 0).
    fn gate_layouts(&self, f: &mut dyn FnMut(&str, foundations::Layout)) {
        use foundations::{Axis, Layout};
        let n = self.w.nrows() / 4;
        let gates = Axis::blocks("gate", &["i", "f", "o", "g"], "unit");
        let cols = Axis::parts(&[
            ("h_prev", n),
            ("x", self.w.ncols().saturating_sub(n)),
        ]);
        f("w", Layout::new(gates.clone(), cols));
        f("b", Layout::rows(gates));
    }
    // ANCHOR_END: gate_layouts
}

/// The state an LSTM carries from step to step: `h` and `c`, each `n x B`.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmState {
    /// The hidden state `h_t`, what the cell shows the layers above.
    pub h: Mat,
    /// The cell state `c_t`, the memory.
    pub c: Mat,
}
impl_params!(LstmState { h, c });

impl LstmState {
    /// `h = c = 0`, `n x B`.
    pub fn zeros(n: usize, batch: usize) -> Self {
        LstmState {
            h: Mat::zeros(n, batch),
            c: Mat::zeros(n, batch),
        }
    }
}

/// The gradient of the loss with respect to both parts of a state.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmStateGrads {
    /// `∂L/∂h`, `n x B`.
    pub d_h: Mat,
    /// `∂L/∂c`, `n x B`.
    pub d_c: Mat,
}
impl_params!(LstmStateGrads { d_h, d_c });

impl LstmStateGrads {
    /// Both gradients zero, `n x B`.
    pub fn zeros(n: usize, batch: usize) -> Self {
        LstmStateGrads {
            d_h: Mat::zeros(n, batch),
            d_c: Mat::zeros(n, batch),
        }
    }
}

/// What [`Lstm::step_backward_reference`] needs from one step forward.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmStepCache {
    /// `[h_{t−1}; x_t]`, `(n + D) x B`.
    pub hx: Mat,
    /// `c_{t−1}`, `n x B`.
    pub c_prev: Mat,
    /// Input gate `i`, `n x B`.
    pub i: Mat,
    /// Forget gate `f`.
    pub f: Mat,
    /// Output gate `o`.
    pub o: Mat,
    /// New content `g`.
    pub g: Mat,
    /// `tanh(c_t)`.
    pub tanh_c: Mat,
}

/// What [`Lstm::backward_reference`] needs: the cache of every step, in
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmCache {
    /// One [`LstmStepCache`] per time step.
    pub steps: Vec<LstmStepCache>,
}

impl Lstm {
    /// A new cell with input size `D = input_size` and hidden size
    /// `n = hidden_size`: weights uniform in
    /// `±1/√n` (as PyTorch does), biases zero except the forget gate's, which
    /// start at 1 so that the cell remembers by default (Jozefowicz et al.
    /// 2015, §2.2).
    ///
    /// # Errors
    /// [`Error::Config`] when `n` or `d` is zero.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        check_sizes("Lstm", input_size, hidden_size)?;
        let (n, d) = (hidden_size, input_size);
        let scale = 1.0 / (n as f64).sqrt();
        let w = foundations::init::uniform(4 * n, n + d, scale, rng);
        let mut b = Mat::zeros(4 * n, 1);
        b.rows_mut(n, n).fill(1.0);
        Ok(Lstm { w, b })
    }

    /// One step: `(i, f, o, g) = (σ, σ, σ, tanh)(W [h_{t−1}; x_t] + b)`,
    /// `c_t = f ⊙ c_{t−1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`.
    /// `prev.h` and `prev.c` are `n x B`; `x` is `D x B`.
    ///
    /// Book: `lstm-gru/lstm.md#the-lstm-cell`.
    ///
    /// # Panics
    /// When a shape does not fit: `Lstm::step_forward_reference: x is 5x1,
    /// expected 4 x B`.
    pub fn step_forward_reference(
        &self,
        prev: &LstmState,
        x: &Mat,
    ) -> (LstmState, LstmStepCache) {
        let (n, d) = (self.hidden_size(), self.input_size());
        let f_name = "Lstm::step_forward_reference";
        expect_shape(f_name, "x", x, Dim::Is(d), Dim::Any("B"));
        let b = Dim::Is(x.ncols());
        expect_shape(f_name, "h_prev", &prev.h, Dim::Is(n), b);
        expect_shape(f_name, "c_prev", &prev.c, Dim::Is(n), b);
        // BEGIN SOLUTION lstm-step-forward
        // ANCHOR: lstm_gates
        let hx = stack_rows(&prev.h, x);
        let a = add_bias(&self.w * &hx, &self.b);
        let i = sigmoid(&a.rows(0, n).into_owned());
        let f = sigmoid(&a.rows(n, n).into_owned());
        let o = sigmoid(&a.rows(2 * n, n).into_owned());
        let g = tanh(&a.rows(3 * n, n).into_owned());
        // ANCHOR_END: lstm_gates
        // ANCHOR: lstm_state
        let c = f.component_mul(&prev.c) + i.component_mul(&g);
        let tanh_c = tanh(&c);
        let h = o.component_mul(&tanh_c);
        // ANCHOR_END: lstm_state
        let cache = LstmStepCache {
            hx,
            c_prev: prev.c.clone(),
            i,
            f,
            o,
            g,
            tanh_c,
        };
        (LstmState { h, c }, cache)
        // END SOLUTION
    }

    /// One step back: from `d_next = (∂L/∂h_t, ∂L/∂c_t)` to the gradients of
    /// `W` and `b`, of the previous state `(∂L/∂h_{t−1}, ∂L/∂c_{t−1})`, and
    /// of `x_t`.
    ///
    /// Book: `lstm-gru/lstm.md#backward-through-one-step`.
    ///
    /// # Panics
    /// When `d_next.d_h` or `d_next.d_c` is not `n x B`.
    pub fn step_backward_reference(
        &self,
        cache: &LstmStepCache,
        d_next: &LstmStateGrads,
    ) -> (Lstm, LstmStateGrads, Mat) {
        let n = self.hidden_size();
        let f_name = "Lstm::step_backward_reference";
        let b = Dim::Is(cache.i.ncols());
        expect_shape(f_name, "d_h", &d_next.d_h, Dim::Is(n), b);
        expect_shape(f_name, "d_c", &d_next.d_c, Dim::Is(n), b);
        // BEGIN SOLUTION lstm-step-backward
        let LstmStepCache {
            hx,
            c_prev,
            i,
            f,
            o,
            g,
            tanh_c,
        } = cache;
        // ANCHOR: lstm_back_h
        // forward: h = o ⊙ tanh(c)
        let d_o = d_next.d_h.component_mul(tanh_c);
        let d_tanh_c = d_next.d_h.component_mul(o);
        let d_c =
            &d_next.d_c + d_tanh_c.component_mul(&tanh_c.map(|t| 1.0 - t * t));
        // ANCHOR_END: lstm_back_h
        // ANCHOR: lstm_back_c
        // forward: c = f ⊙ c_prev + i ⊙ g
        let d_f = d_c.component_mul(c_prev);
        let d_c_prev = d_c.component_mul(f);
        let d_i = d_c.component_mul(g);
        let d_g = d_c.component_mul(i);
        // ANCHOR_END: lstm_back_c
        // ANCHOR: lstm_back_gates
        // forward: (i, f, o, g) = (σ, σ, σ, tanh)(a), σ' = σ(1 − σ), tanh' = 1 − tanh²
        let mut d_a = Mat::zeros(4 * n, hx.ncols());
        d_a.rows_mut(0, n)
            .copy_from(&d_i.zip_map(i, |d, s| d * s * (1.0 - s)));
        d_a.rows_mut(n, n)
            .copy_from(&d_f.zip_map(f, |d, s| d * s * (1.0 - s)));
        d_a.rows_mut(2 * n, n)
            .copy_from(&d_o.zip_map(o, |d, s| d * s * (1.0 - s)));
        d_a.rows_mut(3 * n, n)
            .copy_from(&d_g.zip_map(g, |d, t| d * (1.0 - t * t)));
        // ANCHOR_END: lstm_back_gates
        // ANCHOR: lstm_back_w
        // forward: a = W [h_prev; x] + b
        let grads = Lstm {
            w: &d_a * hx.transpose(),
            b: sum_columns(&d_a),
        };
        let d_hx = self.w.transpose() * &d_a;
        let d_h_prev = d_hx.rows(0, n).into_owned();
        let d_x = d_hx.rows(n, hx.nrows() - n).into_owned();
        // ANCHOR_END: lstm_back_w
        let d_prev = LstmStateGrads {
            d_h: d_h_prev,
            d_c: d_c_prev,
        };
        (grads, d_prev, d_x)
        // END SOLUTION
    }

    /// A whole sequence forward, starting from `state0`: `xs[t]` is `x_t`
    /// (`D x B`). Returns every `h_t` (`n x B`), the final state and the
    /// cache. Its engine twin is `vanilla_rnn_bptt::sequence_forward`.
    ///
    /// # Panics
    /// When `xs` is empty or a shape does not fit (see
    /// [`Lstm::step_forward_reference`]).
    pub fn forward_reference(
        &self,
        state0: &LstmState,
        xs: &[Mat],
    ) -> (Vec<Mat>, LstmState, LstmCache) {
        assert!(
            !xs.is_empty(),
            "Lstm::forward_reference: xs is empty, expected T ≥ 1"
        );
        // ANCHOR: lstm_forward_seq
        let mut state = state0.clone();
        let mut hs = Vec::with_capacity(xs.len());
        let mut steps = Vec::with_capacity(xs.len());
        for x in xs {
            let (next, cache) = self.step_forward_reference(&state, x);
            hs.push(next.h.clone());
            steps.push(cache);
            state = next;
        }
        // ANCHOR_END: lstm_forward_seq
        (hs, state, LstmCache { steps })
    }

    /// A whole sequence backward through time, through both `h` and `c`.
    /// `d_hs[t]` is `∂L/∂h_t` from the layers above (`n x B`, zeros where no
    /// loss reads `h_t`); `d_last` is the gradient flowing into the final
    /// state from later (zeros when the sequence ends the loss). Returns the
    /// parameter gradients summed over time, the gradient of `state0`, and
    /// every `∂L/∂x_t`. Its engine twin is
    /// `vanilla_rnn_bptt::sequence_backward`.
    ///
    /// Book: `lstm-gru/lstm.md#through-time`.
    ///
    /// # Panics
    /// When `d_hs` does not have one entry per step, or a shape does not fit.
    pub fn backward_reference(
        &self,
        cache: &LstmCache,
        d_hs: &[Mat],
        d_last: &LstmStateGrads,
    ) -> (Lstm, LstmStateGrads, Vec<Mat>) {
        let f_name = "Lstm::backward_reference";
        assert_eq!(
            d_hs.len(),
            cache.steps.len(),
            "{f_name}: d_hs has {} steps, expected T = {}",
            d_hs.len(),
            cache.steps.len()
        );
        let n = self.hidden_size();
        let b = Dim::Is(cache.steps[0].i.ncols());
        for d_h in d_hs {
            expect_shape(f_name, "d_hs[t]", d_h, Dim::Is(n), b);
        }
        expect_shape(f_name, "d_last.d_h", &d_last.d_h, Dim::Is(n), b);
        expect_shape(f_name, "d_last.d_c", &d_last.d_c, Dim::Is(n), b);
        // BEGIN SOLUTION lstm-through-time
        // ANCHOR: lstm_backward_seq
        let mut grads = self.zeros_like();
        let mut d_xs = vec![Mat::zeros(0, 0); d_hs.len()];
        let mut d_state = d_last.clone();
        for t in (0..d_hs.len()).rev() {
            // h_t feeds both the loss (d_hs[t]) and the next step (d_state.d_h)
            d_state.d_h += &d_hs[t];
            let (g, d_prev, d_x) =
                self.step_backward_reference(&cache.steps[t], &d_state);
            grads.accumulate(&g);
            d_state = d_prev;
            d_xs[t] = d_x;
        }
        (grads, d_state, d_xs)
        // ANCHOR_END: lstm_backward_seq
        // END SOLUTION
    }
}
