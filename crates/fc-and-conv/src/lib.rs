//! # fc-and-conv — fully connected and convolution layers, by hand
//!
//! Letters (from the CNN lecture): `N` input width (or height), `F` filter
//! size, `S` stride, `P` zero padding, `K` number of filters, `depth` the
//! input's depth (channels); an output is `K x H' x W'` with
//! `H' = (N − F + 2P)/S + 1`. `B` is the batch everywhere.
//!
//! ## The engine (what later crates use)
//!
//! * [`Volume`] — `depth x height x width` numbers ([`Shape`]), stored as a
//!   `depth x (H·W)` matrix ([`Volume::as_matrix`], [`Volume::from_matrix`]);
//!   slices to and from `height x width` matrices ([`Volume::slice`],
//!   [`Volume::from_slices`], [`Volume::from_image`]); [`Volume::flatten`] /
//!   [`Volume::unflatten`]. A batch of images is a `Vec<Volume>` (`&[Volume]`
//!   in arguments). Volumes implement `foundations::Params`.
//! * [`Padding`] — `Explicit(P)` (must tile, else a `foundations::Error`
//!   when the layer is built) or `Same` (TensorFlow's); [`Axis`] is the
//!   geometry along one axis (output size, padding before/after), shared
//!   with pooling.
//! * [`Conv`] — `Conv::new(input, K, F, S, padding, rng)` or
//!   [`Conv::from_params`]; [`Conv::forward`] / [`Conv::backward`] are
//!   im2col and one matrix product ([`im2col()`], [`col2im`]); params
//!   [`ConvParams`] (`w`: K filter volumes, `b`: `K x 1`).
//! * [`Affine`] — `Y = W X + b` on `n_in x B` columns: [`Affine::forward`] /
//!   [`Affine::backward`], params [`AffineParams`].
//! * [`Relu`] — on matrices ([`Relu::forward`] / [`Relu::backward`]) and on
//!   volumes ([`Relu::forward_volumes`] / [`Relu::backward_volumes`]).
//! * [`Flatten`] — volumes → `(depth·H·W) x B` columns and back.
//! * [`stack`] — output shapes and parameter counts of a stack of layers.
//!
//! Every layer is a pair `forward(&self, x) -> (y, Cache)` /
//! `backward(&self, &Cache, d_y) -> (Grads, d_x)`; gradients are a value of
//! the parameters' type.
//!
//! ## The references (the exercises)
//!
//! `forward_reference` / `backward_reference` of [`Affine`] and [`Conv`],
//! [`Relu::backward_reference`], [`stack::output_size`], [`stack::summarize`]
//! and (an optional challenge) [`im2col_reference`] are the textbook forms;
//! the engine is tested equal to them (to 1e-12). Later topics use only the
//! engine, so each topic is graded alone.
//!
//! Book: `fc-and-conv/index.md#letters`.

pub mod affine;
pub mod conv;
pub mod flatten;
pub mod geometry;
pub mod im2col;
pub mod relu;
pub mod stack;
pub mod volume;

pub use affine::{Affine, AffineCache, AffineParams};
pub use conv::{Conv, ConvCache, ConvParams, Im2colCache};
pub use flatten::{Flatten, FlattenCache};
pub use geometry::{Axis, Padding};
pub use im2col::{col2im, im2col, im2col_reference};
pub use relu::{Relu, ReluCache, ReluVolumesCache};
pub use volume::{Shape, Volume};
