//! Average pooling: every `F x F` window of every depth slice, moved by
//! `S`, is replaced by its mean. No parameters; the depth is unchanged.
//!
//! $$y_{c,i,j} = \frac{1}{F^2} \sum_{0 \le a,b < F} x_{c,\,iS+a,\,jS+b}$$
//!
//! Book: `pooling/avg-pool.md#forward`.

use crate::window::Window;
use fc_and_conv::volume::{expect_same_batch, expect_volumes};
use fc_and_conv::{Shape, Volume};
use foundations::Error;

/// Average pooling with an `F x F` window and stride `S`, for inputs of one
/// shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPool {
    window: Window,
}

/// What backward needs: only the batch size (the mean's derivative does
/// not depend on the values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPoolCache {
    /// `B`, the number of images.
    pub batch: usize,
}

impl AvgPool {
    /// Average pooling over `input` volumes with window `f` and stride `s`.
    ///
    /// # Errors
    /// [`Error::Config`] when `f` or `s` is 0, the window is larger than the
    /// map, or the windows do not tile it.
    pub fn new(input: Shape, f: usize, s: usize) -> Result<Self, Error> {
        Ok(AvgPool {
            window: Window::new("AvgPool", input, f, s)?,
        })
    }

    /// The window (`F`, `S`, input and output shapes).
    pub fn window(&self) -> Window {
        self.window
    }

    /// The shape of each output.
    pub fn output_shape(&self) -> Shape {
        self.window.output
    }

    /// Forward pass: the mean of every window.
    ///
    /// # Panics
    /// When an image is not of the layer's input shape.
    // ANCHOR: forward
    pub fn forward(&self, x: &[Volume]) -> (Vec<Volume>, AvgPoolCache) {
        expect_volumes("avg_pool::forward", "x", x, self.window.input);
        let Window { f, s, output, .. } = self.window;
        let mut out = Vec::with_capacity(x.len());
        for image in x {
            let mut y = Volume::zeros(output);
            for c in 0..output.depth {
                for i in 0..output.height {
                    for j in 0..output.width {
                        let mut sum = 0.0;
                        for a in 0..f {
                            for b in 0..f {
                                sum += image[(c, i * s + a, j * s + b)];
                            }
                        }
                        y[(c, i, j)] = sum / (f * f) as f64;
                    }
                }
            }
            out.push(y);
        }
        (out, AvgPoolCache { batch: x.len() })
    }
    // ANCHOR_END: forward

    /// Backward pass: each window's upstream gradient is spread evenly over
    /// its `F²` entries,
    /// $\partial L/\partial x_{c,\,iS+a,\,jS+b} \mathrel{+}=
    /// \frac{1}{F^2}\,\partial L/\partial y_{c,i,j}$.
    ///
    /// Book: `pooling/avg-pool.md#backward`.
    ///
    /// # Panics
    /// When `d_out` does not hold one output-shaped volume per image.
    pub fn backward(
        &self,
        cache: &AvgPoolCache,
        d_out: &[Volume],
    ) -> Vec<Volume> {
        let func = "avg_pool::backward";
        expect_same_batch(func, "x", cache.batch, "d_out", d_out.len());
        expect_volumes(func, "d_out", d_out, self.window.output);
        let (f, s) = (self.window.f, self.window.s);
        let (input, output) = (self.window.input, self.window.output);
        // ANCHOR: backward
        // BEGIN SOLUTION avg-pool-backward
        let share = 1.0 / (f * f) as f64; // forward: y = (1/F²) Σ_window x
        let mut d_x = Vec::with_capacity(d_out.len());
        for dy in d_out {
            let mut dx = Volume::zeros(input);
            for c in 0..output.depth {
                for i in 0..output.height {
                    for j in 0..output.width {
                        let g = share * dy[(c, i, j)];
                        for a in 0..f {
                            for b in 0..f {
                                // += : overlapping windows share entries
                                dx[(c, i * s + a, j * s + b)] += g;
                            }
                        }
                    }
                }
            }
            d_x.push(dx);
        }
        d_x
        // END SOLUTION
        // ANCHOR_END: backward
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_is_the_window_mean() {
        let p = AvgPool::new(Shape::new(1, 4, 4), 2, 2).unwrap();
        let x =
            Volume::from_fn(Shape::new(1, 4, 4), |_, i, j| (4 * i + j) as f64);
        let (y, _) = p.forward(&[x]);
        // top-left window holds 0, 1, 4, 5
        assert_eq!(y[0][(0, 0, 0)], 2.5);
        assert_eq!(y[0][(0, 1, 1)], (10.0 + 11.0 + 14.0 + 15.0) / 4.0);
    }

    #[test]
    #[should_panic(
        expected = "avg_pool::backward: d_out[0] is 1x3x3, expected 1x2x2"
    )]
    fn backward_names_a_wrong_gradient_shape() {
        let p = AvgPool::new(Shape::new(1, 4, 4), 2, 2).unwrap();
        let cache = AvgPoolCache { batch: 1 };
        p.backward(&cache, &[Volume::zeros(Shape::new(1, 3, 3))]);
    }

    #[test]
    fn stride_zero_and_oversized_windows_are_errors() {
        assert!(AvgPool::new(Shape::new(1, 4, 4), 2, 0).is_err());
        assert!(AvgPool::new(Shape::new(1, 4, 4), 5, 1).is_err());
    }
}
