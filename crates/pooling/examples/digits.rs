//! Trains the ConvNet of the lecture's diagram on the bundled 8x8 digits,
//! reports train/test accuracy per epoch, saves and reloads the weights
//! (a safetensors checkpoint under `target/`), and with `--figures` draws the book's figures
//! from this run into `book/src/figures`.
//!
//! `cargo run --release -p pooling --features examples --example digits -- --seed 1`

use clap::Parser;
use fc_and_conv::Volume;
use foundations::DMatrix;
use foundations::figures::{Scale, Series, figure_path, heatmap, line_chart};
use foundations::optim::Adam;
use indicatif::{ProgressBar, ProgressStyle};
use pooling::data::{accuracy, to_volumes};
use pooling::{ConvNet, ConvNetConfig};
use rand::seq::SliceRandom;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Train the pooling chapter's ConvNet on the 8x8 digits")]
struct Args {
    /// Fixes the split, the initialisation, the minibatches and dropout.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Passes over the training set.
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    /// Images per minibatch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// Where to write the trained weights (safetensors).
    #[arg(long, default_value = "target/pooling-digits-convnet.safetensors")]
    weights: PathBuf,
    /// Write the results table, the figures and the training log into
    /// book/src/figures.
    #[arg(long)]
    figures: bool,
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The network saved in `path` by `checkpoint::save`.
fn load_convnet(path: &std::path::Path) -> Res<ConvNet> {
    let ck = checkpoint::Checkpoint::load(path)?;
    ck.expect_kind("convnet")?;
    let mut net = ConvNet::new(ck.config()?, &mut foundations::rng(0))?;
    let mut params = net.params();
    ck.load_into(&mut params)?;
    net.set_params(params);
    Ok(net)
}

fn main() -> Res<()> {
    let args = Args::parse();
    let digits = datasets::Digits::load()?;
    let (train, test) = digits.split(0.8, args.seed);
    let (x_train, y_train) = to_volumes(&train);
    let (x_test, y_test) = to_volumes(&test);
    let mut rng = foundations::rng(args.seed);
    let config = ConvNetConfig::default();
    let mut net = ConvNet::new(config, &mut rng)?;
    let mut opt = Adam::new(args.lr);
    println!(
        "{} training and {} test images; {:?}; {} parameters",
        x_train.len(),
        x_test.len(),
        config,
        foundations::ParamsExt::num_params(&net.params())
    );

    let steps_per_epoch = x_train.len().div_ceil(args.batch);
    let bar = ProgressBar::new((args.epochs * steps_per_epoch) as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} steps {msg}",
    )?);
    let start = Instant::now();
    let mut order: Vec<usize> = (0..x_train.len()).collect();
    let (mut losses, mut train_acc, mut test_acc) = (vec![], vec![], vec![]);
    let mut step = 0;
    let mut log = String::new();
    // ANCHOR: epoch
    for epoch in 1..=args.epochs {
        order.shuffle(&mut rng);
        let mut sum = 0.0;
        for chunk in order.chunks(args.batch) {
            let x: Vec<Volume> =
                chunk.iter().map(|&i| x_train[i].clone()).collect();
            let y: Vec<usize> = chunk.iter().map(|&i| y_train[i]).collect();
            sum += net.train_step(&mut opt, &x, &y, step, &mut rng)?;
            step += 1;
            bar.inc(1);
        }
        let loss = sum / steps_per_epoch as f64;
        let tr = accuracy(&net.predict(&x_train), &y_train);
        let te = accuracy(&net.predict(&x_test), &y_test);
        // ANCHOR_END: epoch
        losses.push((epoch as f64, loss));
        train_acc.push((epoch as f64, 100.0 * tr));
        test_acc.push((epoch as f64, 100.0 * te));
        let line = format!(
            "epoch {epoch:>3}  loss {loss:.4}  train {:.2}%  test {:.2}%",
            100.0 * tr,
            100.0 * te
        );
        bar.suspend(|| println!("{line}"));
        writeln!(log, "{line}")?;
    }
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let final_test = accuracy(&net.predict(&x_test), &y_test);
    println!(
        "test accuracy {:.2}% after {} epochs in {seconds:.1} s ({:.0} \
         training images/s)",
        100.0 * final_test,
        args.epochs,
        (args.epochs * x_train.len()) as f64 / seconds
    );

    if let Some(dir) = args.weights.parent() {
        std::fs::create_dir_all(dir)?;
    }
    checkpoint::save(&args.weights, "convnet", &net.config(), &net.params())?;
    let loaded = load_convnet(&args.weights)?;
    let reloaded = accuracy(&loaded.predict(&x_test), &y_test);
    assert_eq!(
        reloaded, final_test,
        "the reloaded weights predict the same"
    );
    println!(
        "saved {} and loaded it back: test accuracy {:.2}%",
        args.weights.display(),
        100.0 * reloaded
    );

    if args.figures {
        let final_train = accuracy(&net.predict(&x_train), &y_train);
        let results = format!(
            "| | |\n|---|---|\n\
             | training / test images | {} / {} |\n\
             | parameters | {} |\n\
             | epochs x minibatch | {} x {} (Adam, learning rate {}) |\n\
             | final training loss | {:.4} |\n\
             | training accuracy | {:.2}% |\n\
             | **test accuracy** | **{:.2}%** ({} of {} wrong) |\n\
             | training time | {seconds:.1} s ({:.0} images/s) |\n",
            x_train.len(),
            x_test.len(),
            foundations::ParamsExt::num_params(&net.params()),
            args.epochs,
            args.batch,
            args.lr,
            losses.last().map_or(f64::NAN, |l| l.1),
            100.0 * final_train,
            100.0 * final_test,
            ((1.0 - final_test) * x_test.len() as f64).round(),
            x_test.len(),
            (args.epochs * x_train.len()) as f64 / seconds,
        );
        std::fs::write(path("pooling-results.md"), results)?;
        figures(&net, &losses, &train_acc, &test_acc, &x_test, &y_test, &log)?;
    }
    Ok(())
}

/// Tiles `maps` (each `h x w`) into a grid of `cols` columns with a
/// one-cell gap; each map is scaled to [0, 1] on its own (gaps are 0).
fn mosaic(maps: &[DMatrix<f64>], cols: usize) -> DMatrix<f64> {
    let (h, w) = maps[0].shape();
    let rows = maps.len().div_ceil(cols);
    let mut m = DMatrix::zeros(rows * (h + 1) - 1, cols * (w + 1) - 1);
    for (k, map) in maps.iter().enumerate() {
        let (r, c) = (k / cols, k % cols);
        let (lo, hi) = (map.min(), map.max());
        let span = if hi > lo { hi - lo } else { 1.0 };
        for i in 0..h {
            for j in 0..w {
                m[(r * (h + 1) + i, c * (w + 1) + j)] =
                    (map[(i, j)] - lo) / span;
            }
        }
    }
    m
}

fn path(name: &str) -> PathBuf {
    figure_path(env!("CARGO_MANIFEST_DIR"), name)
}

fn figures(
    net: &ConvNet,
    losses: &[(f64, f64)],
    train_acc: &[(f64, f64)],
    test_acc: &[(f64, f64)],
    x_test: &[Volume],
    y_test: &[usize],
    log: &str,
) -> Res<()> {
    line_chart(
        &path("pooling-loss.svg"),
        "ConvNet on the 8x8 digits: training loss",
        ("epoch", "mean cross-entropy (log scale)"),
        &[Series::new("training loss", losses.to_vec())],
        Scale::Log,
    )?;
    line_chart(
        &path("pooling-accuracy.svg"),
        "ConvNet on the 8x8 digits: accuracy",
        ("epoch", "accuracy (%)"),
        &[
            Series::new("train", train_acc.to_vec()),
            Series::new("test (held out)", test_acc.to_vec()),
        ],
        Scale::Linear,
    )?;

    // The first layer's filters, each 3x3, scaled on its own.
    let filters: Vec<DMatrix<f64>> =
        net.conv1.params.w.iter().map(|f| f.slice(0)).collect();
    heatmap(
        &path("pooling-filters.svg"),
        "Learned first-layer filters (3x3, each scaled to its own range)",
        &mosaic(&filters, 8),
        &[],
        &[],
    )?;

    // One test digit through the network.
    let one = std::slice::from_ref(&x_test[0]);
    let (_, cache) = net.forward(one, None);
    heatmap(
        &path("pooling-activations-input.svg"),
        &format!("Input: a test digit {} (8x8)", y_test[0]),
        &x_test[0].slice(0),
        &[],
        &[],
    )?;
    let stages: [(&str, &Volume, usize); 3] = [
        ("conv 1 + ReLU (16 maps, 6x6)", &cache.a1[0], 8),
        ("max-pool 1 (16 maps, 3x3)", &cache.p1[0], 8),
        ("conv 2 + ReLU (32 maps, 2x2)", &cache.a2[0], 16),
    ];
    for (k, (title, v, cols)) in stages.iter().enumerate() {
        heatmap(
            &path(&format!("pooling-activations-{}.svg", k + 1)),
            title,
            &mosaic(&v.slices(), *cols),
            &[],
            &[],
        )?;
    }

    // Confusion matrix on the test split: row = true class, column =
    // predicted.
    let predicted = net.predict(x_test);
    let mut confusion = DMatrix::zeros(10, 10);
    for (&p, &y) in predicted.iter().zip(y_test) {
        confusion[(y, p)] += 1.0;
    }
    let labels: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    heatmap(
        &path("pooling-confusion.svg"),
        "Test confusion matrix (row: true digit, column: predicted)",
        &confusion,
        &labels,
        &labels,
    )?;
    let mut table = String::from("| true \\ predicted |");
    for d in 0..10 {
        write!(table, " {d} |")?;
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(10));
    table.push('\n');
    for y in 0..10 {
        write!(table, "| **{y}** |")?;
        for p in 0..10 {
            write!(table, " {} |", confusion[(y, p)])?;
        }
        table.push('\n');
    }
    std::fs::write(path("pooling-confusion.md"), table)?;
    std::fs::write(path("pooling-training-log.txt"), log)?;
    Ok(())
}
