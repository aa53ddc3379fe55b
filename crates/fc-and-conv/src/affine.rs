//! The fully connected (affine) layer on a batch of columns:
//! $Y = W X + b\,\mathbf{1}^\top$, `X` is `n_in x B`, `W` is `n_out x n_in`,
//! `b` is `n_out x 1`.
//!
//! The slide's example: a 32x32x3 image flattened to 3072 numbers, `W` of
//! 10x3072, ten scores.
//!
//! [`Affine::forward_reference`] / [`Affine::backward_reference`] are the
//! sums of the slide written as loops (the reference, the exercises);
//! [`Affine::forward`] / [`Affine::backward`] are the engine (matrix
//! products), tested equal to them.
//!
//! Book: `fc-and-conv/affine.md#forward`, `fc-and-conv/affine.md#backward`.

use foundations::ops::{add_bias, sum_columns};
use foundations::shape::{Dim, expect_shape};
use foundations::{DMatrix, Error, Rng, impl_params};

/// `W` (`n_out x n_in`) and `b` (`n_out x 1`); gradients are a second value.
#[derive(Debug, Clone, PartialEq)]
pub struct AffineParams {
    /// The weight matrix `W`.
    pub w: DMatrix<f64>,
    /// The bias column `b`.
    pub b: DMatrix<f64>,
}
impl_params!(AffineParams { w, b });

/// A fully connected layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Affine {
    /// `W` and `b`.
    pub params: AffineParams,
}

impl foundations::Params for Affine {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        self.params.visit(f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        self.params.visit_mut(f);
    }
}

/// What the backward needs: the input `X`.
#[derive(Debug, Clone, PartialEq)]
pub struct AffineCache {
    /// The input batch, `n_in x B`.
    pub x: DMatrix<f64>,
}

impl Affine {
    /// `n_in → n_out`, `W` He-initialised (for a following ReLU), `b = 0`.
    ///
    /// # Errors
    /// [`Error::Config`] when `n_in` or `n_out` is zero.
    pub fn new(
        n_in: usize,
        n_out: usize,
        rng: &mut Rng,
    ) -> Result<Affine, Error> {
        Affine::from_params(AffineParams {
            w: foundations::init::he(n_out, n_in, n_in.max(1), rng),
            b: DMatrix::zeros(n_out, 1),
        })
    }

    /// A layer with the given `W` and `b`.
    ///
    /// # Errors
    /// [`Error::Config`] when `W` has a zero dimension or `b` is not
    /// `n_out x 1`.
    pub fn from_params(params: AffineParams) -> Result<Affine, Error> {
        let (n_out, n_in) = params.w.shape();
        if n_out == 0 || n_in == 0 {
            return Err(Error::config(
                "affine",
                format!("W is {n_out}x{n_in}: a layer needs n_out, n_in ≥ 1"),
            ));
        }
        if params.b.shape() != (n_out, 1) {
            return Err(Error::config(
                "affine",
                format!(
                    "b is {}x{}, expected {n_out}x1 (one bias per output)",
                    params.b.nrows(),
                    params.b.ncols()
                ),
            ));
        }
        Ok(Affine { params })
    }

    /// Inputs per example, `n_in`.
    pub fn n_in(&self) -> usize {
        self.params.w.ncols()
    }

    /// Outputs per example, `n_out`.
    pub fn n_out(&self) -> usize {
        self.params.w.nrows()
    }

    fn check_x(&self, func: &str, x: &DMatrix<f64>) {
        expect_shape(func, "x", x, Dim::Is(self.n_in()), Dim::Any("B"));
    }

    fn check_dy(&self, func: &str, cache: &AffineCache, d_y: &DMatrix<f64>) {
        let b = cache.x.ncols();
        expect_shape(func, "d_y", d_y, Dim::Is(self.n_out()), Dim::Is(b));
    }

    /// The engine's forward: `Y = W X + b 1ᵀ`.
    ///
    /// # Panics
    /// When `x` is not `n_in x B` (`affine::forward: x is 5x2, expected
    /// 3072 x B`).
    // ANCHOR: forward
    pub fn forward(&self, x: &DMatrix<f64>) -> (DMatrix<f64>, AffineCache) {
        self.check_x("affine::forward", x);
        let y = add_bias(&self.params.w * x, &self.params.b);
        (y, AffineCache { x: x.clone() })
    }
    // ANCHOR_END: forward

    /// The engine's backward: `dW = dY Xᵀ`, `db = dY 1`, `dX = Wᵀ dY`.
    ///
    /// # Panics
    /// When `d_y` is not `n_out x B`.
    // ANCHOR: backward
    pub fn backward(
        &self,
        cache: &AffineCache,
        d_y: &DMatrix<f64>,
    ) -> (AffineParams, DMatrix<f64>) {
        self.check_dy("affine::backward", cache, d_y);
        // forward: Y = W X + b 1ᵀ
        let w = d_y * cache.x.transpose();
        let b = sum_columns(d_y);
        let d_x = self.params.w.transpose() * d_y;
        (AffineParams { w, b }, d_x)
    }
    // ANCHOR_END: backward

    /// The reference forward, the slide's sum for every output and example:
    /// `y[i, n] = b[i] + Σ_j W[i, j] · x[j, n]`.
    ///
    /// Book: `fc-and-conv/affine.md#forward`.
    ///
    /// # Panics
    /// When `x` is not `n_in x B`.
    pub fn forward_reference(
        &self,
        x: &DMatrix<f64>,
    ) -> (DMatrix<f64>, AffineCache) {
        self.check_x("affine::forward_reference", x);
        // ANCHOR: forward_reference
        // BEGIN SOLUTION affine-forward
        let (w, b) = (&self.params.w, &self.params.b);
        let mut y = DMatrix::zeros(self.n_out(), x.ncols());
        for n in 0..x.ncols() {
            for i in 0..self.n_out() {
                let mut sum = b[(i, 0)];
                for j in 0..self.n_in() {
                    sum += w[(i, j)] * x[(j, n)];
                }
                y[(i, n)] = sum;
            }
        }
        (y, AffineCache { x: x.clone() })
        // END SOLUTION
        // ANCHOR_END: forward_reference
    }

    /// The reference backward, entry by entry:
    /// `dW[i,j] = Σ_n dy[i,n] x[j,n]`, `db[i] = Σ_n dy[i,n]`,
    /// `dx[j,n] = Σ_i W[i,j] dy[i,n]`.
    ///
    /// Book: `fc-and-conv/affine.md#backward`.
    ///
    /// # Panics
    /// When `d_y` is not `n_out x B`.
    pub fn backward_reference(
        &self,
        cache: &AffineCache,
        d_y: &DMatrix<f64>,
    ) -> (AffineParams, DMatrix<f64>) {
        self.check_dy("affine::backward_reference", cache, d_y);
        // ANCHOR: backward_reference
        // BEGIN SOLUTION affine-backward
        let (x, w) = (&cache.x, &self.params.w);
        let mut d_w = DMatrix::zeros(self.n_out(), self.n_in());
        let mut d_b = DMatrix::zeros(self.n_out(), 1);
        let mut d_x = DMatrix::zeros(self.n_in(), x.ncols());
        for n in 0..x.ncols() {
            for i in 0..self.n_out() {
                // forward: y[i,n] = b[i] + Σ_j W[i,j] x[j,n]
                let g = d_y[(i, n)];
                d_b[(i, 0)] += g;
                for j in 0..self.n_in() {
                    d_w[(i, j)] += g * x[(j, n)];
                    d_x[(j, n)] += g * w[(i, j)];
                }
            }
        }
        (AffineParams { w: d_w, b: d_b }, d_x)
        // END SOLUTION
        // ANCHOR_END: backward_reference
    }
}
