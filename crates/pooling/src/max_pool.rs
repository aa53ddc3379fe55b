//! Max pooling: every `F x F` window of every depth slice, moved by `S`,
//! is replaced by its largest entry. No parameters; the depth is unchanged.
//!
//! $$y_{c,i,j} = \max_{0 \le a,b < F} x_{c,\,iS+a,\,jS+b}$$
//!
//! Two implementations, tested equal:
//!
//! * the **reference** [`MaxPool::forward_reference`] /
//!   [`MaxPool::backward_reference`] reads like the slide: loops over the
//!   windows; backward finds each window's arg-max again in the cached input
//!   (the exercises);
//! * the **engine** [`MaxPool::forward`] / [`MaxPool::backward`] remembers
//!   where each maximum was (the "switches") during the forward pass, so
//!   backward is one scatter. The ConvNet trains with the engine.
//!
//! Ties: when several entries of a window share the maximum, the gradient
//! goes to the *first* of them in row-major order (top row first, then left
//! to right), in both implementations.
//!
//! NaN: a window holding a NaN pools to NaN, and its gradient goes to the
//! (first) NaN, as PyTorch does; both implementations compare with
//! [`beats`], which says so.
//!
//! Book: `pooling/max-pool.md#forward`.

use crate::window::Window;
use fc_and_conv::volume::{expect_same_batch, expect_volumes};
use fc_and_conv::{Shape, Volume};
use foundations::Error;

/// Whether `v` replaces `best` as a window's running maximum: when it is
/// larger, or when it is a NaN and `best` is not. So a NaN wins and then
/// stays (the maximum propagates NaN, as PyTorch's max pooling does: a
/// plain `f64::max` would drop it), and among equal entries, or NaNs, the
/// first one keeps its place.
// ANCHOR: beats
pub fn beats(v: f64, best: f64) -> bool {
    v > best || (v.is_nan() && !best.is_nan())
}
// ANCHOR_END: beats

/// Max pooling with an `F x F` window and stride `S`, for inputs of one
/// shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool {
    window: Window,
}

/// What the reference backward needs: the input itself.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxPoolReferenceCache {
    /// The input batch.
    pub x: Vec<Volume>,
}

/// What the engine backward needs: for every image and every output entry
/// `(c, i, j)`, the position `i'·W + j'` in slice `c` of the input entry
/// that won its window.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxPoolCache {
    /// `switches[b][p·depth + c]` for output position `p = i·W' + j`: the
    /// output volume's storage order.
    pub switches: Vec<Vec<usize>>,
}

impl MaxPool {
    /// Max pooling over `input` volumes with window `f` and stride `s`
    /// (`s < f` overlaps).
    ///
    /// # Errors
    /// [`Error::Config`] when `f` or `s` is 0, the window is larger than the
    /// map, or the windows do not tile it.
    pub fn new(input: Shape, f: usize, s: usize) -> Result<Self, Error> {
        Ok(MaxPool {
            window: Window::new("MaxPool", input, f, s)?,
        })
    }

    /// The window (`F`, `S`, input and output shapes).
    pub fn window(&self) -> Window {
        self.window
    }

    /// The shape of each input.
    pub fn input_shape(&self) -> Shape {
        self.window.input
    }

    /// The shape of each output: `depth x ((H − F)/S + 1) x ((W − F)/S + 1)`.
    pub fn output_shape(&self) -> Shape {
        self.window.output
    }

    fn check_d_out(&self, func: &str, batch: usize, d_out: &[Volume]) {
        expect_same_batch(func, "x", batch, "d_out", d_out.len());
        expect_volumes(func, "d_out", d_out, self.window.output);
    }

    /// The reference forward pass, one window at a time:
    /// $y_{c,i,j} = \max_{a,b} x_{c,\,iS+a,\,jS+b}$.
    ///
    /// Book: `pooling/max-pool.md#forward`.
    ///
    /// # Panics
    /// When an image is not of [`MaxPool::input_shape`].
    pub fn forward_reference(
        &self,
        x: &[Volume],
    ) -> (Vec<Volume>, MaxPoolReferenceCache) {
        let func = "max_pool::forward_reference";
        expect_volumes(func, "x", x, self.input_shape());
        let Window { f, s, output, .. } = self.window;
        // ANCHOR: forward_reference
        // BEGIN SOLUTION max-pool-forward
        let mut out = Vec::with_capacity(x.len());
        for image in x {
            let mut y = Volume::zeros(output);
            for c in 0..output.depth {
                for i in 0..output.height {
                    for j in 0..output.width {
                        let mut m = f64::NEG_INFINITY;
                        for a in 0..f {
                            for b in 0..f {
                                let v = image[(c, i * s + a, j * s + b)];
                                // larger, or a NaN (which then stays)
                                if beats(v, m) {
                                    m = v;
                                }
                            }
                        }
                        y[(c, i, j)] = m;
                    }
                }
            }
            out.push(y);
        }
        (out, MaxPoolReferenceCache { x: x.to_vec() })
        // END SOLUTION
        // ANCHOR_END: forward_reference
    }

    /// The reference backward pass: each window's upstream gradient goes to
    /// its arg-max (the first maximum in row-major order), and nowhere else:
    /// $\partial L/\partial x_{c,\,iS+a^*,\,jS+b^*} \mathrel{+}=
    /// \partial L/\partial y_{c,i,j}$.
    ///
    /// Book: `pooling/max-pool.md#backward-routing-the-gradient`.
    ///
    /// # Panics
    /// When `d_out` does not hold one output-shaped volume per image.
    pub fn backward_reference(
        &self,
        cache: &MaxPoolReferenceCache,
        d_out: &[Volume],
    ) -> Vec<Volume> {
        self.check_d_out("max_pool::backward_reference", cache.x.len(), d_out);
        let Window { f, s, output, .. } = self.window;
        // ANCHOR: backward_reference
        // BEGIN SOLUTION max-pool-backward
        let mut d_x = Vec::with_capacity(d_out.len());
        for (x, dy) in cache.x.iter().zip(d_out) {
            let mut dx = Volume::zeros(x.shape());
            for c in 0..output.depth {
                for i in 0..output.height {
                    for j in 0..output.width {
                        // forward: y[c,i,j] = max of the window, so find
                        // the entry that won (the first maximum, or the
                        // first NaN: `beats` is a strict >)
                        let (mut a_max, mut b_max) = (0, 0);
                        for a in 0..f {
                            for b in 0..f {
                                let v = x[(c, i * s + a, j * s + b)];
                                let best = x[(c, i * s + a_max, j * s + b_max)];
                                if beats(v, best) {
                                    (a_max, b_max) = (a, b);
                                }
                            }
                        }
                        // ∂y/∂x is 1 at the winner, 0 elsewhere; += since
                        // overlapping windows can share a winner
                        dx[(c, i * s + a_max, j * s + b_max)] += dy[(c, i, j)];
                    }
                }
            }
            d_x.push(dx);
        }
        d_x
        // END SOLUTION
        // ANCHOR_END: backward_reference
    }

    /// The engine's forward pass: the same `y` as
    /// [`MaxPool::forward_reference`], and the switches (where each maximum
    /// was) instead of a copy of `x`.
    ///
    /// # Panics
    /// When an image is not of [`MaxPool::input_shape`].
    // ANCHOR: forward
    pub fn forward(&self, x: &[Volume]) -> (Vec<Volume>, MaxPoolCache) {
        expect_volumes("max_pool::forward", "x", x, self.input_shape());
        let Window {
            f,
            s,
            input,
            output,
        } = self.window;
        let (w, depth) = (input.width, input.depth);
        let mut out = Vec::with_capacity(x.len());
        let mut switches = Vec::with_capacity(x.len());
        // best value and position of every depth slice at one output pixel
        let mut best = vec![0.0; depth];
        for image in x {
            // depth x (H·W), column-major: entry (c, p) is xs[p·depth + c],
            // so the depth slices of one pixel lie next to each other
            let xs = image.as_matrix().as_slice();
            let mut y = Volume::zeros(output);
            let ys = y.as_matrix_mut().as_mut_slice();
            let mut sw = vec![0; output.len()];
            for p_out in 0..output.height * output.width {
                let (i, j) = (p_out / output.width, p_out % output.width);
                let at = &mut sw[p_out * depth..(p_out + 1) * depth];
                let corner = i * s * w + j * s;
                best.copy_from_slice(&xs[corner * depth..(corner + 1) * depth]);
                at.fill(corner);
                // the window in row-major order; `beats` keeps the first
                // maximum (or NaN), as the reference does
                for a in 0..f {
                    for p in
                        (i * s + a) * w + j * s..(i * s + a) * w + j * s + f
                    {
                        let pixel = &xs[p * depth..(p + 1) * depth];
                        for c in 0..depth {
                            if beats(pixel[c], best[c]) {
                                best[c] = pixel[c];
                                at[c] = p;
                            }
                        }
                    }
                }
                ys[p_out * depth..(p_out + 1) * depth].copy_from_slice(&best);
            }
            out.push(y);
            switches.push(sw);
        }
        (out, MaxPoolCache { switches })
    }
    // ANCHOR_END: forward

    /// The engine's backward pass: one scatter through the switches,
    /// `dx[c, switch] += dy[c, i, j]`.
    ///
    /// # Panics
    /// When `d_out` does not hold one output-shaped volume per image.
    // ANCHOR: backward
    pub fn backward(
        &self,
        cache: &MaxPoolCache,
        d_out: &[Volume],
    ) -> Vec<Volume> {
        self.check_d_out("max_pool::backward", cache.switches.len(), d_out);
        let depth = self.window.output.depth;
        let mut d_x = Vec::with_capacity(d_out.len());
        for (sw, dy) in cache.switches.iter().zip(d_out) {
            let mut dx = Volume::zeros(self.window.input);
            let dxs = dx.as_matrix_mut().as_mut_slice();
            // entry k = p_out·depth + c of dy goes to pixel sw[k], slice c
            for (k, (&p, &g)) in
                sw.iter().zip(dy.as_matrix().as_slice()).enumerate()
            {
                dxs[p * depth + k % depth] += g;
            }
            d_x.push(dx);
        }
        d_x
    }
    // ANCHOR_END: backward
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> MaxPool {
        MaxPool::new(Shape::new(2, 4, 4), 2, 2).unwrap()
    }

    #[test]
    #[should_panic(
        expected = "max_pool::forward: x[1] is 2x4x5, expected 2x4x4"
    )]
    fn engine_forward_names_a_wrong_input_shape() {
        let good = Volume::zeros(Shape::new(2, 4, 4));
        let bad = Volume::zeros(Shape::new(2, 4, 5));
        pool().forward(&[good, bad]);
    }

    #[test]
    #[should_panic(
        expected = "max_pool::forward_reference: x[0] is 1x4x4, expected 2x4x4"
    )]
    fn reference_forward_names_a_wrong_input_shape() {
        pool().forward_reference(&[Volume::zeros(Shape::new(1, 4, 4))]);
    }

    #[test]
    #[should_panic(
        expected = "max_pool::backward: d_out[0] is 2x4x4, expected 2x2x2"
    )]
    fn engine_backward_names_a_wrong_gradient_shape() {
        let p = pool();
        let (_, cache) = p.forward(&[Volume::zeros(Shape::new(2, 4, 4))]);
        p.backward(&cache, &[Volume::zeros(Shape::new(2, 4, 4))]);
    }

    #[test]
    #[should_panic(
        expected = "max_pool::backward_reference: d_out has 2 volumes, expected 1"
    )]
    fn reference_backward_names_a_wrong_batch() {
        let p = pool();
        let cache = MaxPoolReferenceCache {
            x: vec![Volume::zeros(Shape::new(2, 4, 4))],
        };
        let d = Volume::zeros(Shape::new(2, 2, 2));
        p.backward_reference(&cache, &[d.clone(), d]);
    }

    #[test]
    fn engine_routes_ties_to_the_first_maximum() {
        let p = MaxPool::new(Shape::new(1, 2, 2), 2, 2).unwrap();
        let x = Volume::from_fn(Shape::new(1, 2, 2), |_, i, _| i as f64);
        let (y, cache) = p.forward(&[x]);
        assert_eq!(y[0][(0, 0, 0)], 1.0);
        let dx =
            p.backward(&cache, &[Volume::from_fn(y[0].shape(), |_, _, _| 1.0)]);
        // row 1 holds two equal maxima: the first, (1, 0), gets it
        assert_eq!(dx[0][(0, 1, 0)], 1.0);
        assert_eq!(dx[0].sum(), 1.0);
    }
}
