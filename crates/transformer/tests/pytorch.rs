//! The transformer's layers against PyTorch (fixtures made by
//! `scripts/pytorch/reference.py`, float64): scaled dot-product attention
//! with and without a causal mask (`F.scaled_dot_product_attention`),
//! multi-head self- and cross-attention (`nn.MultiheadAttention` with
//! `bias=False`: the course's projections have no biases), LayerNorm, and
//! the feed-forward block with GELU in its tanh form
//! (`nn.GELU(approximate='tanh')`). Outputs and every gradient, relative
//! error ≤ 1e-12; the loss is `L = ⟨y, g⟩`. PyTorch's tokens are rows, the
//! course's columns. Book: *Appendices → From this course to PyTorch*.

use foundations::pytorch::{Agreement, Fixture, record_agreement};
use transformer::attention;
use transformer::{
    Activation, FeedForward, LayerNorm, Mask, MultiHeadAttention,
};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn dot_attention_agreement(name: &str, mask: Mask) -> Agreement {
    let f = Fixture::load(DIR, name);
    let (q, k, v, g) = (f.cols("q"), f.cols("k"), f.cols("v"), f.cols("g"));
    let mut a = Agreement::new(&f);
    // the engine, then the slide form (the exercise)
    for (form, (y, cache)) in [
        ("", attention::forward(&q, &k, &v, mask)),
        (
            " (reference)",
            attention::forward_reference(&q, &k, &v, mask),
        ),
    ] {
        let grads = if form.is_empty() {
            attention::backward(&cache, &g)
        } else {
            attention::backward_reference(&cache, &g)
        };
        a.check(&format!("y{form}"), &y, &f.cols("y"));
        // the course's A is T_k x T_q (column i = query i): PyTorch's transposed
        a.check(&format!("attn{form}"), &cache.a, &f.cols("attn"));
        a.check(&format!("grad.q{form}"), &grads.d_q, &f.cols("grad.q"));
        a.check(&format!("grad.k{form}"), &grads.d_k, &f.cols("grad.k"));
        a.check(&format!("grad.v{form}"), &grads.d_v, &f.cols("grad.v"));
    }
    a
}

#[test]
fn dot_product_attention_matches_pytorch() {
    dot_attention_agreement("dot_attention", Mask::None).assert();
}

#[test]
fn causal_dot_product_attention_matches_pytorch() {
    dot_attention_agreement("dot_attention_causal", Mask::Causal).assert();
}

#[test]
fn attention_weights_are_pytorchs_transposed() {
    // the convention changed on purpose: PyTorch's T_q x T_k weights taken
    // as the course's A without the transpose
    let f = Fixture::load(DIR, "dot_attention_causal");
    let (_, cache) = attention::forward(
        &f.cols("q"),
        &f.cols("k"),
        &f.cols("v"),
        Mask::Causal,
    );
    let mut a = Agreement::new(&f);
    a.check("attn", &cache.a, &f.rows("attn"));
    let e = a.result().unwrap_err();
    assert!(e.contains("  attn: relative error"), "{e}");
    // and without the mask the causal fixture is not matched either
    let mut b = Agreement::new(&f);
    let (y, _) = attention::forward(
        &f.cols("q"),
        &f.cols("k"),
        &f.cols("v"),
        Mask::None,
    );
    b.check("y", &y, &f.cols("y"));
    assert!(b.result().unwrap_err().contains("  y: relative error"));
}

fn mha_from(f: &Fixture, heads: usize, transpose: bool) -> MultiHeadAttention {
    let w = |name: &str| {
        if transpose {
            f.cols(name)
        } else {
            f.rows(name)
        }
    };
    MultiHeadAttention {
        w_q: w("w_q"),
        w_k: w("w_k"),
        w_v: w("w_v"),
        w_o: w("w_o"),
        heads,
    }
}

fn mha_agreement(
    name: &str,
    heads: usize,
    mask: Mask,
    transpose: bool,
) -> Agreement {
    let f = Fixture::load(DIR, name);
    let mha = mha_from(&f, heads, transpose);
    let is_self = name.contains("self");
    let (x_q, x_kv) = if is_self {
        (f.cols("x"), f.cols("x"))
    } else {
        (f.cols("x_q"), f.cols("x_kv"))
    };
    let (y, cache) = mha.forward(&x_q, &x_kv, mask);
    let (grads, d_xq, d_xkv) = mha.backward(&cache, &f.cols("g"));
    let mut a = Agreement::new(&f);
    a.check("y", &y, &f.cols("y"));
    for (p, g) in [
        ("w_q", &grads.w_q),
        ("w_k", &grads.w_k),
        ("w_v", &grads.w_v),
        ("w_o", &grads.w_o),
    ] {
        a.check(&format!("grad.{p}"), g, &f.rows(&format!("grad.{p}")));
    }
    if is_self {
        // self-attention: x feeds the queries and the keys/values
        a.check("grad.x", &(d_xq + d_xkv), &f.cols("grad.x"));
    } else {
        a.check("grad.x_q", &d_xq, &f.cols("grad.x_q"));
        a.check("grad.x_kv", &d_xkv, &f.cols("grad.x_kv"));
    }
    a
}

#[test]
fn causal_multi_head_self_attention_matches_pytorch() {
    mha_agreement("mha_self_causal", 2, Mask::Causal, false).assert();
}

#[test]
fn multi_head_cross_attention_matches_pytorch() {
    mha_agreement("mha_cross", 3, Mask::None, false).assert();
}

#[test]
fn multi_head_attention_with_transposed_weights_fails() {
    // the convention changed on purpose: W read as PyTorch's x W instead of
    // x Wᵀ (the course's W x)
    let e = mha_agreement("mha_cross", 3, Mask::None, true)
        .result()
        .unwrap_err();
    assert!(e.contains("  y: relative error"), "{e}");
}

fn layer_norm_agreement() -> Agreement {
    let f = Fixture::load(DIR, "layer_norm");
    let ln = LayerNorm {
        gamma: f.rows("gamma"),
        beta: f.rows("beta"),
    };
    let (y, cache) = ln.forward(&f.cols("x"));
    let (grads, d_x) = ln.backward(&cache, &f.cols("g"));
    let (grads_ref, d_x_ref) = ln.backward_reference(&cache, &f.cols("g"));
    let mut a = Agreement::new(&f);
    a.check("y", &y, &f.cols("y"));
    a.check("grad.gamma", &grads.gamma, &f.rows("grad.gamma"));
    a.check("grad.beta", &grads.beta, &f.rows("grad.beta"));
    a.check("grad.x", &d_x, &f.cols("grad.x"));
    a.check(
        "grad.gamma (reference)",
        &grads_ref.gamma,
        &f.rows("grad.gamma"),
    );
    a.check("grad.x (reference)", &d_x_ref, &f.cols("grad.x"));
    a
}

#[test]
fn layer_norm_matches_pytorch() {
    layer_norm_agreement().assert();
}

fn feed_forward_from(f: &Fixture) -> FeedForward {
    FeedForward {
        w1: f.rows("w1"),
        b1: f.rows("b1"),
        w2: f.rows("w2"),
        b2: f.rows("b2"),
        activation: Activation::Gelu,
    }
}

fn feed_forward_agreement() -> Agreement {
    let f = Fixture::load(DIR, "feed_forward_gelu");
    let ffn = feed_forward_from(&f);
    let (y, cache) = ffn.forward(&f.cols("x"));
    let (grads, d_x) = ffn.backward(&cache, &f.cols("g"));
    let mut a = Agreement::new(&f);
    a.check("y", &y, &f.cols("y"));
    for (p, g) in [
        ("w1", &grads.w1),
        ("b1", &grads.b1),
        ("w2", &grads.w2),
        ("b2", &grads.b2),
    ] {
        a.check(&format!("grad.{p}"), g, &f.rows(&format!("grad.{p}")));
    }
    a.check("grad.x", &d_x, &f.cols("grad.x"));
    a
}

#[test]
fn feed_forward_with_tanh_gelu_matches_pytorch() {
    feed_forward_agreement().assert();
}

#[test]
fn the_course_gelu_is_not_pytorchs_default_exact_gelu() {
    // feed_forward_gelu_module.json: the same weights and x through
    // nn.GELU() (z Φ(z), erf): close to the tanh form, not equal
    let f = Fixture::load(DIR, "feed_forward_gelu");
    let exact = Fixture::load(DIR, "feed_forward_gelu_module");
    let (y, _) = feed_forward_from(&f).forward(&f.cols("x"));
    let mut a = Agreement::new(&exact);
    a.check("y", &y, &exact.cols("y"));
    let err = a.max_error();
    assert!(err > 1e-7 && err < 1e-2, "tanh GELU vs exact GELU: {err:e}");
}

#[test]
fn agreement_is_recorded() {
    let all = [
        dot_attention_agreement("dot_attention", Mask::None),
        dot_attention_agreement("dot_attention_causal", Mask::Causal),
        mha_agreement("mha_self_causal", 2, Mask::Causal, false),
        mha_agreement("mha_cross", 3, Mask::None, false),
        layer_norm_agreement(),
        feed_forward_agreement(),
    ];
    for a in &all {
        a.assert();
    }
    record_agreement(DIR, "transformer", &all);
}
