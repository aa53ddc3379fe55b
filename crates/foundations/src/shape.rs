//! Shape checks that fail at once with the function, the expected and the
//! actual shape: `lstm::step_forward: x is 5x1, expected 4 x B`.

use nalgebra::DMatrix;

/// One expected dimension: a fixed size, or any size named by its letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// Exactly this many.
    Is(usize),
    /// Any size; the letter is printed (`"B"`, `"T"`).
    Any(&'static str),
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Is(n) => write!(f, "{n}"),
            Dim::Any(name) => write!(f, "{name}"),
        }
    }
}

impl Dim {
    fn accepts(self, n: usize) -> bool {
        match self {
            Dim::Is(m) => m == n,
            Dim::Any(_) => true,
        }
    }
}

/// Panics unless `m` is `rows x cols`.
///
/// # Panics
/// With `"{func}: {name} is RxC, expected rows x cols"`.
#[track_caller]
pub fn expect_shape(
    func: &str,
    name: &str,
    m: &DMatrix<f64>,
    rows: Dim,
    cols: Dim,
) {
    if !rows.accepts(m.nrows()) || !cols.accepts(m.ncols()) {
        panic!(
            "{func}: {name} is {}x{}, expected {rows} x {cols}",
            m.nrows(),
            m.ncols()
        );
    }
}

/// Panics unless `a` and `b` have the same shape.
///
/// # Panics
/// With `"{func}: {b_name} is RxC, expected R'xC' (the shape of {a_name})"`.
#[track_caller]
pub fn expect_same_shape(
    func: &str,
    a_name: &str,
    a: &DMatrix<f64>,
    b_name: &str,
    b: &DMatrix<f64>,
) {
    if a.shape() != b.shape() {
        panic!(
            "{func}: {b_name} is {}x{}, expected {}x{} (the shape of {a_name})",
            b.nrows(),
            b.ncols(),
            a.nrows(),
            a.ncols()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "lstm::step_forward: x is 5x1, expected 4 x B")]
    fn wrong_rows_name_function_expected_and_actual() {
        let x = DMatrix::zeros(5, 1);
        expect_shape("lstm::step_forward", "x", &x, Dim::Is(4), Dim::Any("B"));
    }

    #[test]
    fn any_columns_are_accepted() {
        let x = DMatrix::zeros(4, 7);
        expect_shape("f", "x", &x, Dim::Is(4), Dim::Any("B"));
    }

    #[test]
    #[should_panic(expected = "f: dy is 2x3, expected 2x2 (the shape of y)")]
    fn different_shapes_are_named() {
        expect_same_shape(
            "f",
            "y",
            &DMatrix::zeros(2, 2),
            "dy",
            &DMatrix::zeros(2, 3),
        );
    }
}
