//! The ConvNet of the lecture's diagram, adapted to the 8x8 digits:
//!
//! ```text
//! 1x8x8 ─conv 3x3 (K₁)→ K₁x6x6 ─ReLU→ ─max-pool 2x2/2→ K₁x3x3
//!       ─conv 2x2 (K₂)→ K₂x2x2 ─ReLU→ ─max-pool 2x2/2→ K₂x1x1 ─flatten→ K₂
//!       ─fully connected→ n₃ ─ReLU→ ─dropout→ ─fully connected→ 10 ─softmax
//! ```
//!
//! Valid convolutions (no padding), as on the slide (28 → 24 → 12 → 8 → 4
//! there; 8 → 6 → 3 → 2 → 1 here). The loss is the softmax cross-entropy
//! averaged over the batch: $L = \frac{1}{B}\sum_b -\log \hat y_{b, y_b}$.
//!
//! Two ways to get the loss and its gradients, tested equal:
//! [`ConvNet::loss_and_grads_reference`] (the reference and the exercise: one
//! image at a time, exactly the slide's "forward propagate a training
//! example, compute the loss, backprop" steps, gradients summed) and
//! [`ConvNet::loss_and_grads`] (the engine: the whole batch through each
//! layer at once, one im2col product per convolution).
//!
//! Book: `pooling/convnet.md#layers-and-shapes`.

use crate::max_pool::{MaxPool, MaxPoolCache};
use fc_and_conv::{
    Affine, AffineCache, AffineParams, Conv, ConvParams, Flatten, FlattenCache,
    Im2colCache, Padding, Relu, ReluCache, ReluVolumesCache, Shape, Volume,
};
use foundations::dropout::{Dropout, DropoutCache};
use foundations::optim::Optimizer;
use foundations::softmax::{Reduction, cross_entropy};
use foundations::{DMatrix, Error, ParamsExt, Rng, impl_params};
use serde::{Deserialize, Serialize};

/// The sizes of the network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConvNetConfig {
    /// Side of the square grey input image (8 for the digits).
    pub image: usize,
    /// `K₁`, filters of the first convolution.
    pub k1: usize,
    /// `F₁`, their size.
    pub f1: usize,
    /// `K₂`, filters of the second convolution.
    pub k2: usize,
    /// `F₂`, their size.
    pub f2: usize,
    /// Side and stride of both max-pooling windows.
    pub pool: usize,
    /// `n₃`, units of the hidden fully connected layer.
    pub hidden: usize,
    /// Number of classes.
    pub classes: usize,
    /// Dropout probability after the hidden layer (0 turns it off).
    pub dropout: f64,
}

impl Default for ConvNetConfig {
    /// The network trained in the book: 16 and 32 filters, 64 hidden
    /// units, dropout 0.25.
    fn default() -> Self {
        ConvNetConfig {
            image: 8,
            k1: 16,
            f1: 3,
            k2: 32,
            f2: 2,
            pool: 2,
            hidden: 64,
            classes: 10,
            dropout: 0.25,
        }
    }
}

/// Every parameter of the network; gradients are a second value.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvNetParams {
    /// First convolution.
    pub conv1: ConvParams,
    /// Second convolution.
    pub conv2: ConvParams,
    /// Hidden fully connected layer.
    pub fc1: AffineParams,
    /// Output fully connected layer (the class scores).
    pub fc2: AffineParams,
}
impl_params!(ConvNetParams {
    conv1,
    conv2,
    fc1,
    fc2
});

/// The network: its layers, built for one input shape.
#[derive(Debug, Clone)]
pub struct ConvNet {
    config: ConvNetConfig,
    /// conv 1 (`K₁` filters of `F₁ x F₁ x 1`).
    pub conv1: Conv,
    /// max-pool 1.
    pub pool1: MaxPool,
    /// conv 2 (`K₂` filters of `F₂ x F₂ x K₁`).
    pub conv2: Conv,
    /// max-pool 2.
    pub pool2: MaxPool,
    /// flatten the last pooled volume.
    pub flatten: Flatten,
    /// hidden fully connected layer.
    pub fc1: Affine,
    /// output fully connected layer.
    pub fc2: Affine,
    /// dropout after the hidden ReLU.
    pub dropout: Dropout,
}

/// Every intermediate result of one image or batch, for backward and for
/// the book's activation-map figure.
#[derive(Debug, Clone)]
pub struct ConvNetCache {
    /// conv 1's `X_col`.
    pub conv1: Im2colCache,
    /// conv 1's output, the ReLU's input.
    pub relu1: ReluVolumesCache,
    /// ReLU 1's output, the pool's input, `K₁ x 6 x 6`.
    pub a1: Vec<Volume>,
    /// pool 1's switches.
    pub pool1: MaxPoolCache,
    /// pool 1's output, `K₁ x 3 x 3`.
    pub p1: Vec<Volume>,
    /// conv 2's `X_col`.
    pub conv2: Im2colCache,
    /// conv 2's output, the ReLU's input.
    pub relu2: ReluVolumesCache,
    /// ReLU 2's output: the spatial feature map, `K₂ x 2 x 2`.
    pub a2: Vec<Volume>,
    /// pool 2's switches.
    pub pool2: MaxPoolCache,
    /// flatten's batch size.
    pub flatten: FlattenCache,
    /// fc 1's input, `K₂ x B`.
    pub fc1: AffineCache,
    /// fc 1's output, the ReLU's input.
    pub relu3: ReluCache,
    /// The dropout mask (`None` at test time).
    pub dropout: Option<DropoutCache>,
    /// fc 2's input.
    pub fc2: AffineCache,
}

impl ConvNet {
    /// A network of `config`, weights He-initialised from `rng`.
    ///
    /// # Errors
    /// [`Error::Config`] when a layer's geometry does not work (a filter or
    /// window larger than its input, windows that do not tile, a dropout
    /// probability outside `[0, 1)`, a zero size).
    pub fn new(config: ConvNetConfig, rng: &mut Rng) -> Result<Self, Error> {
        let c = config;
        let input = Shape::new(1, c.image, c.image);
        let conv1 = Conv::new(input, c.k1, c.f1, 1, Padding::VALID, rng)?;
        let pool1 = MaxPool::new(conv1.output_shape(), c.pool, c.pool)?;
        let conv2 = Conv::new(
            pool1.output_shape(),
            c.k2,
            c.f2,
            1,
            Padding::VALID,
            rng,
        )?;
        let pool2 = MaxPool::new(conv2.output_shape(), c.pool, c.pool)?;
        let flatten = Flatten::new(pool2.output_shape());
        let fc1 = Affine::new(flatten.output_len(), c.hidden, rng)?;
        let fc2 = Affine::new(c.hidden, c.classes, rng)?;
        let dropout = Dropout::new(c.dropout)?;
        Ok(ConvNet {
            config,
            conv1,
            pool1,
            conv2,
            pool2,
            flatten,
            fc1,
            fc2,
            dropout,
        })
    }

    /// The sizes it was built with.
    pub fn config(&self) -> ConvNetConfig {
        self.config
    }

    /// The shape of one input image, `1 x image x image`.
    pub fn input_shape(&self) -> Shape {
        self.conv1.input_shape()
    }

    /// The shape of [`ConvNet::feature_maps`]' volumes, `K₂ x 2 x 2` for the
    /// digits.
    pub fn feature_shape(&self) -> Shape {
        self.conv2.output_shape()
    }

    /// A copy of every parameter.
    pub fn params(&self) -> ConvNetParams {
        ConvNetParams {
            conv1: self.conv1.params.clone(),
            conv2: self.conv2.params.clone(),
            fc1: self.fc1.params.clone(),
            fc2: self.fc2.params.clone(),
        }
    }

    /// Replaces every parameter.
    ///
    /// # Panics
    /// When `params` has other names or shapes than the network's.
    pub fn set_params(&mut self, params: ConvNetParams) {
        assert_eq!(
            params.shapes(),
            self.params().shapes(),
            "ConvNet::set_params: the parameters do not fit this network"
        );
        self.conv1.params = params.conv1;
        self.conv2.params = params.conv2;
        self.fc1.params = params.fc1;
        self.fc2.params = params.fc2;
    }

    /// A dropout mask for a batch of `batch` images (`n₃ x B`, entries 0
    /// or `1/(1 − p)`), drawn from `rng`.
    pub fn draw_mask(&self, batch: usize, rng: &mut Rng) -> DMatrix<f64> {
        let ones = DMatrix::from_element(self.config.hidden, batch, 1.0);
        self.dropout.forward(&ones, rng).1.mask
    }

    /// The spatial feature map of each image: conv → ReLU → max-pool → conv
    /// → ReLU, a `K₂ x H x W` volume per image ([`ConvNet::feature_shape`];
    /// `32 x 2 x 2` for the trained digits network). This is what a later
    /// model can use as a fixed image encoder (each of the `H·W` positions
    /// is a `K₂`-vector describing one region of the image).
    ///
    /// # Panics
    /// When an image is not of [`ConvNet::input_shape`].
    pub fn feature_maps(&self, x: &[Volume]) -> Vec<Volume> {
        let (h1, _) = self.conv1.forward(x);
        let (a1, _) = Relu.forward_volumes(&h1);
        let (p1, _) = self.pool1.forward(&a1);
        let (h2, _) = self.conv2.forward(&p1);
        Relu.forward_volumes(&h2).0
    }

    /// The engine's forward pass for a whole batch: the class scores
    /// (`classes x B`, before the softmax) and the cache. With a `mask`
    /// (from [`ConvNet::draw_mask`]) dropout is applied (training); with
    /// `None` it is not (testing, inverted dropout needs no rescaling).
    ///
    /// # Panics
    /// When an image is not of [`ConvNet::input_shape`], or the mask is not
    /// `n₃ x B`.
    // ANCHOR: forward
    pub fn forward(
        &self,
        x: &[Volume],
        mask: Option<&DMatrix<f64>>,
    ) -> (DMatrix<f64>, ConvNetCache) {
        let (h1, conv1) = self.conv1.forward(x);
        let (a1, relu1) = Relu.forward_volumes(&h1);
        let (p1, pool1) = self.pool1.forward(&a1);
        let (h2, conv2) = self.conv2.forward(&p1);
        let (a2, relu2) = Relu.forward_volumes(&h2);
        let (p2, pool2) = self.pool2.forward(&a2);
        let (flat, flatten) = self.flatten.forward(&p2);
        let (z3, fc1) = self.fc1.forward(&flat);
        let (a3, relu3) = Relu.forward(&z3);
        let (d3, dropout) = match mask {
            Some(m) => {
                let cache = DropoutCache { mask: m.clone() };
                foundations::shape::expect_same_shape(
                    "convnet::forward",
                    "hidden activations",
                    &a3,
                    "mask",
                    m,
                );
                (a3.component_mul(m), Some(cache))
            }
            None => (a3, None),
        };
        let (scores, fc2) = self.fc2.forward(&d3);
        let cache = ConvNetCache {
            conv1,
            relu1,
            a1,
            pool1,
            p1,
            conv2,
            relu2,
            a2,
            pool2,
            flatten,
            fc1,
            relu3,
            dropout,
            fc2,
        };
        (scores, cache)
    }
    // ANCHOR_END: forward

    /// The engine's backward pass: from `∂L/∂scores` (`classes x B`) to the
    /// gradient of every parameter and of every input image.
    ///
    /// # Panics
    /// When `d_scores` is not `classes x B`.
    // ANCHOR: backward
    pub fn backward(
        &self,
        cache: &ConvNetCache,
        d_scores: &DMatrix<f64>,
    ) -> (ConvNetParams, Vec<Volume>) {
        let (fc2, d_d3) = self.fc2.backward(&cache.fc2, d_scores);
        let d_a3 = match &cache.dropout {
            Some(c) => self.dropout.backward(c, &d_d3),
            None => d_d3,
        };
        let d_z3 = Relu.backward(&cache.relu3, &d_a3);
        let (fc1, d_flat) = self.fc1.backward(&cache.fc1, &d_z3);
        let d_p2 = self.flatten.backward(&cache.flatten, &d_flat);
        let d_a2 = self.pool2.backward(&cache.pool2, &d_p2);
        let d_h2 = Relu.backward_volumes(&cache.relu2, &d_a2);
        let (conv2, d_p1) = self.conv2.backward(&cache.conv2, &d_h2);
        let d_a1 = self.pool1.backward(&cache.pool1, &d_p1);
        let d_h1 = Relu.backward_volumes(&cache.relu1, &d_a1);
        let (conv1, d_x) = self.conv1.backward(&cache.conv1, &d_h1);
        let grads = ConvNetParams {
            conv1,
            conv2,
            fc1,
            fc2,
        };
        (grads, d_x)
    }
    // ANCHOR_END: backward

    /// The engine's loss and gradients for a batch: [`ConvNet::forward`],
    /// the mean cross-entropy, [`ConvNet::backward`]. Returns the loss, the
    /// parameters' gradients and the images' gradients.
    ///
    /// # Panics
    /// When the images, labels or mask do not fit (named).
    // ANCHOR: loss_and_grads
    pub fn loss_and_grads(
        &self,
        x: &[Volume],
        labels: &[usize],
        mask: Option<&DMatrix<f64>>,
    ) -> (f64, ConvNetParams, Vec<Volume>) {
        let (scores, cache) = self.forward(x, mask);
        let (loss, d_scores) = cross_entropy(&scores, labels, Reduction::Mean);
        let (grads, d_x) = self.backward(&cache, &d_scores);
        (loss, grads, d_x)
    }
    // ANCHOR_END: loss_and_grads

    /// The reference loss and gradients: one image at a time, as the
    /// slide's training recipe reads — forward through every layer, the
    /// loss, backward through every layer in reverse — with the gradients
    /// summed over the batch and divided by `B`:
    /// $L = \frac1B \sum_b L_b$, $\nabla\theta = \frac1B \sum_b
    /// \nabla\theta\,L_b$. Column `b` of `mask` is image `b`'s dropout mask.
    ///
    /// Book: `pooling/convnet.md#loss-and-gradients-one-image-at-a-time`.
    ///
    /// # Panics
    /// When the batch is empty, or the labels or mask do not fit the batch.
    pub fn loss_and_grads_reference(
        &self,
        x: &[Volume],
        labels: &[usize],
        mask: Option<&DMatrix<f64>>,
    ) -> (f64, ConvNetParams, Vec<Volume>) {
        let func = "convnet::loss_and_grads_reference";
        assert!(
            !x.is_empty() && labels.len() == x.len(),
            "{func}: {} images and {} labels, expected the same number ≥ 1",
            x.len(),
            labels.len()
        );
        if let Some(m) = mask {
            foundations::shape::expect_shape(
                func,
                "mask",
                m,
                foundations::shape::Dim::Is(self.config.hidden),
                foundations::shape::Dim::Is(x.len()),
            );
        }
        // ANCHOR: loss_and_grads_reference
        // BEGIN SOLUTION convnet-loss-and-grads
        let mut loss = 0.0;
        let mut grads = self.params().zeros_like();
        let mut d_x = Vec::with_capacity(x.len());
        for (b, image) in x.iter().enumerate() {
            // forward one training example through every layer
            let x_b = std::slice::from_ref(image);
            let (h1, conv1) = self.conv1.forward(x_b);
            let (a1, relu1) = Relu.forward_volumes(&h1);
            let (p1, pool1) = self.pool1.forward(&a1);
            let (h2, conv2) = self.conv2.forward(&p1);
            let (a2, relu2) = Relu.forward_volumes(&h2);
            let (p2, pool2) = self.pool2.forward(&a2);
            let (flat, flatten) = self.flatten.forward(&p2);
            let (z3, fc1) = self.fc1.forward(&flat);
            let (a3, relu3) = Relu.forward(&z3);
            let m = mask.map(|m| m.columns(b, 1).into_owned());
            let d3 = match &m {
                Some(m) => a3.component_mul(m), // inverted dropout
                None => a3,
            };
            let (scores, fc2) = self.fc2.forward(&d3);
            // the loss at the output: L_b = −log softmax(scores)[y_b]
            let (l_b, d_scores) =
                cross_entropy(&scores, &labels[b..=b], Reduction::Sum);
            loss += l_b;
            // backprop, layer by layer in reverse
            let (g_fc2, d_d3) = self.fc2.backward(&fc2, &d_scores);
            let d_a3 = match &m {
                Some(m) => d_d3.component_mul(m),
                None => d_d3,
            };
            let d_z3 = Relu.backward(&relu3, &d_a3);
            let (g_fc1, d_flat) = self.fc1.backward(&fc1, &d_z3);
            let d_p2 = self.flatten.backward(&flatten, &d_flat);
            let d_a2 = self.pool2.backward(&pool2, &d_p2);
            let d_h2 = Relu.backward_volumes(&relu2, &d_a2);
            let (g_conv2, d_p1) = self.conv2.backward(&conv2, &d_h2);
            let d_a1 = self.pool1.backward(&pool1, &d_p1);
            let d_h1 = Relu.backward_volumes(&relu1, &d_a1);
            let (g_conv1, d_image) = self.conv1.backward(&conv1, &d_h1);
            grads.accumulate(&ConvNetParams {
                conv1: g_conv1,
                conv2: g_conv2,
                fc1: g_fc1,
                fc2: g_fc2,
            });
            d_x.extend(d_image);
        }
        // the mean over the batch: L = (1/B) Σ_b L_b
        let scale = 1.0 / x.len() as f64;
        grads.scale(scale);
        for d in &mut d_x {
            *d.as_matrix_mut() *= scale;
        }
        (loss * scale, grads, d_x)
        // END SOLUTION
        // ANCHOR_END: loss_and_grads_reference
    }

    /// The class scores at test time (no dropout), `classes x B`.
    pub fn scores(&self, x: &[Volume]) -> DMatrix<f64> {
        self.forward(x, None).0
    }

    /// The predicted class of each image (the largest score).
    pub fn predict(&self, x: &[Volume]) -> Vec<usize> {
        let s = self.scores(x);
        s.column_iter().map(|c| c.argmax().0).collect()
    }

    /// One training step of the engine on a minibatch: draw a dropout mask,
    /// compute the loss and gradients, stop on a non-finite loss, update
    /// with `opt`. Returns the loss.
    ///
    /// # Errors
    /// [`Error::NonFiniteLoss`] when the loss is NaN or infinite.
    // ANCHOR: train_step
    pub fn train_step(
        &mut self,
        opt: &mut impl Optimizer,
        x: &[Volume],
        labels: &[usize],
        step: usize,
        rng: &mut Rng,
    ) -> Result<f64, Error> {
        let mask = self.draw_mask(x.len(), rng);
        let (loss, grads, _) = self.loss_and_grads(x, labels, Some(&mask));
        foundations::ensure_finite(loss, step)?;
        let mut params = self.params();
        opt.step(&mut params, &grads);
        self.set_params(params);
        Ok(loss)
    }
    // ANCHOR_END: train_step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{accuracy, to_volumes};
    use foundations::optim::Sgd;
    use foundations::{Params, ParamsExt};

    #[test]
    fn shapes_follow_the_diagram_8_6_3_2_1() {
        let net =
            ConvNet::new(ConvNetConfig::default(), &mut crate::tests_rng())
                .unwrap();
        assert_eq!(net.conv1.output_shape(), Shape::new(16, 6, 6));
        assert_eq!(net.pool1.output_shape(), Shape::new(16, 3, 3));
        assert_eq!(net.feature_shape(), Shape::new(32, 2, 2));
        assert_eq!(net.pool2.output_shape(), Shape::new(32, 1, 1));
        assert_eq!(net.params().num_params(), 5002);
    }

    #[test]
    fn a_configuration_that_cannot_work_is_an_error() {
        let bad = ConvNetConfig {
            image: 5, // 5 → 3 → pool 2x2/2 does not tile 3
            ..ConvNetConfig::default()
        };
        let e = ConvNet::new(bad, &mut crate::tests_rng()).unwrap_err();
        assert!(e.to_string().starts_with("MaxPool: invalid"), "{e}");
        let bad = ConvNetConfig {
            dropout: 1.0,
            ..ConvNetConfig::default()
        };
        assert!(ConvNet::new(bad, &mut crate::tests_rng()).is_err());
    }

    #[test]
    #[should_panic(expected = "conv::forward: x[0] is 1x7x7, expected 1x8x8")]
    fn a_wrong_image_size_is_named() {
        let net =
            ConvNet::new(ConvNetConfig::default(), &mut crate::tests_rng())
                .unwrap();
        net.scores(&[Volume::zeros(Shape::new(1, 7, 7))]);
    }

    #[test]
    fn a_non_finite_loss_stops_training_with_an_error() {
        let mut net =
            ConvNet::new(ConvNetConfig::default(), &mut crate::tests_rng())
                .unwrap();
        let mut p = net.params();
        p.visit_mut(&mut |_, m| m.fill(f64::NAN));
        net.set_params(p);
        let x = vec![Volume::zeros(Shape::new(1, 8, 8))];
        let r = net.train_step(
            &mut Sgd::new(0.1, 0.0),
            &x,
            &[1],
            7,
            &mut crate::tests_rng(),
        );
        assert!(
            matches!(r, Err(Error::NonFiniteLoss { step: 7, .. })),
            "{r:?}"
        );
    }

    #[test]
    fn a_few_steps_on_real_digits_lower_the_loss() {
        let digits = datasets::Digits::load().unwrap();
        let (x, y) = to_volumes(&digits.images[..64]);
        let mut rng = crate::tests_rng();
        let mut net = ConvNet::new(ConvNetConfig::default(), &mut rng).unwrap();
        let mut opt = foundations::optim::Adam::new(3e-3);
        let first = net.train_step(&mut opt, &x, &y, 0, &mut rng).unwrap();
        let mut last = first;
        for step in 1..40 {
            last = net.train_step(&mut opt, &x, &y, step, &mut rng).unwrap();
        }
        assert!(last < 0.5 * first, "{first} → {last}");
        assert!(accuracy(&net.predict(&x), &y) > 0.8);
    }
}
