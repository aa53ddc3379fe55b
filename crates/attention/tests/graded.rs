//! Graded tests: one module per exercise of `exercises/attention.toml`
//! (`cargo test -p attention --test graded beam_search::` runs one).

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
        assert!(
            (z[0] - p0).abs() < 1e-12,
            "z = {} but Σ p_i v_i = p[0] = {p0}",
            z[0]
        );
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
        assert!(
            (z[0] - 1.0).abs() < 1e-12,
            "z = {} but all the weight is on the key with score 1e4: 1",
            z[0]
        );
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
            prop_assert!(
                (&z - vals.column_mean()).amax() < 1e-12,
                "z = {} but equal scores give the mean of the values, {}",
                z,
                vals.column_mean()
            );
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
        assert!(
            j.row_sum().amax() < 1e-15 && j[(0, 0)] > 0.0,
            "J = {j}: every row must sum to 0 and the diagonal be p_i (1 − p_i) > 0"
        );
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
        // α first, then a_t, s_t and the logits: the message names the
        // first wrong quantity (attending with s_{t−1} instead of s_t makes
        // α wrong, and everything after it).
        let p = &cache.steps[0].attend.as_ref().unwrap().p;
        assert_eq!(step.alpha.shape(), p.shape(), "α is N x 1");
        assert!(
            (&step.alpha - p).amax() < 1e-12,
            "α {:?} differs from softmax(s_tᵀ h_i) = {:?}, with s_t the new \
             state (after the cell step) and h_i the encoder states",
            step.alpha.as_slice(),
            p.as_slice()
        );
        assert!(
            (step.alpha.sum() - 1.0).abs() < 1e-12,
            "α sums to {}, not 1",
            step.alpha.sum()
        );
        let a = &cache.steps[0].cat.rows(0, model.hidden_size()).into_owned();
        assert_eq!(step.context.shape(), a.shape(), "a_t is n x 1");
        assert!(
            (&step.context - a).amax() < 1e-12,
            "a_t {:?} differs from Σ_i α_i h_i = {:?}",
            step.context.as_slice(),
            a.as_slice()
        );
        let s_t = C::hidden(&step.state);
        let s_want = cache.steps[0]
            .cat
            .rows(model.hidden_size(), model.hidden_size());
        assert!(
            (s_t - s_want).amax() < 1e-12,
            "the state's s_t differs from one decoder cell step \
             f(s_{{t−1}}, y_{{t−1}})"
        );
        let want = &cache.steps[0].logits;
        assert_eq!(step.logits.shape(), want.shape(), "logits are V x 1");
        assert!(
            (&step.logits - want).amax() < 1e-12,
            "logits {:?} differ from W_o [a_t; s_t] + b_o = {:?}",
            step.logits.as_slice(),
            want.as_slice()
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
    /// Counts the decoder's calls.
    #[derive(Debug, Default)]
    struct Table {
        calls: std::cell::Cell<usize>,
    }

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
            self.calls.set(self.calls.get() + 1);
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
        let g = greedy(&Table::default(), 5);
        assert_eq!(g.tokens, [0, 2], "greedy takes \"a\" then <END>");
        let table = Table::default();
        let b = beam_search(&table, 2, 5, 0.0);
        // step 1: a, b (1 call); step 2: b <END>, a <END> finish (2 calls)
        assert_calls("width 2", table.calls.get(), 3);
        assert_eq!(b[0].tokens, [1, 2], "the best of width 2 is \"b <END>\"");
        let want = (0.4f64 * 0.9).ln();
        assert!(
            (b[0].log_prob - want).abs() < 1e-12,
            "log P = {} expected {want}",
            b[0].log_prob
        );
        assert!(
            b[0].log_prob > g.log_prob,
            "beam log P {} should beat greedy's {}",
            b[0].log_prob,
            g.log_prob
        );
    }

    #[test]
    fn returns_k_hypotheses_best_first() {
        let table = Table::default();
        let b = beam_search(&table, 3, 5, 0.0);
        // step 1: a, b and <END> (1 call); step 2: b <END>, a <END> (2 calls)
        assert_calls("width 3", table.calls.get(), 3);
        assert_eq!(b.len(), 3, "width 3 returns 3 hypotheses");
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
        let tree = Tree::default();
        let b = beam_search(&tree, 3, 5, 1.0);
        assert_calls("width 3, α = 1", tree.calls.get(), 5);
        for h in &b {
            let want = h.log_prob / h.tokens.len() as f64;
            assert!(
                (h.score - want).abs() < 1e-12,
                "{}: score {} but log P / |y|^α = {want}",
                words(&h.tokens),
                h.score
            );
        }
        assert!(
            b.windows(2).all(|w| w[0].score >= w[1].score),
            "the list is ranked by score, best first: {:?}",
            b.iter().map(|h| words(&h.tokens)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn stops_at_max_len_with_unfinished_hypotheses() {
        let b = beam_search(&Table::default(), 2, 1, 0.0);
        assert_eq!(b.len(), 2, "width 2 returns 2 hypotheses");
        assert_eq!(b[0].tokens, [0], "max_len 1: \"a\" comes back unfinished");
        assert_eq!(b[1].tokens, [1], "max_len 1: \"b\" comes back unfinished");
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
            prop_assert_eq!(&b[0].tokens, &g.tokens, "width 1 must pick greedy's tokens");
            prop_assert!(
                (b[0].log_prob - g.log_prob).abs() < 1e-12,
                "width 1: log P {} but greedy's is {}",
                b[0].log_prob,
                g.log_prob
            );
        }
    }

    /// Tokens 0 = "a", 1 = "b", 2 = "c", 3 = <END>; the start token is 9.
    /// Each prefix has its own next-token distribution (a, b, c, <END>):
    ///
    /// ```text
    /// (start)  a .40   b .35   c .20   <END> .05
    /// a        a .10   b .10   c .20   <END> .60   a <END>: P = .24
    /// b        a .50   b .30   c .10   <END> .10   b a: .175, b b: .105
    /// c        a .05   b .05   c .10   <END> .80   c <END>: P = .16
    /// b a      a .05   b .05   c .10   <END> .80   b a <END>: P = .14
    /// other    a .20   b .20   c .20   <END> .40
    /// ```
    ///
    /// Width 3: step 1 keeps a, b, c (1 call). Step 2 (3 calls) ranks
    /// a <END> .24, b a .175, c <END> .16, b b .105, …: two finish and
    /// b a stays live, which fills the beam (2 finished + 1 live = 3).
    /// Step 3 (1 call) finishes b a <END> (.14): 3 finished, stop after 5
    /// calls. Width 4 also finishes <END> (.05) at step 1 and ends the
    /// same way, after 5 calls.
    #[derive(Debug, Default)]
    struct Tree {
        calls: std::cell::Cell<usize>,
    }

    impl Decoder for Tree {
        type State = Vec<usize>;
        fn initial(&self) -> Vec<usize> {
            vec![]
        }
        fn start_token(&self) -> usize {
            9
        }
        fn end_token(&self) -> usize {
            3
        }
        fn step(
            &self,
            prefix: &Vec<usize>,
            token: usize,
        ) -> (Vec<usize>, Vec<f64>) {
            self.calls.set(self.calls.get() + 1);
            let mut next = prefix.clone();
            if token != 9 {
                next.push(token);
            }
            let p: [f64; 4] = match next.as_slice() {
                [] => [0.40, 0.35, 0.20, 0.05],
                [0] => [0.10, 0.10, 0.20, 0.60],
                [1] => [0.50, 0.30, 0.10, 0.10],
                [2] | [1, 0] => [0.05, 0.05, 0.10, 0.80],
                _ => [0.20, 0.20, 0.20, 0.40],
            };
            (next, p.iter().map(|x| x.ln()).collect())
        }
    }

    /// The decoder was called at most `need` times.
    #[track_caller]
    fn assert_calls(setting: &str, calls: usize, need: usize) {
        assert!(
            calls <= need,
            "{setting}: the decoder was called {calls} times, but the beam \
             needs {need}: one call per live hypothesis per step. Rank the \
             extensions of all the live hypotheses together (not k per \
             hypothesis), and count the finished hypotheses among the k: a \
             finished one keeps its place, so one fewer stays live."
        );
    }

    /// "b a <END>" for `[1, 0, 3]`.
    fn words(tokens: &[usize]) -> String {
        let w: Vec<&str> = tokens
            .iter()
            .map(|&t| ["a", "b", "c", "<END>"].get(t).copied().unwrap_or("?"))
            .collect();
        w.join(" ")
    }

    /// Beam search of width `k` on [`Tree`] returns exactly `want` (the
    /// words and `P(y)`, worked out by hand), in this order, with
    /// `score = log P / |y|^α`, calling the decoder at most `calls` times:
    /// once per live hypothesis per step.
    #[track_caller]
    fn expect_beam(
        k: usize,
        alpha: f64,
        max_len: usize,
        want: &[(&str, f64)],
        calls: usize,
    ) {
        let tree = Tree::default();
        let got = beam_search(&tree, k, max_len, alpha);
        let setting = format!("width {k}, α = {alpha}, max_len {max_len}");
        let listed: Vec<String> = got
            .iter()
            .map(|h| format!("{} (score {:.4})", words(&h.tokens), h.score))
            .collect();
        assert_calls(&setting, tree.calls.get(), calls);
        let expected: Vec<String> = want
            .iter()
            .map(|(w, p)| {
                let len = w.split(' ').count() as f64;
                format!("{w} (score {:.4})", p.ln() / len.powf(alpha))
            })
            .collect();
        assert_eq!(
            got.len(),
            want.len(),
            "{setting}: {} hypotheses returned, expected {}: {listed:?}, \
             expected {expected:?}",
            got.len(),
            want.len()
        );
        for (r, (h, (w, p))) in got.iter().zip(want).enumerate() {
            let len = w.split(' ').count() as f64;
            let score = p.ln() / len.powf(alpha);
            assert!(
                words(&h.tokens) == *w,
                "{setting}: hypothesis {} is {}, expected {w}. The final \
                 list is ranked by the length-normalised score \
                 log P / |y|^α, best first. Returned {listed:?}, expected \
                 {expected:?}",
                r + 1,
                words(&h.tokens)
            );
            assert!(
                (h.log_prob - p.ln()).abs() < 1e-12
                    && (h.score - score).abs() < 1e-12,
                "{setting}: {w} has log P {} and score {}, expected log P \
                 {} and score log P / |y|^α = {score}",
                h.log_prob,
                h.score,
                p.ln()
            );
        }
    }

    const A_END: (&str, f64) = ("a <END>", 0.40 * 0.60);
    const C_END: (&str, f64) = ("c <END>", 0.20 * 0.80);
    const B_A_END: (&str, f64) = ("b a <END>", 0.35 * 0.50 * 0.80);
    const END: (&str, f64) = ("<END>", 0.05);

    #[test]
    fn width_3_returns_the_three_finished_hypotheses_ranked_for_alpha_0_and_1()
    {
        // α = 0: by P. α = 1: b a <END> has the lowest P (.14) but the best
        // mean log-probability per token (ln .14 / 3 = −0.655).
        expect_beam(3, 0.0, 5, &[A_END, C_END, B_A_END], 5);
        expect_beam(3, 1.0, 5, &[B_A_END, A_END, C_END], 5);
    }

    #[test]
    fn width_4_also_returns_end_at_step_1_ranked_for_alpha_0_and_1() {
        expect_beam(4, 0.0, 5, &[A_END, C_END, B_A_END, END], 5);
        expect_beam(4, 1.0, 5, &[B_A_END, A_END, C_END, END], 5);
    }

    #[test]
    fn width_2_alpha_1_keeps_b_alive_behind_a_end() {
        // Step 2 ranks a <END> .24, b a .175: one finished, one live.
        expect_beam(2, 1.0, 5, &[B_A_END, A_END], 4);
    }

    #[test]
    fn alpha_one_half_ranks_b_a_end_between_a_end_and_c_end() {
        // ln .24 / √2 = −1.009, ln .14 / √3 = −1.135, ln .16 / √2 = −1.296
        expect_beam(3, 0.5, 5, &[A_END, B_A_END, C_END], 5);
        expect_beam(4, 0.5, 5, &[A_END, B_A_END, C_END, END], 5);
    }

    #[test]
    fn alpha_0_7_as_in_the_dates_example_ranks_by_the_normalised_score() {
        // ln .24 / 2^0.7 = −0.878, ln .14 / 3^0.7 = −0.911, ln .16 / 2^0.7
        expect_beam(3, 0.7, 5, &[A_END, B_A_END, C_END], 5);
    }

    #[test]
    fn final_list_is_ranked_by_the_normalised_score_not_by_log_p() {
        // By log P the order would be a <END>, c <END>, b a <END>, <END>.
        expect_beam(4, 1.0, 5, &[B_A_END, A_END, C_END, END], 5);
    }

    #[test]
    fn stops_when_k_are_finished_and_returns_live_ones_unfinished_at_max_len() {
        // Width 3 stops after step 3 (5 calls) although max_len is 8.
        expect_beam(3, 1.0, 8, &[B_A_END, A_END, C_END], 5);
        // max_len 2: b a is still live and comes back without <END>,
        // ranked among the finished ones by its own score ln .175 / 2.
        expect_beam(4, 1.0, 2, &[A_END, ("b a", 0.35 * 0.50), C_END, END], 4);
    }

    /// Tokens as in [`Tree`]; every prefix gives a and b probability .45,
    /// c and <END> .05, so every comparison below is an exact tie.
    #[derive(Debug)]
    struct Even;

    impl Decoder for Even {
        type State = ();
        fn initial(&self) {}
        fn start_token(&self) -> usize {
            9
        }
        fn end_token(&self) -> usize {
            3
        }
        fn step(&self, _: &(), _: usize) -> ((), Vec<f64>) {
            let p = [0.45f64, 0.45, 0.05, 0.05];
            ((), p.iter().map(|x| x.ln()).collect())
        }
    }

    #[test]
    fn ties_go_to_the_better_ranked_hypothesis_then_to_the_lower_token() {
        // Step 1: a and b tie, a (lower token) first; c and <END> tie, c
        // first. Step 2: a a, a b, b a and b b tie; the extensions of a
        // (ranked first) come before those of b, each in token order.
        let ranked = |k| -> Vec<String> {
            beam_search(&Even, k, 2, 0.0)
                .iter()
                .map(|h| words(&h.tokens))
                .collect()
        };
        assert_eq!(ranked(1), ["a a"], "width 1: ties to the lower token");
        assert_eq!(
            ranked(2),
            ["a a", "a b"],
            "width 2: ties to the better-ranked hypothesis (a), then to \
             the lower token"
        );
        assert_eq!(
            ranked(3),
            ["a a", "a b", "b a"],
            "width 3: ties to the better-ranked hypothesis (a), then to \
             the lower token"
        );
    }
}
