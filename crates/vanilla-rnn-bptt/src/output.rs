//! The output layer `o^(t) = V h^(t) + c`, shared by every recurrent cell,
//! and the model that joins a cell to it.
//!
//! Book: `vanilla-rnn-bptt/cell-trait.md#the-output-layer`.

use crate::cell::RecurrentCell;
use foundations::ops::{add_bias, sum_columns};
use foundations::params::{visit_child, visit_child_mut};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Params, Rng, impl_params, init};
use nalgebra::DMatrix;

/// The output layer's parameters: `V` (`K x n`, `W_hy` in the other
/// lecture's names) and `c` (`K x 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// `V`, `K x n`: hidden to output.
    pub v: DMatrix<f64>,
    /// `c`, `K x 1`: the output bias.
    pub c: DMatrix<f64>,
}
impl_params!(Output { v, c });

/// What [`Output::backward`] needs: the `h^(t)` it read.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputCache {
    /// `h^(t)`, `n x B`.
    pub h: DMatrix<f64>,
}

impl Output {
    /// `K = outputs`, `n = hidden_size`; `V` normal with standard deviation
    /// 0.01 (min-char-rnn), `c = 0`.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        hidden_size: usize,
        outputs: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        if hidden_size == 0 || outputs == 0 {
            return Err(Error::config(
                "Output",
                format!(
                    "hidden size {hidden_size} and output size {outputs} \
                     must both be at least 1"
                ),
            ));
        }
        Ok(Output {
            v: init::normal(outputs, hidden_size, 0.01, rng),
            c: DMatrix::zeros(outputs, 1),
        })
    }

    /// `o = V h + c` on every column of `h` (`n x B` → `K x B`).
    ///
    /// # Panics
    /// When `h` does not have `n` rows.
    // ANCHOR: output_forward
    pub fn forward(&self, h: &DMatrix<f64>) -> (DMatrix<f64>, OutputCache) {
        let n = self.v.ncols();
        expect_shape("Output::forward", "h", h, Dim::Is(n), Dim::Any("B"));
        let o = add_bias(&self.v * h, &self.c);
        (o, OutputCache { h: h.clone() })
    }
    // ANCHOR_END: output_forward

    /// From `∇o`: `∇V = ∇o hᵀ`, `∇c = Σ_columns ∇o`, `∇h = Vᵀ ∇o`.
    ///
    /// # Panics
    /// When `d_o` is not `K x B`.
    // ANCHOR: output_backward
    pub fn backward(
        &self,
        cache: &OutputCache,
        d_o: &DMatrix<f64>,
    ) -> (Output, DMatrix<f64>) {
        let (k, b) = (self.v.nrows(), cache.h.ncols());
        expect_shape("Output::backward", "d_o", d_o, Dim::Is(k), Dim::Is(b));
        // o = V h + c
        let grads = Output {
            v: d_o * cache.h.transpose(),
            c: sum_columns(d_o),
        };
        (grads, self.v.tr_mul(d_o))
    }
    // ANCHOR_END: output_backward
}

/// A recurrent cell and its output layer: the whole network of the BPTT
/// slides when `C` is [`crate::RnnCell`]. Its parameters are named
/// `cell.*` and `out.v`, `out.c`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecurrentModel<C> {
    /// The recurrent cell.
    pub cell: C,
    /// The output layer reading `h` at every step.
    pub out: Output,
}

impl<C: RecurrentCell> RecurrentModel<C> {
    /// Joins `cell` and `out`.
    ///
    /// # Errors
    /// [`Error::Config`] when the output layer does not read `n` =
    /// `cell.hidden_size()` rows.
    pub fn new(cell: C, out: Output) -> Result<Self, Error> {
        if out.v.ncols() != cell.hidden_size() || out.c.nrows() != out.v.nrows()
        {
            return Err(Error::config(
                "RecurrentModel",
                format!(
                    "the output layer is V {}x{}, c {}x{}; the cell's hidden \
                     size is {}, so V must be K x {} and c K x 1",
                    out.v.nrows(),
                    out.v.ncols(),
                    out.c.nrows(),
                    out.c.ncols(),
                    cell.hidden_size(),
                    cell.hidden_size()
                ),
            ));
        }
        Ok(RecurrentModel { cell, out })
    }

    /// `K`, the number of output classes (`V` for a char model).
    pub fn outputs(&self) -> usize {
        self.out.v.nrows()
    }
}

impl<C: Params> Params for RecurrentModel<C> {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        visit_child("cell", &self.cell, f);
        visit_child("out", &self.out, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        visit_child_mut("cell", &mut self.cell, f);
        visit_child_mut("out", &mut self.out, f);
    }
}
