//! Engine tests: the batched engine equals the reference, gradient checks of
//! attention (both scorings), a decoder step and the whole model on random
//! sizes, the properties of attention, bad input, decoding.

use attention::decode::{greedy, sample};
use attention::engine::{attention_backward, attention_forward};
use attention::{
    Additive, Context, Scoring, Seq2Seq, Translator,
    attention_forward_reference,
};
use foundations::{Mat, Named, ParamsExt, assert_gradients, rng};
use lstm_gru::Lstm;
use proptest::prelude::*;
use vanilla_rnn_bptt::RecurrentCell;

mod common;
use common::{cols, rand_mat};
mod seq2seq_common;
use seq2seq_common::{check_gradients, gru_model, lstm_model, random_seqs};

fn scoring(scaled: bool) -> Scoring {
    if scaled {
        Scoring::ScaledDot
    } else {
        Scoring::Dot
    }
}

proptest! {
    #![proptest_config(foundations::graded_config())]

    #[test]
    fn engine_attention_gradients_match_numeric(
        d in 1usize..4, dv in 1usize..3, n in 1usize..4, b in 1usize..3,
        scaled: bool, seed in 0u64..1000,
    ) {
        let scale = scoring(scaled).scale(d);
        let theta = (
            Named("q", rand_mat(d, b, seed)),
            Named("keys", (0..n).map(|i| rand_mat(d, b, seed + 1 + i as u64)).collect::<Vec<_>>()),
            Named("values", (0..n).map(|i| rand_mat(dv, b, seed + 20 + i as u64)).collect::<Vec<_>>()),
        );
        let w = rand_mat(dv, b, seed + 3);
        let (_, cache) = attention_forward(&theta.0.1, &theta.1.1, &theta.2.1, scale);
        let (dq, dk, dv_) = attention_backward(&cache, &w);
        let grads = (Named("q", dq), Named("keys", dk), Named("values", dv_));
        assert_gradients("engine::attention_backward", &theta, &grads, |t| {
            attention_forward(&t.0.1, &t.1.1, &t.2.1, scale).0.dot(&w)
        });
    }

    #[test]
    fn additive_attention_gradients_match_numeric(
        dq in 1usize..4, dk in 1usize..4, dv in 1usize..4, a in 1usize..4,
        n in 1usize..5, seed in 0u64..1000,
    ) {
        let model = Additive::new(dq, dk, a, &mut rng(seed)).unwrap();
        let inputs = (
            Named("q", rand_mat(dq, 1, seed + 1)),
            Named("keys", rand_mat(dk, n, seed + 2)),
            Named("values", rand_mat(dv, n, seed + 3)),
        );
        let w = rand_mat(dv, 1, seed + 4);
        let (_, cache) = model.forward(&inputs.0.1, &inputs.1.1, &inputs.2.1);
        let (g, d_q, d_k, d_v) = model.backward(&cache, &w);
        let theta = (model, inputs);
        let grads = (g, (Named("q", d_q), Named("keys", d_k), Named("values", d_v)));
        assert_gradients("Additive::backward", &theta, &grads, |(m, x)| {
            m.forward(&x.0.1, &x.1.1, &x.2.1).0.dot(&w)
        });
    }

    #[test]
    fn attention_weights_are_a_distribution(
        d in 1usize..5, n in 1usize..8, scaled: bool, big in 0.1f64..100.0,
        seed in 0u64..1000,
    ) {
        let q = rand_mat(d, 1, seed) * big;
        let k = rand_mat(d, n, seed + 1) * big;
        let ks = cols(&k);
        let (_, c) = attention_forward(&q, &ks, &ks, scoring(scaled).scale(d));
        prop_assert!(c.p.iter().all(|p| (0.0..=1.0).contains(p)));
        prop_assert!((c.p.sum() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn identical_keys_give_the_mean_of_the_values(
        d in 1usize..5, dv in 1usize..4, n in 1usize..8, seed in 0u64..1000,
    ) {
        let q = rand_mat(d, 1, seed);
        let k1 = rand_mat(d, 1, seed + 1);
        let keys = Mat::from_fn(d, n, |r, _| k1[r]);
        let vals = rand_mat(dv, n, seed + 2);
        let (z, _) = attention_forward(&q, &cols(&keys), &cols(&vals), 1.0);
        let mean = vals.column_mean();
        prop_assert!((z - mean).amax() < 1e-12);
        // and the additive scoring agrees
        let add = Additive::new(d, d, 3, &mut rng(seed)).unwrap();
        let (z2, _) = add.forward(&q, &keys, &vals);
        prop_assert!((z2 - vals.column_mean()).amax() < 1e-12);
    }

    #[test]
    fn permuting_key_value_pairs_together_changes_nothing(
        d in 1usize..5, dv in 1usize..4, n in 2usize..8, seed in 0u64..1000,
    ) {
        use rand::seq::SliceRandom;
        let q = rand_mat(d, 1, seed);
        let keys = rand_mat(d, n, seed + 1);
        let vals = rand_mat(dv, n, seed + 2);
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng(seed));
        let kp = Mat::from_fn(d, n, |r, i| keys[(r, perm[i])]);
        let vp = Mat::from_fn(dv, n, |r, i| vals[(r, perm[i])]);
        let sc = Scoring::ScaledDot.scale(d);
        let (z, _) = attention_forward(&q, &cols(&keys), &cols(&vals), sc);
        let (zp, _) = attention_forward(&q, &cols(&kp), &cols(&vp), sc);
        prop_assert!((z - zp).amax() < 1e-12);
        let add = Additive::new(d, d, 2, &mut rng(seed)).unwrap();
        let (z, _) = add.forward(&q, &keys, &vals);
        let (zp, _) = add.forward(&q, &kp, &vp);
        prop_assert!((z - zp).amax() < 1e-12);
    }

    #[test]
    fn lstm_seq2seq_gradients_match_numeric(
        n in 1usize..4, n_src in 1usize..4, t in 1usize..4, b in 1usize..3,
        attn: bool, seed in 0u64..1000,
    ) {
        let ctx = if attn { Context::Attention } else { Context::LastState };
        let model = lstm_model(5, 4, n, ctx, seed, false);
        check_gradients("Seq2Seq<Lstm>::backward", &model, (b, n_src, t), seed);
    }

    #[test]
    fn gru_seq2seq_gradients_match_numeric(
        n in 1usize..4, n_src in 1usize..4, t in 1usize..4, b in 1usize..3,
        attn: bool, seed in 0u64..1000,
    ) {
        let ctx = if attn { Context::Attention } else { Context::LastState };
        let model = gru_model(5, 4, n, ctx, seed, false);
        check_gradients("Seq2Seq<Gru>::backward", &model, (b, n_src, t), seed);
    }
}

#[test]
fn a_decoder_step_has_checked_gradients_too() {
    // T = 1: the loss is one decoder step with attention on top of the
    // encoder; every parameter of that step is checked.
    let model = lstm_model(5, 4, 3, Context::Attention, 11, false);
    let src = random_seqs(2, 4, 5, 12);
    let tgt = vec![vec![3], vec![2]];
    let (_, cache) = model.forward(&src, &tgt);
    let grads = model.backward(&cache);
    let r = assert_gradients("decoder step", &model, &grads, |m| {
        m.forward(&src, &tgt).0
    });
    assert!(r.param("w_o").unwrap().passed());
    assert!(grads.get("decoder.w").unwrap().amax() > 0.0);
}

#[test]
fn without_attention_only_the_last_encoder_state_is_read() {
    // Change the first source token: with attention the very first logits
    // move at once (h_1 is attended); without, only through the recurrence.
    let model = lstm_model(5, 4, 3, Context::LastState, 3, false);
    let (l1, _) = model.forward(&[vec![3, 4, 4]], &[vec![3, 2]]);
    let (l2, _) = model.forward(&[vec![4, 4, 4]], &[vec![3, 2]]);
    assert!((l1 - l2).abs() > 0.0);
    assert_eq!(
        model.num_params(),
        lstm_model(5, 4, 3, Context::Attention, 3, false).num_params()
    );
}

#[test]
#[should_panic(
    expected = "attention_forward_reference: values is 2x3, expected d_v x 4"
)]
fn keys_and_values_of_different_counts_are_refused() {
    attention_forward_reference(
        &Mat::zeros(2, 1),
        &Mat::zeros(2, 4),
        &Mat::zeros(2, 3),
        Scoring::Dot,
    );
}

#[test]
#[should_panic(
    expected = "attention_forward_reference: q is 3x1, expected 2 x 1"
)]
fn a_query_of_the_wrong_size_is_refused() {
    attention_forward_reference(
        &Mat::zeros(3, 1),
        &Mat::zeros(2, 4),
        &Mat::zeros(2, 4),
        Scoring::Dot,
    );
}

#[test]
#[should_panic(expected = "an empty source has nothing to attend to")]
fn an_empty_source_is_refused() {
    attention_forward_reference(
        &Mat::zeros(2, 1),
        &Mat::zeros(2, 0),
        &Mat::zeros(2, 0),
        Scoring::Dot,
    );
}

#[test]
#[should_panic(expected = "engine::attention_forward: 3 keys but 2 values")]
fn the_engine_refuses_keys_without_values() {
    let k = vec![Mat::zeros(2, 1); 3];
    attention_forward(&Mat::zeros(2, 1), &k, &k[..2], 1.0);
}

#[test]
#[should_panic(expected = "engine::attention_forward: no keys")]
fn the_engine_refuses_an_empty_source() {
    attention_forward(&Mat::zeros(2, 1), &[], &[], 1.0);
}

#[test]
#[should_panic(expected = "Additive::forward: q is 2x1, expected 3 x 1")]
fn additive_refuses_a_query_of_the_wrong_size() {
    let a = Additive::new(3, 2, 4, &mut rng(0)).unwrap();
    a.forward(&Mat::zeros(2, 1), &Mat::zeros(2, 4), &Mat::zeros(1, 4));
}

#[test]
#[should_panic(expected = "Seq2Seq::encode: src[0] is empty")]
fn the_model_refuses_an_empty_source() {
    let m = lstm_model(5, 4, 2, Context::Attention, 0, false);
    m.forward(&[vec![]], &[vec![2]]);
}

#[test]
fn configurations_that_cannot_work_are_errors() {
    let mut r = rng(0);
    let enc = Lstm::new(5, 3, &mut r).unwrap();
    let dec = Lstm::new(4, 2, &mut r).unwrap();
    let e = Seq2Seq::new(enc.clone(), dec, 4, Context::Attention, &mut r)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("encoder has n = 3 but decoder n = 2"),
        "{e}"
    );
    let dec = Lstm::new(4, 3, &mut r).unwrap();
    assert!(Seq2Seq::new(enc, dec, 7, Context::Attention, &mut r).is_err());
    assert!(Additive::new(0, 2, 2, &mut r).is_err());
}

#[test]
fn cold_sampling_is_greedy_and_sampling_is_seeded() {
    let model = lstm_model(6, 5, 3, Context::Attention, 5, false);
    let tr = Translator::new(&model, &[3, 4, 5]);
    let g = greedy(&tr, 6);
    let cold = sample(&tr, 6, 1e-3, &mut rng(1));
    assert_eq!(cold.tokens, g.tokens);
    let a = sample(&tr, 6, 1.5, &mut rng(2));
    let b = sample(&tr, 6, 1.5, &mut rng(2));
    assert_eq!(a, b);
    let (toks, w) = tr.greedy_with_attention(6);
    assert_eq!(toks, g.tokens);
    assert_eq!(w.shape(), (toks.len(), 3));
    for row in w.row_iter() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn the_tokens_and_states_of_a_translator_match_teacher_forcing() {
    // Feeding the greedy output back as the target reproduces the same
    // logits under teacher forcing.
    let model = lstm_model(6, 5, 3, Context::Attention, 8, false);
    let src = vec![3, 4, 5, 3];
    let tr = Translator::new(&model, &src);
    let g = greedy(&tr, 4);
    let (loss, _) = model
        .forward(std::slice::from_ref(&src), std::slice::from_ref(&g.tokens));
    assert!(
        (loss + g.log_prob).abs() < 1e-10,
        "{loss} vs {}",
        -g.log_prob
    );
    let _ = model.encoder.hidden_size();
}

mod captioning {
    use attention::captioning::{
        CaptionDecoder, Captioner, caption_ids, caption_vocab,
    };
    use attention::decode::greedy;
    use foundations::{assert_gradients, init::uniform, rng};

    #[test]
    fn captions_are_the_words_with_end() {
        let v = caption_vocab();
        assert_eq!(v.len(), 18);
        assert_eq!(v.decode(&caption_ids(7)).unwrap(), "seven");
        assert_eq!(*caption_ids(0).last().unwrap(), datasets::dates::END);
    }

    #[test]
    fn decoder_gradients_match_numeric() {
        let mut r = rng(3);
        let mut cap = Captioner::new(4, 3, 18, &mut r).unwrap();
        cap.rnn.cell.u = uniform(3, 22, 0.5, &mut r);
        cap.rnn.cell.w = uniform(3, 3, 0.5, &mut r);
        let v = uniform(4, 2, 1.0, &mut r);
        let caps = vec![caption_ids(1), caption_ids(2)]; // one, two
        let (_, g) = cap.loss_and_grads(&v, &caps);
        assert_gradients("Captioner::loss_and_grads", &cap, &g, |c| {
            c.loss_and_grads(&v, &caps).0
        });
    }

    #[test]
    fn the_image_features_change_the_caption_distribution() {
        let mut r = rng(4);
        let mut cap = Captioner::new(4, 5, 18, &mut r).unwrap();
        cap.rnn.cell.u = uniform(5, 22, 1.0, &mut r);
        let a = uniform(4, 1, 1.0, &mut r);
        let b = uniform(4, 1, 1.0, &mut r);
        let ga = greedy(&CaptionDecoder::new(&cap, &a), 6);
        let gb = greedy(&CaptionDecoder::new(&cap, &b), 6);
        assert!((ga.log_prob - gb.log_prob).abs() > 1e-9);
    }

    #[test]
    #[should_panic(
        expected = "Captioner::loss_and_grads: v is 3x2, expected 4 x 2"
    )]
    fn features_of_the_wrong_size_are_refused() {
        let cap = Captioner::new(4, 3, 18, &mut rng(0)).unwrap();
        cap.loss_and_grads(
            &foundations::Mat::zeros(3, 2),
            &[caption_ids(1), caption_ids(2)],
        );
    }
}
