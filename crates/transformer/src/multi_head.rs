//! Multi-head attention (Vaswani et al. 2017, §3.2.2): project the tokens
//! with `W_Q`, `W_K`, `W_V` (`d x d`), split the rows into `h` heads of
//! `d_k = d/h`, attend in each head, stack the heads back into `d` rows and
//! multiply by `W_O`, so the output keeps the hidden size `d`.
//! Book: `transformer/multi-head.md#forward`.

use crate::attention::{self, AttentionCache, Mask};
use foundations::shape::{Dim, expect_same_shape, expect_shape};
use foundations::{Error, Rng, impl_params, init};
use nalgebra::DMatrix;

/// The four projections; the number of heads rides along (not a parameter).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiHeadAttention {
    /// Query projection, `d x d`.
    pub w_q: DMatrix<f64>,
    /// Key projection, `d x d`.
    pub w_k: DMatrix<f64>,
    /// Value projection, `d x d`.
    pub w_v: DMatrix<f64>,
    /// Output projection, `d x d`.
    pub w_o: DMatrix<f64>,
    /// `h`, the number of heads.
    pub heads: usize,
}
impl_params!(MultiHeadAttention { w_q, w_k, w_v, w_o }
    layouts = MultiHeadAttention::head_layouts);

/// What backward needs.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiHeadCache {
    /// The queries' tokens, `d x T_q`.
    pub x_q: DMatrix<f64>,
    /// The keys' and values' tokens, `d x T_k`.
    pub x_kv: DMatrix<f64>,
    /// One cache per head.
    pub heads: Vec<AttentionCache>,
    /// The heads stacked back, `d x T_q` (the input of `W_O`).
    pub concat: DMatrix<f64>,
}

impl MultiHeadAttention {
    /// Xavier-initialised projections for width `d` and `h` heads.
    ///
    /// # Errors
    /// When `d` or `h` is 0, or `d` is not divisible by `h`.
    pub fn new(d: usize, heads: usize, rng: &mut Rng) -> Result<Self, Error> {
        if d == 0 || heads == 0 {
            return Err(Error::config(
                "MultiHeadAttention",
                format!("width d = {d} and heads h = {heads} must be ≥ 1"),
            ));
        }
        if !d.is_multiple_of(heads) {
            return Err(Error::config(
                "MultiHeadAttention",
                format!(
                    "width d = {d} is not divisible by h = {heads} heads \
                     (each head gets d/h rows)"
                ),
            ));
        }
        Ok(MultiHeadAttention {
            w_q: init::xavier(d, d, rng),
            w_k: init::xavier(d, d, rng),
            w_v: init::xavier(d, d, rng),
            w_o: init::xavier(d, d, rng),
            heads,
        })
    }

    /// `d`, the model width.
    pub fn width(&self) -> usize {
        self.w_q.nrows()
    }

    /// `d_k = d/h`, the rows of one head.
    pub fn head_size(&self) -> usize {
        self.width() / self.heads
    }

    /// The lecture's names of the projections' entries, for gradient
    /// reports: `W_Q`, `W_K`, `W_V` by head and row (each head reads its
    /// `d_k` rows), `W_O` by head and column (it reads the stacked heads).
    fn head_layouts(&self, f: &mut dyn FnMut(&str, foundations::Layout)) {
        use foundations::{Axis, Layout};
        for name in ["w_q", "w_k", "w_v"] {
            f(name, Layout::rows(Axis::heads(self.heads, "row")));
        }
        f("w_o", Layout::cols(Axis::heads(self.heads, "column")));
    }

    /// `Y = W_O concat_m(attention(Q_m, K_m, V_m))` with `Q = W_Q X_q`,
    /// `K = W_K X_kv`, `V = W_V X_kv`; self-attention passes the same
    /// tokens twice, the decoder's cross-attention passes the encoder's
    /// output as `x_kv`.
    ///
    /// # Panics
    /// When `x_q` or `x_kv` does not have `d` rows.
    pub fn forward(
        &self,
        x_q: &DMatrix<f64>,
        x_kv: &DMatrix<f64>,
        mask: Mask,
    ) -> (DMatrix<f64>, MultiHeadCache) {
        let (d, dk) = (self.width(), self.head_size());
        let func = "multi_head::forward";
        expect_shape(func, "x_q", x_q, Dim::Is(d), Dim::Any("T_q"));
        expect_shape(func, "x_kv", x_kv, Dim::Is(d), Dim::Any("T_k"));
        // ANCHOR: forward
        let q = &self.w_q * x_q; // Q = W_Q X
        let k = &self.w_k * x_kv; // K = W_K X
        let v = &self.w_v * x_kv; // V = W_V X
        let mut concat = DMatrix::zeros(d, x_q.ncols());
        let mut heads = Vec::with_capacity(self.heads);
        for m in 0..self.heads {
            let rows = m * dk..(m + 1) * dk; // head m's rows
            let (y_m, cache) = attention::forward(
                &q.rows_range(rows.clone()).into_owned(),
                &k.rows_range(rows.clone()).into_owned(),
                &v.rows_range(rows.clone()).into_owned(),
                mask,
            );
            concat.rows_range_mut(rows).copy_from(&y_m); // concatenate
            heads.push(cache);
        }
        let y = &self.w_o * &concat; // Y = W_O concat
        // ANCHOR_END: forward
        let cache = MultiHeadCache {
            x_q: x_q.clone(),
            x_kv: x_kv.clone(),
            heads,
            concat,
        };
        (y, cache)
    }

    /// Backward of [`Self::forward`]: the projections' gradients, `∂L/∂X_q`
    /// and `∂L/∂X_kv` (self-attention adds the two).
    ///
    /// Book: `transformer/multi-head.md#backward`.
    ///
    /// # Panics
    /// When `d_y` is not `d x T_q`.
    pub fn backward(
        &self,
        cache: &MultiHeadCache,
        d_y: &DMatrix<f64>,
    ) -> (MultiHeadAttention, DMatrix<f64>, DMatrix<f64>) {
        let func = "multi_head::backward";
        expect_same_shape(func, "x_q", &cache.x_q, "d_y", d_y);
        // ANCHOR: backward
        // BEGIN SOLUTION multi-head-backward
        let (d, dk) = (self.width(), self.head_size());
        let (t_q, t_k) = (cache.x_q.ncols(), cache.x_kv.ncols());
        // Y = W_O concat
        let d_w_o = d_y * cache.concat.transpose();
        let d_concat = self.w_o.tr_mul(d_y);
        // each head m owns rows m·d_k .. (m+1)·d_k of Q, K, V and concat
        let mut d_q = DMatrix::zeros(d, t_q);
        let mut d_k = DMatrix::zeros(d, t_k);
        let mut d_v = DMatrix::zeros(d, t_k);
        for (m, head) in cache.heads.iter().enumerate() {
            let rows = m * dk..(m + 1) * dk;
            let g = attention::backward(
                head,
                &d_concat.rows_range(rows.clone()).into_owned(),
            );
            d_q.rows_range_mut(rows.clone()).copy_from(&g.d_q);
            d_k.rows_range_mut(rows.clone()).copy_from(&g.d_k);
            d_v.rows_range_mut(rows).copy_from(&g.d_v);
        }
        // Q = W_Q X_q, K = W_K X_kv, V = W_V X_kv
        let grads = MultiHeadAttention {
            w_q: &d_q * cache.x_q.transpose(),
            w_k: &d_k * cache.x_kv.transpose(),
            w_v: &d_v * cache.x_kv.transpose(),
            w_o: d_w_o,
            heads: self.heads,
        };
        let d_x_q = self.w_q.tr_mul(&d_q);
        let d_x_kv = self.w_k.tr_mul(&d_k) + self.w_v.tr_mul(&d_v);
        (grads, d_x_q, d_x_kv)
        // END SOLUTION
        // ANCHOR_END: backward
    }
}
