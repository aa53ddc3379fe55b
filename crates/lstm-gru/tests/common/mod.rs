//! Helpers shared by `graded.rs` and the hidden tests (`hidden_*.rs`):
//! random cells and the step-backward gradient checks.
#![allow(dead_code)] // each test target uses a part

use foundations::{Mat, Named, assert_gradients, init, rng};
use lstm_gru::{Gru, Lstm, LstmState, LstmStateGrads};

/// Random entries in `[−scale, scale)` from a seeded generator.
pub fn rand_mat(r: usize, c: usize, scale: f64, seed: u64) -> Mat {
    init::uniform(r, c, scale, &mut rng(seed))
}

/// An LSTM with weights large enough that every gate matters.
pub fn lstm(n: usize, d: usize, seed: u64) -> Lstm {
    Lstm {
        w: rand_mat(4 * n, n + d, 0.8, seed),
        b: rand_mat(4 * n, 1, 0.5, seed + 1),
    }
}

pub fn gru(n: usize, d: usize, seed: u64) -> Gru {
    let m = |r, c, k| rand_mat(r, c, 0.8, seed * 16 + k);
    Gru {
        w_xr: m(n, d, 0),
        w_hr: m(n, n, 1),
        b_r: m(n, 1, 2),
        w_xz: m(n, d, 3),
        w_hz: m(n, n, 4),
        b_z: m(n, 1, 5),
        w_xh: m(n, d, 6),
        w_hh: m(n, n, 7),
        b_h: m(n, 1, 8),
    }
}

/// `⟨u, m⟩ = Σ u ⊙ m`: a scalar loss whose gradient with respect to `m` is
/// `u`.
pub fn dot(u: &Mat, m: &Mat) -> f64 {
    u.component_mul(m).sum()
}

/// The LSTM's step backward against central differences:
/// `L = ⟨u, h_t⟩ + ⟨v, c_t⟩`, so `∂L/∂h_t = u` and `∂L/∂c_t = v`.
pub fn check_lstm_step(n: usize, d: usize, b: usize, seed: u64) {
    let l = lstm(n, d, seed);
    let x = rand_mat(d, b, 1.0, seed + 10);
    let h0 = rand_mat(n, b, 1.0, seed + 11);
    let c0 = rand_mat(n, b, 1.0, seed + 12);
    let u = rand_mat(n, b, 1.0, seed + 13);
    let v = rand_mat(n, b, 1.0, seed + 14);
    let st = LstmState {
        h: h0.clone(),
        c: c0.clone(),
    };
    let (_, cache) = l.step_forward_reference(&st, &x);
    let d_next = LstmStateGrads {
        d_h: u.clone(),
        d_c: v.clone(),
    };
    let (g, dprev, dx) = l.step_backward_reference(&cache, &d_next);
    let theta = (l, Named("x", x), Named("h_prev", h0), Named("c_prev", c0));
    let grads = (
        g,
        Named("x", dx),
        Named("h_prev", dprev.d_h),
        Named("c_prev", dprev.d_c),
    );
    assert_gradients("Lstm::step_backward_reference", &theta, &grads, |p| {
        let st = LstmState {
            h: p.2.1.clone(),
            c: p.3.1.clone(),
        };
        let (next, _) = p.0.step_forward_reference(&st, &p.1.1);
        dot(&u, &next.h) + dot(&v, &next.c)
    });
}

/// The GRU's step backward against central differences: `L = ⟨u, h_t⟩`.
pub fn check_gru_step(n: usize, d: usize, b: usize, seed: u64) {
    let g = gru(n, d, seed);
    let x = rand_mat(d, b, 1.0, seed + 10);
    let hp = rand_mat(n, b, 1.0, seed + 11);
    let u = rand_mat(n, b, 1.0, seed + 12);
    let (_, cache) = g.step_forward_reference(&hp, &x);
    let (grads, dh, dx) = g.step_backward_reference(&cache, &u);
    let theta = (g, Named("x", x), Named("h_prev", hp));
    let grads = (grads, Named("x", dx), Named("h_prev", dh));
    assert_gradients("Gru::step_backward_reference", &theta, &grads, |p| {
        dot(&u, &p.0.step_forward_reference(&p.2.1, &p.1.1).0)
    });
}
