//! How the entries of a parameter are laid out, in the lecture's words, so
//! a gradient report names an entry the way the slides do: the LSTM's
//! stacked `W` by gate and unit (`row 9 = gate g, unit 0`), a volume by
//! (channel, row, column), a per-step quantity by its time step, a
//! multi-head projection by head.
//!
//! A layer gives the layouts of its parameters through
//! [`Params::layouts`](crate::Params::layouts); every gradient check uses
//! them. Book: *Foundations → Checking gradients*.

use crate::params::{Params, join, visit_child, visit_child_mut};
use nalgebra::DMatrix;
use std::collections::HashMap;
use std::ops::Range;

/// One axis (the rows or the columns) of a parameter matrix.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Axis {
    /// A plain index: nothing to add to `(i, j)`.
    #[default]
    Index,
    /// Every index is one `label`: `channel 1`, `head 0`; a one-letter
    /// label reads `t = 3`.
    Label(String),
    /// Equal blocks stacked in order, each named: the LSTM's `4n` rows are
    /// `label` = `gate`, names `i, f, o, g`, `inner` = `unit` →
    /// `gate g, unit 0`.
    Blocks {
        /// What a block is (`gate`, `head`).
        label: String,
        /// The blocks' names, first to last.
        names: Vec<String>,
        /// What an index inside a block is (`unit`, `row`).
        inner: String,
    },
    /// Named parts of any sizes, in order: `[h_prev; x]` → `x[0]`.
    Parts(Vec<(String, usize)>),
    /// Mixed radix, slowest first: `[(row, H), (column, W)]` →
    /// `row 4, column 2` (a volume's `i·W + j`).
    Grid(Vec<(String, usize)>),
}

impl Axis {
    /// `label k`, or `t = k` for a one-letter label.
    pub fn label(label: &str) -> Self {
        Axis::Label(label.to_string())
    }

    /// Equal blocks named `names`: `Axis::blocks("gate", &["i", "f", "o",
    /// "g"], "unit")`.
    pub fn blocks(label: &str, names: &[&str], inner: &str) -> Self {
        Axis::Blocks {
            label: label.to_string(),
            names: names.iter().map(|s| s.to_string()).collect(),
            inner: inner.to_string(),
        }
    }

    /// `h` equal blocks `head 0`, `head 1`, … with `inner` inside.
    pub fn heads(h: usize, inner: &str) -> Self {
        let names: Vec<String> = (0..h).map(|k| k.to_string()).collect();
        Axis::Blocks {
            label: "head".into(),
            names,
            inner: inner.to_string(),
        }
    }

    /// Named parts of the given sizes: `Axis::parts(&[("h_prev", n), ("x",
    /// d)])`.
    pub fn parts(parts: &[(&str, usize)]) -> Self {
        Axis::Parts(parts.iter().map(|(s, n)| (s.to_string(), *n)).collect())
    }

    /// Mixed radix, slowest first: `Axis::grid(&[("row", h), ("column",
    /// w)])`.
    pub fn grid(dims: &[(&str, usize)]) -> Self {
        Axis::Grid(dims.iter().map(|(s, n)| (s.to_string(), *n)).collect())
    }

    /// The name of index `k` on an axis of `len` entries (`None` for a
    /// plain index, or when `k` falls outside what the layout describes).
    pub fn name(&self, k: usize, len: usize) -> Option<String> {
        match self {
            Axis::Index => None,
            Axis::Label(l) if l.chars().count() == 1 => {
                Some(format!("{l} = {k}"))
            }
            Axis::Label(l) => Some(format!("{l} {k}")),
            Axis::Blocks { .. } | Axis::Parts(_) => {
                let (name, range) = self
                    .segments(len)
                    .into_iter()
                    .find(|s| s.1.contains(&k))?;
                Some(self.inside(&name, k - range.start))
            }
            Axis::Grid(dims) => {
                let mut rest = k;
                let mut out = Vec::new();
                for (i, (name, _)) in dims.iter().enumerate() {
                    let below: usize =
                        dims[i + 1..].iter().map(|d| d.1).product();
                    out.push(format!("{name} {}", rest / below.max(1)));
                    rest %= below.max(1);
                }
                Some(out.join(", "))
            }
        }
    }

    /// Index `k` inside the segment `name`: `gate g, unit 0` or `x[0]`.
    fn inside(&self, name: &str, k: usize) -> String {
        match self {
            Axis::Blocks { label, inner, .. } => {
                format!("{label} {name}, {inner} {k}")
            }
            _ => format!("{name}[{k}]"),
        }
    }

    /// The named segments of an axis of `len` entries (blocks or parts;
    /// empty for the other kinds, or when the sizes do not add up).
    pub fn segments(&self, len: usize) -> Vec<(String, Range<usize>)> {
        let sized: Vec<(String, usize)> = match self {
            Axis::Blocks { names, .. } if !names.is_empty() => {
                if !len.is_multiple_of(names.len()) {
                    return Vec::new();
                }
                let n = len / names.len();
                names.iter().map(|s| (s.clone(), n)).collect()
            }
            Axis::Parts(parts) => parts.clone(),
            _ => return Vec::new(),
        };
        if sized.iter().map(|s| s.1).sum::<usize>() != len {
            return Vec::new();
        }
        let mut start = 0;
        sized
            .into_iter()
            .map(|(name, n)| {
                start += n;
                (name, start - n..start)
            })
            .collect()
    }

    /// The word for one segment in a diagnosis: `gate f`, `head 1`, `x`.
    pub fn segment_word(&self, name: &str) -> String {
        match self {
            Axis::Blocks { label, .. } => format!("{label} {name}"),
            _ => name.to_string(),
        }
    }
}

/// The layout of one parameter matrix: its rows, its columns, and the time
/// step it belongs to, if it is one step of a sequence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// What the row index means.
    pub rows: Axis,
    /// What the column index means.
    pub cols: Axis,
    /// `(t, T)`: step `t` of a sequence of `T` steps.
    pub step: Option<(usize, usize)>,
}

impl Layout {
    /// Rows and columns.
    pub fn new(rows: Axis, cols: Axis) -> Self {
        Layout {
            rows,
            cols,
            step: None,
        }
    }

    /// Only the rows mean something (a bias, a stacked column).
    pub fn rows(rows: Axis) -> Self {
        Layout::new(rows, Axis::Index)
    }

    /// Only the columns mean something.
    pub fn cols(cols: Axis) -> Self {
        Layout::new(Axis::Index, cols)
    }

    /// This layout at step `t` of `T`.
    pub fn at_step(mut self, t: usize, steps: usize) -> Self {
        self.step = Some((t, steps));
        self
    }

    /// The lecture's name of entry `(i, j)` of a `shape` matrix
    /// (`gate g, unit 0; x[0]`), or `None` when the layout adds nothing.
    pub fn describe(
        &self,
        (i, j): (usize, usize),
        shape: (usize, usize),
    ) -> Option<String> {
        let mut parts = Vec::new();
        if let Some((t, _)) = self.step {
            parts.push(format!("t = {t}"));
        }
        parts.extend(self.rows.name(i, shape.0));
        parts.extend(self.cols.name(j, shape.1));
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Every layout of `p`, by dotted name.
pub fn layouts_of<P: Params + ?Sized>(p: &P) -> HashMap<String, Layout> {
    let mut out = HashMap::new();
    p.layouts(&mut |name, l| {
        out.insert(name.to_string(), l);
    });
    out
}

/// Forwards `child`'s layouts with every name prefixed by `prefix`.
pub fn layouts_child<P: Params + ?Sized>(
    prefix: &str,
    child: &P,
    f: &mut dyn FnMut(&str, Layout),
) {
    child.layouts(&mut |name, l| f(&join(prefix, name), l));
}

/// A sequence, one value per time step: names `0`, `1`, … like a `Vec`,
/// and every matrix of step `t` is reported as `t = …` (so a gradient
/// check can tell that only the last step is right).
///
/// `Named("xs", Steps(xs))` makes the inputs of a sequence checkable.
#[derive(Debug, Clone, PartialEq)]
pub struct Steps<P>(pub Vec<P>);

impl<P: Params> Params for Steps<P> {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        for (t, p) in self.0.iter().enumerate() {
            visit_child(&t.to_string(), p, f);
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        for (t, p) in self.0.iter_mut().enumerate() {
            visit_child_mut(&t.to_string(), p, f);
        }
    }
    fn layouts(&self, f: &mut dyn FnMut(&str, Layout)) {
        let steps = self.0.len();
        for (t, p) in self.0.iter().enumerate() {
            let inner = layouts_of(p);
            p.visit(&mut |name, _| {
                let l = inner.get(name).cloned().unwrap_or_default();
                f(&join(&t.to_string(), name), l.at_step(t, steps));
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lstm_rows_read_as_gate_and_unit() {
        let gates = Axis::blocks("gate", &["i", "f", "o", "g"], "unit");
        let cols = Axis::parts(&[("h_prev", 3), ("x", 2)]);
        let l = Layout::new(gates, cols);
        assert_eq!(
            l.describe((9, 3), (12, 5)).unwrap(),
            "gate g, unit 0; x[0]"
        );
        assert_eq!(
            l.describe((4, 1), (12, 5)).unwrap(),
            "gate f, unit 1; h_prev[1]"
        );
    }

    #[test]
    fn volumes_read_as_channel_row_column() {
        let l = Layout::new(
            Axis::label("channel"),
            Axis::grid(&[("row", 5), ("column", 5)]),
        );
        assert_eq!(
            l.describe((1, 22), (2, 25)).unwrap(),
            "channel 1; row 4, column 2"
        );
    }

    #[test]
    fn steps_name_their_matrices_and_a_plain_index_adds_nothing() {
        let s = Steps(vec![DMatrix::<f64>::zeros(2, 1); 3]);
        let l = layouts_of(&s);
        assert_eq!(l["2"].step, Some((2, 3)));
        assert_eq!(l["2"].describe((1, 0), (2, 1)).unwrap(), "t = 2");
        assert_eq!(Layout::default().describe((1, 0), (2, 1)), None);
    }

    #[test]
    fn blocks_that_do_not_divide_the_axis_name_nothing() {
        let a = Axis::heads(2, "row");
        assert!(a.segments(5).is_empty());
        assert_eq!(a.name(3, 5), None);
        assert_eq!(a.name(3, 4).unwrap(), "head 1, row 1");
    }
}
