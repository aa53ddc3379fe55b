//! Optimizers over any [`Params`]: state is keyed by the parameters' dotted
//! names. Book: *Foundations → Optimizers*.

use crate::params::Params;
use nalgebra::DMatrix;
use std::collections::HashMap;

/// One update `θ ← θ − step(∇θ)` for every named parameter.
pub trait Optimizer {
    /// Updates `params` in place from `grads` (the same type).
    fn step<P: Params>(&mut self, params: &mut P, grads: &P);
}

/// The gradients by name, in visiting order.
fn by_name<P: Params>(grads: &P) -> HashMap<String, DMatrix<f64>> {
    let mut out = HashMap::new();
    grads.visit(&mut |n, g| {
        out.insert(n.to_string(), g.clone());
    });
    out
}

/// Calls `update(name, θ, ∇θ, state)` for every parameter, creating each
/// state matrix as zeros the first time.
fn for_each<P: Params>(
    params: &mut P,
    grads: &P,
    states: &mut [&mut HashMap<String, DMatrix<f64>>],
    mut update: impl FnMut(
        &mut DMatrix<f64>,
        &DMatrix<f64>,
        &mut [&mut DMatrix<f64>],
    ),
) {
    let g = by_name(grads);
    params.visit_mut(&mut |name, theta| {
        let grad = g
            .get(name)
            .unwrap_or_else(|| panic!("optimizer: no gradient named {name:?}"));
        assert_eq!(
            grad.shape(),
            theta.shape(),
            "optimizer: gradient {name} has the wrong shape"
        );
        // Take each state matrix out, update, and put it back.
        let mut taken: Vec<DMatrix<f64>> = states
            .iter_mut()
            .map(|s| {
                s.remove(name).unwrap_or_else(|| {
                    DMatrix::zeros(theta.nrows(), theta.ncols())
                })
            })
            .collect();
        let mut refs: Vec<&mut DMatrix<f64>> = taken.iter_mut().collect();
        update(theta, grad, &mut refs);
        for (s, m) in states.iter_mut().zip(taken) {
            s.insert(name.to_string(), m);
        }
    });
}

/// Stochastic gradient descent with (optional) momentum:
/// `v ← μ v − η ∇θ; θ ← θ + v`.
#[derive(Debug, Clone, Default)]
pub struct Sgd {
    /// Learning rate η.
    pub lr: f64,
    /// Momentum μ (0 for plain SGD).
    pub momentum: f64,
    velocity: HashMap<String, DMatrix<f64>>,
}

impl Sgd {
    /// Plain SGD when `momentum` is 0.
    pub fn new(lr: f64, momentum: f64) -> Self {
        Sgd {
            lr,
            momentum,
            velocity: HashMap::new(),
        }
    }
}

impl Optimizer for Sgd {
    fn step<P: Params>(&mut self, params: &mut P, grads: &P) {
        let (lr, mu) = (self.lr, self.momentum);
        for_each(params, grads, &mut [&mut self.velocity], |theta, g, s| {
            // ANCHOR: sgd
            *s[0] *= mu;
            *s[0] -= g * lr;
            *theta += &*s[0];
            // ANCHOR_END: sgd
        });
    }
}

/// Adagrad (Duchi et al. 2011), as min-char-rnn uses it:
/// `m ← m + ∇θ²; θ ← θ − η ∇θ / sqrt(m + ε)` with `ε = 1e-8` inside the
/// square root. The update itself is [`clip_adagrad`] (with no clipping).
#[derive(Debug, Clone, Default)]
pub struct Adagrad {
    /// Learning rate η.
    pub lr: f64,
    memory: HashMap<String, DMatrix<f64>>,
}

impl Adagrad {
    /// With learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Adagrad {
            lr,
            memory: HashMap::new(),
        }
    }
}

impl Optimizer for Adagrad {
    fn step<P: Params>(&mut self, params: &mut P, grads: &P) {
        let lr = self.lr;
        for_each(params, grads, &mut [&mut self.memory], |theta, g, s| {
            let (t, m) = (theta.as_mut_slice(), s[0].as_mut_slice());
            clip_adagrad(t, g.as_slice(), m, f64::INFINITY, lr);
        });
    }
}

/// ε of Adagrad, inside the square root as in min-char-rnn.
pub const ADAGRAD_EPS: f64 = 1e-8;

/// The one Adagrad update, with min-char-rnn's element-wise clipping fused
/// in: for every entry, `g ← clip(g, −c, c); m ← m + g²;
/// θ ← θ − η g / sqrt(m + ε)`. [`Adagrad`] calls it with `c = ∞`; the fast
/// trainers of the RNN and LSTM chapters call it on their flat parameter
/// slices.
///
/// # Panics
/// When the three slices differ in length.
// ANCHOR: clip_adagrad
pub fn clip_adagrad(
    theta: &mut [f64],
    grad: &[f64],
    mem: &mut [f64],
    clip: f64,
    lr: f64,
) {
    assert!(
        theta.len() == grad.len() && grad.len() == mem.len(),
        "clip_adagrad: θ has {} entries, ∇θ {}, m {}",
        theta.len(),
        grad.len(),
        mem.len()
    );
    for ((t, &g), m) in theta.iter_mut().zip(grad).zip(mem) {
        let g = g.clamp(-clip, clip);
        *m += g * g;
        *t -= lr * g / (*m + ADAGRAD_EPS).sqrt();
    }
}
// ANCHOR_END: clip_adagrad

/// Adam (Kingma & Ba 2015) with bias correction.
#[derive(Debug, Clone, Default)]
pub struct Adam {
    /// Learning rate η.
    pub lr: f64,
    /// First-moment decay β₁.
    pub beta1: f64,
    /// Second-moment decay β₂.
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    t: i32,
    m: HashMap<String, DMatrix<f64>>,
    v: HashMap<String, DMatrix<f64>>,
}

impl Adam {
    /// With β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            ..Default::default()
        }
    }
}

impl Optimizer for Adam {
    fn step<P: Params>(&mut self, params: &mut P, grads: &P) {
        self.t += 1;
        let (lr, b1, b2, eps) = (self.lr, self.beta1, self.beta2, self.eps);
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        for_each(
            params,
            grads,
            &mut [&mut self.m, &mut self.v],
            |theta, g, s| {
                // ANCHOR: adam
                s[0].zip_apply(g, |m, g| *m = b1 * *m + (1.0 - b1) * g);
                s[1].zip_apply(g, |v, g| *v = b2 * *v + (1.0 - b2) * g * g);
                theta.zip_zip_apply(s[0], s[1], |t, m, v| {
                    *t -= lr * (m / c1) / ((v / c2).sqrt() + eps);
                });
                // ANCHOR_END: adam
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Named;

    /// Minimises `½‖θ − 3‖²` (gradient `θ − 3`).
    fn minimise(opt: &mut impl Optimizer, steps: usize) -> f64 {
        let mut p = Named("w", DMatrix::from_element(2, 2, 0.0));
        for _ in 0..steps {
            let g = Named("w", p.1.map(|v| v - 3.0));
            opt.step(&mut p, &g);
        }
        (p.1.map(|v| v - 3.0)).norm()
    }

    #[test]
    fn every_optimizer_reaches_the_minimum() {
        assert!(minimise(&mut Sgd::new(0.1, 0.0), 200) < 1e-6);
        assert!(minimise(&mut Sgd::new(0.05, 0.9), 400) < 1e-6);
        assert!(minimise(&mut Adagrad::new(1.0), 500) < 1e-4);
        assert!(minimise(&mut Adam::new(0.1), 1000) < 1e-3);
    }

    #[test]
    fn first_steps_are_as_the_formulas_say() {
        let g = Named("w", DMatrix::from_element(1, 1, 2.0));
        let mut p = Named("w", DMatrix::from_element(1, 1, 1.0));
        Sgd::new(0.1, 0.0).step(&mut p, &g);
        assert!((p.1[(0, 0)] - 0.8).abs() < 1e-15);
        let mut p = Named("w", DMatrix::from_element(1, 1, 1.0));
        Adagrad::new(0.1).step(&mut p, &g); // 1 − 0.1·2/2
        assert!((p.1[(0, 0)] - 0.9).abs() < 1e-9);
        let mut p = Named("w", DMatrix::from_element(1, 1, 1.0));
        Adam::new(0.1).step(&mut p, &g); // first Adam step is lr·sign(g)
        assert!((p.1[(0, 0)] - 0.9).abs() < 1e-8);
    }

    #[test]
    fn clip_adagrad_clips_before_the_memory() {
        let (mut t, mut m) = ([1.0, 1.0], [0.0, 0.0]);
        clip_adagrad(&mut t, &[10.0, -0.5], &mut m, 5.0, 0.1);
        assert_eq!(m, [25.0, 0.25]); // 10 is clipped to 5 first
        assert!((t[0] - 0.9).abs() < 1e-8 && (t[1] - 1.1).abs() < 1e-8);
    }

    #[test]
    #[should_panic(expected = "clip_adagrad: θ has 2 entries, ∇θ 1")]
    fn clip_adagrad_names_slices_of_different_lengths() {
        clip_adagrad(&mut [0.0; 2], &[0.0], &mut [0.0; 2], 1.0, 0.1);
    }
}
