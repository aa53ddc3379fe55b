//! Criterion benchmarks: one step of the LSTM engine forward and
//! backward (n = 100, a one-hot input of V = 62, B = 1), and one whole
//! training chunk (T = 25) of the fast LSTM character model.
//!
//! cargo bench -p benches --features criterion --bench lstm_step

use criterion::{Criterion, criterion_group, criterion_main};
use foundations::{Mat, rng};
use lstm_gru::{FastLstm, Lstm, LstmStateGrads};
use std::hint::black_box;
use vanilla_rnn_bptt::{Output, RecurrentCell, RecurrentModel};

fn bench(c: &mut Criterion) {
    let (v, n) = (62, 100);
    let mut r = rng(0);
    let cell = Lstm::new(v, n, &mut r).unwrap();
    let mut x = Mat::zeros(v, 1);
    x[(7, 0)] = 1.0;
    let state = cell.zero_state(1);
    c.bench_function("Lstm step forward (n 100, V 62)", |b| {
        b.iter(|| cell.step_forward(black_box(&state), black_box(&x)))
    });
    let (_, cache) = cell.step_forward(&state, &x);
    let d = LstmStateGrads {
        d_h: Mat::from_element(n, 1, 0.1),
        d_c: Mat::from_element(n, 1, 0.1),
    };
    c.bench_function("Lstm step backward (n 100, V 62)", |b| {
        b.iter(|| cell.step_backward(black_box(&cache), black_box(&d)))
    });
    let model =
        RecurrentModel::new(cell, Output::new(n, v, &mut r).unwrap()).unwrap();
    let mut fast = FastLstm::new(&model, 25).unwrap();
    let ids: Vec<usize> = (0..26).map(|i| (i * 7) % v).collect();
    let (h0, c0) = (Mat::zeros(n, 1), Mat::zeros(n, 1));
    c.bench_function("FastLstm chunk forward + BPTT (T 25)", |b| {
        b.iter(|| fast.loss_and_grads(&model, &ids[..25], &ids[1..], &h0, &c0))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
