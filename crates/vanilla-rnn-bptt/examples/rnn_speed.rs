//! Characters per second of the char model on the Sonnets in the classic
//! min-char-rnn setup (hidden 100, T = 25, Adagrad 0.1, clipping ±5, f64):
//! the fast path and the textbook engine and, with `--numpy`, the numpy
//! reference (`benches/min_char_rnn.py`, one thread), interleaved round by
//! round so that all three see the same machine load.
//!
//! ```text
//! cargo build --release -p vanilla-rnn-bptt --features examples --example rnn_speed
//! ./target/release/examples/rnn_speed --steps 1000 --numpy
//! ```
//!
//! `--figures` writes the table to `book/src/figures/vanilla-rnn-bptt-speed.md`
//! (needs `--numpy`, so python3 with numpy).

use clap::Parser;
use foundations::figures::{figure_path, run_numpy};
use std::fmt::Write as _;
use std::time::Instant;
use vanilla_rnn_bptt::{CharTrainer, FastTrainer, Rnn, TrainConfig};

#[derive(Parser, Debug)]
struct Args {
    /// Updates per round for numpy and the engine; the fast path runs ten
    /// times as many.
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// Rounds.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Also run the numpy reference.
    #[arg(long)]
    numpy: bool,
    /// Write the table into the book.
    #[arg(long)]
    figures: bool,
}

/// Characters per second of the numpy reference over `steps` updates.
fn numpy(steps: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let script =
        concat!(env!("CARGO_MANIFEST_DIR"), "/benches/min_char_rnn.py");
    let line = run_numpy(script, &["--steps".into(), steps.to_string()])?;
    let key = "\"chars_per_sec\": ";
    let start = line.find(key).ok_or("no chars_per_sec in numpy output")?;
    let rest = &line[start + key.len()..];
    let end = rest.find([',', '}']).ok_or("malformed numpy output")?;
    Ok(rest[..end].trim().parse()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.figures && !args.numpy {
        return Err("--figures needs --numpy".into());
    }
    let text = datasets::sonnets();
    let vocab = datasets::Vocab::from_text(text)?;
    let ids = vocab.encode(text)?;
    let v = vocab.len();
    let config = TrainConfig::min_char_rnn();
    let t = config.seq_len;
    let mut rng = foundations::rng(1);
    let model = Rnn::new(v, 100, v, &mut rng)?.to_model();

    let mut table = String::from(
        "| round | numpy (chars/s) | Rust engine (chars/s) | Rust fast path \
         (chars/s) | fast / numpy |\n|---|---|---|---|---|\n",
    );
    let mut ratios = Vec::new();
    for round in 1..=args.rounds {
        let np = if args.numpy {
            Some(numpy(args.steps)?)
        } else {
            None
        };

        let mut fast = model.clone();
        let mut trainer = FastTrainer::new(&fast, ids.clone(), config.clone())?;
        let start = Instant::now();
        for _ in 0..10 * args.steps {
            trainer.step(&mut fast)?;
        }
        let secs = start.elapsed().as_secs_f64();
        let fast_cps = (10 * args.steps * t) as f64 / secs;
        println!(
            "{{\"impl\": \"rust-fast\", \"steps\": {}, \"seconds\": {secs:.3}, \
             \"chars_per_sec\": {fast_cps:.0}, \"smooth_loss\": {:.4}}}",
            10 * args.steps,
            trainer.smooth_loss()
        );

        let mut slow = model.clone();
        let mut trainer = CharTrainer::new(&slow, ids.clone(), config.clone())?;
        let start = Instant::now();
        for _ in 0..args.steps {
            trainer.step(&mut slow)?;
        }
        let secs = start.elapsed().as_secs_f64();
        let cps = (args.steps * t) as f64 / secs;
        println!(
            "{{\"impl\": \"rust-engine\", \"steps\": {}, \"seconds\": \
             {secs:.3}, \"chars_per_sec\": {cps:.0}, \"smooth_loss\": {:.4}}}",
            args.steps,
            trainer.smooth_loss()
        );
        if let Some(np) = np {
            let ratio = fast_cps / np;
            ratios.push(ratio);
            writeln!(
                table,
                "| {round} | {np:.0} | {cps:.0} | {fast_cps:.0} | {ratio:.1}x |"
            )?;
        }
    }
    if args.numpy {
        ratios.sort_by(f64::total_cmp);
        let median = ratios[ratios.len() / 2];
        println!("{table}median fast / numpy: {median:.1}x");
        if args.figures {
            let note = format!(
                "<!-- written by `cargo run --release -p vanilla-rnn-bptt \
                 --features examples --example rnn_speed -- --numpy --figures --rounds 5` -->\n\n{table}\n\
                 Median over the rounds: the fast path trains **{median:.1}x** \
                 as many characters per second as numpy. Each round runs \
                 numpy for {} updates, the fast path for {} and the engine \
                 for {}, one after the other on the same machine.\n",
                args.steps,
                10 * args.steps,
                args.steps
            );
            std::fs::write(
                figure_path(
                    env!("CARGO_MANIFEST_DIR"),
                    "vanilla-rnn-bptt-speed.md",
                ),
                note,
            )?;
        }
    }
    Ok(())
}
