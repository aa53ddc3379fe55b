//! Training throughput of the LSTM character model (hidden 100, T = 25,
//! Adagrad, clipping ±5) on the Sonnets: the fast path
//! (`FastLstmTrainer`), the generic path (`CharTrainer<Lstm>`) and the
//! numpy reference `benches/lstm_numpy.py` (one BLAS thread, as the Rust
//! code uses one core), interleaved round by round so that all three see
//! the same machine load; the table reports every round and the medians.
//! Prints the table; with `--figures` it also writes
//! `book/src/figures/lstm-gru-speed.md`.
//!
//! cargo build --release -p lstm-gru --features examples --example lstm_speed
//! ./target/release/examples/lstm_speed [--iters 3000] [--rounds 5] [--figures]
//! ./target/release/examples/lstm_speed --fast-only   # the fast path alone

use clap::Parser;
use datasets::{Vocab, sonnets};
use foundations::figures::{figure_path, run_numpy};
use foundations::rng;
use lstm_gru::{FastLstmTrainer, Lstm};
use std::fmt::Write as _;
use std::time::Instant;
use vanilla_rnn_bptt::{CharTrainer, Output, RecurrentModel, TrainConfig};

#[derive(Debug, Parser)]
struct Args {
    /// Iterations of the fast path per round (numpy runs a tenth, the
    /// generic path a twentieth).
    #[arg(long, default_value_t = 3000)]
    iters: usize,
    /// Rounds, interleaved.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Time the fast path alone.
    #[arg(long)]
    fast_only: bool,
    /// Write the table into book/src/figures.
    #[arg(long)]
    figures: bool,
}

/// Iterations per second of the numpy reference, `iters` iterations;
/// with `shortcuts`, its version with the fast path's shortcuts.
fn numpy(
    iters: usize,
    shortcuts: bool,
) -> Result<f64, Box<dyn std::error::Error>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/lstm_numpy.py");
    let mut args = vec!["--iters".to_string(), iters.to_string()];
    if shortcuts {
        args.push("--shortcuts".into());
    }
    let line = run_numpy(script, &args)?;
    let rate = line
        .trim()
        .strip_prefix("numpy: ")
        .and_then(|l| l.split(' ').next())
        .ok_or("unexpected output from the numpy reference")?;
    Ok(rate.parse()?)
}

fn median(xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (iters, rounds) = (args.iters, args.rounds.max(1));
    let text = sonnets();
    let vocab = Vocab::from_text(text)?;
    let data = vocab.encode(text)?;
    let (v, n) = (vocab.len(), 100);
    let config = TrainConfig::min_char_rnn(); // T = 25, lr 0.1, clip ±5
    let mut r = rng(0);
    let model = RecurrentModel::new(
        Lstm::new(v, n, &mut r)?,
        Output::new(n, v, &mut r)?,
    )?;
    // the fast path, `k` iterations from the start
    let fast = |k: usize| -> Result<f64, Box<dyn std::error::Error>> {
        let mut m = model.clone();
        let mut trainer =
            FastLstmTrainer::new(&m, data.clone(), config.clone())?;
        let start = Instant::now();
        for _ in 0..k {
            trainer.step(&mut m)?;
        }
        Ok(k as f64 / start.elapsed().as_secs_f64())
    };
    if args.fast_only {
        for _ in 0..rounds {
            println!("FastLstmTrainer: {:.0} iterations/s", fast(iters)?);
        }
        return Ok(());
    }
    let (np_iters, generic_iters) =
        ((iters / 10).max(20), (iters / 20).max(20));
    let mut table = String::from(
        "| round | numpy (it/s) | numpy with the fast path's shortcuts \
         (it/s) | Rust, generic `CharTrainer<Lstm>` (it/s) | Rust, \
         `FastLstmTrainer` (it/s) | fast / numpy | fast / numpy with \
         shortcuts |\n|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let (mut nps, mut gens, mut fasts, mut ratios) =
        (vec![], vec![], vec![], vec![]);
    let (mut nps2, mut ratios2) = (vec![], vec![]);
    for round in 1..=rounds {
        let np = numpy(np_iters, false)?;
        let np2 = numpy(np_iters, true)?;
        let mut m = model.clone();
        let mut slow = CharTrainer::new(&m, data.clone(), config.clone())?;
        let start = Instant::now();
        for _ in 0..generic_iters {
            slow.step(&mut m)?;
        }
        let generic = generic_iters as f64 / start.elapsed().as_secs_f64();
        let fast_rate = fast(iters)?;
        println!(
            "round {round}: numpy {np:.0}, numpy with shortcuts {np2:.0}, \
             generic {generic:.0}, fast {fast_rate:.0} iterations/s"
        );
        writeln!(
            table,
            "| {round} | {np:.0} | {np2:.0} | {generic:.0} | {fast_rate:.0} \
             | {:.1}x | {:.1}x |",
            fast_rate / np,
            fast_rate / np2
        )?;
        nps2.push(np2);
        ratios2.push(fast_rate / np2);
        nps.push(np);
        gens.push(generic);
        fasts.push(fast_rate);
        ratios.push(fast_rate / np);
    }
    writeln!(
        table,
        "| **median** | **{:.0}** | **{:.0}** | **{:.0}** | **{:.0}** | \
         **{:.1}x** | **{:.1}x** |",
        median(&nps),
        median(&nps2),
        median(&gens),
        median(&fasts),
        median(&ratios),
        median(&ratios2)
    )?;
    let note = format!(
        "{table}\nHidden 100, T = 25, V = {v}, Adagrad, clipping ±5, numpy \
         with one BLAS thread. Each round runs both numpy versions for \
         {np_iters} iterations, the generic path for \
         {generic_iters} and the fast path for {iters}, one after the \
         other; the ratios' medians are the medians of the rounds' \
         ratios. Written by `lstm_speed --iters {iters} --rounds {rounds} \
         --figures`.\n"
    );
    println!("{note}");
    if args.figures {
        std::fs::write(
            figure_path(env!("CARGO_MANIFEST_DIR"), "lstm-gru-speed.md"),
            note,
        )?;
    }
    Ok(())
}
