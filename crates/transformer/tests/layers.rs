//! Property tests, the layers that are not exercises, end-to-end gradient
//! checks of whole models, the engine against the reference, bad input.

mod common;

use foundations::{
    DMatrix, Named, ParamsExt, assert_gradients, graded_config, init, rng,
};
use proptest::prelude::*;
use transformer::attention::{self, Mask};
use transformer::{
    Activation, Config, EncoderDecoder, EncoderLayer, FeedForward, Gpt,
    LayerNorm, MultiHeadAttention, Norm, PositionKind, Positional, fast_gpt,
};

fn probe(y: &DMatrix<f64>, r: &DMatrix<f64>) -> f64 {
    y.component_mul(r).sum()
}

fn permute_columns(x: &DMatrix<f64>, perm: &[usize]) -> DMatrix<f64> {
    DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, perm[j])])
}

/// Any permutation of `lo..hi` tokens (`prop_shuffle` draws from all `t!`).
fn permutation(lo: usize, hi: usize) -> impl Strategy<Value = Vec<usize>> {
    (lo..hi)
        .prop_flat_map(|t| Just((0..t).collect::<Vec<usize>>()).prop_shuffle())
}

fn config(norm: Norm, positions: PositionKind, act: Activation) -> Config {
    Config {
        vocab: 5,
        d: 4,
        heads: 2,
        layers: 2,
        d_ff: 6,
        max_len: 6,
        norm,
        positions,
        activation: act,
    }
}

proptest! {
    #![proptest_config(graded_config())]

    // ANCHOR: equivariant
    #[test]
    fn without_positions_self_attention_is_permutation_equivariant(
        dk in 1usize..4, heads in 1usize..4, perm in permutation(2, 7),
        seed in 0u64..1000
    ) {
        let mut r = rng(seed);
        let d = dk * heads;
        let mha = MultiHeadAttention::new(d, heads, &mut r).unwrap();
        let x = init::normal(d, perm.len(), 1.0, &mut r);
        let xp = permute_columns(&x, &perm);
        let (y, _) = mha.forward(&x, &x, Mask::None);
        let (yp, _) = mha.forward(&xp, &xp, Mask::None);
        prop_assert!((yp - permute_columns(&y, &perm)).norm() < 1e-10);
    }
    // ANCHOR_END: equivariant

    #[test]
    fn without_positions_the_encoder_layer_is_permutation_equivariant(
        perm in permutation(2, 7), pre in any::<bool>(), seed in 0u64..1000
    ) {
        let mut r = rng(seed);
        let norm = if pre { Norm::Pre } else { Norm::Post };
        let layer = EncoderLayer::new(4, 2, 8, norm, Mask::None,
            Activation::Gelu, &mut r).unwrap();
        let x = init::normal(4, perm.len(), 1.0, &mut r);
        let xp = permute_columns(&x, &perm);
        let (y, _) = layer.forward(&x);
        let (yp, _) = layer.forward(&xp);
        prop_assert!((yp - permute_columns(&y, &perm)).norm() < 1e-10);
    }

    #[test]
    fn with_positions_the_encoder_is_not_permutation_equivariant(
        seed in 0u64..1000, t in 3usize..7
    ) {
        let mut r = rng(seed);
        let layer = EncoderLayer::new(4, 2, 8, Norm::Post, Mask::None,
            Activation::Relu, &mut r).unwrap();
        let pos = Positional::sinusoidal(4, 8).unwrap();
        let x = init::normal(4, t, 1.0, &mut r);
        let mut perm: Vec<usize> = (0..t).collect();
        perm.swap(0, t - 1);
        let xp = permute_columns(&x, &perm);
        let (y, _) = layer.forward(&pos.forward(&x));
        let (yp, _) = layer.forward(&pos.forward(&xp));
        prop_assert!((yp - permute_columns(&y, &perm)).norm() > 1e-4);
    }

    #[test]
    fn gpt_output_at_t_ignores_tokens_after_t(
        seed in 0u64..1000, t in 2usize..6
    ) {
        let mut r = rng(seed);
        let c = config(Norm::Pre, PositionKind::Learned, Activation::Gelu);
        let m = Gpt::new(c, &mut r).unwrap();
        let ids: Vec<usize> = (0..t).map(|i| (i * 3 + seed as usize) % 5).collect();
        let cut = seed as usize % t;
        let mut ids2 = ids.clone();
        for id in ids2.iter_mut().skip(cut + 1) {
            *id = (*id + 1) % 5;
        }
        let (a, b) = (fast_gpt::logits(&m, &ids), fast_gpt::logits(&m, &ids2));
        for i in 0..=cut {
            prop_assert!((a.column(i) - b.column(i)).norm() < 1e-12);
        }
        if cut + 1 < t {
            prop_assert!((a.column(t - 1) - b.column(t - 1)).norm() > 1e-9);
        }
    }

    #[test]
    fn one_head_is_single_head_attention(
        d in 1usize..6, t in 1usize..6, seed in 0u64..1000
    ) {
        let mut r = rng(seed);
        let mha = MultiHeadAttention::new(d, 1, &mut r).unwrap();
        let x = init::normal(d, t, 1.0, &mut r);
        let (y, _) = mha.forward(&x, &x, Mask::Causal);
        let (single, _) = attention::forward(
            &(&mha.w_q * &x), &(&mha.w_k * &x), &(&mha.w_v * &x), Mask::Causal);
        prop_assert!((y - &mha.w_o * single).norm() < 1e-12);
    }

    #[test]
    fn attention_equals_the_attention_chapters_engine(
        dk in 1usize..5, t_q in 1usize..5, t_k in 1usize..5,
        seed in 0u64..1000
    ) {
        // the transformer's engine and its reference forward compute the
        // attention crate's math for T_q queries sharing one set of keys
        let [q, k, v, d_y] = common::random_qkv(dk, t_q, t_k, seed);
        let [y, d_q, d_k, d_v] = common::by_the_attention_chapter(&q, &k, &v, &d_y);
        let (y_ref, _) = attention::forward_reference(&q, &k, &v, Mask::None);
        let (y_eng, c) = attention::forward(&q, &k, &v, Mask::None);
        let g = attention::backward(&c, &d_y);
        prop_assert!((y_ref - &y).norm() < 1e-12, "forward_reference differs");
        prop_assert!((y_eng - &y).norm() < 1e-12, "forward differs");
        prop_assert!((g.d_q - d_q).norm() < 1e-10, "dQ differs");
        prop_assert!((g.d_k - d_k).norm() < 1e-10, "dK differs");
        prop_assert!((g.d_v - d_v).norm() < 1e-10, "dV differs");
    }

    #[test]
    fn layer_norm_engine_matches_numeric_gradient(
        d in 2usize..9, t in 1usize..6, seed in 0u64..1000
    ) {
        // the engine backward runs in every layer, so the model tests
        // below do not need the layer-norm-backward exercise
        let mut r = rng(seed);
        let mut ln = LayerNorm::new(d).unwrap();
        ln.gamma = init::normal(d, 1, 1.0, &mut r);
        let x = init::normal(d, t, 2.0, &mut r);
        let probe_r = init::normal(d, t, 1.0, &mut r);
        let (_, cache) = ln.forward(&x);
        let (g, d_x) = ln.backward(&cache, &probe_r);
        assert_gradients("LayerNorm::backward", &(ln.clone(), Named("x", x)), &(g, Named("x", d_x)), |p| {
            probe(&p.0.forward(&p.1.1).0, &probe_r)
        });
    }

    #[test]
    fn layer_norm_output_has_zero_mean_and_unit_variance_per_token(
        d in 2usize..20, t in 1usize..6, seed in 0u64..1000
    ) {
        let mut r = rng(seed);
        let x = init::normal(d, t, 5.0, &mut r).add_scalar(3.0);
        let (y, _) = LayerNorm::new(d).unwrap().forward(&x);
        for col in y.column_iter() {
            let mean = col.sum() / d as f64;
            let var = col.map(|v| (v - mean).powi(2)).sum() / d as f64;
            prop_assert!(mean.abs() < 1e-12, "mean {mean}");
            prop_assert!((var - 1.0).abs() < 1e-3, "variance {var}");
        }
    }

    #[test]
    fn feed_forward_matches_numeric_gradient(
        d in 1usize..5, d_ff in 1usize..6, t in 1usize..4,
        gelu in any::<bool>(), seed in 0u64..1000
    ) {
        let mut r = rng(seed);
        let act = if gelu { Activation::Gelu } else { Activation::Relu };
        let mut ffn = FeedForward::new(d, d_ff, act, &mut r).unwrap();
        ffn.b1 = init::normal(d_ff, 1, 0.5, &mut r);
        let x = init::normal(d, t, 1.0, &mut r);
        let pr = init::normal(d, t, 1.0, &mut r);
        let (_, c) = ffn.forward(&x);
        let (g, d_x) = ffn.backward(&c, &pr);
        assert_gradients("FeedForward::backward", &(ffn.clone(), Named("x", x)),
            &(g, Named("x", d_x)), |p| probe(&p.0.forward(&p.1.1).0, &pr));
    }

    #[test]
    fn engine_equals_the_reference_gpt(
        seed in 0u64..1000, b in 1usize..4, t in 1usize..6, gelu in any::<bool>()
    ) {
        let mut r = rng(seed);
        let act = if gelu { Activation::Gelu } else { Activation::Relu };
        let kind = if seed % 2 == 0 { PositionKind::Learned } else { PositionKind::Sinusoidal };
        let mut m = Gpt::new(config(Norm::Pre, kind, act), &mut r).unwrap();
        m.ln_f.beta = init::normal(4, 1, 0.3, &mut r);
        let batch: Vec<Vec<usize>> = (0..b)
            .map(|s| (0..=t).map(|i| (i * 7 + s * 3 + seed as usize) % 5).collect())
            .collect();
        let (l1, g1) = m.loss_reference(&batch);
        let (l2, g2) = fast_gpt::loss_and_grads(&m, &batch);
        prop_assert!((l1 - l2).abs() < 1e-12 * l1.abs().max(1.0));
        let (f1, f2) = (g1.to_flat(), g2.to_flat());
        prop_assert_eq!(f1.len(), f2.len());
        for (k, (a, e)) in f1.iter().zip(&f2).enumerate() {
            prop_assert!((a - e).abs() < 1e-10, "gradient entry {}: {} vs {}", k, a, e);
        }
    }
}

#[test]
fn two_layer_decoder_only_model_matches_numeric_gradient() {
    for (norm, kind, act) in [
        (Norm::Post, PositionKind::Sinusoidal, Activation::Relu),
        (Norm::Pre, PositionKind::Learned, Activation::Gelu),
    ] {
        let m = Gpt::new(config(norm, kind, act), &mut rng(4)).unwrap();
        let batch = vec![vec![0, 3, 1, 4, 2], vec![2, 2, 0, 1, 3]];
        let (_, g) = m.loss_reference(&batch);
        assert_gradients("Gpt::loss_reference", &m, &g, |p| {
            p.loss_reference(&batch).0
        });
    }
}

#[test]
fn two_layer_encoder_decoder_matches_numeric_gradient() {
    for (norm, kind, act) in [
        (Norm::Post, PositionKind::Sinusoidal, Activation::Relu),
        (Norm::Pre, PositionKind::Learned, Activation::Gelu),
    ] {
        let c = config(norm, kind, act);
        let mut r = rng(6);
        let mut m = EncoderDecoder::new(c, 7, &mut r).unwrap();
        // unit-size embeddings keep the first layer norm well conditioned
        // (tiny inputs make LN steep and central differences inexact)
        m.src_embed = init::normal(4, 7, 1.0, &mut r);
        m.tgt_embed = init::normal(4, 5, 1.0, &mut r);
        let (src, tgt_in, tgt_out) = ([6, 1, 0, 3], [0, 2, 4], [2, 4, 1]);
        let (_, g) = m.loss(&src, &tgt_in, &tgt_out);
        assert_gradients("EncoderDecoder::loss", &m, &g, |p| {
            p.loss(&src, &tgt_in, &tgt_out).0
        });
    }
}

#[test]
fn zero_layers_or_vocabulary_is_a_config_error() {
    let mut c = config(Norm::Pre, PositionKind::Sinusoidal, Activation::Relu);
    c.layers = 0;
    let e = Gpt::new(c, &mut rng(0)).unwrap_err();
    assert!(e.to_string().contains("layers N = 0 must be ≥ 1"), "{e}");
    let mut c = config(Norm::Pre, PositionKind::Learned, Activation::Relu);
    c.vocab = 0;
    assert!(Gpt::new(c, &mut rng(0)).is_err());
    let c = config(Norm::Post, PositionKind::Sinusoidal, Activation::Relu);
    assert!(EncoderDecoder::new(c, 0, &mut rng(0)).is_err());
}

#[test]
#[should_panic(
    expected = "fast_gpt::loss_and_grads: every sequence needs the same length ≥ 2 (T + 1 ids), got 4 and 3"
)]
fn sequences_of_different_lengths_are_named() {
    let c = config(Norm::Pre, PositionKind::Sinusoidal, Activation::Relu);
    let m = Gpt::new(c, &mut rng(0)).unwrap();
    fast_gpt::loss_and_grads(&m, &[vec![0, 1, 2, 3], vec![0, 1, 2]]);
}

#[test]
#[should_panic(
    expected = "EncoderDecoder::forward: a sequence of 7 tokens is longer than the positional table of 6 positions"
)]
fn encoder_decoder_source_longer_than_the_table_is_named() {
    let c = config(Norm::Post, PositionKind::Sinusoidal, Activation::Relu);
    let m = EncoderDecoder::new(c, 7, &mut rng(0)).unwrap();
    m.forward(&[1; 7], &[0, 1]);
}

#[test]
#[should_panic(
    expected = "model::embed: token id 7 is out of range for a vocabulary of 7"
)]
fn encoder_decoder_unknown_source_token_is_named() {
    let c = config(Norm::Pre, PositionKind::Learned, Activation::Gelu);
    let m = EncoderDecoder::new(c, 7, &mut rng(0)).unwrap();
    m.forward(&[1, 7, 2], &[0, 1]);
}

#[test]
#[should_panic(expected = "2 targets for logits of 5x3, expected 3")]
fn encoder_decoder_targets_of_another_length_are_named() {
    let c = config(Norm::Pre, PositionKind::Sinusoidal, Activation::Gelu);
    let m = EncoderDecoder::new(c, 7, &mut rng(0)).unwrap();
    m.loss(&[1, 2], &[0, 1, 2], &[1, 2]);
}

#[test]
fn width_not_divisible_by_heads_is_a_config_error() {
    let e = MultiHeadAttention::new(6, 4, &mut rng(0)).unwrap_err();
    assert!(
        e.to_string().contains("d = 6 is not divisible by h = 4"),
        "{e}"
    );
    let mut c = config(Norm::Pre, PositionKind::Sinusoidal, Activation::Relu);
    c.heads = 3;
    assert!(Gpt::new(c, &mut rng(0)).is_err());
    assert!(MultiHeadAttention::new(4, 0, &mut rng(0)).is_err());
    assert!(LayerNorm::new(0).is_err());
    assert!(Positional::sinusoidal(4, 0).is_err());
}

#[test]
#[should_panic(
    expected = "fast_gpt::loss_and_grads: a sequence of 7 tokens is longer than the positional table of 6 positions"
)]
fn a_sequence_longer_than_the_table_is_named() {
    let c = config(Norm::Pre, PositionKind::Sinusoidal, Activation::Relu);
    let m = Gpt::new(c, &mut rng(0)).unwrap();
    fast_gpt::loss_and_grads(&m, &[vec![0; 8]]);
}

#[test]
#[should_panic(
    expected = "positional::forward: a sequence of 9 tokens is longer than the positional table of 8 positions"
)]
fn positional_forward_names_a_too_long_sequence() {
    Positional::sinusoidal(4, 8)
        .unwrap()
        .forward(&DMatrix::zeros(4, 9));
}

#[test]
#[should_panic(expected = "multi_head::forward: x_kv is 3x2, expected 4 x T_k")]
fn mismatched_widths_are_named() {
    let mha = MultiHeadAttention::new(4, 2, &mut rng(0)).unwrap();
    mha.forward(&DMatrix::zeros(4, 2), &DMatrix::zeros(3, 2), Mask::None);
}

#[test]
#[should_panic(
    expected = "attention::forward: a causal mask needs as many queries as keys"
)]
fn causal_mask_with_different_lengths_is_named() {
    let q = DMatrix::zeros(2, 3);
    attention::forward(
        &q,
        &DMatrix::zeros(2, 4),
        &DMatrix::zeros(2, 4),
        Mask::Causal,
    );
}

#[test]
#[should_panic(
    expected = "fast_gpt::loss_and_grads: token id 9 is out of range"
)]
fn unknown_token_is_named() {
    let c = config(Norm::Pre, PositionKind::Sinusoidal, Activation::Relu);
    fast_gpt::loss_and_grads(
        &Gpt::new(c, &mut rng(0)).unwrap(),
        &[vec![0, 9, 1]],
    );
}

/// Sizes above nalgebra's small-matrix threshold (5), where the engine's
/// transposed views go to the blocked matrix product.
#[test]
fn engine_equals_the_reference_above_the_small_size_threshold() {
    let c = Config {
        vocab: 9,
        d: 12,
        heads: 2,
        layers: 2,
        d_ff: 24,
        max_len: 10,
        norm: Norm::Pre,
        positions: PositionKind::Learned,
        activation: Activation::Gelu,
    };
    let m = Gpt::new(c, &mut rng(3)).unwrap();
    let batch: Vec<Vec<usize>> = (0..3)
        .map(|s| (0..9).map(|i| (i * 5 + s * 2) % 9).collect())
        .collect();
    let (l1, g1) = m.loss_reference(&batch);
    let (l2, g2) = fast_gpt::loss_and_grads(&m, &batch);
    assert!((l1 - l2).abs() < 1e-12, "{l1} vs {l2}");
    for (k, (a, e)) in g1.to_flat().iter().zip(&g2.to_flat()).enumerate() {
        assert!((a - e).abs() < 1e-10, "gradient entry {k}: {a} vs {e}");
    }
}

#[test]
#[should_panic(expected = "attention::backward: d_y is 2x3, expected 3 x 3")]
fn wrong_d_y_shape_is_named() {
    let q = DMatrix::from_element(2, 3, 0.1);
    let v = DMatrix::from_element(3, 3, 0.1);
    let (_, c) = attention::forward(&q, &q, &v, Mask::None);
    attention::backward(&c, &DMatrix::zeros(2, 3));
}

#[test]
fn a_gradient_report_names_projection_entries_by_head() {
    // d = 4, h = 2: rows 2..4 of W_Q are head 1's, columns 2..4 of W_O too.
    let mha = MultiHeadAttention::new(4, 2, &mut rng(1)).unwrap();
    let l = foundations::layout::layouts_of(&mha);
    assert_eq!(l["w_q"].describe((3, 0), (4, 4)).unwrap(), "head 1, row 1");
    assert_eq!(
        l["w_o"].describe((0, 2), (4, 4)).unwrap(),
        "head 1, column 0"
    );
}

#[test]
fn the_engine_sinusoids_agree_with_the_reference_to_1e_12() {
    use transformer::positional::{REANCHOR, sinusoidal, sinusoidal_table};
    for (d, t) in [(1, 3), (5, 30), (7, 200), (64, 16 * REANCHOR)] {
        let diff = (sinusoidal_table(d, t) - sinusoidal(d, t)).amax();
        assert!(
            diff < 1e-12,
            "d = {d}, T = {t}: the tables differ by {diff:e}"
        );
    }
}
