//! Convolution forward + backward, reference loops vs im2col, on 8 images of
//! 3x32x32 with 16 filters of 5x5 (stride 1, no padding: 16x28x28 out).
//!
//! `cargo bench -p benches --features criterion --bench conv`; the GFLOP/s of each path is
//! printed from criterion's throughput (elements = floating-point
//! operations).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fc_and_conv::{Conv, Padding, Shape, Volume};
use std::hint::black_box;

/// Multiply-adds of one forward: B·K·H'·W'·(depth·F·F); the backward does
/// two such products (dW and dX); 2 flops per multiply-add.
fn flops(conv: &Conv, batch: usize) -> u64 {
    let out = conv.output_shape();
    let window = conv.input_shape().depth * conv.size() * conv.size();
    let macs = batch * out.len() * window;
    (2 * 3 * macs) as u64
}

fn bench(c: &mut Criterion) {
    let mut rng = foundations::rng(1);
    let input = Shape::new(3, 32, 32);
    let conv = Conv::new(input, 16, 5, 1, Padding::VALID, &mut rng).unwrap();
    let x: Vec<Volume> = (0..8)
        .map(|_| {
            let m = foundations::init::uniform(3, 32 * 32, 1.0, &mut rng);
            Volume::from_matrix(32, 32, m)
        })
        .collect();
    let d_out: Vec<Volume> = (0..8)
        .map(|_| {
            let s = conv.output_shape();
            let m = foundations::init::uniform(s.depth, 28 * 28, 1.0, &mut rng);
            Volume::from_matrix(s.height, s.width, m)
        })
        .collect();
    let mut group = c.benchmark_group("conv_8x3x32x32_k16_f5");
    group.throughput(Throughput::Elements(flops(&conv, x.len())));
    group.sample_size(20);
    group.bench_function("reference", |b| {
        b.iter(|| {
            let (y, cache) = conv.forward_reference(black_box(&x));
            let grads = conv.backward_reference(&cache, black_box(&d_out));
            black_box((y, grads))
        })
    });
    group.bench_function("im2col", |b| {
        b.iter(|| {
            let (y, cache) = conv.forward(black_box(&x));
            let grads = conv.backward(&cache, black_box(&d_out));
            black_box((y, grads))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
