//! Experiment 1 — gradient flow: the norm of the Jacobian `∂c_T/∂c_0` of an
//! LSTM and of `∂h_T/∂h_0` of a GRU and of vanilla RNNs as `T` grows, on the
//! same random inputs, at initialisation. The vanilla cells include the two
//! cures that keep the architecture: a careful initialisation (`W_hh`
//! orthogonal) and a better activation with it (the ReLU cell with
//! `W_hh = I`, Le et al.'s IRNN). Each Jacobian is built row by row by the
//! cells' own backward passes (a unit gradient on one entry of the last
//! state, carried back `T` steps); its norm is the largest singular value.
//!
//! cargo run --release -p lstm-gru --features examples --example lstm_gradient_flow -- --seed 1
//!
//! Prints the table; with `--figures` it also writes
//! `book/src/figures/lstm-gru-gradient-flow.svg` and
//! `lstm-gru-gradient-flow.md`.

use clap::Parser;
use foundations::figures::{Scale, Series, figure_path, line_chart};
use foundations::{Mat, init, rng};
use lstm_gru::{Gru, Lstm, LstmStateGrads};
use vanilla_rnn_bptt::{RecurrentCell, ReluRnnCell, RnnCell};

/// The largest singular value of `∂s_T/∂s_0` for the part of the state that
/// `unit` puts a gradient on.
fn jacobian_norm<C: RecurrentCell>(
    cell: &C,
    xs: &[Mat],
    unit: impl Fn(usize) -> C::StateGrad,
    read: impl Fn(&C::StateGrad) -> Mat,
) -> f64 {
    let n = cell.hidden_size();
    let mut state = cell.zero_state(1);
    let mut caches = Vec::new();
    for x in xs {
        let (next, cache) = cell.step_forward(&state, x);
        caches.push(cache);
        state = next;
    }
    let mut jac = Mat::zeros(n, n);
    for k in 0..n {
        let mut d = unit(k);
        for cache in caches.iter().rev() {
            d = cell.step_backward(cache, &d).1;
        }
        jac.row_mut(k).copy_from(&read(&d).transpose());
    }
    jac.singular_values().max()
}

#[derive(Debug, Parser)]
struct Args {
    /// Seed of the inputs and the cells' initialisation.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the chart and the table into book/src/figures.
    #[arg(long)]
    figures: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let seed = args.seed;
    let (n, d, t_max) = (32, 8, 100);
    let mut r = rng(seed);
    let xs: Vec<Mat> = (0..t_max)
        .map(|_| init::uniform(d, 1, 1.0, &mut r))
        .collect();
    let lstm = Lstm::new(d, n, &mut r)?;
    // The same cell with its forget-gate bias raised from 1 to 3 (f ≈ 0.95
    // instead of ≈ 0.73): what an LSTM learns to do when it must remember.
    let mut lstm3 = lstm.clone();
    lstm3.b.rows_mut(n, n).fill(3.0);
    // The same initialisation for the vanilla cell: U(±1/√n).
    let s = 1.0 / (n as f64).sqrt();
    let rnn = |scale: f64, r: &mut foundations::Rng| RnnCell {
        w: init::uniform(n, n, s * scale, r),
        u: init::uniform(n, d, s, r),
        b: Mat::zeros(n, 1),
    };
    let rnn_small = rnn(1.0, &mut r);
    let rnn_large = rnn(4.0, &mut r);
    let gru = Gru::new(d, n, &mut r)?;
    // careful initialisation: W_hh a random orthogonal matrix (every
    // singular value 1), the input weights as before
    let rnn_orth = RnnCell {
        w: init::normal(n, n, 1.0, &mut r).qr().q(),
        ..rnn(1.0, &mut r)
    };
    // better activation and initialisation: ReLU with W_hh = I, b = 0
    let irnn = ReluRnnCell {
        u: init::uniform(n, d, s, &mut r),
        ..ReluRnnCell::identity(d, n, 0.0, &mut r)?
    };
    let unit_c = |k: usize| {
        let mut g = LstmStateGrads::zeros(n, 1);
        g.d_c[(k, 0)] = 1.0;
        g
    };
    let unit_h = |k: usize| {
        let mut g = Mat::zeros(n, 1);
        g[(k, 0)] = 1.0;
        g
    };
    let (mut l_pts, mut f_pts, mut r1, mut r4) =
        (vec![], vec![], vec![], vec![]);
    let (mut l3_pts, mut g_pts, mut ro, mut ri) =
        (vec![], vec![], vec![], vec![]);
    let mut rows = String::from(
        "| T | LSTM ‖∂c_T/∂c_0‖, b_f = 1 | max_k Π_t f_t[k] | LSTM, b_f = 3 | \
         GRU ‖∂h_T/∂h_0‖ | RNN ‖∂h_T/∂h_0‖, W ~ U(±1/√n) | RNN, W ×4 | \
         RNN, W orthogonal | ReLU RNN, W = I |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for t in (1..=t_max).filter(|t| *t <= 10 || t % 5 == 0) {
        let xs = &xs[..t];
        let lj = jacobian_norm(&lstm, xs, unit_c, |g: &LstmStateGrads| {
            g.d_c.clone()
        });
        // ANCHOR: forget_product
        // the direct path alone: ∂c_T/∂c_0 along c = diag(f_1 ⊙ … ⊙ f_T)
        let mut state = lstm.zero_state(1);
        let mut prod = Mat::from_element(n, 1, 1.0);
        for x in xs {
            let (next, cache) = lstm.step_forward(&state, x);
            // rows n..2n of the gates are f
            prod.component_mul_assign(&cache.gates.rows(n, n));
            state = next;
        }
        // ANCHOR_END: forget_product
        let fp = prod.max();
        let lj3 = jacobian_norm(&lstm3, xs, unit_c, |g: &LstmStateGrads| {
            g.d_c.clone()
        });
        let rj1 = jacobian_norm(&rnn_small, xs, unit_h, |g: &Mat| g.clone());
        let rj4 = jacobian_norm(&rnn_large, xs, unit_h, |g: &Mat| g.clone());
        let gj = jacobian_norm(&gru, xs, unit_h, |g: &Mat| g.clone());
        let oj = jacobian_norm(&rnn_orth, xs, unit_h, |g: &Mat| g.clone());
        let ij = jacobian_norm(&irnn, xs, unit_h, |g: &Mat| g.clone());
        let floor = |v: f64| v.max(1e-300);
        l_pts.push((t as f64, floor(lj)));
        f_pts.push((t as f64, floor(fp)));
        l3_pts.push((t as f64, floor(lj3)));
        r1.push((t as f64, floor(rj1)));
        r4.push((t as f64, floor(rj4)));
        g_pts.push((t as f64, floor(gj)));
        ro.push((t as f64, floor(oj)));
        ri.push((t as f64, floor(ij)));
        if [1, 5, 10, 25, 50, 100].contains(&t) {
            rows += &format!(
                "| {t} | {lj:.2e} | {fp:.2e} | {lj3:.2e} | {gj:.2e} | {rj1:.2e} \
                 | {rj4:.2e} | {oj:.2e} | {ij:.2e} |\n"
            );
        }
    }
    println!("{rows}");
    if !args.figures {
        return Ok(());
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    line_chart(
        &figure_path(dir, "lstm-gru-gradient-flow.svg"),
        &format!("Gradient flow back T steps (n = {n}, seed {seed})"),
        ("T (steps back)", "largest singular value of the Jacobian"),
        &[
            Series::new("LSTM ‖∂c_T/∂c_0‖, b_f = 1", l_pts),
            Series::new("LSTM, forget gates alone: max Π f", f_pts),
            Series::new("LSTM ‖∂c_T/∂c_0‖, b_f = 3", l3_pts),
            Series::new("RNN ‖∂h_T/∂h_0‖, W ~ U(±1/√n)", r1),
            Series::new("RNN ‖∂h_T/∂h_0‖, W ×4", r4),
            Series::new("GRU ‖∂h_T/∂h_0‖", g_pts),
            Series::new("RNN, W orthogonal", ro),
            Series::new("ReLU RNN, W = I", ri),
        ],
        Scale::Log,
    )?;
    std::fs::write(figure_path(dir, "lstm-gru-gradient-flow.md"), rows)?;
    Ok(())
}
