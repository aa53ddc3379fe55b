//! Activation maps of four hand-set edge filters on a real handwritten
//! digit from the bundled data, computed by the engine (`Conv::forward`),
//! drawn as one SVG: the digit and the filters on top, each filter's map
//! (before and after ReLU) below it.
//!
//! `cargo run --release -p fc-and-conv --features examples --example activation_maps -- --index 0`
//! prints each map's range; with `--figures` it also draws
//! `book/src/figures/fc-and-conv-activation-maps.svg`.

use clap::Parser;
use datasets::Digits;
use fc_and_conv::{Conv, ConvParams, Padding, Relu, Shape, Volume};
use foundations::DMatrix;
use foundations::figures::figure_path;
use plotters::prelude::*;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, Parser)]
struct Args {
    /// Which digit of the bundled data to convolve.
    #[arg(long, default_value_t = 0)]
    index: usize,
    /// Draw the SVG into book/src/figures.
    #[arg(long)]
    figures: bool,
}

/// Sobel-style 3x3 edge filters (Sobel & Feldman 1968), named for the edge
/// they respond to.
fn filters() -> Vec<(&'static str, DMatrix<f64>)> {
    let m = |v: [f64; 9]| DMatrix::from_row_slice(3, 3, &v);
    vec![
        (
            "vertical edge",
            m([-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0]),
        ),
        (
            "horizontal edge",
            m([-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0]),
        ),
        (
            "diagonal ↘",
            m([0.0, 1.0, 2.0, -1.0, 0.0, 1.0, -2.0, -1.0, 0.0]),
        ),
        (
            "diagonal ↙",
            m([2.0, 1.0, 0.0, 1.0, 0.0, -1.0, 0.0, -1.0, -2.0]),
        ),
    ]
}

/// White at 0, red for positive, blue for negative, scaled by `scale`.
fn signed(v: f64, scale: f64) -> RGBColor {
    let t = (v / scale).clamp(-1.0, 1.0);
    let fade = |t: f64| (255.0 * (1.0 - t)) as u8;
    if t >= 0.0 {
        RGBColor(255, fade(0.85 * t), fade(0.85 * t))
    } else {
        RGBColor(fade(-0.85 * t), fade(-0.6 * t), 255)
    }
}

fn grey(v: f64) -> RGBColor {
    let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
    RGBColor(g, g, g)
}

/// Draws `m` with its top-left corner at `(x, y)`, `cell` pixels a pixel.
fn draw_matrix(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    m: &DMatrix<f64>,
    (x, y): (i32, i32),
    cell: i32,
    color: impl Fn(f64) -> RGBColor,
) -> Res<()> {
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            let (x0, y0) = (x + j as i32 * cell, y + i as i32 * cell);
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + cell, y0 + cell)],
                color(m[(i, j)]).filled(),
            ))?;
        }
    }
    let (w, h) = (m.ncols() as i32 * cell, m.nrows() as i32 * cell);
    area.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        BLACK.stroke_width(1),
    ))?;
    Ok(())
}

fn main() -> Res<()> {
    let args = Args::parse();
    let index = args.index;
    let digits = Digits::load()?;
    let digit = digits.images.get(index).ok_or("no such image")?;
    let image = Volume::from_image(&digit.pixels); // 1 x 8 x 8

    let named = filters();
    let params = ConvParams {
        w: named.iter().map(|(_, f)| Volume::from_image(f)).collect(),
        b: DMatrix::zeros(named.len(), 1),
    };
    // SAME padding keeps the 8x8 size, so each map lines up with the digit.
    let conv = Conv::from_params(image.shape(), params, 1, Padding::Same)?;
    assert_eq!(conv.output_shape(), Shape::new(4, 8, 8));
    let (maps, _) = conv.forward(std::slice::from_ref(&image));
    let (rectified, _) = Relu.forward_volumes(&maps);
    for k in 0..4 {
        let m = maps[0].slice(k);
        println!(
            "filter {k} ({}): min {:.3}, max {:.3}",
            named[k].0,
            m.min(),
            m.max()
        );
    }
    if args.figures {
        let title = format!(
            "Digit #{index} (label {}) and four 3x3 edge filters, stride 1, SAME padding",
            digit.label
        );
        let path = figure_path(
            env!("CARGO_MANIFEST_DIR"),
            "fc-and-conv-activation-maps.svg",
        );
        draw(&path, &title, &digit.pixels, &named, &maps, &rectified)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The digit, the filters, their maps and the maps after ReLU, as one SVG.
fn draw(
    path: &std::path::Path,
    title: &str,
    pixels: &DMatrix<f64>,
    named: &[(&str, DMatrix<f64>)],
    maps: &[Volume],
    rectified: &[Volume],
) -> Res<()> {
    let scale = maps[0].as_matrix().amax().max(1e-12);
    let (cell, gap, panel) = (18, 36, 8 * 18);
    let width = 40 + 5 * (panel + gap);
    let height = 3 * (panel + 60) + 40;
    let root = SVGBackend::new(path, (width as u32, height as u32))
        .into_drawing_area();
    root.fill(&WHITE)?;
    let font = ("sans-serif", 14).into_font();
    root.draw(&Text::new(title, (20, 8), ("sans-serif", 16).into_font()))?;
    let col_x = |c: i32| 20 + c * (panel + gap);
    let row_y = |r: i32| 50 + r * (panel + 60);

    root.draw(&Text::new(
        "input 1x8x8",
        (col_x(0), row_y(0) - 18),
        font.clone(),
    ))?;
    draw_matrix(&root, pixels, (col_x(0), row_y(0)), cell, grey)?;
    root.draw(&Text::new(
        "activation map",
        (col_x(0), row_y(1) + 50),
        font.clone(),
    ))?;
    root.draw(&Text::new(
        "after ReLU",
        (col_x(0), row_y(2) + 50),
        font.clone(),
    ))?;
    for (k, (name, f)) in named.iter().enumerate() {
        let x = col_x(k as i32 + 1);
        root.draw(&Text::new(
            format!("filter {k}: {name}"),
            (x, row_y(0) - 18),
            font.clone(),
        ))?;
        draw_matrix(
            &root,
            f,
            (x + 2 * cell, row_y(0) + 2 * cell),
            2 * cell,
            |v| signed(v, 2.0),
        )?;
        draw_matrix(&root, &maps[0].slice(k), (x, row_y(1)), cell, |v| {
            signed(v, scale)
        })?;
        draw_matrix(&root, &rectified[0].slice(k), (x, row_y(2)), cell, |v| {
            signed(v, scale)
        })?;
    }
    root.draw(&Text::new(
        format!("red > 0, blue < 0; maps share one scale (±{scale:.2})"),
        (20, height - 22),
        font,
    ))?;
    root.present()?;
    Ok(())
}
