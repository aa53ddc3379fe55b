//! What a student sees when an LSTM backward is wrong: the gradient report
//! names entries by gate and unit, and a classic mistake by its name. Not
//! graded: the wrong backwards are built from the engine
//! (`<Lstm as RecurrentCell>`), never from an exercise.

use foundations::{Mat, Named, Steps, assert_gradients};
use lstm_gru::{Lstm, LstmState, LstmStateGrads};
use vanilla_rnn_bptt::RecurrentCell;

mod common;
use common::{dot, lstm, rand_mat};

/// The message `assert_gradients` panics with, for the engine's step
/// backward changed by `wrong` (batch of one, so `db = ∂L/∂a`).
fn message(wrong: impl Fn(&Lstm, &mut Lstm, &mut Mat, &mut Mat)) -> String {
    let (n, d) = (3, 2);
    let l = lstm(n, d, 7);
    let st = LstmState {
        h: rand_mat(n, 1, 1.0, 1),
        c: rand_mat(n, 1, 1.0, 2),
    };
    let x = rand_mat(d, 1, 1.0, 3);
    let (u, v) = (rand_mat(n, 1, 1.0, 4), rand_mat(n, 1, 1.0, 5));
    let (_, cache) = l.step_forward(&st, &x);
    let d_next = LstmStateGrads {
        d_h: u.clone(),
        d_c: v.clone(),
    };
    let (mut g, d_prev, mut dx) = l.step_backward(&cache, &d_next);
    let mut dh = d_prev.d_h;
    wrong(&l, &mut g, &mut dh, &mut dx);
    let theta = (
        l,
        Named("x", x),
        Named("h_prev", st.h),
        Named("c_prev", st.c),
    );
    let grads = (
        g,
        Named("x", dx),
        Named("h_prev", dh),
        Named("c_prev", d_prev.d_c),
    );
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_gradients(
            "Lstm::step_backward_reference",
            &theta,
            &grads,
            |p| {
                let st = LstmState {
                    h: p.2.1.clone(),
                    c: p.3.1.clone(),
                };
                let (next, _) = p.0.step_forward(&st, &p.1.1);
                dot(&u, &next.h) + dot(&v, &next.c)
            },
        );
    }));
    let payload = run.expect_err("the wrong backward must fail the check");
    payload
        .downcast_ref::<String>()
        .cloned()
        .expect("assert_gradients panics with a String")
}

/// Exchanges the row blocks `a` and `b` (gates, `n` rows each) of `m`.
fn swap_gates(m: &mut Mat, a: usize, b: usize) {
    let n = m.nrows() / 4;
    for k in 0..n {
        m.swap_rows(a * n + k, b * n + k);
    }
}

#[test]
fn i_and_f_blocks_swapped_are_named_as_the_gates_i_and_f() {
    // ∂L/∂a with its i and f blocks exchanged flows into dW, db and,
    // through Wᵀ, into dh_prev and dx.
    let msg = message(|l, g, dh, dx| {
        let n = l.w.nrows() / 4;
        swap_gates(&mut g.w, 0, 1);
        swap_gates(&mut g.b, 0, 1);
        let d_hx = l.w.transpose() * &g.b; // B = 1: db = ∂L/∂a
        *dh = d_hx.rows(0, n).into_owned();
        *dx = d_hx.rows(n, d_hx.nrows() - n).into_owned();
    });
    println!("{msg}");
    assert!(
        msg.contains("gate i and gate f are swapped"),
        "the message must name the gates:\n{msg}"
    );
    assert!(msg.contains("= gate "), "entries named by gate:\n{msg}");
}

#[test]
fn a_gate_left_out_is_named_and_its_entries_read_gate_and_unit() {
    // The o gate's gradient forgotten: dW and db are wrong in those rows only.
    let msg = message(|l, g, _, _| {
        let n = l.w.nrows() / 4;
        g.w.rows_mut(2 * n, n).fill(0.0);
        g.b.rows_mut(2 * n, n).fill(0.0);
    });
    println!("{msg}");
    assert!(
        msg.contains("only the rows of gate o are wrong"),
        "the message must name gate o:\n{msg}"
    );
    assert!(msg.contains("= gate o, unit "), "{msg}");
}

#[test]
fn a_gradient_not_carried_to_the_step_before_is_named_as_the_last_step_only() {
    // Through time with the engine's steps, but each step starts from its
    // own ∂L/∂h_t alone: what flows back from step t + 1 is dropped.
    let (n, d, t_len) = (3, 2, 4);
    let l = lstm(n, d, 9);
    let xs: Vec<Mat> = (0..t_len)
        .map(|t| rand_mat(d, 1, 1.0, 20 + t as u64))
        .collect();
    let us: Vec<Mat> = (0..t_len)
        .map(|t| rand_mat(n, 1, 1.0, 30 + t as u64))
        .collect();
    let st0 = LstmState {
        h: rand_mat(n, 1, 1.0, 40),
        c: rand_mat(n, 1, 1.0, 41),
    };
    let mut st = st0.clone();
    let mut caches = Vec::new();
    for x in &xs {
        let (next, cache) = l.step_forward(&st, x);
        caches.push(cache);
        st = next;
    }
    let mut g = Lstm {
        w: Mat::zeros(4 * n, n + d),
        b: Mat::zeros(4 * n, 1),
    };
    let mut dxs = vec![Mat::zeros(d, 1); t_len];
    for t in (0..t_len).rev() {
        let d_next = LstmStateGrads {
            d_h: us[t].clone(), // + the carried ∂L/∂h_t, forgotten
            d_c: Mat::zeros(n, 1),
        };
        let (gt, _, dx) = l.step_backward(&caches[t], &d_next);
        g.w += gt.w;
        g.b += gt.b;
        dxs[t] = dx;
    }
    let theta = (l, Named("xs", Steps(xs)));
    let grads = (g, Named("xs", Steps(dxs)));
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_gradients("Lstm::backward_reference", &theta, &grads, |p| {
            let mut st = st0.clone();
            let mut total = 0.0;
            for (x, u) in p.1.1.0.iter().zip(&us) {
                st = p.0.step_forward(&st, x).0;
                total += dot(u, &st.h);
            }
            total
        });
    }));
    let msg = run
        .expect_err("the wrong backward must fail the check")
        .downcast_ref::<String>()
        .cloned()
        .unwrap();
    println!("{msg}");
    assert!(
        msg.contains("only the last step (t = 3) of xs is right"),
        "{msg}"
    );
}
