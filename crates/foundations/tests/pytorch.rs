//! Softmax cross-entropy against PyTorch's `F.cross_entropy` (fixture made
//! by `scripts/pytorch/reference.py`): the loss and its gradient, with mean
//! and sum reductions. PyTorch's logits are rows (`B x V`), the course's
//! columns (`V x B`). Book: *Appendices → From this course to PyTorch*.

use foundations::Mat;
use foundations::pytorch::{Agreement, Fixture, record_agreement};
use foundations::softmax::{Reduction, cross_entropy};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn scalar(v: f64) -> Mat {
    Mat::from_element(1, 1, v)
}

fn cross_entropy_agreement() -> Agreement {
    let f = Fixture::load(DIR, "cross_entropy");
    let logits = f.cols("logits");
    let targets: Vec<usize> = f
        .tensor("targets")
        .data
        .iter()
        .map(|&t| t as usize)
        .collect();
    let mut a = Agreement::new(&f);
    for (name, reduction) in
        [("mean", Reduction::Mean), ("sum", Reduction::Sum)]
    {
        let (loss, d_logits) = cross_entropy(&logits, &targets, reduction);
        a.check(
            &format!("loss_{name}"),
            &scalar(loss),
            &scalar(f.scalar(&format!("loss_{name}"))),
        );
        a.check(
            &format!("grad_{name}.logits"),
            &d_logits,
            &f.cols(&format!("grad_{name}.logits")),
        );
    }
    a
}

#[test]
fn cross_entropy_matches_pytorch() {
    cross_entropy_agreement().assert();
}

#[test]
fn cross_entropy_on_rows_instead_of_columns_disagrees() {
    // the convention changed on purpose: softmax over PyTorch's rows read as
    // the course's columns (a B x V matrix given as V x B) normalises over
    // the batch instead of the classes
    let f = Fixture::load(DIR, "cross_entropy");
    let wrong = f.rows("logits").columns(0, 4).into_owned(); // 4 x 4: B x first 4 classes
    let targets: Vec<usize> = vec![0; 4];
    let (_, d) = cross_entropy(&wrong, &targets, Reduction::Mean);
    let mut a = Agreement::new(&f);
    a.check(
        "grad_mean.logits",
        &d,
        &f.cols("grad_mean.logits").rows(0, 4).into_owned(),
    );
    let e = a.result().unwrap_err();
    assert!(e.contains("grad_mean.logits: relative error"), "{e}");
}

#[test]
fn agreement_is_recorded() {
    let all = [cross_entropy_agreement()];
    for a in &all {
        a.assert();
    }
    record_agreement(DIR, "foundations", &all);
}
