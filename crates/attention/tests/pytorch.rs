//! Dot-product attention against `F.scaled_dot_product_attention` (fixture
//! made by `scripts/pytorch/reference.py`, float64): a batch of `B = 3`
//! queries, each attending over its own `N = 5` keys and values (PyTorch's
//! batch dimension), with the slides' dot score (`scale=1.0`) and the
//! scaled one (`1/√d`, PyTorch's default). The output, the attention
//! distribution and the gradients of the query, every key and every value,
//! relative error ≤ 1e-12; the loss is `L = ⟨z, g⟩`. Book: *Appendices →
//! From this course to PyTorch*.

use attention::engine::{attention_backward, attention_forward};
use attention::{
    Scoring, attention_backward_reference, attention_forward_reference,
};
use foundations::Mat;
use foundations::pytorch::{Agreement, Fixture, Tensor, record_agreement};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

/// PyTorch's `B x N x d` keys (or values) as the engine's `N` matrices
/// `d x B`: column `b` of `keys[i]` is `k[b, i, :]`.
fn per_key(t: &Tensor) -> Vec<Mat> {
    let (b, n, d) = (t.shape[0], t.shape[1], t.shape[2]);
    (0..n)
        .map(|i| Mat::from_fn(d, b, |r, c| t.data[(c * n + i) * d + r]))
        .collect()
}

fn attention_agreement(kind: &str, scoring: Scoring) -> Agreement {
    let f = Fixture::load(DIR, "attention");
    let (q, g) = (f.cols("q"), f.cols("g")); // B x 1 x d → d x B
    let (keys, values) = (per_key(f.tensor("k")), per_key(f.tensor("v")));
    let scale = scoring.scale(q.nrows());
    let (z, cache) = attention_forward(&q, &keys, &values, scale);
    let (d_q, d_keys, d_values) = attention_backward(&cache, &g);
    let mut a = Agreement::new(&f).label(&format!(
        "`torch.nn.functional.scaled_dot_product_attention`, {}",
        if kind == "dot" {
            "scale=1 (`Scoring::Dot`)"
        } else {
            "default 1/√d (`Scoring::ScaledDot`)"
        }
    ));
    a.check(&format!("y_{kind}"), &z, &f.cols(&format!("y_{kind}")));
    if kind == "dot" {
        a.check("p_dot", &cache.p, &f.cols("p_dot"));
    }
    let grad = |name: &str| format!("grad_{kind}.{name}");
    a.check(&grad("q"), &d_q, &f.cols(&grad("q")));
    a.check_seq(&grad("k"), &d_keys, &per_key(f.tensor(&grad("k"))));
    a.check_seq(&grad("v"), &d_values, &per_key(f.tensor(&grad("v"))));
    // the slide form (the exercise): one query at a time, keys as columns
    let (k, v) = (f.tensor("k"), f.tensor("v"));
    let (gk, gv) = (f.tensor(&grad("k")), f.tensor(&grad("v")));
    for b in 0..q.ncols() {
        let q_b = q.columns(b, 1).into_owned();
        let (z_b, cache) = attention_forward_reference(
            &q_b,
            &k.index(b).cols(),
            &v.index(b).cols(),
            scoring,
        );
        let (dq_b, dk_b, dv_b) =
            attention_backward_reference(&cache, &g.columns(b, 1).into_owned());
        a.check(
            &format!("y_{kind}[{b}] (reference)"),
            &z_b,
            &f.cols(&format!("y_{kind}")).columns(b, 1).into_owned(),
        );
        a.check(
            &format!("{}[{b}] (reference)", grad("q")),
            &dq_b,
            &f.cols(&grad("q")).columns(b, 1).into_owned(),
        );
        a.check(
            &format!("{}[{b}] (reference)", grad("k")),
            &dk_b,
            &gk.index(b).cols(),
        );
        a.check(
            &format!("{}[{b}] (reference)", grad("v")),
            &dv_b,
            &gv.index(b).cols(),
        );
    }
    a
}

#[test]
fn dot_attention_matches_pytorch_with_scale_one() {
    attention_agreement("dot", Scoring::Dot).assert();
}

#[test]
fn scaled_dot_attention_matches_pytorch_default_scale() {
    attention_agreement("scaled", Scoring::ScaledDot).assert();
}

#[test]
fn the_slides_dot_score_is_not_pytorchs_default() {
    // the convention changed on purpose: the slides' unscaled score against
    // PyTorch's default 1/√d
    let f = Fixture::load(DIR, "attention");
    let (q, keys, values) =
        (f.cols("q"), per_key(f.tensor("k")), per_key(f.tensor("v")));
    let (z, _) =
        attention_forward(&q, &keys, &values, Scoring::Dot.scale(q.nrows()));
    let mut a = Agreement::new(&f);
    a.check("y_scaled", &z, &f.cols("y_scaled"));
    let e = a.result().unwrap_err();
    assert!(e.contains("  y_scaled: relative error"), "{e}");
}

#[test]
fn agreement_is_recorded() {
    let all = [
        attention_agreement("dot", Scoring::Dot),
        attention_agreement("scaled", Scoring::ScaledDot),
    ];
    for a in &all {
        a.assert();
    }
    record_agreement(DIR, "attention", &all);
}
