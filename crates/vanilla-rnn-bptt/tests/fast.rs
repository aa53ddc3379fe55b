//! The fast path computes the same numbers as the textbook engine.

use foundations::{Error, ParamsExt};
use vanilla_rnn_bptt::{
    CharTrainer, Clip, FastBptt, FastTrainer, LossScale, RecurrentModel, Rnn,
    RnnCell, Targets, TrainConfig, bptt, one_hot_inputs,
};

fn model(v: usize, n: usize, seed: u64) -> RecurrentModel<RnnCell> {
    let mut rng = foundations::rng(seed);
    Rnn::random(v, n, v, 0.4, &mut rng).unwrap().to_model()
}

fn ids(len: usize, v: usize, salt: usize) -> Vec<usize> {
    (0..len).map(|i| (i * i * 7 + i * 3 + salt) % v).collect()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

#[test]
fn fast_bptt_equals_the_engine_on_one_hot_chunks() {
    for (v, n, t, seed) in [(7, 5, 9, 1), (13, 17, 25, 2), (3, 1, 1, 3)] {
        let m = model(v, n, seed);
        let data = ids(t + 1, v, seed as usize);
        let (inputs, targets) = (&data[..t], &data[1..]);
        let h0 =
            foundations::init::uniform(n, 1, 0.9, &mut foundations::rng(9));
        let mut fast = FastBptt::new(&m, t);
        let loss = fast.run(&m, h0.as_slice(), inputs, targets);
        let xs = one_hot_inputs(inputs, v);
        let e = bptt(&m, &h0, &xs, &Targets::from_ids(targets), LossScale::Sum);
        assert!((loss - e.loss).abs() < 1e-12 * e.loss.abs().max(1.0));
        assert!(
            close(&fast.grads.to_flat(), &e.grads.to_flat(), 1e-12),
            "gradients differ for V = {v}, n = {n}, T = {t}"
        );
        assert!(close(fast.last_h(t), e.last_state.as_slice(), 1e-14));
    }
}

#[test]
fn fast_training_equals_the_engine_trainer() {
    let (v, n) = (11, 8);
    let data = ids(400, v, 4);
    let config = TrainConfig {
        seq_len: 10,
        ..TrainConfig::min_char_rnn()
    };
    let mut slow = model(v, n, 5);
    let mut quick = slow.clone();
    let mut a = CharTrainer::new(&slow, data.clone(), config.clone()).unwrap();
    let mut b = FastTrainer::new(&quick, data, config).unwrap();
    for step in 0..60 {
        let la = a.step(&mut slow).unwrap();
        let lb = b.step(&mut quick).unwrap();
        assert!((la - lb).abs() < 1e-9 * la, "step {step}: {la} vs {lb}");
    }
    assert!(close(&slow.to_flat(), &quick.to_flat(), 1e-9));
    assert!((a.smooth_loss() - b.smooth_loss()).abs() < 1e-9);
}

#[test]
fn the_fast_trainer_refuses_what_it_does_not_implement() {
    let m = model(4, 3, 1);
    let data = ids(50, 4, 0);
    for config in [
        TrainConfig {
            scale: LossScale::BatchStepMean,
            ..TrainConfig::min_char_rnn()
        },
        TrainConfig {
            clip: Clip::GlobalNorm(5.0),
            ..TrainConfig::min_char_rnn()
        },
        TrainConfig {
            truncation: Some(5),
            ..TrainConfig::min_char_rnn()
        },
    ] {
        let e = FastTrainer::new(&m, data.clone(), config).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }
    let e = FastTrainer::new(
        &m,
        vec![0, 9, 1],
        TrainConfig {
            seq_len: 2,
            ..TrainConfig::min_char_rnn()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("id 9"), "{e}");
}

#[test]
fn a_non_finite_loss_stops_the_fast_trainer() {
    let mut m = model(4, 3, 1);
    m.cell.w[(0, 0)] = f64::INFINITY;
    let mut t =
        FastTrainer::new(&m, ids(50, 4, 0), TrainConfig::min_char_rnn())
            .unwrap();
    let before = m.clone();
    assert!(matches!(t.step(&mut m), Err(Error::NonFiniteLoss { .. })));
    assert_eq!(m.out.v, before.out.v);
}

#[test]
fn fast_training_equals_the_engine_at_the_sonnets_size() {
    let text = &datasets::sonnets()[..3000];
    let vocab = datasets::Vocab::from_text(datasets::sonnets()).unwrap();
    let data = vocab.encode(text).unwrap();
    let v = vocab.len();
    let mut slow = Rnn::new(v, 100, v, &mut foundations::rng(1))
        .unwrap()
        .to_model();
    let mut quick = slow.clone();
    let config = TrainConfig::min_char_rnn();
    let mut a = CharTrainer::new(&slow, data.clone(), config.clone()).unwrap();
    let mut b = FastTrainer::new(&quick, data, config).unwrap();
    for step in 0..12 {
        let la = a.step(&mut slow).unwrap();
        let lb = b.step(&mut quick).unwrap();
        assert!((la - lb).abs() < 1e-9 * la, "step {step}: {la} vs {lb}");
    }
    assert!(close(&slow.to_flat(), &quick.to_flat(), 1e-8));
}
