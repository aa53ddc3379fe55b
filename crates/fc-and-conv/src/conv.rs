//! The convolution layer: K filters of F x F x depth, stride S, padding P.
//!
//! Each filter slides over the image and, at every window, takes the dot
//! product of its F·F·depth weights with the F x F x depth chunk of the
//! input under it, plus its bias: one number of its activation map.
//!
//! $$y_b[k, i', j'] = b_k + \sum_{d,u,v} w_k[d,u,v]\,
//! x_b[d,\ i'S + u - P,\ j'S + v - P]$$
//!
//! Two implementations: [`Conv::forward_reference`] /
//! [`Conv::backward_reference`] are the loops of the slide (the reference,
//! and the exercises); [`Conv::forward`] / [`Conv::backward`] are the engine
//! (im2col and one matrix product), tested equal to the loops. Later crates
//! use the engine.
//!
//! Book: `fc-and-conv/conv.md#dot-products-over-windows`,
//! `fc-and-conv/conv.md#backward`.

use crate::geometry::{Axis, Padding};
use crate::im2col::{col2im, im2col};
use crate::volume::{Shape, Volume, expect_same_batch, expect_volumes};
use foundations::ops::{add_bias, sum_columns};
use foundations::{DMatrix, Error, ParamsExt, Rng, impl_params};

/// The parameters of a convolution: `K` filters, each an `F x F x depth`
/// volume, and `K` biases (`K x 1`). Gradients are a second value of this
/// type.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvParams {
    /// Filter `k` is `w[k]`, `depth x F x F` (names `w.0`, `w.1`, …).
    pub w: Vec<Volume>,
    /// Bias `b[k]` of filter `k`, a `K x 1` column.
    pub b: DMatrix<f64>,
}
impl_params!(ConvParams { w, b });

impl ConvParams {
    /// `W_col`: a `K x (depth·F·F)` matrix, row `k` the flattened filter
    /// `k` (the order of im2col's rows).
    pub fn filter_matrix(&self) -> DMatrix<f64> {
        let cols = self.w.first().map_or(0, |f| f.shape().len());
        let mut m = DMatrix::zeros(self.w.len(), cols);
        for (k, f) in self.w.iter().enumerate() {
            m.row_mut(k).tr_copy_from(&f.flatten());
        }
        m
    }
}

/// A convolution layer for inputs of one fixed shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    /// Filters and biases.
    pub params: ConvParams,
    input: Shape,
    rows: Axis,
    cols: Axis,
}

impl foundations::Params for Conv {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        self.params.visit(f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        self.params.visit_mut(f);
    }
    fn layouts(&self, f: &mut dyn FnMut(&str, foundations::Layout)) {
        self.params.layouts(f);
    }
}

/// What [`Conv::backward_reference`] needs: the input.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvCache {
    /// The input batch.
    pub x: Vec<Volume>,
}

/// What [`Conv::backward`] needs: the input's windows, `X_col`.
#[derive(Debug, Clone, PartialEq)]
pub struct Im2colCache {
    /// `(depth·F·F) x (B·H'·W')`, from [`im2col`].
    pub x_cols: DMatrix<f64>,
    /// `B`, the number of images.
    pub batch: usize,
}

impl Conv {
    /// A layer of `filters` (K) filters of `size x size x input.depth`
    /// (F x F x depth) with `stride` (S) and `padding`, for inputs of shape
    /// `input`; weights He-initialised (fan-in `F·F·depth`), biases zero.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero, when the filter is larger than
    /// the padded input, or when explicit padding and stride do not tile the
    /// input (the message says which paddings or strides would).
    pub fn new(
        input: Shape,
        filters: usize,
        size: usize,
        stride: usize,
        padding: Padding,
        rng: &mut Rng,
    ) -> Result<Conv, Error> {
        if filters == 0 || input.depth == 0 {
            return Err(Error::config(
                "conv",
                format!(
                    "K = {filters} filters on a {input} input: the number \
                     of filters and the input depth must be at least 1"
                ),
            ));
        }
        let fan_in = size * size * input.depth;
        let w = (0..filters)
            .map(|_| {
                let m = foundations::init::he(
                    input.depth,
                    size * size,
                    fan_in.max(1),
                    rng,
                );
                Volume::from_matrix(size, size, m)
            })
            .collect();
        let params = ConvParams {
            w,
            b: DMatrix::zeros(filters, 1),
        };
        Conv::from_params(input, params, stride, padding)
    }

    /// A layer with the given filters and biases (hand-set edge filters,
    /// tests).
    ///
    /// # Errors
    /// [`Error::Config`] when there are no filters, the filters are not all
    /// `input.depth x F x F` with the same F ≥ 1, `b` is not `K x 1`, or the
    /// geometry does not work (see [`Conv::new`]).
    pub fn from_params(
        input: Shape,
        params: ConvParams,
        stride: usize,
        padding: Padding,
    ) -> Result<Conv, Error> {
        let k = params.w.len();
        let Some(first) = params.w.first() else {
            return Err(Error::config(
                "conv",
                "K = 0 filters: need at least 1",
            ));
        };
        let f = first.height();
        let expected = Shape::new(input.depth, f, f);
        for (i, w) in params.w.iter().enumerate() {
            if w.shape() != expected || f == 0 {
                return Err(Error::config(
                    "conv",
                    format!(
                        "filter w.{i} is {}, expected {expected} (depth x F x \
                         F, F ≥ 1): filters extend the full depth {} of the \
                         {input} input and are square",
                        w.shape(),
                        input.depth
                    ),
                ));
            }
        }
        if params.b.shape() != (k, 1) {
            return Err(Error::config(
                "conv",
                format!(
                    "b is {}x{}, expected {k}x1 (one bias per filter)",
                    params.b.nrows(),
                    params.b.ncols()
                ),
            ));
        }
        let rows =
            Axis::new("conv", "height", input.height, f, stride, padding)?;
        let cols = Axis::new("conv", "width", input.width, f, stride, padding)?;
        Ok(Conv {
            params,
            input,
            rows,
            cols,
        })
    }

    /// The shape of one input image, `depth x N_h x N_w`.
    pub fn input_shape(&self) -> Shape {
        self.input
    }

    /// The shape of one output, `K x H' x W'`.
    pub fn output_shape(&self) -> Shape {
        Shape::new(self.params.w.len(), self.rows.out, self.cols.out)
    }

    /// `K`, the number of filters.
    pub fn filters(&self) -> usize {
        self.params.w.len()
    }

    /// `F`, the filter size.
    pub fn size(&self) -> usize {
        self.rows.f
    }

    /// `S`, the stride.
    pub fn stride(&self) -> usize {
        self.rows.s
    }

    /// The geometry along the height.
    pub fn rows(&self) -> Axis {
        self.rows
    }

    /// The geometry along the width.
    pub fn cols(&self) -> Axis {
        self.cols
    }

    /// The engine's forward: `Y = W_col · X_col + b`, one matrix product
    /// for the whole batch.
    ///
    /// # Panics
    /// When an image is not of [`Conv::input_shape`]
    /// (`conv::forward: x[0] is 2x7x7, expected 3x7x7`).
    // ANCHOR: forward
    pub fn forward(&self, x: &[Volume]) -> (Vec<Volume>, Im2colCache) {
        expect_volumes("conv::forward", "x", x, self.input);
        let x_cols = im2col(x, &self.rows, &self.cols);
        // K x (B·H'·W')
        let y = add_bias(self.params.filter_matrix() * &x_cols, &self.params.b);
        let per_image = self.rows.out * self.cols.out;
        let out = (0..x.len())
            .map(|b| {
                let m = y.columns(b * per_image, per_image).into_owned();
                Volume::from_matrix(self.rows.out, self.cols.out, m)
            })
            .collect();
        let batch = x.len();
        (out, Im2colCache { x_cols, batch })
    }
    // ANCHOR_END: forward

    /// The engine's backward: `dW_col = dY · X_colᵀ`, `db = Σ dY` over
    /// columns, `dX = col2im(W_colᵀ · dY)`.
    ///
    /// # Panics
    /// When `d_out` does not hold one `K x H' x W'` volume per image.
    // ANCHOR: backward
    pub fn backward(
        &self,
        cache: &Im2colCache,
        d_out: &[Volume],
    ) -> (ConvParams, Vec<Volume>) {
        expect_same_batch(
            "conv::backward",
            "x",
            cache.batch,
            "d_out",
            d_out.len(),
        );
        expect_volumes("conv::backward", "d_out", d_out, self.output_shape());
        let k = self.filters();
        let per_image = self.rows.out * self.cols.out;
        let mut d_y = DMatrix::zeros(k, cache.batch * per_image);
        for (b, g) in d_out.iter().enumerate() {
            d_y.columns_mut(b * per_image, per_image)
                .copy_from(g.as_matrix());
        }
        // forward: Y = W_col · X_col + b 1ᵀ
        let d_w = &d_y * transposed(&cache.x_cols); // dW_col = dY X_colᵀ
        // db = dY 1
        let d_b = sum_columns(&d_y);
        let d_cols = self.params.filter_matrix().transpose() * &d_y;
        let filter = Shape::new(self.input.depth, self.size(), self.size());
        let w = (0..k)
            .map(|i| Volume::unflatten(&d_w.rows(i, 1).transpose(), filter))
            .collect();
        let d_x = col2im(
            &d_cols,
            cache.batch,
            self.input.depth,
            &self.rows,
            &self.cols,
        );
        (ConvParams { w, b: d_b }, d_x)
    }
    // ANCHOR_END: backward

    /// The reference forward: at every window, the dot product of each
    /// filter with the chunk of the input under it, plus its bias —
    /// explicit loops, as the slide says.
    ///
    /// Book: `fc-and-conv/conv.md#dot-products-over-windows`.
    ///
    /// # Panics
    /// When an image is not of [`Conv::input_shape`].
    pub fn forward_reference(&self, x: &[Volume]) -> (Vec<Volume>, ConvCache) {
        expect_volumes("conv::forward_reference", "x", x, self.input);
        // ANCHOR: forward_reference
        // BEGIN SOLUTION conv-forward-naive
        let (rows, cols) = (self.rows, self.cols);
        let mut out = Vec::with_capacity(x.len());
        for image in x {
            let mut y = Volume::zeros(self.output_shape());
            for (k, filter) in self.params.w.iter().enumerate() {
                for oi in 0..rows.out {
                    for oj in 0..cols.out {
                        // the dot product of filter k with window (oi, oj)
                        let mut sum = self.params.b[(k, 0)];
                        for d in 0..self.input.depth {
                            for u in 0..rows.f {
                                // row oi·S + u − P; None in the padding
                                let Some(i) = rows.input_index(oi, u) else {
                                    continue;
                                };
                                for v in 0..cols.f {
                                    let Some(j) = cols.input_index(oj, v)
                                    else {
                                        continue;
                                    };
                                    sum += filter[(d, u, v)] * image[(d, i, j)];
                                }
                            }
                        }
                        y[(k, oi, oj)] = sum;
                    }
                }
            }
            out.push(y);
        }
        (out, ConvCache { x: x.to_vec() })
        // END SOLUTION
        // ANCHOR_END: forward_reference
    }

    /// The reference backward, by the same loops: each output entry
    /// `y[k,i',j']` received `w_k[d,u,v] · x[d,i,j]` for every offset, so it
    /// sends `dy · x[d,i,j]` to `dw_k[d,u,v]`, `dy · w_k[d,u,v]` to
    /// `dx[d,i,j]`, and `dy` to `db_k`.
    ///
    /// Book: `fc-and-conv/conv.md#backward`.
    ///
    /// # Panics
    /// When `d_out` does not hold one `K x H' x W'` volume per image.
    pub fn backward_reference(
        &self,
        cache: &ConvCache,
        d_out: &[Volume],
    ) -> (ConvParams, Vec<Volume>) {
        let f = "conv::backward_reference";
        expect_same_batch(f, "x", cache.x.len(), "d_out", d_out.len());
        expect_volumes(f, "d_out", d_out, self.output_shape());
        // ANCHOR: backward_reference
        // BEGIN SOLUTION conv-backward-naive
        let (rows, cols) = (self.rows, self.cols);
        let mut grads = self.params.zeros_like();
        let mut d_x: Vec<Volume> =
            cache.x.iter().map(|v| Volume::zeros(v.shape())).collect();
        for (b, (image, d_y)) in cache.x.iter().zip(d_out).enumerate() {
            for (k, filter) in self.params.w.iter().enumerate() {
                for oi in 0..rows.out {
                    for oj in 0..cols.out {
                        let g = d_y[(k, oi, oj)];
                        // forward: y[k,oi,oj] = b_k + Σ w_k[d,u,v] x[d,i,j]
                        grads.b[(k, 0)] += g;
                        for d in 0..self.input.depth {
                            for u in 0..rows.f {
                                let Some(i) = rows.input_index(oi, u) else {
                                    continue;
                                };
                                for v in 0..cols.f {
                                    let Some(j) = cols.input_index(oj, v)
                                    else {
                                        continue;
                                    };
                                    grads.w[k][(d, u, v)] +=
                                        g * image[(d, i, j)];
                                    d_x[b][(d, i, j)] += g * filter[(d, u, v)];
                                }
                            }
                        }
                    }
                }
            }
        }
        (grads, d_x)
        // END SOLUTION
        // ANCHOR_END: backward_reference
    }
}

/// `mᵀ` as a view (swapped strides), so the matrix product reads `m` in
/// place instead of copying it.
fn transposed(
    m: &DMatrix<f64>,
) -> nalgebra::DMatrixView<'_, f64, nalgebra::Dyn, nalgebra::Dyn> {
    use nalgebra::Dyn;
    let (r, c) = m.shape();
    nalgebra::DMatrixView::from_slice_with_strides_generic(
        m.as_slice(),
        Dyn(c),
        Dyn(r),
        Dyn(r),
        Dyn(1),
    )
}
