//! Graded tests: one module per exercise of `exercises/fc-and-conv.toml`
//! (`cargo test -p fc-and-conv --test graded conv_backward_naive::` runs
//! one). Each test calls its own exercise; the engine (`forward`,
//! `backward`, im2col) is never an exercise, so it may serve as the
//! yardstick.

use fc_and_conv::stack::{
    LayerSpec, output_size, quiz_stack, summarize, total_params,
};
use fc_and_conv::{
    Affine, AffineParams, Conv, ConvParams, Padding, Relu, Shape, Volume,
};
use foundations::{DMatrix, Named, Rng, assert_gradients, graded_config};
use proptest::prelude::*;

mod common;
use common::{dot, random_batch, random_volume};

/// Panics with the worst entry when `got` and `want` differ by > 1e-12.
fn assert_close(what: &str, got: &DMatrix<f64>, want: &DMatrix<f64>) {
    assert_eq!(
        got.shape(),
        want.shape(),
        "{what}: your result has the wrong shape"
    );
    let diff = got - want;
    let (i, j) = diff.iamax_full();
    assert!(
        diff[(i, j)].abs() < 1e-12,
        "{what}: entry ({i}, {j}) is {:.12} but should be {:.12}",
        got[(i, j)],
        want[(i, j)]
    );
}

fn assert_volumes_close(what: &str, got: &[Volume], want: &[Volume]) {
    assert_eq!(got.len(), want.len(), "{what}: wrong number of volumes");
    for (b, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g.shape(),
            w.shape(),
            "{what}[{b}]: volume has the wrong shape (depth x height x width)"
        );
        let diff = g.max_abs_diff(w);
        assert!(
            diff < 1e-12,
            "{what}[{b}]: differs from the expected volume by up to {diff:e} \
             (entry (d, p) of the d x (H·W) matrix is (d, p / W, p % W));\n\
             got      {:?}\nexpected {:?}",
            g.as_matrix().as_slice(),
            w.as_matrix().as_slice()
        );
    }
}

fn affine(n_in: usize, n_out: usize, rng: &mut Rng) -> Affine {
    let mut layer = Affine::new(n_in, n_out, rng).unwrap();
    layer.params.b = foundations::init::uniform(n_out, 1, 1.0, rng);
    layer
}

mod affine_forward {
    use super::*;

    #[test]
    fn a_2x3_layer_computes_w_x_plus_b_by_hand() {
        let layer = Affine::from_params(AffineParams {
            w: DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, -1.0, 0.0, 1.0]),
            b: DMatrix::from_column_slice(2, 1, &[0.5, -0.5]),
        })
        .unwrap();
        let x =
            DMatrix::from_column_slice(3, 2, &[1.0, 1.0, 1.0, 2.0, 0.0, -1.0]);
        let (y, _) = layer.forward_reference(&x);
        // column 0: 1+2+3+0.5, -1+0+1-0.5; column 1: 2+0-3+0.5, -2+0-1-0.5
        let want = DMatrix::from_column_slice(2, 2, &[6.5, -0.5, -0.5, -3.5]);
        assert_close("affine::forward_reference: y", &y, &want);
    }

    #[test]
    fn the_slides_32x32x3_image_gives_10_scores() {
        let mut rng = foundations::rng(32);
        let layer = affine(3072, 10, &mut rng);
        let x = foundations::init::uniform(3072, 1, 1.0, &mut rng);
        let (y, _) = layer.forward_reference(&x);
        assert_eq!(y.shape(), (10, 1), "10 scores, one per class");
        assert_close("affine::forward_reference: y", &y, &layer.forward(&x).0);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn equals_the_matrix_product_on_random_batches(
            n_in in 1usize..8, n_out in 1usize..6, b in 1usize..5,
            seed in 0u64..1000
        ) {
            let mut rng = foundations::rng(seed);
            let layer = affine(n_in, n_out, &mut rng);
            let x = foundations::init::uniform(n_in, b, 1.0, &mut rng);
            let (y, cache) = layer.forward_reference(&x);
            let want = layer.forward(&x).0;
            assert_close("affine::forward_reference: y", &y, &want);
            prop_assert_eq!(&cache.x, &x, "the cache must hold the input x");
        }
    }
}

mod affine_backward {
    use super::*;

    fn check(n_in: usize, n_out: usize, b: usize, seed: u64) {
        let mut rng = foundations::rng(seed);
        let layer = affine(n_in, n_out, &mut rng);
        let x = foundations::init::uniform(n_in, b, 1.0, &mut rng);
        let d_y = foundations::init::uniform(n_out, b, 1.0, &mut rng);
        let (_, cache) = layer.forward(&x);
        let (grads, d_x) = layer.backward_reference(&cache, &d_y);
        // L = Σ y ⊙ dy, so ∂L/∂y = dy.
        let theta = (layer.params.clone(), Named("x", x));
        assert_gradients(
            "affine::backward_reference",
            &theta,
            &(grads, Named("x", d_x)),
            |p| {
                Affine {
                    params: p.0.clone(),
                }
                .forward(&p.1.1)
                .0
                .dot(&d_y)
            },
        );
    }

    #[test]
    fn dw_db_dx_match_numeric_gradient_on_a_batch_of_3() {
        check(4, 3, 3, 1);
    }

    #[test]
    fn db_sums_the_upstream_gradient_over_the_batch() {
        let mut rng = foundations::rng(2);
        let layer = affine(2, 3, &mut rng);
        let x = foundations::init::uniform(2, 4, 1.0, &mut rng);
        let d_y = DMatrix::from_element(3, 4, 1.0);
        let (grads, _) = layer.backward_reference(&layer.forward(&x).1, &d_y);
        let want = DMatrix::from_element(3, 1, 4.0);
        assert_close("affine::backward_reference: db", &grads.b, &want);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn gradients_match_numeric_on_random_shapes(
            n_in in 1usize..6, n_out in 1usize..5, b in 1usize..4,
            seed in 0u64..1000
        ) {
            check(n_in, n_out, b, seed);
        }
    }
}

mod relu_backward {
    use super::*;

    /// Entries at least 0.1 away from the kink at 0.
    fn away_from_kink(rows: usize, cols: usize, rng: &mut Rng) -> DMatrix<f64> {
        foundations::init::uniform(rows, cols, 1.0, rng).map(|v| {
            if v.abs() < 0.1 {
                v + 0.2 * v.signum()
            } else {
                v
            }
        })
    }

    #[test]
    fn passes_the_gradient_where_x_was_positive_and_stops_it_elsewhere() {
        let x = DMatrix::from_row_slice(2, 2, &[1.5, -0.5, -2.0, 0.25]);
        let d_y = DMatrix::from_row_slice(2, 2, &[10.0, 20.0, 30.0, 40.0]);
        let (_, cache) = Relu.forward(&x);
        let d_x = Relu.backward_reference(&cache, &d_y);
        let want = DMatrix::from_row_slice(2, 2, &[10.0, 0.0, 0.0, 40.0]);
        assert_close("relu::backward_reference: dx", &d_x, &want);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn dx_matches_numeric_gradient(
            rows in 1usize..6, cols in 1usize..4, seed in 0u64..1000
        ) {
            let mut rng = foundations::rng(seed);
            let x = away_from_kink(rows, cols, &mut rng);
            let d_y = foundations::init::uniform(rows, cols, 1.0, &mut rng);
            let (_, cache) = Relu.forward(&x);
            let d_x = Relu.backward_reference(&cache, &d_y);
            assert_gradients(
                "relu::backward_reference",
                &Named("x", x),
                &Named("x", d_x),
                |p| Relu.forward(&p.1).0.dot(&d_y),
            );
        }
    }
}

/// A random geometry that works (Same, or an explicit P that tiles).
fn conv_case(
    depth: usize,
    n: (usize, usize),
    k: usize,
    f: usize,
    s: usize,
    padding: Padding,
    seed: u64,
) -> Option<(Conv, Rng)> {
    let mut rng = foundations::rng(seed);
    let input = Shape::new(depth, n.0, n.1);
    let mut conv = Conv::new(input, k, f, s, padding, &mut rng).ok()?;
    conv.params.b = foundations::init::uniform(k, 1, 1.0, &mut rng);
    Some((conv, rng))
}

fn paddings() -> impl Strategy<Value = Padding> {
    prop_oneof![Just(Padding::Same), (0usize..3).prop_map(Padding::Explicit)]
}

mod conv_forward_naive {
    use super::*;

    fn one_filter(
        filter: Volume,
        bias: f64,
        input: Shape,
        stride: usize,
        padding: Padding,
    ) -> Conv {
        let params = ConvParams {
            w: vec![filter],
            b: DMatrix::from_element(1, 1, bias),
        };
        Conv::from_params(input, params, stride, padding).unwrap()
    }

    #[test]
    fn a_2x2_box_filter_sums_each_window_plus_the_bias() {
        let s = Shape::new(1, 3, 3);
        let x = Volume::from_fn(s, |_, i, j| (3 * i + j + 1) as f64); // 1..9
        let ones = Volume::from_fn(Shape::new(1, 2, 2), |_, _, _| 1.0);
        let conv = one_filter(ones, 0.5, s, 1, Padding::VALID);
        let (y, _) = conv.forward_reference(&[x]);
        let want = Volume::from_slices(&[DMatrix::from_row_slice(
            2,
            2,
            &[12.5, 16.5, 24.5, 28.5],
        )]);
        assert_volumes_close("conv::forward_reference: y", &y, &[want]);
    }

    #[test]
    fn a_centre_filter_with_padding_1_returns_the_image() {
        let s = Shape::new(1, 4, 5);
        let x = Volume::from_fn(s, |_, i, j| (i * 10 + j) as f64);
        let centre = Volume::from_fn(Shape::new(1, 3, 3), |_, u, v| {
            if u == 1 && v == 1 { 1.0 } else { 0.0 }
        });
        let conv = one_filter(centre, 0.0, s, 1, Padding::Explicit(1));
        let (y, _) = conv.forward_reference(std::slice::from_ref(&x));
        assert_volumes_close("conv::forward_reference: y", &y, &[x]);
    }

    #[test]
    fn the_filter_spans_the_full_depth() {
        // Depth 2: slice 0 all 1, slice 1 all 2; a 1x1 filter (3, -1).
        let s = Shape::new(2, 2, 2);
        let x = Volume::from_fn(s, |d, _, _| (d + 1) as f64);
        let filter = Volume::from_fn(Shape::new(2, 1, 1), |d, _, _| {
            if d == 0 { 3.0 } else { -1.0 }
        });
        let conv = one_filter(filter, 0.0, s, 1, Padding::VALID);
        let (y, _) = conv.forward_reference(&[x]);
        let want = Volume::from_fn(Shape::new(1, 2, 2), |_, _, _| 1.0);
        assert_volumes_close("conv::forward_reference: y", &y, &[want]);
    }

    #[test]
    fn output_is_depth_6_by_28_by_28_for_six_5x5_filters_on_32x32x3() {
        let (conv, mut rng) =
            conv_case(3, (32, 32), 6, 5, 1, Padding::VALID, 6).unwrap();
        let x = random_batch(1, conv.input_shape(), &mut rng);
        let (y, _) = conv.forward_reference(&x);
        assert_eq!(
            y[0].shape(),
            Shape::new(6, 28, 28),
            "y is K x H' x W' = 6 x 28 x 28: (N − F)/S + 1 = (32 − 5)/1 + 1 \
             = 28 for K = 6 filters of 5 x 5 x 3"
        );
        assert_volumes_close(
            "conv::forward_reference: y",
            &y,
            &conv.forward(&x).0,
        );
    }

    #[test]
    fn stride_2_on_7x7_with_3x3_gives_3x3() {
        let (conv, mut rng) =
            conv_case(1, (7, 7), 1, 3, 2, Padding::VALID, 7).unwrap();
        let x = random_batch(2, conv.input_shape(), &mut rng);
        let (y, _) = conv.forward_reference(&x);
        assert_eq!(
            y[0].shape(),
            Shape::new(1, 3, 3),
            "y is K x H' x W' = 1 x 3 x 3: (N − F)/S + 1 = (7 − 3)/2 + 1 = 3"
        );
        assert_volumes_close(
            "conv::forward_reference: y",
            &y,
            &conv.forward(&x).0,
        );
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn equals_im2col_on_random_shapes_strides_and_paddings(
            depth in 1usize..4, n_h in 3usize..8, n_w in 3usize..8,
            k in 1usize..4, f in 1usize..4, s in 1usize..4,
            padding in paddings(), b in 1usize..3, seed in 0u64..10_000
        ) {
            let Some((conv, mut rng)) =
                conv_case(depth, (n_h, n_w), k, f, s, padding, seed)
            else {
                return Ok(()); // a geometry that does not tile
            };
            let x = random_batch(b, conv.input_shape(), &mut rng);
            let (y, cache) = conv.forward_reference(&x);
            assert_volumes_close(
                "conv::forward_reference: y",
                &y,
                &conv.forward(&x).0,
            );
            prop_assert_eq!(&cache.x, &x, "the cache must hold the input x");
        }
    }
}

mod conv_backward_naive {
    use super::*;

    fn check(conv: &Conv, rng: &mut Rng, b: usize) {
        let x = random_batch(b, conv.input_shape(), rng);
        let d_out = random_batch(b, conv.output_shape(), rng);
        // The cache the exercise needs (no forward exercise is run).
        let cache = fc_and_conv::ConvCache { x: x.clone() };
        let (grads, d_x) = conv.backward_reference(&cache, &d_out);
        // L = Σ y ⊙ dout, so ∂L/∂y = dout.
        let theta = (conv.params.clone(), Named("x", x));
        assert_gradients(
            "conv::backward_reference",
            &theta,
            &(grads, Named("x", d_x)),
            |p| {
                let mut layer = conv.clone();
                layer.params = p.0.clone();
                dot(&layer.forward(&p.1.1).0, &d_out)
            },
        );
    }

    #[test]
    fn dw_db_dx_match_numeric_gradient_with_padding_1() {
        let (conv, mut rng) =
            conv_case(2, (5, 5), 2, 3, 1, Padding::Explicit(1), 1).unwrap();
        check(&conv, &mut rng, 2);
    }

    #[test]
    fn dw_db_dx_match_numeric_gradient_with_stride_2() {
        let (conv, mut rng) =
            conv_case(2, (7, 7), 3, 3, 2, Padding::VALID, 2).unwrap();
        check(&conv, &mut rng, 1);
    }

    #[test]
    fn dw_db_dx_match_numeric_gradient_with_same_padding() {
        let (conv, mut rng) =
            conv_case(1, (6, 5), 2, 4, 2, Padding::Same, 3).unwrap();
        check(&conv, &mut rng, 2);
    }

    #[test]
    fn equals_the_im2col_backward() {
        let (conv, mut rng) =
            conv_case(3, (8, 8), 4, 3, 1, Padding::Same, 4).unwrap();
        let x = random_batch(2, conv.input_shape(), &mut rng);
        let d_out = random_batch(2, conv.output_shape(), &mut rng);
        let (_, fast_cache) = conv.forward(&x);
        let (want, want_dx) = conv.backward(&fast_cache, &d_out);
        let cache = fc_and_conv::ConvCache { x };
        let (grads, d_x) = conv.backward_reference(&cache, &d_out);
        assert_volumes_close("conv::backward_reference: dw", &grads.w, &want.w);
        assert_close("conv::backward_reference: db", &grads.b, &want.b);
        assert_volumes_close("conv::backward_reference: dx", &d_x, &want_dx);
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn gradients_match_numeric_on_random_shapes_strides_and_paddings(
            depth in 1usize..3, n_h in 3usize..7, n_w in 3usize..7,
            k in 1usize..3, f in 1usize..4, s in 1usize..3,
            padding in paddings(), b in 1usize..3, seed in 0u64..10_000
        ) {
            let Some((conv, mut rng)) =
                conv_case(depth, (n_h, n_w), k, f, s, padding, seed)
            else {
                return Ok(());
            };
            check(&conv, &mut rng, b);
        }
    }
}

mod conv_output_size {
    use super::*;

    #[test]
    fn n7_f3_gives_5_at_stride_1_and_3_at_stride_2() {
        assert_eq!(output_size(7, 3, 1, 0), 5, "(7 − 3)/1 + 1");
        assert_eq!(output_size(7, 3, 2, 0), 3, "(7 − 3)/2 + 1");
    }

    #[test]
    fn a_5x5_filter_on_32_pixels_gives_28_and_padding_2_keeps_32() {
        assert_eq!(output_size(32, 5, 1, 0), 28, "(32 − 5)/1 + 1");
        assert_eq!(output_size(32, 5, 1, 2), 32, "(32 − 5 + 2·2)/1 + 1");
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn matches_the_layers_actual_output_on_tiling_geometries(
            n in 1usize..40, f in 1usize..8, s in 1usize..5, p in 0usize..4
        ) {
            if let Ok(axis) = fc_and_conv::Axis::new(
                "conv", "width", n, f, s, Padding::Explicit(p),
            ) {
                prop_assert_eq!(output_size(n, f, s, p), axis.out,
                    "N = {}, F = {}, S = {}, P = {}", n, f, s, p);
            }
        }
    }
}

mod param_count {
    use super::*;

    #[test]
    fn the_quiz_stack_has_903_400_parameters() {
        let layers = summarize(Shape::new(3, 200, 300), &quiz_stack()).unwrap();
        let per_layer: Vec<usize> = layers.iter().map(|l| l.params).collect();
        assert_eq!(
            per_layer,
            [2_800, 180_200, 720_400],
            "each filter has F·F·depth weights and one bias"
        );
        assert_eq!(
            total_params(&layers),
            903_400,
            "the quiz stack's total, 2,800 + 180,200 + 720,400 parameters"
        );
    }

    #[test]
    fn the_quiz_outputs_are_100x100x150_then_200x50x75_then_400x25x38() {
        let layers = summarize(Shape::new(3, 200, 300), &quiz_stack()).unwrap();
        let shapes: Vec<Shape> = layers.iter().map(|l| l.output).collect();
        assert_eq!(
            shapes,
            [
                Shape::new(100, 100, 150),
                Shape::new(200, 50, 75),
                Shape::new(400, 25, 38),
            ],
            "SAME with stride 2 gives ⌈N/2⌉"
        );
    }

    #[test]
    fn one_fully_connected_layer_of_100_neurons_has_over_18_million() {
        let fc = [LayerSpec::FullyConnected { units: 100 }];
        let layers = summarize(Shape::new(3, 200, 300), &fc).unwrap();
        assert_eq!(
            layers[0].params,
            100 * (3 * 200 * 300 + 1),
            "a fully connected layer of 100 neurons on 3 x 200 x 300: each \
             neuron has 3·200·300 weights and one bias"
        );
        assert!(
            total_params(&layers) > 18_000_000,
            "{} parameters, expected over 18 million",
            total_params(&layers)
        );
        assert_eq!(
            layers[0].output,
            Shape::new(100, 1, 1),
            "a fully connected layer of 100 neurons outputs 100 x 1 x 1"
        );
    }

    #[test]
    fn a_geometry_that_does_not_tile_is_an_error() {
        let bad = [LayerSpec::Conv {
            filters: 4,
            size: 3,
            stride: 3,
            padding: Padding::VALID,
        }];
        let err = summarize(Shape::new(1, 7, 7), &bad).unwrap_err();
        assert!(err.to_string().contains("not a whole number"), "{err}");
    }

    #[test]
    fn matches_the_parameters_of_built_layers() {
        let specs = [
            LayerSpec::Conv {
                filters: 5,
                size: 3,
                stride: 1,
                padding: Padding::Explicit(1),
            },
            LayerSpec::Conv {
                filters: 7,
                size: 2,
                stride: 2,
                padding: Padding::VALID,
            },
            LayerSpec::FullyConnected { units: 10 },
        ];
        let layers = summarize(Shape::new(2, 8, 8), &specs).unwrap();
        use foundations::ParamsExt;
        let mut rng = foundations::rng(1);
        let c1 = Conv::new(
            Shape::new(2, 8, 8),
            5,
            3,
            1,
            Padding::Explicit(1),
            &mut rng,
        )
        .unwrap();
        let c2 =
            Conv::new(c1.output_shape(), 7, 2, 2, Padding::VALID, &mut rng)
                .unwrap();
        let fc = Affine::new(c2.output_shape().len(), 10, &mut rng).unwrap();
        assert_eq!(
            layers[0].params,
            c1.num_params(),
            "layer 1 (5 filters 3 x 3 x 2, P = 1): parameters K·(F·F·depth \
             + 1) against the built Conv"
        );
        assert_eq!(
            layers[1].output,
            c2.output_shape(),
            "layer 2 (7 filters 2 x 2, S = 2): output K x H' x W' against \
             the built Conv"
        );
        assert_eq!(
            layers[1].params,
            c2.num_params(),
            "layer 2 (7 filters 2 x 2 x 5): parameters K·(F·F·depth + 1) \
             against the built Conv"
        );
        assert_eq!(
            layers[2].params,
            fc.num_params(),
            "layer 3 (fully connected, 10 units): parameters 10·(inputs + 1) \
             against the built Affine"
        );
    }
}

mod im2col {
    use super::*;
    use fc_and_conv::{Axis, im2col_reference};

    #[test]
    fn columns_are_the_2x2_windows_of_a_3x3_image() {
        let x =
            Volume::from_fn(Shape::new(1, 3, 3), |_, i, j| (3 * i + j) as f64);
        let a = Axis::new("conv", "height", 3, 2, 1, Padding::VALID).unwrap();
        let x_col = im2col_reference(&x, &a, &a);
        let want = DMatrix::from_column_slice(
            4,
            4,
            &[
                0.0, 1.0, 3.0, 4.0, // window (0, 0)
                1.0, 2.0, 4.0, 5.0, // window (0, 1)
                3.0, 4.0, 6.0, 7.0, // window (1, 0)
                4.0, 5.0, 7.0, 8.0, // window (1, 1)
            ],
        );
        assert_close("im2col_reference: X_col", &x_col, &want);
    }

    #[test]
    fn padding_entries_are_zero() {
        let x = Volume::from_fn(Shape::new(1, 2, 2), |_, _, _| 1.0);
        let a = Axis::new("conv", "h", 2, 3, 1, Padding::Explicit(1)).unwrap();
        let x_col = im2col_reference(&x, &a, &a);
        // Window (0, 0) covers rows/columns −1..1: only its lower-right 2x2
        // corner is inside the image.
        let want = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let got: Vec<f64> = x_col.column(0).iter().copied().collect();
        assert_eq!(got, want, "im2col_reference: X_col column 0");
    }

    proptest! {
        #![proptest_config(graded_config())]
        #[test]
        fn w_col_times_x_col_plus_b_is_the_convolution(
            depth in 1usize..4, n_h in 3usize..8, n_w in 3usize..8,
            k in 1usize..4, f in 1usize..4, s in 1usize..4,
            padding in paddings(), seed in 0u64..10_000
        ) {
            let Some((conv, mut rng)) =
                conv_case(depth, (n_h, n_w), k, f, s, padding, seed)
            else {
                return Ok(());
            };
            let x = random_volume(conv.input_shape(), &mut rng);
            let x_col = im2col_reference(&x, &conv.rows(), &conv.cols());
            assert_close(
                "im2col_reference: X_col",
                &x_col,
                &fc_and_conv::im2col(
                    std::slice::from_ref(&x),
                    &conv.rows(),
                    &conv.cols(),
                ),
            );
            let mut y = conv.params.filter_matrix() * &x_col;
            for mut column in y.column_iter_mut() {
                column += &conv.params.b;
            }
            let (want, _) = conv.forward(std::slice::from_ref(&x));
            assert_close("W_col · X_col + b", &y, want[0].as_matrix());
        }
    }
}
