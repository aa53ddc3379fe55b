//! The affine and convolution layers against PyTorch (fixtures made by
//! `scripts/pytorch/reference.py`, float64): `nn.Linear`; `nn.Conv2d` with
//! stride 2 and padding 1; and SAME padding with stride 2, which
//! `nn.Conv2d` cannot express (its padding is symmetric, `padding='same'`
//! refuses a stride above 1), reproduced with `F.pad` then `F.conv2d`.
//! Outputs and every gradient, relative error ≤ 1e-12; the loss is
//! `L = ⟨y, g⟩`. An image is PyTorch's `C x H x W` (a [`Volume`] stores the
//! same numbers in the same order); a batch of vectors is PyTorch's rows,
//! the course's columns. Book: *Appendices → From this course to PyTorch*.

use fc_and_conv::{
    Affine, AffineParams, Conv, ConvParams, Padding, Shape, Volume,
};
use foundations::Mat;
use foundations::pytorch::{Agreement, Fixture, Tensor, record_agreement};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

// ANCHOR: volumes
/// A PyTorch `N x C x H x W` tensor (a batch, or `K` filters) as `N`
/// volumes `C x H x W`: the same numbers in the same order.
fn volumes(t: &Tensor) -> Vec<Volume> {
    let (h, w) = (t.shape[2], t.shape[3]);
    (0..t.shape[0])
        .map(|i| Volume::from_matrix(h, w, t.index(i).rows()))
        .collect()
}
// ANCHOR_END: volumes

fn matrices(v: &[Volume]) -> Vec<Mat> {
    v.iter().map(|v| v.as_matrix().clone()).collect()
}

fn affine_agreement() -> Agreement {
    let f = Fixture::load(DIR, "affine");
    // nn.Linear's weight is n_out x n_in, the course's W too
    let layer = Affine::from_params(AffineParams {
        w: f.rows("w"),
        b: f.rows("b"),
    })
    .unwrap();
    let (y, cache) = layer.forward(&f.cols("x"));
    let (grads, d_x) = layer.backward(&cache, &f.cols("g"));
    let mut a = Agreement::new(&f);
    a.check("y", &y, &f.cols("y"));
    a.check("grad.w", &grads.w, &f.rows("grad.w"));
    a.check("grad.b", &grads.b, &f.rows("grad.b"));
    a.check("grad.x", &d_x, &f.cols("grad.x"));
    a
}

#[test]
fn affine_matches_nn_linear() {
    affine_agreement().assert();
}

fn conv_layer(f: &Fixture, padding: Padding) -> Conv {
    let x = f.tensor("x");
    let input = Shape::new(x.shape[1], x.shape[2], x.shape[3]);
    let params = ConvParams {
        w: volumes(f.tensor("w")),
        b: f.rows("b"),
    };
    Conv::from_params(input, params, 2, padding).unwrap()
}

fn conv_agreement(name: &str, padding: Padding) -> Agreement {
    let f = Fixture::load(DIR, name);
    let conv = conv_layer(&f, padding);
    let (x, g) = (volumes(f.tensor("x")), volumes(f.tensor("g")));
    let mut a = Agreement::new(&f);
    let (y, cache) = conv.forward(&x);
    let (grads, d_x) = conv.backward(&cache, &g);
    let (y_ref, cache_ref) = conv.forward_reference(&x);
    let (grads_ref, d_x_ref) = conv.backward_reference(&cache_ref, &g);
    for (form, y, grads, d_x) in [
        ("", y, grads, d_x),
        (" (reference)", y_ref, grads_ref, d_x_ref),
    ] {
        a.check_seq(
            &format!("y{form}"),
            &matrices(&y),
            &matrices(&volumes(f.tensor("y"))),
        );
        a.check_seq(
            &format!("grad.w{form}"),
            &matrices(&grads.w),
            &matrices(&volumes(f.tensor("grad.w"))),
        );
        a.check(&format!("grad.b{form}"), &grads.b, &f.rows("grad.b"));
        a.check_seq(
            &format!("grad.x{form}"),
            &matrices(&d_x),
            &matrices(&volumes(f.tensor("grad.x"))),
        );
    }
    a
}

#[test]
fn conv_with_stride_and_padding_matches_nn_conv2d() {
    conv_agreement("conv", Padding::Explicit(1)).assert();
}

#[test]
fn same_padding_matches_pytorch_padded_at_bottom_and_right() {
    conv_agreement("conv_same", Padding::Same).assert();
}

#[test]
fn same_padding_is_not_nn_conv2d_symmetric_padding() {
    // conv_same_module.json: the same w, b, x through nn.Conv2d(stride=2,
    // padding=1): one zero on every side, the same 4 x 4 output, windows
    // shifted by a pixel
    let f = Fixture::load(DIR, "conv_same");
    let m = Fixture::load(DIR, "conv_same_module");
    let (y, _) = conv_layer(&f, Padding::Same).forward(&volumes(f.tensor("x")));
    let mut a = Agreement::new(&m);
    a.check_seq("y", &matrices(&y), &matrices(&volumes(m.tensor("y"))));
    let e = a.result().unwrap_err();
    assert!(e.contains("  y (worst at index"), "{e}");
    // and the course refuses the geometry PyTorch floors: (8 − 3 + 2)/2 + 1
    // is not a whole number
    let x = f.tensor("x");
    let input = Shape::new(x.shape[1], x.shape[2], x.shape[3]);
    let params = ConvParams {
        w: volumes(f.tensor("w")),
        b: f.rows("b"),
    };
    assert!(Conv::from_params(input, params, 2, Padding::Explicit(1)).is_err());
}

#[test]
fn conv_filters_read_as_transposed_slices_fail() {
    // the convention changed on purpose: each filter's F x F slice
    // transposed (columns first, as a column-major reading would give)
    let f = Fixture::load(DIR, "conv");
    let mut conv = conv_layer(&f, Padding::Explicit(1));
    for w in &mut conv.params.w {
        let slices: Vec<Mat> = w.slices().iter().map(Mat::transpose).collect();
        *w = Volume::from_slices(&slices);
    }
    let (y, _) = conv.forward(&volumes(f.tensor("x")));
    let mut a = Agreement::new(&f);
    a.check_seq("y", &matrices(&y), &matrices(&volumes(f.tensor("y"))));
    assert!(a.result().unwrap_err().contains("  y (worst at index"));
}

#[test]
fn agreement_is_recorded() {
    let all = [
        affine_agreement(),
        conv_agreement("conv", Padding::Explicit(1)),
        conv_agreement("conv_same", Padding::Same),
    ];
    for a in &all {
        a.assert();
    }
    record_agreement(DIR, "fc-and-conv", &all);
}
