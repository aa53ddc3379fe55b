//! Positional encoding (Vaswani et al. 2017, §3.5): self-attention does not
//! see the order of its tokens, so a vector `p_t` is added to the
//! embedding of the token at position `t`. Either the fixed sinusoids of the
//! paper or a learned `d x T_max` table.
//! Book: `transformer/positional.md#the-sinusoids`.

use foundations::shape::{Dim, expect_shape};
use foundations::{DMatrix, Error, Params, Rng, init};

/// The sinusoidal table, `d x T_max`, position `t` in column `t`:
/// `P[2i, t] = sin(t/10000^{2i/d})`, `P[2i+1, t] = cos(t/10000^{2i/d})`.
/// Any way of writing the frequency passes: the tests compare each entry
/// within `1e-12`.
///
/// Book: `transformer/positional.md#the-sinusoids`.
// ANCHOR: sinusoidal
pub fn sinusoidal(d: usize, t_max: usize) -> DMatrix<f64> {
    // BEGIN SOLUTION positional-encoding
    DMatrix::from_fn(d, t_max, |r, t| {
        let i = (r / 2) as f64; // rows 2i and 2i+1 share a frequency
        let angle = t as f64 / 10000f64.powf(2.0 * i / d as f64);
        if r % 2 == 0 { angle.sin() } else { angle.cos() }
    })
    // END SOLUTION
}
// ANCHOR_END: sinusoidal

/// The engine's table, used by [`Positional::sinusoidal`] and so by every
/// model (not an exercise, so that a model can be built in the student
/// version too). It is made the way a signal generator makes a sine: each
/// pair of rows is a point turning on the unit circle, and moving one
/// position on is one multiplication by the rotation of that pair's
/// frequency (the angle-addition formulas), re-anchored every
/// [`REANCHOR`] positions so that rounding cannot build up. It agrees with
/// [`sinusoidal`] to about `1e-15` (tested to `1e-12`).
pub fn sinusoidal_table(d: usize, t_max: usize) -> DMatrix<f64> {
    let mut p = DMatrix::zeros(d, t_max);
    for pair in 0..d.div_ceil(2) {
        let w = 10000f64.powf(-2.0 * pair as f64 / d as f64);
        let (step_im, step_re) = w.sin_cos();
        let (mut im, mut re) = (0.0, 1.0);
        for t in 0..t_max {
            if t % REANCHOR == 0 {
                (im, re) = (t as f64 * w).sin_cos();
            }
            p[(2 * pair, t)] = im;
            if 2 * pair + 1 < d {
                p[(2 * pair + 1, t)] = re;
            }
            (im, re) =
                (im * step_re + re * step_im, re * step_re - im * step_im);
        }
    }
    p
}

/// How many positions [`sinusoidal_table`] turns before it takes the
/// point from the angle again.
pub const REANCHOR: usize = 64;

/// The fixed sinusoids or a learned table; only the learned one is a
/// parameter (its name is `p`).
#[derive(Debug, Clone, PartialEq)]
pub enum Positional {
    /// The paper's sinusoids, fixed.
    Sinusoidal(DMatrix<f64>),
    /// A learned embedding of each position.
    Learned(DMatrix<f64>),
}

impl Params for Positional {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        if let Positional::Learned(p) = self {
            f("p", p);
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        if let Positional::Learned(p) = self {
            f("p", p);
        }
    }
}

impl Positional {
    /// The sinusoidal table for width `d` and up to `t_max` positions.
    ///
    /// # Errors
    /// When `d` or `t_max` is 0.
    pub fn sinusoidal(d: usize, t_max: usize) -> Result<Self, Error> {
        check_size(d, t_max)?;
        Ok(Positional::Sinusoidal(sinusoidal_table(d, t_max)))
    }

    /// A learned table, initialised `N(0, 0.02²)` as in GPT-2.
    ///
    /// # Errors
    /// When `d` or `t_max` is 0.
    pub fn learned(
        d: usize,
        t_max: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        check_size(d, t_max)?;
        Ok(Positional::Learned(init::normal(d, t_max, 0.02, rng)))
    }

    /// The table, `d x T_max`.
    pub fn table(&self) -> &DMatrix<f64> {
        match self {
            Positional::Sinusoidal(p) | Positional::Learned(p) => p,
        }
    }

    /// `T_max`, the longest sequence it can encode.
    pub fn max_len(&self) -> usize {
        self.table().ncols()
    }

    /// `X + P[:, 0..T]`.
    ///
    /// # Panics
    /// When `x` does not have `d` rows or has more than `T_max` columns.
    pub fn forward(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        let (p, func) = (self.table(), "positional::forward");
        expect_shape(func, "x", x, Dim::Is(p.nrows()), Dim::Any("T"));
        self.check_len(func, x.ncols());
        // ANCHOR: add_positions
        x + p.columns(0, x.ncols()) // x_t ← x_t + p_t, column by column
        // ANCHOR_END: add_positions
    }

    /// Panics when a sequence of `t` tokens does not fit the table.
    ///
    /// # Panics
    /// With `"{func}: a sequence of {t} tokens is longer than the positional
    /// table of {T_max} positions"`.
    pub fn check_len(&self, func: &str, t: usize) {
        assert!(
            t <= self.max_len(),
            "{func}: a sequence of {t} tokens is longer than the positional \
             table of {} positions",
            self.max_len()
        );
    }

    /// The gradient of the table from `∂L/∂X` (`d x T`): the first `T`
    /// columns receive it for a learned table; the sinusoids have none.
    pub fn backward(&self, d_x: &DMatrix<f64>) -> Positional {
        match self {
            Positional::Sinusoidal(p) => {
                Positional::Sinusoidal(DMatrix::zeros(p.nrows(), 0))
            }
            Positional::Learned(p) => {
                let mut g = DMatrix::zeros(p.nrows(), p.ncols());
                g.columns_mut(0, d_x.ncols()).copy_from(d_x);
                Positional::Learned(g)
            }
        }
    }
}

fn check_size(d: usize, t_max: usize) -> Result<(), Error> {
    if d == 0 || t_max == 0 {
        return Err(Error::config(
            "Positional",
            format!("width d = {d} and length T_max = {t_max} must be ≥ 1"),
        ));
    }
    Ok(())
}
