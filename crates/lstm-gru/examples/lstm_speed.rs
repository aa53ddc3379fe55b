//! Training throughput of the LSTM character model (hidden 100, T = 25,
//! Adagrad, clipping ±5) on the Sonnets: the generic path
//! (`CharTrainer<LstmCell>`), the fast path (`FastLstmTrainer`) and the
//! numpy reference `benches/lstm_numpy.py`, measured one after the other on
//! this machine. Writes `book/src/figures/lstm-gru-speed.md`.
//!
//! cargo build --release -p lstm-gru --example lstm_speed
//! ./target/release/examples/lstm_speed [--iters 2000]

use datasets::{Vocab, sonnets};
use foundations::{figures::figure_path, rng};
use lstm_gru::{FastLstmTrainer, LstmCell};
use std::time::Instant;
use vanilla_rnn_bptt::{CharTrainer, Output, RecurrentModel, TrainConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let iters: usize = args
        .iter()
        .position(|a| a == "--iters")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2000);
    let text = sonnets();
    let vocab = Vocab::from_text(text)?;
    let data = vocab.encode(text)?;
    let (v, n, t) = (vocab.len(), 100, 25);
    let mut r = rng(0);
    let model = RecurrentModel::new(
        LstmCell::new(v, n, &mut r)?,
        Output::new(n, v, &mut r)?,
    )?;

    let mut m = model.clone();
    let mut slow =
        CharTrainer::new(&m, data.clone(), TrainConfig::min_char_rnn())?;
    let fast_only = args.iter().any(|a| a == "--fast-only");
    let slow_iters = if fast_only { 1 } else { (iters / 10).max(50) };
    let start = Instant::now();
    for _ in 0..slow_iters {
        slow.step(&mut m)?;
    }
    let generic = slow_iters as f64 / start.elapsed().as_secs_f64();

    let mut m = model.clone();
    let mut fast = FastLstmTrainer::new(&m, data, t, 0.1)?;
    let start = Instant::now();
    let mut loss = 0.0;
    for _ in 0..iters {
        loss = fast.step(&mut m)?;
    }
    let fast_rate = iters as f64 / start.elapsed().as_secs_f64();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/lstm_numpy.py");
    if fast_only {
        println!("FastLstmTrainer: {fast_rate:.0} iterations/s");
        return Ok(());
    }
    let numpy = std::process::Command::new("python3")
        .args([script, "--iters", "200"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let numpy_rate: Option<f64> = numpy.as_ref().and_then(|line| {
        line.strip_prefix("numpy: ")?
            .split(' ')
            .next()?
            .parse()
            .ok()
    });
    println!("generic CharTrainer<LstmCell>: {generic:.0} iterations/s");
    println!(
        "FastLstmTrainer:               {fast_rate:.0} iterations/s \
         (last loss {loss:.2})"
    );
    println!("{}", numpy.as_deref().unwrap_or("numpy: not available"));

    let mut md = String::from("| implementation (hidden 100, T = 25, V = ");
    md += &format!("{v}) | iterations/s | vs numpy |\n|---|---:|---:|\n");
    let ratio = |x: f64| match numpy_rate {
        Some(np) => format!("{:.1}x", x / np),
        None => "–".into(),
    };
    md += &format!(
        "| Rust, `FastLstmTrainer` | {fast_rate:.0} | {} |\n",
        ratio(fast_rate)
    );
    md += &format!(
        "| Rust, generic `CharTrainer<LstmCell>` | {generic:.0} | {} |\n",
        ratio(generic)
    );
    match numpy_rate {
        Some(np) => {
            md += &format!(
                "| numpy, `benches/lstm_numpy.py` | {np:.0} | 1.0x |\n"
            )
        }
        None => md += "| numpy | not available on this machine | |\n",
    }
    std::fs::write(
        figure_path(env!("CARGO_MANIFEST_DIR"), "lstm-gru-speed.md"),
        md,
    )?;
    Ok(())
}
