//! One forward + backward over 25 characters of the Sonnets (hidden 100,
//! V = the Sonnets' vocabulary): the fast path and the textbook engine.
//!
//! `cargo bench -p benches --features criterion --bench rnn_step`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vanilla_rnn_bptt::{
    FastBptt, LossScale, Rnn, Targets, bptt, one_hot_inputs,
};

fn step(c: &mut Criterion) {
    let text = datasets::sonnets();
    let vocab = datasets::Vocab::from_text(text).unwrap();
    let ids = vocab.encode(&text[1000..1026]).unwrap();
    let v = vocab.len();
    let mut rng = foundations::rng(1);
    let model = Rnn::random(v, 100, v, 0.05, &mut rng).unwrap().to_model();
    let (inputs, targets) = (&ids[..25], &ids[1..26]);
    let h0 = vec![0.0; 100];

    let mut fast = FastBptt::new(&model, 25);
    c.bench_function("fast forward+backward, 25 chars", |b| {
        b.iter(|| black_box(fast.run(&model, &h0, inputs, targets)))
    });

    let xs = one_hot_inputs(inputs, v);
    let ys = Targets::from_ids(targets);
    let h0 = foundations::DMatrix::zeros(100, 1);
    c.bench_function("engine forward+backward, 25 chars", |b| {
        b.iter(|| black_box(bptt(&model, &h0, &xs, &ys, LossScale::Sum).loss))
    });
}

criterion_group!(benches, step);
criterion_main!(benches);
