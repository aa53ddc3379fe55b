//! The tiny GPT against the LSTM character model of the lstm-gru crate, of
//! about the same number of parameters, on Shakespeare's Sonnets: the same
//! vocabulary, the same 90/10 split, the same validation windows, the same
//! number of training characters. Each model keeps its own recipe (the GPT
//! the `sonnets` example's: Adam, batches of 16 windows of 64 characters,
//! pre-norm, GELU; the LSTM lstm-gru's `lstm_sonnets` one: Adagrad 0.05 on
//! 25-character chunks of one stream with the state carried over, clipping
//! to ±5, on `FastLstmTrainer`).
//!
//! cargo build --release -p transformer --features examples --example transformer_vs_lstm
//! ./target/release/examples/transformer_vs_lstm --seed 1
//!
//! With `--figures`, writes `book/src/figures/transformer-vs-lstm-chars.svg` (validation loss
//! against training characters), `transformer-vs-lstm-time.svg` (against
//! CPU seconds of training) and `transformer-vs-lstm.md` (the table and a
//! sample of each).
//!
//! The validation loss of both is measured on the same windows: every
//! non-overlapping window of `T + 1 = 65` characters of the held-out text,
//! each read from scratch (the GPT sees only the window, the LSTM starts
//! from the zero state), the mean of the 64 next-character losses of each
//! window.
//! The LSTM can also read the held-out text as one stream, its state
//! carried through; the table gives that number too.

use clap::Parser;
use datasets::text::{Vocab, split};
use foundations::figures::{Scale, Series, figure_path, line_chart};
use foundations::optim::Adam;
use foundations::{ParamsExt, rng};
use indicatif::{ProgressBar, ProgressStyle};
use lstm_gru::{FastLstm, FastLstmTrainer, Lstm};
use nalgebra::DMatrix;
use std::time::Instant;
use transformer::{Gpt, fast_gpt};

mod common;
use common::{
    cpu_seconds, gpt_config, random_batch, smooth, train_step, windows,
};
use vanilla_rnn_bptt::{Output, RecurrentCell, RecurrentModel};

#[derive(Parser, Debug)]
struct Args {
    /// Seed of initialisation, batches and samples.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Training characters (predicted targets) each model sees.
    #[arg(long, default_value_t = 2_048_000)]
    chars: usize,
    /// Validation measurements along each run.
    #[arg(long, default_value_t = 20)]
    points: usize,
    /// The GPT's batch, B.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// The GPT's context T (also the validation window, T + 1).
    #[arg(long, default_value_t = 64)]
    context: usize,
    /// The GPT's width d (h = 4, N = 2, d_ff = 4d).
    #[arg(long, default_value_t = 64)]
    d: usize,
    /// The GPT's Adam learning rate.
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// The LSTM's chunk length (truncated BPTT).
    #[arg(long, default_value_t = 25)]
    lstm_chunk: usize,
    /// The LSTM's Adagrad learning rate (the lstm-gru chapter's).
    #[arg(long, default_value_t = 0.05)]
    lstm_lr: f64,
    /// Write the figures and the table into book/src/figures (what
    /// `cargo course figures` passes); without it, only print.
    #[arg(long)]
    figures: bool,
}

/// One run's validation curve: (training characters, CPU s, loss).
struct Run {
    name: String,
    params: usize,
    curve: Vec<(f64, f64, f64)>,
    train_loss: f64,
    cpu: f64,
    sample: String,
}

impl Run {
    /// The first point whose loss is at most `target`: (characters, CPU s).
    fn reach(&self, target: f64) -> Option<(f64, f64)> {
        self.curve
            .iter()
            .find(|p| p.2 <= target)
            .map(|&(c, s, _)| (c, s))
    }

    fn best(&self) -> f64 {
        self.curve.iter().map(|p| p.2).fold(f64::INFINITY, f64::min)
    }

    fn last(&self) -> f64 {
        self.curve.last().map_or(f64::NAN, |p| p.2)
    }
}

/// The parameter count of an LSTM char model with `n` hidden units over
/// `v` characters: the cell's `4n x (n + v)` weights and `4n` bias, the
/// output's `v x n` and `v`.
fn lstm_params(n: usize, v: usize) -> usize {
    4 * n * (n + v) + 4 * n + v * n + v
}

/// The LSTM's mean loss per character over the validation windows, each
/// from the zero state (the fast path's loss; its gradients are unused).
fn lstm_window_loss(
    fast: &mut FastLstm,
    model: &RecurrentModel<Lstm>,
    windows: &[Vec<usize>],
) -> f64 {
    let n = model.cell.hidden_size();
    let zero = DMatrix::zeros(n, 1);
    let mut total = 0.0;
    let mut count = 0;
    for w in windows {
        let t = w.len() - 1;
        total += fast.loss_and_grads(model, &w[..t], &w[1..], &zero, &zero);
        count += t;
    }
    total / count as f64
}

/// The LSTM's mean loss per character over the whole held-out text read as
/// one stream, in chunks of `t_max` with the state carried over.
fn lstm_stream_loss(
    fast: &mut FastLstm,
    model: &RecurrentModel<Lstm>,
    ids: &[usize],
    t_max: usize,
) -> f64 {
    let n = model.cell.hidden_size();
    let (mut h, mut c) = (DMatrix::zeros(n, 1), DMatrix::zeros(n, 1));
    let mut total = 0.0;
    let last = ids.len() - 1;
    for start in (0..last).step_by(t_max) {
        let end = (start + t_max).min(last);
        total += fast.loss_and_grads(
            model,
            &ids[start..end],
            &ids[start + 1..end + 1],
            &h,
            &c,
        );
        (h, c) = fast.last_state(end - start);
    }
    total / last as f64
}

fn bar(
    len: u64,
    name: &str,
) -> Result<ProgressBar, Box<dyn std::error::Error>> {
    let bar = ProgressBar::new(len);
    bar.set_style(ProgressStyle::with_template(&format!(
        "{name:>5} {{bar:40}} {{pos}}/{{len}} {{elapsed_precise}} {{msg}}"
    ))?);
    Ok(bar)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let text = datasets::sonnets();
    let vocab = Vocab::from_text(text)?;
    let ids = vocab.encode(text)?;
    let (train, valid) = split(&ids, 0.9);
    let v = vocab.len();
    let t = args.context;
    let windows = windows(valid, t);
    let clock = Instant::now();
    let prompt = "Shall I compare thee";

    // ---- the tiny GPT ----
    let config = gpt_config(v, args.d, 4, 2, t);
    let mut r = rng(args.seed);
    let mut model = Gpt::new(config, &mut r)?;
    let per_step = args.batch * t;
    let steps = args.chars.div_ceil(per_step);
    let every = (steps / args.points).max(1);
    let mut opt = Adam::new(args.lr);
    let mut curve = vec![(0.0, 0.0, fast_gpt::loss(&model, &windows))];
    let (mut cpu, mut running) = (0.0, f64::NAN);
    let pb = bar(steps as u64, "GPT")?;
    for step in 1..=steps {
        let batch = random_batch(train, args.batch, t, &mut r);
        let start = cpu_seconds(&clock);
        let loss = train_step(&mut model, &mut opt, &batch, step)?;
        cpu += cpu_seconds(&clock) - start;
        running = smooth(running, loss, 0.02);
        if step % every == 0 || step == steps {
            let val = fast_gpt::loss(&model, &windows);
            curve.push(((step * per_step) as f64, cpu, val));
            let msg = format!(
                "train {running:.3}  validation {val:.3}  {:.0} chars/CPU s",
                (step * per_step) as f64 / cpu
            );
            pb.suspend(|| println!("GPT step {step}: {msg}"));
            pb.set_message(msg);
        }
        pb.inc(1);
    }
    pb.finish();
    let out =
        fast_gpt::sample(&model, &vocab.encode(prompt)?, 300, 0.8, &mut r);
    let gpt_run = Run {
        name: format!("tiny GPT (d = {}, h = 4, N = 2, T = {t})", config.d),
        params: model.num_params(),
        curve,
        train_loss: running,
        cpu,
        sample: format!("{prompt}{}", vocab.decode(&out)?),
    };

    // ---- the LSTM of about as many parameters ----
    let n = (1..1000)
        .min_by_key(|&n| lstm_params(n, v).abs_diff(gpt_run.params))
        .unwrap_or(100);
    let mut r = rng(args.seed);
    let mut lstm = RecurrentModel::new(
        Lstm::new(v, n, &mut r)?,
        Output::new(n, v, &mut r)?,
    )?;
    let chunk = args.lstm_chunk;
    let lstm_config = vanilla_rnn_bptt::TrainConfig {
        seq_len: chunk,
        lr: args.lstm_lr,
        ..vanilla_rnn_bptt::TrainConfig::min_char_rnn()
    };
    let mut trainer = FastLstmTrainer::new(&lstm, train.to_vec(), lstm_config)?;
    let mut eval = FastLstm::new(&lstm, t.max(chunk))?;
    let steps = args.chars.div_ceil(chunk);
    let every = (steps / args.points).max(1);
    let mut curve =
        vec![(0.0, 0.0, lstm_window_loss(&mut eval, &lstm, &windows))];
    let (mut cpu, mut smoothed) = (0.0, f64::NAN);
    let pb = bar(steps as u64, "LSTM")?;
    for step in 1..=steps {
        let start = cpu_seconds(&clock);
        let loss = trainer.step(&mut lstm)? / chunk as f64;
        cpu += cpu_seconds(&clock) - start;
        smoothed = smooth(smoothed, loss, 0.001);
        if step % every == 0 || step == steps {
            let val = lstm_window_loss(&mut eval, &lstm, &windows);
            curve.push(((step * chunk) as f64, cpu, val));
            let msg = format!(
                "train {smoothed:.3}  validation {val:.3}  {:.0} chars/CPU s",
                (step * chunk) as f64 / cpu
            );
            pb.suspend(|| println!("LSTM step {step}: {msg}"));
            pb.set_message(msg);
        }
        if step % 100 == 0 {
            pb.inc(100);
        }
    }
    pb.finish();
    let stream = lstm_stream_loss(&mut eval, &lstm, valid, t.max(chunk));
    let first = vocab.encode(prompt)?;
    let mut state = lstm.cell.zero_state(1);
    for &id in &first[..first.len() - 1] {
        let x = vanilla_rnn_bptt::one_hot_inputs(&[id], v);
        let (_, cache) = vanilla_rnn_bptt::sequence_forward(&lstm, &state, &x);
        state = cache.last_state().clone();
    }
    let out = vanilla_rnn_bptt::sample(
        &lstm,
        &state,
        first[first.len() - 1],
        300,
        0.8,
        &mut r,
    )?;
    let lstm_run = Run {
        name: format!("LSTM (n = {n}, chunks of {chunk})"),
        params: lstm.num_params(),
        curve,
        train_loss: smoothed,
        cpu,
        sample: format!("{prompt}{}", vocab.decode(&out)?),
    };

    // ---- figures and table ----
    let runs = [&gpt_run, &lstm_run];
    let series = |x: fn(&(f64, f64, f64)) -> f64| -> Vec<Series> {
        runs.iter()
            .map(|r| {
                Series::new(
                    format!("{}, {} params", r.name, r.params),
                    // from the first measurement after training starts:
                    // the untrained models' losses (in the table) would
                    // squeeze the range where the curves cross
                    r.curve.iter().skip(1).map(|p| (x(p), p.2)).collect(),
                )
            })
            .collect()
    };
    let dir = env!("CARGO_MANIFEST_DIR");
    let charts: [(&str, &str, &str, fn(&(f64, f64, f64)) -> f64); 2] = [
        (
            "chars",
            "training characters",
            "training characters (predicted targets)",
            |p| p.0,
        ),
        (
            "time",
            "training time",
            "CPU seconds of training (one thread)",
            |p| p.1,
        ),
    ];
    for (file, by, x_label, x) in charts {
        if args.figures {
            line_chart(
                &figure_path(dir, &format!("transformer-vs-lstm-{file}.svg")),
                &format!("Sonnets, validation loss by {by}"),
                (x_label, "validation loss, nats/char"),
                &series(x),
                Scale::Linear,
            )?;
        }
    }
    // the lowest loss both runs reach
    let target = gpt_run.best().max(lstm_run.best());
    let mut md = format!(
        "Seed {}; each model trained on {} characters drawn from the \
         first 90% of the text ({} characters, so about {:.0} passes); \
         validation on the {} windows of {} characters of the \
         last 10% (nats per character; ln {v} = {:.3} is a uniform guess).\n\n\
         | model | parameters | training CPU s | characters / CPU s | \
         training loss at the end | validation at the end | best | \
         first at or below {target:.3} (characters, CPU s) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
        args.seed,
        args.chars,
        train.len(),
        args.chars as f64 / train.len() as f64,
        windows.len(),
        t + 1,
        (v as f64).ln()
    );
    for r in runs {
        let chars = r.curve.last().map_or(0.0, |p| p.0);
        let reach = r
            .reach(target)
            .map_or("—".to_string(), |(c, s)| format!("{c:.0}, {s:.0}"));
        md += &format!(
            "| {} | {} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} | {reach} |\n",
            r.name,
            r.params,
            r.cpu,
            chars / r.cpu,
            r.train_loss,
            r.last(),
            r.best(),
        );
    }
    md += "\nValidation loss along the runs (GPT / LSTM characters where \
           they differ):\n\n\
           | training characters | GPT: CPU s | GPT: validation | \
           LSTM: CPU s | LSTM: validation |\n|---:|---:|---:|---:|---:|\n";
    let last = gpt_run.curve.len().min(lstm_run.curve.len()) - 1;
    for i in (0..=last).filter(|&i| i % 2 == 0 || i == last) {
        let (g, l) = (gpt_run.curve[i], lstm_run.curve[i]);
        let chars = if g.0 == l.0 {
            format!("{:.0}", g.0)
        } else {
            format!("{:.0} / {:.0}", g.0, l.0)
        };
        md += &format!(
            "| {chars} | {:.0} | {:.3} | {:.0} | {:.3} |\n",
            g.1, g.2, l.1, l.2
        );
    }
    md += &format!(
        "\nThe LSTM reading the held-out text as one stream, its state \
         carried through: {stream:.3} nats per character.\n"
    );
    for r in runs {
        md += &format!(
            "\n**{}** (temperature 0.8, seed {}):\n\n```text\n{}\n```\n",
            r.name, args.seed, r.sample
        );
    }
    if args.figures {
        std::fs::write(figure_path(dir, "transformer-vs-lstm.md"), &md)?;
    }
    println!("{md}");
    println!("{:.0} s wall in all", clock.elapsed().as_secs_f64());
    Ok(())
}
