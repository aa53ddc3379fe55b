//! The LSTM, the GRU and a 2-layer LSTM stack against PyTorch (fixtures made
//! by `scripts/pytorch/reference.py`, float64): every `h_t`, the final
//! state, and the gradients of every parameter, every `x_t` and the initial
//! state, to a relative error of 1e-12. PyTorch's batch is rows, the
//! course's columns; the loss is `L = Σ_t ⟨h_t, g_t⟩`, so `g_t` is the
//! upstream gradient of `h_t`.
//!
//! Where the conventions differ (the LSTM's gate order, the slides' GRU),
//! the tests also assert that the PyTorch module's own behaviour differs,
//! and that the comparison fails when the mapping leaves a convention out.
//! Book: *Appendices → From this course to PyTorch*.

use foundations::pytorch::{Agreement, Fixture, record_agreement};
use foundations::{Mat, Params};
use lstm_gru::{Gru, GruStepCache, Lstm, LstmState, Stack};
use vanilla_rnn_bptt::{
    Output, RecurrentCell, RecurrentModel, sequence_backward, sequence_forward,
};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

/// A sequence through a cell (the engine, `RecurrentCell`), forward and
/// back, with `g_t` added to `∂L/∂h_t` at every step.
struct Run<C: RecurrentCell> {
    hs: Vec<Mat>,
    last: C::State,
    grads: C,
    d_state0: C::StateGrad,
    d_xs: Vec<Mat>,
}

fn run<C: RecurrentCell>(
    cell: &C,
    state0: &C::State,
    xs: &[Mat],
    gs: &[Mat],
) -> Run<C> {
    // the generic engine with an identity output layer, o = I h + 0 = h,
    // so ∂L/∂o_t = g_t is what the loss adds to ∂L/∂h_t
    let n = cell.hidden_size();
    let out = Output {
        v: Mat::identity(n, n),
        c: Mat::zeros(n, 1),
    };
    let model = RecurrentModel::new(cell.clone(), out).unwrap();
    let (hs, cache) = sequence_forward(&model, state0, xs);
    let d_o: Vec<Option<Mat>> = gs.iter().cloned().map(Some).collect();
    let (grads, d_state0, d_xs) = sequence_backward(&model, &cache, &d_o, None);
    Run {
        hs,
        last: cache.last_state().clone(),
        grads: grads.cell,
        d_state0,
        d_xs,
    }
}

/// `h0`/`c0` of layer `l`, `1 x B x n` or `L x B x n` in PyTorch, as `n x B`.
fn state_cols(f: &Fixture, name: &str, layer: usize) -> Mat {
    f.tensor(name).index(layer).cols()
}

// ANCHOR: lstm_from_torch
/// nn.LSTM's `weight_ih_l0` (`4n x D`), `weight_hh_l0` (`4n x n`) and two
/// biases, gate blocks i, f, g, o → the course's `Lstm { w: [W_h W_x], b }`,
/// gate blocks i, f, o, g.
fn lstm_from_torch(
    w_ih: &Mat,
    w_hh: &Mat,
    b_ih: &Mat,
    b_hh: &Mat,
    reorder: bool,
) -> Lstm {
    let n = w_hh.ncols();
    let w = Mat::from_fn(4 * n, n + w_ih.ncols(), |r, c| {
        if c < n {
            w_hh[(r, c)]
        } else {
            w_ih[(r, c - n)]
        }
    });
    let b = b_ih + b_hh;
    // course block k (i, f, o, g) is PyTorch's block [0, 1, 3, 2][k]
    let order = if reorder { [0, 1, 3, 2] } else { [0, 1, 2, 3] };
    let rows = |m: &Mat| {
        Mat::from_fn(m.nrows(), m.ncols(), |r, c| {
            m[(order[r / n] * n + r % n, c)]
        })
    };
    Lstm {
        w: rows(&w),
        b: rows(&b),
    }
}
// ANCHOR_END: lstm_from_torch

fn lstm_agreement() -> Agreement {
    let f = Fixture::load(DIR, "lstm");
    let cell = Lstm {
        w: f.rows("w"),
        b: f.rows("b"),
    };
    let s0 = LstmState {
        h: state_cols(&f, "h0", 0),
        c: state_cols(&f, "c0", 0),
    };
    let (xs, gs) = (f.seq_cols("x"), f.seq_cols("g"));
    let r = run(&cell, &s0, &xs, &gs);
    let mut a = Agreement::new(&f);
    a.check_seq("h", &r.hs, &f.seq_cols("h"));
    a.check("c_n", &r.last.c, &state_cols(&f, "c_n", 0));
    a.check("grad.w", &r.grads.w, &f.rows("grad.w"));
    a.check("grad.b", &r.grads.b, &f.rows("grad.b"));
    a.check_seq("grad.x", &r.d_xs, &f.seq_cols("grad.x"));
    a.check("grad.h0", &r.d_state0.d_h, &state_cols(&f, "grad.h0", 0));
    a.check("grad.c0", &r.d_state0.d_c, &state_cols(&f, "grad.c0", 0));
    // the slide form (the exercise), through time
    let (hs, last, cache) = cell.forward_reference(&s0, &xs);
    let zero =
        lstm_gru::LstmStateGrads::zeros(cell.hidden_size(), xs[0].ncols());
    let (g, d0, d_xs) = cell.backward_reference(&cache, &gs, &zero);
    a.check_seq("h (reference)", &hs, &f.seq_cols("h"));
    a.check("c_n (reference)", &last.c, &state_cols(&f, "c_n", 0));
    a.check("grad.w (reference)", &g.w, &f.rows("grad.w"));
    a.check("grad.b (reference)", &g.b, &f.rows("grad.b"));
    a.check_seq("grad.x (reference)", &d_xs, &f.seq_cols("grad.x"));
    a.check(
        "grad.h0 (reference)",
        &d0.d_h,
        &state_cols(&f, "grad.h0", 0),
    );
    a.check(
        "grad.c0 (reference)",
        &d0.d_c,
        &state_cols(&f, "grad.c0", 0),
    );
    a
}

#[test]
fn lstm_matches_pytorch() {
    lstm_agreement().assert();
}

/// The course's LSTM with PyTorch's module weights mapped back, gates
/// reordered or not.
fn lstm_from_torch_agreement(reorder: bool) -> Agreement {
    let f = Fixture::load(DIR, "lstm");
    let cell = lstm_from_torch(
        &f.rows("weight_ih_l0"),
        &f.rows("weight_hh_l0"),
        &f.rows("bias_ih_l0"),
        &f.rows("bias_hh_l0"),
        reorder,
    );
    let s0 = LstmState {
        h: state_cols(&f, "h0", 0),
        c: state_cols(&f, "c0", 0),
    };
    let r = run(&cell, &s0, &f.seq_cols("x"), &f.seq_cols("g"));
    let mut a = Agreement::new(&f)
        .label("`torch.nn.LSTM`'s own weights mapped back (`lstm_from_torch`)");
    a.check(
        "w (mapped from weight_ih_l0, weight_hh_l0)",
        &cell.w,
        &f.rows("w"),
    );
    a.check_seq("h", &r.hs, &f.seq_cols("h"));
    a
}

#[test]
fn lstm_from_pytorch_weights_agrees_when_gates_are_reordered() {
    lstm_from_torch_agreement(true).assert();
}

#[test]
fn lstm_from_pytorch_weights_fails_without_reordering_the_gates() {
    let e = lstm_from_torch_agreement(false).result().unwrap_err();
    assert!(e.contains("  h (worst at index "), "{e}");
    assert!(e.contains("  w (mapped from"), "{e}");
}

#[test]
fn nn_lstm_reading_the_course_rows_in_its_own_gate_order_is_another_function() {
    // lstm_module.json: nn.LSTM given the course's w, b unchanged (i, f, o, g
    // read as i, f, g, o), the same inputs as lstm.json
    let f = Fixture::load(DIR, "lstm");
    let m = Fixture::load(DIR, "lstm_module");
    let cell = Lstm {
        w: f.rows("w"),
        b: f.rows("b"),
    };
    let s0 = LstmState {
        h: state_cols(&f, "h0", 0),
        c: state_cols(&f, "c0", 0),
    };
    let r = run(&cell, &s0, &f.seq_cols("x"), &f.seq_cols("g"));
    let mut a = Agreement::new(&m);
    a.check_seq("h", &r.hs, &m.seq_cols("h"));
    assert!(a.max_error() > 1e-2, "expected a large difference: {a:?}");
}

fn stack_agreement() -> Agreement {
    let f = Fixture::load(DIR, "lstm_stack");
    let cells = (0..2)
        .map(|l| Lstm {
            w: f.rows(&format!("cells.{l}.w")),
            b: f.rows(&format!("cells.{l}.b")),
        })
        .collect();
    let stack = Stack::new(cells).unwrap();
    let s0: Vec<LstmState> = (0..2)
        .map(|l| LstmState {
            h: state_cols(&f, "h0", l),
            c: state_cols(&f, "c0", l),
        })
        .collect();
    let r = run(&stack, &s0, &f.seq_cols("x"), &f.seq_cols("g"));
    let mut a = Agreement::new(&f);
    a.check_seq("h", &r.hs, &f.seq_cols("h"));
    for l in 0..2 {
        a.check(
            &format!("h_n[{l}]"),
            &r.last[l].h,
            &state_cols(&f, "h_n", l),
        );
        a.check(
            &format!("c_n[{l}]"),
            &r.last[l].c,
            &state_cols(&f, "c_n", l),
        );
        a.check(
            &format!("grad.cells.{l}.w"),
            &r.grads.cells[l].w,
            &f.rows(&format!("grad.cells.{l}.w")),
        );
        a.check(
            &format!("grad.cells.{l}.b"),
            &r.grads.cells[l].b,
            &f.rows(&format!("grad.cells.{l}.b")),
        );
        a.check(
            &format!("grad.h0[{l}]"),
            &r.d_state0[l].d_h,
            &state_cols(&f, "grad.h0", l),
        );
        a.check(
            &format!("grad.c0[{l}]"),
            &r.d_state0[l].d_c,
            &state_cols(&f, "grad.c0", l),
        );
    }
    a.check_seq("grad.x", &r.d_xs, &f.seq_cols("grad.x"));
    a
}

#[test]
fn two_layer_lstm_stack_matches_pytorch() {
    stack_agreement().assert();
}

fn gru_from(f: &Fixture) -> Gru {
    Gru {
        w_xr: f.rows("w_xr"),
        w_hr: f.rows("w_hr"),
        b_r: f.rows("b_r"),
        w_xz: f.rows("w_xz"),
        w_hz: f.rows("w_hz"),
        b_z: f.rows("b_z"),
        w_xh: f.rows("w_xh"),
        w_hh: f.rows("w_hh"),
        b_h: f.rows("b_h"),
    }
}

const GRU_NAMES: [&str; 9] = [
    "w_xr", "w_hr", "b_r", "w_xz", "w_hz", "b_z", "w_xh", "w_hh", "b_h",
];

/// The GRU's slide form (`Gru::step_forward_reference` and
/// `step_backward_reference`, the exercises) as a cell, so that the generic
/// engine runs it through time exactly as it runs the engine cell.
#[derive(Debug, Clone)]
struct SlideGru(Gru);

impl Params for SlideGru {
    fn visit(&self, f: &mut dyn FnMut(&str, &Mat)) {
        self.0.visit(f)
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Mat)) {
        self.0.visit_mut(f)
    }
}

impl RecurrentCell for SlideGru {
    type State = Mat;
    type StateGrad = Mat;
    type Cache = GruStepCache;

    fn input_size(&self) -> usize {
        self.0.input_size()
    }
    fn hidden_size(&self) -> usize {
        self.0.hidden_size()
    }
    fn zero_state(&self, batch: usize) -> Mat {
        self.0.zero_state(batch)
    }
    fn zero_state_grad(&self, batch: usize) -> Mat {
        self.0.zero_state_grad(batch)
    }
    fn hidden(state: &Mat) -> &Mat {
        state
    }
    fn hidden_grad_mut(grad: &mut Mat) -> &mut Mat {
        grad
    }
    fn step_forward(&self, h_prev: &Mat, x: &Mat) -> (Mat, GruStepCache) {
        self.0.step_forward_reference(h_prev, x)
    }
    fn step_backward(
        &self,
        cache: &GruStepCache,
        d_h: &Mat,
    ) -> (SlideGru, Mat, Mat) {
        let (g, d_h_prev, dx) = self.0.step_backward_reference(cache, d_h);
        (SlideGru(g), d_h_prev, dx)
    }
}

fn gru_agreement() -> Agreement {
    let f = Fixture::load(DIR, "gru");
    let cell = gru_from(&f);
    let h0 = state_cols(&f, "h0", 0);
    let (xs, gs) = (f.seq_cols("x"), f.seq_cols("g"));
    let r = run(&cell, &h0, &xs, &gs);
    let mut a = Agreement::new(&f);
    a.check_seq("h", &r.hs, &f.seq_cols("h"));
    let mut grads = Vec::new();
    r.grads
        .visit(&mut |name, m| grads.push((name.to_string(), m.clone())));
    for (name, g) in &grads {
        a.check(&format!("grad.{name}"), g, &f.rows(&format!("grad.{name}")));
    }
    assert_eq!(grads.len(), GRU_NAMES.len(), "every parameter compared");
    a.check_seq("grad.x", &r.d_xs, &f.seq_cols("grad.x"));
    a.check("grad.h0", &r.d_state0, &state_cols(&f, "grad.h0", 0));
    // the slide form (the exercises), run through time by the same engine
    let r = run(&SlideGru(cell), &h0, &xs, &gs);
    a.check_seq("h (reference)", &r.hs, &f.seq_cols("h"));
    a.check(
        "grad.w_hh (reference)",
        &r.grads.0.w_hh,
        &f.rows("grad.w_hh"),
    );
    a.check(
        "grad.w_xz (reference)",
        &r.grads.0.w_xz,
        &f.rows("grad.w_xz"),
    );
    a.check("grad.b_r (reference)", &r.grads.0.b_r, &f.rows("grad.b_r"));
    a.check_seq("grad.x (reference)", &r.d_xs, &f.seq_cols("grad.x"));
    a.check(
        "grad.h0 (reference)",
        &r.d_state0,
        &state_cols(&f, "grad.h0", 0),
    );
    a
}

#[test]
fn gru_matches_the_slides_gru_written_in_pytorch() {
    gru_agreement().assert();
}

// ANCHOR: gru_from_torch
/// nn.GRU's `weight_ih_l0` / `weight_hh_l0` (blocks r, z, n) → the nearest
/// course GRU. PyTorch's `z` multiplies `h_{t−1}` where the course's
/// multiplies `h̃`: the course's `z` is PyTorch's `1 − z`, so the z block is
/// negated (σ(−a) = 1 − σ(a)). The reset gate cannot be mapped: nn.GRU
/// computes `r ⊙ (W_hn h + b_hn)`, the slides `W_hh (r ⊙ h)`.
fn gru_from_torch(
    w_ih: &Mat,
    w_hh: &Mat,
    b_ih: &Mat,
    b_hh: &Mat,
    negate_z: bool,
) -> Gru {
    let n = w_hh.ncols();
    let z = if negate_z { -1.0 } else { 1.0 };
    let block = |m: &Mat, k: usize| m.rows(k * n, n).into_owned();
    let b = b_ih + b_hh; // b_hn = 0 here: b_hh would sit inside r ⊙ (…)
    Gru {
        w_xr: block(w_ih, 0),
        w_hr: block(w_hh, 0),
        b_r: block(&b, 0),
        w_xz: block(w_ih, 1) * z,
        w_hz: block(w_hh, 1) * z,
        b_z: block(&b, 1) * z,
        w_xh: block(w_ih, 2),
        w_hh: block(w_hh, 2),
        b_h: block(&b, 2),
    }
}
// ANCHOR_END: gru_from_torch

/// The course's GRU run on `gru_module.json` (nn.GRU, from `h0 = 0`), with
/// weights from `gru.json` or mapped back from the module's.
fn gru_module_run(cell: &Gru) -> (Vec<Mat>, Fixture) {
    let f = Fixture::load(DIR, "gru");
    let m = Fixture::load(DIR, "gru_module");
    let xs = f.seq_cols("x");
    let r = run(cell, &state_cols(&m, "h0", 0), &xs, &f.seq_cols("g"));
    (r.hs, m)
}

#[test]
fn nn_gru_is_a_different_function_equal_only_while_h_is_zero() {
    let f = Fixture::load(DIR, "gru");
    let (hs, m) = gru_module_run(&gru_from(&f));
    let expected = m.seq_cols("h");
    // step 1 from h0 = 0: W_hh (r ⊙ 0) = r ⊙ (W_hn 0) = 0, the two agree
    let mut first = Agreement::new(&m);
    first.check("h[t=0]", &hs[0], &expected[0]);
    first.assert();
    // afterwards the reset gate acts before W_hh in one, after in the other
    let mut later = Agreement::new(&m);
    later.check_seq("h[t≥1]", &hs[1..], &expected[1..]);
    assert!(later.max_error() > 1e-3, "nn.GRU should differ: {later:?}");
}

#[test]
fn nn_gru_weights_map_back_only_with_z_negated() {
    let m = Fixture::load(DIR, "gru_module");
    let weights = |negate_z| {
        gru_from_torch(
            &m.rows("weight_ih_l0"),
            &m.rows("weight_hh_l0"),
            &m.rows("bias_ih_l0"),
            &m.rows("bias_hh_l0"),
            negate_z,
        )
    };
    let step1 = |cell: &Gru| {
        let (hs, m) = gru_module_run(cell);
        let mut a = Agreement::new(&m);
        a.check("h[t=0]", &hs[0], &m.seq_cols("h")[0]);
        a
    };
    step1(&weights(true)).assert();
    // the convention changed on purpose: z taken as PyTorch's z
    let e = step1(&weights(false)).result().unwrap_err();
    assert!(e.contains("  h[t=0]: relative error"), "{e}");
}

#[test]
fn agreement_is_recorded() {
    let all = [
        lstm_agreement(),
        lstm_from_torch_agreement(true),
        stack_agreement(),
        gru_agreement(),
    ];
    for a in &all {
        a.assert();
    }
    record_agreement(DIR, "lstm-gru", &all);
}
