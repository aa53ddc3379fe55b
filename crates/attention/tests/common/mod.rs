//! Helpers shared by `engine.rs` and `graded.rs`.

use foundations::init::uniform;
use foundations::{Mat, rng};

/// An `r x c` matrix with entries from U(−1, 1), seeded.
pub fn rand_mat(r: usize, c: usize, seed: u64) -> Mat {
    uniform(r, c, 1.0, &mut rng(seed))
}

/// The columns of `m`, one `n x 1` matrix each (a sequence of tokens).
pub fn cols(m: &Mat) -> Vec<Mat> {
    (0..m.ncols())
        .map(|c| m.columns(c, 1).into_owned())
        .collect()
}
