//! The generic engine: gradient checks of the cell, of BPTT for every loss
//! shape and scale, of truncated BPTT; bad input.

use foundations::{
    DMatrix, Error, Named, ParamsExt, Rng, assert_gradients, graded_config,
};
use proptest::prelude::*;
use vanilla_rnn_bptt::{
    CharTrainer, Chunks, Clip, LossScale, RecurrentCell, RecurrentModel, Rnn,
    RnnCell, Targets, TrainConfig, bptt, evaluate, one_to_many_inputs, sample,
    sequence_forward, sequence_loss, train_step, truncated_bptt,
};

fn model(
    d: usize,
    n: usize,
    k: usize,
    seed: u64,
) -> (RecurrentModel<RnnCell>, Rng) {
    let mut rng = foundations::rng(seed);
    let m = Rnn::random(d, n, k, 0.5, &mut rng).unwrap().to_model();
    (m, rng)
}

fn uniform(r: usize, c: usize, rng: &mut Rng) -> DMatrix<f64> {
    foundations::init::uniform(r, c, 1.0, rng)
}

fn inputs(d: usize, b: usize, t: usize, rng: &mut Rng) -> Vec<DMatrix<f64>> {
    (0..t).map(|_| uniform(d, b, rng)).collect()
}

fn classes(k: usize, b: usize, t: usize, salt: usize) -> Vec<Vec<usize>> {
    (0..t)
        .map(|s| (0..b).map(|j| (s * 3 + j * 5 + salt) % k).collect())
        .collect()
}

type Theta = (
    RecurrentModel<RnnCell>,
    Named<DMatrix<f64>>,
    Named<Vec<DMatrix<f64>>>,
);

/// Checks every parameter, `h0` and every `x^(t)` of the generic BPTT.
fn check_bptt(
    d: usize,
    n: usize,
    k: usize,
    b: usize,
    xs: Vec<DMatrix<f64>>,
    ys: &Targets,
    scale: LossScale,
    seed: u64,
) {
    let (m, mut rng) = model(d, n, k, seed);
    let h0 = uniform(n, b, &mut rng);
    let r = bptt(&m, &h0, &xs, ys, scale);
    let theta: Theta = (m, Named("h0", h0), Named("xs", xs));
    let grads: Theta = (r.grads, Named("h0", r.d_h0), Named("xs", r.dxs));
    assert_gradients("bptt", &theta, &grads, |p| {
        let (logits, _) = sequence_forward(&p.0, &p.1.1, &p.2.1);
        sequence_loss(&logits, ys, scale).0
    });
}

const SCALES: [LossScale; 3] = [
    LossScale::Sum,
    LossScale::BatchMean,
    LossScale::BatchStepMean,
];

#[test]
fn many_to_many_gradients_match_for_every_scale() {
    let mut rng = foundations::rng(1);
    let xs = inputs(3, 2, 5, &mut rng);
    let ys = Targets::many_to_many(classes(4, 2, 5, 1));
    for scale in SCALES {
        check_bptt(3, 4, 4, 2, xs.clone(), &ys, scale, 2);
    }
}

#[test]
fn many_to_one_gradients_match_for_every_scale() {
    let mut rng = foundations::rng(3);
    let xs = inputs(2, 3, 6, &mut rng);
    let ys = Targets::many_to_one(6, vec![0, 2, 1]);
    for scale in SCALES {
        check_bptt(2, 3, 3, 3, xs.clone(), &ys, scale, 4);
    }
}

#[test]
fn one_to_many_gradients_match_for_every_scale() {
    let mut rng = foundations::rng(5);
    let x = uniform(3, 2, &mut rng);
    let xs = one_to_many_inputs(&x, 4);
    assert_eq!(xs[1].norm(), 0.0);
    let ys = Targets::one_to_many(classes(3, 2, 4, 2));
    for scale in SCALES {
        check_bptt(3, 3, 3, 2, xs.clone(), &ys, scale, 6);
    }
}

#[test]
fn the_means_divide_the_sum_by_n_and_by_n_t() {
    let (m, mut rng) = model(2, 3, 3, 7);
    let xs = inputs(2, 2, 5, &mut rng);
    let ys = Targets::many_to_many(classes(3, 2, 5, 0));
    let h0 = DMatrix::zeros(3, 2);
    let sum = bptt(&m, &h0, &xs, &ys, LossScale::Sum);
    let n = bptt(&m, &h0, &xs, &ys, LossScale::BatchMean);
    let nt = bptt(&m, &h0, &xs, &ys, LossScale::BatchStepMean);
    assert!((n.loss - sum.loss / 2.0).abs() < 1e-12);
    assert!((nt.loss - sum.loss / 10.0).abs() < 1e-12);
    let mut g = sum.grads.clone();
    g.scale(0.1);
    let diff: f64 = g
        .to_flat()
        .iter()
        .zip(nt.grads.to_flat())
        .map(|(a, b)| (a - b).abs())
        .sum();
    assert!(diff < 1e-12);
}

#[test]
fn the_engine_cell_step_matches_numeric_gradients() {
    let (m, mut rng) = model(3, 4, 2, 8);
    let cell = m.cell;
    let h = uniform(4, 2, &mut rng);
    let x = uniform(3, 2, &mut rng);
    let r = uniform(4, 2, &mut rng);
    let (_, cache) = cell.step_forward(&h, &x);
    let (g, dh, dx) = cell.step_backward(&cache, &r);
    let theta = (cell, Named("h", h), Named("x", x));
    assert_gradients(
        "RnnCell::step_backward",
        &theta,
        &(g, Named("h", dh), Named("x", dx)),
        |p| r.component_mul(&p.0.step_forward(&p.1.1, &p.2.1).0).sum(),
    );
}

proptest! {
    #![proptest_config(graded_config())]
    #[test]
    fn generic_bptt_matches_on_random_shapes(
        d in 1usize..4, n in 1usize..5, k in 2usize..4, b in 1usize..3,
        t in 1usize..7, seed in 0u64..1000, s in 0usize..3
    ) {
        let mut rng = foundations::rng(seed + 1);
        let xs = inputs(d, b, t, &mut rng);
        let ys = Targets::many_to_many(classes(k, b, t, seed as usize));
        check_bptt(d, n, k, b, xs, &ys, SCALES[s], seed);
    }

    #[test]
    fn generic_truncated_bptt_is_each_chunks_gradient_with_its_state_held(
        n in 1usize..4, t in 1usize..8, k in 1usize..5, seed in 0u64..1000
    ) {
        let (m, mut rng) = model(2, n, 3, seed);
        let h0 = uniform(n, 1, &mut rng);
        let xs = inputs(2, 1, t, &mut rng);
        let ys = Targets::many_to_many(classes(3, 1, t, 1));
        let scale = LossScale::BatchStepMean;
        let r = truncated_bptt(&m, &h0, &xs, &ys, scale, k);
        let (_, cache) = sequence_forward(&m, &h0, &xs);
        let held = cache.states.clone();
        let divisor = scale.divisor(&ys, 1);
        let chunked = |p: &RecurrentModel<RnnCell>| {
            let mut total = 0.0;
            for start in (0..t).step_by(k) {
                let end = (start + k).min(t);
                let (o, _) = sequence_forward(p, &held[start], &xs[start..end]);
                total += vanilla_rnn_bptt::sequence_loss_by(
                    &o, &ys.slice(start..end), divisor).0;
            }
            total
        };
        prop_assert!((r.loss - chunked(&m)).abs() < 1e-10);
        assert_gradients("truncated_bptt", &m, &r.grads, chunked);
        let full = bptt(&m, &h0, &xs, &ys, scale);
        prop_assert_eq!(&r.last_state, &full.last_state);
        if k >= t {
            prop_assert_eq!(r.grads.to_flat(), full.grads.to_flat());
        }
    }
}

#[test]
fn slide_form_and_engine_agree_on_truncated_bptt_and_sampling() {
    let mut rng = foundations::rng(9);
    let r = Rnn::random(4, 5, 4, 0.7, &mut rng).unwrap();
    let h0 = uniform(5, 1, &mut rng);
    let xs = inputs(4, 1, 9, &mut rng);
    let ys = Targets::many_to_many(classes(4, 1, 9, 3));
    let (loss, g, h) = r.truncated_bptt(&h0, &xs, &ys, 4);
    let e = truncated_bptt(&r.to_model(), &h0, &xs, &ys, LossScale::Sum, 4);
    assert!((loss - e.loss).abs() < 1e-12);
    let eg = Rnn::from_model(&e.grads);
    for (a, b) in g.to_flat().iter().zip(eg.to_flat()) {
        assert!((a - b).abs() < 1e-12);
    }
    assert!((h - e.last_state).norm() < 1e-14);
}

// ---- bad input -------------------------------------------------------

fn char_model(v: usize, n: usize) -> RecurrentModel<RnnCell> {
    let mut rng = foundations::rng(1);
    Rnn::new(v, n, v, &mut rng).unwrap().to_model()
}

#[test]
fn a_character_outside_the_vocabulary_is_an_error() {
    let vocab = datasets::Vocab::from_chars(&['h', 'e', 'l', 'o']).unwrap();
    let e = vocab.encode("help").unwrap_err();
    assert!(e.to_string().contains("'p'"), "{e}");
    let mut m = char_model(4, 3);
    let mut opt = foundations::optim::Adagrad::new(0.1);
    let h = m.cell.zero_state(1);
    let cfg = TrainConfig::min_char_rnn();
    let e = train_step(&mut m, &mut opt, &h, &[0, 7], &[1, 2], &cfg, 0)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("id 7 at position 1 is outside the vocabulary of 4"),
        "{e}"
    );
    let e = sample(&m, &h, 9, 3, 1.0, &mut foundations::rng(1)).unwrap_err();
    assert!(e.to_string().contains("seed id 9"), "{e}");
    assert!(evaluate(&m, &[0, 1, 5], 2).is_err());
}

#[test]
fn an_empty_sequence_is_an_error() {
    let mut m = char_model(4, 3);
    let mut opt = foundations::optim::Adagrad::new(0.1);
    let h = m.cell.zero_state(1);
    let cfg = TrainConfig::min_char_rnn();
    let e = train_step(&mut m, &mut opt, &h, &[], &[], &cfg, 0).unwrap_err();
    assert_eq!(e, Error::Data("train_step: empty sequence".into()));
    let e = CharTrainer::new(&m, vec![], cfg).unwrap_err();
    assert!(e.to_string().contains("0 characters of data"), "{e}");
    assert!(evaluate(&m, &[1], 5).is_err());
}

#[test]
#[should_panic(expected = "bptt::sequence_forward: empty sequence (T = 0)")]
fn the_generic_forward_panics_on_an_empty_sequence() {
    let m = char_model(4, 3);
    sequence_forward(&m, &DMatrix::zeros(3, 1), &[]);
}

#[test]
#[should_panic(expected = "Rnn::forward: empty sequence (T = 0)")]
fn the_slide_forward_panics_on_an_empty_sequence() {
    let r = Rnn::from_model(&char_model(4, 3));
    r.forward(&DMatrix::zeros(3, 1), &[]);
}

#[test]
#[should_panic(expected = "Rnn::step_forward: x is 5x1, expected 4 x B")]
fn a_wrong_input_size_names_function_and_shapes() {
    let r = Rnn::from_model(&char_model(4, 3));
    r.step_forward(&DMatrix::zeros(3, 1), &DMatrix::zeros(5, 1));
}

#[test]
#[should_panic(expected = "Rnn::step_forward: h_prev is 3x2, expected 3 x 1")]
fn a_state_of_another_batch_names_function_and_shapes() {
    let r = Rnn::from_model(&char_model(4, 3));
    r.step_forward(&DMatrix::zeros(3, 2), &DMatrix::zeros(4, 1));
}

#[test]
#[should_panic(expected = "RnnCell::step_forward: x is 2x1, expected 4 x B")]
fn the_engine_cell_names_wrong_shapes() {
    let m = char_model(4, 3);
    m.cell
        .step_forward(&DMatrix::zeros(3, 1), &DMatrix::zeros(2, 1));
}

#[test]
#[should_panic(
    expected = "Rnn::bptt: 2 steps of targets for a sequence of T = 3"
)]
fn targets_of_another_length_are_named() {
    let r = Rnn::from_model(&char_model(4, 3));
    let cache =
        r.forward(&DMatrix::zeros(3, 1), &vec![DMatrix::zeros(4, 1); 3]);
    r.bptt(&cache, &Targets::from_ids(&[0, 1]));
}

#[test]
#[should_panic(expected = "chunk length k must be at least 1")]
fn truncation_of_zero_steps_panics() {
    let r = Rnn::from_model(&char_model(4, 3));
    let xs = vec![DMatrix::zeros(4, 1); 3];
    r.truncated_bptt(
        &DMatrix::zeros(3, 1),
        &xs,
        &Targets::from_ids(&[0, 1, 2]),
        0,
    );
}

#[test]
fn configurations_that_cannot_work_are_errors() {
    let mut rng = foundations::rng(1);
    assert!(RnnCell::new(0, 3, &mut rng).is_err());
    assert!(Rnn::new(3, 0, 3, &mut rng).is_err());
    let cell = RnnCell::new(4, 3, &mut rng).unwrap();
    let out = vanilla_rnn_bptt::Output::new(5, 4, &mut rng).unwrap();
    let e = RecurrentModel::new(cell, out).unwrap_err();
    assert!(e.to_string().contains("hidden size is 3"), "{e}");
    let m = char_model(4, 3);
    let bad = [
        TrainConfig {
            seq_len: 0,
            ..TrainConfig::min_char_rnn()
        },
        TrainConfig {
            lr: 0.0,
            ..TrainConfig::min_char_rnn()
        },
        TrainConfig {
            lr: f64::NAN,
            ..TrainConfig::min_char_rnn()
        },
        TrainConfig {
            clip: Clip::Elementwise(0.0),
            ..TrainConfig::min_char_rnn()
        },
        TrainConfig {
            truncation: Some(0),
            ..TrainConfig::min_char_rnn()
        },
    ];
    for cfg in bad {
        let e = CharTrainer::new(&m, vec![0; 100], cfg.clone()).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{cfg:?}: {e}");
    }
    for tau in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = sample(&m, &DMatrix::zeros(3, 1), 0, 3, tau, &mut rng);
        assert!(matches!(e, Err(Error::Config { .. })), "τ = {tau}");
    }
}

#[test]
fn a_non_finite_loss_stops_training_with_an_error() {
    let mut m = char_model(4, 3);
    m.out.c[(1, 0)] = f64::NAN;
    let before = m.clone();
    let data = vec![0, 1, 2, 2, 3, 0, 1, 2, 2, 3];
    let cfg = TrainConfig {
        seq_len: 4,
        ..TrainConfig::min_char_rnn()
    };
    let mut trainer = CharTrainer::new(&m, data, cfg).unwrap();
    let e = trainer.step(&mut m).unwrap_err();
    assert!(matches!(e, Error::NonFiniteLoss { step: 0, .. }), "{e}");
    assert_eq!(m.cell, before.cell, "the model is left unchanged");
}

#[test]
fn clipping_happens_outside_bptt() {
    // A huge learning signal: bptt's gradient is not clipped, the update is.
    let (m, mut rng) = model(3, 4, 3, 12);
    let mut big = m.clone();
    big.out.v *= 200.0;
    let xs = inputs(3, 1, 6, &mut rng);
    let ys = Targets::many_to_many(classes(3, 1, 6, 0));
    let r = bptt(&big, &DMatrix::zeros(4, 1), &xs, &ys, LossScale::Sum);
    let max = r.grads.to_flat().iter().fold(0f64, |a, b| a.max(b.abs()));
    assert!(max > 5.0, "the checked gradient is raw: max |g| = {max}");
    let mut g = r.grads.clone();
    Clip::Elementwise(5.0).apply(&mut g);
    assert!(g.to_flat().iter().all(|v| v.abs() <= 5.0));
}

#[test]
fn chunks_walk_the_corpus_and_wrap_to_its_start() {
    let cfg = TrainConfig {
        seq_len: 2,
        ..TrainConfig::min_char_rnn()
    };
    let data = vec![0, 1, 2, 3, 0, 1];
    let mut c = Chunks::new("test", data, (4, 4), &cfg).unwrap();
    let start = c.smooth_loss();
    assert!(
        (start - 2.0 * 4f64.ln()).abs() < 1e-12,
        "ln V per character"
    );
    assert_eq!(c.chunk(), (&[0, 1][..], &[1, 2][..], false));
    c.advance(1.0);
    assert_eq!(c.chunk(), (&[2, 3][..], &[3, 0][..], false));
    c.advance(1.0);
    // position 4 leaves too few characters for T + 1: back to the start
    assert_eq!(c.chunk(), (&[0, 1][..], &[1, 2][..], true));
    assert_eq!(c.steps(), 2);
    let expected = 0.999 * (0.999 * start + 0.001) + 0.001;
    assert!((c.smooth_loss() - expected).abs() < 1e-12);
}

#[test]
fn chunks_refuse_what_cannot_work() {
    let cfg = TrainConfig {
        seq_len: 2,
        ..TrainConfig::min_char_rnn()
    };
    let e = Chunks::new("T", vec![0, 1], (4, 4), &cfg).unwrap_err();
    assert_eq!(
        e.to_string(),
        "T: 2 characters of data, need at least T + 1 = 3"
    );
    let e = Chunks::new("T", vec![0, 7, 1], (4, 4), &cfg).unwrap_err();
    assert!(e.to_string().contains("id 7 at position 1"), "{e}");
    let e = Chunks::new("T", vec![0, 1, 2], (3, 4), &cfg).unwrap_err();
    assert!(
        e.to_string().contains("reads 3 and the output has 4"),
        "{e}"
    );
    let bad = TrainConfig {
        seq_len: 0,
        ..cfg.clone()
    };
    let e = Chunks::new("T", vec![0, 1, 2], (4, 4), &bad).unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e}");
    let global = TrainConfig {
        clip: Clip::GlobalNorm(1.0),
        ..cfg
    };
    let e = global.fast_clip("FastX").unwrap_err();
    assert!(
        e.to_string().starts_with("FastX: invalid configuration"),
        "{e}"
    );
    assert_eq!(TrainConfig::min_char_rnn().fast_clip("FastX"), Ok(5.0));
}
