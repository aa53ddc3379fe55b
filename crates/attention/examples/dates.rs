//! Dates to ISO 8601, with and without attention.
//!
//! `cargo run --release -p attention --features examples --example dates -- --seed 1`
//!
//! Trains two LSTM encoder-decoders on the same data — one with
//! dot-product attention, one that only sees the encoder's last state — and
//! reports exact-match accuracy on held-out dates (whose dates never occur
//! in training), overall and against the source length. Writes the loss
//! curves, the accuracy by length, heat maps of the attention weights on
//! real test examples, and a table of results and decodings to
//! `book/src/figures/attention-*` with `--figures` only; without it, it
//! prints the table and changes no file.

use attention::decode::{beam_search, greedy, sample};
use attention::{Context, Seq2Seq, Translator};
use clap::Parser;
use datasets::dates::{DatePair, DateTask};
use foundations::clip::clip_global_norm;
use foundations::figures::{Scale, Series, figure_path, heatmap, line_chart};
use foundations::optim::{Adam, Optimizer};
use foundations::{ensure_finite, rng};
use indicatif::{ProgressBar, ProgressStyle};
use lstm_gru::Lstm;
use rand::seq::SliceRandom;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;
use vanilla_rnn_bptt::RecurrentCell;

/// Dates to ISO 8601, with and without attention.
#[derive(Parser, Debug, Clone)]
struct Args {
    /// Seed of the data and of the initial weights.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Passes over the training pairs.
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Hidden size n of both LSTM cells.
    #[arg(long, default_value_t = 64)]
    hidden: usize,
    /// Training pairs.
    #[arg(long, default_value_t = 20_000)]
    train: usize,
    /// Held-out pairs.
    #[arg(long, default_value_t = 1_000)]
    test: usize,
    /// Pairs per batch, B.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.005)]
    lr: f64,
    /// Write the figures and the table into book/src/figures (what
    /// `cargo course figures` passes); without it, only print.
    #[arg(long)]
    figures: bool,
}

/// Batches of sources of one length (no padding needed).
fn batches(
    train: &[DatePair],
    b: usize,
    r: &mut foundations::Rng,
) -> Vec<Vec<usize>> {
    let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, p) in train.iter().enumerate() {
        by_len.entry(p.source_ids.len()).or_default().push(i);
    }
    let mut out = Vec::new();
    for ids in by_len.values_mut() {
        ids.shuffle(r);
        out.extend(ids.chunks(b).map(<[usize]>::to_vec));
    }
    out.shuffle(r);
    out
}

const MAX_LEN: usize = 12;

fn exact<C: RecurrentCell>(model: &Seq2Seq<C>, p: &DatePair) -> bool {
    attention::translate(model, &p.source_ids, MAX_LEN) == p.target_ids
}

fn accuracy<C: RecurrentCell>(model: &Seq2Seq<C>, test: &[DatePair]) -> f64 {
    test.iter().filter(|p| exact(model, p)).count() as f64 / test.len() as f64
}

struct Run {
    model: Seq2Seq<Lstm>,
    losses: Vec<(f64, f64)>,
    accs: Vec<(f64, f64)>,
    examples_per_sec: f64,
}

fn train(
    task: &DateTask,
    ctx: Context,
    a: &Args,
) -> Result<Run, foundations::Error> {
    let mut r = rng(a.seed);
    let (d, v) = (task.source_vocab.len(), task.target_vocab.len());
    let enc = Lstm::new(d, a.hidden, &mut r)?;
    let dec = Lstm::new(v, a.hidden, &mut r)?;
    let mut model = Seq2Seq::new(enc, dec, v, ctx, &mut r)?;
    let mut opt = Adam::new(a.lr);
    let mut losses = Vec::new();
    let mut accs = Vec::new();
    let name = match ctx {
        Context::Attention => "with attention",
        Context::LastState => "last state only",
    };
    let mut seen = 0usize;
    let mut secs = 0.0;
    let mut step = 0usize;
    for epoch in 0..a.epochs {
        let bs = batches(&task.train, a.batch, &mut r);
        let bar = ProgressBar::new(bs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}")
                .expect("template"),
        );
        let mut total = 0.0;
        let start = Instant::now();
        for ids in &bs {
            let src: Vec<Vec<usize>> = ids
                .iter()
                .map(|&i| task.train[i].source_ids.clone())
                .collect();
            let tgt: Vec<Vec<usize>> = ids
                .iter()
                .map(|&i| task.train[i].target_ids.clone())
                .collect();
            let (loss, cache) = model.forward(&src, &tgt);
            ensure_finite(loss, step)?;
            let mut g = model.backward(&cache);
            clip_global_norm(&mut g, 5.0);
            opt.step(&mut model, &g);
            total += loss * ids.len() as f64;
            seen += ids.len();
            step += 1;
            bar.inc(1);
            bar.set_message(format!(
                "{name} epoch {}: loss {loss:.3}",
                epoch + 1
            ));
        }
        secs += start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let mean = total / task.train.len() as f64;
        let acc = accuracy(&model, &task.test);
        println!(
            "{name:>16} epoch {:>2}: mean loss {mean:.4}  test exact match {:.1}%",
            epoch + 1,
            100.0 * acc
        );
        losses.push(((epoch + 1) as f64, mean));
        accs.push(((epoch + 1) as f64, 100.0 * acc));
    }
    Ok(Run {
        model,
        losses,
        accs,
        examples_per_sec: seen as f64 / secs,
    })
}

/// Exact-match accuracy per source-length bucket (4 characters wide).
/// Per source-length bucket: (exactly right, count).
type ByLength = BTreeMap<usize, (usize, usize)>;

fn by_length<C: RecurrentCell>(
    model: &Seq2Seq<C>,
    test: &[DatePair],
) -> ByLength {
    let mut out: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for p in test {
        let e = out.entry(p.source.len() / 4 * 4).or_default();
        e.0 += usize::from(exact(model, p));
        e.1 += 1;
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Args::parse();
    let task = DateTask::generate(a.train, a.test, a.seed)?;
    println!(
        "dates: {} training pairs, {} held-out pairs (dates unseen in \
         training), n = {}, batch {}, Adam lr {}, {} epochs, seed {}",
        task.train.len(),
        task.test.len(),
        a.hidden,
        a.batch,
        a.lr,
        a.epochs,
        a.seed
    );
    let with = train(&task, Context::Attention, &a)?;
    let without = train(&task, Context::LastState, &a)?;
    let fig = |name: &str| figure_path(env!("CARGO_MANIFEST_DIR"), name);
    // The table: overall, by length, decoding strategies, examples.
    let bl_with = by_length(&with.model, &task.test);
    let bl_without = by_length(&without.model, &task.test);
    if a.figures {
        draw_figures(&task, &with, &without, (&bl_with, &bl_without), &fig)?;
    }
    let acc_w = accuracy(&with.model, &task.test);
    let acc_wo = accuracy(&without.model, &task.test);
    let mut md = String::new();
    writeln!(md, "| | with attention | last encoder state only |")?;
    writeln!(md, "|---|---:|---:|")?;
    writeln!(
        md,
        "| held-out exact match ({} dates) | **{:.1}%** | {:.1}% |",
        task.test.len(),
        100.0 * acc_w,
        100.0 * acc_wo
    )?;
    for (l, &(ok, n)) in &bl_with {
        let (ok2, _) = bl_without[l];
        writeln!(
            md,
            "| source length {}–{} ({n} dates) | {:.1}% | {:.1}% |",
            l,
            l + 3,
            100.0 * ok as f64 / n as f64,
            100.0 * ok2 as f64 / n as f64
        )?;
    }
    writeln!(
        md,
        "| training speed (examples/s, one core) | {:.0} | {:.0} |",
        with.examples_per_sec, without.examples_per_sec
    )?;
    writeln!(md)?;
    // Decoding strategies on the attention model, on the same test set.
    let mut beam_ok = 0;
    let mut beam_better = 0;
    let mut hot_ok = 0;
    let mut sr = rng(a.seed + 100);
    for p in &task.test {
        let tr = Translator::new(&with.model, &p.source_ids);
        let g = greedy(&tr, MAX_LEN);
        let b = beam_search(&tr, 3, MAX_LEN, 0.7);
        beam_ok += usize::from(b[0].tokens == p.target_ids);
        beam_better += usize::from(b[0].log_prob > g.log_prob + 1e-9);
        let s = sample(&tr, MAX_LEN, 1.0, &mut sr);
        hot_ok += usize::from(s.tokens == p.target_ids);
    }
    let pct = |k: usize| 100.0 * k as f64 / task.test.len() as f64;
    writeln!(md, "| decoding (with attention) | held-out exact match |")?;
    writeln!(md, "|---|---:|")?;
    writeln!(md, "| greedy | {:.1}% |", 100.0 * acc_w)?;
    writeln!(md, "| beam search, k = 3, α = 0.7 | {:.1}% |", pct(beam_ok))?;
    writeln!(md, "| sampling, τ = 1 | {:.1}% |", pct(hot_ok))?;
    writeln!(md)?;
    writeln!(
        md,
        "Beam search found a more probable output than greedy decoding on \
         {beam_better} of {} held-out dates.",
        task.test.len()
    )?;
    writeln!(md)?;
    writeln!(md, "| source | target | with attention | last state only |")?;
    writeln!(md, "|---|---|---|---|")?;
    for p in task.test.iter().take(12) {
        let t = |m: &Seq2Seq<Lstm>| {
            task.target_vocab
                .decode(&attention::translate(m, &p.source_ids, MAX_LEN))
                .unwrap_or_default()
        };
        let (tw, two) = (t(&with.model), t(&without.model));
        let mark = |s: &str| {
            if s == p.target {
                format!("{s} ✓")
            } else {
                format!("{s} ✗")
            }
        };
        writeln!(
            md,
            "| `{}` | `{}` | {} | {} |",
            p.source,
            p.target,
            mark(&tw),
            mark(&two)
        )?;
    }
    writeln!(
        md,
        "\n<small>Generated by `cargo run --release -p attention --features examples --example \
         dates -- --seed {} --epochs {} --figures`.</small>",
        a.seed, a.epochs
    )?;
    if a.figures {
        std::fs::write(fig("attention-dates.md"), &md)?;
    }
    print!("{md}");
    Ok(())
}

/// The loss and accuracy curves, accuracy against length, and the heat
/// maps, into `book/src/figures`.
fn draw_figures(
    task: &DateTask,
    with: &Run,
    without: &Run,
    (bl_with, bl_without): (&ByLength, &ByLength),
    fig: &dyn Fn(&str) -> std::path::PathBuf,
) -> Result<(), Box<dyn std::error::Error>> {
    line_chart(
        &fig("attention-dates-loss.svg"),
        "Training loss per epoch (dates)",
        ("epoch", "mean loss per sequence"),
        &[
            Series::new("with attention", with.losses.clone()),
            Series::new("last encoder state only", without.losses.clone()),
        ],
        Scale::Log,
    )?;
    line_chart(
        &fig("attention-dates-accuracy.svg"),
        "Held-out exact match per epoch (dates)",
        ("epoch", "exact match (%)"),
        &[
            Series::new("with attention", with.accs.clone()),
            Series::new("last encoder state only", without.accs.clone()),
        ],
        Scale::Linear,
    )?;
    let pts = |m: &BTreeMap<usize, (usize, usize)>| {
        m.iter()
            .map(|(&l, &(ok, n))| {
                ((l + 2) as f64, 100.0 * ok as f64 / n as f64)
            })
            .collect::<Vec<_>>()
    };
    line_chart(
        &fig("attention-dates-by-length.svg"),
        "Held-out exact match against source length",
        (
            "source length (characters, bucket centre)",
            "exact match (%)",
        ),
        &[
            Series::new("with attention", pts(bl_with)),
            Series::new("last encoder state only", pts(bl_without)),
        ],
        Scale::Linear,
    )?;

    // Heat maps of real test examples, one per kind of format.
    let picks = pick_examples(&task.test);
    for (k, p) in picks.iter().enumerate() {
        let tr = Translator::new(&with.model, &p.source_ids);
        let (toks, w) = tr.greedy_with_attention(MAX_LEN);
        let rows: Vec<String> = toks
            .iter()
            .map(|&t| task.target_vocab.token(t).unwrap_or_default())
            .collect();
        let cols: Vec<String> =
            p.source.chars().map(|c| c.to_string()).collect();
        heatmap(
            &fig(&format!("attention-heatmap-{k}.svg")),
            &format!(
                "\"{}\" -> {}",
                p.source,
                task.target_vocab.decode(&toks)?
            ),
            &w,
            &rows,
            &cols,
        )?;
    }

    Ok(())
}

/// One held-out example each of a spelled-out ordinal, a weekday, a month
/// first and a numeric format.
fn pick_examples(test: &[DatePair]) -> Vec<DatePair> {
    use datasets::dates::DateFormat as F;
    [
        F::TheOrdinalOfMonthYear,
        F::WeekdayDayMonthYear,
        F::MonthDayYear,
        F::Slashes,
    ]
    .iter()
    .filter_map(|f| test.iter().find(|p| p.format == *f).cloned())
    .collect()
}
