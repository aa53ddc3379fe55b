//! Vanishing and exploding gradients, measured: `‖∇h^(0) L‖` for
//! `L = rᵀ h^(T)` (a fixed random unit vector `r`) against `T`, for a
//! recurrent matrix `W = σ Q` (`Q` a random orthogonal matrix, so every
//! singular value of `W` is `σ`) with `σ` = 0.9, 1.0 and 1.1, on Sonnets
//! characters, computed by the generic BPTT.
//!
//! ```text
//! cargo run --release -p vanilla-rnn-bptt --example rnn_gradient_flow
//! ```
//!
//! prints the table; with `-- --figures` it also writes
//! `book/src/figures/vanilla-rnn-bptt-gradient-flow.{svg,md}`.

use clap::Parser;
use foundations::figures::{Scale, Series, figure_path, line_chart};
use foundations::{DMatrix, init};
use std::fmt::Write as _;
use vanilla_rnn_bptt::{
    Output, RecurrentModel, RnnCell, one_hot_inputs, sequence_backward,
    sequence_forward,
};

const N: usize = 100;
const T_MAX: usize = 100;

#[derive(Debug, Parser)]
struct Args {
    /// Write the chart and the table into book/src/figures.
    #[arg(long)]
    figures: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let text = datasets::sonnets();
    let vocab = datasets::Vocab::from_text(text)?;
    let ids = vocab.encode(&text[2000..2000 + T_MAX])?;
    let v = vocab.len();
    let mut rng = foundations::rng(1);
    let q = init::normal(N, N, 1.0, &mut rng).qr().q();
    let u = init::normal(N, v, 0.01, &mut rng);
    let r = init::normal(N, 1, 1.0, &mut rng);
    let r = &r / r.norm();
    let out = Output::new(N, v, &mut rng)?;
    let xs = one_hot_inputs(&ids, v);

    let mut series = Vec::new();
    let mut table = String::from(
        "| σ | T = 10 | T = 25 | T = 50 | T = 100 | σ^100 |\n\
         |---|---|---|---|---|---|\n",
    );
    for sigma in [0.9, 1.0, 1.1] {
        let cell = RnnCell {
            w: &q * sigma,
            u: u.clone(),
            b: DMatrix::zeros(N, 1),
        };
        let model = RecurrentModel::new(cell, out.clone())?;
        let s = model.cell.w.singular_values();
        println!(
            "σ = {sigma}: singular values of W in [{:.4}, {:.4}]",
            s.min(),
            s.max()
        );
        let mut points = Vec::new();
        for t in 1..=T_MAX {
            let h0 = DMatrix::zeros(N, 1);
            let (_, cache) = sequence_forward(&model, &h0, &xs[..t]);
            // L = rᵀ h^(T): only the last state receives a gradient
            let d_o = vec![None; t];
            let (_, d_h0, _) =
                sequence_backward(&model, &cache, &d_o, Some(&r));
            points.push((t as f64, d_h0.norm()));
        }
        let at = |t: usize| points[t - 1].1;
        writeln!(
            table,
            "| {sigma} | {:.3e} | {:.3e} | {:.3e} | {:.3e} | {:.3e} |",
            at(10),
            at(25),
            at(50),
            at(100),
            f64::powi(sigma, 100)
        )?;
        series.push(Series::new(
            format!("largest singular value {sigma}"),
            points,
        ));
    }
    print!("{table}");
    if !args.figures {
        return Ok(());
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    line_chart(
        &figure_path(dir, "vanilla-rnn-bptt-gradient-flow.svg"),
        "‖∇h(0) L‖ for L = rᵀh(T), W = σQ",
        ("T (steps back to h(0))", "‖∇h(0) L‖ (log scale)"),
        &series,
        Scale::Log,
    )?;
    std::fs::write(
        figure_path(dir, "vanilla-rnn-bptt-gradient-flow.md"),
        format!(
            "<!-- written by `cargo run --release -p vanilla-rnn-bptt \
             --example rnn_gradient_flow -- --figures` (seed 1, n = {N}) \
             -->\n\n{table}"
        ),
    )?;
    println!("wrote the book's gradient-flow chart and table");
    Ok(())
}
