//! Criterion: one pre-norm block's forward + backward (reference layers)
//! and one engine training step of the tiny GPT.
//! `cargo bench -p benches --features criterion --bench transformer_block`. The first benchmark calls
//! `EncoderLayer::backward`, the exercise `block-backward`: in the student
//! edition it panics until that exercise is solved; the engine's does not.
use criterion::{Criterion, criterion_group, criterion_main};
use foundations::{init, rng};
use std::hint::black_box;
use transformer::{
    Activation, Config, EncoderLayer, Gpt, Mask, Norm, PositionKind, fast_gpt,
};

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

/// The engine: a whole training step of a one-block GPT (V = 62), B = 1.
fn engine(c: &mut Criterion) {
    let config = Config {
        vocab: 62,
        d: 64,
        heads: 4,
        layers: 1,
        d_ff: 256,
        max_len: 64,
        norm: Norm::Pre,
        positions: PositionKind::Sinusoidal,
        activation: Activation::Gelu,
    };
    let model = Gpt::new(config, &mut rng(1)).unwrap();
    let batch = vec![(0..65).map(|i| (i * 7) % 62).collect::<Vec<usize>>()];
    c.bench_function("engine_gpt_1block_fwd_bwd_d64_h4_T64", |b| {
        b.iter(|| {
            black_box(fast_gpt::loss_and_grads(&model, black_box(&batch)))
        })
    });
}

criterion_group!(benches, block, engine);
criterion_main!(benches);
