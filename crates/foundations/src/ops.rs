//! Small matrix helpers every layer shares: stacking `[a; b]`, adding a
//! bias column to every column of a batch, summing a gradient over the
//! batch. Book: *Foundations*.

use crate::Mat;

/// `[a; b]`: `a` on top of `b` (the slides' concatenation `[h; x]`).
///
/// # Panics
/// When `a` and `b` have different numbers of columns.
pub fn stack_rows(a: &Mat, b: &Mat) -> Mat {
    assert_eq!(
        a.ncols(),
        b.ncols(),
        "stack_rows: a is {}x{}, b is {}x{}: the column counts differ",
        a.nrows(),
        a.ncols(),
        b.nrows(),
        b.ncols()
    );
    let mut out = Mat::zeros(a.nrows() + b.nrows(), a.ncols());
    out.rows_mut(0, a.nrows()).copy_from(a);
    out.rows_mut(a.nrows(), b.nrows()).copy_from(b);
    out
}

/// `a + b 1ᵀ`: the bias column `b` (`r x 1`) added to every column of `a`.
///
/// # Panics
/// When `b` is not `a.nrows() x 1`.
pub fn add_bias(mut a: Mat, b: &Mat) -> Mat {
    assert_eq!(
        b.shape(),
        (a.nrows(), 1),
        "add_bias: b is {}x{}, expected {} x 1",
        b.nrows(),
        b.ncols(),
        a.nrows()
    );
    for mut col in a.column_iter_mut() {
        col += b.column(0);
    }
    a
}

/// `Σ_columns a = a 1`: a bias gradient summed over the batch (`r x B` →
/// `r x 1`).
pub fn sum_columns(a: &Mat) -> Mat {
    let mut out = Mat::zeros(a.nrows(), 1);
    for col in a.column_iter() {
        out += col;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_bias_and_sum_do_what_they_say() {
        let a = Mat::from_row_slice(1, 2, &[1.0, 2.0]);
        let b = Mat::from_row_slice(2, 2, &[3.0, 4.0, 5.0, 6.0]);
        let s = stack_rows(&a, &b);
        assert_eq!(s, Mat::from_row_slice(3, 2, &[1., 2., 3., 4., 5., 6.]));
        let bias = Mat::from_row_slice(3, 1, &[10.0, 20.0, 30.0]);
        let with = add_bias(s.clone(), &bias);
        assert_eq!(with[(2, 1)], 36.0);
        assert_eq!(sum_columns(&s), Mat::from_row_slice(3, 1, &[3., 7., 11.]));
    }

    #[test]
    #[should_panic(expected = "stack_rows: a is 1x2, b is 2x3")]
    fn stack_rows_names_both_shapes() {
        stack_rows(&Mat::zeros(1, 2), &Mat::zeros(2, 3));
    }

    #[test]
    #[should_panic(expected = "add_bias: b is 2x1, expected 3 x 1")]
    fn add_bias_names_the_shape() {
        add_bias(Mat::zeros(3, 2), &Mat::zeros(2, 1));
    }
}
