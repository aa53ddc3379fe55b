//! Convolution forward + backward, reference loops vs im2col, on the
//! benchmark's case (8 images of 3x32x32, 16 filters of 5x5, stride 1, no padding):
//! median wall-clock times and GFLOP/s, written as a table.
//!
//! `cargo run --release -p fc-and-conv --features examples --example speed` prints the table;
//! with `--figures` it writes it to `book/src/figures/fc-and-conv-speed.md`
//! (the criterion benchmark, `cargo bench -p fc-and-conv --bench conv`,
//! measures the same thing more carefully).

use clap::Parser;
use fc_and_conv::{Conv, Padding, Shape, Volume};
use foundations::figures::figure_path;
use std::hint::black_box;
use std::time::Instant;

#[derive(Debug, Parser)]
struct Args {
    /// Write the table into book/src/figures.
    #[arg(long)]
    figures: bool,
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm up
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut rng = foundations::rng(1);
    let input = Shape::new(3, 32, 32);
    let conv = Conv::new(input, 16, 5, 1, Padding::VALID, &mut rng)?;
    let random = |shape: Shape, rng: &mut foundations::Rng| {
        let m = foundations::init::uniform(
            shape.depth,
            shape.height * shape.width,
            1.0,
            rng,
        );
        Volume::from_matrix(shape.height, shape.width, m)
    };
    let x: Vec<Volume> = (0..8).map(|_| random(input, &mut rng)).collect();
    let d_out: Vec<Volume> = (0..8)
        .map(|_| random(conv.output_shape(), &mut rng))
        .collect();
    // Multiply-adds: B·K·H'·W'·(depth·F·F) for the forward, twice that for
    // the backward (dW and dX); two flops each.
    let window = input.depth * conv.size() * conv.size();
    let flops = (2 * 3 * x.len() * conv.output_shape().len() * window) as f64;

    let reference = median_ms(5, || {
        let (y, cache) = conv.forward_reference(black_box(&x));
        black_box((y, conv.backward_reference(&cache, &d_out)));
    });
    let fast = median_ms(21, || {
        let (y, cache) = conv.forward(black_box(&x));
        black_box((y, conv.backward(&cache, &d_out)));
    });
    let gflops = |ms: f64| flops / (ms * 1e-3) / 1e9;
    let table = format!(
        "| forward + backward, B = 8, 3x32x32, K = 16, F = 5 | time (median) \
         | GFLOP/s |\n|---|---:|---:|\n\
         | reference loops | {reference:.1} ms | {:.2} |\n\
         | im2col + matrix products | {fast:.1} ms | {:.2} |\n\
         | speed-up | {:.1}x | |\n",
        gflops(reference),
        gflops(fast),
        reference / fast,
    );
    print!("{table}");
    println!("({:.1} MFLOP per pass)", flops / 1e6);
    if args.figures {
        let path =
            figure_path(env!("CARGO_MANIFEST_DIR"), "fc-and-conv-speed.md");
        std::fs::write(&path, &table)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
