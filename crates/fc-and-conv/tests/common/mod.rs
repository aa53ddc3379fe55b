//! Helpers shared by `engine.rs` and `graded.rs`: random volumes and the
//! test loss `L = Σ ⟨y, r⟩`, whose upstream gradient `∂L/∂y` is `r`.

use fc_and_conv::{Shape, Volume};
use foundations::Rng;

/// A volume of `shape` with entries drawn from U(−1, 1).
pub fn random_volume(shape: Shape, rng: &mut Rng) -> Volume {
    let m = foundations::init::uniform(
        shape.depth,
        shape.height * shape.width,
        1.0,
        rng,
    );
    Volume::from_matrix(shape.height, shape.width, m)
}

/// `b` random volumes of `shape`.
pub fn random_batch(b: usize, shape: Shape, rng: &mut Rng) -> Vec<Volume> {
    (0..b).map(|_| random_volume(shape, rng)).collect()
}

/// `Σ_n ⟨a_n, b_n⟩` over a batch.
pub fn dot(a: &[Volume], b: &[Volume]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(u, v)| u.as_matrix().dot(v.as_matrix()))
        .sum()
}
