//! The tiny GPT on Shakespeare's Sonnets, next character prediction with
//! Adam. Trains, reports the validation loss, saves the model (a
//! safetensors checkpoint, the `checkpoint` crate) under `target/`, and with `--figures` writes the book's figures and
//! samples; `--load` samples from a saved model instead.
//!
//! cargo build --release -p transformer --features examples --example sonnets
//! ./target/release/examples/sonnets --figures       # train + figures
//! ./target/release/examples/sonnets --load target/transformer-sonnets.safetensors --sample 400

use clap::Parser;
use datasets::text::{Vocab, split};
use foundations::figures::{Scale, Series, figure_path, heatmap, line_chart};
use foundations::optim::Adam;
use foundations::{ParamsExt, Rng, rng};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::Instant;
use transformer::{Config, Gpt, fast_gpt, positional};

mod common;
use common::{
    cpu_seconds, gpt_config, random_batch, smooth, train_step, windows,
};

#[derive(Parser, Debug)]
struct Args {
    /// Training steps (one batch each).
    #[arg(long, default_value_t = 2000)]
    steps: usize,
    /// Sequences per batch, B.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Context length, T.
    #[arg(long, default_value_t = 64)]
    context: usize,
    /// Model width, d.
    #[arg(long, default_value_t = 64)]
    d: usize,
    /// Heads, h.
    #[arg(long, default_value_t = 4)]
    heads: usize,
    /// Blocks, N.
    #[arg(long, default_value_t = 2)]
    layers: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// Seed of initialisation, batches and samples.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Evaluate the validation loss every this many steps.
    #[arg(long, default_value_t = 100)]
    eval_every: usize,
    /// Where to save the trained model.
    #[arg(long, default_value = "target/transformer-sonnets.safetensors")]
    save: String,
    /// Sample from this saved model instead of training.
    #[arg(long)]
    load: Option<String>,
    /// Characters to sample.
    #[arg(long, default_value_t = 600)]
    sample: usize,
    /// Sampling temperature τ.
    #[arg(long, default_value_t = 0.8)]
    temperature: f64,
    /// The prompt the samples continue.
    #[arg(long, default_value = "Shall I compare thee")]
    prompt: String,
    /// Write the figures and samples into book/src/figures (what
    /// `cargo course figures` passes); without it, only print.
    #[arg(long)]
    figures: bool,
}

/// `--sample` characters drawn after `--prompt`, the prompt first.
fn continue_prompt(
    model: &Gpt,
    vocab: &Vocab,
    args: &Args,
    r: &mut Rng,
) -> Result<String, Box<dyn std::error::Error>> {
    let prompt = vocab.encode(&args.prompt)?;
    let out =
        fast_gpt::sample(model, &prompt, args.sample, args.temperature, r);
    Ok(format!("{}{}", args.prompt, vocab.decode(&out)?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let text = datasets::sonnets();
    let vocab = Vocab::from_text(text)?;
    if let Some(path) = &args.load {
        let (_, model) =
            checkpoint::load(Path::new(path), "gpt", |c: &Config| {
                Gpt::new(*c, &mut rng(0))
            })?;
        println!(
            "{}",
            continue_prompt(&model, &vocab, &args, &mut rng(args.seed))?
        );
        return Ok(());
    }
    let ids = vocab.encode(text)?;
    let (train, valid) = split(&ids, 0.9);
    let config =
        gpt_config(vocab.len(), args.d, args.heads, args.layers, args.context);
    let mut r = rng(args.seed);
    let mut model = Gpt::new(config, &mut r)?;
    let t = args.context;
    println!(
        "tiny GPT: V = {}, d = {}, h = {}, N = {}, d_ff = {}, T = {}, B = {}, \
         {} parameters; {} training / {} validation characters",
        config.vocab,
        config.d,
        config.heads,
        config.layers,
        config.d_ff,
        t,
        args.batch,
        model.num_params(),
        train.len(),
        valid.len()
    );
    // validation: every non-overlapping window of T + 1 characters
    let val_batch = windows(valid, t);
    let mut opt = Adam::new(args.lr);
    let bar = ProgressBar::new(args.steps as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} {elapsed_precise} {msg}",
    )?);
    let (mut train_curve, mut val_curve) = (Vec::new(), Vec::new());
    let mut running = f64::NAN;
    let mut train_time = 0.0; // CPU seconds in forward + backward + Adam
    let clock = Instant::now();
    let mut best_val = f64::INFINITY;
    let mut time_to_best = 0.0;
    for step in 1..=args.steps {
        let batch = random_batch(train, args.batch, t, &mut r);
        let start = cpu_seconds(&clock);
        let loss = train_step(&mut model, &mut opt, &batch, step)?;
        train_time += cpu_seconds(&clock) - start;
        running = smooth(running, loss, 0.02);
        if step % args.eval_every == 0 || step == args.steps {
            let val = fast_gpt::loss(&model, &val_batch);
            train_curve.push((step as f64, running));
            val_curve.push((step as f64, val));
            if val < best_val {
                best_val = val;
                time_to_best = train_time;
            }
            bar.set_message(format!("train {running:.3}  validation {val:.3}"));
        }
        bar.inc(1);
    }
    bar.finish();
    let tokens = (args.steps * args.batch * t) as f64;
    let summary = format!(
        "steps {}, batch {} x {} tokens: final training loss {:.3} nats \
         (running mean), validation loss {:.3} nats (best {:.3}, reached \
         after {:.0} CPU s of training); {:.0} training tokens per CPU \
         second ({:.1} CPU s in forward + backward + Adam, {:.0} s wall \
         in all)",
        args.steps,
        args.batch,
        t,
        running,
        val_curve.last().map_or(f64::NAN, |v| v.1),
        best_val,
        time_to_best,
        tokens / train_time,
        train_time,
        clock.elapsed().as_secs_f64()
    );
    println!("{summary}");
    checkpoint::save(Path::new(&args.save), "gpt", &model.config, &model)?;
    let (_, back): (Config, Gpt) =
        checkpoint::load(Path::new(&args.save), "gpt", |c: &Config| {
            Gpt::new(*c, &mut rng(0))
        })?;
    assert_eq!(back, model, "the reloaded model is the trained one");
    println!("saved the model to {}", args.save);
    let sample = continue_prompt(&model, &vocab, &args, &mut r)?;
    println!("--- sample (τ = {}) ---\n{sample}", args.temperature);
    if !args.figures {
        return Ok(());
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    line_chart(
        &figure_path(dir, "transformer-loss.svg"),
        "Tiny GPT on the Sonnets",
        ("step", "cross-entropy (nats per character)"),
        &[
            Series::new("training (running mean)", train_curve),
            Series::new("validation", val_curve),
        ],
        Scale::Linear,
    )?;
    let p = positional::sinusoidal_table(args.d, t);
    let labels = |n: usize, every: usize| -> Vec<String> {
        (0..n)
            .map(|i| {
                if i % every == 0 {
                    i.to_string()
                } else {
                    String::new()
                }
            })
            .collect()
    };
    heatmap(
        &figure_path(dir, "transformer-positional.svg"),
        "Sinusoidal positional encoding: row 2i, 2i+1 of p_t",
        &p,
        &labels(args.d, 8),
        &labels(t, 8),
    )?;
    let line = "Shall I compare thee to a summer's day?";
    let line_ids = vocab.encode(line)?;
    let maps = fast_gpt::attention_maps(&model, &line_ids);
    let chars: Vec<String> = line.chars().map(|c| c.to_string()).collect();
    let mut written = Vec::new();
    for (layer, head) in [
        (0usize, 0usize),
        (0, 1),
        (args.layers - 1, 0),
        (args.layers - 1, 2),
    ] {
        let Some(a) = maps
            .as_slice()
            .get(layer)
            .and_then(|l| l.as_slice().get(head))
        else {
            continue;
        };
        let name = format!("transformer-attention-l{layer}h{head}.svg");
        heatmap(
            &figure_path(dir, &name),
            &format!("Block {layer}, head {head}: row = query, column = key"),
            a,
            &chars,
            &chars,
        )?;
        written.push(name);
    }
    // What each head looks at on this line, in numbers (row i = query i).
    let mut heads = String::from(
        "| block | head | weight on itself | on the previous character | \
         on the latest space | mean look-back (characters) |\n\
         |---:|---:|---:|---:|---:|---:|\n",
    );
    let text: Vec<char> = line.chars().collect();
    for (l, layer) in maps.iter().enumerate() {
        for (h, a) in layer.iter().enumerate() {
            let n = text.len();
            let mean = |f: &dyn Fn(usize) -> Option<f64>| {
                let v: Vec<f64> = (0..n).filter_map(f).collect();
                v.iter().sum::<f64>() / v.len().max(1) as f64
            };
            let own = mean(&|i| (i > 0).then(|| a[(i, i)]));
            let prev = mean(&|i| (i > 0).then(|| a[(i, i - 1)]));
            let space = mean(&|i| {
                (0..i).rev().find(|&j| text[j] == ' ').map(|j| a[(i, j)])
            });
            let back = mean(&|i| {
                Some((0..=i).map(|j| a[(i, j)] * (i - j) as f64).sum())
            });
            heads += &format!(
                "| {l} | {h} | {own:.2} | {prev:.2} | {space:.2} | {back:.1} |\n"
            );
        }
    }
    std::fs::write(figure_path(dir, "transformer-heads.md"), &heads)?;
    std::fs::write(
        figure_path(dir, "transformer-samples.txt"),
        format!(
            "{summary}\n\n--- sample (τ = {}) ---\n{sample}\n",
            args.temperature
        ),
    )?;
    println!(
        "wrote transformer-loss.svg, transformer-positional.svg, {written:?}, transformer-samples.txt"
    );
    Ok(())
}
