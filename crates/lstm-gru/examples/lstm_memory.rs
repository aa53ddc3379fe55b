//! Experiment 2 — long-range memory: recall the first symbol after `T − 1`
//! distractors. Each sequence starts with a message symbol (one of 4),
//! followed by `T − 1` random distractors (4 other symbols); at the last
//! step the network must name the message (many-to-one, chance = 25%).
//! A vanilla RNN, an LSTM and a GRU (hidden size 32, the same
//! initialisation scale U(±1/√n) — the vanilla RNN also with the vanilla
//! crate's default N(0, 0.01²) — and the same budget: Adam with learning rate
//! 0.01, gradient norm clipped to 5, batches of 32 sequences, the same
//! number of updates) are trained for each `T` and tested on 512 fresh
//! sequences. The gated cells run twice: with their default
//! initialisation (LSTM forget bias 1, GRU gate biases 0) and with the
//! "chrono" initialisation of Tallec & Ollivier (2018), which sets the
//! gates' biases so that the cells start out remembering over about `T`
//! steps: `b_f = log u`, `b_i = −b_f` with `u ~ U(1, T − 1)` for the LSTM,
//! and `b_z = −log u` for the slide's GRU (whose `1 − z` keeps `h_{t−1}`).
//!
//! cargo run --release -p lstm-gru --example lstm_memory -- --seed 1
//!
//! Writes `book/src/figures/lstm-gru-memory.svg` and `lstm-gru-memory.md`.

use foundations::figures::{Scale, Series, figure_path, line_chart};
use foundations::optim::{Adam, Optimizer};
use foundations::{Mat, Rng, init, rng};
use lstm_gru::{GruCell, LstmCell};
use rand::Rng as _;
use vanilla_rnn_bptt::{
    Clip, LossScale, Output, RecurrentCell, RecurrentModel, RnnCell, Targets,
    bptt, sequence_forward,
};

const MESSAGES: usize = 4;
const SYMBOLS: usize = 8; // 4 messages + 4 distractors
const HIDDEN: usize = 32;
const BATCH: usize = 32;

/// A batch of `b` sequences of length `t`: one-hot inputs and the messages.
fn batch(t: usize, b: usize, r: &mut Rng) -> (Vec<Mat>, Vec<usize>) {
    let ys: Vec<usize> = (0..b).map(|_| r.random_range(0..MESSAGES)).collect();
    let xs = (0..t)
        .map(|step| {
            let mut x = Mat::zeros(SYMBOLS, b);
            for (j, &y) in ys.iter().enumerate() {
                let id = if step == 0 {
                    y
                } else {
                    r.random_range(MESSAGES..SYMBOLS)
                };
                x[(id, j)] = 1.0;
            }
            x
        })
        .collect();
    (xs, ys)
}

/// Trains `cell` with a 4-way output on sequences of length `t` for
/// `updates` Adam steps; returns the test accuracy on 512 new sequences.
fn train_and_test<C: RecurrentCell>(
    cell: C,
    t: usize,
    updates: usize,
    seed: u64,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut r = rng(seed);
    let out = Output {
        v: init::uniform(
            MESSAGES,
            HIDDEN,
            1.0 / (HIDDEN as f64).sqrt(),
            &mut r,
        ),
        c: Mat::zeros(MESSAGES, 1),
    };
    let mut model = RecurrentModel::new(cell, out)?;
    let mut opt = Adam::new(0.01);
    for step in 0..updates {
        let (xs, ys) = batch(t, BATCH, &mut r);
        let targets = Targets::many_to_one(t, ys);
        let h0 = model.cell.zero_state(BATCH);
        let mut g = bptt(&model, &h0, &xs, &targets, LossScale::BatchMean);
        foundations::ensure_finite(g.loss, step)?;
        Clip::GlobalNorm(5.0).apply(&mut g.grads);
        opt.step(&mut model, &g.grads);
    }
    let mut test_rng = rng(seed ^ 0x7E57);
    let (xs, ys) = batch(t, 512, &mut test_rng);
    let (logits, _) =
        sequence_forward(&model, &model.cell.zero_state(512), &xs);
    let last = logits.last().expect("T ≥ 1");
    let correct = ys
        .iter()
        .enumerate()
        .filter(|&(j, &y)| last.column(j).argmax().0 == y)
        .count();
    Ok(correct as f64 / ys.len() as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let seed = get("--seed", 1);
    let updates = get("--updates", 1000) as usize;
    let lengths = [10usize, 20, 40, 80, 120];
    let s = 1.0 / (HIDDEN as f64).sqrt();
    let mut pts = vec![vec![]; 6];
    let mut md = format!(
        "Test accuracy (512 sequences; chance 25%) after {updates} updates \
         of batch {BATCH}, hidden {HIDDEN}, seed {seed}.\n\n\
         | T | vanilla RNN, W ~ U(±1/√n) | vanilla RNN, W ~ N(0, 0.01²) | \
         LSTM | GRU | LSTM, chrono init | GRU, chrono init |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for &t in &lengths {
        let mut r = rng(seed * 1000 + t as u64);
        let rnn = RnnCell {
            w: init::uniform(HIDDEN, HIDDEN, s, &mut r),
            u: init::uniform(HIDDEN, SYMBOLS, s, &mut r),
            b: Mat::zeros(HIDDEN, 1),
        };
        // the vanilla crate's default (min-char-rnn's N(0, 0.01²))
        let rnn_small = RnnCell::new(SYMBOLS, HIDDEN, &mut r)?;
        let lstm = LstmCell::new(SYMBOLS, HIDDEN, &mut r)?;
        let gru = GruCell::new(SYMBOLS, HIDDEN, &mut r)?;
        let run_seed = seed * 1000 + t as u64;
        // chrono initialisation: u ~ U(1, T − 1) per unit
        let mut lstm_c = lstm.clone();
        let mut gru_c = gru.clone();
        for k in 0..HIDDEN {
            let u: f64 = r.random_range(1.0..(t as f64 - 1.0).max(1.5));
            lstm_c.b[(HIDDEN + k, 0)] = u.ln();
            lstm_c.b[(k, 0)] = -u.ln();
            gru_c.b[(HIDDEN + k, 0)] = -u.ln();
        }
        let acc = [
            train_and_test(rnn, t, updates, run_seed)?,
            train_and_test(rnn_small, t, updates, run_seed)?,
            train_and_test(lstm, t, updates, run_seed)?,
            train_and_test(gru, t, updates, run_seed)?,
            train_and_test(lstm_c, t, updates, run_seed)?,
            train_and_test(gru_c, t, updates, run_seed)?,
        ];
        let cells: Vec<String> =
            acc.iter().map(|a| format!("{:.1}%", 100.0 * a)).collect();
        println!("T = {t:3}: {}", cells.join("  "));
        md += &format!("| {t} | {} |\n", cells.join(" | "));
        for (p, a) in pts.iter_mut().zip(acc) {
            p.push((t as f64, 100.0 * a));
        }
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    line_chart(
        &figure_path(dir, "lstm-gru-memory.svg"),
        &format!(
            "Recall the first symbol after T − 1 distractors (seed {seed})"
        ),
        ("T (sequence length)", "test accuracy, % (chance 25%)"),
        &[
            Series::new("vanilla RNN, W ~ U(±1/√n)", pts[0].clone()),
            Series::new("vanilla RNN, W ~ N(0, 0.01²)", pts[1].clone()),
            Series::new("LSTM", pts[2].clone()),
            Series::new("GRU", pts[3].clone()),
            Series::new("LSTM, chrono init", pts[4].clone()),
            Series::new("GRU, chrono init", pts[5].clone()),
        ],
        Scale::Linear,
    )?;
    std::fs::write(figure_path(dir, "lstm-gru-memory.md"), md)?;
    Ok(())
}
