//! The ReLU RNN cell: its step backward and BPTT through it against central
//! differences, the IRNN initialisation, bad input. Not graded (the cell is
//! given code for the gradient-flow experiment).

use foundations::{DMatrix, Named, Rng, assert_gradients, graded_config};
use proptest::prelude::*;
use vanilla_rnn_bptt::{
    LossScale, Output, RecurrentCell, RecurrentModel, ReluRnnCell, Targets,
    bptt, sequence_forward, sequence_loss,
};

fn uniform(r: usize, c: usize, rng: &mut Rng) -> DMatrix<f64> {
    foundations::init::uniform(r, c, 1.0, rng)
}

/// A cell with every weight random, so that about half the units are
/// active at each step (entries of `a` land near 0 with probability ~0).
fn cell(d: usize, n: usize, rng: &mut Rng) -> ReluRnnCell {
    ReluRnnCell {
        w: uniform(n, n, rng),
        u: uniform(n, d, rng),
        b: uniform(n, 1, rng),
    }
}

fn check_step(d: usize, n: usize, b: usize, seed: u64) {
    let mut rng = foundations::rng(seed);
    let c = cell(d, n, &mut rng);
    let h = uniform(n, b, &mut rng);
    let x = uniform(d, b, &mut rng);
    let r = uniform(n, b, &mut rng);
    let (_, cache) = c.step_forward(&h, &x);
    let (g, dh, dx) = c.step_backward(&cache, &r);
    let theta = (c, Named("h", h), Named("x", x));
    assert_gradients(
        "ReluRnnCell::step_backward",
        &theta,
        &(g, Named("h", dh), Named("x", dx)),
        |p| r.component_mul(&p.0.step_forward(&p.1.1, &p.2.1).0).sum(),
    );
}

#[test]
fn the_step_backward_matches_numeric_gradients() {
    check_step(3, 4, 2, 1);
}

#[test]
fn some_units_are_off_and_pass_no_gradient() {
    let mut rng = foundations::rng(1);
    let c = cell(3, 4, &mut rng);
    let h = uniform(4, 2, &mut rng);
    let x = uniform(3, 2, &mut rng);
    let (next, cache) = c.step_forward(&h, &x);
    let off = next.iter().filter(|v| **v == 0.0).count();
    assert!(
        off > 0 && off < 8,
        "{off} of 8 units off: pick another seed"
    );
    // a unit that is off sends nothing back: ∇a is 0 there
    let d = DMatrix::from_element(4, 2, 1.0);
    let (g, _, _) = c.step_backward(&cache, &d);
    let on = next.map(|v| if v > 0.0 { 1.0 } else { 0.0 });
    let want_b: f64 = on.sum();
    assert!((g.b.sum() - want_b).abs() < 1e-12);
}

#[test]
fn bptt_through_the_relu_cell_matches_numeric_gradients() {
    let (d, n, k, b, t) = (3, 4, 3, 2, 5);
    let mut rng = foundations::rng(7);
    let model = RecurrentModel::new(
        cell(d, n, &mut rng),
        Output::new(n, k, &mut rng).unwrap(),
    )
    .unwrap();
    let xs: Vec<_> = (0..t).map(|_| uniform(d, b, &mut rng)).collect();
    let ys = Targets::many_to_many(
        (0..t)
            .map(|s| (0..b).map(|j| (s + 2 * j) % k).collect())
            .collect(),
    );
    let h0 = uniform(n, b, &mut rng).map(f64::abs);
    let r = bptt(&model, &h0, &xs, &ys, LossScale::Sum);
    let theta = (model, Named("h0", h0), Named("xs", xs));
    let grads = (r.grads, Named("h0", r.d_h0), Named("xs", r.dxs));
    assert_gradients("bptt (ReLU cell)", &theta, &grads, |p| {
        let (logits, _) = sequence_forward(&p.0, &p.1.1, &p.2.1);
        sequence_loss(&logits, &ys, LossScale::Sum).0
    });
}

#[test]
fn the_irnn_holds_a_positive_state_when_the_input_is_zero() {
    let c =
        ReluRnnCell::identity(3, 4, 0.01, &mut foundations::rng(1)).unwrap();
    assert_eq!(c.w, DMatrix::identity(4, 4));
    assert_eq!(c.b, DMatrix::zeros(4, 1));
    let h = DMatrix::from_column_slice(4, 1, &[0.5, 1.0, 2.0, 0.1]);
    let (next, cache) = c.step_forward(&h, &DMatrix::zeros(3, 1));
    assert_eq!(next, h);
    // and the gradient goes back through it unchanged: ∂h'/∂h = I
    let d = DMatrix::from_column_slice(4, 1, &[1.0, -2.0, 3.0, 0.5]);
    assert_eq!(c.step_backward(&cache, &d).1, d);
}

#[test]
fn a_zero_size_is_a_configuration_error() {
    assert!(
        ReluRnnCell::identity(0, 3, 0.01, &mut foundations::rng(1)).is_err()
    );
}

#[test]
#[should_panic(
    expected = "ReluRnnCell::step_forward: x is 2x1, expected 3 x B"
)]
fn an_input_of_the_wrong_size_is_named() {
    let c =
        ReluRnnCell::identity(3, 4, 0.01, &mut foundations::rng(1)).unwrap();
    let _ = c.step_forward(&DMatrix::zeros(4, 1), &DMatrix::zeros(2, 1));
}

proptest! {
    #![proptest_config(graded_config())]
    #[test]
    fn the_step_backward_matches_on_random_shapes(
        d in 1usize..4, n in 1usize..5, b in 1usize..3, seed in 0u64..1000
    ) {
        check_step(d, n, b, seed);
    }
}
