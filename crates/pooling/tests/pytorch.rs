//! Max and average pooling against `nn.MaxPool2d(3, 2)` and
//! `nn.AvgPool2d(3, 2)` (fixtures made by `scripts/pytorch/reference.py`,
//! float64): overlapping 3 x 3 windows with stride 2, so a pixel in two
//! windows collects two gradients. Outputs and input gradients, relative
//! error ≤ 1e-12; the loss is `L = ⟨y, g⟩`. An image is PyTorch's
//! `C x H x W`, stored by a [`Volume`] in the same order. Book: *Appendices
//! → From this course to PyTorch*.

use fc_and_conv::{Shape, Volume};
use foundations::Mat;
use foundations::pytorch::{Agreement, Fixture, Tensor, record_agreement};
use pooling::{AvgPool, MaxPool};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

/// A PyTorch `N x C x H x W` tensor as `N` volumes `C x H x W`.
fn volumes(t: &Tensor) -> Vec<Volume> {
    let (h, w) = (t.shape[2], t.shape[3]);
    (0..t.shape[0])
        .map(|i| Volume::from_matrix(h, w, t.index(i).rows()))
        .collect()
}

fn matrices(v: &[Volume]) -> Vec<Mat> {
    v.iter().map(|v| v.as_matrix().clone()).collect()
}

fn input_shape(f: &Fixture) -> Shape {
    let x = f.tensor("x");
    Shape::new(x.shape[1], x.shape[2], x.shape[3])
}

fn max_pool_agreement(name: &str) -> Agreement {
    let f = Fixture::load(DIR, name);
    let pool = MaxPool::new(input_shape(&f), 3, 2).unwrap();
    let (x, g) = (volumes(f.tensor("x")), volumes(f.tensor("g")));
    let (y, cache) = pool.forward(&x);
    let d_x = pool.backward(&cache, &g);
    let (y_ref, cache_ref) = pool.forward_reference(&x);
    let d_x_ref = pool.backward_reference(&cache_ref, &g);
    let (y_t, dx_t) = (
        matrices(&volumes(f.tensor("y"))),
        matrices(&volumes(f.tensor("grad.x"))),
    );
    let mut a = Agreement::new(&f);
    a.check_seq("y", &matrices(&y), &y_t);
    a.check_seq("grad.x", &matrices(&d_x), &dx_t);
    a.check_seq("y (reference)", &matrices(&y_ref), &y_t);
    a.check_seq("grad.x (reference)", &matrices(&d_x_ref), &dx_t);
    a
}

#[test]
fn max_pool_matches_nn_max_pool2d() {
    max_pool_agreement("max_pool").assert();
}

#[test]
fn max_pool_breaks_ties_as_nn_max_pool2d_does() {
    // inputs in {0, 1, 2}: a window's gradient goes to its first maximum in
    // reading order, in both
    max_pool_agreement("max_pool_ties").assert();
}

fn avg_pool_agreement() -> Agreement {
    let f = Fixture::load(DIR, "avg_pool");
    let pool = AvgPool::new(input_shape(&f), 3, 2).unwrap();
    let (y, cache) = pool.forward(&volumes(f.tensor("x")));
    let d_x = pool.backward(&cache, &volumes(f.tensor("g")));
    let mut a = Agreement::new(&f);
    a.check_seq("y", &matrices(&y), &matrices(&volumes(f.tensor("y"))));
    a.check_seq(
        "grad.x",
        &matrices(&d_x),
        &matrices(&volumes(f.tensor("grad.x"))),
    );
    a
}

#[test]
fn avg_pool_matches_nn_avg_pool2d() {
    avg_pool_agreement().assert();
}

#[test]
fn images_read_channels_last_fail() {
    // the convention changed on purpose: PyTorch's NCHW numbers read as
    // NHWC (TensorFlow's channels-last), a common mistake when moving data
    let f = Fixture::load(DIR, "max_pool");
    let shape = input_shape(&f);
    let t = f.tensor("x");
    let per_image = shape.len();
    let x: Vec<Volume> = (0..t.shape[0])
        .map(|b| {
            let data = &t.data[b * per_image..(b + 1) * per_image];
            Volume::from_fn(shape, |c, i, j| {
                data[(i * shape.width + j) * shape.depth + c]
            })
        })
        .collect();
    let pool = MaxPool::new(shape, 3, 2).unwrap();
    let (y, _) = pool.forward(&x);
    let mut a = Agreement::new(&f);
    a.check_seq("y", &matrices(&y), &matrices(&volumes(f.tensor("y"))));
    let e = a.result().unwrap_err();
    assert!(e.contains("  y (worst at index"), "{e}");
}

#[test]
fn agreement_is_recorded() {
    let all = [
        max_pool_agreement("max_pool"),
        max_pool_agreement("max_pool_ties"),
        avg_pool_agreement(),
    ];
    for a in &all {
        a.assert();
    }
    record_agreement(DIR, "pooling", &all);
}
