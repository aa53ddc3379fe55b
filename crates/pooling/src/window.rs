//! The pooling window: an `F x F` square moved with stride `S` over every
//! depth slice of a `depth x H x W` input. Shared by [`crate::MaxPool`] and
//! [`crate::AvgPool`].
//! Book: `pooling/max-pool.md#the-window-and-its-output-size`.

use fc_and_conv::Shape;
use foundations::Error;

/// An `F x F` window with stride `S` over inputs of one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// `F`, the side of the window.
    pub f: usize,
    /// `S`, the stride.
    pub s: usize,
    /// The shape of each input, `depth x H x W`.
    pub input: Shape,
    /// The shape of each output, `depth x H' x W'`: the depth is unchanged.
    pub output: Shape,
}

impl Window {
    /// A window of side `f` moved by `s` over `input` (`s < f` overlaps,
    /// `s = f` tiles); `layer` names it in errors.
    ///
    /// # Errors
    /// [`Error::Config`] when `f` or `s` is 0, when the window is larger than
    /// the map, or when `(N − F)/S` is not a whole number (the windows would
    /// not tile the map and its last rows or columns would be dropped).
    // ANCHOR: window_new
    pub fn new(
        layer: &str,
        input: Shape,
        f: usize,
        s: usize,
    ) -> Result<Self, Error> {
        if f == 0 || s == 0 {
            return Err(Error::config(
                layer,
                format!(
                    "window F = {f} and stride S = {s}: both must be at \
                     least 1 (a stride of 0 would never move the window)"
                ),
            ));
        }
        let (h, w) = (input.height, input.width);
        if f > h || f > w {
            return Err(Error::config(
                layer,
                format!(
                    "the {f}x{f} window is larger than the {h}x{w} map of \
                     the {input} input"
                ),
            ));
        }
        for (axis, n) in [("height", h), ("width", w)] {
            if !(n - f).is_multiple_of(s) {
                return Err(Error::config(
                    layer,
                    format!(
                        "{axis}: (N − F)/S + 1 = ({n} − {f})/{s} + 1 is not \
                         a whole number: the windows do not tile the map"
                    ),
                ));
            }
        }
        // (N − F)/S + 1 along each axis; the depth is unchanged
        let output = Shape::new(input.depth, (h - f) / s + 1, (w - f) / s + 1);
        Ok(Window {
            f,
            s,
            input,
            output,
        })
    }
    // ANCHOR_END: window_new
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(input: Shape, f: usize, s: usize) -> Shape {
        Window::new("pool", input, f, s).unwrap().output
    }

    #[test]
    fn slide_sizes_224x224x64_to_112x112x64_and_6x6_to_2x2() {
        assert_eq!(
            out(Shape::new(64, 224, 224), 2, 2),
            Shape::new(64, 112, 112)
        );
        assert_eq!(out(Shape::new(1, 6, 6), 3, 3), Shape::new(1, 2, 2));
        assert_eq!(out(Shape::new(3, 7, 5), 3, 2), Shape::new(3, 3, 2));
    }

    #[test]
    fn stride_zero_is_an_error_with_a_clear_message() {
        let e = Window::new("MaxPool", Shape::new(1, 4, 4), 2, 0)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("MaxPool: invalid configuration"), "{e}");
        assert!(e.contains("stride S = 0"), "{e}");
        assert!(Window::new("p", Shape::new(1, 4, 4), 0, 1).is_err());
    }

    #[test]
    fn window_larger_than_the_map_is_an_error() {
        let e = Window::new("MaxPool", Shape::new(2, 3, 5), 4, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("4x4 window is larger than the 3x5 map"), "{e}");
    }

    #[test]
    fn windows_that_do_not_tile_are_an_error() {
        let e = Window::new("MaxPool", Shape::new(1, 5, 4), 2, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("height: (N − F)/S + 1 = (5 − 2)/2 + 1"), "{e}");
    }
}
