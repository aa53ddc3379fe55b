//! Small matrix helpers the cells share: stacking `[h; x]`, adding a bias
//! column to every column, summing a gradient over the batch.

use foundations::Mat;

/// `[a; b]`: `a` on top of `b` (same number of columns).
pub fn stack_rows(a: &Mat, b: &Mat) -> Mat {
    assert_eq!(a.ncols(), b.ncols(), "stack_rows: different column counts");
    let mut out = Mat::zeros(a.nrows() + b.nrows(), a.ncols());
    out.rows_mut(0, a.nrows()).copy_from(a);
    out.rows_mut(a.nrows(), b.nrows()).copy_from(b);
    out
}

/// `a + b 1ᵀ`: the bias column `b` added to every column of `a`.
pub fn add_bias(mut a: Mat, b: &Mat) -> Mat {
    for mut col in a.column_iter_mut() {
        col += b.column(0);
    }
    a
}

/// `Σ_columns a`: a bias gradient summed over the batch (an `n x 1` column).
pub fn sum_columns(a: &Mat) -> Mat {
    let mut out = Mat::zeros(a.nrows(), 1);
    for col in a.column_iter() {
        out.column_mut(0).add_assign(col);
    }
    out
}

use std::ops::AddAssign;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_bias_and_sum_do_what_they_say() {
        let a = Mat::from_row_slice(1, 2, &[1.0, 2.0]);
        let b = Mat::from_row_slice(2, 2, &[3.0, 4.0, 5.0, 6.0]);
        let s = stack_rows(&a, &b);
        assert_eq!(s, Mat::from_row_slice(3, 2, &[1., 2., 3., 4., 5., 6.]));
        let bias = Mat::from_row_slice(3, 1, &[1.0, 0.0, -1.0]);
        let sb = add_bias(s, &bias);
        assert_eq!(sb, Mat::from_row_slice(3, 2, &[2., 3., 3., 4., 4., 5.]));
        assert_eq!(
            sum_columns(&sb),
            Mat::from_row_slice(3, 1, &[5.0, 7.0, 9.0])
        );
    }
}
