//! Properties of the engine layers (not graded: no exercise runs here).

use fc_and_conv::{Shape, Volume};
use pooling::{AvgPool, GlobalAvgPool, MaxPool};
use proptest::prelude::*;

fn random(shape: Shape, seed: u64) -> Volume {
    let m = foundations::init::uniform(
        shape.depth,
        shape.height * shape.width,
        1.0,
        &mut foundations::rng(seed),
    );
    Volume::from_matrix(shape.height, shape.width, m)
}

proptest! {
    #![proptest_config(foundations::graded_config())]

    #[test]
    fn pooling_keeps_the_depth_and_shrinks_to_n_minus_f_over_s_plus_1(
        depth in 1usize..5, f in 1usize..4, s in 1usize..4,
        h_out in 1usize..5, w_out in 1usize..5, seed in 0u64..1000,
    ) {
        let shape = Shape::new(depth, (h_out - 1) * s + f, (w_out - 1) * s + f);
        let x = random(shape, seed);
        let want = Shape::new(depth, h_out, w_out);
        let max = MaxPool::new(shape, f, s).unwrap();
        let avg = AvgPool::new(shape, f, s).unwrap();
        prop_assert_eq!(max.forward(std::slice::from_ref(&x)).0[0].shape(), want);
        prop_assert_eq!(avg.forward(std::slice::from_ref(&x)).0[0].shape(), want);
    }

    #[test]
    fn average_pooling_is_the_mean_of_each_window(
        depth in 1usize..4, f in 1usize..4, s in 1usize..4,
        h_out in 1usize..4, w_out in 1usize..4, seed in 0u64..1000,
    ) {
        let shape = Shape::new(depth, (h_out - 1) * s + f, (w_out - 1) * s + f);
        let x = random(shape, seed);
        let (y, _) = AvgPool::new(shape, f, s).unwrap()
            .forward(std::slice::from_ref(&x));
        for c in 0..depth {
            let map = x.slice(c);
            for i in 0..h_out {
                for j in 0..w_out {
                    let mean = map.view((i * s, j * s), (f, f)).mean();
                    prop_assert!((y[0][(c, i, j)] - mean).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn max_pooling_is_the_largest_entry_of_each_window(
        depth in 1usize..4, f in 1usize..4, s in 1usize..4,
        h_out in 1usize..4, w_out in 1usize..4, seed in 0u64..1000,
    ) {
        let shape = Shape::new(depth, (h_out - 1) * s + f, (w_out - 1) * s + f);
        let x = random(shape, seed);
        let (y, _) = MaxPool::new(shape, f, s).unwrap()
            .forward(std::slice::from_ref(&x));
        for c in 0..depth {
            let map = x.slice(c);
            for i in 0..h_out {
                for j in 0..w_out {
                    let max = map.view((i * s, j * s), (f, f)).max();
                    prop_assert_eq!(y[0][(c, i, j)], max);
                }
            }
        }
    }

    #[test]
    fn engine_max_pool_backward_preserves_the_total_without_overlap(
        depth in 1usize..4, f in 1usize..4, h_out in 1usize..4,
        w_out in 1usize..4, seed in 0u64..1000,
    ) {
        let shape = Shape::new(depth, h_out * f, w_out * f);
        let pool = MaxPool::new(shape, f, f).unwrap();
        let (_, cache) = pool.forward(&[random(shape, seed)]);
        let dy = random(pool.output_shape(), seed + 1);
        let dx = pool.backward(&cache, std::slice::from_ref(&dy));
        prop_assert!((dx[0].sum() - dy.sum()).abs() < 1e-12);
    }

    #[test]
    fn global_average_pooling_is_the_mean_of_each_slice(
        depth in 1usize..4, h in 1usize..6, w in 1usize..6, seed in 0u64..1000,
    ) {
        let shape = Shape::new(depth, h, w);
        let x = random(shape, seed);
        let (y, _) = GlobalAvgPool::new(shape).unwrap()
            .forward(std::slice::from_ref(&x));
        for c in 0..depth {
            prop_assert!((y[0][(c, 0, 0)] - x.slice(c).mean()).abs() < 1e-12);
        }
    }
}

#[test]
fn a_blob_moved_across_a_window_boundary_changes_the_output() {
    // the limit of the invariance: 2x2 windows, a single 1 at (0, 1) and
    // then at (0, 2), one pixel to the right but in the next window
    let shape = Shape::new(1, 2, 4);
    let pool = MaxPool::new(shape, 2, 2).unwrap();
    let at = |j| {
        let mut x = Volume::zeros(shape);
        x[(0, 0, j)] = 1.0;
        pool.forward(&[x]).0.remove(0)
    };
    assert_eq!(at(0), at(1)); // inside the first window: unchanged
    assert_ne!(at(1), at(2)); // across the boundary: it moves
}

/// NaN propagates through every pooling layer, as it does through max
/// pooling (`graded.rs` checks that one): a mean with a NaN in it is NaN.
#[test]
fn average_and_global_average_pooling_propagate_nan() {
    let shape = Shape::new(2, 4, 4);
    let mut x = random(shape, 3);
    x[(1, 2, 3)] = f64::NAN;
    let (y, _) = AvgPool::new(shape, 2, 2).unwrap().forward(&[x.clone()]);
    for (c, i, j) in [(1, 1, 1), (0, 1, 1), (1, 0, 0)] {
        assert_eq!(y[0][(c, i, j)].is_nan(), (c, i, j) == (1, 1, 1));
    }
    let (g, _) = GlobalAvgPool::new(shape).unwrap().forward(&[x]);
    assert!(g[0][(1, 0, 0)].is_nan() && !g[0][(0, 0, 0)].is_nan());
}
