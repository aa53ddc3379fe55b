//! The engine: equal to the references, gradient-checked, linear, and
//! loud about bad input. (Graded tests are in `graded.rs`.)

use fc_and_conv::stack::output_size;
use fc_and_conv::{
    Affine, AffineParams, Axis, Conv, ConvParams, Flatten, Padding, Relu,
    Shape, Volume,
};
use foundations::{DMatrix, Named, assert_gradients, graded_config};
use proptest::prelude::*;

mod common;
use common::{dot, random_batch, random_volume};

fn max_diff(a: &[Volume], b: &[Volume]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(u, v)| u.max_abs_diff(v))
        .fold(0.0, f64::max)
}

fn params_diff(a: &ConvParams, b: &ConvParams) -> f64 {
    max_diff(&a.w, &b.w).max((&a.b - &b.b).amax())
}

/// A random geometry that works: Same, or an explicit padding that tiles.
#[derive(Debug, Clone)]
struct Case {
    depth: usize,
    n_h: usize,
    n_w: usize,
    k: usize,
    f: usize,
    s: usize,
    padding: Padding,
    batch: usize,
    seed: u64,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        1usize..4,
        3usize..8,
        3usize..8,
        1usize..4,
        1usize..4,
        1usize..4,
        prop_oneof![Just(None), (0usize..3).prop_map(Some)],
        1usize..3,
        0u64..10_000,
    )
        .prop_map(|(depth, n_h, n_w, k, f, s, p, batch, seed)| Case {
            depth,
            n_h,
            n_w,
            k,
            f,
            s,
            padding: p.map_or(Padding::Same, Padding::Explicit),
            batch,
            seed,
        })
}

/// The layer, its input and an upstream gradient, when the geometry
/// tiles.
fn build(c: &Case) -> Option<(Conv, Vec<Volume>, Vec<Volume>)> {
    let mut rng = foundations::rng(c.seed);
    let input = Shape::new(c.depth, c.n_h, c.n_w);
    let mut conv = Conv::new(input, c.k, c.f, c.s, c.padding, &mut rng).ok()?;
    conv.params.b = foundations::init::uniform(c.k, 1, 1.0, &mut rng);
    let x = random_batch(c.batch, input, &mut rng);
    let d_out = random_batch(c.batch, conv.output_shape(), &mut rng);
    Some((conv, x, d_out))
}

proptest! {
    #![proptest_config(graded_config())]

    #[test]
    fn im2col_forward_and_backward_equal_the_reference_loops(c in cases()) {
        let Some((conv, x, d_out)) = build(&c) else {
            return Ok(());
        };
        let (y_fast, fast_cache) = conv.forward(&x);
        let (y_ref, ref_cache) = conv.forward_reference(&x);
        prop_assert!(max_diff(&y_fast, &y_ref) < 1e-12);
        let (g_fast, dx_fast) = conv.backward(&fast_cache, &d_out);
        let (g_ref, dx_ref) = conv.backward_reference(&ref_cache, &d_out);
        prop_assert!(params_diff(&g_fast, &g_ref) < 1e-12);
        prop_assert!(max_diff(&dx_fast, &dx_ref) < 1e-12);
    }

    #[test]
    fn conv_engine_gradients_match_central_differences(c in cases()) {
        let Some((conv, x, d_out)) = build(&c) else {
            return Ok(());
        };
        let (_, cache) = conv.forward(&x);
        let (grads, d_x) = conv.backward(&cache, &d_out);
        let theta = (conv.params.clone(), Named("x", x));
        let analytic = (grads, Named("x", d_x));
        assert_gradients("conv::backward", &theta, &analytic, |p| {
            let mut layer = conv.clone();
            layer.params = p.0.clone();
            dot(&layer.forward(&p.1.1).0, &d_out)
        });
    }

    #[test]
    fn output_size_formula_matches_the_actual_output(c in cases()) {
        let Some((conv, x, _)) = build(&c) else {
            return Ok(());
        };
        let y = conv.forward(&x).0;
        let out = y[0].shape();
        prop_assert_eq!(out, conv.output_shape());
        if let Padding::Explicit(p) = c.padding {
            prop_assert_eq!(out.height, output_size(c.n_h, c.f, c.s, p));
            prop_assert_eq!(out.width, output_size(c.n_w, c.f, c.s, p));
        } else {
            prop_assert_eq!(out.height, c.n_h.div_ceil(c.s));
            prop_assert_eq!(out.width, c.n_w.div_ceil(c.s));
        }
    }

    #[test]
    fn convolution_is_linear_in_the_input_and_in_the_filters(
        c in cases(), alpha in -2.0f64..2.0
    ) {
        let Some((conv, x1, _)) = build(&c) else {
            return Ok(());
        };
        let mut rng = foundations::rng(c.seed + 1);
        let x2 = random_batch(c.batch, conv.input_shape(), &mut rng);
        // Without the bias the map x ↦ conv(x) is linear.
        let mut plain = conv.clone();
        plain.params.b.fill(0.0);
        let mix: Vec<Volume> = x1
            .iter()
            .zip(&x2)
            .map(|(a, b)| {
                let m = a.as_matrix() * alpha + b.as_matrix();
                Volume::from_matrix(a.height(), a.width(), m)
            })
            .collect();
        let lhs = plain.forward(&mix).0;
        let (y1, y2) = (plain.forward(&x1).0, plain.forward(&x2).0);
        let rhs: Vec<Volume> = y1
            .iter()
            .zip(&y2)
            .map(|(a, b)| {
                let m = a.as_matrix() * alpha + b.as_matrix();
                Volume::from_matrix(a.height(), a.width(), m)
            })
            .collect();
        prop_assert!(max_diff(&lhs, &rhs) < 1e-12);
        // And w ↦ conv_w(x) is linear too.
        let mut other = plain.clone();
        for f in &mut other.params.w {
            *f = random_volume(f.shape(), &mut rng);
        }
        let mut sum = plain.clone();
        for (s, o) in sum.params.w.iter_mut().zip(&other.params.w) {
            *s = Volume::from_matrix(
                s.height(),
                s.width(),
                s.as_matrix() * alpha + o.as_matrix(),
            );
        }
        let lhs = sum.forward(&x1).0;
        let (a, b) = (plain.forward(&x1).0, other.forward(&x1).0);
        let rhs: Vec<Volume> = a
            .iter()
            .zip(&b)
            .map(|(a, b)| {
                let m = a.as_matrix() * alpha + b.as_matrix();
                Volume::from_matrix(a.height(), a.width(), m)
            })
            .collect();
        prop_assert!(max_diff(&lhs, &rhs) < 1e-12);
    }

    #[test]
    fn explicit_padding_output_agrees_with_the_slide_formula(
        n in 1usize..40, f in 1usize..8, s in 1usize..5, p in 0usize..4
    ) {
        match Axis::new("conv", "width", n, f, s, Padding::Explicit(p)) {
            Ok(a) => prop_assert_eq!(a.out, output_size(n, f, s, p)),
            Err(_) => prop_assert!(
                n + 2 * p < f || !(n + 2 * p - f).is_multiple_of(s)
            ),
        }
    }

    #[test]
    fn affine_engine_equals_the_loops_and_the_numeric_gradient(
        n_in in 1usize..7, n_out in 1usize..5, b in 1usize..4, seed in 0u64..1000
    ) {
        let mut rng = foundations::rng(seed);
        let mut layer = Affine::new(n_in, n_out, &mut rng).unwrap();
        layer.params.b = foundations::init::uniform(n_out, 1, 1.0, &mut rng);
        let x = foundations::init::uniform(n_in, b, 1.0, &mut rng);
        let d_y = foundations::init::uniform(n_out, b, 1.0, &mut rng);
        let (y, cache) = layer.forward(&x);
        let (y_ref, cache_ref) = layer.forward_reference(&x);
        prop_assert!((&y - &y_ref).amax() < 1e-12);
        let (g, d_x) = layer.backward(&cache, &d_y);
        let (g_ref, d_x_ref) = layer.backward_reference(&cache_ref, &d_y);
        prop_assert!((&g.w - &g_ref.w).amax() < 1e-12);
        prop_assert!((&g.b - &g_ref.b).amax() < 1e-12);
        prop_assert!((&d_x - &d_x_ref).amax() < 1e-12);
        let theta = (layer.params.clone(), Named("x", x));
        assert_gradients("affine::backward", &theta, &(g, Named("x", d_x)), |p| {
            let l = Affine { params: p.0.clone() };
            l.forward(&p.1.1).0.dot(&d_y)
        });
    }

    #[test]
    fn relu_engine_equals_the_loop_and_the_numeric_gradient(
        rows in 1usize..6, cols in 1usize..4, seed in 0u64..1000
    ) {
        let mut rng = foundations::rng(seed);
        // Away from the kink: |x| ≥ 0.1.
        let x = foundations::init::uniform(rows, cols, 1.0, &mut rng)
            .map(|v| if v.abs() < 0.1 { v.signum() * 0.1 + v } else { v });
        let d_y = foundations::init::uniform(rows, cols, 1.0, &mut rng);
        let (_, cache) = Relu.forward(&x);
        let d_x = Relu.backward(&cache, &d_y);
        prop_assert_eq!(&d_x, &Relu.backward_reference(&cache, &d_y));
        assert_gradients("relu::backward", &Named("x", x), &Named("x", d_x), |p| {
            Relu.forward(&p.1).0.dot(&d_y)
        });
    }
}

#[test]
fn flatten_backward_reshapes_and_is_checked() {
    let mut rng = foundations::rng(4);
    let shape = Shape::new(2, 3, 4);
    let x = random_batch(3, shape, &mut rng);
    let flat = Flatten::new(shape);
    let (y, cache) = flat.forward(&x);
    assert_eq!(y.shape(), (24, 3));
    assert_eq!(y.column(1).into_owned(), x[1].flatten().column(0));
    let d_y = foundations::init::uniform(24, 3, 1.0, &mut rng);
    let d_x = flat.backward(&cache, &d_y);
    assert_gradients(
        "flatten::backward",
        &Named("x", x),
        &Named("x", d_x),
        |p| flat.forward(&p.1).0.dot(&d_y),
    );
}

#[test]
fn relu_on_volumes_matches_relu_on_their_matrices() {
    let mut rng = foundations::rng(8);
    let x = random_batch(2, Shape::new(2, 3, 3), &mut rng);
    let d_y = random_batch(2, Shape::new(2, 3, 3), &mut rng);
    let (y, cache) = Relu.forward_volumes(&x);
    let d_x = Relu.backward_volumes(&cache, &d_y);
    for b in 0..2 {
        let (ym, cm) = Relu.forward(x[b].as_matrix());
        assert_eq!(y[b].as_matrix(), &ym);
        assert_eq!(d_x[b].as_matrix(), &Relu.backward(&cm, d_y[b].as_matrix()));
    }
}

#[test]
fn the_slides_fully_connected_layer_gives_10_scores_for_a_32x32x3_image() {
    let mut rng = foundations::rng(1);
    let image = random_volume(Shape::new(3, 32, 32), &mut rng);
    let (x, _) = Flatten::new(image.shape()).forward(&[image]);
    assert_eq!(x.shape(), (3072, 1));
    let layer = Affine::new(3072, 10, &mut rng).unwrap();
    assert_eq!(layer.params.w.shape(), (10, 3072));
    assert_eq!(layer.forward(&x).0.shape(), (10, 1));
}

#[test]
fn six_5x5_filters_on_32x32x3_give_6x28x28() {
    let mut rng = foundations::rng(2);
    let conv =
        Conv::new(Shape::new(3, 32, 32), 6, 5, 1, Padding::VALID, &mut rng)
            .unwrap();
    assert_eq!(conv.output_shape(), Shape::new(6, 28, 28));
    assert_eq!(conv.params.w[0].shape(), Shape::new(3, 5, 5));
    let x = random_batch(1, conv.input_shape(), &mut rng);
    assert_eq!(conv.forward(&x).0[0].shape(), Shape::new(6, 28, 28));
}

#[test]
fn n7_f3_stride_3_is_an_error_when_the_layer_is_built() {
    let mut rng = foundations::rng(3);
    let err = Conv::new(Shape::new(1, 7, 7), 2, 3, 3, Padding::VALID, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("conv: invalid configuration: height"),
        "{err}"
    );
    assert!(err.contains("padding P = 1 (output 3)"), "{err}");
    assert!(err.contains("stride 1, 2, 4 would work"), "{err}");
    // SAME always works.
    let same = Conv::new(Shape::new(1, 7, 7), 2, 3, 3, Padding::Same, &mut rng)
        .unwrap();
    assert_eq!(same.output_shape(), Shape::new(2, 3, 3));
}

#[test]
fn zero_sized_layers_are_errors() {
    let mut rng = foundations::rng(3);
    let s = Shape::new(3, 8, 8);
    assert!(Conv::new(s, 0, 3, 1, Padding::VALID, &mut rng).is_err());
    assert!(Conv::new(s, 2, 0, 1, Padding::VALID, &mut rng).is_err());
    assert!(Conv::new(s, 2, 3, 0, Padding::VALID, &mut rng).is_err());
    assert!(Affine::new(0, 3, &mut rng).is_err());
    let err = Affine::from_params(AffineParams {
        w: DMatrix::zeros(2, 3),
        b: DMatrix::zeros(3, 1),
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("b is 3x1, expected 2x1"), "{err}");
}

#[test]
fn filters_of_the_wrong_depth_are_rejected_naming_the_filter() {
    let params = ConvParams {
        w: vec![
            Volume::zeros(Shape::new(3, 3, 3)),
            Volume::zeros(Shape::new(2, 3, 3)),
        ],
        b: DMatrix::zeros(2, 1),
    };
    let err = Conv::from_params(Shape::new(3, 8, 8), params, 1, Padding::Same)
        .unwrap_err()
        .to_string();
    assert!(err.contains("filter w.1 is 2x3x3, expected 3x3x3"), "{err}");
}

fn small_conv() -> Conv {
    Conv::new(
        Shape::new(3, 7, 7),
        2,
        3,
        1,
        Padding::VALID,
        &mut foundations::rng(5),
    )
    .unwrap()
}

#[test]
#[should_panic(expected = "conv::forward: x[0] is 2x7x7, expected 3x7x7")]
fn conv_forward_names_a_mismatched_depth() {
    small_conv().forward(&[Volume::zeros(Shape::new(2, 7, 7))]);
}

#[test]
#[should_panic(
    expected = "conv::forward_reference: x[0] is 3x6x7, expected 3x7x7"
)]
fn conv_forward_reference_names_a_wrong_height() {
    small_conv().forward_reference(&[Volume::zeros(Shape::new(3, 6, 7))]);
}

#[test]
#[should_panic(expected = "conv::backward: d_out[0] is 2x4x5, expected 2x5x5")]
fn conv_backward_names_a_wrong_gradient_shape() {
    let conv = small_conv();
    let (_, cache) = conv.forward(&[Volume::zeros(Shape::new(3, 7, 7))]);
    conv.backward(&cache, &[Volume::zeros(Shape::new(2, 4, 5))]);
}

#[test]
#[should_panic(
    expected = "conv::backward_reference: d_out has 2 volumes, expected 1"
)]
fn conv_backward_reference_names_a_wrong_batch() {
    let conv = small_conv();
    let (_, cache) =
        conv.forward_reference(&[Volume::zeros(Shape::new(3, 7, 7))]);
    let d = Volume::zeros(conv.output_shape());
    conv.backward_reference(&cache, &[d.clone(), d]);
}

#[test]
#[should_panic(expected = "affine::forward: x is 5x2, expected 3072 x B")]
fn affine_forward_names_the_wrong_input() {
    let layer = Affine::new(3072, 10, &mut foundations::rng(1)).unwrap();
    layer.forward(&DMatrix::zeros(5, 2));
}

#[test]
#[should_panic(
    expected = "affine::backward_reference: d_y is 3x2, expected 10 x 2"
)]
fn affine_backward_reference_names_the_wrong_gradient() {
    let layer = Affine::new(4, 10, &mut foundations::rng(1)).unwrap();
    let (_, cache) = layer.forward_reference(&DMatrix::zeros(4, 2));
    layer.backward_reference(&cache, &DMatrix::zeros(3, 2));
}

#[test]
#[should_panic(
    expected = "relu::backward_reference: d_y is 2x2, expected 2x3 (the shape of x)"
)]
fn relu_backward_names_the_wrong_gradient() {
    let (_, cache) = Relu.forward(&DMatrix::zeros(2, 3));
    Relu.backward_reference(&cache, &DMatrix::zeros(2, 2));
}

#[test]
#[should_panic(expected = "flatten::backward: d_y is 24x2, expected 24 x 3")]
fn flatten_backward_names_the_wrong_batch() {
    let flat = Flatten::new(Shape::new(2, 3, 4));
    let (_, cache) = flat.forward(&vec![Volume::zeros(flat.input_shape()); 3]);
    flat.backward(&cache, &DMatrix::zeros(24, 2));
}
