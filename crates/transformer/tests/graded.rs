//! Graded tests: one module per exercise of `exercises/transformer.toml`
//! (`cargo test -p transformer --test graded causal_mask::` runs one).

mod common;

use foundations::{DMatrix, Named, assert_gradients, graded_config, init, rng};
use proptest::prelude::*;
use transformer::attention::{self, Mask};
use transformer::{
    Activation, DecoderLayer, EncoderLayer, LayerNorm, MultiHeadAttention, Norm,
};

/// `L = Σ Y ⊙ R` for a fixed random `R`: its gradient with respect to `Y` is
/// `R`.
fn probe(y: &DMatrix<f64>, r: &DMatrix<f64>) -> f64 {
    y.component_mul(r).sum()
}

mod causal_mask {
    use super::*;

    #[test]
    fn future_entries_are_minus_infinity_and_the_rest_zero() {
        let m = attention::causal_mask(4);
        assert_eq!(m.shape(), (4, 4), "the mask is T x T");
        for j in 0..4 {
            for i in 0..4 {
                // column i is query i, row j is key j
                if j > i {
                    assert_eq!(
                        m[(j, i)],
                        f64::NEG_INFINITY,
                        "key {j} is in query {i}'s future"
                    );
                } else {
                    assert_eq!(
                        m[(j, i)],
                        0.0,
                        "key {j} ≤ query {i} must stay visible"
                    );
                }
            }
        }
    }

    #[test]
    fn masked_weights_are_zero_and_columns_sum_to_one() {
        let mut r = rng(3);
        let q = init::normal(3, 5, 1.0, &mut r);
        let (_, cache) = attention::forward_reference(&q, &q, &q, Mask::Causal);
        for i in 0..5 {
            let col = cache.a.column(i);
            assert!(
                (col.sum() - 1.0).abs() < 1e-12,
                "column {i} sums to {}",
                col.sum()
            );
            for j in i + 1..5 {
                assert_eq!(
                    col[j], 0.0,
                    "a_{i}{j}, query {i}'s weight on key {j} (stored at \
                     cache.a[({j}, {i})]: column i is query i), looks into \
                     the future and must be 0"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn output_at_t_ignores_tokens_after_t(
            dk in 1usize..5, t in 2usize..7, seed in 0u64..1000
        ) {
            let mut r = rng(seed);
            let q = init::normal(dk, t, 1.0, &mut r);
            let k = init::normal(dk, t, 1.0, &mut r);
            let v = init::normal(dk, t, 1.0, &mut r);
            let (y, _) = attention::forward_reference(&q, &k, &v, Mask::Causal);
            let cut = seed as usize % t; // change every token after `cut`
            let (mut k2, mut v2) = (k.clone(), v.clone());
            for j in cut + 1..t {
                k2.set_column(j, &init::normal(dk, 1, 3.0, &mut r).column(0));
                v2.set_column(j, &init::normal(dk, 1, 3.0, &mut r).column(0));
            }
            let (y2, _) = attention::forward_reference(&q, &k2, &v2, Mask::Causal);
            for i in 0..=cut {
                // exp(−∞) = 0 exactly, so not even the last bit may move
                prop_assert!(y.column(i) == y2.column(i),
                    "output {i} changed when tokens after {cut} changed: {} vs {}",
                    y.column(i), y2.column(i));
            }
        }
    }
}

mod attention_backward {
    use super::*;

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn dq_dk_dv_match_numeric_gradient(
            dk in 1usize..5, dv in 1usize..4, t_q in 1usize..5,
            t_k in 1usize..5, causal in any::<bool>(), seed in 0u64..1000
        ) {
            let mut r = rng(seed);
            let (mask, t_k) = if causal { (Mask::Causal, t_q) } else { (Mask::None, t_k) };
            let q = init::normal(dk, t_q, 1.0, &mut r);
            let k = init::normal(dk, t_k, 1.0, &mut r);
            let v = init::normal(dv, t_k, 1.0, &mut r);
            let probe_r = init::normal(dv, t_q, 1.0, &mut r);
            // The engine's forward builds the mask itself, so this test does
            // not depend on the causal-mask exercise (a topic's exercises are
            // graded apart).
            let (_, cache) = attention::forward(&q, &k, &v, mask);
            let g = attention::backward_reference(&cache, &probe_r);
            let theta = (Named("q", q), Named("k", k), Named("v", v));
            let grads = (Named("q", g.d_q), Named("k", g.d_k), Named("v", g.d_v));
            assert_gradients("attention::backward_reference", &theta, &grads, |p| {
                probe(&attention::forward(&p.0.1, &p.1.1, &p.2.1, mask).0, &probe_r)
            });
        }

        #[test]
        fn reference_equals_the_attention_chapters_engine(
            dk in 1usize..5, t_q in 1usize..5, t_k in 1usize..5,
            seed in 0u64..1000
        ) {
            // backward_reference is a copy of the attention chapter's math
            // (one query at a time), kept here as this topic's exercise
            let [q, k, v, d_y] = common::random_qkv(dk, t_q, t_k, seed);
            let (_, c) = attention::forward(&q, &k, &v, Mask::None);
            let g = attention::backward_reference(&c, &d_y);
            let [_, d_q, d_k, d_v] = common::by_the_attention_chapter(&q, &k, &v, &d_y);
            prop_assert!((g.d_q - d_q).norm() < 1e-10, "dQ differs");
            prop_assert!((g.d_k - d_k).norm() < 1e-10, "dK differs");
            prop_assert!((g.d_v - d_v).norm() < 1e-10, "dV differs");
        }
    }

    #[test]
    fn dq_dk_dv_match_values_worked_out_beforehand() {
        // d_k = d_v = 2; worked out once, outside this crate, with the
        // matrix form dV = dY Aᵀ, dS = A ⊙ (VᵀdY − 1 1ᵀ(A ⊙ VᵀdY)),
        // dQ = K dS/√d_k, dK = Q dSᵀ/√d_k. Rows of each matrix in order.
        let m = |r, c, v: &[f64]| DMatrix::from_row_slice(r, c, v);
        let k = m(2, 3, &[1.0, -0.5, 2.0, 0.0, 1.0, -1.0]);
        let v = m(2, 3, &[1.0, 2.0, -1.0, 0.5, 0.0, 3.0]);
        let cases = [
            (
                Mask::None,
                m(2, 2, &[0.5, -1.0, 1.5, 0.25]),
                m(2, 2, &[1.0, -1.0, 0.5, 2.0]),
                [
                    m(
                        2,
                        2,
                        &[
                            -0.376_300_344_442_186,
                            1.355_448_830_281_596_6,
                            0.288_485_823_526_974_6,
                            -1.060_400_834_858_611_8,
                        ],
                    ),
                    m(
                        2,
                        3,
                        &[
                            -0.151_177_276_900_262_95,
                            0.677_910_511_761_181_1,
                            -0.526_733_234_860_918_2,
                            -0.064_210_603_492_475_25,
                            0.115_919_565_034_142_12,
                            -0.051_708_961_541_666_77,
                        ],
                    ),
                    m(
                        2,
                        3,
                        &[
                            0.107_464_333_935_623_57,
                            -0.176_890_808_421_967_25,
                            0.069_426_474_486_343_68,
                            0.568_141_508_727_720_3,
                            1.684_604_052_998_675,
                            0.247_254_438_273_604_83,
                        ],
                    ),
                ],
            ),
            (
                Mask::Causal,
                m(2, 3, &[0.5, -1.0, 1.0, 1.5, 0.25, -0.5]),
                m(2, 3, &[1.0, -1.0, 0.5, 0.5, 2.0, -1.5]),
                [
                    m(
                        2,
                        3,
                        &[
                            0.0,
                            0.369_768_058_347_566_8,
                            -1.023_597_415_707_54,
                            0.0,
                            -0.246_512_038_898_377_86,
                            0.930_032_186_075_346_7,
                        ],
                    ),
                    m(
                        2,
                        3,
                        &[
                            0.309_259_228_648_195,
                            0.433_642_498_162_764_84,
                            -0.742_901_726_810_959_7,
                            -0.216_257_624_048_691_98,
                            -0.155_193_239_356_787_97,
                            0.371_450_863_405_479_84,
                        ],
                    ),
                    m(
                        2,
                        3,
                        &[
                            0.896_142_078_941_467_6,
                            -0.745_694_460_230_015_5,
                            0.349_552_381_288_547_8,
                            0.586_691_311_963_083_4,
                            1.461_965_831_902_56,
                            -1.048_657_143_865_643_3,
                        ],
                    ),
                ],
            ),
        ];
        for (mask, q, d_y, want) in cases {
            let (_, c) = attention::forward(&q, &k, &v, mask);
            let g = attention::backward_reference(&c, &d_y);
            for (name, got, want) in [
                ("dQ", &g.d_q, &want[0]),
                ("dK", &g.d_k, &want[1]),
                ("dV", &g.d_v, &want[2]),
            ] {
                assert_eq!(got.shape(), want.shape(), "{name} ({mask:?})");
                for r in 0..want.nrows() {
                    for col in 0..want.ncols() {
                        let (a, e) = (got[(r, col)], want[(r, col)]);
                        assert!(
                            (a - e).abs() < 1e-9,
                            "{name}[{r}, {col}] with mask {mask:?} is {a} \
                             instead of {e}"
                        );
                    }
                }
            }
        }
    }
}

mod multi_head_backward {
    use super::*;

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn projections_and_inputs_match_numeric_gradient(
            dk in 1usize..4, heads in 1usize..4, t_q in 1usize..4,
            t_k in 1usize..4, causal in any::<bool>(), seed in 0u64..1000
        ) {
            let mut r = rng(seed);
            let d = dk * heads;
            let mha = MultiHeadAttention::new(d, heads, &mut r).unwrap();
            let (mask, t_k) = if causal { (Mask::Causal, t_q) } else { (Mask::None, t_k) };
            let x_q = init::normal(d, t_q, 1.0, &mut r);
            let x_kv = init::normal(d, t_k, 1.0, &mut r);
            let probe_r = init::normal(d, t_q, 1.0, &mut r);
            let (_, cache) = mha.forward(&x_q, &x_kv, mask);
            let (g, d_xq, d_xkv) = mha.backward(&cache, &probe_r);
            let theta = (mha.clone(), Named("x_q", x_q), Named("x_kv", x_kv));
            let grads = (g, Named("x_q", d_xq), Named("x_kv", d_xkv));
            assert_gradients("MultiHeadAttention::backward", &theta, &grads, |p| {
                probe(&p.0.forward(&p.1.1, &p.2.1, mask).0, &probe_r)
            });
        }
    }

    #[test]
    fn self_attention_input_gradient_is_the_sum_of_both_paths() {
        let mut r = rng(5);
        let mha = MultiHeadAttention::new(4, 2, &mut r).unwrap();
        let x = init::normal(4, 3, 1.0, &mut r);
        let probe_r = init::normal(4, 3, 1.0, &mut r);
        let (_, cache) = mha.forward(&x, &x, Mask::Causal);
        let (_, d_q, d_kv) = mha.backward(&cache, &probe_r);
        assert_gradients(
            "MultiHeadAttention::backward (self)",
            &Named("x", x),
            &Named("x", d_q + d_kv),
            |p| probe(&mha.forward(&p.1, &p.1, Mask::Causal).0, &probe_r),
        );
    }
}

mod layer_norm_backward {
    use super::*;

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn dgamma_dbeta_dx_match_numeric_gradient(
            d in 2usize..7, t in 1usize..5, seed in 0u64..1000
        ) {
            let mut r = rng(seed);
            let mut ln = LayerNorm::new(d).unwrap();
            ln.gamma = init::normal(d, 1, 1.0, &mut r);
            ln.beta = init::normal(d, 1, 1.0, &mut r);
            let x = init::normal(d, t, 2.0, &mut r);
            let probe_r = init::normal(d, t, 1.0, &mut r);
            let (_, cache) = ln.forward(&x);
            let (g, d_x) = ln.backward_reference(&cache, &probe_r);
            assert_gradients("LayerNorm::backward_reference", &(ln.clone(), Named("x", x)), &(g, Named("x", d_x)), |p| {
                probe(&p.0.forward(&p.1.1).0, &probe_r)
            });
        }
    }

    #[test]
    fn dx_dgamma_dbeta_match_values_worked_out_beforehand() {
        // d = 3 features, T = 2 tokens; the expected values were worked out
        // once, outside this crate, with the compact form
        // dx = r (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)), dx̂ = γ ⊙ dy.
        let mut ln = LayerNorm::new(3).unwrap();
        ln.gamma = DMatrix::from_column_slice(3, 1, &[2.0, -1.0, 0.5]);
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 2.0, -1.0, 4.0, 0.5]);
        let d_y =
            DMatrix::from_row_slice(3, 2, &[1.0, 0.5, -2.0, 1.0, 0.5, -1.0]);
        let (_, c) = ln.forward(&x);
        let (g, d_x) = ln.backward_reference(&c, &d_y);
        let want_dx = DMatrix::from_row_slice(
            3,
            2,
            &[
                -0.200_440_991_918_390_32,
                0.136_087_753_137_117_74,
                0.300_669_004_527_531_2,
                0.136_076_866_624_903_8,
                -0.100_228_012_609_141_21,
                -0.272_164_619_762_021_5,
            ],
        );
        let want_dgamma = [
            -0.456_671_136_985_749_35,
            -0.690_220_023_203_947_6,
            0.668_150_957_156_435_9,
        ];
        for k in 0..3 {
            for t in 0..2 {
                let want = want_dx[(k, t)];
                assert!(
                    (d_x[(k, t)] - want).abs() < 1e-9,
                    "dx[{k}, {t}] (feature {k} of token {t}) is {} instead \
                     of {want}",
                    d_x[(k, t)]
                );
            }
        }
        for k in 0..3 {
            assert!(
                (g.gamma[k] - want_dgamma[k]).abs() < 1e-9,
                "dγ[{k}] is {} instead of {}",
                g.gamma[k],
                want_dgamma[k]
            );
        }
        assert!(
            (g.beta.clone()
                - DMatrix::from_column_slice(3, 1, &[1.5, -1.0, -0.5]))
            .amax()
                < 1e-12,
            "dβ is {} instead of Σ_t dy = [1.5, -1, -0.5]",
            g.beta.transpose()
        );
    }

    #[test]
    fn dx_sums_to_zero_per_token() {
        // LN's output ignores a shift of x, so ∂L/∂x has zero mean per token.
        let mut r = rng(2);
        let ln = LayerNorm::new(5).unwrap();
        let x = init::normal(5, 3, 1.0, &mut r);
        let (_, cache) = ln.forward(&x);
        let (_, d_x) =
            ln.backward_reference(&cache, &init::normal(5, 3, 1.0, &mut r));
        for col in d_x.column_iter() {
            assert!(
                col.sum().abs() < 1e-10,
                "a column of dx sums to {}",
                col.sum()
            );
        }
    }
}

mod positional_encoding {
    use super::*;
    use transformer::positional::sinusoidal;

    #[test]
    fn first_two_rows_are_sin_t_and_cos_t() {
        let p = sinusoidal(6, 10);
        assert_eq!(p.shape(), (6, 10), "P is d x T_max");
        for t in 0..10 {
            let tf = t as f64;
            assert!(
                (p[(0, t)] - tf.sin()).abs() < 1e-12,
                "P[0, {t}] should be sin({t})"
            );
            assert!(
                (p[(1, t)] - tf.cos()).abs() < 1e-12,
                "P[1, {t}] should be cos({t})"
            );
        }
    }

    #[test]
    fn rows_2i_and_2i_plus_1_share_the_frequency_10000_to_minus_2i_over_d() {
        let d = 8;
        let p = sinusoidal(d, 50);
        for i in 0..d / 2 {
            let w = 10000f64.powf(-(2.0 * i as f64) / d as f64);
            for t in [0usize, 1, 7, 49] {
                let a = t as f64 * w;
                assert!(
                    (p[(2 * i, t)] - a.sin()).abs() < 1e-12,
                    "P[{}, {t}]",
                    2 * i
                );
                assert!(
                    (p[(2 * i + 1, t)] - a.cos()).abs() < 1e-12,
                    "P[{}, {t}]",
                    2 * i + 1
                );
            }
        }
    }

    /// The first entry of `got` farther than `tol` from `want`, as
    /// `(row, column, got, want)`.
    fn first_difference(
        got: &DMatrix<f64>,
        want: &DMatrix<f64>,
        tol: f64,
    ) -> Option<(usize, usize, f64, f64)> {
        (0..want.ncols())
            .flat_map(|t| (0..want.nrows()).map(move |r| (r, t)))
            .find(|&(r, t)| (got[(r, t)] - want[(r, t)]).abs() > tol)
            .map(|(r, t)| (r, t, got[(r, t)], want[(r, t)]))
    }

    /// `sinusoidal(d, t)` equals `want` within `1e-12` per entry: any way of
    /// writing the frequency (`10000^{−2i/d}`, `exp(−2i ln 10000 / d)`)
    /// rounds a little differently, and all of them are right.
    #[track_caller]
    fn assert_table(d: usize, t: usize, want: &DMatrix<f64>, what: &str) {
        let got = sinusoidal(d, t);
        assert_eq!(got.shape(), (d, t), "P is d x T_max = {d} x {t}");
        if let Some((r, c, g, w)) = first_difference(&got, want, 1e-12) {
            let kind = if r % 2 == 0 { "sin" } else { "cos" };
            panic!(
                "d = {d}, T = {t}: P[{r}, {c}] is {g:.15}, expected {w:.15} \
                 ({what}; row {r} holds the {kind} of pair i = {}), off by \
                 {:.1e} (tolerance 1e-12)",
                r / 2,
                (g - w).abs()
            );
        }
    }

    #[test]
    fn agrees_with_the_engine_table_within_1e_12() {
        for (d, t) in [(1, 3), (5, 30), (64, 64)] {
            let engine = transformer::positional::sinusoidal_table(d, t);
            assert_table(d, t, &engine, "the engine's table");
        }
    }

    #[test]
    fn even_rows_are_sines_and_odd_rows_cosines_at_position_0() {
        // t = 0: every angle is 0, so sin rows are 0 and cos rows are 1.
        for d in [2, 5, 8] {
            let want = DMatrix::from_fn(d, 1, |r, _| (r % 2) as f64);
            assert_table(
                d,
                1,
                &want,
                "at t = 0 row 2i is sin 0 = 0, row \
                 2i + 1 is cos 0 = 1",
            );
        }
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn every_entry_is_sin_or_cos_of_t_over_10000_to_the_2i_over_d(
            d in 1usize..12, t in 1usize..40
        ) {
            // the engine's table (given, made by rotations, not by this
            // formula) on random sizes
            let want = transformer::positional::sinusoidal_table(d, t);
            assert_table(d, t, &want, "sin for row 2i, cos for row 2i + 1, of \
                 the angle t / 10000^{2i/d}");
        }
    }

    #[test]
    fn odd_width_and_every_position_differ() {
        let p = sinusoidal(5, 30);
        let want = (3.0 * 10000f64.powf(-4.0 / 5.0)).sin();
        assert!(
            (p[(4, 3)] - want).abs() < 1e-12,
            "d = 5: the last row (4 = 2i, i = 2) has no cosine partner; \
             P[4, 3] is {}, expected sin(3 / 10000^(4/5)) = {want}",
            p[(4, 3)]
        );
        for a in 0..30 {
            for b in a + 1..30 {
                assert!(
                    (p.column(a) - p.column(b)).norm() > 1e-3,
                    "positions {a} and {b} collide"
                );
            }
        }
    }

    #[test]
    fn with_it_self_attention_is_no_longer_permutation_equivariant() {
        let mut r = rng(8);
        let mha = MultiHeadAttention::new(4, 2, &mut r).unwrap();
        let x = init::normal(4, 5, 1.0, &mut r);
        let perm = [2, 0, 4, 1, 3];
        let xp = DMatrix::from_fn(4, 5, |i, j| x[(i, perm[j])]);
        let p = sinusoidal(4, 5);
        let (y, _) = mha.forward(&(&x + &p), &(&x + &p), Mask::None);
        let (yp, _) = mha.forward(&(&xp + &p), &(&xp + &p), Mask::None);
        let permuted = DMatrix::from_fn(4, 5, |i, j| y[(i, perm[j])]);
        assert!(
            (yp - permuted).norm() > 1e-3,
            "positions should break the symmetry"
        );
    }
}

mod block_backward {
    use super::*;

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn every_parameter_and_the_input_match_numeric_gradient(
            dk in 1usize..3, heads in 1usize..3, t in 1usize..4,
            pre in any::<bool>(), causal in any::<bool>(), seed in 0u64..1000
        ) {
            let mut r = rng(seed);
            let d = 2 * dk * heads; // layer norm needs d ≥ 2
            let norm = if pre { Norm::Pre } else { Norm::Post };
            let mask = if causal { Mask::Causal } else { Mask::None };
            let mut layer = EncoderLayer::new(d, heads, 3, norm, mask, Activation::Gelu, &mut r).unwrap();
            layer.ln1.gamma = init::normal(d, 1, 1.0, &mut r);
            layer.ln2.beta = init::normal(d, 1, 0.5, &mut r);
            let x = init::normal(d, t, 1.0, &mut r);
            let probe_r = init::normal(d, t, 1.0, &mut r);
            let (_, cache) = layer.forward(&x);
            let (g, d_x) = layer.backward(&cache, &probe_r);
            assert_gradients("EncoderLayer::backward", &(layer.clone(), Named("x", x)), &(g, Named("x", d_x)), |p| {
                probe(&p.0.forward(&p.1.1).0, &probe_r)
            });
        }
    }

    #[test]
    fn relu_block_matches_numeric_gradient_in_both_norms() {
        for norm in [Norm::Post, Norm::Pre] {
            let mut r = rng(11);
            let layer = EncoderLayer::new(
                4,
                2,
                6,
                norm,
                Mask::Causal,
                Activation::Relu,
                &mut r,
            )
            .unwrap();
            let x = init::normal(4, 3, 1.0, &mut r);
            let probe_r = init::normal(4, 3, 1.0, &mut r);
            let (_, cache) = layer.forward(&x);
            let (g, d_x) = layer.backward(&cache, &probe_r);
            assert_gradients(
                "EncoderLayer::backward (ReLU)",
                &(layer.clone(), Named("x", x)),
                &(g, Named("x", d_x)),
                |p| probe(&p.0.forward(&p.1.1).0, &probe_r),
            );
        }
    }
}

mod decoder_backward {
    use super::*;

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn every_parameter_the_input_and_the_memory_match_numeric_gradient(
            dk in 1usize..3, heads in 1usize..3, t in 1usize..4,
            t_src in 1usize..4, pre in any::<bool>(), relu in any::<bool>(),
            seed in 0u64..1000
        ) {
            let mut r = rng(seed);
            let d = 2 * dk * heads; // layer norm needs d ≥ 2
            let norm = if pre { Norm::Pre } else { Norm::Post };
            let act = if relu { Activation::Relu } else { Activation::Gelu };
            let mut layer = DecoderLayer::new(d, heads, 3, norm, act, &mut r).unwrap();
            layer.ln2.gamma = init::normal(d, 1, 1.0, &mut r);
            layer.ln3.beta = init::normal(d, 1, 0.5, &mut r);
            let x = init::normal(d, t, 1.0, &mut r);
            let mem = init::normal(d, t_src, 1.0, &mut r);
            let probe_r = init::normal(d, t, 1.0, &mut r);
            let (_, cache) = layer.forward(&x, &mem);
            let (g, d_x, d_m) = layer.backward(&cache, &probe_r);
            assert_gradients(
                "DecoderLayer::backward",
                &(layer.clone(), Named("x", x), Named("memory", mem)),
                &(g, Named("x", d_x), Named("memory", d_m)),
                |p| probe(&p.0.forward(&p.1.1, &p.2.1).0, &probe_r),
            );
        }
    }

    #[test]
    fn memory_gradient_vanishes_when_cross_attention_ignores_the_memory() {
        // ∂L/∂M flows only through cross-attention: with W_K and W_V of the
        // cross-attention at zero, M cannot change the output.
        let mut r = rng(3);
        let mut layer =
            DecoderLayer::new(4, 2, 6, Norm::Post, Activation::Relu, &mut r)
                .unwrap();
        layer.cross_attn.w_k.fill(0.0);
        layer.cross_attn.w_v.fill(0.0);
        let x = init::normal(4, 3, 1.0, &mut r);
        let mem = init::normal(4, 5, 1.0, &mut r);
        let (_, cache) = layer.forward(&x, &mem);
        let (_, _, d_m) =
            layer.backward(&cache, &init::normal(4, 3, 1.0, &mut r));
        assert_eq!(d_m.shape(), (4, 5), "∂L/∂M has the memory's shape");
        assert!(
            d_m.norm() < 1e-12,
            "∂L/∂M should be 0 when M is not read, got norm {}",
            d_m.norm()
        );
    }

    /// Only `∂L/∂M` against central differences (`L = Σ Y ⊙ R`), for a
    /// layer whose cross-attention keys are switched off when `no_keys`:
    /// then every query attends uniformly and `M` is read through `W_V`
    /// alone.
    fn check_memory(
        norm: Norm,
        t: usize,
        t_src: usize,
        no_keys: bool,
        seed: u64,
    ) {
        let mut r = rng(seed);
        let mut layer =
            DecoderLayer::new(4, 2, 6, norm, Activation::Gelu, &mut r).unwrap();
        layer.ln2.gamma = init::normal(4, 1, 1.0, &mut r);
        if no_keys {
            layer.cross_attn.w_k.fill(0.0);
        }
        let x = init::normal(4, t, 1.0, &mut r);
        let mem = init::normal(4, t_src, 1.0, &mut r);
        let probe_r = init::normal(4, t, 1.0, &mut r);
        let (_, cache) = layer.forward(&x, &mem);
        let (_, _, d_m) = layer.backward(&cache, &probe_r);
        assert!(
            d_m.norm() > 1e-8,
            "∂L/∂M is zero, but the decoder reads M through cross-attention's \
             keys and values: return the d_x_kv of cross-attention's backward"
        );
        assert_gradients(
            "DecoderLayer::backward, ∂L/∂M",
            &Named("memory", mem),
            &Named("memory", d_m),
            |p| probe(&layer.forward(&x, &p.1).0, &probe_r),
        );
    }

    #[test]
    fn memory_gradient_matches_numeric_post_norm() {
        check_memory(Norm::Post, 3, 5, false, 21);
    }

    #[test]
    fn memory_gradient_matches_numeric_pre_norm() {
        check_memory(Norm::Pre, 3, 2, false, 22);
    }

    #[test]
    fn memory_read_through_the_values_alone_still_gets_its_gradient() {
        check_memory(Norm::Post, 2, 4, true, 23);
        check_memory(Norm::Pre, 4, 3, true, 24);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn memory_gradient_matches_numeric_on_random_lengths(
            t in 1usize..4, t_src in 1usize..5, pre in any::<bool>(),
            seed in 0u64..1000
        ) {
            let norm = if pre { Norm::Pre } else { Norm::Post };
            check_memory(norm, t, t_src, false, seed);
        }
    }
}
