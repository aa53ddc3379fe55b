//! Graded tests of the pooling topic: one module per exercise
//! (`cargo test -p pooling --test graded max_pool_backward::` runs one
//! exercise).

use fc_and_conv::{Shape, Volume};
use foundations::{Named, Rng, assert_gradients};
use pooling::{AvgPool, MaxPool, MaxPoolReferenceCache};
use rand::seq::SliceRandom;

/// A volume from rows of numbers, one depth slice.
fn slice(rows: &[&[f64]]) -> Volume {
    let h = rows.len();
    let w = rows[0].len();
    Volume::from_fn(Shape::new(1, h, w), |_, i, j| rows[i][j])
}

/// `n` volumes of `shape` whose entries are all different, at least 0.1
/// apart (a shuffled ramp), so no max-pooling window has a tie and a
/// finite-difference step of 1e-5 never changes a winner.
fn distinct(shape: Shape, n: usize, rng: &mut Rng) -> Vec<Volume> {
    (0..n)
        .map(|_| {
            let mut values: Vec<f64> =
                (0..shape.len()).map(|k| 0.1 * k as f64 - 1.0).collect();
            values.shuffle(rng);
            let mut it = values.into_iter();
            Volume::from_fn(shape, |_, _, _| it.next().unwrap())
        })
        .collect()
}

/// Upstream gradients: random volumes of `shape`.
fn upstream(shape: Shape, n: usize, rng: &mut Rng) -> Vec<Volume> {
    (0..n)
        .map(|_| {
            let m = foundations::init::uniform(
                shape.depth,
                shape.height * shape.width,
                1.0,
                rng,
            );
            Volume::from_matrix(shape.height, shape.width, m)
        })
        .collect()
}

/// `⟨y, r⟩` summed over the batch: a loss whose `∂L/∂y` is `r`.
fn dot(y: &[Volume], r: &[Volume]) -> f64 {
    y.iter()
        .zip(r)
        .map(|(a, b)| a.as_matrix().dot(b.as_matrix()))
        .sum()
}

/// `x` max-pooled with `f x f` windows and stride `s` by the reference.
fn max_pooled(x: Volume, f: usize, s: usize) -> Volume {
    let pool = MaxPool::new(x.shape(), f, s).unwrap();
    let (mut y, _) = pool.forward_reference(&[x]);
    y.remove(0)
}

/// Entry by entry: equal, or both NaN (`==` is false for NaN).
fn same(a: &[Volume], b: &[Volume]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(u, v)| {
            u.shape() == v.shape()
                && u.as_matrix()
                    .iter()
                    .zip(v.as_matrix().iter())
                    .all(|(p, q)| p == q || (p.is_nan() && q.is_nan()))
        })
}

/// `x` with NaN written at about one entry in five (seeded).
fn with_nans(x: Vec<Volume>, rng: &mut Rng) -> Vec<Volume> {
    x.into_iter()
        .map(|v| {
            v.map(|e| {
                if rand::Rng::random_bool(rng, 0.2) {
                    f64::NAN
                } else {
                    e
                }
            })
        })
        .collect()
}

mod max_pool_forward {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slide_4x4_slice_with_2x2_stride_2_gives_6_8_3_4() {
        let x = slice(&[
            &[1.0, 1.0, 2.0, 4.0],
            &[5.0, 6.0, 7.0, 8.0],
            &[3.0, 2.0, 1.0, 0.0],
            &[1.0, 2.0, 3.0, 4.0],
        ]);
        assert_eq!(
            max_pooled(x, 2, 2),
            slice(&[&[6.0, 8.0], &[3.0, 4.0]]),
            "y = max over each 2 x 2 window (F = S = 2) of the slide's 4 x 4 \
             slice is (6 8; 3 4)"
        );
    }

    #[test]
    fn slide_6x6_map_with_3x3_stride_3_gives_0_1_1_0() {
        let mut x = Volume::zeros(Shape::new(1, 6, 6));
        x[(0, 1, 4)] = 1.0;
        x[(0, 3, 1)] = 1.0;
        assert_eq!(
            max_pooled(x, 3, 3),
            slice(&[&[0.0, 1.0], &[1.0, 0.0]]),
            "the slide's 6 x 6 map with detections at (1, 4) and (3, 1), F = \
             S = 3: y is the 2 x 2 map (0 1; 1 0)"
        );
    }

    #[test]
    fn output_of_224x224x64_is_112x112x64_and_each_slice_is_pooled_alone() {
        let s = Shape::new(64, 224, 224);
        let x = Volume::from_fn(s, |d, i, j| (d * 1000 + i * 3 + j) as f64);
        let y = max_pooled(x, 2, 2);
        assert_eq!(
            y.shape(),
            Shape::new(64, 112, 112),
            "64 x 224 x 224 pooled with F = S = 2: depth unchanged, N' = \
             (224 − 2)/2 + 1 = 112"
        );
        // the largest entry of window (i, j) of slice d is its bottom right
        assert_eq!(
            y[(5, 10, 20)],
            (5000 + 21 * 3 + 41) as f64,
            "y_(5,10,20) is the max of slice 5 alone over its window, x_(5,21,41)"
        );
    }

    #[test]
    fn overlapping_3x3_windows_with_stride_1_slide_one_pixel_at_a_time() {
        let x = slice(&[
            &[1.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 9.0, 0.0],
            &[0.0, 0.0, 0.0, 2.0],
        ]);
        assert_eq!(
            max_pooled(x, 3, 1),
            slice(&[&[9.0, 9.0], &[9.0, 9.0]]),
            "F = 3, S = 1 on 4 x 4: all four overlapping windows hold the 9"
        );
    }

    #[test]
    fn negative_maps_keep_their_negative_maximum() {
        let x = slice(&[&[-3.0, -2.0], &[-5.0, -4.0]]);
        assert_eq!(
            max_pooled(x, 2, 2)[(0, 0, 0)],
            -2.0,
            "y = max{{−3, −2, −5, −4}} = −2: the max starts at −∞, not 0"
        );
    }

    #[test]
    fn a_nan_in_a_window_makes_that_output_nan_as_in_pytorch() {
        // the NaN is not the first entry of its window, and the window
        // holds a larger finite value: f64::max would drop the NaN
        let x = slice(&[&[1.0, 9.0, 1.0, 2.0], &[f64::NAN, 3.0, 4.0, 3.0]]);
        let y = max_pooled(x, 2, 2);
        assert!(
            y[(0, 0, 0)].is_nan(),
            "window with a NaN gave {}",
            y[(0, 0, 0)]
        );
        assert_eq!(y[(0, 0, 1)], 4.0, "a window without NaN is not touched");
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]

        #[test]
        fn engine_equals_reference_and_depth_is_unchanged(
            depth in 1usize..4, f in 1usize..4, s in 1usize..4,
            h_out in 1usize..4, w_out in 1usize..4, seed in 0u64..1000,
        ) {
            let shape = Shape::new(depth, (h_out - 1) * s + f,
                                   (w_out - 1) * s + f);
            let mut rng = foundations::rng(seed);
            let x = upstream(shape, 2, &mut rng);
            let pool = MaxPool::new(shape, f, s).unwrap();
            let (y, _) = pool.forward_reference(&x);
            let (y_engine, _) = pool.forward(&x);
            prop_assert_eq!(
                &y, &y_engine,
                "y of forward_reference against the engine's, F = {}, S = {}",
                f, s
            );
            prop_assert_eq!(
                y[0].shape(), Shape::new(depth, h_out, w_out),
                "y is depth x N' x N' with N' = (N − F)/S + 1, F = {}, S = {}",
                f, s
            );
        }

        /// A NaN anywhere in a window makes that output NaN, in the
        /// reference and the engine alike; the other outputs stay finite.
        #[test]
        fn an_output_is_nan_exactly_when_its_window_holds_a_nan(
            depth in 1usize..3, f in 1usize..4, s in 1usize..4,
            h_out in 1usize..4, w_out in 1usize..4, seed in 0u64..1000,
        ) {
            let shape = Shape::new(depth, (h_out - 1) * s + f,
                                   (w_out - 1) * s + f);
            let mut rng = foundations::rng(seed);
            let x = with_nans(upstream(shape, 2, &mut rng), &mut rng);
            let pool = MaxPool::new(shape, f, s).unwrap();
            let (y, _) = pool.forward_reference(&x);
            prop_assert!(same(&y, &pool.forward(&x).0));
            for (image, out) in x.iter().zip(&y) {
                for c in 0..depth {
                    for i in 0..h_out {
                        for j in 0..w_out {
                            let has_nan = (0..f).any(|a| (0..f).any(|b| {
                                image[(c, i * s + a, j * s + b)].is_nan()
                            }));
                            prop_assert_eq!(
                                out[(c, i, j)].is_nan(), has_nan,
                                "y_({},{},{}) is NaN exactly when its \
                                 window holds a NaN (F = {}, S = {})",
                                c, i, j, f, s
                            );
                        }
                    }
                }
            }
        }

        /// Invariance, stated precisely: with non-overlapping windows
        /// (S = F), a map that is zero except for a small positive blob
        /// inside one window pools to the same output wherever the blob
        /// moves, as long as it stays inside that window.
        #[test]
        fn a_blob_moved_inside_its_window_pools_to_the_same_output(
            f in 2usize..5, k in 1usize..3, cells in 1usize..4,
            from in (0usize..4, 0usize..4), to in (0usize..4, 0usize..4),
            seed in 0u64..1000,
        ) {
            let k = k.min(f); // blob side
            let n = cells * f;
            let shape = Shape::new(1, n, n);
            let mut rng = foundations::rng(seed);
            let blob = foundations::init::uniform(k, k, 1.0, &mut rng)
                .map(|v| v.abs() + 0.1);
            let (wi, wj) = (cells - 1, cells / 2); // the window it lives in
            let place = |(a, b): (usize, usize)| {
                let (a, b) = (a % (f - k + 1), b % (f - k + 1));
                let mut x = Volume::zeros(shape);
                for u in 0..k {
                    for v in 0..k {
                        x[(0, wi * f + a + u, wj * f + b + v)] = blob[(u, v)];
                    }
                }
                x
            };
            let pool = MaxPool::new(shape, f, f).unwrap();
            let (y1, _) = pool.forward_reference(&[place(from)]);
            let (y2, _) = pool.forward_reference(&[place(to)]);
            prop_assert_eq!(
                &y1, &y2,
                "y with the blob at {:?} against y with it at {:?}, inside \
                 the same window (F = S = {})",
                from, to, f
            );
            prop_assert_eq!(
                y1[0][(0, wi, wj)], blob.max(),
                "y_(0,{},{}) is the blob's max, the window it lives in", wi, wj
            );
        }
    }
}

mod max_pool_backward {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slide_4x4_gradient_goes_to_6_8_3_and_4() {
        let x = slice(&[
            &[1.0, 1.0, 2.0, 4.0],
            &[5.0, 6.0, 7.0, 8.0],
            &[3.0, 2.0, 1.0, 0.0],
            &[1.0, 2.0, 3.0, 4.0],
        ]);
        let pool = MaxPool::new(x.shape(), 2, 2).unwrap();
        let cache = MaxPoolReferenceCache { x: vec![x] };
        let dy = slice(&[&[10.0, 20.0], &[30.0, 40.0]]);
        let dx = pool.backward_reference(&cache, &[dy]);
        let want = slice(&[
            &[0.0, 0.0, 0.0, 0.0],
            &[0.0, 10.0, 0.0, 20.0],
            &[30.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 40.0],
        ]);
        assert_eq!(
            dx[0], want,
            "∂L/∂x of the slide's 4 x 4 slice: each ∂L/∂y_(i,j) goes to its \
             window's winner (6, 8, 3, 4), zero elsewhere"
        );
    }

    #[test]
    fn a_tie_sends_the_gradient_to_the_first_maximum_in_row_major_order() {
        let x = slice(&[&[1.0, 7.0], &[7.0, 7.0]]);
        let pool = MaxPool::new(x.shape(), 2, 2).unwrap();
        let cache = MaxPoolReferenceCache { x: vec![x] };
        let dx = pool.backward_reference(&cache, &[slice(&[&[5.0]])]);
        assert_eq!(
            dx[0],
            slice(&[&[0.0, 5.0], &[0.0, 0.0]]),
            "∂L/∂x for the window (1 7; 7 7): a tie sends ∂L/∂y to the first \
             7 in row-major order, (0, 1)"
        );
    }

    #[test]
    fn a_nan_window_sends_its_gradient_to_the_first_nan() {
        // NaN at (0, 1) and (1, 1), a larger finite value at (1, 0): the
        // output is NaN, so its gradient goes to the first NaN (as PyTorch
        // routes it to the NaN), not to the finite maximum
        let x = slice(&[&[1.0, f64::NAN], &[9.0, f64::NAN]]);
        let pool = MaxPool::new(x.shape(), 2, 2).unwrap();
        let cache = MaxPoolReferenceCache { x: vec![x] };
        let dx = pool.backward_reference(&cache, &[slice(&[&[5.0]])]);
        assert_eq!(
            dx[0],
            slice(&[&[0.0, 5.0], &[0.0, 0.0]]),
            "∂L/∂x for the window (1 NaN; 9 NaN): y is NaN, so ∂L/∂y goes to \
             the first NaN, (0, 1), not to the 9"
        );
    }

    #[test]
    fn overlapping_windows_that_share_a_winner_add_their_gradients() {
        let x = slice(&[&[0.0, 0.0, 0.0], &[0.0, 9.0, 0.0], &[0.0, 0.0, 0.0]]);
        let pool = MaxPool::new(x.shape(), 2, 1).unwrap();
        let cache = MaxPoolReferenceCache { x: vec![x] };
        let dy = slice(&[&[1.0, 2.0], &[3.0, 4.0]]);
        let dx = pool.backward_reference(&cache, &[dy]);
        assert_eq!(
            dx[0][(0, 1, 1)],
            10.0,
            "∂L/∂x at the centre, the winner of all four windows (F = 2, S = \
             1): 1 + 2 + 3 + 4"
        );
        assert_eq!(
            dx[0].sum(),
            10.0,
            "Σ ∂L/∂x: every other entry of ∂L/∂x is zero"
        );
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]

        #[test]
        fn dx_matches_numeric_gradient(
            depth in 1usize..3, f in 1usize..4, s in 1usize..4,
            h_out in 1usize..4, w_out in 1usize..3, batch in 1usize..3,
            seed in 0u64..1000,
        ) {
            let shape = Shape::new(depth, (h_out - 1) * s + f,
                                   (w_out - 1) * s + f);
            let mut rng = foundations::rng(seed);
            let pool = MaxPool::new(shape, f, s).unwrap();
            let x = distinct(shape, batch, &mut rng);
            let r = upstream(pool.output_shape(), batch, &mut rng);
            let cache = MaxPoolReferenceCache { x: x.clone() };
            let dx = pool.backward_reference(&cache, &r);
            assert_gradients("max_pool::backward_reference", &Named("x", x),
                &Named("x", dx), |p| dot(&pool.forward(&p.1).0, &r));
        }

        #[test]
        fn engine_equals_reference_even_with_ties(
            depth in 1usize..3, f in 1usize..4, s in 1usize..4,
            h_out in 1usize..4, w_out in 1usize..4, seed in 0u64..1000,
        ) {
            let shape = Shape::new(depth, (h_out - 1) * s + f,
                                   (w_out - 1) * s + f);
            let mut rng = foundations::rng(seed);
            // entries in {0, 1, 2}: many ties
            let x: Vec<Volume> = upstream(shape, 2, &mut rng)
                .iter()
                .map(|v| v.map(|e| (e * 1.5 + 1.5).floor()))
                .collect();
            let pool = MaxPool::new(shape, f, s).unwrap();
            let r = upstream(pool.output_shape(), 2, &mut rng);
            let reference = MaxPoolReferenceCache { x: x.clone() };
            let (_, engine) = pool.forward(&x);
            prop_assert_eq!(
                pool.backward_reference(&reference, &r),
                pool.backward(&engine, &r),
                "∂L/∂x of backward_reference against the engine's, on maps \
                 with ties (F = {}, S = {})",
                f, s
            );
        }

        #[test]
        fn engine_equals_reference_with_nans(
            depth in 1usize..3, f in 1usize..4, s in 1usize..4,
            h_out in 1usize..4, w_out in 1usize..4, seed in 0u64..1000,
        ) {
            let shape = Shape::new(depth, (h_out - 1) * s + f,
                                   (w_out - 1) * s + f);
            let mut rng = foundations::rng(seed);
            let x = with_nans(distinct(shape, 2, &mut rng), &mut rng);
            let pool = MaxPool::new(shape, f, s).unwrap();
            let r = upstream(pool.output_shape(), 2, &mut rng);
            let reference = MaxPoolReferenceCache { x: x.clone() };
            let (_, engine) = pool.forward(&x);
            prop_assert_eq!(
                pool.backward_reference(&reference, &r),
                pool.backward(&engine, &r),
                "∂L/∂x of backward_reference against the engine's, on maps \
                 with NaNs (F = {}, S = {})",
                f, s
            );
        }

        #[test]
        fn without_overlap_the_sum_of_dx_is_the_sum_of_dy(
            depth in 1usize..3, f in 1usize..4, h_out in 1usize..4,
            w_out in 1usize..4, seed in 0u64..1000,
        ) {
            let shape = Shape::new(depth, h_out * f, w_out * f);
            let mut rng = foundations::rng(seed);
            let pool = MaxPool::new(shape, f, f).unwrap();
            let x = upstream(shape, 1, &mut rng);
            let r = upstream(pool.output_shape(), 1, &mut rng);
            let cache = MaxPoolReferenceCache { x: x.clone() };
            let dx = pool.backward_reference(&cache, &r);
            prop_assert!(
                (dx[0].sum() - r[0].sum()).abs() < 1e-12,
                "Σ dx = {} but Σ dy = {}: with windows that do not overlap, \
                 each window's gradient goes to its max and nothing is lost",
                dx[0].sum(),
                r[0].sum()
            );
            // and each window passes its gradient to exactly one entry
            let nonzero = dx[0].as_matrix().iter().filter(|v| **v != 0.0)
                .count();
            prop_assert_eq!(
                nonzero, pool.output_shape().len(),
                "nonzero entries of ∂L/∂x against the outputs: with S = F = \
                 {} each window sends ∂L/∂y to exactly one entry",
                f
            );
        }
    }
}

mod avg_pool_backward {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_2x2_window_spreads_a_quarter_of_its_gradient() {
        let pool = AvgPool::new(Shape::new(1, 4, 4), 2, 2).unwrap();
        let x = Volume::zeros(Shape::new(1, 4, 4));
        let (_, cache) = pool.forward(&[x]);
        let dy = slice(&[&[4.0, 8.0], &[-4.0, 0.0]]);
        let dx = pool.backward(&cache, &[dy]);
        let want = slice(&[
            &[1.0, 1.0, 2.0, 2.0],
            &[1.0, 1.0, 2.0, 2.0],
            &[-1.0, -1.0, 0.0, 0.0],
            &[-1.0, -1.0, 0.0, 0.0],
        ]);
        assert_eq!(
            dx[0], want,
            "∂L/∂x for ∂L/∂y = (4 8; −4 0), F = S = 2: each window spreads \
             ∂L/∂y / F² over its four entries"
        );
    }

    #[test]
    fn overlapping_windows_add_their_shares() {
        let pool = AvgPool::new(Shape::new(1, 3, 3), 2, 1).unwrap();
        let (_, cache) = pool.forward(&[Volume::zeros(Shape::new(1, 3, 3))]);
        let dy = slice(&[&[4.0, 4.0], &[4.0, 4.0]]);
        let dx = pool.backward(&cache, &[dy]);
        // the centre is in all four windows, a corner in one
        assert_eq!(
            dx[0][(0, 1, 1)],
            4.0,
            "∂L/∂x at the centre, in all four windows: 4 · 4/F² with F = 2"
        );
        assert_eq!(
            dx[0][(0, 0, 0)],
            1.0,
            "∂L/∂x at the corner (0, 0), in one window: 4/F²"
        );
        assert_eq!(
            dx[0][(0, 0, 1)],
            2.0,
            "∂L/∂x at the edge (0, 1), in two windows: 2 · 4/F²"
        );
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]

        #[test]
        fn dx_matches_numeric_gradient(
            depth in 1usize..3, f in 1usize..4, s in 1usize..4,
            h_out in 1usize..4, w_out in 1usize..3, batch in 1usize..3,
            seed in 0u64..1000,
        ) {
            let shape = Shape::new(depth, (h_out - 1) * s + f,
                                   (w_out - 1) * s + f);
            let mut rng = foundations::rng(seed);
            let pool = AvgPool::new(shape, f, s).unwrap();
            let x = upstream(shape, batch, &mut rng);
            let r = upstream(pool.output_shape(), batch, &mut rng);
            let (_, cache) = pool.forward(&x);
            let dx = pool.backward(&cache, &r);
            assert_gradients("avg_pool::backward", &Named("x", x),
                &Named("x", dx), |p| dot(&pool.forward(&p.1).0, &r));
        }

        #[test]
        fn the_sum_of_dx_is_the_sum_of_dy_whatever_the_overlap(
            f in 1usize..4, s in 1usize..4, n_out in 1usize..4,
            seed in 0u64..1000,
        ) {
            let n = (n_out - 1) * s + f;
            let shape = Shape::new(2, n, n);
            let pool = AvgPool::new(shape, f, s).unwrap();
            let r = upstream(pool.output_shape(), 1, &mut foundations::rng(seed));
            let dx = pool.backward(&pooling::AvgPoolCache { batch: 1 }, &r);
            prop_assert!(
                (dx[0].sum() - r[0].sum()).abs() < 1e-12,
                "Σ dx = {} but Σ dy = {}: each window spreads its gradient \
                 over its F² entries, so the total is kept",
                dx[0].sum(),
                r[0].sum()
            );
        }
    }
}

mod convnet_loss_and_grads {
    use super::*;
    use foundations::{Params, ParamsExt};
    use pooling::{ConvNet, ConvNetConfig};

    /// A small network with every parameter random (nonzero biases keep
    /// ReLUs away from their kink) and random images (no max ties).
    fn small(seed: u64, dropout: f64) -> (ConvNet, Vec<Volume>, Vec<usize>) {
        let config = ConvNetConfig {
            k1: 2,
            k2: 3,
            hidden: 5,
            dropout,
            ..ConvNetConfig::default()
        };
        let mut rng = foundations::rng(seed);
        let mut net = ConvNet::new(config, &mut rng).unwrap();
        let mut p = net.params();
        p.visit_mut(&mut |_, m| {
            *m = foundations::init::uniform(m.nrows(), m.ncols(), 0.6, &mut rng)
        });
        net.set_params(p);
        let x = upstream(Shape::new(1, 8, 8), 3, &mut rng);
        (net, x, vec![3, 0, 7])
    }

    #[test]
    fn every_gradient_matches_numeric_with_dropout_mask_held_fixed() {
        let (net, x, y) = small(11, 0.5);
        let mask = net.draw_mask(x.len(), &mut foundations::rng(2));
        let (_, grads, d_x) = net.loss_and_grads_reference(&x, &y, Some(&mask));
        let theta = (net.params(), Named("x", x));
        assert_gradients(
            "convnet::loss_and_grads_reference",
            &theta,
            &(grads, Named("x", d_x)),
            |(p, x)| {
                let mut n = net.clone();
                n.set_params(p.clone());
                n.loss_and_grads(&x.1, &y, Some(&mask)).0
            },
        );
    }

    #[test]
    fn loss_is_the_mean_cross_entropy_of_the_scores() {
        let (net, x, y) = small(5, 0.0);
        let (loss, _, _) = net.loss_and_grads_reference(&x, &y, None);
        let p = foundations::softmax::softmax_columns(&net.scores(&x));
        let want = -(0..3).map(|b| p[(y[b], b)].ln()).sum::<f64>() / 3.0;
        assert!((loss - want).abs() < 1e-12, "{loss} vs {want}");
    }

    #[test]
    fn equals_the_batched_engine_to_1e_10() {
        let (net, x, y) = small(7, 0.5);
        let mask = net.draw_mask(x.len(), &mut foundations::rng(9));
        let (l1, g1, dx1) = net.loss_and_grads_reference(&x, &y, Some(&mask));
        let (l2, g2, dx2) = net.loss_and_grads(&x, &y, Some(&mask));
        assert!((l1 - l2).abs() < 1e-10, "loss {l1} vs engine {l2}");
        let diff = g1
            .to_flat()
            .iter()
            .zip(g2.to_flat())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-10, "largest gradient difference {diff}");
        for (i, (a, b)) in dx1.iter().zip(&dx2).enumerate() {
            let diff = a.max_abs_diff(b);
            assert!(
                diff < 1e-10,
                "dx of image {i}: differs from the engine's by {diff}"
            );
        }
    }
}
