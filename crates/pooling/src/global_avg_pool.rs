//! Global average pooling (Lin et al. 2014, *Network in Network*): each
//! depth slice becomes its mean, so a `depth x H x W` volume becomes
//! `depth x 1 x 1`. No parameters.
//!
//! Book: `pooling/avg-pool.md#global-average-pooling`.

use fc_and_conv::volume::{expect_same_batch, expect_volumes};
use fc_and_conv::{Shape, Volume};
use foundations::{DMatrix, Error};

/// Global average pooling for inputs of one shape:
/// $y_c = \frac{1}{HW} \sum_{i,j} x_{c,i,j}$.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalAvgPool {
    input: Shape,
}

/// What backward needs: the batch size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalAvgPoolCache {
    /// `B`, the number of images.
    pub batch: usize,
}

impl GlobalAvgPool {
    /// Global average pooling over `input` volumes.
    ///
    /// # Errors
    /// [`Error::Config`] when the input has no pixels or no depth.
    pub fn new(input: Shape) -> Result<Self, Error> {
        if input.is_empty() {
            return Err(Error::config(
                "GlobalAvgPool",
                format!("a {input} input has nothing to average"),
            ));
        }
        Ok(GlobalAvgPool { input })
    }

    /// The shape of each output, `depth x 1 x 1`.
    pub fn output_shape(&self) -> Shape {
        Shape::new(self.input.depth, 1, 1)
    }

    /// Forward pass: one mean per depth slice.
    ///
    /// # Panics
    /// When an image is not of the layer's input shape.
    // ANCHOR: forward
    pub fn forward(&self, x: &[Volume]) -> (Vec<Volume>, GlobalAvgPoolCache) {
        expect_volumes("global_avg_pool::forward", "x", x, self.input);
        let hw = (self.input.height * self.input.width) as f64;
        let out = x
            .iter()
            .map(|v| {
                // row c of the depth x (H·W) matrix is slice c
                let sums = v.as_matrix().column_sum();
                let means =
                    DMatrix::from_fn(sums.len(), 1, |c, _| sums[c] / hw);
                Volume::from_matrix(1, 1, means)
            })
            .collect();
        (out, GlobalAvgPoolCache { batch: x.len() })
    }
    // ANCHOR_END: forward

    /// Backward pass: $\partial L/\partial x_{c,i,j} =
    /// \frac{1}{HW}\,\partial L/\partial y_c$ for every `i, j`.
    ///
    /// # Panics
    /// When `d_out` does not hold one `depth x 1 x 1` volume per image.
    // ANCHOR: backward
    pub fn backward(
        &self,
        cache: &GlobalAvgPoolCache,
        d_out: &[Volume],
    ) -> Vec<Volume> {
        let func = "global_avg_pool::backward";
        expect_same_batch(func, "x", cache.batch, "d_out", d_out.len());
        expect_volumes(func, "d_out", d_out, self.output_shape());
        let Shape { height, width, .. } = self.input;
        let hw = height * width;
        d_out
            .iter()
            .map(|g| {
                // forward: y_c = (1/HW) Σ_ij x_cij
                let m = DMatrix::from_fn(self.input.depth, hw, |c, _| {
                    g.as_matrix()[(c, 0)] / hw as f64
                });
                Volume::from_matrix(height, width, m)
            })
            .collect()
    }
    // ANCHOR_END: backward
}

#[cfg(test)]
mod tests {
    use super::*;
    use foundations::{Named, assert_gradients};

    #[test]
    fn forward_is_the_mean_of_each_slice() {
        let s = Shape::new(3, 2, 5);
        let x = Volume::from_fn(s, |c, i, j| (c * 10 + i * 5 + j) as f64);
        let (y, _) = GlobalAvgPool::new(s)
            .unwrap()
            .forward(std::slice::from_ref(&x));
        for c in 0..3 {
            let mean = x.slice(c).mean();
            assert!((y[0][(c, 0, 0)] - mean).abs() < 1e-12);
        }
    }

    #[test]
    fn backward_matches_numeric_gradient() {
        let s = Shape::new(2, 3, 4);
        let g = GlobalAvgPool::new(s).unwrap();
        let mut r = foundations::rng(4);
        let x = Volume::from_matrix(
            3,
            4,
            foundations::init::uniform(2, 12, 1.0, &mut r),
        );
        let up = Volume::from_matrix(
            1,
            1,
            foundations::init::uniform(2, 1, 1.0, &mut r),
        );
        let (_, cache) = g.forward(std::slice::from_ref(&x));
        let dx = g.backward(&cache, std::slice::from_ref(&up));
        assert_gradients(
            "global_avg_pool::backward",
            &Named("x", x),
            &Named("x", dx[0].clone()),
            |p| {
                let (y, _) = g.forward(std::slice::from_ref(&p.1));
                y[0].as_matrix().dot(up.as_matrix())
            },
        );
    }

    #[test]
    fn an_empty_input_is_an_error() {
        assert!(GlobalAvgPool::new(Shape::new(2, 0, 3)).is_err());
    }
}
