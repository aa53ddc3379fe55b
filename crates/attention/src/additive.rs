//! Additive (Bahdanau) scoring, the second way to compare a query with a
//! key: `s_i = vᵀ tanh(W_q q + W_k k_i)` (Bahdanau, Cho & Bengio 2015), a
//! one-hidden-layer network instead of a dot product, so query and keys may
//! have different sizes. The rest is as in [`crate::attention`]:
//! `p = softmax(s)`, `z = Σ_i p_i v_i`. Not an exercise; gradient-checked.
//! Book: `attention/attention.md#additive-scoring`.

use foundations::ops::{add_bias, sum_columns};
use foundations::shape::{Dim, expect_shape};
use foundations::{Error, Mat, Rng, impl_params, init};

/// The parameters of additive scoring with `a` hidden units: `w_q`
/// (`a x d_q`), `w_k` (`a x d_k`), `v` (`a x 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Additive {
    /// `W_q`, `a x d_q`.
    pub w_q: Mat,
    /// `W_k`, `a x d_k`.
    pub w_k: Mat,
    /// `v`, `a x 1`.
    pub v: Mat,
}
impl_params!(Additive { w_q, w_k, v });

/// What [`Additive::backward`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AdditiveCache {
    q: Mat,
    keys: Mat,
    values: Mat,
    /// `U = tanh(W_q q 1ᵀ + W_k K)`, `a x N`: column `i` is `u_i`.
    u: Mat,
    /// The attention distribution, `N x 1`.
    pub p: Mat,
}

impl Additive {
    /// Xavier-initialised parameters.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        d_q: usize,
        d_k: usize,
        a: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        if d_q == 0 || d_k == 0 || a == 0 {
            return Err(Error::config(
                "Additive::new",
                format!("sizes d_q = {d_q}, d_k = {d_k}, a = {a} must be ≥ 1"),
            ));
        }
        Ok(Additive {
            w_q: init::xavier(a, d_q, rng),
            w_k: init::xavier(a, d_k, rng),
            v: init::xavier(a, 1, rng),
        })
    }

    /// `z = Σ_i p_i v_i` with `p = softmax(s)`,
    /// `s_i = vᵀ tanh(W_q q + W_k k_i)`.
    ///
    /// # Panics
    /// When shapes do not fit: `q` must be `d_q x 1`, `keys` `d_k x N`,
    /// `values` `d_v x N`, `N ≥ 1`.
    pub fn forward(
        &self,
        q: &Mat,
        keys: &Mat,
        values: &Mat,
    ) -> (Mat, AdditiveCache) {
        let f = "Additive::forward";
        assert!(
            keys.ncols() > 0,
            "{f}: keys is {}x0: an empty source has nothing to attend to \
             (N must be at least 1)",
            keys.nrows()
        );
        let (a, d_q) = self.w_q.shape();
        expect_shape(f, "q", q, Dim::Is(d_q), Dim::Is(1));
        expect_shape(f, "keys", keys, Dim::Is(self.w_k.ncols()), Dim::Any("N"));
        expect_shape(
            f,
            "values",
            values,
            Dim::Any("d_v"),
            Dim::Is(keys.ncols()),
        );
        let n = keys.ncols();
        // ANCHOR: additive_forward
        // u_i = tanh(W_q q + W_k k_i), s_i = vᵀ u_i
        let mut u = add_bias(&self.w_k * keys, &(&self.w_q * q));
        u.apply(|x| *x = x.tanh());
        let s = u.transpose() * &self.v;
        // ANCHOR_END: additive_forward
        debug_assert_eq!((s.nrows(), a), (n, u.nrows()));
        let p = foundations::softmax::softmax_columns(&s);
        let z = values * &p;
        let cache = AdditiveCache {
            q: q.clone(),
            keys: keys.clone(),
            values: values.clone(),
            u,
            p,
        };
        (z, cache)
    }

    /// From `d_z`: the parameter gradients and `(∂L/∂q, ∂L/∂keys,
    /// ∂L/∂values)`.
    ///
    /// # Panics
    /// When `d_z` is not `d_v x 1`.
    pub fn backward(
        &self,
        cache: &AdditiveCache,
        d_z: &Mat,
    ) -> (Additive, Mat, Mat, Mat) {
        let f = "Additive::backward";
        let dv = cache.values.nrows();
        expect_shape(f, "d_z", d_z, Dim::Is(dv), Dim::Is(1));
        let AdditiveCache {
            q,
            keys,
            values,
            u,
            p,
        } = cache;
        // ANCHOR: additive_backward
        // forward: z = V p, so ∂L/∂V = ∂L/∂z pᵀ and ∂L/∂p = Vᵀ ∂L/∂z
        let d_values = d_z * p.transpose();
        let d_p = values.transpose() * d_z;
        // forward: p = softmax(s): (diag(p) − p pᵀ) ∂L/∂p without the matrix
        let dot = p.dot(&d_p);
        let d_s = p.component_mul(&d_p.add_scalar(-dot));
        // forward: s_i = vᵀ u_i, so ∂L/∂v = U ∂L/∂s, ∂L/∂u_i = ∂L/∂s_i v
        let d_v = u * &d_s;
        // forward: u_i = tanh(pre_i): ∂L/∂pre_i = ∂L/∂u_i ⊙ (1 − u_i²)
        let mut d_pre = &self.v * d_s.transpose();
        d_pre.zip_apply(u, |g, ui| *g *= 1.0 - ui * ui);
        // forward: pre_i = W_q q + W_k k_i
        let d_pre_sum = sum_columns(&d_pre);
        let d_w_q = &d_pre_sum * q.transpose();
        let d_w_k = &d_pre * keys.transpose();
        let d_q = self.w_q.transpose() * &d_pre_sum;
        let d_keys = self.w_k.transpose() * &d_pre;
        // ANCHOR_END: additive_backward
        let grads = Additive {
            w_q: d_w_q,
            w_k: d_w_k,
            v: d_v,
        };
        (grads, d_q, d_keys, d_values)
    }
}
