//! Captioning digits: the pooling crate's ConvNet is trained on the 8x8
//! digits, then held fixed; its feature map (flattened) is fed to a
//! character RNN decoder at the first step, which learns to write the
//! digit's English word ("seven") and `<END>`.
//!
//! `cargo run --release -p attention --features examples --example captions -- --seed 1`
//!
//! Reports the ConvNet's test accuracy, the decoder's exact-caption
//! accuracy on held-out digits with greedy decoding, beam search and
//! sampling; with `--figures` it writes `book/src/figures/attention-captions.md`,
//! the decoders' loss curves and the attention maps (without it, it only
//! prints).

use attention::captioning::{
    CaptionDecoder, Captioner, WORDS, caption_ids, caption_vocab,
};
use attention::decode::{beam_search, greedy, sample};
use attention::show_attend_tell::{SatDecoder, ShowAttendTell};
use clap::Parser;
use fc_and_conv::{Relu, Volume};
use foundations::figures::{Scale, Series, figure_path, heatmap, line_chart};
use foundations::optim::{Adam, Optimizer};
use foundations::{Mat, ensure_finite, rng};
use indicatif::ProgressBar;
use pooling::data::to_volumes;
use pooling::{ConvNet, ConvNetConfig};
use rand::seq::SliceRandom;
use std::fmt::Write as _;

/// Captioning digits, with and without attention over image regions.
#[derive(Parser, Debug)]
struct Args {
    /// Seed of the split and of the initial weights.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Epochs of the ConvNet (the image encoder).
    #[arg(long, default_value_t = 15)]
    cnn_epochs: usize,
    /// Epochs of each caption decoder.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// Write the figures and the table into book/src/figures (what
    /// `cargo course figures` passes); without it, only print.
    #[arg(long)]
    figures: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (seed, cnn_epochs, epochs) = (args.seed, args.cnn_epochs, args.epochs);
    let digits = datasets::Digits::load()?;
    let (train, test) = digits.split(0.8, seed);
    let (x_train, y_train) = to_volumes(&train);
    let (x_test, y_test) = to_volumes(&test);
    let mut r = rng(seed);

    // 1. The image encoder: train the ConvNet, then hold it fixed.
    let mut net = ConvNet::new(ConvNetConfig::default(), &mut r)?;
    let mut opt = Adam::new(2e-3);
    let mut order: Vec<usize> = (0..x_train.len()).collect();
    let bar = ProgressBar::new(cnn_epochs as u64);
    let mut step = 0;
    for _ in 0..cnn_epochs {
        order.shuffle(&mut r);
        for chunk in order.chunks(32) {
            let x: Vec<_> = chunk.iter().map(|&i| x_train[i].clone()).collect();
            let y: Vec<usize> = chunk.iter().map(|&i| y_train[i]).collect();
            net.train_step(&mut opt, &x, &y, step, &mut r)?;
            step += 1;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let pred = net.predict(&x_test);
    let cnn_acc = pred.iter().zip(&y_test).filter(|(a, b)| a == b).count()
        as f64
        / y_test.len() as f64;
    println!(
        "ConvNet (fixed from now on): test accuracy {:.1}%",
        100.0 * cnn_acc
    );
    let feats = |x: &[Volume]| -> Mat { features(&net, x) };
    let f_train = feats(&x_train);
    let f_test = feats(&x_test);

    // 2. The caption decoder on the fixed features.
    let vocab = caption_vocab();
    let mut cap = Captioner::new(f_train.nrows(), 64, vocab.len(), &mut r)?;
    let mut opt = Adam::new(5e-3);
    // batches of one caption length (3, 4 or 5 letters)
    let mut by_len: std::collections::BTreeMap<usize, Vec<usize>> =
        Default::default();
    for (i, &y) in y_train.iter().enumerate() {
        by_len.entry(WORDS[y].len()).or_default().push(i);
    }
    let mut losses = Vec::new();
    let bar = ProgressBar::new(epochs as u64);
    for epoch in 0..epochs {
        let mut batches = Vec::new();
        for ids in by_len.values_mut() {
            ids.shuffle(&mut r);
            batches.extend(ids.chunks(32).map(<[usize]>::to_vec));
        }
        batches.shuffle(&mut r);
        let mut total = 0.0;
        for ids in &batches {
            let v = Mat::from_fn(f_train.nrows(), ids.len(), |k, b| {
                f_train[(k, ids[b])]
            });
            let caps: Vec<Vec<usize>> =
                ids.iter().map(|&i| caption_ids(y_train[i])).collect();
            let (loss, g) = cap.loss_and_grads(&v, &caps);
            ensure_finite(loss, step)?;
            opt.step(&mut cap, &g);
            total += loss * ids.len() as f64;
            step += 1;
        }
        losses.push(((epoch + 1) as f64, total / y_train.len() as f64));
        bar.inc(1);
    }
    bar.finish_and_clear();

    // 3. Held-out digits: greedy, beam search, sampling.
    let mut ok = [0usize; 3];
    let mut sr = rng(seed + 7);
    let mut rows = String::new();
    for (i, &y) in y_test.iter().enumerate() {
        let v = f_test.columns(i, 1).into_owned();
        let dec = CaptionDecoder::new(&cap, &v);
        let want = caption_ids(y);
        let g = greedy(&dec, 8);
        let b = beam_search(&dec, 3, 8, 0.7);
        let s = sample(&dec, 8, 1.0, &mut sr);
        ok[0] += usize::from(g.tokens == want);
        ok[1] += usize::from(b[0].tokens == want);
        ok[2] += usize::from(s.tokens == want);
        if i < 10 {
            writeln!(
                rows,
                "| {y} | {} | {} | {} | {} |",
                WORDS[y],
                vocab.decode(&g.tokens)?,
                vocab.decode(&b[0].tokens)?,
                vocab.decode(&s.tokens)?
            )?;
        }
    }

    // 4. "Show, attend and tell": an LSTM (n = 64) reading the word
    // embedding (m = 16) and the attention output over the 3x3 regions of
    // the first pooled feature map (16 numbers per region), at every step.
    let r_train = regions(&net, &x_train);
    let r_test = regions(&net, &x_test);
    let k = r_train[0].nrows();
    let mut att = ShowAttendTell::new(k, 16, 64, vocab.len(), 32, &mut r)?;
    let mut opt = Adam::new(5e-3);
    let mut att_losses = Vec::new();
    let bar = ProgressBar::new(epochs as u64);
    for epoch in 0..epochs {
        let mut batches = Vec::new();
        for ids in by_len.values_mut() {
            ids.shuffle(&mut r);
            batches.extend(ids.chunks(32).map(<[usize]>::to_vec));
        }
        batches.shuffle(&mut r);
        let mut total = 0.0;
        for ids in &batches {
            let reg: Vec<Mat> =
                ids.iter().map(|&i| r_train[i].clone()).collect();
            let caps: Vec<Vec<usize>> =
                ids.iter().map(|&i| caption_ids(y_train[i])).collect();
            let (loss, cache) = att.forward(&reg, &caps);
            let g = att.backward(&cache);
            ensure_finite(loss, step)?;
            opt.step(&mut att, &g);
            total += loss * ids.len() as f64;
            step += 1;
        }
        att_losses.push(((epoch + 1) as f64, total / y_train.len() as f64));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut att_ok = [0usize; 2];
    for (i, &y) in y_test.iter().enumerate() {
        let dec = SatDecoder::new(&att, &r_test[i]);
        let want = caption_ids(y);
        att_ok[0] += usize::from(greedy(&dec, 8).tokens == want);
        att_ok[1] +=
            usize::from(beam_search(&dec, 3, 8, 0.7)[0].tokens == want);
    }
    let fig = |n: &str| figure_path(env!("CARGO_MANIFEST_DIR"), n);
    // where each character looked: the image, then one 3x3 map per
    // character (each scaled to its largest weight), upsampled to 8x8
    let shown: &[usize] = if args.figures { &[0, 1, 5] } else { &[] };
    for (j, &i) in shown.iter().enumerate() {
        let dec = SatDecoder::new(&att, &r_test[i]);
        let (toks, w) = dec.greedy_with_attention(8);
        let img = &test[i].pixels;
        let cols = 8 * (1 + toks.len());
        let m = Mat::from_fn(8, cols, |row, col| {
            let (panel, c) = (col / 8, col % 8);
            if panel == 0 {
                img[(row, c)]
            } else {
                let a = w.row(panel - 1);
                // the g x g grid of regions, stretched over 8 x 8 pixels
                let g = (w.ncols() as f64).sqrt() as usize;
                a[(row * g / 8) * g + c * g / 8] / a.max()
            }
        });
        let mut labels = vec![String::new(); cols];
        labels[0] = "image".into();
        for (t, &tok) in toks.iter().enumerate() {
            labels[8 * (t + 1) + 2] = vocab.token(tok)?;
        }
        heatmap(
            &fig(&format!("attention-captions-attend-{j}.svg")),
            &format!("a held-out {}: \"{}\"", y_test[i], vocab.decode(&toks)?),
            &m,
            &vec![String::new(); 8],
            &labels,
        )?;
    }
    let pct = |k: usize| 100.0 * k as f64 / y_test.len() as f64;
    let mut md = String::new();
    writeln!(md, "| held-out digits ({}) | exact caption |", y_test.len())?;
    writeln!(md, "|---|---:|")?;
    writeln!(
        md,
        "| ConvNet's own class prediction (for reference) | {:.1}% |",
        100.0 * cnn_acc
    )?;
    writeln!(md, "| caption, greedy | {:.1}% |", pct(ok[0]))?;
    writeln!(
        md,
        "| caption, beam search k = 3, α = 0.7 | {:.1}% |",
        pct(ok[1])
    )?;
    writeln!(md, "| caption, sampling τ = 1 | {:.1}% |", pct(ok[2]))?;
    writeln!(
        md,
        "| show, attend and tell (LSTM, 3x3 regions), greedy | {:.1}% |",
        pct(att_ok[0])
    )?;
    writeln!(
        md,
        "| show, attend and tell (LSTM, 3x3 regions), beam k = 3 | {:.1}% |",
        pct(att_ok[1])
    )?;
    writeln!(md)?;
    writeln!(md, "| label | caption | greedy | beam | sampled |")?;
    writeln!(md, "|---|---|---|---|---|")?;
    md.push_str(&rows);
    writeln!(
        md,
        "\n<small>Generated by `cargo run --release -p attention --features examples --example \
         captions -- --seed {seed} --epochs {epochs} --figures` (ConvNet {cnn_epochs} epochs, decoder \
         {epochs} epochs).</small>"
    )?;
    if args.figures {
        std::fs::write(fig("attention-captions.md"), &md)?;
        line_chart(
            &fig("attention-captions-loss.svg"),
            "Caption decoder: training loss per epoch (ConvNet fixed)",
            ("epoch", "mean loss per caption"),
            &[
                Series::new("features at the first step", losses),
                Series::new("show, attend and tell (LSTM)", att_losses),
            ],
            Scale::Log,
        )?;
    }
    print!("{md}");
    Ok(())
}

/// The flattened feature map of every image, as the columns of an
/// `F x B` matrix.
fn features(net: &ConvNet, x: &[Volume]) -> Mat {
    let maps = net.feature_maps(x);
    let cols: Vec<Mat> = maps.iter().map(|m| m.flatten()).collect();
    Mat::from_fn(cols[0].nrows(), cols.len(), |k, b| cols[b][k])
}

/// The first pooled feature map of every image (conv → ReLU → max-pool:
/// `K = 16` maps of 3x3) as a `K x R` matrix, `R = 9` regions in
/// row-major order.
fn regions(net: &ConvNet, x: &[Volume]) -> Vec<Mat> {
    let (h1, _) = net.conv1.forward(x);
    let (a1, _) = Relu.forward_volumes(&h1);
    let (p1, _) = net.pool1.forward(&a1);
    p1.iter()
        .map(|v| {
            let w = v.width();
            Mat::from_fn(v.depth(), v.height() * w, |d, r| v[(d, r / w, r % w)])
        })
        .collect()
}
