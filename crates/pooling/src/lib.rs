//! # pooling — max and average pooling by hand, and a whole ConvNet
//!
//! Letters (the pooling slides'): `F` the window's side, `S` its stride,
//! `N` (or `H`, `W`) the side of the map, `depth` the number of activation
//! maps, which pooling leaves unchanged. A pooled side is `(N − F)/S + 1`:
//! 224x224x64 → 112x112x64 for `F = S = 2`. `K` conv filters and `B` the
//! batch, as in `fc-and-conv`.
//!
//! * [`MaxPool`]: the largest entry of each window; backward routes the
//!   gradient to the arg-max (ties: the first maximum in row-major order).
//!   Reference `forward_reference` / `backward_reference` (the exercises)
//!   and the engine `forward` / `backward` (switches), tested equal.
//! * [`AvgPool`], [`GlobalAvgPool`]: the mean; backward spreads evenly.
//! * [`ConvNet`]: conv → ReLU → max-pool → conv → ReLU → max-pool → fully
//!   connected → ReLU → dropout → fully connected → softmax, for the 8x8
//!   digits, built from `fc-and-conv`'s engine layers;
//!   [`ConvNet::feature_maps`] is its spatial feature map (an image
//!   encoder); its configuration is saved with its weights by the
//!   `checkpoint` crate (safetensors).
//!
//! Book: `pooling/index.md#letters`.

pub mod avg_pool;
pub mod convnet;
pub mod data;
pub mod global_avg_pool;
pub mod max_pool;
pub mod window;

pub use avg_pool::{AvgPool, AvgPoolCache};
pub use convnet::{ConvNet, ConvNetCache, ConvNetConfig, ConvNetParams};
pub use global_avg_pool::{GlobalAvgPool, GlobalAvgPoolCache};
pub use max_pool::{MaxPool, MaxPoolCache, MaxPoolReferenceCache};
pub use window::Window;

#[cfg(test)]
fn tests_rng() -> foundations::Rng {
    foundations::rng(1)
}
