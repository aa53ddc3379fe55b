//! Graded tests of the lstm-gru exercises: one module per exercise, so
//! `cargo test -p lstm-gru --test graded lstm_step_backward::` runs one
//! exercise.
//!
//! Every gradient is compared with central differences by
//! `foundations::assert_gradients`, which names the gradient, the worst
//! entry, and the analytic and numeric values when they disagree.

use foundations::{Mat, Named, Steps, assert_gradients, graded_config, rng};
use lstm_gru::{Lstm, LstmState, LstmStateGrads};
use proptest::prelude::*;
use vanilla_rnn_bptt::RecurrentCell;

mod common;
use common::{dot, gru, lstm, rand_mat};

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fails with a message naming the quantity, the entry and both values.
#[track_caller]
fn assert_close(what: &str, got: &Mat, want: &Mat) {
    assert_eq!(
        got.shape(),
        want.shape(),
        "{what} has shape {:?}, expected {:?}",
        got.shape(),
        want.shape()
    );
    for j in 0..want.ncols() {
        for i in 0..want.nrows() {
            let (g, w) = (got[(i, j)], want[(i, j)]);
            assert!(
                (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                "{what}: entry ({i}, {j}) is {g:.12}, expected {w:.12}"
            );
        }
    }
}

mod lstm_step_forward {
    use super::*;

    /// The slide's equations, one scalar at a time, for column `col`.
    fn by_hand(l: &Lstm, x: &Mat, st: &LstmState, col: usize) -> (Mat, Mat) {
        let n = l.hidden_size();
        let hx: Vec<f64> =
            st.h.column(col)
                .iter()
                .chain(x.column(col).iter())
                .copied()
                .collect();
        let a = |row: usize| {
            l.b[(row, 0)]
                + (0..hx.len()).map(|k| l.w[(row, k)] * hx[k]).sum::<f64>()
        };
        let (mut h, mut c) = (Mat::zeros(n, 1), Mat::zeros(n, 1));
        for k in 0..n {
            let i = sigmoid(a(k));
            let f = sigmoid(a(n + k));
            let o = sigmoid(a(2 * n + k));
            let g = a(3 * n + k).tanh();
            c[(k, 0)] = f * st.c[(k, col)] + i * g;
            h[(k, 0)] = o * c[(k, 0)].tanh();
        }
        (h, c)
    }

    #[test]
    fn h_and_c_follow_the_slide_equations_gate_order_i_f_o_g() {
        let (n, d, b) = (3, 2, 2);
        let l = lstm(n, d, 1);
        let x = rand_mat(d, b, 1.0, 2);
        let st = LstmState {
            h: rand_mat(n, b, 1.0, 3),
            c: rand_mat(n, b, 1.0, 4),
        };
        let (next, _) = l.step_forward_reference(&st, &x);
        for col in 0..b {
            let (h, c) = by_hand(&l, &x, &st, col);
            assert_close(
                &format!("h_t column {col} (h = o ⊙ tanh(c))"),
                &next.h.columns(col, 1).into_owned(),
                &h,
            );
            assert_close(
                &format!("c_t column {col} (c = f ⊙ c_prev + i ⊙ g)"),
                &next.c.columns(col, 1).into_owned(),
                &c,
            );
        }
    }

    #[test]
    fn forget_gate_one_and_input_gate_zero_carry_the_cell_state_unchanged() {
        let (n, d) = (4, 3);
        let mut l = lstm(n, d, 5);
        // Biases of ±1e4 saturate σ exactly: i = 0 and f = 1.
        l.b.rows_mut(0, n).fill(-1e4);
        l.b.rows_mut(n, n).fill(1e4);
        let st = LstmState {
            h: rand_mat(n, 2, 1.0, 6),
            c: rand_mat(n, 2, 3.0, 7),
        };
        let (next, _) = l.step_forward_reference(&st, &rand_mat(d, 2, 1.0, 8));
        assert_close(
            "c_t with f = 1, i = 0 (must equal c_{t-1})",
            &next.c,
            &st.c,
        );
    }

    #[test]
    fn output_gate_zero_hides_the_cell_and_h_is_zero() {
        let (n, d) = (3, 2);
        let mut l = lstm(n, d, 9);
        l.b.rows_mut(2 * n, n).fill(-1e4);
        let st = LstmState {
            h: rand_mat(n, 1, 1.0, 10),
            c: rand_mat(n, 1, 1.0, 11),
        };
        let (next, _) = l.step_forward_reference(&st, &rand_mat(d, 1, 1.0, 12));
        assert_close("h_t with o = 0", &next.h, &Mat::zeros(n, 1));
        assert!(
            next.c.iter().any(|v| v.abs() > 1e-3),
            "c_t should still be written when o = 0, got {}",
            next.c
        );
    }
}

mod lstm_step_backward {
    use super::*;

    use crate::common::check_lstm_step as check;

    #[test]
    fn dw_db_dx_dh_prev_dc_prev_match_numeric_gradients() {
        check(3, 2, 2, 1);
    }

    #[test]
    fn gradient_of_c_alone_flows_back_through_the_forget_gate() {
        // With only ∂L/∂c_t = v, ∂L/∂c_{t−1} is exactly f ⊙ v.
        let (n, d) = (3, 2);
        let l = lstm(n, d, 3);
        let st = LstmState {
            h: rand_mat(n, 1, 1.0, 4),
            c: rand_mat(n, 1, 1.0, 5),
        };
        let (_, cache) = l.step_forward_reference(&st, &rand_mat(d, 1, 1.0, 6));
        let v = rand_mat(n, 1, 1.0, 7);
        let d_next = LstmStateGrads {
            d_h: Mat::zeros(n, 1),
            d_c: v.clone(),
        };
        let (_, dprev, _) = l.step_backward_reference(&cache, &d_next);
        assert_close(
            "d_c_prev when only d_c flows in (must be f ⊙ d_c)",
            &dprev.d_c,
            &cache.f.component_mul(&v),
        );
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn gradients_match_on_random_sizes(
            n in 1usize..4, d in 1usize..4, b in 1usize..3, seed in 0u64..1000
        ) {
            check(n, d, b, seed);
        }
    }
}

mod lstm_through_time {
    use super::*;

    /// `L = Σ_t ⟨u_t, h_t⟩ + ⟨v, c_T⟩` over a sequence of `t_len` steps.
    fn check(n: usize, d: usize, b: usize, t_len: usize, seed: u64) {
        let l = lstm(n, d, seed);
        let xs: Vec<Mat> = (0..t_len)
            .map(|t| rand_mat(d, b, 1.0, seed + 100 + t as u64))
            .collect();
        let us: Vec<Mat> = (0..t_len)
            .map(|t| rand_mat(n, b, 1.0, seed + 200 + t as u64))
            .collect();
        let v = rand_mat(n, b, 1.0, seed + 7);
        let st0 = LstmState {
            h: rand_mat(n, b, 1.0, seed + 8),
            c: rand_mat(n, b, 1.0, seed + 9),
        };
        let (_, _, cache) = l.forward_reference(&st0, &xs);
        let d_last = LstmStateGrads {
            d_h: Mat::zeros(n, b),
            d_c: v.clone(),
        };
        let (g, d0, dxs) = l.backward_reference(&cache, &us, &d_last);
        let theta = (
            l,
            Named("xs", Steps(xs)),
            Named("h0", st0.h.clone()),
            Named("c0", st0.c.clone()),
        );
        let grads = (
            g,
            Named("xs", Steps(dxs)),
            Named("h0", d0.d_h),
            Named("c0", d0.d_c),
        );
        assert_gradients(
            "Lstm::backward_reference (through time)",
            &theta,
            &grads,
            |p| {
                let st = LstmState {
                    h: p.2.1.clone(),
                    c: p.3.1.clone(),
                };
                let (hs, last, _) = p.0.forward_reference(&st, &p.1.1.0);
                hs.iter().zip(&us).map(|(h, u)| dot(u, h)).sum::<f64>()
                    + dot(&v, &last.c)
            },
        );
    }

    #[test]
    fn gradients_through_h_and_c_match_numeric_over_6_steps() {
        check(3, 2, 2, 6, 4);
    }

    #[test]
    fn gradient_reaches_c0_as_the_product_of_forget_gates() {
        // Only ∂L/∂c_T flows in and h never feeds back (W_h = 0): then
        // ∂L/∂c_0 = f_1 ⊙ f_2 ⊙ … ⊙ f_T ⊙ v.
        let (n, d, t_len) = (3, 2, 5);
        let mut l = lstm(n, d, 11);
        l.w.columns_mut(0, n).fill(0.0);
        let xs: Vec<Mat> = (0..t_len)
            .map(|t| rand_mat(d, 1, 1.0, 20 + t as u64))
            .collect();
        let st0 = LstmState {
            h: rand_mat(n, 1, 1.0, 30),
            c: rand_mat(n, 1, 1.0, 31),
        };
        let (_, _, cache) = l.forward_reference(&st0, &xs);
        let v = rand_mat(n, 1, 1.0, 32);
        let zeros = vec![Mat::zeros(n, 1); t_len];
        let d_last = LstmStateGrads {
            d_h: Mat::zeros(n, 1),
            d_c: v.clone(),
        };
        let (_, d0, _) = l.backward_reference(&cache, &zeros, &d_last);
        let product =
            cache.steps.iter().fold(v, |acc, s| acc.component_mul(&s.f));
        assert_close("d_c0 (must be f_1 ⊙ … ⊙ f_T ⊙ d_c_T)", &d0.d_c, &product);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn gradients_match_on_random_sizes_and_lengths(
            n in 1usize..4, d in 1usize..3, b in 1usize..3,
            t_len in 1usize..6, seed in 0u64..1000
        ) {
            check(n, d, b, t_len, seed);
        }
    }
}

mod gru_step_forward {
    use super::*;
    use lstm_gru::Gru;

    #[test]
    fn h_follows_the_slide_equations_with_z_on_the_candidate() {
        let (n, d, b) = (3, 2, 2);
        let g = gru(n, d, 1);
        let x = rand_mat(d, b, 1.0, 2);
        let hp = rand_mat(n, b, 1.0, 3);
        let (h, _) = g.step_forward_reference(&hp, &x);
        let mut want = Mat::zeros(n, b);
        for col in 0..b {
            let lin = |w_x: &Mat, w_h: &Mat, bias: &Mat, hv: &[f64], k| {
                bias[(k, 0)]
                    + (0..d).map(|j| w_x[(k, j)] * x[(j, col)]).sum::<f64>()
                    + (0..n).map(|j| w_h[(k, j)] * hv[j]).sum::<f64>()
            };
            let hcol: Vec<f64> = hp.column(col).iter().copied().collect();
            let r: Vec<f64> = (0..n)
                .map(|k| sigmoid(lin(&g.w_xr, &g.w_hr, &g.b_r, &hcol, k)))
                .collect();
            let rh: Vec<f64> = (0..n).map(|k| r[k] * hcol[k]).collect();
            for k in 0..n {
                let z = sigmoid(lin(&g.w_xz, &g.w_hz, &g.b_z, &hcol, k));
                let ht = lin(&g.w_xh, &g.w_hh, &g.b_h, &rh, k).tanh();
                want[(k, col)] = z * ht + (1.0 - z) * hcol[k];
            }
        }
        assert_close("h_t (h = z ⊙ h̃ + (1 − z) ⊙ h_prev)", &h, &want);
    }

    #[test]
    fn update_gate_zero_copies_the_previous_hidden_state() {
        let (n, d) = (4, 3);
        let mut g = gru(n, d, 5);
        g.b_z.fill(-1e4); // σ(−1e4) = 0 exactly: z = 0
        let hp = rand_mat(n, 2, 1.0, 6);
        let (h, _) = g.step_forward_reference(&hp, &rand_mat(d, 2, 1.0, 7));
        assert_close("h_t with z = 0 (must equal h_{t-1})", &h, &hp);
    }

    #[test]
    fn reset_gate_zero_ignores_the_past_in_the_candidate() {
        let (n, d) = (3, 2);
        let mut g = gru(n, d, 8);
        g.b_r.fill(-1e4); // r = 0
        g.b_z.fill(1e4); // z = 1: h = h̃
        let x = rand_mat(d, 1, 1.0, 9);
        let (h1, _) = g.step_forward_reference(&rand_mat(n, 1, 1.0, 10), &x);
        let (h2, _) = g.step_forward_reference(&rand_mat(n, 1, 1.0, 11), &x);
        assert_close(
            "h_t with r = 0, z = 1 from two different h_prev",
            &h1,
            &h2,
        );
        // r = 0 on units 0 and 2 only: their past is hidden from every
        // unit's candidate, because r multiplies h_prev before W_hh.
        g.b_r.copy_from_slice(&[-1e4, 1e4, -1e4]);
        let hp = rand_mat(n, 1, 1.0, 12);
        let mut hp2 = hp.clone();
        hp2[0] += 0.7;
        hp2[2] -= 0.9;
        let (h1, _) = g.step_forward_reference(&hp, &x);
        let (h2, _) = g.step_forward_reference(&hp2, &x);
        assert_close(
            "the candidate h̃_t (= h_t, z = 1) with r = (0, 1, 0) when units \
             0 and 2 of h_prev change: h̃ reads W_hh (r ⊙ h_prev), so it \
             must not move",
            &h1,
            &h2,
        );
    }

    /// The slide's candidate `h̃ = tanh(W_xh x + W_hh (r ⊙ h_prev) + b_h)`,
    /// one scalar at a time.
    fn candidate_by_hand(g: &Gru, x: &Mat, hp: &Mat) -> Mat {
        let (n, d) = (hp.nrows(), x.nrows());
        Mat::from_fn(n, x.ncols(), |k, col| {
            let r = |j: usize| {
                sigmoid(
                    g.b_r[(j, 0)]
                        + (0..d)
                            .map(|i| g.w_xr[(j, i)] * x[(i, col)])
                            .sum::<f64>()
                        + (0..n)
                            .map(|i| g.w_hr[(j, i)] * hp[(i, col)])
                            .sum::<f64>(),
                )
            };
            (g.b_h[(k, 0)]
                + (0..d).map(|i| g.w_xh[(k, i)] * x[(i, col)]).sum::<f64>()
                + (0..n)
                    .map(|j| g.w_hh[(k, j)] * r(j) * hp[(j, col)])
                    .sum::<f64>())
            .tanh()
        })
    }

    /// With `b_z = 10⁴` the update gate is exactly 1, so `h_t = h̃_t`.
    fn check_candidate(n: usize, d: usize, b: usize, seed: u64) {
        let mut g = gru(n, d, seed);
        g.b_z.fill(1e4);
        let x = rand_mat(d, b, 1.0, seed + 1);
        let hp = rand_mat(n, b, 1.0, seed + 2);
        let (h, _) = g.step_forward_reference(&hp, &x);
        assert_close(
            "the candidate h̃_t = tanh(W_xh x + W_hh (r ⊙ h_prev) + b_h) \
             (z = 1, so h_t = h̃_t; r multiplies h_prev before W_hh, not \
             the product W_hh h_prev as in PyTorch)",
            &h,
            &candidate_by_hand(&g, &x, &hp),
        );
    }

    #[test]
    fn candidate_applies_the_reset_gate_to_h_prev_before_w_hh() {
        check_candidate(3, 2, 2, 13);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        // n ≥ 2: with one unit, r ⊙ (W_hh h) and W_hh (r ⊙ h) agree
        fn candidate_follows_the_slide_on_random_sizes(
            n in 2usize..5, d in 1usize..4, b in 1usize..3, seed in 0u64..1000
        ) {
            check_candidate(n, d, b, seed);
        }
    }
}

mod gru_step_backward {
    use super::*;

    use crate::common::check_gru_step as check;

    #[test]
    fn every_weight_bias_dx_and_dh_prev_match_numeric_gradients() {
        check(3, 2, 2, 1);
    }

    #[test]
    fn gradient_passes_straight_through_when_z_is_zero() {
        // z = 0: h = h_prev, so ∂L/∂h_prev = ∂L/∂h.
        let (n, d) = (3, 2);
        let mut g = gru(n, d, 2);
        g.b_z.fill(-1e4);
        let (_, cache) = g.step_forward_reference(
            &rand_mat(n, 1, 1.0, 4),
            &rand_mat(d, 1, 1.0, 3),
        );
        let u = rand_mat(n, 1, 1.0, 5);
        let (_, dh, _) = g.step_backward_reference(&cache, &u);
        assert_close("d_h_prev with z = 0 (must equal d_h)", &dh, &u);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn gradients_match_on_random_sizes(
            n in 1usize..4, d in 1usize..4, b in 1usize..3, seed in 0u64..1000
        ) {
            check(n, d, b, seed);
        }
    }
}

mod stacked_backward {
    use super::*;
    use foundations::{Params, ParamsExt};
    use lstm_gru::{Gru, Stack};

    /// `Σ u ⊙ s` over every matrix of a state: its gradient is `u`.
    fn flat_dot<S: foundations::Params, U: foundations::Params>(
        u: &U,
        s: &S,
    ) -> f64 {
        u.to_flat()
            .iter()
            .zip(s.to_flat())
            .map(|(a, b)| a * b)
            .sum()
    }

    /// Random upstream gradients for every layer's new state, random
    /// previous states, then one step of the stack checked numerically.
    fn check<C: RecurrentCell>(stack: Stack<C>, b: usize, seed: u64) {
        check_upstream(stack, b, seed, false);
    }

    /// As [`check`]; with `top_only` every layer but the top one gets a
    /// zero gradient from outside the step, so whatever reaches the lower
    /// layers and `x` came down through the d_x of the layers above.
    fn check_upstream<C: RecurrentCell>(
        stack: Stack<C>,
        b: usize,
        seed: u64,
        top_only: bool,
    ) {
        let d = stack.input_size();
        let x = rand_mat(d, b, 1.0, seed + 1);
        let fill = |mut p: Vec<C::StateGrad>, s: u64| {
            let mut k = 0;
            p.visit_mut(&mut |_, m| {
                k += 1;
                *m = rand_mat(m.nrows(), m.ncols(), 1.0, s + k);
            });
            p
        };
        let prev: Vec<C::State> = {
            let mut st = stack.zero_state(b);
            let mut k = 0;
            st.visit_mut(&mut |_, m| {
                k += 1;
                *m = rand_mat(m.nrows(), m.ncols(), 1.0, seed + 50 + k);
            });
            st
        };
        let mut ups = fill(stack.zero_state_grad(b), seed + 100);
        if top_only {
            let top = ups.len() - 1;
            for u in &mut ups[..top] {
                u.visit_mut(&mut |_, m| m.fill(0.0));
            }
        }
        let (_, cache) = stack.step_forward(&prev, &x);
        let (g, d_prev, dx) = stack.step_backward(&cache, &ups);
        // the state gradients are checked against the state itself
        let mut d_prev_as_state = prev.clone();
        let flat = d_prev.to_flat();
        let mut k = 0;
        d_prev_as_state.visit_mut(&mut |_, m| {
            for v in m.iter_mut() {
                *v = flat[k];
                k += 1;
            }
        });
        let theta = (stack, Named("x", x), Named("prev", prev));
        let grads = (g, Named("x", dx), Named("prev", d_prev_as_state));
        assert_gradients("Stack::step_backward", &theta, &grads, |p| {
            let (states, _) = p.0.step_forward(&p.2.1, &p.1.1);
            flat_dot(&ups, &states)
        });
    }

    fn lstm_stack(d: usize, n: usize, depth: usize, seed: u64) -> Stack<Lstm> {
        let cells = (0..depth)
            .map(|l| {
                let input = if l == 0 { d } else { n };
                lstm(n, input, seed + 10 * l as u64)
            })
            .collect();
        Stack::new(cells).unwrap()
    }

    #[test]
    fn three_lstm_layers_every_layer_and_input_gradient_matches_numeric() {
        check(lstm_stack(2, 3, 3, 1), 2, 1);
    }

    #[test]
    fn two_gru_layers_every_layer_and_input_gradient_matches_numeric() {
        let cells = vec![gru(3, 2, 1), gru(3, 3, 2)];
        check(Stack::new(cells).unwrap(), 2, 3);
    }

    fn gru_stack(d: usize, n: usize, depth: usize, seed: u64) -> Stack<Gru> {
        let cells = (0..depth)
            .map(|l| {
                let input = if l == 0 { d } else { n };
                gru(n, input, seed + 10 * l as u64)
            })
            .collect();
        Stack::new(cells).unwrap()
    }

    #[test]
    fn gradient_given_only_to_the_top_layer_reaches_every_layer_below_and_x() {
        check_upstream(lstm_stack(2, 3, 2, 4), 2, 5, true);
        check_upstream(gru_stack(3, 2, 3, 4), 2, 6, true);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn lstm_stacks_match_numeric_on_random_depths_and_sizes(
            d in 1usize..3, n in 1usize..4, depth in 1usize..4,
            b in 1usize..3, seed in 0u64..1000
        ) {
            check(lstm_stack(d, n, depth, seed), b, seed);
        }

        #[test]
        fn gru_stacks_match_numeric_on_random_depths_and_sizes(
            d in 1usize..3, n in 1usize..4, depth in 1usize..4,
            b in 1usize..3, seed in 0u64..1000
        ) {
            let cells = (0..depth)
                .map(|l| {
                    let input = if l == 0 { d } else { n };
                    gru(n, input, seed + 10 * l as u64)
                })
                .collect();
            check(Stack::new(cells).unwrap(), b, seed);
        }

        #[test]
        fn only_the_top_layer_receives_a_gradient_on_random_depths(
            d in 1usize..4, n in 1usize..4, depth in 2usize..4,
            b in 1usize..3, seed in 0u64..1000
        ) {
            check_upstream(lstm_stack(d, n, depth, seed), b, seed, true);
            check_upstream(gru_stack(d, n, depth, seed), b, seed, true);
        }
    }
}

/// The three MUT cells share one check: `L = ⟨u, h'⟩` against central
/// differences for every parameter, `x` and `h`.
macro_rules! mut_backward_tests {
    ($module:ident, $cell:ident, $name:literal) => {
        mod $module {
            use super::*;
            use lstm_gru::$cell;

            fn check(n: usize, b: usize, seed: u64) {
                let mut cell = $cell::new(n, n, &mut rng(seed)).unwrap();
                // non-zero biases, so that no gate sits at exactly 1/2
                foundations::Params::visit_mut(&mut cell, &mut |_, m| {
                    *m += rand_mat(m.nrows(), m.ncols(), 0.5, seed + 3);
                });
                let x = rand_mat(n, b, 1.0, seed + 1);
                let h = rand_mat(n, b, 1.0, seed + 2);
                let u = rand_mat(n, b, 1.0, seed + 4);
                let (_, cache) = cell.step_forward(&h, &x);
                let (g, dh, dx) = cell.step_backward(&cache, &u);
                let theta = (cell, Named("x", x), Named("h", h));
                let grads = (g, Named("x", dx), Named("h", dh));
                assert_gradients($name, &theta, &grads, |p| {
                    dot(&u, &p.0.step_forward(&p.2.1, &p.1.1).0)
                });
            }

            #[test]
            fn every_gradient_matches_numeric() {
                check(3, 2, 1);
            }

            proptest! {
                #![proptest_config(graded_config())]
                #[test]
                fn gradients_match_on_random_sizes(
                    n in 1usize..4, b in 1usize..3, seed in 0u64..1000
                ) {
                    check(n, b, seed);
                }
            }
        }
    };
}

mut_backward_tests!(mut1_backward, Mut1, "Mut1::step_backward");
mut_backward_tests!(mut2_backward, Mut2, "Mut2::step_backward");
mut_backward_tests!(mut3_backward, Mut3, "Mut3::step_backward");
