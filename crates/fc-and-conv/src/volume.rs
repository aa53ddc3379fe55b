//! The volume: an image or a stack of activation maps, `depth x height x
//! width` (the slides' words: a 32x32x3 image is depth 3, height 32,
//! width 32). One small type, not a general tensor library.
//!
//! Storage: one `depth x (height·width)` matrix; row `d` is the activation
//! map of depth slice `d` read row by row, so entry `(d, i, j)` is
//! `m[(d, i·W + j)]`. A convolution's im2col product `W_col · X_col` has
//! exactly this shape, so the engine writes its output without reshaping.
//!
//! Book: `fc-and-conv/index.md#volumes`.

use foundations::{Axis, DMatrix, Layout, Params};
use std::fmt;
use std::ops::{Index, IndexMut};

/// `depth x height x width` numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    height: usize,
    width: usize,
    /// `depth x (height·width)`: one row per depth slice.
    data: DMatrix<f64>,
}

/// The shape `(depth, height, width)` written `3x32x32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Number of depth slices (channels, activation maps).
    pub depth: usize,
    /// Rows of each slice.
    pub height: usize,
    /// Columns of each slice.
    pub width: usize,
}

impl Shape {
    /// `Shape { depth, height, width }`.
    pub fn new(depth: usize, height: usize, width: usize) -> Self {
        Shape {
            depth,
            height,
            width,
        }
    }

    /// `depth · height · width`.
    pub fn len(&self) -> usize {
        self.depth * self.height * self.width
    }

    /// Whether any dimension is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.depth, self.height, self.width)
    }
}

impl Volume {
    /// All zeros.
    pub fn zeros(shape: Shape) -> Self {
        Volume {
            height: shape.height,
            width: shape.width,
            data: DMatrix::zeros(shape.depth, shape.height * shape.width),
        }
    }

    /// Entry `(d, i, j)` is `f(d, i, j)`.
    pub fn from_fn(
        shape: Shape,
        mut f: impl FnMut(usize, usize, usize) -> f64,
    ) -> Self {
        let w = shape.width;
        Volume {
            height: shape.height,
            width: w,
            data: DMatrix::from_fn(shape.depth, shape.height * w, |d, p| {
                f(d, p / w, p % w)
            }),
        }
    }

    /// A volume from its `depth x (height·width)` matrix (row `d` is slice
    /// `d` read row by row), the inverse of [`Volume::as_matrix`].
    ///
    /// # Panics
    /// When `m` does not have `height · width` columns.
    pub fn from_matrix(height: usize, width: usize, m: DMatrix<f64>) -> Self {
        assert!(
            m.ncols() == height * width,
            "Volume::from_matrix: m is {}x{}, expected depth x {} \
             (height {height} · width {width})",
            m.nrows(),
            m.ncols(),
            height * width
        );
        Volume {
            height,
            width,
            data: m,
        }
    }

    /// A depth-1 volume from one `height x width` matrix (a grey image).
    pub fn from_image(image: &DMatrix<f64>) -> Self {
        Self::from_slices(std::slice::from_ref(image))
    }

    /// A volume whose depth slices are `slices` (each `height x width`).
    ///
    /// # Panics
    /// When the slices have different shapes or there are none.
    pub fn from_slices(slices: &[DMatrix<f64>]) -> Self {
        assert!(!slices.is_empty(), "Volume::from_slices: no slices");
        let (h, w) = slices[0].shape();
        for (d, s) in slices.iter().enumerate() {
            assert!(
                s.shape() == (h, w),
                "Volume::from_slices: slice {d} is {}x{}, expected {h}x{w} \
                 (the shape of slice 0)",
                s.nrows(),
                s.ncols()
            );
        }
        Self::from_fn(Shape::new(slices.len(), h, w), |d, i, j| {
            slices[d][(i, j)]
        })
    }

    /// `(depth, height, width)`.
    pub fn shape(&self) -> Shape {
        Shape::new(self.data.nrows(), self.height, self.width)
    }

    /// Number of depth slices.
    pub fn depth(&self) -> usize {
        self.data.nrows()
    }

    /// Rows of each slice.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Columns of each slice.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The `depth x (height·width)` matrix: row `d` is slice `d` read row
    /// by row.
    pub fn as_matrix(&self) -> &DMatrix<f64> {
        &self.data
    }

    /// The same, mutably (the shape cannot change through it).
    pub fn as_matrix_mut(&mut self) -> &mut DMatrix<f64> {
        &mut self.data
    }

    /// The matrix, consumed.
    pub fn into_matrix(self) -> DMatrix<f64> {
        self.data
    }

    /// Depth slice `d` as a `height x width` matrix (one activation map).
    ///
    /// # Panics
    /// When `d ≥ depth`.
    pub fn slice(&self, d: usize) -> DMatrix<f64> {
        assert!(
            d < self.depth(),
            "Volume::slice: slice {d} of a volume of depth {}",
            self.depth()
        );
        DMatrix::from_fn(self.height, self.width, |i, j| self[(d, i, j)])
    }

    /// Every depth slice, in order.
    pub fn slices(&self) -> Vec<DMatrix<f64>> {
        (0..self.depth()).map(|d| self.slice(d)).collect()
    }

    /// `f` applied to every entry.
    pub fn map(&self, f: impl FnMut(f64) -> f64) -> Self {
        Volume {
            height: self.height,
            width: self.width,
            data: self.data.map(f),
        }
    }

    /// The flattened volume: a `depth·height·width x 1` column, depth slice
    /// after depth slice, each read row by row (entry `(d, i, j)` goes to row
    /// `d·H·W + i·W + j`) — the slides' 32x32x3 → 3072.
    // ANCHOR: flatten
    pub fn flatten(&self) -> DMatrix<f64> {
        let t = self.data.transpose(); // (H·W) x depth, column-major
        DMatrix::from_column_slice(self.shape().len(), 1, t.as_slice())
    }
    // ANCHOR_END: flatten

    /// The inverse of [`Volume::flatten`]: a column back into `shape`.
    ///
    /// # Panics
    /// When `column` is not `shape.len() x 1`.
    pub fn unflatten(column: &DMatrix<f64>, shape: Shape) -> Self {
        assert!(
            column.shape() == (shape.len(), 1),
            "Volume::unflatten: column is {}x{}, expected {}x1 (a {shape} \
             volume)",
            column.nrows(),
            column.ncols(),
            shape.len()
        );
        let hw = shape.height * shape.width;
        let t = DMatrix::from_column_slice(hw, shape.depth, column.as_slice());
        Volume::from_matrix(shape.height, shape.width, t.transpose())
    }

    /// `Σ` of every entry.
    pub fn sum(&self) -> f64 {
        self.data.sum()
    }

    /// The largest `|self − other|` over all entries.
    ///
    /// # Panics
    /// When the shapes differ.
    pub fn max_abs_diff(&self, other: &Volume) -> f64 {
        assert_eq!(self.shape(), other.shape(), "Volume::max_abs_diff");
        (&self.data - &other.data).amax()
    }
}

impl Index<(usize, usize, usize)> for Volume {
    type Output = f64;
    /// Entry `(d, i, j)`: depth slice `d`, row `i`, column `j`.
    fn index(&self, (d, i, j): (usize, usize, usize)) -> &f64 {
        debug_assert!(i < self.height && j < self.width);
        &self.data[(d, i * self.width + j)]
    }
}

impl IndexMut<(usize, usize, usize)> for Volume {
    fn index_mut(&mut self, (d, i, j): (usize, usize, usize)) -> &mut f64 {
        debug_assert!(i < self.height && j < self.width);
        &mut self.data[(d, i * self.width + j)]
    }
}

/// A volume is one parameter (its `depth x (H·W)` matrix), so filters and
/// inputs can be gradient-checked; in a report, entry `(d, p)` is
/// `(d, i, j)` with `p = i·W + j`.
impl Params for Volume {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        f("", &self.data);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        f("", &mut self.data);
    }
    /// Entry `(d, p)` reads `channel d; row i, column j`.
    fn layouts(&self, f: &mut dyn FnMut(&str, Layout)) {
        let grid = Axis::grid(&[("row", self.height), ("column", self.width)]);
        f("", Layout::new(Axis::label("channel"), grid));
    }
}

/// Panics unless every volume of `batch` has shape `expected`, naming the
/// function, the volume and both shapes
/// (`conv::forward: x[1] is 2x7x7, expected 3x7x7`).
///
/// # Panics
/// As described.
#[track_caller]
pub fn expect_volumes(
    func: &str,
    name: &str,
    batch: &[Volume],
    expected: Shape,
) {
    for (b, v) in batch.iter().enumerate() {
        if v.shape() != expected {
            panic!(
                "{func}: {name}[{b}] is {}, expected {expected} \
                 (depth x height x width)",
                v.shape()
            );
        }
    }
}

/// Panics unless `a` and `b` hold the same number of volumes.
///
/// # Panics
/// `"{func}: {b_name} has n volumes, expected m (the batch of {a_name})"`.
#[track_caller]
pub fn expect_same_batch(
    func: &str,
    a_name: &str,
    a: usize,
    b_name: &str,
    b: usize,
) {
    if a != b {
        panic!(
            "{func}: {b_name} has {b} volumes, expected {a} (the batch of \
             {a_name})"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(shape: Shape) -> Volume {
        Volume::from_fn(shape, |d, i, j| (100 * d + 10 * i + j) as f64)
    }

    #[test]
    fn a_gradient_report_names_an_entry_by_channel_row_and_column() {
        // a batch of volumes named x: entry (1, 22) of x.0, W = 5
        let x = foundations::Named("x", vec![counting(Shape::new(2, 5, 5))]);
        let l = foundations::layout::layouts_of(&x);
        assert_eq!(
            l["x.0"].describe((1, 22), (2, 25)).unwrap(),
            "channel 1; row 4, column 2"
        );
    }

    #[test]
    fn index_reads_depth_row_column() {
        let v = counting(Shape::new(2, 3, 4));
        assert_eq!(v[(1, 2, 3)], 123.0);
        assert_eq!(v.slice(1)[(2, 3)], 123.0);
        assert_eq!(v.shape().to_string(), "2x3x4");
    }

    #[test]
    fn flatten_is_depth_then_row_then_column_and_unflatten_inverts_it() {
        let s = Shape::new(2, 3, 4);
        let v = counting(s);
        let col = v.flatten();
        assert_eq!(col.shape(), (24, 1));
        assert_eq!(col[(12 + 4 + 3, 0)], 113.0);
        assert_eq!(Volume::unflatten(&col, s), v);
    }

    #[test]
    fn slices_round_trip() {
        let v = counting(Shape::new(3, 2, 5));
        assert_eq!(Volume::from_slices(&v.slices()), v);
        let m = v.as_matrix().clone();
        assert_eq!(Volume::from_matrix(2, 5, m), v);
    }

    #[test]
    #[should_panic(
        expected = "Volume::unflatten: column is 5x1, expected 24x1"
    )]
    fn unflatten_names_the_wrong_length() {
        Volume::unflatten(&DMatrix::zeros(5, 1), Shape::new(2, 3, 4));
    }

    #[test]
    #[should_panic(expected = "conv::forward: x[1] is 2x7x7, expected 3x7x7")]
    fn wrong_volume_is_named() {
        let good = Volume::zeros(Shape::new(3, 7, 7));
        let bad = Volume::zeros(Shape::new(2, 7, 7));
        expect_volumes("conv::forward", "x", &[good, bad], Shape::new(3, 7, 7));
    }
}
