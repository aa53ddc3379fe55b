//! # foundations — what every lecture shares
//!
//! Letters used here (each topic crate's banner adds its own):
//! `B` batch size (columns of a matrix), `n` rows of a layer's output,
//! `L` a scalar loss, `θ` any parameter, `h` the finite-difference step.
//!
//! Conventions (DESIGN.md): `f64` everywhere; every vector is a column, a
//! batch is a matrix whose *columns* are the examples; every parameter is a
//! [`DMatrix<f64>`] (biases are `n x 1`); gradients have the same type as
//! the parameters and are reached through the [`Params`] trait.
//!
//! Book: *Foundations*.

pub mod activations;
pub mod clip;
pub mod diagnose;
pub mod dropout;
pub mod error;
pub mod fast_math;
// the examples' figures: feature `figures`
#[cfg(feature = "figures")]
pub mod figures;
pub mod gradcheck;
pub mod init;
pub mod layout;
pub mod ops;
pub mod optim;
pub mod params;
#[cfg(any(test, feature = "testing"))]
pub mod pytorch;
pub mod shape;
pub mod softmax;
// the tests' proptest configuration: feature `testing`
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{Error, ensure_finite};
pub use gradcheck::{GradReport, assert_gradients, check_gradients};
pub use layout::{Axis, Layout, Steps};
pub use nalgebra::DMatrix;
pub use params::{Named, Params, ParamsExt};
#[cfg(any(test, feature = "testing"))]
pub use testing::graded_config;

/// The one matrix type of the course.
pub type Mat = DMatrix<f64>;

/// The portable, seedable generator every random choice takes
/// (`StdRng` is documented as non-portable across versions).
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator from a seed: `rng(42)` gives the same numbers every run.
pub fn rng(seed: u64) -> Rng {
    use rand::SeedableRng;
    Rng::seed_from_u64(seed)
}
