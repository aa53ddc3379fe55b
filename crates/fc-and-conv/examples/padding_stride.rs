//! Padding and stride along one axis, drawn from the engine's own geometry
//! (`Axis::new` and `Axis::input_index`, the functions the convolution and
//! pooling layers index with): for each case the padded row of pixels, and
//! under it one bar per window position, covering the cells that window
//! reads. Each case's output size is checked against a real `Conv` built
//! with the same settings.
//!
//! `cargo run --release -p fc-and-conv --features examples --example padding_stride` prints the
//! windows as text (`·` for a zero of the padding); with `--figures` it also draws
//! `book/src/figures/fc-and-conv-padding-stride.svg`.

use clap::Parser;
use fc_and_conv::{Axis, Conv, ConvParams, Padding, Shape, Volume};
use foundations::DMatrix;
use foundations::figures::figure_path;
use plotters::prelude::*;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, Parser)]
struct Args {
    /// Draw the SVG into book/src/figures.
    #[arg(long)]
    figures: bool,
}

/// One case: `N`, `F`, `S` and the padding.
struct Case {
    n: usize,
    f: usize,
    s: usize,
    padding: Padding,
}

impl Case {
    fn title(&self, axis: &Result<Axis, foundations::Error>) -> String {
        let p = match self.padding {
            Padding::Explicit(p) => format!("P = {p}"),
            Padding::Same => "SAME".to_string(),
        };
        let (n, f, s) = (self.n, self.f, self.s);
        match axis {
            Ok(a) => format!(
                "N = {n}, F = {f}, S = {s}, {p}: {} + {} zeros, {} outputs",
                a.pad_before, a.pad_after, a.out
            ),
            Err(_) => format!(
                "N = {n}, F = {f}, S = {s}, {p}: does not tile, an error"
            ),
        }
    }
}

const CASES: [Case; 5] = [
    Case {
        n: 7,
        f: 3,
        s: 1,
        padding: Padding::VALID,
    },
    Case {
        n: 7,
        f: 3,
        s: 2,
        padding: Padding::VALID,
    },
    Case {
        n: 7,
        f: 3,
        s: 3,
        padding: Padding::VALID,
    },
    Case {
        n: 7,
        f: 3,
        s: 1,
        padding: Padding::Explicit(1),
    },
    Case {
        n: 7,
        f: 4,
        s: 1,
        padding: Padding::Same,
    },
];

/// The cells window `o` reads, as positions in the padded row (`0` is its
/// first cell), each with the pixel it is (`None` for a zero of the
/// padding): from `Axis::input_index`, the engine's indexing.
// ANCHOR: window
fn window(a: &Axis, o: usize) -> Vec<(usize, Option<usize>)> {
    (0..a.f)
        .map(|u| (o * a.s + u, a.input_index(o, u)))
        .collect()
}
// ANCHOR_END: window

/// The output width of a real convolution with these settings, on a
/// `1 x N x N` input with one `F x F` filter.
fn conv_width(c: &Case) -> Res<usize> {
    let params = ConvParams {
        w: vec![Volume::zeros(Shape::new(1, c.f, c.f))],
        b: DMatrix::zeros(1, 1),
    };
    let conv =
        Conv::from_params(Shape::new(1, c.n, c.n), params, c.s, c.padding)?;
    Ok(conv.output_shape().width)
}

fn main() -> Res<()> {
    let args = Args::parse();
    let axes: Vec<_> = CASES
        .iter()
        .map(|c| Axis::new("conv", "width", c.n, c.f, c.s, c.padding))
        .collect();
    for (c, a) in CASES.iter().zip(&axes) {
        println!("{}", c.title(a));
        match a {
            Ok(a) => {
                assert_eq!(conv_width(c)?, a.out, "Conv and Axis disagree");
                for o in 0..a.out {
                    let cells: Vec<String> = window(a, o)
                        .iter()
                        .map(|(_, i)| i.map_or("·".into(), |i| i.to_string()))
                        .collect();
                    println!("  output {o} reads [{}]", cells.join(" "));
                }
            }
            Err(e) => {
                assert!(conv_width(c).is_err(), "Conv accepted it");
                println!("  {e}");
            }
        }
    }
    if args.figures {
        let path = figure_path(
            env!("CARGO_MANIFEST_DIR"),
            "fc-and-conv-padding-stride.svg",
        );
        draw(&path, &axes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

const CELL: i32 = 30;
const BAR: i32 = 12;
const LEFT: i32 = 20;

/// Every case as a panel: the padded row, then one bar per window.
fn draw(
    path: &std::path::Path,
    axes: &[Result<Axis, foundations::Error>],
) -> Res<()> {
    // rows of bars per panel: the outputs, or the windows tried on error
    let tried = |c: &Case| (c.n - c.f) / c.s + 2;
    let bars: Vec<i32> = CASES
        .iter()
        .zip(axes)
        .map(|(c, a)| a.as_ref().map_or(tried(c), |a| a.out) as i32)
        .collect();
    let panel = |k: usize| 26 + CELL + 8 + bars[k] * (BAR + 4) + 22;
    let height = 60 + (0..CASES.len()).map(panel).sum::<i32>();
    let width = LEFT * 2 + 11 * CELL + 160;
    let root = SVGBackend::new(path, (width as u32, height as u32))
        .into_drawing_area();
    root.fill(&WHITE)?;
    let font = ("sans-serif", 14).into_font();
    let small = ("sans-serif", 12).into_font();
    root.draw(&Text::new(
        "Padding and stride along one axis, from fc_and_conv::Axis",
        (LEFT, 10),
        font.clone(),
    ))?;
    root.draw(&Text::new(
        "pixels 0..N−1; grey: zeros of the padding; one bar per window \
         position (pale: it reads a zero)",
        (LEFT, 30),
        small.clone(),
    ))?;
    let palette = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
    ];
    let mut y = 60;
    for (k, (c, a)) in CASES.iter().zip(axes).enumerate() {
        root.draw(&Text::new(c.title(a), (LEFT, y), font.clone()))?;
        let top = y + 22;
        let (before, after) =
            a.as_ref().map_or((0, 0), |a| (a.pad_before, a.pad_after));
        // the padded row: zeros, the N pixels, zeros
        for q in 0..before + c.n + after {
            let x = LEFT + q as i32 * CELL;
            let real = q >= before && q < before + c.n;
            let fill = if real { WHITE } else { RGBColor(200, 200, 200) };
            root.draw(&Rectangle::new(
                [(x, top), (x + CELL, top + CELL)],
                fill.filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(x, top), (x + CELL, top + CELL)],
                BLACK.stroke_width(1),
            ))?;
            if real {
                let label = (q - before).to_string();
                root.draw(&Text::new(label, (x + 11, top + 9), small.clone()))?;
            }
        }
        // the windows
        for o in 0..bars[k] as usize {
            let by = top + CELL + 8 + o as i32 * (BAR + 4);
            let color = palette[o % palette.len()];
            let cells: Vec<(usize, bool)> = match a {
                Ok(a) => window(a, o)
                    .into_iter()
                    .map(|(q, i)| (q, i.is_some()))
                    .collect(),
                // on error, the windows the stride would try: the last one
                // hangs over the edge
                Err(_) => {
                    (0..c.f).map(|u| (o * c.s + u, o * c.s + u < c.n)).collect()
                }
            };
            for (q, inside) in cells {
                let x = LEFT + q as i32 * CELL;
                let style = if inside {
                    color.filled()
                } else if a.is_ok() {
                    color.mix(0.35).filled() // reads a zero of the padding
                } else {
                    RED.mix(0.25).filled() // past the edge: no pixel there
                };
                root.draw(&Rectangle::new(
                    [(x + 1, by), (x + CELL - 1, by + BAR)],
                    style,
                ))?;
            }
            let x_end =
                LEFT + (before + c.n + after).max(o * c.s + c.f) as i32 * CELL;
            let note = match a {
                Ok(_) => format!("output {o}"),
                Err(_) if o * c.s + c.f > c.n => "past the edge".into(),
                Err(_) => format!("window {o}"),
            };
            root.draw(&Text::new(note, (x_end + 10, by), small.clone()))?;
        }
        y += panel(k);
    }
    root.present()?;
    Ok(())
}
