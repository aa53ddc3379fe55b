//! What a student sees when an LSTM backward is wrong: the gradient report
//! names entries by gate and unit, and a classic mistake by its name. Not
//! graded: the wrong backwards are built from the engine
//! (`<Lstm as RecurrentCell>`), never from an exercise.

use foundations::{Mat, Named, assert_gradients};
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
        msg.contains("only the rows of gate o (analytic is 0"),
        "the message must name gate o:\n{msg}"
    );
    assert!(msg.contains("= gate o, unit "), "{msg}");
}
