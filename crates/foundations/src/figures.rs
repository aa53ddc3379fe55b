//! SVG figures from real runs (plotters, SVG backend only, so no system
//! fonts or image libraries are needed). Examples write into
//! `book/src/figures/`; `cargo course figures` remakes them all.

use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// `book/src/figures/<name>` from the workspace root, wherever the example
/// runs from (`CARGO_MANIFEST_DIR` of a crate is `crates/<name>`).
pub fn figure_path(crate_dir: &str, name: &str) -> PathBuf {
    let root = Path::new(crate_dir)
        .ancestors()
        .find(|p| p.join("book").join("book.toml").exists())
        .unwrap_or_else(|| Path::new("."));
    root.join("book").join("src").join("figures").join(name)
}

/// Runs a numpy reference, `python3 script args…`, with one BLAS thread (as
/// the Rust code it is compared with uses one core), echoes and returns
/// what it printed: the speed examples' shared set-up.
///
/// # Errors
/// [`crate::Error::Data`] when python3 cannot be started or the script
/// fails (numpy missing, say), with its error output.
pub fn run_numpy(
    script: &str,
    args: &[String],
) -> Result<String, crate::Error> {
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(args)
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .output()
        .map_err(|e| crate::Error::Data(format!("cannot run python3: {e}")))?;
    if !out.status.success() {
        return Err(crate::Error::Data(format!(
            "the numpy reference {script} failed (is numpy installed? \
             `pip install numpy`): {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{}", text.trim());
    Ok(text)
}

/// One named line of `(x, y)` points.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from a label and points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
        }
    }
}

/// Axis scale for the y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Linear.
    Linear,
    /// Base-10 logarithmic (every y must be > 0).
    Log,
}

type PlotResult = Result<(), Box<dyn std::error::Error>>;

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A line chart of `series` written as SVG to `path`.
///
/// # Errors
/// When the file cannot be written or there are no points.
pub fn line_chart(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    series: &[Series],
    scale: Scale,
) -> PlotResult {
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return Err("line_chart: no points".into());
    }
    if x1 == x0 {
        x1 = x0 + 1.0;
    }
    if y1 == y0 {
        y1 = y0 + 1.0;
    }
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    // a log axis labels its ticks as powers of ten (1e-9), never as
    // 0.0000000010000000002
    let log_fmt = |v: &f64| format!("{v:.0e}");
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            let mut mesh = chart.configure_mesh();
            mesh.x_desc(x_label)
                .y_desc(y_label)
                .light_line_style(WHITE.mix(0.0));
            if scale == Scale::Log {
                mesh.y_label_formatter(&log_fmt);
            }
            mesh.draw()?;
            for (k, s) in series.iter().enumerate() {
                let c = COLORS[k % COLORS.len()];
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().copied(),
                        c.stroke_width(2),
                    ))?
                    .label(s.label.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(
                            [(x, y), (x + 18, y)],
                            c.stroke_width(2),
                        )
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }};
    }
    match scale {
        Scale::Linear => {
            let pad = 0.05 * (y1 - y0);
            draw!(builder.build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?)
        }
        Scale::Log => {
            if y0 <= 0.0 {
                return Err("line_chart: log scale needs y > 0".into());
            }
            draw!(builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?)
        }
    }
    root.present()?;
    Ok(())
}

/// A heat map of `values` (rows x cols, row 0 at the top), white for the
/// smallest value and dark blue for the largest, with optional labels.
///
/// # Errors
/// When the file cannot be written.
pub fn heatmap(
    path: &Path,
    title: &str,
    values: &nalgebra::DMatrix<f64>,
    row_labels: &[String],
    col_labels: &[String],
) -> PlotResult {
    let (rows, cols) = values.shape();
    let lo = values.min();
    let hi = values.max();
    let span = if hi > lo { hi - lo } else { 1.0 };
    let cell = (24u32).min(640 / cols.max(1) as u32).max(4);
    let w = 90 + cell * cols as u32 + 20;
    let h = 60 + cell * rows as u32 + 60;
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 16))?;
    let (lx, ty) = (80i32, 10i32);
    for i in 0..rows {
        for j in 0..cols {
            let t = (values[(i, j)] - lo) / span;
            let c = RGBColor(
                (255.0 * (1.0 - 0.85 * t)) as u8,
                (255.0 * (1.0 - 0.7 * t)) as u8,
                (255.0 * (1.0 - 0.35 * t)) as u8,
            );
            let x = lx + (j as i32) * cell as i32;
            let y = ty + (i as i32) * cell as i32;
            root.draw(&Rectangle::new(
                [(x, y), (x + cell as i32, y + cell as i32)],
                c.filled(),
            ))?;
        }
    }
    let font = ("sans-serif", 12).into_font();
    for (i, l) in row_labels.iter().enumerate().take(rows) {
        let y = ty + (i as i32) * cell as i32 + cell as i32 / 2 + 4;
        root.draw(&Text::new(l.clone(), (4, y), font.clone()))?;
    }
    for (j, l) in col_labels.iter().enumerate().take(cols) {
        let x = lx + (j as i32) * cell as i32 + 2;
        let y = ty + (rows as i32) * cell as i32 + 14;
        root.draw(&Text::new(l.clone(), (x, y), font.clone()))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_svg_files_with_their_titles() {
        let dir = std::env::temp_dir().join("foundations-figures-test");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("line.svg");
        let s = Series::new("a", vec![(0.0, 1.0), (1.0, 0.1), (2.0, 0.01)]);
        line_chart(
            &p,
            "decay",
            ("t", "y"),
            std::slice::from_ref(&s),
            Scale::Log,
        )
        .unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("decay"));
        line_chart(&p, "lin", ("t", "y"), &[s], Scale::Linear).unwrap();
        let m = nalgebra::DMatrix::from_fn(3, 4, |i, j| (i * j) as f64);
        let labels: Vec<String> = (0..4).map(|i| i.to_string()).collect();
        heatmap(&dir.join("heat.svg"), "heat", &m, &labels, &labels).unwrap();
        assert!(
            std::fs::read_to_string(dir.join("heat.svg"))
                .unwrap()
                .contains("<rect")
        );
    }

    #[test]
    fn empty_series_is_an_error() {
        let p = std::env::temp_dir().join("foundations-empty.svg");
        assert!(line_chart(&p, "x", ("a", "b"), &[], Scale::Linear).is_err());
    }
}
