//! The encoder-decoder transformer on the attention chapter's date task:
//! `22nd of november 2026 -> 2026-11-22`, trained with teacher forcing and
//! Adam, decoded greedily, scored by exact match on held-out dates (dates
//! that never occur in training). Uses the reference layers, so in the
//! student edition it panics with the first unsolved exercise's `todo!`
//! until causal-mask, attention-backward, multi-head-backward,
//! layer-norm-backward, positional-encoding, block-backward and the
//! challenge decoder-backward are solved.
//!
//! cargo build --release -p transformer --features examples --example transformer_dates
//! ./target/release/examples/transformer_dates --seed 1 --epochs 5
//!
//! Prints the table; `--figures` also writes `transformer-dates.svg` and
//! `.md` into `book/src/figures`.

use clap::Parser;
use datasets::dates::{DatePair, DateTask, END, START};
use foundations::figures::{Scale, Series, figure_path, line_chart};
use foundations::optim::{Adam, Optimizer};
use foundations::{ParamsExt, clip, ensure_finite, rng};
use rand::seq::SliceRandom;
use std::time::Instant;
use transformer::{Activation, Config, EncoderDecoder, Norm, PositionKind};

#[derive(Parser, Debug)]
struct Args {
    /// Seed of the task, the initialisation and the batches.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Passes over the training pairs.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Training pairs.
    #[arg(long, default_value_t = 20_000)]
    train: usize,
    /// Held-out pairs.
    #[arg(long, default_value_t = 1_000)]
    test: usize,
    /// Pairs per Adam step.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Model width d.
    #[arg(long, default_value_t = 32)]
    d: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// Write the figure and the table into book/src/figures (what
    /// `cargo course figures` passes); without it, only print.
    #[arg(long)]
    figures: bool,
}

/// The decoder's input (`<START>` and the target but its last id) and
/// output (the target, ending in `<END>`).
fn teacher(p: &DatePair) -> (Vec<usize>, &[usize]) {
    let mut tgt_in = vec![START];
    tgt_in.extend_from_slice(&p.target_ids[..p.target_ids.len() - 1]);
    (tgt_in, &p.target_ids)
}

/// Greedy decoding: feed back the most likely id until `<END>`.
fn greedy(model: &EncoderDecoder, src: &[usize], max: usize) -> Vec<usize> {
    let mut tgt = vec![START];
    for _ in 0..max {
        let (logits, _) = model.forward(src, &tgt);
        let last = logits.column(logits.ncols() - 1);
        let next = last.argmax().0;
        if next == END {
            break;
        }
        tgt.push(next);
    }
    tgt[1..].to_vec()
}

fn exact_match(model: &EncoderDecoder, task: &DateTask) -> f64 {
    let ok = task
        .test
        .iter()
        .filter(|p| {
            let out = greedy(model, &p.source_ids, 12);
            task.target_vocab.decode(&out).ok().as_deref()
                == Some(p.target.as_str())
        })
        .count();
    100.0 * ok as f64 / task.test.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Args::parse();
    let task = DateTask::generate(a.train, a.test, a.seed)?;
    let config = Config {
        vocab: task.target_vocab.len(),
        d: a.d,
        heads: 4,
        layers: 2,
        d_ff: 2 * a.d,
        max_len: 40,
        norm: Norm::Pre,
        positions: PositionKind::Sinusoidal,
        activation: Activation::Relu,
    };
    let mut r = rng(a.seed);
    let mut model =
        EncoderDecoder::new(config, task.source_vocab.len(), &mut r)?;
    println!(
        "dates: {} training pairs, {} held-out pairs; encoder-decoder \
         transformer, N = 2, d = {}, h = 4, d_ff = {}, {} parameters, batch \
         {}, Adam lr {}, {} epochs, seed {}",
        task.train.len(),
        task.test.len(),
        a.d,
        2 * a.d,
        model.num_params(),
        a.batch,
        a.lr,
        a.epochs,
        a.seed
    );
    let mut opt = Adam::new(a.lr);
    let mut order: Vec<usize> = (0..task.train.len()).collect();
    let (mut losses, mut accs) = (Vec::new(), Vec::new());
    let mut secs = 0.0; // training only, without the held-out decoding
    let mut step = 0;
    for epoch in 1..=a.epochs {
        order.shuffle(&mut r);
        let mut total = 0.0;
        let start = Instant::now();
        for chunk in order.chunks(a.batch) {
            step += 1;
            let mut grads = model.zeros_like();
            for &i in chunk {
                let p = &task.train[i];
                let (tgt_in, tgt_out) = teacher(p);
                let (l, g) = model.loss(&p.source_ids, &tgt_in, tgt_out);
                total += ensure_finite(l, step)?;
                grads.accumulate(&g);
            }
            grads.scale(1.0 / chunk.len() as f64);
            clip::clip_global_norm(&mut grads, 1.0);
            opt.step(&mut model, &grads);
        }
        secs += start.elapsed().as_secs_f64();
        let mean = total / task.train.len() as f64;
        let acc = exact_match(&model, &task);
        println!(
            "epoch {epoch}: mean loss {mean:.4} per target character, \
             held-out exact match {acc:.1}% ({secs:.0} s of training)"
        );
        losses.push((epoch as f64, mean));
        accs.push((epoch as f64, acc));
    }
    let fig = |n: &str| figure_path(env!("CARGO_MANIFEST_DIR"), n);
    if a.figures {
        line_chart(
            &fig("transformer-dates.svg"),
            "Encoder-decoder transformer on the dates",
            ("epoch", "held-out exact match (%)"),
            &[Series::new("transformer, greedy decoding", accs.clone())],
            Scale::Linear,
        )?;
    }
    let mut md = String::from(
        "| epoch | training loss (nats per target character) | held-out \
         exact match |\n|---:|---:|---:|\n",
    );
    for (l, acc) in losses.iter().zip(&accs) {
        md += &format!("| {} | {:.4} | {:.1}% |\n", l.0, l.1, acc.1);
    }
    md += &format!(
        "\n{} training pairs, {} held-out dates, {} parameters; {:.0} s \
         of training (wall clock, one core of a shared machine, the \
         held-out decoding not counted), {:.0} training examples per \
         second.\n",
        task.train.len(),
        task.test.len(),
        model.num_params(),
        secs,
        (a.epochs * task.train.len()) as f64 / secs
    );
    if a.figures {
        std::fs::write(fig("transformer-dates.md"), &md)?;
    }
    print!("{md}");
    Ok(())
}
