//! Characters per second of the char model on the Sonnets in the classic
//! min-char-rnn setup (hidden 100, T = 25, Adagrad 0.1, clipping ±5, f64):
//! the fast path and the textbook engine, one after the other.
//!
//! ```text
//! cargo build --release -p vanilla-rnn-bptt --example rnn_speed
//! ./target/release/examples/rnn_speed --steps 4000
//! ```
//!
//! `benches/compare.sh` runs it next to the numpy reference.

use clap::Parser;
use std::time::Instant;
use vanilla_rnn_bptt::{CharTrainer, FastTrainer, Rnn, TrainConfig};

#[derive(Parser, Debug)]
struct Args {
    /// Updates on the fast path.
    #[arg(long, default_value_t = 4000)]
    steps: usize,
    /// Updates with the textbook engine (slower).
    #[arg(long, default_value_t = 400)]
    engine_steps: usize,
    /// Hidden size n.
    #[arg(long, default_value_t = 100)]
    hidden: usize,
    /// Seed of the initial weights.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let text = datasets::sonnets();
    let vocab = datasets::Vocab::from_text(text)?;
    let ids = vocab.encode(text)?;
    let v = vocab.len();
    let config = TrainConfig::min_char_rnn();
    let t = config.seq_len;
    let mut rng = foundations::rng(args.seed);
    let model = Rnn::new(v, args.hidden, v, &mut rng)?.to_model();

    let mut fast = model.clone();
    let mut trainer = FastTrainer::new(&fast, ids.clone(), config.clone())?;
    let start = Instant::now();
    for _ in 0..args.steps {
        trainer.step(&mut fast)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let fast_cps = (args.steps * t) as f64 / secs;
    println!(
        "{{\"impl\": \"rust-fast\", \"steps\": {}, \"seconds\": {secs:.3}, \
         \"chars_per_sec\": {fast_cps:.0}, \"smooth_loss\": {:.4}}}",
        args.steps,
        trainer.smooth_loss()
    );

    let mut slow = model;
    let mut trainer = CharTrainer::new(&slow, ids, config)?;
    let start = Instant::now();
    for _ in 0..args.engine_steps {
        trainer.step(&mut slow)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let cps = (args.engine_steps * t) as f64 / secs;
    println!(
        "{{\"impl\": \"rust-engine\", \"steps\": {}, \"seconds\": {secs:.3}, \
         \"chars_per_sec\": {cps:.0}, \"smooth_loss\": {:.4}}}",
        args.engine_steps,
        trainer.smooth_loss()
    );
    Ok(())
}
