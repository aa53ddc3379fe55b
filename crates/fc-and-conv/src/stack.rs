//! Output sizes and parameter counts of a stack of layers, without building
//! them: the lecture's quiz (three 3x3 stride-2 SAME convolutions with 100,
//! 200 and 400 maps on a 200x300x3 image have 903,400 parameters; one fully
//! connected layer of 100 neurons on the same image has more than 18
//! million).
//!
//! Book: `fc-and-conv/geometry.md#counting-parameters`.

use crate::geometry::{Axis, Padding};
use crate::volume::Shape;
use foundations::Error;

/// One layer of a stack, as a specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerSpec {
    /// `filters` (K) filters of `size x size x depth` (F), stride S.
    Conv {
        /// K.
        filters: usize,
        /// F.
        size: usize,
        /// S.
        stride: usize,
        /// P or SAME.
        padding: Padding,
    },
    /// A fully connected layer of `units` neurons on the flattened input.
    FullyConnected {
        /// Number of neurons (outputs).
        units: usize,
    },
}

/// A layer's output shape and parameter count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSummary {
    /// The layer.
    pub spec: LayerSpec,
    /// Its output: `K x H' x W'` for a convolution, `units x 1 x 1` for a
    /// fully connected layer.
    pub output: Shape,
    /// Weights plus biases.
    pub params: usize,
}

/// The slide's output size `(N − F + 2P)/S + 1`, for a geometry that tiles
/// (`(N − F + 2P)` divisible by `S`). The engine's [`Axis::new`] also
/// checks that it tiles; it is tested equal to this formula.
///
/// Book: `fc-and-conv/geometry.md#output-size-padding-and-stride`.
///
/// # Panics
/// May panic (subtraction overflow) when `F > N + 2P` or `S = 0`.
// ANCHOR: output_size
pub fn output_size(n: usize, f: usize, s: usize, p: usize) -> usize {
    // BEGIN SOLUTION conv-output-size
    (n + 2 * p - f) / s + 1 // = (N − F + 2P)/S + 1 without underflow
    // END SOLUTION
}
// ANCHOR_END: output_size

/// Every layer's output shape and parameter count, layer after layer from
/// an `input` volume: a convolution has `K·(F·F·depth + 1)` parameters
/// (each filter spans the full depth, plus one bias), a fully connected
/// layer `units·(depth·H·W + 1)`.
///
/// Book: `fc-and-conv/geometry.md#counting-parameters`.
///
/// # Errors
/// [`Error::Config`] from [`Axis::new`] when a convolution's geometry does
/// not work.
// ANCHOR: summarize
pub fn summarize(
    input: Shape,
    layers: &[LayerSpec],
) -> Result<Vec<LayerSummary>, Error> {
    // BEGIN SOLUTION param-count
    let mut shape = input;
    let mut out = Vec::with_capacity(layers.len());
    for &spec in layers {
        let (output, params) = match spec {
            LayerSpec::Conv {
                filters,
                size,
                stride,
                padding,
            } => {
                let h = Axis::new(
                    "conv",
                    "height",
                    shape.height,
                    size,
                    stride,
                    padding,
                )?;
                let w = Axis::new(
                    "conv",
                    "width",
                    shape.width,
                    size,
                    stride,
                    padding,
                )?;
                let per_filter = size * size * shape.depth + 1; // + bias
                (Shape::new(filters, h.out, w.out), filters * per_filter)
            }
            LayerSpec::FullyConnected { units } => {
                (Shape::new(units, 1, 1), units * (shape.len() + 1))
            }
        };
        out.push(LayerSummary {
            spec,
            output,
            params,
        });
        shape = output;
    }
    Ok(out)
    // END SOLUTION
}
// ANCHOR_END: summarize

/// The sum of the layers' parameters.
pub fn total_params(layers: &[LayerSummary]) -> usize {
    layers.iter().map(|l| l.params).sum()
}

/// The quiz's stack: three 3x3 stride-2 SAME convolutions with 100, 200 and
/// 400 maps.
pub fn quiz_stack() -> [LayerSpec; 3] {
    [100, 200, 400].map(|filters| LayerSpec::Conv {
        filters,
        size: 3,
        stride: 2,
        padding: Padding::Same,
    })
}
