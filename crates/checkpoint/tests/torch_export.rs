//! The PyTorch layout: PyTorch's own LSTM equations, computed here on the
//! exported tensors, give the course's step; the export comes back bit for
//! bit.

use checkpoint::char_model::CHAR_LSTM;
use checkpoint::torch::{self, reorder_gates};
use checkpoint::{CharConfig, Checkpoint};
use foundations::{DMatrix, Params, rng};
use lstm_gru::{Lstm, LstmState};
use transformer::{Activation, Config, Gpt, Norm, PositionKind, fast_gpt};
use vanilla_rnn_bptt::{Output, RecurrentCell, RecurrentModel};

type CharLstm = RecurrentModel<Lstm>;

/// `σ(x) = 1/(1 + e^{−x})`, as PyTorch's documentation writes it.
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// V = 5, n = 3, with the forget bias and every weight random.
fn char_lstm() -> (Checkpoint, CharLstm) {
    let mut r = rng(11);
    let mut m = RecurrentModel::new(
        Lstm::new(5, 3, &mut r).unwrap(),
        Output::new(3, 5, &mut r).unwrap(),
    )
    .unwrap();
    m.visit_mut(&mut |_, w| {
        *w = foundations::init::uniform(w.nrows(), w.ncols(), 0.8, &mut r)
    });
    let config = CharConfig::new(&['a', 'b', 'c', 'd', 'e'], 3);
    (Checkpoint::of(CHAR_LSTM, &config, &m), m)
}

fn get(ck: &Checkpoint, name: &str) -> DMatrix<f64> {
    let t = &ck.tensors[name];
    match t.shape[..] {
        [n] => DMatrix::from_column_slice(n, 1, &t.data),
        _ => t.to_matrix().unwrap(),
    }
}

/// One step of `torch.nn.LSTM` as its documentation writes it, on the
/// exported tensors: gates i, f, g, o from
/// `W_ih x + b_ih + W_hh h + b_hh`.
fn torch_step(
    ck: &Checkpoint,
    h: &DMatrix<f64>,
    c: &DMatrix<f64>,
    x: &DMatrix<f64>,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let n = h.nrows();
    let pre = get(ck, "lstm.weight_ih_l0") * x
        + get(ck, "lstm.bias_ih_l0")
        + get(ck, "lstm.weight_hh_l0") * h
        + get(ck, "lstm.bias_hh_l0");
    let block = |k: usize| pre.rows(k * n, n).into_owned();
    let (i, f) = (block(0).map(sigmoid), block(1).map(sigmoid));
    let (g, o) = (block(2).map(f64::tanh), block(3).map(sigmoid));
    let c = f.component_mul(c) + i.component_mul(&g);
    let h = o.component_mul(&c.map(f64::tanh));
    (h, c)
}

/// The largest relative difference between the course's states and
/// PyTorch's equations over 6 steps of a random one-hot sequence.
fn worst_difference(ck: &Checkpoint, m: &CharLstm) -> f64 {
    let mut course = LstmState::zeros(3, 1);
    let (mut h, mut c) = (DMatrix::zeros(3, 1), DMatrix::zeros(3, 1));
    let mut worst: f64 = 0.0;
    for id in [0, 3, 1, 4, 4, 2] {
        let x = datasets::text::one_hot(&[id], 5);
        course = m.cell.step_forward(&course, &x).0;
        (h, c) = torch_step(ck, &h, &c, &x);
        for (a, b) in course
            .h
            .iter()
            .chain(course.c.iter())
            .zip(h.iter().chain(c.iter()))
        {
            worst = worst.max((a - b).abs() / a.abs().max(1e-300));
        }
    }
    worst
}

#[test]
fn pytorch_equations_on_the_exported_lstm_give_the_course_step() {
    let (ck, m) = char_lstm();
    let exported = torch::char_lstm_to_torch(&ck).unwrap();
    let worst = worst_difference(&exported, &m);
    assert!(worst <= 1e-12, "h and c differ by {worst:e} (relative)");
}

#[test]
fn without_the_gate_reordering_pytorch_computes_another_cell() {
    let (ck, m) = char_lstm();
    let mut wrong = torch::char_lstm_to_torch(&ck).unwrap();
    // undo the reordering: the course's i, f, o, g rows read as i, f, g, o
    for name in ["lstm.weight_ih_l0", "lstm.weight_hh_l0"] {
        let fixed = reorder_gates(&get(&wrong, name));
        wrong
            .tensors
            .insert(name.into(), checkpoint::Tensor::from_matrix(&fixed));
    }
    let b = reorder_gates(&get(&wrong, "lstm.bias_ih_l0"));
    wrong
        .tensors
        .insert("lstm.bias_ih_l0".into(), checkpoint::Tensor::vector(&b));
    let worst = worst_difference(&wrong, &m);
    assert!(worst > 1e-3, "the gate order made no difference: {worst:e}");
}

#[test]
fn the_exported_lstm_has_pytorch_names_and_shapes() {
    let (ck, _) = char_lstm();
    let t = torch::char_lstm_to_torch(&ck).unwrap();
    let shapes: Vec<(&str, Vec<usize>)> = t
        .tensors
        .iter()
        .map(|(n, t)| (n.as_str(), t.shape.clone()))
        .collect();
    assert_eq!(
        shapes,
        vec![
            ("lstm.bias_hh_l0", vec![12]),
            ("lstm.bias_ih_l0", vec![12]),
            ("lstm.weight_hh_l0", vec![12, 3]),
            ("lstm.weight_ih_l0", vec![12, 5]),
            ("out.bias", vec![5]),
            ("out.weight", vec![5, 3]),
        ]
    );
    // PyTorch's g block (rows 6..9) is the course's g block (rows 9..12)
    let w = get(&ck, "cell.w");
    let hh = get(&t, "lstm.weight_hh_l0");
    assert_eq!(hh.rows(6, 3), w.view((9, 0), (3, 3)));
    assert_eq!(hh.rows(9, 3), w.view((6, 0), (3, 3)));
}

#[test]
fn reordering_the_gates_twice_gives_them_back() {
    let m = DMatrix::from_fn(8, 3, |i, j| (10 * i + j) as f64);
    let once = reorder_gates(&m);
    assert_eq!(once.row(4), m.row(6)); // PyTorch's g is the course's g
    assert_eq!(reorder_gates(&once), m);
}

#[test]
fn the_lstm_comes_back_from_pytorch_bit_for_bit() {
    let (ck, _) = char_lstm();
    let t = torch::char_lstm_to_torch(&ck).unwrap();
    let t = Checkpoint::from_bytes(&t.to_bytes()).unwrap();
    assert_eq!(torch::char_lstm_from_torch(&t).unwrap(), ck);
}

fn gpt(positions: PositionKind) -> Gpt {
    let config = Config {
        vocab: 6,
        d: 8,
        heads: 2,
        layers: 2,
        d_ff: 16,
        max_len: 7,
        norm: Norm::Pre,
        positions,
        activation: Activation::Gelu,
    };
    let mut m = Gpt::new(config, &mut rng(12)).unwrap();
    // layer-norm gains and biases away from 1 and 0, so a swap would show
    m.visit_mut(&mut |_, w| {
        *w = foundations::init::uniform(
            w.nrows(),
            w.ncols(),
            0.5,
            &mut rng(w.len() as u64),
        )
    });
    m
}

#[test]
fn the_gpt_comes_back_from_pytorch_with_the_same_logits() {
    for positions in [PositionKind::Sinusoidal, PositionKind::Learned] {
        let m = gpt(positions);
        let ck = Checkpoint::of("gpt", &m.config, &m);
        let t = torch::gpt_to_torch(&ck, m.pos.table()).unwrap();
        let t = Checkpoint::from_bytes(&t.to_bytes()).unwrap();
        let back = torch::gpt_from_torch(&t).unwrap();
        assert_eq!(back, ck, "{positions:?}");
        let mut model = Gpt::new(m.config, &mut rng(0)).unwrap();
        back.load_into(&mut model).unwrap();
        let ids = [1, 4, 0, 5, 2];
        assert_eq!(fast_gpt::logits(&model, &ids), fast_gpt::logits(&m, &ids));
    }
}

#[test]
fn the_exported_gpt_packs_q_k_v_and_transposes_the_tables() {
    let m = gpt(PositionKind::Sinusoidal);
    let ck = Checkpoint::of("gpt", &m.config, &m);
    let t = torch::gpt_to_torch(&ck, m.pos.table()).unwrap();
    let qkv = get(&t, "blocks.1.attn.in_proj_weight");
    assert_eq!(qkv.shape(), (24, 8));
    assert_eq!(qkv.rows(8, 8), m.blocks[1].attn.w_k);
    assert_eq!(get(&t, "wte.weight"), m.wte.transpose());
    assert_eq!(get(&t, "pos"), m.pos.table().transpose());
    assert_eq!(get(&t, "blocks.0.ln2.bias"), m.blocks[0].ln2.beta);
    assert_eq!(t.tensors["blocks.0.ln2.bias"].shape, vec![8]);
    assert_eq!(t.tensors.len(), 2 + 2 * 10 + 3);
}
