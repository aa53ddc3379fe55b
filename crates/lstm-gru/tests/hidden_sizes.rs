//! Hidden tests (never in the student version; `cargo course grade` runs
//! them, Gradescope shows them after the due date): the two step backward
//! passes on sizes larger than any visible test draws, where an index that
//! mixes up `n`, `D` and `B` cannot hide behind a coincidence of small
//! sizes. Same module names as the exercises.

use foundations::{Mat, Named, assert_gradients, init, rng};
use lstm_gru::{Gru, Lstm, LstmState, LstmStateGrads};

fn rand_mat(r: usize, c: usize, seed: u64) -> Mat {
    init::uniform(r, c, 0.8, &mut rng(seed))
}

fn dot(u: &Mat, m: &Mat) -> f64 {
    u.component_mul(m).sum()
}

mod lstm_step_backward {
    use super::*;

    #[test]
    fn matches_numeric_gradients_with_n_7_d_5_b_4() {
        let (n, d, b) = (7, 5, 4);
        let l = Lstm {
            w: rand_mat(4 * n, n + d, 1),
            b: rand_mat(4 * n, 1, 2),
        };
        let (x, h0, c0) =
            (rand_mat(d, b, 3), rand_mat(n, b, 4), rand_mat(n, b, 5));
        let (u, v) = (rand_mat(n, b, 6), rand_mat(n, b, 7));
        let st = LstmState {
            h: h0.clone(),
            c: c0.clone(),
        };
        let (_, cache) = l.step_forward(&x, &st);
        let d_next = LstmStateGrads {
            d_h: u.clone(),
            d_c: v.clone(),
        };
        let (g, dx, dprev) = l.step_backward(&cache, &d_next);
        let theta =
            (l, Named("x", x), Named("h_prev", h0), Named("c_prev", c0));
        let grads = (
            g,
            Named("x", dx),
            Named("h_prev", dprev.d_h),
            Named("c_prev", dprev.d_c),
        );
        assert_gradients(
            "lstm::step_backward (hidden, n = 7, D = 5, B = 4)",
            &theta,
            &grads,
            |p| {
                let st = LstmState {
                    h: p.2.1.clone(),
                    c: p.3.1.clone(),
                };
                let (next, _) = p.0.step_forward(&p.1.1, &st);
                dot(&u, &next.h) + dot(&v, &next.c)
            },
        );
    }
}

mod gru_step_backward {
    use super::*;

    #[test]
    fn matches_numeric_gradients_with_n_6_d_5_b_3() {
        let (n, d, b) = (6, 5, 3);
        let g = Gru {
            w_xr: rand_mat(n, d, 10),
            w_hr: rand_mat(n, n, 11),
            b_r: rand_mat(n, 1, 12),
            w_xz: rand_mat(n, d, 13),
            w_hz: rand_mat(n, n, 14),
            b_z: rand_mat(n, 1, 15),
            w_xh: rand_mat(n, d, 16),
            w_hh: rand_mat(n, n, 17),
            b_h: rand_mat(n, 1, 18),
        };
        let (x, hp, u) =
            (rand_mat(d, b, 19), rand_mat(n, b, 20), rand_mat(n, b, 21));
        let (_, cache) = g.step_forward(&x, &hp);
        let (grads, dx, dh) = g.step_backward(&cache, &u);
        let theta = (g, Named("x", x), Named("h_prev", hp));
        let grads = (grads, Named("x", dx), Named("h_prev", dh));
        assert_gradients(
            "gru::step_backward (hidden, n = 6, D = 5, B = 3)",
            &theta,
            &grads,
            |p| dot(&u, &p.0.step_forward(&p.1.1, &p.2.1).0),
        );
    }
}
