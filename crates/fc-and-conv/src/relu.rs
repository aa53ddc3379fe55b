//! The ReLU layer, element-wise: $y = \max(0, x)$, and its backward
//! $dx = dy \odot \mathbb{1}[x > 0]$ (the kink at 0 gets 0).
//!
//! On matrices (batches of columns) and on batches of volumes.
//! [`Relu::backward_reference`] is the reference loop (the exercise);
//! [`Relu::backward`] the engine, tested equal to it.
//!
//! Book: `fc-and-conv/affine.md#relu`.

use crate::volume::{Volume, expect_same_batch, expect_volumes};
use foundations::DMatrix;
use foundations::shape::expect_same_shape;

/// The ReLU layer (no parameters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relu;

/// What the backward needs: the input `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReluCache {
    /// The input.
    pub x: DMatrix<f64>,
}

/// The input batch of volumes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReluVolumesCache {
    /// The input batch.
    pub x: Vec<Volume>,
}

impl Relu {
    /// `y = max(0, x)` entry by entry.
    // ANCHOR: forward
    pub fn forward(&self, x: &DMatrix<f64>) -> (DMatrix<f64>, ReluCache) {
        (x.map(|v| v.max(0.0)), ReluCache { x: x.clone() })
    }
    // ANCHOR_END: forward

    /// The engine's backward: `dx = dy ⊙ 1[x > 0]`.
    ///
    /// # Panics
    /// When `d_y` is not the shape of the cached `x`.
    // ANCHOR: backward
    pub fn backward(
        &self,
        cache: &ReluCache,
        d_y: &DMatrix<f64>,
    ) -> DMatrix<f64> {
        expect_same_shape("relu::backward", "x", &cache.x, "d_y", d_y);
        d_y.zip_map(&cache.x, |g, x| if x > 0.0 { g } else { 0.0 })
    }
    // ANCHOR_END: backward

    /// The reference backward, one entry at a time: the gradient passes
    /// where the input was positive and stops elsewhere.
    ///
    /// Book: `fc-and-conv/affine.md#relu`.
    ///
    /// # Panics
    /// When `d_y` is not the shape of the cached `x`.
    pub fn backward_reference(
        &self,
        cache: &ReluCache,
        d_y: &DMatrix<f64>,
    ) -> DMatrix<f64> {
        let f = "relu::backward_reference";
        expect_same_shape(f, "x", &cache.x, "d_y", d_y);
        // ANCHOR: backward_reference
        // BEGIN SOLUTION relu-backward
        let mut d_x = DMatrix::zeros(d_y.nrows(), d_y.ncols());
        for j in 0..d_y.ncols() {
            for i in 0..d_y.nrows() {
                // forward: y = max(0, x), so dy/dx is 1 for x > 0, else 0
                if cache.x[(i, j)] > 0.0 {
                    d_x[(i, j)] = d_y[(i, j)];
                }
            }
        }
        d_x
        // END SOLUTION
        // ANCHOR_END: backward_reference
    }

    /// `max(0, x)` on every volume.
    pub fn forward_volumes(
        &self,
        x: &[Volume],
    ) -> (Vec<Volume>, ReluVolumesCache) {
        let y = x.iter().map(|v| v.map(|e| e.max(0.0))).collect();
        (y, ReluVolumesCache { x: x.to_vec() })
    }

    /// The engine's backward on volumes.
    ///
    /// # Panics
    /// When `d_y` does not match the cached batch in length or shapes.
    pub fn backward_volumes(
        &self,
        cache: &ReluVolumesCache,
        d_y: &[Volume],
    ) -> Vec<Volume> {
        let f = "relu::backward_volumes";
        expect_same_batch(f, "x", cache.x.len(), "d_y", d_y.len());
        cache
            .x
            .iter()
            .zip(d_y)
            .map(|(x, g)| {
                expect_volumes(f, "d_y", std::slice::from_ref(g), x.shape());
                let m = g.as_matrix().zip_map(x.as_matrix(), |g, x| {
                    if x > 0.0 { g } else { 0.0 }
                });
                Volume::from_matrix(x.height(), x.width(), m)
            })
            .collect()
    }
}
