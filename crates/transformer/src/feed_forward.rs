//! The position-wise feed-forward network (Vaswani et al. 2017, §3.3): the
//! same two affine maps for every token, `FFN(x) = W_2 φ(W_1 x + b_1) + b_2`,
//! with `φ` ReLU (the paper) or GELU (GPT).
//! Book: `transformer/layers.md#feed-forward`.

use foundations::ops::{add_bias, sum_columns};
use foundations::shape::{Dim, expect_same_shape, expect_shape};
use foundations::{DMatrix, Error, Rng, impl_params, init};

/// The nonlinearity between the two maps.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub enum Activation {
    /// `max(0, z)`.
    Relu,
    /// `½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))` (Hendrycks & Gimpel 2016).
    Gelu,
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)

impl Activation {
    /// `φ(z)`.
    pub fn apply(self, z: f64) -> f64 {
        self.apply_with_derivative(z).0
    }

    /// `φ'(z)` (ReLU's kink at 0 gets 0).
    pub fn derivative(self, z: f64) -> f64 {
        self.apply_with_derivative(z).1
    }

    /// `(φ(z), φ'(z))` with one `exp`; for GELU, with
    /// `u = √(2/π)(z + 0.044715 z³)`:
    /// `φ'(z) = ½(1 + tanh u) + ½ z (1 − tanh² u) u'`.
    pub fn apply_with_derivative(self, z: f64) -> (f64, f64) {
        match self {
            Activation::Relu => {
                if z > 0.0 {
                    (z, 1.0)
                } else {
                    (0.0, 0.0)
                }
            }
            Activation::Gelu => {
                // tanh u = 1 − 2/(e^{2u} + 1): one exp, cheaper than tanh
                let e = (2.0 * GELU_C * (z + 0.044715 * z * z * z)).exp();
                let th = 1.0 - 2.0 / (e + 1.0);
                let du = GELU_C * (1.0 + 3.0 * 0.044715 * z * z);
                (
                    0.5 * z * (1.0 + th),
                    0.5 * (1.0 + th) + 0.5 * z * (1.0 - th * th) * du,
                )
            }
        }
    }
}

/// `W_1` (`d_ff x d`), `b_1`, `W_2` (`d x d_ff`), `b_2`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedForward {
    /// First map, `d_ff x d`.
    pub w1: DMatrix<f64>,
    /// First bias, `d_ff x 1`.
    pub b1: DMatrix<f64>,
    /// Second map, `d x d_ff`.
    pub w2: DMatrix<f64>,
    /// Second bias, `d x 1`.
    pub b2: DMatrix<f64>,
    /// `φ` (not a parameter).
    pub activation: Activation,
}
impl_params!(FeedForward { w1, b1, w2, b2 });

/// What backward needs.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedForwardCache {
    /// The input, `d x T`.
    pub x: DMatrix<f64>,
    /// `z = W_1 x + b_1`, `d_ff x T`.
    pub z: DMatrix<f64>,
    /// `φ(z)`, `d_ff x T`.
    pub h: DMatrix<f64>,
}

impl FeedForward {
    /// He-initialised maps, zero biases.
    ///
    /// # Errors
    /// When `d` or `d_ff` is 0.
    pub fn new(
        d: usize,
        d_ff: usize,
        activation: Activation,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        if d == 0 || d_ff == 0 {
            return Err(Error::config(
                "FeedForward",
                format!("widths d = {d} and d_ff = {d_ff} must be ≥ 1"),
            ));
        }
        Ok(FeedForward {
            w1: init::he(d_ff, d, d, rng),
            b1: DMatrix::zeros(d_ff, 1),
            w2: init::xavier(d, d_ff, rng),
            b2: DMatrix::zeros(d, 1),
            activation,
        })
    }

    /// `y = W_2 φ(W_1 x + b_1) + b_2`, every column.
    ///
    /// # Panics
    /// When `x` does not have `d` rows.
    pub fn forward(
        &self,
        x: &DMatrix<f64>,
    ) -> (DMatrix<f64>, FeedForwardCache) {
        let d = self.w1.ncols();
        expect_shape(
            "feed_forward::forward",
            "x",
            x,
            Dim::Is(d),
            Dim::Any("T"),
        );
        // ANCHOR: forward
        let z = add_bias(&self.w1 * x, &self.b1); // z = W_1 x + b_1
        let act = self.activation;
        let h = z.map(|z| act.apply(z)); // h = φ(z)
        let y = add_bias(&self.w2 * &h, &self.b2); // y = W_2 h + b_2
        // ANCHOR_END: forward
        let cache = FeedForwardCache { x: x.clone(), z, h };
        (y, cache)
    }

    /// Backward of [`Self::forward`].
    ///
    /// # Panics
    /// When `d_y` is not `d x T`.
    pub fn backward(
        &self,
        cache: &FeedForwardCache,
        d_y: &DMatrix<f64>,
    ) -> (FeedForward, DMatrix<f64>) {
        let func = "feed_forward::backward";
        expect_same_shape(func, "x", &cache.x, "d_y", d_y);
        // ANCHOR: backward
        // y = W_2 h + b_2
        let d_w2 = d_y * cache.h.transpose();
        let d_b2 = sum_columns(d_y);
        let mut d_z = self.w2.tr_mul(d_y);
        // h = φ(z)
        let act = self.activation;
        d_z.zip_apply(&cache.z, |dz, z| *dz *= act.derivative(z));
        // z = W_1 x + b_1
        let d_w1 = &d_z * cache.x.transpose();
        let d_b1 = sum_columns(&d_z);
        let d_x = self.w1.tr_mul(&d_z);
        // ANCHOR_END: backward
        let grads = FeedForward {
            w1: d_w1,
            b1: d_b1,
            w2: d_w2,
            b2: d_b2,
            activation: act,
        };
        (grads, d_x)
    }
}
