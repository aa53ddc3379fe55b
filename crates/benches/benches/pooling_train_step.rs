//! One training step of the digits ConvNet on a batch of 64 images
//! (engine forward, loss, backward, Adam update); criterion reports the
//! throughput in images per second.
//!
//! `cargo bench -p benches --features criterion --bench pooling_train_step`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use foundations::optim::Adam;
use pooling::data::to_volumes;
use pooling::{ConvNet, ConvNetConfig};
use std::hint::black_box;

fn train_step(c: &mut Criterion) {
    let digits = datasets::Digits::load().expect("bundled digits");
    let (x, y) = to_volumes(&digits.images[..64]);
    let mut rng = foundations::rng(1);
    let mut net = ConvNet::new(ConvNetConfig::default(), &mut rng).unwrap();
    let mut opt = Adam::new(1e-3);
    let mut group = c.benchmark_group("convnet");
    group.throughput(Throughput::Elements(x.len() as u64));
    let mut step = 0;
    group.bench_function("train_step_batch_64", |b| {
        b.iter(|| {
            step += 1;
            let loss = net
                .train_step(&mut opt, black_box(&x), &y, step, &mut rng)
                .unwrap();
            black_box(loss)
        })
    });
    group.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);
