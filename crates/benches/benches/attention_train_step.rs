//! Criterion benchmark: one training step of the dates encoder-decoder
//! (LSTM cells, n = 64, a batch of B = 32 sources of 20 characters, T = 11
//! target steps): forward, backward and an Adam update, with and without
//! attention. Examples per second = 32 / (time per step).
//!
//! cargo bench -p benches --features criterion --bench attention_train_step

use attention::{Context, Seq2Seq};
use criterion::{Criterion, criterion_group, criterion_main};
use datasets::dates::DateTask;
use foundations::optim::{Adam, Optimizer};
use foundations::rng;
use lstm_gru::Lstm;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let task = DateTask::generate(4000, 10, 1).unwrap();
    let batch: Vec<_> = task
        .train
        .iter()
        .filter(|p| p.source.len() == 20)
        .take(32)
        .collect();
    assert_eq!(batch.len(), 32, "not enough sources of 20 characters");
    let src: Vec<Vec<usize>> =
        batch.iter().map(|p| p.source_ids.clone()).collect();
    let tgt: Vec<Vec<usize>> =
        batch.iter().map(|p| p.target_ids.clone()).collect();
    let (d, v, n) = (task.source_vocab.len(), task.target_vocab.len(), 64);
    for (name, ctx) in [
        ("with attention", Context::Attention),
        ("last state only", Context::LastState),
    ] {
        let mut r = rng(0);
        let enc = Lstm::new(d, n, &mut r).unwrap();
        let dec = Lstm::new(v, n, &mut r).unwrap();
        let mut model = Seq2Seq::new(enc, dec, v, ctx, &mut r).unwrap();
        let mut opt = Adam::new(1e-3);
        c.bench_function(
            &format!("dates train step, B 32, N 20, n 64, {name}"),
            |b| {
                b.iter(|| {
                    let (loss, cache) =
                        model.forward(black_box(&src), black_box(&tgt));
                    let g = model.backward(&cache);
                    opt.step(&mut model, &g);
                    loss
                })
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
