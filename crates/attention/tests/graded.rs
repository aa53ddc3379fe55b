//! Graded tests: one module per exercise of `exercises/attention.toml`.

use foundations::{Mat, rng};

mod common;
use common::{cols, rand_mat};

mod dot_attention_forward {
    use super::*;
    use attention::engine::attention_forward;
    use attention::{Scoring, attention_forward_reference};
    use proptest::prelude::*;

    #[test]
    fn output_is_the_softmax_weighted_sum_of_the_values() {
        // q = (1, 0); keys (1, 0), (0, 1), (−1, 0): scores 1, 0, −1.
        let q = Mat::from_column_slice(2, 1, &[1.0, 0.0]);
        let k = Mat::from_column_slice(2, 3, &[1.0, 0.0, 0.0, 1.0, -1.0, 0.0]);
        let v = Mat::from_row_slice(1, 3, &[10.0, 20.0, 30.0]);
        let (z, cache) = attention_forward_reference(&q, &k, &v, Scoring::Dot);
        let e = [1f64.exp(), 1.0, (-1f64).exp()];
        let total: f64 = e.iter().sum();
        let p: Vec<f64> = e.iter().map(|x| x / total).collect();
        for i in 0..3 {
            assert!(
                (cache.p[i] - p[i]).abs() < 1e-12,
                "p[{i}] = {} but softmax(s)[{i}] = {}",
                cache.p[i],
                p[i]
            );
        }
        let want = 10.0 * p[0] + 20.0 * p[1] + 30.0 * p[2];
        assert!(
            (z[0] - want).abs() < 1e-12,
            "z = {} but Σ p_i v_i = {want}",
            z[0]
        );
        assert_eq!(z.shape(), (1, 1), "z is d_v x 1");
    }

    #[test]
    fn scaled_scores_divide_by_the_square_root_of_d() {
        let q = Mat::from_element(4, 1, 1.0);
        let k = Mat::from_column_slice(
            4,
            2,
            &[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        );
        let v = Mat::identity(2, 2);
        // scores 4/√4 = 2 and 0
        let (z, c) =
            attention_forward_reference(&q, &k, &v, Scoring::ScaledDot);
        let p0 = 2f64.exp() / (2f64.exp() + 1.0);
        assert!(
            (c.p[0] - p0).abs() < 1e-12,
            "p[0] = {} expected {p0}: scale by 1/√d",
            c.p[0]
        );
        assert!((z[0] - p0).abs() < 1e-12);
        assert!(
            (c.scale - 0.5).abs() < 1e-15,
            "cache.scale should be 1/√d = 0.5"
        );
    }

    #[test]
    fn huge_scores_do_not_overflow() {
        let q = Mat::from_element(1, 1, 1e4);
        let k = Mat::from_row_slice(1, 2, &[1.0, -1.0]);
        let (z, c) = attention_forward_reference(&q, &k, &k, Scoring::Dot);
        assert!(
            z[0].is_finite() && (c.p.sum() - 1.0).abs() < 1e-12,
            "subtract max(s) before exp"
        );
        assert!((z[0] - 1.0).abs() < 1e-12);
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]

        #[test]
        fn agrees_with_the_engine_on_random_sizes(
            d in 1usize..6, dv in 1usize..4, n in 1usize..7, scaled: bool,
            seed in 0u64..1000,
        ) {
            let sc = if scaled { Scoring::ScaledDot } else { Scoring::Dot };
            let q = rand_mat(d, 1, seed);
            let k = rand_mat(d, n, seed + 1);
            let v = rand_mat(dv, n, seed + 2);
            let (z, c) = attention_forward_reference(&q, &k, &v, sc);
            let (ze, ce) = attention_forward(&q, &cols(&k), &cols(&v), sc.scale(d));
            prop_assert!((&z - &ze).amax() < 1e-12, "z differs from the engine's");
            prop_assert!((&c.p - &ce.p).amax() < 1e-12, "p differs from the engine's");
        }

        #[test]
        fn identical_keys_give_the_mean_of_the_values(
            d in 1usize..5, dv in 1usize..4, n in 1usize..8, seed in 0u64..1000,
        ) {
            let q = rand_mat(d, 1, seed);
            let k1 = rand_mat(d, 1, seed + 1);
            let keys = Mat::from_fn(d, n, |r, _| k1[r]);
            let vals = rand_mat(dv, n, seed + 2);
            let (z, _) = attention_forward_reference(&q, &keys, &vals, Scoring::Dot);
            prop_assert!((z - vals.column_mean()).amax() < 1e-12);
        }
    }
}

mod softmax_jacobian {
    use attention::softmax_jacobian;
    use foundations::Mat;

    #[test]
    fn is_diag_p_minus_p_p_transpose() {
        let p = Mat::from_column_slice(3, 1, &[0.5, 0.3, 0.2]);
        let j = softmax_jacobian(&p);
        let want = Mat::from_diagonal(&p.column(0)) - &p * p.transpose();
        assert_eq!(j.shape(), (3, 3), "J is N x N");
        for r in 0..3 {
            for c in 0..3 {
                assert!(
                    (j[(r, c)] - want[(r, c)]).abs() < 1e-15,
                    "J[{r},{c}] = {} but p_i(δ_ij − p_j) = {}",
                    j[(r, c)],
                    want[(r, c)]
                );
            }
        }
    }

    #[test]
    fn matches_the_numeric_jacobian_of_softmax() {
        let s = Mat::from_column_slice(4, 1, &[0.3, -1.2, 2.0, 0.1]);
        let sm = foundations::softmax::softmax_columns;
        let j = softmax_jacobian(&sm(&s));
        let h = 1e-6;
        for col in 0..4 {
            let mut sp = s.clone();
            sp[col] += h;
            let mut sn = s.clone();
            sn[col] -= h;
            let num = (sm(&sp) - sm(&sn)) / (2.0 * h);
            for row in 0..4 {
                assert!(
                    (j[(row, col)] - num[row]).abs() < 1e-8,
                    "∂p_{row}/∂s_{col}: analytic {} vs numeric {}",
                    j[(row, col)],
                    num[row]
                );
            }
        }
    }

    #[test]
    fn rows_sum_to_zero_because_p_sums_to_one() {
        let p = Mat::from_column_slice(2, 1, &[0.9, 0.1]);
        let j = softmax_jacobian(&p);
        assert!(j.row_sum().amax() < 1e-15 && j[(0, 0)] > 0.0);
    }
}

mod dot_attention_backward {
    use super::*;
    use attention::engine::{attention_backward, attention_forward};
    use attention::{
        Scoring, attention_backward_reference, attention_forward_reference,
    };
    use foundations::{Named, assert_gradients};
    use proptest::prelude::*;

    fn check(d: usize, dv: usize, n: usize, sc: Scoring, seed: u64) {
        let theta = (
            Named("q", rand_mat(d, 1, seed)),
            Named("keys", rand_mat(d, n, seed + 1)),
            Named("values", rand_mat(dv, n, seed + 2)),
        );
        let w = rand_mat(dv, 1, seed + 3);
        let (_, cache) =
            attention_forward_reference(&theta.0.1, &theta.1.1, &theta.2.1, sc);
        let (dq, dk, dv_) = attention_backward_reference(&cache, &w);
        let grads = (Named("q", dq), Named("keys", dk), Named("values", dv_));
        // L = wᵀ z, so ∂L/∂z = w
        assert_gradients("attention_backward_reference", &theta, &grads, |t| {
            attention_forward_reference(&t.0.1, &t.1.1, &t.2.1, sc)
                .0
                .dot(&w)
        });
    }

    #[test]
    fn dq_dkeys_dvalues_match_numeric_gradients_dot() {
        check(3, 2, 4, Scoring::Dot, 1);
    }

    #[test]
    fn dq_dkeys_dvalues_match_numeric_gradients_scaled() {
        check(4, 3, 5, Scoring::ScaledDot, 2);
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]

        #[test]
        fn gradients_match_numeric_on_random_sizes(
            d in 1usize..5, dv in 1usize..4, n in 1usize..6, scaled: bool,
            seed in 0u64..1000,
        ) {
            let sc = if scaled { Scoring::ScaledDot } else { Scoring::Dot };
            check(d, dv, n, sc, seed);
        }

        #[test]
        fn agrees_with_the_engine(
            d in 1usize..5, dv in 1usize..4, n in 1usize..6, seed in 0u64..1000,
        ) {
            let q = rand_mat(d, 1, seed);
            let k = rand_mat(d, n, seed + 1);
            let v = rand_mat(dv, n, seed + 2);
            let dz = rand_mat(dv, 1, seed + 3);
            let (_, c) = attention_forward_reference(&q, &k, &v, Scoring::ScaledDot);
            let (dq, dk, dvv) = attention_backward_reference(&c, &dz);
            let (_, ce) = attention_forward(&q, &cols(&k), &cols(&v), Scoring::ScaledDot.scale(d));
            let (dqe, dke, dve) = attention_backward(&ce, &dz);
            prop_assert!((dq - dqe).amax() < 1e-12, "dq differs from the engine's");
            for i in 0..n {
                prop_assert!((dk.column(i) - &dke[i]).amax() < 1e-12, "dkeys column {}", i);
                prop_assert!((dvv.column(i) - &dve[i]).amax() < 1e-12, "dvalues column {}", i);
            }
        }
    }
}

mod decoder_step {
    use super::*;
    use attention::{Context, Seq2Seq, decoder_step_reference};
    use datasets::dates::START;
    use lstm_gru::{Gru, Lstm};
    use vanilla_rnn_bptt::RecurrentCell;

    fn agrees<C: RecurrentCell>(
        model: &Seq2Seq<C>,
        src: &[usize],
        target: usize,
    ) {
        // The engine's first teacher-forced step is the same computation.
        let (_, cache) = model.forward(&[src.to_vec()], &[vec![target]]);
        let (hs, last, _) = model.encode(&[src.to_vec()]);
        let hs = Mat::from_fn(model.hidden_size(), hs.len(), |r, i| hs[i][r]);
        let mut y = Mat::zeros(model.decoder.input_size(), 1);
        y[START] = 1.0;
        let step = decoder_step_reference(
            &model.decoder,
            &model.w_o,
            &model.b_o,
            &last,
            &y,
            &hs,
        );
        let want = &cache.steps[0].logits;
        assert_eq!(step.logits.shape(), want.shape(), "logits are V x 1");
        assert!(
            (&step.logits - want).amax() < 1e-12,
            "logits {:?} differ from W_o [a_t; s_t] + b_o = {:?}",
            step.logits.as_slice(),
            want.as_slice()
        );
        let p = &cache.steps[0].attend.as_ref().unwrap().p;
        assert!(
            (&step.alpha - p).amax() < 1e-12,
            "α differs from softmax(s_tᵀ h_i)"
        );
        assert!((step.alpha.sum() - 1.0).abs() < 1e-12);
        let a = &cache.steps[0].cat.rows(0, model.hidden_size()).into_owned();
        assert!(
            (&step.context - a).amax() < 1e-12,
            "a_t differs from Σ α_i h_i"
        );
        let s_t = C::hidden(&step.state);
        let s_want = cache.steps[0]
            .cat
            .rows(model.hidden_size(), model.hidden_size());
        assert!(
            (s_t - s_want).amax() < 1e-12,
            "the state is one decoder cell step"
        );
    }

    #[test]
    fn lstm_step_matches_the_encoder_decoder() {
        let mut r = rng(4);
        let enc = Lstm::new(7, 5, &mut r).unwrap();
        let dec = Lstm::new(6, 5, &mut r).unwrap();
        let mut m =
            Seq2Seq::new(enc, dec, 6, Context::Attention, &mut r).unwrap();
        m.b_o = rand_mat(6, 1, 9);
        agrees(&m, &[3, 4, 6, 5], 4);
    }

    #[test]
    fn gru_step_matches_the_encoder_decoder() {
        let mut r = rng(5);
        let enc = Gru::new(7, 3, &mut r).unwrap();
        let dec = Gru::new(5, 3, &mut r).unwrap();
        let m = Seq2Seq::new(enc, dec, 5, Context::Attention, &mut r).unwrap();
        agrees(&m, &[6, 3], 2);
    }
}

mod beam_search {
    use attention::decode::{Decoder, beam_search, greedy};
    use attention::{Context, Seq2Seq, Translator};
    use foundations::rng;
    use lstm_gru::Lstm;
    use proptest::prelude::*;

    /// Tokens 0 = "a", 1 = "b", 2 = <END>. Greedy takes "a" (0.6), then
    /// ends with 0.34 (P = 0.204); "b" (0.4) ends with 0.9 (P = 0.36).
    #[derive(Debug)]
    struct Table;

    impl Decoder for Table {
        type State = Vec<usize>;
        fn initial(&self) -> Vec<usize> {
            vec![]
        }
        fn start_token(&self) -> usize {
            9
        }
        fn end_token(&self) -> usize {
            2
        }
        fn step(
            &self,
            prefix: &Vec<usize>,
            token: usize,
        ) -> (Vec<usize>, Vec<f64>) {
            let mut next = prefix.clone();
            if token != 9 {
                next.push(token);
            }
            let p: [f64; 3] = match next.as_slice() {
                [] => [0.6, 0.4, 1e-9],
                [0] => [0.33, 0.33, 0.34],
                [1] => [0.05, 0.05, 0.9],
                _ => [0.1, 0.1, 0.8],
            };
            (next, p.iter().map(|x| x.ln()).collect())
        }
    }

    #[test]
    fn finds_a_more_probable_sequence_than_greedy() {
        let g = greedy(&Table, 5);
        assert_eq!(g.tokens, [0, 2]);
        let b = beam_search(&Table, 2, 5, 0.0);
        assert_eq!(b[0].tokens, [1, 2], "the best of width 2 is \"b <END>\"");
        let want = (0.4f64 * 0.9).ln();
        assert!(
            (b[0].log_prob - want).abs() < 1e-12,
            "log P = {} expected {want}",
            b[0].log_prob
        );
        assert!(b[0].log_prob > g.log_prob);
    }

    #[test]
    fn returns_k_hypotheses_best_first() {
        let b = beam_search(&Table, 3, 5, 0.0);
        assert_eq!(b.len(), 3);
        assert!(
            b.windows(2).all(|w| w[0].score >= w[1].score),
            "sorted by score, best first"
        );
        assert!(
            b.iter().all(|h| h.tokens.last() == Some(&2)),
            "all three end with <END>"
        );
    }

    #[test]
    fn length_normalisation_divides_by_length_to_the_alpha() {
        let b = beam_search(&Table, 3, 5, 1.0);
        for h in &b {
            let want = h.log_prob / h.tokens.len() as f64;
            assert!((h.score - want).abs() < 1e-12, "score = log P / |y|^α");
        }
        assert!(b.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn stops_at_max_len_with_unfinished_hypotheses() {
        let b = beam_search(&Table, 2, 1, 0.0);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].tokens, [0]);
        assert_eq!(b[1].tokens, [1]);
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]

        #[test]
        fn width_one_is_greedy(seed in 0u64..1000, n in 1usize..4) {
            let mut r = rng(seed);
            let enc = Lstm::new(6, n, &mut r).unwrap();
            let dec = Lstm::new(5, n, &mut r).unwrap();
            let m = Seq2Seq::new(enc, dec, 5, Context::Attention, &mut r).unwrap();
            let tr = Translator::new(&m, &[3, 4, 5, (seed % 3) as usize + 3]);
            let g = greedy(&tr, 8);
            let b = beam_search(&tr, 1, 8, 0.0);
            prop_assert_eq!(&b[0].tokens, &g.tokens);
            prop_assert!((b[0].log_prob - g.log_prob).abs() < 1e-12);
        }
    }
}
