//! Output size, padding and stride along one axis: the engine's geometry,
//! shared by convolution and pooling.
//!
//! Along an axis of `N` pixels, a window of `F` moved by stride `S` over
//! the input padded with `P` zeros on each side has
//! `(N − F + 2P)/S + 1` positions — when that is a whole number.
//!
//! Book: `fc-and-conv/geometry.md#output-size-padding-and-stride`.

use foundations::Error;

/// How the input is padded with zeros before the window slides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// `P` zeros on each side. The geometry must tile:
    /// `(N − F + 2P)` divisible by `S`, else building the layer fails.
    /// `Explicit(0)` is TensorFlow's "VALID".
    Explicit(usize),
    /// TensorFlow's "SAME": output `⌈N/S⌉`, total padding
    /// `max((out − 1)·S + F − N, 0)`, split with the extra zero at the end
    /// (bottom, right). Always works.
    Same,
}

impl Padding {
    /// No padding ("VALID").
    pub const VALID: Padding = Padding::Explicit(0);
}

/// The geometry along one axis (height or width).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    /// Input size `N`.
    pub n: usize,
    /// Window (filter) size `F`.
    pub f: usize,
    /// Stride `S`.
    pub s: usize,
    /// Zeros before the first pixel (top or left).
    pub pad_before: usize,
    /// Zeros after the last pixel (bottom or right).
    pub pad_after: usize,
    /// Number of window positions, the output size.
    pub out: usize,
}

impl Axis {
    /// The geometry of a window `f` with stride `s` over `n` pixels.
    /// `layer` and `axis` ("height", "width") name it in errors.
    ///
    /// # Errors
    /// [`Error::Config`] when `n`, `f` or `s` is zero, when the window is
    /// larger than the padded input, or when an explicit padding does not
    /// tile (`(N − F + 2P)` not divisible by `S`): the message gives the
    /// formula, and the paddings and strides that would work.
    // ANCHOR: axis_new
    pub fn new(
        layer: &str,
        axis: &str,
        n: usize,
        f: usize,
        s: usize,
        padding: Padding,
    ) -> Result<Axis, Error> {
        if n == 0 || f == 0 || s == 0 {
            return Err(Error::config(
                layer,
                format!(
                    "{axis}: input N = {n}, filter F = {f} and stride S = \
                     {s} must all be at least 1"
                ),
            ));
        }
        match padding {
            Padding::Same => {
                let out = n.div_ceil(s); // ⌈N/S⌉
                let total = ((out - 1) * s + f).saturating_sub(n);
                Ok(Axis {
                    n,
                    f,
                    s,
                    pad_before: total / 2,
                    pad_after: total - total / 2,
                    out,
                })
            }
            Padding::Explicit(p) => {
                let padded = n + 2 * p;
                if f > padded {
                    return Err(Error::config(
                        layer,
                        format!(
                            "{axis}: the {f}-wide filter does not fit in N + \
                             2P = {n} + 2·{p} = {padded} pixels"
                        ),
                    ));
                }
                if !(padded - f).is_multiple_of(s) {
                    return Err(Error::config(
                        layer,
                        format!(
                            "{axis}: (N − F + 2P)/S + 1 = ({n} − {f} + 2·{p})\
                             /{s} + 1 is not a whole number: a {f}-wide \
                             filter with stride {s} does not tile {n} pixels \
                             with padding {p}. {}",
                            suggestions(n, f, s, p)
                        ),
                    ));
                }
                Ok(Axis {
                    n,
                    f,
                    s,
                    pad_before: p,
                    pad_after: p,
                    out: (padded - f) / s + 1,
                })
            }
        }
    }
    // ANCHOR_END: axis_new

    /// The input index under window position `o`, offset `u` in the window,
    /// or `None` when it falls in the zero padding:
    /// `o·S + u − pad_before`.
    #[inline]
    pub fn input_index(&self, o: usize, u: usize) -> Option<usize> {
        (o * self.s + u)
            .checked_sub(self.pad_before)
            .filter(|&i| i < self.n)
    }
}

/// What would tile instead: paddings with the same stride, strides with the
/// same padding, and SAME.
fn suggestions(n: usize, f: usize, s: usize, p: usize) -> String {
    let paddings: Vec<String> = (0..f.max(1) + s)
        .filter(|&q| n + 2 * q >= f && (n + 2 * q - f).is_multiple_of(s))
        .take(3)
        .map(|q| format!("P = {q} (output {})", (n + 2 * q - f) / s + 1))
        .collect();
    let strides: Vec<String> = (1..=(n + 2 * p - f).max(1))
        .filter(|&t| (n + 2 * p - f).is_multiple_of(t))
        .map(|t| t.to_string())
        .collect();
    let mut out = String::new();
    if paddings.is_empty() {
        out.push_str(&format!("No padding works with stride {s}"));
    } else {
        out.push_str(&format!(
            "With stride {s}, padding {} would work",
            paddings.join(" or ")
        ));
    }
    out.push_str(&format!(
        "; with padding {p}, stride {} would work; Padding::Same always works",
        strides.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(n: usize, f: usize, s: usize, p: Padding) -> usize {
        Axis::new("conv", "width", n, f, s, p).unwrap().out
    }

    #[test]
    fn slide_cases_n7_f3_give_5_at_stride_1_and_3_at_stride_2() {
        assert_eq!(out(7, 3, 1, Padding::VALID), 5);
        assert_eq!(out(7, 3, 2, Padding::VALID), 3);
        assert_eq!(out(32, 5, 1, Padding::VALID), 28);
    }

    #[test]
    fn n7_f3_s3_is_an_error_that_says_what_would_work() {
        let e = Axis::new("conv", "width", 7, 3, 3, Padding::VALID)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("conv: invalid configuration: width:"), "{e}");
        assert!(
            e.contains("(7 − 3 + 2·0)/3 + 1 is not a whole number"),
            "{e}"
        );
        assert!(e.contains("padding P = 1 (output 3)"), "{e}");
        assert!(e.contains("stride 1, 2, 4 would work"), "{e}");
        assert!(e.contains("Padding::Same"), "{e}");
    }

    #[test]
    fn same_gives_ceil_n_over_s_with_extra_zero_at_the_end() {
        let a = Axis::new("c", "h", 200, 3, 2, Padding::Same).unwrap();
        assert_eq!((a.out, a.pad_before, a.pad_after), (100, 0, 1));
        let a = Axis::new("c", "h", 7, 4, 1, Padding::Same).unwrap();
        assert_eq!((a.out, a.pad_before, a.pad_after), (7, 1, 2));
        let a = Axis::new("c", "h", 5, 1, 3, Padding::Same).unwrap();
        assert_eq!((a.out, a.pad_before, a.pad_after), (2, 0, 0));
    }

    #[test]
    fn zero_sizes_and_oversized_filters_are_errors() {
        assert!(Axis::new("c", "h", 5, 0, 1, Padding::VALID).is_err());
        assert!(Axis::new("c", "h", 5, 3, 0, Padding::VALID).is_err());
        let e = Axis::new("c", "h", 2, 5, 1, Padding::Explicit(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not fit in N + 2P = 2 + 2·1 = 4"), "{e}");
    }

    #[test]
    fn input_index_is_none_in_the_padding() {
        let a = Axis::new("c", "h", 5, 3, 1, Padding::Explicit(1)).unwrap();
        assert_eq!(a.out, 5);
        assert_eq!(a.input_index(0, 0), None);
        assert_eq!(a.input_index(0, 1), Some(0));
        assert_eq!(a.input_index(4, 2), None);
    }
}
