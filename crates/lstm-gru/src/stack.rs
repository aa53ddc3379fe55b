//! Stacked recurrent cells, any depth, any cell, as on the multilayer slide:
//! layer `ℓ` reads the hidden state of layer `ℓ − 1` at the same step,
//! `h_t^(ℓ) = f_{W^(ℓ)}(h_{t−1}^(ℓ), h_t^(ℓ−1))`, with `h_t^(0) = x_t`. For
//! an LSTM of hidden size `n` above another, `W^(ℓ)` is `4n x 2n`.
//!
//! A stack is itself a [`RecurrentCell`] (its state is one state per
//! layer), so BPTT, the training loop and sampling run it unchanged. It has
//! one form: its step forward is given, its step backward (the trait's
//! `step_backward`) is the exercise `stacked-backward`; no later crate runs
//! a stack.
//! Book: `lstm-gru/stacks.md#stacking-cells`.

use foundations::params::{visit_child, visit_child_mut};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Mat, Params};
use vanilla_rnn_bptt::RecurrentCell;

/// `L` cells, bottom (`cells[0]`, reads `x`) to top (what the output layer
/// reads). Parameters are named `cells.0.w`, `cells.1.w`, …
#[derive(Debug, Clone, PartialEq)]
pub struct Stack<C> {
    /// The layers, bottom first.
    pub cells: Vec<C>,
}

impl<C: Params> Params for Stack<C> {
    fn visit(&self, f: &mut dyn FnMut(&str, &Mat)) {
        visit_child("cells", &self.cells, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Mat)) {
        visit_child_mut("cells", &mut self.cells, f);
    }
    fn layouts(&self, f: &mut dyn FnMut(&str, foundations::Layout)) {
        foundations::layout::layouts_child("cells", &self.cells, f);
    }
}

/// What the stack's step backward needs: each layer's cache, bottom first.
#[derive(Debug, Clone)]
pub struct StackCache<C: RecurrentCell> {
    /// One cell cache per layer.
    pub layers: Vec<C::Cache>,
}

impl<C: RecurrentCell> Stack<C> {
    /// A stack of `cells`, bottom first.
    ///
    /// # Errors
    /// [`Error::Config`] when there is no cell, or when a layer does not
    /// read what the layer below it writes (its input size differs from the
    /// hidden size below).
    pub fn new(cells: Vec<C>) -> Result<Self, Error> {
        if cells.is_empty() {
            return Err(Error::config(
                "Stack",
                "a stack needs at least 1 cell",
            ));
        }
        for l in 1..cells.len() {
            let (below, input) =
                (cells[l - 1].hidden_size(), cells[l].input_size());
            if below != input {
                return Err(Error::config(
                    "Stack",
                    format!(
                        "layer {l} reads inputs of size {input}, but layer \
                         {} below it has hidden size {below}",
                        l - 1
                    ),
                ));
            }
        }
        Ok(Stack { cells })
    }

    /// The number of layers `L`.
    pub fn depth(&self) -> usize {
        self.cells.len()
    }
}

impl<C: RecurrentCell> RecurrentCell for Stack<C> {
    type State = Vec<C::State>;
    type StateGrad = Vec<C::StateGrad>;
    type Cache = StackCache<C>;

    fn input_size(&self) -> usize {
        self.cells[0].input_size()
    }

    fn hidden_size(&self) -> usize {
        self.cells[self.depth() - 1].hidden_size()
    }

    fn zero_state(&self, batch: usize) -> Vec<C::State> {
        self.cells.iter().map(|c| c.zero_state(batch)).collect()
    }

    fn zero_state_grad(&self, batch: usize) -> Vec<C::StateGrad> {
        self.cells
            .iter()
            .map(|c| c.zero_state_grad(batch))
            .collect()
    }

    fn hidden(state: &Vec<C::State>) -> &Mat {
        C::hidden(state.last().expect("a stack has at least one layer"))
    }

    fn hidden_grad_mut(grad: &mut Vec<C::StateGrad>) -> &mut Mat {
        C::hidden_grad_mut(
            grad.last_mut().expect("a stack has at least one layer"),
        )
    }

    /// One step of the stack, bottom to top: each layer's new state from its
    /// previous one and the hidden state just computed below it.
    ///
    /// # Panics
    /// When `prev` does not hold one state per layer, or a shape is wrong.
    fn step_forward(
        &self,
        prev: &Vec<C::State>,
        x: &Mat,
    ) -> (Vec<C::State>, StackCache<C>) {
        assert_eq!(
            prev.len(),
            self.depth(),
            "Stack::step_forward: {} states, expected one per layer (L = {})",
            prev.len(),
            self.depth()
        );
        let func = "Stack::step_forward";
        expect_shape(
            func,
            "x",
            x,
            Dim::Is(self.cells[0].input_size()),
            Dim::Any("B"),
        );
        // Which layer's state is wrong: the cell's own message cannot say.
        for (l, (cell, state)) in self.cells.iter().zip(prev).enumerate() {
            let (h, n) = (C::hidden(state), cell.hidden_size());
            if h.shape() != (n, x.ncols()) {
                let name = format!("layer {l}'s h_prev");
                expect_shape(func, &name, h, Dim::Is(n), Dim::Is(x.ncols()));
            }
        }
        // ANCHOR: stack_forward
        let mut states = Vec::with_capacity(self.depth());
        let mut layers = Vec::with_capacity(self.depth());
        for (l, cell) in self.cells.iter().enumerate() {
            let input = if l == 0 { x } else { C::hidden(&states[l - 1]) };
            let (state, cache) = cell.step_forward(&prev[l], input);
            states.push(state);
            layers.push(cache);
        }
        // ANCHOR_END: stack_forward
        (states, StackCache { layers })
    }

    /// One step of the stack backward, top to bottom. `d_state[ℓ]` is
    /// everything that flows into layer `ℓ`'s new state from outside the
    /// step (from the next step, and for the top layer from the output
    /// layer). Layer `ℓ`'s `∂L/∂x` is added into the `∂L/∂h` of the layer
    /// below. Returns the gradients of every layer's parameters, of every
    /// layer's previous state, and of `x`. The exercise `stacked-backward`.
    ///
    /// Book: `lstm-gru/stacks.md#backward`.
    ///
    /// # Panics
    /// When `d_state` does not hold one gradient per layer.
    fn step_backward(
        &self,
        cache: &StackCache<C>,
        d_state: &Vec<C::StateGrad>,
    ) -> (Stack<C>, Vec<C::StateGrad>, Mat) {
        assert_eq!(
            d_state.len(),
            self.depth(),
            "Stack::step_backward: {} state gradients, expected one per \
             layer (L = {})",
            d_state.len(),
            self.depth()
        );
        // BEGIN SOLUTION stacked-backward
        // ANCHOR: stack_backward
        let depth = self.depth();
        let mut grads = Vec::with_capacity(depth);
        let mut d_prevs = Vec::with_capacity(depth);
        let mut d_input: Option<Mat> = None; // ∂L/∂h_t^(ℓ) from layer ℓ + 1
        for l in (0..depth).rev() {
            let mut d = d_state[l].clone();
            if let Some(d_above) = d_input.take() {
                *C::hidden_grad_mut(&mut d) += d_above;
            }
            let (g, d_prev, d_x) =
                self.cells[l].step_backward(&cache.layers[l], &d);
            grads.push(g);
            d_prevs.push(d_prev);
            d_input = Some(d_x);
        }
        grads.reverse();
        d_prevs.reverse();
        let d_x = d_input.expect("a stack has at least one layer");
        (Stack { cells: grads }, d_prevs, d_x)
        // ANCHOR_END: stack_backward
        // END SOLUTION
    }
}
