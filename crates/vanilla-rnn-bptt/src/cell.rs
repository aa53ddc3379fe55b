//! The recurrent-cell trait: one step `h^(t) = f_W(h^(t−1), x^(t))` of any
//! recurrent network, with the same weights at every step.
//!
//! Everything that runs a cell over a sequence — the sequence forward and
//! BPTT ([`crate::bptt`]), truncated BPTT, the training loop
//! ([`crate::train`]) and sampling ([`crate::sample`]) — is generic over
//! this trait, so a new cell (the LSTM and GRU of the next chapter) only
//! implements one step forward and one step backward.
//!
//! Book: `vanilla-rnn-bptt/cell-trait.md#the-trait`.

use foundations::{Error, Params};
use nalgebra::DMatrix;
use std::fmt::Debug;

/// One step of a recurrent network on a batch of columns.
///
/// The implementing type *is* the cell's parameters (`RnnCell { w, u, b }`,
/// `Lstm { … }`), and a second value of the same type holds their gradients,
/// so optimizers, clipping and gradient checks reach every parameter
/// through [`Params`].
///
/// * `State` is what flows from one step to the next: `h` for the vanilla
///   RNN, `(h, c)` for an LSTM. Each matrix is `n x B` (hidden size by
///   batch).
/// * `StateGrad` is everything that flows *back* into a state: `∇h` for the
///   vanilla RNN, `(∇h, ∇c)` for an LSTM.
/// * `Cache` holds exactly what `step_backward` needs.
///
/// The output layer ([`crate::Output`], `o = V h + c`) reads the `h` part
/// of the state through [`RecurrentCell::hidden`], and BPTT adds its
/// gradient into the `h` part of the state gradient through
/// [`RecurrentCell::hidden_grad_mut`].
///
/// # Example
///
/// A cell that keeps a running sum, `h^(t) = h^(t−1) + a x^(t)` (one
/// parameter `a`, a `1 x 1` matrix), run over a sequence by the generic
/// [`crate::sequence_forward`] and differentiated by
/// [`crate::sequence_backward`]:
///
/// ```
/// use foundations::{impl_params, DMatrix, ParamsExt};
/// use vanilla_rnn_bptt::{
///     RecurrentCell, RecurrentModel, Output, sequence_forward,
///     sequence_backward,
/// };
///
/// #[derive(Debug, Clone)]
/// struct Sum { a: DMatrix<f64> }
/// impl_params!(Sum { a });
///
/// impl RecurrentCell for Sum {
///     type State = DMatrix<f64>;
///     type StateGrad = DMatrix<f64>;
///     type Cache = DMatrix<f64>; // x, for ∂h/∂a = x
///
///     fn input_size(&self) -> usize { 1 }
///     fn hidden_size(&self) -> usize { 1 }
///     fn zero_state(&self, batch: usize) -> DMatrix<f64> {
///         DMatrix::zeros(1, batch)
///     }
///     fn zero_state_grad(&self, batch: usize) -> DMatrix<f64> {
///         DMatrix::zeros(1, batch)
///     }
///     fn hidden(state: &DMatrix<f64>) -> &DMatrix<f64> { state }
///     fn hidden_grad_mut(g: &mut DMatrix<f64>) -> &mut DMatrix<f64> { g }
///     fn step_forward(&self, h: &DMatrix<f64>, x: &DMatrix<f64>)
///         -> (DMatrix<f64>, DMatrix<f64>) {
///         (h + x * self.a[(0, 0)], x.clone())
///     }
///     fn step_backward(&self, x: &DMatrix<f64>, d_h: &DMatrix<f64>)
///         -> (Sum, DMatrix<f64>, DMatrix<f64>) {
///         // h^(t) = h^(t−1) + a x^(t)
///         let d_a = d_h.component_mul(x).sum();
///         let grads = Sum { a: DMatrix::from_element(1, 1, d_a) };
///         (grads, d_h.clone(), d_h * self.a[(0, 0)])
///     }
/// }
///
/// let cell = Sum { a: DMatrix::from_element(1, 1, 2.0) };
/// let out = Output {
///     v: DMatrix::from_element(1, 1, 1.0),
///     c: DMatrix::zeros(1, 1),
/// };
/// let model = RecurrentModel::new(cell, out).unwrap();
/// let xs = vec![DMatrix::from_element(1, 1, 1.0); 3];
/// let (o, cache) = sequence_forward(&model, &DMatrix::zeros(1, 1), &xs);
/// assert_eq!(o[2][(0, 0)], 6.0); // 2 + 2 + 2
/// // L = o^(3): only the last output carries a gradient.
/// let d_o = vec![None, None, Some(DMatrix::from_element(1, 1, 1.0))];
/// let (grads, d_h0, _dxs) = sequence_backward(&model, &cache, &d_o, None);
/// assert_eq!(grads.cell.a[(0, 0)], 3.0); // ∂(3a)/∂a
/// assert_eq!(d_h0[(0, 0)], 1.0);
/// assert_eq!(grads.num_params(), 3);
/// ```
// ANCHOR: recurrent_cell
pub trait RecurrentCell: Params + Clone + Debug {
    /// What flows from one step to the next (`h`, or `(h, c)`).
    type State: Params + Clone + Debug;
    /// The gradient flowing back into a state (`∇h`, or `(∇h, ∇c)`).
    type StateGrad: Params + Clone + Debug;
    /// What one step's backward needs from its forward.
    type Cache: Clone + Debug;

    /// The rows of an input column `x^(t)` (`V` for one-hot characters).
    fn input_size(&self) -> usize;

    /// `n`, the rows of `h`.
    fn hidden_size(&self) -> usize;

    /// The all-zero state for a batch of `batch` columns (`h^(0) = 0`).
    fn zero_state(&self, batch: usize) -> Self::State;

    /// The all-zero state gradient for a batch of `batch` columns.
    fn zero_state_grad(&self, batch: usize) -> Self::StateGrad;

    /// The `h` part of a state: what the output layer reads (`n x B`).
    fn hidden(state: &Self::State) -> &DMatrix<f64>;

    /// The `∇h` part of a state gradient, where the output layer's
    /// gradient is added.
    fn hidden_grad_mut(grad: &mut Self::StateGrad) -> &mut DMatrix<f64>;

    /// One step forward: the new state from the previous one and the
    /// input columns `x` (`input_size x B`).
    ///
    /// # Panics
    /// When `x` or the state has the wrong shape (naming the function, the
    /// expected and the actual shapes).
    fn step_forward(
        &self,
        prev: &Self::State,
        x: &DMatrix<f64>,
    ) -> (Self::State, Self::Cache);

    /// One step backward. `d_state` is everything that flows into the new
    /// state (from the output layer at this step *and* from the next step).
    /// Returns `(parameter gradients, gradient to the previous state, dx)`.
    fn step_backward(
        &self,
        cache: &Self::Cache,
        d_state: &Self::StateGrad,
    ) -> (Self, Self::StateGrad, DMatrix<f64>);
}
// ANCHOR_END: recurrent_cell

/// Checks the sizes a cell is built with.
///
/// # Errors
/// [`Error::Config`] naming `cell` when the input size `D` or the hidden
/// size `n` is zero.
pub fn check_sizes(
    cell: &str,
    input_size: usize,
    hidden_size: usize,
) -> Result<(), Error> {
    if input_size == 0 || hidden_size == 0 {
        return Err(Error::config(
            cell,
            format!(
                "hidden size n = {hidden_size} and input size D = \
                 {input_size} must both be at least 1"
            ),
        ));
    }
    Ok(())
}
