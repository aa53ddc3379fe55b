//! Flatten: a batch of `B` volumes becomes a `(depth·H·W) x B` matrix, one
//! column per image (the slides' 32x32x3 image → 3072 numbers), so a fully
//! connected layer can follow a convolution. Its backward only reshapes the
//! gradient back into volumes: flattening moves numbers, it computes
//! nothing.
//!
//! Book: `fc-and-conv/index.md#flatten`.

use crate::volume::{Shape, Volume, expect_volumes};
use foundations::DMatrix;
use foundations::shape::{Dim, expect_shape};

/// The flatten layer for volumes of one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flatten {
    input: Shape,
}

/// What the backward needs: the batch size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlattenCache {
    /// `B`.
    pub batch: usize,
}

impl Flatten {
    /// Flattens volumes of shape `input`.
    pub fn new(input: Shape) -> Self {
        Flatten { input }
    }

    /// The shape of each input volume.
    pub fn input_shape(&self) -> Shape {
        self.input
    }

    /// Rows of the output, `depth·H·W`.
    pub fn output_len(&self) -> usize {
        self.input.len()
    }

    /// Column `b` is [`Volume::flatten`] of image `b`.
    ///
    /// # Panics
    /// When a volume is not of the layer's input shape.
    // ANCHOR: forward
    pub fn forward(&self, x: &[Volume]) -> (DMatrix<f64>, FlattenCache) {
        expect_volumes("flatten::forward", "x", x, self.input);
        let mut out = DMatrix::zeros(self.input.len(), x.len());
        for (b, v) in x.iter().enumerate() {
            out.column_mut(b).copy_from(&v.flatten());
        }
        (out, FlattenCache { batch: x.len() })
    }
    // ANCHOR_END: forward

    /// Column `b` of `d_y` reshaped back into a volume.
    ///
    /// # Panics
    /// When `d_y` is not `(depth·H·W) x B`.
    // ANCHOR: backward
    pub fn backward(
        &self,
        cache: &FlattenCache,
        d_y: &DMatrix<f64>,
    ) -> Vec<Volume> {
        let rows = Dim::Is(self.input.len());
        expect_shape(
            "flatten::backward",
            "d_y",
            d_y,
            rows,
            Dim::Is(cache.batch),
        );
        (0..cache.batch)
            .map(|b| {
                Volume::unflatten(&d_y.columns(b, 1).into_owned(), self.input)
            })
            .collect()
    }
    // ANCHOR_END: backward
}
