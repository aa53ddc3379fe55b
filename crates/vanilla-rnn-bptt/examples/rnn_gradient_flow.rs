//! Vanishing and exploding gradients, measured, and two of the lectures'
//! cures: `‖∇h^(0) L‖` for `L = rᵀ h^(T)` (a fixed random unit vector `r`)
//! against `T`, on Sonnets characters, computed by the generic BPTT, for
//!
//! * the tanh cell with `W = σ Q` (`Q` a random orthogonal matrix, so every
//!   singular value of `W` is `σ`), `σ` = 0.9, 1.0 (orthogonal
//!   initialisation) and 1.1;
//! * the tanh cell as the char model initialises it, `W ~ N(0, 0.01²)`;
//! * the ReLU cell with `W = Q` and with `W = I` (the IRNN of Le, Jaitly &
//!   Hinton 2015): a better activation, then a better activation with a
//!   careful initialisation.
//!
//! ```text
//! cargo run --release -p vanilla-rnn-bptt --features examples --example rnn_gradient_flow
//! ```
//!
//! prints the table; with `-- --figures` it also writes
//! `book/src/figures/vanilla-rnn-bptt-gradient-flow.{svg,md}`.

use clap::Parser;
use foundations::figures::{Scale, Series, figure_path, line_chart};
use foundations::{DMatrix, init};
use std::fmt::Write as _;
use vanilla_rnn_bptt::{
    Output, RecurrentCell, RecurrentModel, ReluRnnCell, RnnCell,
    one_hot_inputs, sequence_backward, sequence_forward,
};

const N: usize = 100;
const T_MAX: usize = 100;
/// The lowest norm the chart draws.
const FLOOR: f64 = 1e-20;

#[derive(Debug, Parser)]
struct Args {
    /// Write the chart and the table into book/src/figures.
    #[arg(long)]
    figures: bool,
}

/// `(T, ‖∇h^(0) L‖)` for `T = 1..=T_MAX`, `L = rᵀ h^(T)`, from `h^(0) = 0`.
fn gradient_norms<C>(
    cell: C,
    out: &Output,
    xs: &[DMatrix<f64>],
    r: &DMatrix<f64>,
) -> Result<Vec<(f64, f64)>, Box<dyn std::error::Error>>
where
    C: RecurrentCell<State = DMatrix<f64>, StateGrad = DMatrix<f64>>,
{
    let model = RecurrentModel::new(cell, out.clone())?;
    let mut points = Vec::new();
    for t in 1..=T_MAX {
        let h0 = DMatrix::zeros(N, 1);
        let (_, cache) = sequence_forward(&model, &h0, &xs[..t]);
        // L = rᵀ h^(T): only the last state receives a gradient
        let d_o = vec![None; t];
        let (_, d_h0, _) = sequence_backward(&model, &cache, &d_o, Some(r));
        points.push((t as f64, d_h0.norm()));
    }
    Ok(points)
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
    let w_small = init::normal(N, N, 0.01, &mut rng);
    let tanh = |w: DMatrix<f64>| RnnCell {
        w,
        u: u.clone(),
        b: DMatrix::zeros(N, 1),
    };
    let relu = |w: DMatrix<f64>| ReluRnnCell {
        w,
        u: u.clone(),
        b: DMatrix::zeros(N, 1),
    };
    let runs = [
        (
            "tanh",
            "0.9 Q",
            gradient_norms(tanh(&q * 0.9), &out, &xs, &r)?,
        ),
        (
            "tanh",
            "Q (orthogonal)",
            gradient_norms(tanh(q.clone()), &out, &xs, &r)?,
        ),
        (
            "tanh",
            "1.1 Q",
            gradient_norms(tanh(&q * 1.1), &out, &xs, &r)?,
        ),
        (
            "tanh",
            "N(0, 0.01²)",
            gradient_norms(tanh(w_small.clone()), &out, &xs, &r)?,
        ),
        (
            "ReLU",
            "Q (orthogonal)",
            gradient_norms(relu(q.clone()), &out, &xs, &r)?,
        ),
        (
            "ReLU",
            "I (IRNN)",
            gradient_norms(relu(DMatrix::identity(N, N)), &out, &xs, &r)?,
        ),
    ];
    let s = w_small.singular_values();
    let note = format!(
        "The singular values of W ~ N(0, 0.01²) lie in [{:.4}, {:.4}].",
        s.min(),
        s.max()
    );
    println!("{note}");
    let mut table = String::from(
        "| cell | W | T = 10 | T = 25 | T = 50 | T = 100 |\n\
         |---|---|---:|---:|---:|---:|\n",
    );
    let mut series = Vec::new();
    for (act, w, points) in runs {
        let at = |t: usize| points[t - 1].1;
        writeln!(
            table,
            "| {act} | {w} | {:.3e} | {:.3e} | {:.3e} | {:.3e} |",
            at(10),
            at(25),
            at(50),
            at(100),
        )?;
        // the chart stops at 1e-20 (a curve that falls below it would
        // squeeze the others into its top); the table has every value
        let shown: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|&(_, g)| g >= FLOOR)
            .collect();
        let mut label = format!("{act}, W = {w}");
        if shown.len() < points.len() {
            label += &format!(" (< 1e-20 after T = {})", shown.len());
        }
        series.push(Series::new(label, shown));
    }
    print!("{table}");
    if !args.figures {
        return Ok(());
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    line_chart(
        &figure_path(dir, "vanilla-rnn-bptt-gradient-flow.svg"),
        "‖∇h(0) L‖ for L = rᵀh(T)",
        ("T (steps back to h(0))", "‖∇h(0) L‖ (log scale)"),
        &series,
        Scale::Log,
    )?;
    std::fs::write(
        figure_path(dir, "vanilla-rnn-bptt-gradient-flow.md"),
        format!(
            "<!-- written by `cargo run --release -p vanilla-rnn-bptt \
             --features examples --example rnn_gradient_flow -- --figures` (seed 1, n = {N}) \
             -->\n\n{table}\n{note}\n"
        ),
    )?;
    println!("wrote the book's gradient-flow chart and table");
    Ok(())
}
