//! Layer normalisation (Ba et al. 2016), one token (column) at a time:
//! `μ = (1/d) Σ_r x_r`, `σ² = (1/d) Σ_r (x_r − μ)²`,
//! `x̂ = (x − μ)/√(σ² + ε)`, `y = γ ⊙ x̂ + β`.
//! Book: `transformer/layer-norm.md#forward`.

use foundations::shape::{Dim, expect_same_shape, expect_shape};
use foundations::{DMatrix, Error, impl_params};

/// `ε` inside the square root.
pub const EPS: f64 = 1e-5;

/// Gain and shift, `d x 1` each.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNorm {
    /// Gain `γ`, starts at 1.
    pub gamma: DMatrix<f64>,
    /// Shift `β`, starts at 0.
    pub beta: DMatrix<f64>,
}
impl_params!(LayerNorm { gamma, beta });

/// What backward needs: the normalised tokens and `1/√(σ² + ε)` per token.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNormCache {
    /// The input `x`, `d x T`.
    pub x: DMatrix<f64>,
    /// `x̂`, `d x T`.
    pub x_hat: DMatrix<f64>,
    /// `μ` per token, `T` entries.
    pub mean: Vec<f64>,
    /// `1/√(σ² + ε)` per token, `T` entries.
    pub inv_std: Vec<f64>,
}

impl LayerNorm {
    /// `γ = 1`, `β = 0` for width `d`.
    ///
    /// # Errors
    /// When `d` is 0.
    pub fn new(d: usize) -> Result<Self, Error> {
        if d == 0 {
            return Err(Error::config("LayerNorm", "width d must be ≥ 1"));
        }
        Ok(LayerNorm {
            gamma: DMatrix::from_element(d, 1, 1.0),
            beta: DMatrix::zeros(d, 1),
        })
    }

    /// `y = γ ⊙ (x − μ)/√(σ² + ε) + β`, column by column.
    ///
    /// # Panics
    /// When `x` does not have `d` rows.
    pub fn forward(&self, x: &DMatrix<f64>) -> (DMatrix<f64>, LayerNormCache) {
        let d = self.gamma.nrows();
        expect_shape("layer_norm::forward", "x", x, Dim::Is(d), Dim::Any("T"));
        let mut x_hat = x.clone();
        let mut mean = Vec::with_capacity(x.ncols());
        let mut inv_std = Vec::with_capacity(x.ncols());
        // ANCHOR: forward
        for mut col in x_hat.column_iter_mut() {
            let mu = col.sum() / d as f64; // μ
            col.add_scalar_mut(-mu);
            let var = col.norm_squared() / d as f64; // σ²
            let r = 1.0 / (var + EPS).sqrt();
            col *= r; // x̂ = (x − μ)/√(σ² + ε)
            mean.push(mu);
            inv_std.push(r);
        }
        let mut y = x_hat.clone();
        for mut col in y.column_iter_mut() {
            col.component_mul_assign(&self.gamma); // γ ⊙ x̂
            col += &self.beta; // + β
        }
        // ANCHOR_END: forward
        let cache = LayerNormCache {
            x: x.clone(),
            x_hat,
            mean,
            inv_std,
        };
        (y, cache)
    }

    /// The reference backward (the exercise), the classic way: through `σ²`
    /// and `μ` as in the batch-norm paper (Ioffe & Szegedy 2015), but over
    /// the `d` rows of one token. The layers run [`Self::backward`], tested
    /// equal to this.
    ///
    /// Book: `transformer/layer-norm.md#backward`.
    ///
    /// # Panics
    /// When `d_y` is not the shape of the input.
    pub fn backward_reference(
        &self,
        cache: &LayerNormCache,
        d_y: &DMatrix<f64>,
    ) -> (LayerNorm, DMatrix<f64>) {
        let func = "layer_norm::backward_reference";
        expect_same_shape(func, "x", &cache.x, "d_y", d_y);
        // ANCHOR: backward_reference
        // BEGIN SOLUTION layer-norm-backward
        let d = cache.x.nrows();
        let n = d as f64;
        let mut grads = LayerNorm {
            gamma: DMatrix::zeros(d, 1),
            beta: DMatrix::zeros(d, 1),
        };
        let mut d_x = DMatrix::zeros(d, cache.x.ncols());
        for t in 0..cache.x.ncols() {
            let (mu, r) = (cache.mean[t], cache.inv_std[t]);
            let mut d_var = 0.0;
            let mut d_mu = 0.0;
            let mut sum_centered = 0.0;
            for k in 0..d {
                let dy = d_y[(k, t)];
                // y = γ ⊙ x̂ + β
                grads.gamma[k] += dy * cache.x_hat[(k, t)];
                grads.beta[k] += dy;
                let d_xhat = dy * self.gamma[k];
                // x̂ = (x − μ) · (σ² + ε)^{−1/2}
                let c = cache.x[(k, t)] - mu;
                d_var += d_xhat * c * -0.5 * r * r * r;
                d_mu += -d_xhat * r;
                sum_centered += c;
            }
            // σ² = (1/d) Σ (x − μ)²: its μ-path is −(2/d) Σ (x − μ)
            d_mu += d_var * -2.0 * sum_centered / n;
            for k in 0..d {
                let d_xhat = d_y[(k, t)] * self.gamma[k];
                let c = cache.x[(k, t)] - mu;
                // x reaches L through x̂, σ² and μ = (1/d) Σ x
                d_x[(k, t)] = d_xhat * r + d_var * 2.0 * c / n + d_mu / n;
            }
        }
        (grads, d_x)
        // END SOLUTION
        // ANCHOR_END: backward_reference
    }

    /// The backward the layers run ([`crate::encoder_layer`],
    /// [`crate::decoder_layer`], the models): the exercise,
    /// [`Self::backward_reference`]. (The fused GPT, [`crate::fast_gpt`],
    /// has a compact form of its own, tested equal through the whole
    /// model.)
    ///
    /// # Panics
    /// When `d_y` is not the shape of the input.
    pub fn backward(
        &self,
        cache: &LayerNormCache,
        d_y: &DMatrix<f64>,
    ) -> (LayerNorm, DMatrix<f64>) {
        self.backward_reference(cache, d_y)
    }
}
