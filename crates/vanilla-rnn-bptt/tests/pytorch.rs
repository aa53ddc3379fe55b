//! The vanilla RNN cell against `torch.nn.RNN` (fixture made by
//! `scripts/pytorch/reference.py`, float64): every `h_t` over `T = 5` steps
//! with a batch of 2, and the gradients of `W`, `U`, `b`, every `x_t` and
//! `h_0`, to a relative error of 1e-12. The loss is `L = Σ_t ⟨h_t, g_t⟩`.
//! PyTorch's batch is rows, the course's columns; PyTorch has two biases
//! (`b_ih + b_hh`), the course one. Book: *Appendices → From this course to
//! PyTorch*.

use foundations::Mat;
use foundations::pytorch::{Agreement, Fixture, record_agreement};
use vanilla_rnn_bptt::{
    Output, RecurrentCell, RecurrentModel, RnnCell, sequence_backward,
    sequence_forward,
};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

// ANCHOR: rnn_from_torch
/// nn.RNN's `weight_ih_l0` (`n x D`), `weight_hh_l0` (`n x n`) and two
/// biases → the course's cell: `U = W_ih`, `W = W_hh`, `b = b_ih + b_hh`.
fn rnn_from_torch(w_ih: &Mat, w_hh: &Mat, b_ih: &Mat, b_hh: &Mat) -> RnnCell {
    RnnCell {
        w: w_hh.clone(),
        u: w_ih.clone(),
        b: b_ih + b_hh,
    }
}
// ANCHOR_END: rnn_from_torch

/// The cell over the fixture's sequence, run by the generic engine
/// ([`sequence_forward`], [`sequence_backward`]) with an identity output
/// layer (`o = I h + 0 = h`), so `∂L/∂o_t = g_t` is the gradient the
/// fixture adds to `∂L/∂h_t` at every step.
fn rnn_agreement(cell: &RnnCell, f: &Fixture) -> Agreement {
    let (xs, gs) = (f.seq_cols("x"), f.seq_cols("g"));
    let h0 = f.tensor("h0").index(0).cols();
    let n = cell.hidden_size();
    let out = Output {
        v: Mat::identity(n, n),
        c: Mat::zeros(n, 1),
    };
    let model = RecurrentModel::new(cell.clone(), out).unwrap();
    let (hs, cache) = sequence_forward(&model, &h0, &xs);
    let d_o: Vec<Option<Mat>> = gs.into_iter().map(Some).collect();
    let (grads, d_h0, d_xs) = sequence_backward(&model, &cache, &d_o, None);
    let mut a = Agreement::new(f);
    a.check_seq("h", &hs, &f.seq_cols("h"));
    a.check("grad.w", &grads.cell.w, &f.rows("grad.w"));
    a.check("grad.u", &grads.cell.u, &f.rows("grad.u"));
    a.check("grad.b", &grads.cell.b, &f.rows("grad.b"));
    a.check_seq("grad.x", &d_xs, &f.seq_cols("grad.x"));
    a.check("grad.h0", &d_h0, &f.tensor("grad.h0").index(0).cols());
    a
}

fn course_weights() -> Agreement {
    let f = Fixture::load(DIR, "rnn");
    let cell = RnnCell {
        w: f.rows("w"),
        u: f.rows("u"),
        b: f.rows("b"),
    };
    rnn_agreement(&cell, &f)
}

#[test]
fn rnn_cell_matches_pytorch() {
    course_weights().assert();
}

#[test]
fn rnn_cell_from_pytorch_names_matches() {
    // the fixture's w, u, b are what the script handed to nn.RNN as
    // weight_hh_l0, weight_ih_l0, bias_ih_l0 (bias_hh_l0 = 0)
    let f = Fixture::load(DIR, "rnn");
    let b = f.rows("b");
    let cell =
        rnn_from_torch(&f.rows("u"), &f.rows("w"), &(&b * 0.25), &(&b * 0.75));
    rnn_agreement(&cell, &f).assert();
}

#[test]
fn swapping_w_and_u_fails_the_comparison() {
    // the convention changed on purpose: W_ih read as the recurrent weight.
    // n x n and n x D differ, so take the square corner to keep the shapes
    let f = Fixture::load(DIR, "rnn");
    let (w, u) = (f.rows("w"), f.rows("u"));
    let d = u.ncols();
    let mut w_swapped = w.clone();
    w_swapped.columns_mut(0, d).copy_from(&u);
    let cell = RnnCell {
        w: w_swapped,
        u: w.columns(0, d).into_owned(),
        b: f.rows("b"),
    };
    let e = rnn_agreement(&cell, &f).result().unwrap_err();
    assert!(e.contains("  h (worst at index "), "{e}");
    assert!(e.contains("  grad.w: relative error"), "{e}");
}

#[test]
fn agreement_is_recorded() {
    let all = [course_weights()];
    for a in &all {
        a.assert();
    }
    record_agreement(DIR, "vanilla-rnn-bptt", &all);
}
