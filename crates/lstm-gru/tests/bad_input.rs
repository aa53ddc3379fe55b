//! Bad input: mismatched sizes panic at once naming the cell's function,
//! the expected and the actual shapes; configurations that cannot work are
//! errors when the cell is built.

use foundations::{Error, Mat, rng};
use lstm_gru::{Gru, Lstm, LstmState, LstmStateGrads, Stack};
use vanilla_rnn_bptt::RecurrentCell;

fn lstm() -> Lstm {
    Lstm::new(4, 3, &mut rng(1)).unwrap() // D = 4, n = 3
}

#[test]
#[should_panic(
    expected = "Lstm::step_forward_reference: x is 5x1, expected 4 x B"
)]
fn lstm_input_of_the_wrong_size_names_cell_and_shapes() {
    lstm().step_forward_reference(&LstmState::zeros(3, 1), &Mat::zeros(5, 1));
}

#[test]
#[should_panic(
    expected = "Lstm::step_forward_reference: h_prev is 2x1, expected 3 x 1"
)]
fn lstm_hidden_state_of_the_wrong_size_is_named() {
    let st = LstmState {
        h: Mat::zeros(2, 1),
        c: Mat::zeros(3, 1),
    };
    lstm().step_forward_reference(&st, &Mat::zeros(4, 1));
}

#[test]
#[should_panic(
    expected = "Lstm::step_forward_reference: c_prev is 3x2, expected 3 x 1"
)]
fn lstm_cell_state_with_another_batch_is_named() {
    let st = LstmState {
        h: Mat::zeros(3, 1),
        c: Mat::zeros(3, 2),
    };
    lstm().step_forward_reference(&st, &Mat::zeros(4, 1));
}

#[test]
#[should_panic(
    expected = "Lstm::step_backward_reference: d_c is 3x2, expected 3 x 1"
)]
fn lstm_step_backward_checks_d_c() {
    let l = lstm();
    let (_, cache) =
        l.step_forward_reference(&LstmState::zeros(3, 1), &Mat::zeros(4, 1));
    let d = LstmStateGrads {
        d_h: Mat::zeros(3, 1),
        d_c: Mat::zeros(3, 2),
    };
    l.step_backward_reference(&cache, &d);
}

#[test]
#[should_panic(
    expected = "Lstm::backward_reference: d_hs has 1 steps, expected T = 2"
)]
fn lstm_backward_needs_one_gradient_per_step() {
    let l = lstm();
    let xs = vec![Mat::zeros(4, 1); 2];
    let (_, _, cache) = l.forward_reference(&LstmState::zeros(3, 1), &xs);
    l.backward_reference(
        &cache,
        &[Mat::zeros(3, 1)],
        &LstmStateGrads::zeros(3, 1),
    );
}

#[test]
#[should_panic(
    expected = "Gru::step_forward_reference: x is 2x1, expected 4 x B"
)]
fn gru_input_of_the_wrong_size_names_cell_and_shapes() {
    let g = Gru::new(4, 3, &mut rng(1)).unwrap();
    g.step_forward_reference(&Mat::zeros(3, 1), &Mat::zeros(2, 1));
}

#[test]
#[should_panic(
    expected = "Gru::step_backward_reference: d_h is 4x1, expected 3 x 1"
)]
fn gru_step_backward_checks_d_h() {
    let g = Gru::new(4, 3, &mut rng(1)).unwrap();
    let (_, cache) =
        g.step_forward_reference(&Mat::zeros(3, 1), &Mat::zeros(4, 1));
    g.step_backward_reference(&cache, &Mat::zeros(4, 1));
}

#[test]
fn zero_sizes_are_configuration_errors_naming_the_cell() {
    for e in [
        Lstm::new(0, 3, &mut rng(1)).unwrap_err(),
        Lstm::new(3, 0, &mut rng(1)).unwrap_err(),
    ] {
        assert!(matches!(&e, Error::Config { layer, .. } if layer == "Lstm"));
    }
    let e = Gru::new(2, 0, &mut rng(1)).unwrap_err();
    assert!(e.to_string().contains("Gru"), "{e}");
}

#[test]
fn a_new_lstm_remembers_by_default_forget_bias_one() {
    let l = lstm();
    assert_eq!((l.hidden_size(), l.input_size()), (3, 4));
    assert!(l.b.rows(3, 3).iter().all(|&b| b == 1.0));
    assert!(l.b.rows(0, 3).iter().all(|&b| b == 0.0));
}

#[test]
#[should_panic(expected = "Gru::step_forward: h_prev is 2x1, expected 3 x 1")]
fn gru_engine_hidden_state_of_the_wrong_size_is_named() {
    let g = Gru::new(4, 3, &mut rng(1)).unwrap();
    g.step_forward(&Mat::zeros(2, 1), &Mat::zeros(4, 1));
}

#[test]
#[should_panic(
    expected = "Stack::step_forward: 1 states, expected one per layer (L = 2)"
)]
fn a_stack_needs_one_state_per_layer() {
    let cells = vec![
        Lstm::new(4, 3, &mut rng(1)).unwrap(),
        Lstm::new(3, 3, &mut rng(2)).unwrap(),
    ];
    let stack = Stack::new(cells).unwrap();
    stack.step_forward(&vec![LstmState::zeros(3, 1)], &Mat::zeros(4, 1));
}

#[test]
fn mut1_and_mut2_need_an_input_of_the_hidden_size() {
    let e = lstm_gru::Mut1::new(4, 3, &mut rng(1)).unwrap_err();
    assert!(
        e.to_string()
            .contains("D = 4 must equal the hidden size n = 3")
    );
    assert!(lstm_gru::Mut2::new(4, 3, &mut rng(1)).is_err());
    assert!(lstm_gru::Mut3::new(4, 3, &mut rng(1)).is_ok());
}

fn two_layer_stack() -> Stack<Lstm> {
    let cells = vec![
        Lstm::new(4, 3, &mut rng(1)).unwrap(),
        Lstm::new(3, 2, &mut rng(2)).unwrap(),
    ];
    Stack::new(cells).unwrap()
}

#[test]
#[should_panic(
    expected = "Stack::step_forward: layer 1's h_prev is 3x1, expected 2 x 1"
)]
fn a_stack_names_the_layer_whose_state_is_wrong() {
    let prev = vec![LstmState::zeros(3, 1), LstmState::zeros(3, 1)];
    two_layer_stack().step_forward(&prev, &Mat::zeros(4, 1));
}

#[test]
#[should_panic(expected = "Stack::step_forward: x is 3x1, expected 4 x B")]
fn a_stack_names_its_input_size() {
    let s = two_layer_stack();
    s.step_forward(&s.zero_state(1), &Mat::zeros(3, 1));
}

#[test]
#[should_panic(
    expected = "Stack::step_backward: 1 state gradients, expected one per layer (L = 2)"
)]
fn a_stack_backward_needs_one_gradient_per_layer() {
    let s = two_layer_stack();
    let (_, cache) = s.step_forward(&s.zero_state(1), &Mat::zeros(4, 1));
    s.step_backward(&cache, &vec![LstmStateGrads::zeros(2, 1)]);
}

#[test]
#[should_panic(expected = "Mut1::step_forward: x is 2x1, expected 3 x B")]
fn mut1_input_of_the_wrong_size_is_named() {
    let c = lstm_gru::Mut1::new(3, 3, &mut rng(1)).unwrap();
    c.step_forward(&Mat::zeros(3, 1), &Mat::zeros(2, 1));
}

#[test]
#[should_panic(expected = "Mut2::step_forward: h is 3x2, expected 3 x 1")]
fn mut2_hidden_state_with_another_batch_is_named() {
    let c = lstm_gru::Mut2::new(3, 3, &mut rng(1)).unwrap();
    c.step_forward(&Mat::zeros(3, 2), &Mat::zeros(3, 1));
}

#[test]
#[should_panic(expected = "Mut3::step_forward: h is 2x1, expected 3 x 1")]
fn mut3_hidden_state_of_the_wrong_size_is_named() {
    let c = lstm_gru::Mut3::new(4, 3, &mut rng(1)).unwrap();
    c.step_forward(&Mat::zeros(2, 1), &Mat::zeros(4, 1));
}
