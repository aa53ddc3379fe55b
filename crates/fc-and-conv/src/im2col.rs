//! im2col and col2im: the engine's way to turn a convolution into one
//! matrix product.
//!
//! Every window the filter visits becomes one column of `X_col`; row
//! `r = d·F·F + u·F + v` of a column holds input entry `(d, i, j)` under
//! offset `(u, v)` of the window (zero in the padding) — the order in which
//! [`Volume::flatten`](crate::Volume::flatten) lays out a filter. Then the
//! dot products of all filters with all windows are one product
//! `W_col · X_col`, `W_col` holding one flattened filter per row.
//!
//! Column `c = b·H'·W' + i'·W' + j'` is window `(i', j')` of image `b`, so a
//! batch of B images is one `(depth·F·F) x (B·H'·W')` matrix.
//!
//! Book: `fc-and-conv/im2col.md#the-product`.

use crate::geometry::Axis;
use crate::volume::{Shape, Volume};
use foundations::DMatrix;

/// `X_col` for a batch: `(depth·F_h·F_w) x (B·H'·W')`, the windows of every
/// image as columns (`rows` is the height axis, `cols` the width axis).
///
/// # Panics
/// When an image's height or width differs from `rows.n` / `cols.n`, or the
/// images' depths differ.
// ANCHOR: im2col
pub fn im2col(x: &[Volume], rows: &Axis, cols: &Axis) -> DMatrix<f64> {
    let depth = x.first().map_or(0, Volume::depth);
    let expected = Shape::new(depth, rows.n, cols.n);
    crate::volume::expect_volumes("im2col", "x", x, expected);
    let (fh, fw) = (rows.f, cols.f);
    let n_rows = depth * fh * fw;
    let per_image = rows.out * cols.out;
    let mut out = DMatrix::zeros(n_rows, x.len() * per_image);
    let dst = out.as_mut_slice(); // column-major: column c is contiguous
    for (b, image) in x.iter().enumerate() {
        let src = image.as_matrix().as_slice(); // entry (d, p) at p·depth + d
        for oi in 0..rows.out {
            for oj in 0..cols.out {
                let c = b * per_image + oi * cols.out + oj;
                let col = &mut dst[c * n_rows..(c + 1) * n_rows];
                for u in 0..fh {
                    let Some(i) = rows.input_index(oi, u) else {
                        continue; // zero padding: stays 0
                    };
                    for v in 0..fw {
                        let Some(j) = cols.input_index(oj, v) else {
                            continue;
                        };
                        let p = i * cols.n + j;
                        for d in 0..depth {
                            col[d * fh * fw + u * fw + v] = src[p * depth + d];
                        }
                    }
                }
            }
        }
    }
    out
}
// ANCHOR_END: im2col

/// The reference im2col for one image, straight from the formula
/// `X_col[(d·F·F + u·F + v, i'·W' + j')] = x[d, i'S + u − P, j'S + v − P]`
/// (0 in the padding): an optional challenge. The engine's batched
/// [`im2col`] is tested equal to it.
///
/// Book: `fc-and-conv/im2col.md#the-product`.
///
/// # Panics
/// When `image` is not `depth x rows.n x cols.n`.
pub fn im2col_reference(
    image: &Volume,
    rows: &Axis,
    cols: &Axis,
) -> DMatrix<f64> {
    let expected = Shape::new(image.depth(), rows.n, cols.n);
    crate::volume::expect_volumes(
        "im2col_reference",
        "image",
        std::slice::from_ref(image),
        expected,
    );
    // ANCHOR: im2col_reference
    // BEGIN SOLUTION im2col
    let (fh, fw) = (rows.f, cols.f);
    let mut x_col =
        DMatrix::zeros(image.depth() * fh * fw, rows.out * cols.out);
    for oi in 0..rows.out {
        for oj in 0..cols.out {
            for d in 0..image.depth() {
                for u in 0..fh {
                    for v in 0..fw {
                        // x[d, oi·S + u − P, oj·S + v − P], 0 in the padding
                        if let (Some(i), Some(j)) =
                            (rows.input_index(oi, u), cols.input_index(oj, v))
                        {
                            x_col[(
                                d * fh * fw + u * fw + v,
                                oi * cols.out + oj,
                            )] = image[(d, i, j)];
                        }
                    }
                }
            }
        }
    }
    x_col
    // END SOLUTION
    // ANCHOR_END: im2col_reference
}

/// The adjoint of [`im2col`]: every entry of `d_cols` is added back onto the
/// input pixel it was copied from (a pixel under several windows collects
/// several terms; padding entries are dropped). Returns `batch` volumes of
/// `depth x rows.n x cols.n`.
///
/// # Panics
/// When `d_cols` is not `(depth·F_h·F_w) x (batch·H'·W')`.
// ANCHOR: col2im
pub fn col2im(
    d_cols: &DMatrix<f64>,
    batch: usize,
    depth: usize,
    rows: &Axis,
    cols: &Axis,
) -> Vec<Volume> {
    let (fh, fw) = (rows.f, cols.f);
    let n_rows = depth * fh * fw;
    let per_image = rows.out * cols.out;
    foundations::shape::expect_shape(
        "col2im",
        "d_cols",
        d_cols,
        foundations::shape::Dim::Is(n_rows),
        foundations::shape::Dim::Is(batch * per_image),
    );
    let src = d_cols.as_slice();
    (0..batch)
        .map(|b| {
            let mut dx = Volume::zeros(Shape::new(depth, rows.n, cols.n));
            let dst = dx.as_matrix_mut().as_mut_slice();
            for oi in 0..rows.out {
                for oj in 0..cols.out {
                    let c = b * per_image + oi * cols.out + oj;
                    let col = &src[c * n_rows..(c + 1) * n_rows];
                    for u in 0..fh {
                        let Some(i) = rows.input_index(oi, u) else {
                            continue;
                        };
                        for v in 0..fw {
                            let Some(j) = cols.input_index(oj, v) else {
                                continue;
                            };
                            let p = i * cols.n + j;
                            for d in 0..depth {
                                dst[p * depth + d] +=
                                    col[d * fh * fw + u * fw + v];
                            }
                        }
                    }
                }
            }
            dx
        })
        .collect()
}
// ANCHOR_END: col2im

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Padding;

    #[test]
    fn columns_are_windows_in_filter_order() {
        // 1 x 3 x 3 image 0..9, 2x2 windows, stride 1: 4 windows.
        let x =
            Volume::from_fn(Shape::new(1, 3, 3), |_, i, j| (3 * i + j) as f64);
        let a = Axis::new("t", "h", 3, 2, 1, Padding::VALID).unwrap();
        let c = im2col(&[x], &a, &a);
        assert_eq!(c.shape(), (4, 4));
        assert_eq!(c.column(0).as_slice(), &[0.0, 1.0, 3.0, 4.0]);
        assert_eq!(c.column(3).as_slice(), &[4.0, 5.0, 7.0, 8.0]);
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ for any x, y.
        let mut r = foundations::rng(3);
        let a = Axis::new("t", "h", 5, 3, 2, Padding::Explicit(1)).unwrap();
        let b = Axis::new("t", "w", 4, 3, 2, Padding::Same).unwrap();
        let s = Shape::new(2, 5, 4);
        let x: Vec<Volume> = (0..2)
            .map(|_| {
                let m = foundations::init::uniform(2, 20, 1.0, &mut r);
                Volume::from_matrix(s.height, s.width, m)
            })
            .collect();
        let cx = im2col(&x, &a, &b);
        let y = foundations::init::uniform(cx.nrows(), cx.ncols(), 1.0, &mut r);
        let back = col2im(&y, 2, 2, &a, &b);
        let lhs = cx.dot(&y);
        let rhs: f64 = x
            .iter()
            .zip(&back)
            .map(|(u, v)| u.as_matrix().dot(v.as_matrix()))
            .sum();
        assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
    }
}
