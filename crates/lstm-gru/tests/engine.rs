//! The engine form of each cell against its reference form, every sequence
//! backward (single cells, stacks, truncated BPTT) against central
//! differences, and the fast LSTM trainer against the generic one. Not
//! graded: these run the vanilla-rnn-bptt engine.

use datasets::one_hot;
use foundations::{
    Mat, Named, Params, ParamsExt, assert_gradients, graded_config, rng,
};
use lstm_gru::{Gru, Lstm, LstmState, LstmStateGrads, Stack};
use proptest::prelude::*;
use vanilla_rnn_bptt::{
    LossScale, Output, RecurrentCell, RecurrentModel, Targets, bptt,
    truncated_bptt,
};

mod common;
use common::{gru, lstm, rand_mat};

#[track_caller]
fn assert_close(what: &str, got: &Mat, want: &Mat) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    let err = (got - want).amax();
    assert!(
        err < 1e-12,
        "{what}: engine and reference differ by {err:e}"
    );
}

#[test]
fn lstm_engine_equals_the_reference_for_dense_and_one_hot_inputs() {
    let (d, n, b) = (4, 3, 2);
    let cell = lstm(n, d, 1);
    let st = LstmState {
        h: rand_mat(n, b, 1.0, 2),
        c: rand_mat(n, b, 1.0, 3),
    };
    let d_next = LstmStateGrads {
        d_h: rand_mat(n, b, 1.0, 4),
        d_c: rand_mat(n, b, 1.0, 5),
    };
    for x in [rand_mat(d, b, 1.0, 6), one_hot(&[2, 0], d)] {
        let (s_ref, c_ref) = cell.step_forward_reference(&st, &x);
        let (s_eng, c_eng) = cell.step_forward(&st, &x);
        assert_close("h", &s_eng.h, &s_ref.h);
        assert_close("c", &s_eng.c, &s_ref.c);
        let (g_ref, dp_ref, dx_ref) =
            cell.step_backward_reference(&c_ref, &d_next);
        let (g_eng, dp_eng, dx_eng) = cell.step_backward(&c_eng, &d_next);
        assert_close("dW", &g_eng.w, &g_ref.w);
        assert_close("db", &g_eng.b, &g_ref.b);
        assert_close("dx", &dx_eng, &dx_ref);
        assert_close("d_h_prev", &dp_eng.d_h, &dp_ref.d_h);
        assert_close("d_c_prev", &dp_eng.d_c, &dp_ref.d_c);
    }
}

#[test]
fn gru_engine_equals_the_reference_for_dense_and_one_hot_inputs() {
    let (d, n, b) = (4, 3, 2);
    let cell = gru(n, d, 1);
    let hp = rand_mat(n, b, 1.0, 2);
    let up = rand_mat(n, b, 1.0, 3);
    for x in [rand_mat(d, b, 1.0, 6), one_hot(&[3, 1], d)] {
        let (h_ref, c_ref) = cell.step_forward_reference(&hp, &x);
        let (h_eng, c_eng) = cell.step_forward(&hp, &x);
        assert_close("h", &h_eng, &h_ref);
        let (g_ref, dh_ref, dx_ref) = cell.step_backward_reference(&c_ref, &up);
        let (g_eng, dh_eng, dx_eng) = cell.step_backward(&c_eng, &up);
        let (a, b) = (g_eng.to_flat(), g_ref.to_flat());
        let err = a
            .iter()
            .zip(&b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-12, "parameter gradients differ by {err:e}");
        assert_close("dx", &dx_eng, &dx_ref);
        assert_close("d_h_prev", &dh_eng, &dh_ref);
    }
}

#[test]
fn stacks_that_cannot_work_are_configuration_errors() {
    let e = Stack::<Lstm>::new(vec![]).unwrap_err();
    assert!(e.to_string().contains("at least 1 cell"), "{e}");
    let cells = vec![
        Lstm::new(3, 4, &mut rng(1)).unwrap(),
        Lstm::new(5, 4, &mut rng(2)).unwrap(),
    ];
    let e = Stack::new(cells).unwrap_err();
    assert!(
        e.to_string()
            .contains("layer 1 reads inputs of size 5, but layer 0 below it"),
        "{e}"
    );
}

#[test]
#[should_panic(expected = "Lstm::step_forward: x is 2x1, expected 3 x B")]
fn engine_input_of_the_wrong_size_is_named() {
    let l = Lstm::new(3, 4, &mut rng(1)).unwrap();
    l.step_forward(&l.zero_state(1), &Mat::zeros(2, 1));
}

/// A model over `v` classes, the loss of predicting `ids[1..]`.
fn check_model<C: RecurrentCell>(cell: C, t_len: usize, k: usize, seed: u64) {
    let n = cell.hidden_size();
    let v = cell.input_size();
    let out = Output {
        v: rand_mat(v, n, 0.8, seed + 7),
        c: rand_mat(v, 1, 0.5, seed + 8),
    };
    let model = RecurrentModel::new(cell, out).unwrap();
    let mut r = rng(seed);
    let ids: Vec<usize> = (0..=t_len)
        .map(|_| rand::Rng::random_range(&mut r, 0..v))
        .collect();
    let xs: Vec<Mat> = ids[..t_len].iter().map(|&i| one_hot(&[i], v)).collect();
    let ys = Targets::from_ids(&ids[1..]);
    // a non-zero initial state, so gradients through it are exercised
    let mut h0 = model.cell.zero_state(1);
    let mut s = seed;
    h0.visit_mut(&mut |_, m| {
        s += 1;
        *m = rand_mat(m.nrows(), 1, 1.0, s);
    });
    let g = truncated_bptt(&model, &h0, &xs, &ys, LossScale::Sum, k);
    // Truncated BPTT differentiates each chunk's loss with the state that
    // enters the chunk held constant: those states come from the unperturbed
    // model.
    let mut starts = vec![h0.clone()];
    for start in (0..t_len).step_by(k).skip(1) {
        let r = bptt(
            &model,
            &h0,
            &xs[..start],
            &ys.slice(0..start),
            LossScale::Sum,
        );
        starts.push(r.last_state);
    }
    assert_gradients(
        "truncated bptt over the engine cell",
        &model,
        &g.grads,
        |p| {
            (0..t_len)
                .step_by(k)
                .zip(&starts)
                .map(|(start, s)| {
                    let end = (start + k).min(t_len);
                    bptt(
                        p,
                        s,
                        &xs[start..end],
                        &ys.slice(start..end),
                        LossScale::Sum,
                    )
                    .loss
                })
                .sum::<f64>()
        },
    );
    if k >= t_len {
        let full = bptt(&model, &h0, &xs, &ys, LossScale::Sum);
        let theta = Named("h0", h0.clone());
        let mut d0 = h0.clone();
        let flat = full.d_h0.to_flat();
        let mut i = 0;
        d0.visit_mut(&mut |_, m| {
            for x in m.iter_mut() {
                *x = flat[i];
                i += 1;
            }
        });
        assert_gradients(
            "bptt: d_h0 (h and c)",
            &theta,
            &Named("h0", d0),
            |p| bptt(&model, &p.1, &xs, &ys, LossScale::Sum).loss,
        );
    }
}

proptest! {
    #![proptest_config(graded_config())]
    #[test]
    fn lstm_engine_sequences_match_numeric(
        v in 2usize..5, n in 1usize..4, t_len in 1usize..7, k in 1usize..8,
        seed in 0u64..500
    ) {
        // k ≥ T is full BPTT (and checks ∂L/∂h₀); k < T truncates
        check_model(lstm(n, v, seed), t_len, k, seed);
    }

    #[test]
    fn gru_engine_sequences_match_numeric(
        v in 2usize..5, n in 1usize..4, t_len in 1usize..7, k in 1usize..8,
        seed in 0u64..500
    ) {
        check_model(gru(n, v, seed), t_len, k, seed);
    }

    #[test]
    fn stacked_sequences_with_truncation_match_numeric(
        v in 2usize..4, n in 1usize..3, depth in 1usize..3,
        t_len in 2usize..5, k in 1usize..4, seed in 0u64..500
    ) {
        let cells = (0..depth)
            .map(|l| lstm(n, if l == 0 { v } else { n }, seed + l as u64))
            .collect();
        check_model(Stack::new(cells).unwrap(), t_len, k, seed);
        let cells = (0..depth)
            .map(|l| gru(n, if l == 0 { v } else { n }, seed + l as u64))
            .collect();
        check_model(Stack::new(cells).unwrap(), t_len, k, seed);
    }
}

#[test]
fn fast_lstm_char_model_equals_the_generic_path() {
    // n = 3: blocks of four columns and rows in blocks of eight do not
    // divide the sizes, so the kernels' remainders run too
    for (v, n) in [(5, 4), (7, 3)] {
        fast_lstm_equals_generic(v, n);
    }
}

fn fast_lstm_equals_generic(v: usize, n: usize) {
    use lstm_gru::{FastLstm, FastLstmTrainer};
    use vanilla_rnn_bptt::{CharTrainer, Clip, TrainConfig};
    let cell = lstm(n, v, 3);
    let out = Output {
        v: rand_mat(v, n, 0.5, 4),
        c: rand_mat(v, 1, 0.5, 5),
    };
    let model = RecurrentModel::new(cell, out).unwrap();
    let mut r = rng(6);
    let data: Vec<usize> = (0..40)
        .map(|_| rand::Rng::random_range(&mut r, 0..v))
        .collect();
    // two chunks in a row: loss and every gradient of each (the second
    // checks that nothing of the first is left in the gradients)
    let (h0, c0) = (rand_mat(n, 1, 1.0, 7), rand_mat(n, 1, 1.0, 8));
    let mut fast = FastLstm::new(&model, 6).unwrap();
    for start in [0, 17] {
        let (ins, tgs) = (&data[start..start + 6], &data[start + 1..start + 7]);
        let loss = fast.loss_and_grads(&model, ins, tgs, &h0, &c0);
        let xs: Vec<Mat> = ins.iter().map(|&i| one_hot(&[i], v)).collect();
        let st = LstmState {
            h: h0.clone(),
            c: c0.clone(),
        };
        let slow =
            bptt(&model, &st, &xs, &Targets::from_ids(tgs), LossScale::Sum);
        assert!((loss - slow.loss).abs() < 1e-12, "{loss} vs {}", slow.loss);
        let err = fast
            .grads()
            .to_flat()
            .iter()
            .zip(slow.grads.to_flat())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-12, "fast and generic gradients differ by {err:e}");
    }
    // several training steps, wrapping around the corpus: same parameters
    // (a clipping threshold and learning rate other than min-char-rnn's,
    // so that the fast path is seen to read them from the configuration)
    let config = TrainConfig {
        seq_len: 6,
        lr: 0.05,
        clip: Clip::Elementwise(0.5),
        ..TrainConfig::min_char_rnn()
    };
    let (mut m1, mut m2) = (model.clone(), model);
    let mut slow = CharTrainer::new(&m1, data.clone(), config.clone()).unwrap();
    let mut quick = FastLstmTrainer::new(&m2, data, config).unwrap();
    for _ in 0..9 {
        let a = slow.step(&mut m1).unwrap();
        let b = quick.step(&mut m2).unwrap();
        assert!((a - b).abs() < 1e-10, "losses {a} vs {b}");
    }
    let err = m1
        .to_flat()
        .iter()
        .zip(m2.to_flat())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-10, "parameters after 9 steps differ by {err:e}");
}

#[test]
fn fast_lstm_trainer_refuses_what_it_does_not_implement() {
    use lstm_gru::FastLstmTrainer;
    use vanilla_rnn_bptt::{Clip, TrainConfig};
    let mut r = rng(1);
    let model = RecurrentModel::new(
        Lstm::new(4, 3, &mut r).unwrap(),
        Output::new(3, 4, &mut r).unwrap(),
    )
    .unwrap();
    let data: Vec<usize> = (0..30).map(|i| i % 4).collect();
    let base = TrainConfig {
        seq_len: 5,
        ..TrainConfig::min_char_rnn()
    };
    assert!(FastLstmTrainer::new(&model, data.clone(), base.clone()).is_ok());
    let refused = [
        TrainConfig {
            scale: LossScale::BatchMean,
            ..base.clone()
        },
        TrainConfig {
            clip: Clip::GlobalNorm(5.0),
            ..base.clone()
        },
        TrainConfig {
            clip: Clip::None,
            ..base.clone()
        },
        TrainConfig {
            truncation: Some(2),
            ..base.clone()
        },
        TrainConfig {
            seq_len: 0,
            ..base.clone()
        },
        TrainConfig {
            lr: -0.1,
            ..base.clone()
        },
    ];
    for config in refused {
        let e = FastLstmTrainer::new(&model, data.clone(), config.clone())
            .expect_err(&format!("{config:?} should be refused"));
        assert!(
            matches!(e, foundations::Error::Config { .. }),
            "{config:?}: {e}"
        );
    }
}

/// Every engine cell plugs into vanilla-rnn-bptt's `CharTrainer` (truncated
/// BPTT on chunks of T = 8) and `sample`: trained on a cycle through the
/// vocabulary, the model's loss falls and a sample at a low temperature
/// continues the cycle from any seed character.
fn learns_and_samples_a_cycle<C: RecurrentCell + Clone>(what: &str, cell: C) {
    use vanilla_rnn_bptt::{CharTrainer, TrainConfig, sample};
    let v = cell.input_size();
    let n = cell.hidden_size();
    let out = Output::new(n, v, &mut rng(2)).unwrap();
    let mut model = RecurrentModel::new(cell, out).unwrap();
    let data: Vec<usize> = (0..200).map(|i| i % v).collect();
    let config = TrainConfig {
        seq_len: 8,
        ..TrainConfig::min_char_rnn()
    };
    let mut trainer = CharTrainer::new(&model, data, config).unwrap();
    let first = trainer.step(&mut model).unwrap();
    let mut last = first;
    for _ in 0..300 {
        last = trainer.step(&mut model).unwrap();
    }
    assert!(
        last < 0.05 * first,
        "{what}: chunk loss {first:.3} → {last:.3} after 300 steps"
    );
    let state = model.cell.zero_state(1);
    let ids = sample(&model, &state, 2, 12, 0.05, &mut rng(3)).unwrap();
    let want: Vec<usize> = (3..15).map(|i| i % v).collect();
    assert_eq!(ids, want, "{what}: a sample from seed 2 at τ = 0.05");
}

#[test]
fn lstm_gru_and_stacks_train_with_char_trainer_and_sample() {
    let mut r = rng(1);
    learns_and_samples_a_cycle("Lstm", Lstm::new(5, 8, &mut r).unwrap());
    learns_and_samples_a_cycle("Gru", Gru::new(5, 8, &mut r).unwrap());
    let stack = Stack::new(vec![
        Gru::new(5, 8, &mut r).unwrap(),
        Gru::new(8, 8, &mut r).unwrap(),
    ])
    .unwrap();
    learns_and_samples_a_cycle("Stack<Gru> (L = 2)", stack);
    let stack = Stack::new(vec![Lstm::new(5, 8, &mut r).unwrap()]).unwrap();
    learns_and_samples_a_cycle("Stack<Lstm> (L = 1)", stack);
}
