//! The PyTorch reference fixtures, read back: what every crate's
//! `tests/pytorch.rs` uses to compare the course's forward and backward with
//! PyTorch's autograd.
//!
//! `scripts/pytorch/reference.py` builds each layer in PyTorch (float64,
//! seeded inputs) and writes `crates/<crate>/tests/fixtures/<name>.json`:
//! metadata (`layer`, `note`, `torch`, `script`, `args`, `seed`) and
//! `tensors`, each `{"shape": [...], "data": [...]}` in row-major order and
//! PyTorch's layout (a batch is rows). Python writes each float as its
//! shortest round-trip decimal, so the `f64` read here is the one PyTorch
//! computed (serde_json with `float_roundtrip` reads it back exactly). The
//! module is part of foundations' `testing` feature, which every crate's
//! tests turn on; serde_json is built for the course CLI with the same
//! features, so a graded build reuses it.
//!
//! [`Agreement`] compares one fixture's quantities: the relative error of
//! each is `max|actual − expected| / max|expected|` (the largest
//! difference, relative to the largest entry), and a failure names the
//! quantity. Book: *Appendices → From this course to PyTorch*.

use crate::Mat;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The tolerance of every comparison: relative error at most `1e-12`.
pub const TOLERANCE: f64 = 1e-12;

/// One tensor of a fixture: its shape (PyTorch's) and its entries, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The sizes, outermost first (`T x B x D` for a sequence).
    pub shape: Vec<usize>,
    /// The entries, the last index moving fastest.
    pub data: Vec<f64>,
}

impl Tensor {
    /// The sub-tensor at index `i` of the first dimension (`x[t]`).
    ///
    /// # Panics
    /// When the tensor is 0-dimensional or `i` is out of range.
    pub fn index(&self, i: usize) -> Tensor {
        assert!(
            !self.shape.is_empty() && i < self.shape[0],
            "pytorch::Tensor::index: index {i} of a tensor of shape {:?}",
            self.shape
        );
        let inner: usize = self.shape[1..].iter().product();
        Tensor {
            shape: self.shape[1..].to_vec(),
            data: self.data[i * inner..(i + 1) * inner].to_vec(),
        }
    }

    /// The tensor as a matrix, rows and columns as PyTorch stores them: a
    /// 2-D tensor `r x c` is `r x c`; a 1-D tensor of `n` is a column
    /// `n x 1` (a bias); more dimensions are flattened into the columns
    /// (`K x C x F x F` becomes `K x (C·F·F)`).
    ///
    /// # Panics
    /// When the tensor is 0-dimensional.
    pub fn rows(&self) -> Mat {
        match self.shape.as_slice() {
            [] => panic!("pytorch::Tensor::rows: a 0-dimensional tensor"),
            [n] => Mat::from_column_slice(*n, 1, &self.data),
            [r, rest @ ..] => {
                let c = rest.iter().product();
                Mat::from_row_slice(*r, c, &self.data)
            }
        }
    }

    /// The course's layout of a batch: the transpose of [`Tensor::rows`]
    /// (PyTorch's `B x D` rows become `D x B` columns).
    pub fn cols(&self) -> Mat {
        self.rows().transpose()
    }
}

/// One fixture file: its metadata and named tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixture {
    /// The file's stem, `lstm` for `tests/fixtures/lstm.json`.
    pub name: String,
    /// The PyTorch module or function it records (`torch.nn.LSTM`).
    pub layer: String,
    /// What it computes, in the script's words.
    pub note: String,
    /// `torch.__version__` of the run that wrote it.
    pub torch: String,
    tensors: BTreeMap<String, Tensor>,
}

impl Fixture {
    /// Reads `<crate_dir>/tests/fixtures/<name>.json`; pass
    /// `env!("CARGO_MANIFEST_DIR")`.
    ///
    /// # Panics
    /// When the file is missing or not a fixture (the message says how to
    /// regenerate it).
    pub fn load(crate_dir: &str, name: &str) -> Fixture {
        let path = Path::new(crate_dir)
            .join("tests")
            .join("fixtures")
            .join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "pytorch::Fixture::load: cannot read {}: {e} (regenerate it \
                 with scripts/pytorch/reference.py --only …)",
                path.display()
            )
        });
        Fixture::parse(name, &text).unwrap_or_else(|e| {
            panic!("pytorch::Fixture::load: {}: {e}", path.display())
        })
    }

    /// A fixture from its JSON text.
    ///
    /// # Errors
    /// When the text is not JSON, or a tensor's data does not fill its
    /// shape.
    pub fn parse(name: &str, text: &str) -> Result<Fixture, String> {
        let json: Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let field = |k: &str| json[k].as_str().unwrap_or_default().to_string();
        let numbers = |v: &Value| -> Option<Vec<f64>> {
            v.as_array()?.iter().map(Value::as_f64).collect()
        };
        let Some(entries) = json["tensors"].as_object() else {
            return Err("no \"tensors\" object".into());
        };
        let mut tensors = BTreeMap::new();
        for (key, value) in entries {
            let shape: Vec<usize> = numbers(&value["shape"])
                .ok_or(format!("tensor {key}: no shape"))?
                .into_iter()
                .map(|v| v as usize)
                .collect();
            let data = numbers(&value["data"])
                .ok_or(format!("tensor {key}: no data"))?;
            let len: usize = shape.iter().product();
            if len != data.len() {
                return Err(format!(
                    "tensor {key}: shape {shape:?} needs {len} numbers, \
                     data has {}",
                    data.len()
                ));
            }
            tensors.insert(key.clone(), Tensor { shape, data });
        }
        Ok(Fixture {
            name: name.to_string(),
            layer: field("layer"),
            note: field("note"),
            torch: field("torch"),
            tensors,
        })
    }

    /// The tensor called `name`.
    ///
    /// # Panics
    /// When there is none (listing the names there are).
    pub fn tensor(&self, name: &str) -> &Tensor {
        self.tensors.get(name).unwrap_or_else(|| {
            panic!(
                "fixture {}: no tensor {name:?}; it has {:?}",
                self.name,
                self.tensors.keys().collect::<Vec<_>>()
            )
        })
    }

    /// [`Tensor::rows`] of `name`: a weight or a bias as PyTorch stores it.
    pub fn rows(&self, name: &str) -> Mat {
        self.tensor(name).rows()
    }

    /// [`Tensor::cols`] of `name`: a batch of rows as the course's columns.
    pub fn cols(&self, name: &str) -> Mat {
        self.tensor(name).cols()
    }

    /// A sequence `T x B x D` as `T` matrices `D x B` (the course's `x_t`).
    pub fn seq_cols(&self, name: &str) -> Vec<Mat> {
        let t = self.tensor(name);
        (0..t.shape[0]).map(|i| t.index(i).cols()).collect()
    }

    /// A one-number tensor.
    ///
    /// # Panics
    /// When `name` holds more than one number.
    pub fn scalar(&self, name: &str) -> f64 {
        let t = self.tensor(name);
        assert!(
            t.data.len() == 1,
            "fixture {}: {name} has shape {:?}, expected one number",
            self.name,
            t.shape
        );
        t.data[0]
    }
}

/// `max|actual − expected| / max|expected|` (`0` when both are zero, `∞`
/// when the shapes differ).
pub fn rel_error(actual: &Mat, expected: &Mat) -> f64 {
    if actual.shape() != expected.shape() {
        return f64::INFINITY;
    }
    let diff = (actual - expected).amax();
    let scale = expected.amax();
    if diff == 0.0 {
        0.0
    } else if scale == 0.0 {
        f64::INFINITY
    } else {
        diff / scale
    }
}

/// The comparisons of one fixture: every quantity's relative error.
#[derive(Debug, Clone)]
pub struct Agreement {
    /// The fixture's name.
    pub fixture: String,
    /// What the course was compared with: the fixture's PyTorch module,
    /// or a label set by [`Agreement::label`].
    pub layer: String,
    /// `(quantity, relative error, shapes if they differ)`, in the order
    /// checked.
    pub rows: Vec<(String, f64, Option<String>)>,
}

impl Agreement {
    /// An empty comparison against `fixture`.
    pub fn new(fixture: &Fixture) -> Agreement {
        Agreement {
            fixture: fixture.name.clone(),
            layer: fixture.layer.clone(),
            rows: Vec::new(),
        }
    }

    /// Names what is compared (the table's second column) when it is not
    /// the fixture's module itself, e.g. the module's weights mapped back.
    #[must_use]
    pub fn label(mut self, what: &str) -> Agreement {
        self.layer = what.to_string();
        self
    }

    /// Records the relative error of `quantity`.
    pub fn check(&mut self, quantity: &str, actual: &Mat, expected: &Mat) {
        let shapes = (actual.shape() != expected.shape()).then(|| {
            format!(
                "the course's is {}x{}, PyTorch's {}x{}",
                actual.nrows(),
                actual.ncols(),
                expected.nrows(),
                expected.ncols()
            )
        });
        self.rows.push((
            quantity.to_string(),
            rel_error(actual, expected),
            shapes,
        ));
    }

    /// Records a sequence (`h_t` for every `t`) as one quantity, relative to
    /// the largest entry of the whole sequence; the message names the worst
    /// step.
    pub fn check_seq(
        &mut self,
        quantity: &str,
        actual: &[Mat],
        expected: &[Mat],
    ) {
        if actual.len() != expected.len() {
            self.rows.push((
                quantity.to_string(),
                f64::INFINITY,
                Some(format!(
                    "the course has {} steps, PyTorch {}",
                    actual.len(),
                    expected.len()
                )),
            ));
            return;
        }
        let scale = expected.iter().map(Mat::amax).fold(0.0, f64::max);
        let mut worst = (0.0, 0);
        for (t, (a, e)) in actual.iter().zip(expected).enumerate() {
            if a.shape() != e.shape() {
                return self.check(&format!("{quantity}[t={t}]"), a, e);
            }
            let err = (a - e).amax() / scale;
            if err > worst.0 || (err.is_nan() && !worst.0.is_nan()) {
                worst = (err, t);
            }
        }
        let name = if worst.0 > TOLERANCE {
            format!("{quantity} (worst at index {})", worst.1)
        } else {
            quantity.to_string()
        };
        self.rows.push((name, worst.0, None));
    }

    /// The largest relative error recorded.
    pub fn max_error(&self) -> f64 {
        self.rows.iter().map(|r| r.1).fold(0.0, f64::max)
    }

    /// The quantity with the largest relative error.
    pub fn worst(&self) -> &str {
        self.rows
            .iter()
            .fold(
                None,
                |w: Option<&(String, f64, Option<String>)>, r| match w {
                    Some(w) if w.1 >= r.1 => Some(w),
                    _ => Some(r),
                },
            )
            .map_or("", |r| r.0.as_str())
    }

    /// `Ok` when every quantity is within [`TOLERANCE`]; else the list of
    /// those that are not, each named with its error.
    ///
    /// # Errors
    /// The quantities over the tolerance, one per line.
    pub fn result(&self) -> Result<(), String> {
        let bad: Vec<String> = self
            .rows
            .iter()
            .filter(|(_, e, _)| e.is_nan() || *e > TOLERANCE)
            .map(|(q, e, shapes)| match shapes {
                Some(s) => format!("  {q}: shapes differ ({s})"),
                None => {
                    format!("  {q}: relative error {e:.3e} > {TOLERANCE:e}")
                }
            })
            .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the course disagrees with PyTorch ({}, fixture {}):\n{}",
                self.layer,
                self.fixture,
                bad.join("\n")
            ))
        }
    }

    /// Panics with [`Agreement::result`]'s message unless every quantity
    /// agrees.
    ///
    /// # Panics
    /// When a quantity's relative error exceeds [`TOLERANCE`].
    pub fn assert(&self) {
        if let Err(e) = self.result() {
            panic!("{e}");
        }
    }
}

/// The measured agreement of a crate as a Markdown table, one row per
/// fixture: what the book's appendix includes.
pub fn agreement_table(agreements: &[Agreement]) -> String {
    let mut s = String::from(
        "| fixture | compared with | quantities | max relative error | worst quantity |\n\
         |---|---|---|---|---|\n",
    );
    for a in agreements {
        let _ = writeln!(
            s,
            "{} {:.1e} | `{}` |",
            row_prefix(a),
            a.max_error(),
            a.worst()
        );
    }
    s
}

/// Where a crate's measured agreement is committed:
/// `book/src/appendix/pytorch-agreement/<crate>.md`, which the appendix
/// includes (`None` outside the repository).
pub fn agreement_path(crate_dir: &str, crate_name: &str) -> Option<PathBuf> {
    Path::new(crate_dir)
        .ancestors()
        .find(|p| p.join("book").join("book.toml").exists())
        .map(|root| {
            root.join("book/src/appendix/pytorch-agreement")
                .join(format!("{crate_name}.md"))
        })
}

fn row_prefix(a: &Agreement) -> String {
    format!("| `{}` | {} | {} |", a.fixture, a.layer, a.rows.len())
}

/// The committed table of measured agreement, kept honest. When the
/// environment variable `PYTORCH_AGREEMENT` is `write`, writes
/// [`agreement_table`] to [`agreement_path`] (tests touch no file of the
/// repository otherwise). Without it, checks that the committed table lists
/// exactly these comparisons (fixture, what it is compared with, number of
/// quantities) and that every error it records is within [`TOLERANCE`].
///
/// # Panics
/// When the committed table is missing, stale or records an error over the
/// tolerance (the message gives the command that rewrites it).
pub fn record_agreement(
    crate_dir: &str,
    crate_name: &str,
    agreements: &[Agreement],
) {
    let Some(path) = agreement_path(crate_dir, crate_name) else {
        return;
    };
    let command = format!(
        "PYTORCH_AGREEMENT=write cargo test -p {crate_name} --test pytorch"
    );
    if std::env::var("PYTORCH_AGREEMENT").as_deref() == Ok("write") {
        let text = format!(
            "<!-- written by `{command}`; do not edit -->\n{}",
            agreement_table(agreements)
        );
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))
            .and_then(|()| std::fs::write(&path, text))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let stale = |why: String| -> ! {
        panic!("{}: {why}; rewrite it with `{command}`", path.display())
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| stale(format!("cannot read it ({e})")));
    let rows: Vec<&str> =
        text.lines().filter(|l| l.starts_with("| `")).collect();
    if rows.len() != agreements.len() {
        stale(format!(
            "{} rows, the tests make {} comparisons",
            rows.len(),
            agreements.len()
        ));
    }
    for (row, a) in rows.iter().zip(agreements) {
        if !row.starts_with(&row_prefix(a)) {
            stale(format!("row {row:?} is not {:?}", row_prefix(a)));
        }
        let err = row
            .split('|')
            .nth(4)
            .map(str::trim)
            .and_then(|e| e.parse::<f64>().ok());
        if !err.is_some_and(|e| e <= TOLERANCE) {
            stale(format!("row {row:?} records an error over {TOLERANCE:e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{"layer":"torch.nn.Linear","note":"a \"note\" \u221a",
        "torch":"2.15.0","args":[],"seed":19,"flag":true,"none":null,
        "tensors":{"w":{"shape":[2,3],"data":[1,2,3,4,5,6.5e-1]},
                   "b":{"shape":[2],"data":[-0.0,1e-300]},
                   "x":{"shape":[2,1,2],"data":[0.1,0.2,0.30000000000000004,4]}}}"#;

    #[test]
    fn parses_fixture_layouts_and_exact_floats() {
        let f = Fixture::parse("t", TEXT).unwrap();
        assert_eq!(f.layer, "torch.nn.Linear");
        assert_eq!(f.note, "a \"note\" √");
        assert_eq!(
            f.rows("w"),
            Mat::from_row_slice(2, 3, &[1., 2., 3., 4., 5., 0.65])
        );
        assert_eq!(f.cols("w"), f.rows("w").transpose());
        assert_eq!(f.rows("b").shape(), (2, 1));
        assert_eq!(f.tensor("b").data[1], 1e-300);
        let xs = f.seq_cols("x");
        assert_eq!(xs.len(), 2);
        assert_eq!(xs[1], Mat::from_column_slice(2, 1, &[0.1 + 0.2, 4.0]));
    }

    #[test]
    fn rejects_bad_json_and_short_data() {
        assert!(Fixture::parse("t", "{\"tensors\":{}").is_err());
        let short = r#"{"tensors":{"w":{"shape":[2,2],"data":[1,2,3]}}}"#;
        let e = Fixture::parse("t", short).unwrap_err();
        assert!(e.contains("tensor w: shape [2, 2] needs 4 numbers"), "{e}");
    }

    #[test]
    fn agreement_names_the_quantity_that_disagrees() {
        let f = Fixture::parse("t", TEXT).unwrap();
        let w = f.rows("w");
        let mut a = Agreement::new(&f);
        a.check("w", &w, &w);
        a.check("w_off", &w.map(|v| v * (1.0 + 1e-9)), &w);
        a.check("w_shape", &w.transpose(), &w);
        let e = a.result().unwrap_err();
        assert!(!e.contains("  w:"), "{e}");
        assert!(e.contains("w_off: relative error 1.000e-9"), "{e}");
        assert!(
            e.contains("w_shape: shapes differ (the course's is 3x2"),
            "{e}"
        );
        let mut ok = Agreement::new(&f);
        ok.check_seq("h", &[w.clone(), w.clone()], &[w.clone(), w.clone()]);
        assert!(ok.result().is_ok());
        ok.check_seq("h2", &[w.clone(), w.map(|v| v + 1.0)], &[w.clone(), w]);
        assert!(ok.result().unwrap_err().contains("h2 (worst at index 1)"));
    }

    #[test]
    fn a_stale_agreement_table_fails_with_the_command_that_rewrites_it() {
        if std::env::var("PYTORCH_AGREEMENT").as_deref() == Ok("write") {
            return; // this run rewrites tables instead of checking them
        }
        let root = std::env::temp_dir()
            .join(format!("pytorch-table-{}", std::process::id()));
        let krate = root.join("crates").join("toy");
        std::fs::create_dir_all(&krate).unwrap();
        std::fs::create_dir_all(
            root.join("book/src/appendix/pytorch-agreement"),
        )
        .unwrap();
        std::fs::write(root.join("book/book.toml"), "").unwrap();
        let f = Fixture::parse("t", TEXT).unwrap();
        let mut a = Agreement::new(&f);
        a.check("w", &f.rows("w"), &f.rows("w"));
        let table = root.join("book/src/appendix/pytorch-agreement/toy.md");
        let dir = krate.to_str().unwrap().to_string();
        let check = |text: String| {
            std::fs::write(&table, text).unwrap();
            let (dir, a) = (dir.clone(), a.clone());
            std::panic::catch_unwind(move || {
                record_agreement(&dir, "toy", &[a])
            })
        };
        assert!(check(agreement_table(std::slice::from_ref(&a))).is_ok());
        let stale =
            agreement_table(std::slice::from_ref(&a)).replace("| 1 |", "| 2 |");
        let e = check(stale).unwrap_err();
        let msg = e.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains(
                "rewrite it with `PYTORCH_AGREEMENT=write cargo test -p toy"
            ),
            "{msg}"
        );
        let over = agreement_table(std::slice::from_ref(&a))
            .replace("0.0e0", "2.0e-12");
        assert!(check(over).is_err());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
