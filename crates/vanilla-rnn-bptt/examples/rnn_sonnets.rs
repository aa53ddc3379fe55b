//! A character-level language model on Shakespeare's Sonnets: the vanilla
//! RNN in the min-char-rnn setup (hidden 100, T = 25, Adagrad 0.1, clipping
//! to ±5), trained on the first 90% of the text, validated on the rest,
//! with samples printed as training goes ("at first" … "train more").
//!
//! ```text
//! cargo run --release -p vanilla-rnn-bptt --features examples --example rnn_sonnets
//! cargo run --release -p vanilla-rnn-bptt --features examples --example rnn_sonnets -- \
//!     --load target/sonnets-rnn.safetensors --sample 600 --temperature 0.8
//! ```
//!
//! With `--figures` it writes the samples and the loss curves into the book
//! (`book/src/figures/vanilla-rnn-bptt-sonnets-*`).

use checkpoint::CharConfig;
use checkpoint::char_model::CHAR_RNN;
use clap::Parser;
use datasets::Vocab;
use foundations::figures::{Scale, Series, figure_path, line_chart};
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vanilla_rnn_bptt::{
    FastTrainer, LossScale, RecurrentModel, Rnn, RnnCell, Targets, TrainConfig,
    evaluate, one_hot_inputs, sample, sequence_forward, sequence_loss,
};

#[derive(Parser, Debug)]
struct Args {
    /// Updates of T = 25 characters each.
    #[arg(long, default_value_t = 15_000)]
    steps: usize,
    /// Hidden size n.
    #[arg(long, default_value_t = 100)]
    hidden: usize,
    /// Seed of the initial weights and of the samples.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sampling temperature τ.
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Where to save the trained weights (safetensors).
    #[arg(long, default_value = "target/sonnets-rnn.safetensors")]
    save: PathBuf,
    /// Load weights from this file instead of training, and sample.
    #[arg(long)]
    load: Option<PathBuf>,
    /// Characters to sample from a loaded model.
    #[arg(long, default_value_t = 600)]
    sample: usize,
    /// Write the samples and loss curves into book/src/figures.
    #[arg(long)]
    figures: bool,
}

type Model = RecurrentModel<RnnCell>;

fn sample_text(
    model: &Model,
    vocab: &Vocab,
    n: usize,
    tau: f64,
    seed: u64,
) -> Result<String, Box<dyn std::error::Error>> {
    let start = vocab.id('\n')?;
    let h0 = foundations::DMatrix::zeros(model.cell.w.nrows(), 1);
    let mut rng = foundations::rng(seed);
    let ids = sample(model, &h0, start, n, tau, &mut rng)?;
    Ok(vocab.decode(&ids)?)
}

/// The loss per character of predicting `ids[1..]` from `ids[..len − 1]`
/// starting from `h0`, and the state reached.
fn chunk_loss(
    model: &Model,
    h0: &foundations::DMatrix<f64>,
    ids: &[usize],
) -> (f64, foundations::DMatrix<f64>) {
    let n = ids.len() - 1;
    let xs = one_hot_inputs(&ids[..n], model.cell.u.ncols());
    let (logits, cache) = sequence_forward(model, h0, &xs);
    let (loss, _) =
        sequence_loss(&logits, &Targets::from_ids(&ids[1..]), LossScale::Sum);
    (loss / n as f64, cache.last_state().clone())
}

/// Why the validation loss can be far above the training loss early on:
/// the loss of the next training chunk (at `pos`) from the state the
/// trainer carried, against the same chunk from the state the *current*
/// model reaches when it reads the preceding 500 characters from zero; and
/// how many hidden units of the carried state are saturated.
fn carried_vs_rerun(
    model: &Model,
    carried: &[f64],
    train: &[usize],
    pos: usize,
    t: usize,
) -> (f64, f64, usize) {
    let n = carried.len();
    let h = foundations::DMatrix::from_column_slice(n, 1, carried);
    let (carried_loss, _) = chunk_loss(model, &h, &train[pos..pos + t + 1]);
    let zero = foundations::DMatrix::zeros(n, 1);
    let warm = pos.saturating_sub(500);
    let h = if pos > warm {
        chunk_loss(model, &zero, &train[warm..pos + 1]).1
    } else {
        zero
    };
    let (rerun_loss, _) = chunk_loss(model, &h, &train[pos..pos + t + 1]);
    let saturated = carried.iter().filter(|h| h.abs() > 0.99).count();
    (carried_loss, rerun_loss, saturated)
}

/// The char model saved in `path` (kind `char-rnn`) and its vocabulary
/// and hidden size.
fn load_model(
    path: &Path,
) -> Result<(CharConfig, Model), checkpoint::CheckpointError> {
    checkpoint::load(path, CHAR_RNN, |c: &CharConfig| {
        let v = c.chars().len();
        Ok(Rnn::new(v, c.hidden, v, &mut foundations::rng(0))?.to_model())
    })
}

fn load_and_sample(
    path: &PathBuf,
    args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    let (config, model) = load_model(path)?;
    let vocab = Vocab::from_chars(&config.chars())?;
    let v = vocab.len();
    println!("loaded {path:?}: V = {v}, n = {}", config.hidden);
    let text =
        sample_text(&model, &vocab, args.sample, args.temperature, args.seed)?;
    println!("{text}");
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(path) = &args.load {
        return load_and_sample(path, &args);
    }
    let text = datasets::sonnets();
    let vocab = Vocab::from_text(text)?;
    let ids = vocab.encode(text)?;
    let (train, valid) = datasets::text::split(&ids, 0.9);
    let v = vocab.len();
    println!(
        "Sonnets: {} characters, V = {v}; {} train, {} validation",
        ids.len(),
        train.len(),
        valid.len()
    );
    let config = TrainConfig::min_char_rnn();
    let t = config.seq_len;
    let mut rng = foundations::rng(args.seed);
    let mut model = Rnn::new(v, args.hidden, v, &mut rng)?.to_model();
    let mut trainer = FastTrainer::new(&model, train.to_vec(), config)?;

    let stages = [0, 300, 2_000, 5_000, args.steps];
    let mut samples = String::new();
    let mut train_curve = Vec::new();
    let mut valid_curve = Vec::new();
    let bar = ProgressBar::new(args.steps as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} updates, {per_sec}, eta {eta} {msg}",
    )?);
    let every = (args.steps / 50).max(1);
    // the chunk losses of the last 100 updates (nats per character)
    let mut recent = std::collections::VecDeque::with_capacity(100);
    // chunks per pass: the trainer starts over when the next chunk would
    // run past the end of the text
    let per_pass = (train.len() - t - 1) / t + 1;
    for step in 0..=args.steps {
        if step % every == 0 || stages.contains(&step) {
            let val = evaluate(&model, valid, 100)?;
            let chars = (step * t) as f64;
            valid_curve.push((chars, val));
            let mean_recent =
                recent.iter().sum::<f64>() / recent.len().max(1) as f64;
            if step > 0 {
                train_curve.push((chars, mean_recent));
            }
            bar.set_message(format!("validation {val:.3} nats/char"));
            if stages.contains(&step)
                && !samples.contains(&format!("## {step} "))
            {
                let s = sample_text(&model, &vocab, 300, 1.0, args.seed)?;
                bar.suspend(|| {
                    println!(
                        "\n--- after {step} updates ({} characters), \
                         validation loss {val:.3} nats/char ---\n{s}\n",
                        step * t
                    )
                });
                let (carried, rerun, sat) = carried_vs_rerun(
                    &model,
                    trainer.state(),
                    train,
                    (step % per_pass) * t,
                    t,
                );
                let training = if step == 0 {
                    "no training loss yet".to_string()
                } else {
                    format!(
                        "training loss {mean_recent:.3} (mean of the last \
                         {} chunks; min-char-rnn's moving average {:.3})",
                        recent.len(),
                        trainer.smooth_loss() / t as f64
                    )
                };
                writeln!(
                    samples,
                    "## {step} updates\n\n{} characters seen; {training}, \
                     validation loss {val:.3} nats per character. The next \
                     training chunk costs {carried:.3} nats per character \
                     from the state the trainer carried and {rerun:.3} from \
                     the state this model reaches over the 500 characters \
                     before it; {sat} of the {} hidden units of the carried \
                     state are saturated (|h| > 0.99).\n\n```text\n{}\n```\n",
                    step * t,
                    args.hidden,
                    s.trim_end()
                )?;
            }
        }
        if step < args.steps {
            let loss = trainer.step(&mut model)? / t as f64;
            if recent.len() == 100 {
                recent.pop_front();
            }
            recent.push_back(loss);
            bar.inc(1);
        }
    }
    bar.finish();

    let config = CharConfig::new(vocab.chars(), args.hidden);
    if let Some(dir) = args.save.parent() {
        std::fs::create_dir_all(dir)?;
    }
    checkpoint::save(&args.save, CHAR_RNN, &config, &model)?;
    let (_, loaded) = load_model(&args.save)?;
    let (a, b) = (
        evaluate(&model, valid, 100)?,
        evaluate(&loaded, valid, 100)?,
    );
    println!(
        "saved {:?}; reloaded: validation loss {b:.6} (trained model {a:.6})",
        args.save
    );
    println!(
        "sample from the reloaded model (τ = 0.7):\n{}",
        sample_text(&loaded, &vocab, 300, 0.7, args.seed)?
    );

    if args.figures {
        let dir = env!("CARGO_MANIFEST_DIR");
        let header = format!(
            "<!-- written by `cargo run --release -p vanilla-rnn-bptt \
             --features examples --example rnn_sonnets -- --figures` (seed {}, {} updates) -->\n\n",
            args.seed, args.steps
        );
        std::fs::write(
            figure_path(dir, "vanilla-rnn-bptt-sonnets-samples.md"),
            header + &samples,
        )?;
        line_chart(
            &figure_path(dir, "vanilla-rnn-bptt-sonnets-loss.svg"),
            "Char-RNN on the Sonnets (n = 100, T = 25)",
            ("characters seen", "loss (nats per character)"),
            &[
                Series::new(
                    "training (mean of the last 100 chunks)",
                    train_curve,
                ),
                Series::new("validation", valid_curve),
            ],
            Scale::Linear,
        )?;
        println!("wrote the book's samples and loss curves");
    }
    Ok(())
}
