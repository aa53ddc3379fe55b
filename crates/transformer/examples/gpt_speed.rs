//! One training step of the tiny GPT, the Rust engine against the numpy
//! reference in `benches/gpt_numpy.py` on the same weights and batch.
//!
//! cargo build --release -p transformer --features examples --example gpt_speed
//! ./target/release/examples/gpt_speed   # numpy runs with OPENBLAS_NUM_THREADS=1
//!
//! Prints the table; with `--figures` also writes it to
//! `book/src/figures/transformer-speed.md` (needs python3 + numpy).

use clap::Parser;
use datasets::text::Vocab;
use foundations::figures::figure_path;
use foundations::rng;
use std::time::Instant;
use transformer::{Gpt, fast_gpt};

mod common;
use common::{cpu_seconds, gpt_config};

#[derive(Parser, Debug)]
struct Args {
    /// Timed steps (the median is reported).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Sequences per batch, B.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Context length, T.
    #[arg(long, default_value_t = 64)]
    context: usize,
    /// Blocks, N.
    #[arg(long, default_value_t = 2)]
    layers: usize,
    /// Width d.
    #[arg(long, default_value_t = 64)]
    d: usize,
    /// Skip numpy.
    #[arg(long)]
    no_numpy: bool,
    /// Write the table into book/src/figures (what `cargo course figures`
    /// passes); without it, only print.
    #[arg(long)]
    figures: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let text = datasets::sonnets();
    let vocab = Vocab::from_text(text)?;
    let ids = vocab.encode(text)?;
    let (b, t) = (args.batch, args.context);
    let config = gpt_config(vocab.len(), args.d, 4, args.layers, t);
    let model = Gpt::new(config, &mut rng(1))?;
    let batch: Vec<Vec<usize>> = (0..b)
        .map(|s| ids[s * 5000..s * 5000 + t + 1].to_vec())
        .collect();
    let (loss, _) = fast_gpt::loss_and_grads(&model, &batch);
    let (mut times, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..args.steps {
        let start = Instant::now();
        let c0 = cpu_seconds(&start); // wall time where there is no CPU clock
        std::hint::black_box(fast_gpt::loss_and_grads(&model, &batch));
        times.push(start.elapsed().as_secs_f64());
        cpu.push(cpu_seconds(&start) - c0);
    }
    let (rust, rust_cpu) = (median(times), median(cpu));
    let tokens = (b * t) as f64;
    println!(
        "rust  loss {loss:.12} tokens/s {:.0} ms/step {:.2} cpu_ms/step {:.2}",
        tokens / rust,
        1000.0 * rust,
        1000.0 * rust_cpu
    );
    if args.no_numpy {
        return Ok(());
    }
    let path = "target/transformer-speed-model.safetensors";
    checkpoint::save(std::path::Path::new(path), "gpt", &model.config, &model)?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/gpt_numpy.py");
    // numpy's BLAS on one thread, as the engine: the same hardware for both
    let np_args = [
        path.to_string(),
        "--batch".into(),
        b.to_string(),
        "--context".into(),
        t.to_string(),
        "--steps".into(),
        args.steps.to_string(),
    ];
    let line = foundations::figures::run_numpy(script, &np_args)?;
    let field = |key: &str| -> f64 {
        let w: Vec<&str> = line.split_whitespace().collect();
        let i = w.iter().position(|x| *x == key).expect("numpy output");
        w[i + 1].parse().expect("a number")
    };
    let (np_loss, np_ms) = (field("loss"), field("ms/step"));
    let np_cpu = field("cpu_ms/step");
    assert!(
        (np_loss - loss).abs() < 1e-9,
        "numpy's loss {np_loss} differs from Rust's {loss}"
    );
    let threads = 1;
    let table = format!(
        "One training step (forward + backward) of the tiny GPT, B = {b}, \
         T = {t}, d = {}, N = {}; medians of {} steps.\n\n\
         | | CPU ms / step | tokens / CPU s | wall ms / step |\n\
         |---|---:|---:|---:|\n\
         | Rust engine (`fast_gpt::loss_and_grads`, one thread) \
         | {:.1} | {:.0} | {:.1} |\n\
         | numpy (`benches/gpt_numpy.py`, OPENBLAS_NUM_THREADS = {threads}) \
         | {:.1} | {:.0} | {:.1} |\n\n\
         Both compute the loss {loss:.6} on the same weights and batch. \
         Per CPU second the engine trains {:.1}x as many tokens as numpy.\n",
        args.d,
        args.layers,
        args.steps,
        1000.0 * rust_cpu,
        tokens / rust_cpu,
        1000.0 * rust,
        np_cpu,
        tokens / (np_cpu / 1000.0),
        np_ms,
        np_cpu / 1000.0 / rust_cpu,
    );
    if args.figures {
        let dir = env!("CARGO_MANIFEST_DIR");
        std::fs::write(figure_path(dir, "transformer-speed.md"), &table)?;
    }
    print!("{table}");
    Ok(())
}
