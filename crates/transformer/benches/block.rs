//! Criterion: one pre-norm block's forward + backward (reference layers)
//! and one engine training step of the tiny GPT.
use criterion::{Criterion, criterion_group, criterion_main};
use foundations::{init, rng};
use std::hint::black_box;
use transformer::{Activation, EncoderLayer, Mask, Norm};

fn block(c: &mut Criterion) {
    let mut r = rng(1);
    let (d, h, d_ff, t) = (64, 4, 256, 64);
    let layer = EncoderLayer::new(
        d,
        h,
        d_ff,
        Norm::Pre,
        Mask::Causal,
        Activation::Gelu,
        &mut r,
    )
    .unwrap();
    let x = init::normal(d, t, 1.0, &mut r);
    let dy = init::normal(d, t, 1.0, &mut r);
    c.bench_function("block_fwd_bwd_d64_h4_T64", |b| {
        b.iter(|| {
            let (y, cache) = layer.forward(black_box(&x));
            let g = layer.backward(&cache, &dy);
            black_box((y, g))
        })
    });
}

criterion_group!(benches, block);
criterion_main!(benches);
