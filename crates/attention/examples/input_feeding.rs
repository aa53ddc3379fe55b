//! Input feeding against the plain attention decoder on the dates task, on
//! the same budget and several seeds.
//!
//! `cargo run --release -p attention --features examples --example input_feeding -- --seeds 1,2,3,4,5`
//!
//! For each seed, both models (LSTM cells, dot-product attention) see the
//! same training pairs in the same order from weights drawn by the same
//! seed; every `--eval-every` batches, both are measured on the held-out
//! dates (greedy exact match and the teacher-forced loss per date). The
//! budget is deliberately smaller than the `dates` example's (see `Args`),
//! so the learning phase, where the two differ, is visible and all runs
//! fit in a few minutes on one core. With `--figures` it writes
//! `book/src/figures/attention-input-feeding*.{svg,md}`; without it, it
//! only prints.

use attention::decode::greedy;
use attention::{Context, Seq2Seq, Translator};
use clap::Parser;
use datasets::dates::{DatePair, DateTask};
use foundations::clip::clip_global_norm;
use foundations::figures::{Scale, Series, figure_path, line_chart};
use foundations::optim::{Adam, Optimizer};
use foundations::{ensure_finite, rng};
use lstm_gru::Lstm;
use rand::seq::SliceRandom;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

/// Input feeding against no input feeding, on the dates task.
#[derive(Parser, Debug, Clone)]
struct Args {
    /// Seeds of the weights and of the batch order (the data are seed 1).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
    seeds: Vec<u64>,
    /// Passes over the training pairs.
    #[arg(long, default_value_t = 6)]
    epochs: usize,
    /// Hidden size n of both LSTM cells (the dates example: 64).
    #[arg(long, default_value_t = 32)]
    hidden: usize,
    /// Training pairs (the dates example: 20,000).
    #[arg(long, default_value_t = 5_000)]
    train: usize,
    /// Held-out pairs.
    #[arg(long, default_value_t = 500)]
    test: usize,
    /// Pairs per batch, B.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.005)]
    lr: f64,
    /// Measure on the held-out dates every this many batches.
    #[arg(long, default_value_t = 50)]
    eval_every: usize,
    /// Write the figures and the table into book/src/figures (what
    /// `cargo course figures` passes); without it, only print.
    #[arg(long)]
    figures: bool,
}

const MAX_LEN: usize = 12;

/// Batches of sources of one length (no padding needed), shuffled.
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

fn pairs(
    task: &[DatePair],
    ids: &[usize],
) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    ids.iter()
        .map(|&i| (task[i].source_ids.clone(), task[i].target_ids.clone()))
        .unzip()
}

/// Held-out exact match (%, greedy) and teacher-forced loss per date.
fn measure(model: &Seq2Seq<Lstm>, test: &[DatePair]) -> (f64, f64) {
    let mut ok = 0;
    let mut loss = 0.0;
    for p in test {
        let tr = Translator::new(model, &p.source_ids);
        ok += usize::from(greedy(&tr, MAX_LEN).tokens == p.target_ids);
        let src = std::slice::from_ref(&p.source_ids);
        loss += model.forward(src, std::slice::from_ref(&p.target_ids)).0;
    }
    let n = test.len() as f64;
    (100.0 * ok as f64 / n, loss / n)
}

/// One run: the curve of (pairs seen, exact match %, loss) and the seconds
/// spent training.
struct Run {
    curve: Vec<(f64, f64, f64)>,
    secs: f64,
}

fn train(
    task: &DateTask,
    feeding: bool,
    seed: u64,
    a: &Args,
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut r = rng(seed);
    let (d, v, n) =
        (task.source_vocab.len(), task.target_vocab.len(), a.hidden);
    let enc = Lstm::new(d, n, &mut r)?;
    let mut model = if feeding {
        let dec = Lstm::new(v + n, n, &mut r)?;
        Seq2Seq::new_input_feeding(enc, dec, v, Context::Attention, &mut r)?
    } else {
        let dec = Lstm::new(v, n, &mut r)?;
        Seq2Seq::new(enc, dec, v, Context::Attention, &mut r)?
    };
    // the same batch order for both models of one seed
    let mut order = rng(seed + 1000);
    let mut opt = Adam::new(a.lr);
    let mut curve = vec![{
        let (acc, loss) = measure(&model, &task.test);
        (0.0, acc, loss)
    }];
    let (mut step, mut seen, mut secs) = (0usize, 0usize, 0.0);
    for _ in 0..a.epochs {
        for ids in batches(&task.train, a.batch, &mut order) {
            let start = Instant::now();
            let (src, tgt) = pairs(&task.train, &ids);
            let (loss, cache) = model.forward(&src, &tgt);
            ensure_finite(loss, step)?;
            let mut g = model.backward(&cache);
            clip_global_norm(&mut g, 5.0);
            opt.step(&mut model, &g);
            secs += start.elapsed().as_secs_f64();
            step += 1;
            seen += ids.len();
            if step % a.eval_every == 0 {
                let (acc, loss) = measure(&model, &task.test);
                curve.push((seen as f64, acc, loss));
            }
        }
    }
    Ok(Run { curve, secs })
}

/// The mean over seeds of one column of the curves, against pairs seen.
fn mean_curve(
    runs: &[Run],
    col: impl Fn(&(f64, f64, f64)) -> f64,
) -> Vec<(f64, f64)> {
    let len = runs.iter().map(|r| r.curve.len()).min().unwrap_or(0);
    (0..len)
        .map(|k| {
            let y = runs.iter().map(|r| col(&r.curve[k])).sum::<f64>()
                / runs.len() as f64;
            (runs[0].curve[k].0, y)
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Args::parse();
    let task = DateTask::generate(a.train, a.test, 1)?;
    println!(
        "dates: {} training pairs, {} held-out, n = {}, batch {}, Adam lr {}, \
         {} epochs, seeds {:?}",
        a.train, a.test, a.hidden, a.batch, a.lr, a.epochs, a.seeds
    );
    let mut plain = Vec::new();
    let mut fed = Vec::new();
    for &seed in &a.seeds {
        for (feeding, runs) in [(false, &mut plain), (true, &mut fed)] {
            let run = train(&task, feeding, seed, &a)?;
            let &(_, acc, loss) = run.curve.last().expect("measured");
            println!(
                "seed {seed} {:>16}: held-out exact match {acc:.1}%, loss \
                 {loss:.4}, {:.1} s",
                if feeding {
                    "input feeding"
                } else {
                    "no input feeding"
                },
                run.secs
            );
            runs.push(run);
        }
    }
    let mut md = String::new();
    writeln!(
        md,
        "| seed | exact match, no input feeding | exact match, input feeding \
         | loss, no input feeding | loss, input feeding |"
    )?;
    writeln!(md, "|---|---:|---:|---:|---:|")?;
    let last = |r: &Run| *r.curve.last().expect("measured");
    for (k, &seed) in a.seeds.iter().enumerate() {
        let (p, f) = (last(&plain[k]), last(&fed[k]));
        writeln!(
            md,
            "| {seed} | {:.1}% | {:.1}% | {:.4} | {:.4} |",
            p.1, f.1, p.2, f.2
        )?;
    }
    let mean = |runs: &[Run], c: fn(&(f64, f64, f64)) -> f64| {
        runs.iter().map(|r| c(&last(r))).sum::<f64>() / runs.len() as f64
    };
    writeln!(
        md,
        "| mean | **{:.1}%** | **{:.1}%** | {:.4} | {:.4} |",
        mean(&plain, |c| c.1),
        mean(&fed, |c| c.1),
        mean(&plain, |c| c.2),
        mean(&fed, |c| c.2)
    )?;
    // the first measurement at which each run reaches 90% exact match
    let reach = |r: &Run| {
        r.curve
            .iter()
            .find(|c| c.1 >= 90.0)
            .map_or("never".to_string(), |c| format!("{:.0}", c.0))
    };
    writeln!(
        md,
        "| pairs seen until 90% (per seed) | {} | {} | | |",
        plain.iter().map(reach).collect::<Vec<_>>().join(", "),
        fed.iter().map(reach).collect::<Vec<_>>().join(", ")
    )?;
    let secs = |runs: &[Run]| runs.iter().map(|r| r.secs).sum::<f64>();
    writeln!(
        md,
        "| training time, all seeds (s, one core) | {:.1} | {:.1} | | |",
        secs(&plain),
        secs(&fed)
    )?;
    writeln!(
        md,
        "\n<small>{} held-out dates, LSTM cells with n = {}, {} training pairs, \
         {} epochs, batches of {}, Adam lr {}, measured every {} batches. \
         Generated by `cargo run --release -p attention --features examples --example \
         input_feeding -- --seeds {} --figures`.</small>",
        a.test,
        a.hidden,
        a.train,
        a.epochs,
        a.batch,
        a.lr,
        a.eval_every,
        a.seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    )?;
    print!("{md}");
    if a.figures {
        let fig = |n: &str| figure_path(env!("CARGO_MANIFEST_DIR"), n);
        std::fs::write(fig("attention-input-feeding.md"), &md)?;
        let k = a.seeds.len();
        line_chart(
            &fig("attention-input-feeding.svg"),
            &format!("Held-out exact match, mean of {k} seeds"),
            ("training pairs seen", "exact match (%)"),
            &[
                Series::new("no input feeding", mean_curve(&plain, |c| c.1)),
                Series::new("input feeding", mean_curve(&fed, |c| c.1)),
            ],
            Scale::Linear,
        )?;
        line_chart(
            &fig("attention-input-feeding-loss.svg"),
            &format!("Held-out loss per date, mean of {k} seeds"),
            ("training pairs seen", "loss (teacher forcing)"),
            &[
                Series::new("no input feeding", mean_curve(&plain, |c| c.2)),
                Series::new("input feeding", mean_curve(&fed, |c| c.2)),
            ],
            Scale::Log,
        )?;
    }
    Ok(())
}
