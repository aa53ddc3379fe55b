//! Graded tests of the vanilla-rnn-bptt exercises, one module per exercise
//! (`cargo test -p vanilla-rnn-bptt --test graded rnn_bptt::`).

use foundations::{DMatrix, Named, Params, ParamsExt, Rng, assert_gradients};
use vanilla_rnn_bptt::{Rnn, Targets};

/// A small RNN with every parameter (biases too) random in ±0.5.
fn rnn(d: usize, n: usize, k: usize, seed: u64) -> (Rnn, Rng) {
    let mut rng = foundations::rng(seed);
    let rnn = Rnn::random(d, n, k, 0.5, &mut rng).unwrap();
    (rnn, rng)
}

fn uniform(r: usize, c: usize, rng: &mut Rng) -> DMatrix<f64> {
    foundations::init::uniform(r, c, 1.0, rng)
}

/// `T` random input matrices `D x B` and many-to-many targets.
fn sequence(
    d: usize,
    k: usize,
    b: usize,
    t: usize,
    rng: &mut Rng,
) -> (Vec<DMatrix<f64>>, Targets) {
    let xs = (0..t).map(|_| uniform(d, b, rng)).collect();
    let ys = (0..t)
        .map(|s| (0..b).map(|j| (s * 3 + j * 5 + 1) % k).collect())
        .collect();
    (xs, Targets::many_to_many(ys))
}

/// `(θ, h0)` as one checkable value.
type Theta = (Rnn, Named<DMatrix<f64>>);

fn full_loss(theta: &Theta, xs: &[DMatrix<f64>], ys: &Targets) -> f64 {
    theta.0.forward(&theta.1.1, xs).loss(ys)
}

mod rnn_step_forward {
    use super::*;

    #[test]
    fn one_unit_step_matches_the_equations_by_hand() {
        // n = D = K = 1: a = 0.5·0.2 + (−1)·1 + 0.3 = −0.6
        let one = |v: f64| DMatrix::from_element(1, 1, v);
        let r = Rnn {
            w: one(0.5),
            u: one(-1.0),
            v: one(2.0),
            b: one(0.3),
            c: one(-0.1),
        };
        let (h, o, _) = r.step_forward(&one(0.2), &one(1.0));
        let want_h = (-0.6f64).tanh();
        assert!((h[(0, 0)] - want_h).abs() < 1e-12, "h = {}", h[(0, 0)]);
        let want_o = 2.0 * want_h - 0.1;
        assert!((o[(0, 0)] - want_o).abs() < 1e-12, "o = {}", o[(0, 0)]);
    }

    #[test]
    fn h_is_tanh_of_w_h_plus_u_x_plus_b_on_every_column() {
        let (r, mut rng) = rnn(3, 4, 5, 1);
        let h_prev = uniform(4, 2, &mut rng);
        let x = uniform(3, 2, &mut rng);
        let (h, o, _) = r.step_forward(&h_prev, &x);
        assert_eq!(
            (h.shape(), o.shape()),
            ((4, 2), (5, 2)),
            "(h^(t), o^(t)) are (n x B, K x B) = (4 x 2, 5 x 2)"
        );
        for j in 0..2 {
            let a = &r.w * h_prev.column(j) + &r.u * x.column(j) + &r.b;
            let want = a.map(f64::tanh);
            assert!(
                (h.column(j) - &want).norm() < 1e-12,
                "column {j} of h: got {}, want {}",
                h.column(j),
                want
            );
            let want_o = &r.v * &want + &r.c;
            assert!((o.column(j) - want_o).norm() < 1e-12, "column {j} of o");
        }
    }

    #[test]
    fn the_cache_keeps_h_prev_x_and_h() {
        let (r, mut rng) = rnn(2, 3, 2, 2);
        let h_prev = uniform(3, 1, &mut rng);
        let x = uniform(2, 1, &mut rng);
        let (h, _, cache) = r.step_forward(&h_prev, &x);
        assert_eq!(cache.h_prev, h_prev, "the cache's h_prev is h^(t−1)");
        assert_eq!(cache.x, x, "the cache's x is x^(t)");
        assert_eq!(cache.h, h, "the cache's h is h^(t) = tanh(a^(t))");
    }
}

mod rnn_step_backward {
    use super::*;
    use proptest::prelude::*;

    /// `L = Σ R_o ⊙ o + Σ R_h ⊙ h`: a loss reaching `o` and `h` directly.
    fn check(d: usize, n: usize, k: usize, b: usize, seed: u64) {
        let (r, mut rng) = rnn(d, n, k, seed);
        let h_prev = uniform(n, b, &mut rng);
        let x = uniform(d, b, &mut rng);
        let r_o = uniform(k, b, &mut rng);
        let r_h = uniform(n, b, &mut rng);
        let (_, _, cache) = r.step_forward(&h_prev, &x);
        let (g, d_h_prev, dx) = r.step_backward(&cache, &r_o, &r_h);
        let theta = (r, Named("h_prev", h_prev), Named("x", x));
        let grads = (g, Named("h_prev", d_h_prev), Named("x", dx));
        assert_gradients("Rnn::step_backward", &theta, &grads, |p| {
            let (h, o, _) = p.0.step_forward(&p.1.1, &p.2.1);
            r_o.component_mul(&o).sum() + r_h.component_mul(&h).sum()
        });
    }

    #[test]
    fn every_gradient_matches_the_numeric_one() {
        check(3, 4, 5, 2, 7);
    }

    #[test]
    fn with_no_output_gradient_only_the_message_flows() {
        let (r, mut rng) = rnn(2, 3, 4, 3);
        let h_prev = uniform(3, 1, &mut rng);
        let x = uniform(2, 1, &mut rng);
        let (_, _, cache) = r.step_forward(&h_prev, &x);
        let d_next = uniform(3, 1, &mut rng);
        let (g, d_h_prev, _) =
            r.step_backward(&cache, &DMatrix::zeros(4, 1), &d_next);
        let d_a = cache.h.map(|h| 1.0 - h * h).component_mul(&d_next);
        assert!(
            (d_h_prev - r.w.transpose() * &d_a).norm() < 1e-12,
            "∇h^(t−1) must be Wᵀ diag(1 − h²) ∇h^(t)"
        );
        assert_eq!(g.v.norm(), 0.0, "∇V must be 0 when ∇o = 0");
        assert_eq!(g.c.norm(), 0.0, "∇c must be 0 when ∇o = 0");
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]
        #[test]
        fn gradients_match_on_random_shapes(
            d in 1usize..4, n in 1usize..5, k in 1usize..4, b in 1usize..3,
            seed in 0u64..1000
        ) {
            check(d, n, k, b, seed);
        }
    }
}

mod rnn_bptt {
    use super::*;
    use proptest::prelude::*;
    use vanilla_rnn_bptt::{LossScale, bptt};

    fn check(d: usize, n: usize, k: usize, b: usize, t: usize, seed: u64) {
        let (r, mut rng) = rnn(d, n, k, seed);
        let h0 = uniform(n, b, &mut rng);
        let (xs, ys) = sequence(d, k, b, t, &mut rng);
        let cache = r.forward(&h0, &xs);
        let (g, d_h0) = r.bptt(&cache, &ys);
        let theta = (r, Named("h0", h0));
        let grads = (g, Named("h0", d_h0));
        assert_gradients("Rnn::bptt", &theta, &grads, |p| {
            full_loss(p, &xs, &ys)
        });
    }

    #[test]
    fn every_gradient_matches_the_numeric_one_over_6_steps() {
        check(3, 4, 5, 2, 6, 11);
    }

    #[test]
    fn one_step_d_c_is_y_hat_minus_y() {
        let (r, mut rng) = rnn(2, 3, 4, 5);
        let (xs, _) = sequence(2, 4, 1, 1, &mut rng);
        let cache = r.forward(&DMatrix::zeros(3, 1), &xs);
        let (g, _) = r.bptt(&cache, &Targets::from_ids(&[2]));
        let mut want = cache.y_hat[0].clone();
        want[(2, 0)] -= 1.0;
        assert!(
            (g.c - &want).norm() < 1e-12,
            "with T = 1, ∇c = ∇o = ŷ − y = {want}"
        );
    }

    #[test]
    fn many_to_one_gradients_match_the_numeric_ones() {
        let (r, mut rng) = rnn(3, 4, 3, 21);
        let h0 = uniform(4, 2, &mut rng);
        let (xs, _) = sequence(3, 3, 2, 5, &mut rng);
        let ys = Targets::many_to_one(5, vec![2, 0]);
        let (g, d_h0) = r.bptt(&r.forward(&h0, &xs), &ys);
        let theta = (r, Named("h0", h0));
        let grads = (g, Named("h0", d_h0));
        assert_gradients("Rnn::bptt (many-to-one)", &theta, &grads, |p| {
            full_loss(p, &xs, &ys)
        });
    }

    #[test]
    fn equals_the_generic_engine() {
        let (r, mut rng) = rnn(4, 5, 4, 33);
        let h0 = uniform(5, 3, &mut rng);
        let (xs, ys) = sequence(4, 4, 3, 7, &mut rng);
        let (g, d_h0) = r.bptt(&r.forward(&h0, &xs), &ys);
        let e = bptt(&r.to_model(), &h0, &xs, &ys, LossScale::Sum);
        let engine = Rnn::from_model(&e.grads);
        g.visit(&mut |name, m| {
            let other = engine.get(name).unwrap();
            assert!(
                (m - &other).norm() < 1e-10 * (1.0 + other.norm()),
                "d{name} differs from the engine's"
            );
        });
        assert!((d_h0 - e.d_h0).norm() < 1e-10, "dh0 differs");
    }

    proptest! {
        #![proptest_config(foundations::graded_config())]
        #[test]
        fn gradients_match_on_random_lengths_sizes_and_seeds(
            d in 1usize..4, n in 1usize..5, k in 2usize..4, b in 1usize..3,
            t in 1usize..8, seed in 0u64..1000
        ) {
            check(d, n, k, b, t, seed);
        }
    }
}

mod rnn_truncated_bptt {
    use super::*;

    #[test]
    fn k_at_least_t_equals_full_bptt() {
        let (r, mut rng) = rnn(3, 4, 3, 8);
        let h0 = uniform(4, 1, &mut rng);
        let (xs, ys) = sequence(3, 3, 1, 6, &mut rng);
        let cache = r.forward(&h0, &xs);
        let (g_full, _) = r.bptt(&cache, &ys);
        for k in [6, 9] {
            let (loss, g, h_last) = r.truncated_bptt(&h0, &xs, &ys, k);
            assert!((loss - cache.loss(&ys)).abs() < 1e-12, "loss, k = {k}");
            assert!(
                (g.to_flat().iter().zip(g_full.to_flat()))
                    .all(|(a, b)| (a - b).abs() < 1e-12),
                "k = {k} ≥ T must give full BPTT's gradients"
            );
            assert_eq!(
                &h_last,
                cache.last_h(),
                "h^(T) for k = {k} ≥ T: the full forward's last state"
            );
        }
    }

    #[test]
    fn k_below_t_is_the_gradient_of_each_chunk_with_its_state_held() {
        let (r, mut rng) = rnn(2, 3, 3, 9);
        let h0 = uniform(3, 2, &mut rng);
        let (xs, ys) = sequence(2, 3, 2, 7, &mut rng);
        for k in [1, 2, 3] {
            let (loss, g, _) = r.truncated_bptt(&h0, &xs, &ys, k);
            // The incoming state of each chunk, computed once and held
            // constant while θ moves.
            let hs = r.forward(&h0, &xs).hs;
            let chunked = |p: &Rnn| {
                let mut total = 0.0;
                for start in (0..xs.len()).step_by(k) {
                    let end = (start + k).min(xs.len());
                    let c = p.forward(&hs[start], &xs[start..end]);
                    total += c.loss(&ys.slice(start..end));
                }
                total
            };
            assert!((loss - chunked(&r)).abs() < 1e-10, "loss, k = {k}");
            assert_gradients("Rnn::truncated_bptt", &r, &g, chunked);
        }
    }

    #[test]
    fn the_state_is_carried_across_chunks() {
        let (r, mut rng) = rnn(2, 3, 2, 10);
        let h0 = uniform(3, 1, &mut rng);
        let (xs, ys) = sequence(2, 2, 1, 5, &mut rng);
        let (loss, _, h_last) = r.truncated_bptt(&h0, &xs, &ys, 2);
        let cache = r.forward(&h0, &xs);
        assert!(
            (&h_last - cache.last_h()).norm() < 1e-12,
            "h^(T) must be the full forward's: the state crosses chunks"
        );
        assert!(
            (loss - cache.loss(&ys)).abs() < 1e-10,
            "the chunk losses add up to the full loss"
        );
    }
}

mod rnn_sample {
    use super::*;
    use datasets::one_hot;
    use foundations::softmax::softmax_columns;
    use vanilla_rnn_bptt::{
        RecurrentCell, RecurrentModel, ReluRnnCell, RnnCell, draw, sample,
    };

    /// A character model (`D = K = V`) with weights random in ±1.5, so the
    /// draws are far from uniform.
    fn char_model(v: usize, n: usize, seed: u64) -> RecurrentModel<RnnCell> {
        let mut rng = foundations::rng(seed);
        Rnn::random(v, n, v, 1.5, &mut rng).unwrap().to_model()
    }

    /// `o` after one step of the cell from `state` on the one-hot `id`
    /// (the given engine: the cell's step, then `o = V h + c`).
    fn step<C: RecurrentCell>(
        m: &RecurrentModel<C>,
        state: &C::State,
        id: usize,
    ) -> (C::State, DMatrix<f64>) {
        let x = one_hot(&[id], m.outputs());
        let (next, _) = m.cell.step_forward(state, &x);
        let (o, _) = m.out.forward(C::hidden(&next));
        (next, o)
    }

    /// Replays `ids` by hand with the same seed: each id must be
    /// `draw(softmax(o / τ))` with `o` from the previous id fed back.
    fn replay<C: RecurrentCell>(
        m: &RecurrentModel<C>,
        state: &C::State,
        seed: usize,
        tau: f64,
        rng_seed: u64,
        ids: &[usize],
    ) {
        let mut rng = foundations::rng(rng_seed);
        let (mut state, mut id) = (state.clone(), seed);
        for (t, &got) in ids.iter().enumerate() {
            let (next, o) = step(m, &state, id);
            let want = draw(&softmax_columns(&(o / tau)), &mut rng);
            assert_eq!(
                got,
                want,
                "τ = {tau}, draw {}: got id {got}, but one step from the \
                 previous id fed back one-hot and draw(softmax(o / τ)) with \
                 the same rng give {want}",
                t + 1
            );
            (state, id) = (next, got);
        }
    }

    #[test]
    fn draws_the_ids_replayed_by_hand_from_the_same_seed() {
        let m = char_model(5, 6, 1);
        let h0 = DMatrix::zeros(6, 1);
        for tau in [0.5, 1.0, 2.0] {
            let ids = sample(&m, &h0, 2, 40, tau, &mut foundations::rng(7));
            let ids = ids.unwrap();
            assert_eq!(ids.len(), 40, "n = 40 ids at τ = {tau}");
            replay(&m, &h0, 2, tau, 7, &ids);
        }
    }

    #[test]
    fn runs_any_cell_from_any_state() {
        // The ReLU cell, from a state that is not zero: the sampler must
        // use the cell it is given and start from the given state.
        let mut rng = foundations::rng(4);
        let cell = ReluRnnCell {
            w: foundations::init::uniform(5, 5, 0.8, &mut rng),
            u: foundations::init::uniform(5, 4, 1.5, &mut rng),
            b: foundations::init::uniform(5, 1, 0.5, &mut rng),
        };
        let m = RecurrentModel::new(cell, char_model(4, 5, 2).out).unwrap();
        let h0 = foundations::init::uniform(5, 1, 1.0, &mut rng);
        let ids = sample(&m, &h0, 3, 25, 0.8, &mut foundations::rng(9));
        replay(&m, &h0, 3, 0.8, 9, &ids.unwrap());
    }

    #[test]
    fn first_draws_follow_softmax_of_o_over_tau() {
        let m = char_model(4, 5, 3);
        let h0 = DMatrix::zeros(5, 1);
        let (_, o) = step(&m, &h0, 1);
        let tau = 0.7;
        let p = softmax_columns(&(o / tau));
        let mut counts = [0usize; 4];
        let mut rng = foundations::rng(11);
        let trials = 4000;
        for _ in 0..trials {
            counts[sample(&m, &h0, 1, 1, tau, &mut rng).unwrap()[0]] += 1;
        }
        for i in 0..4 {
            let f = counts[i] as f64 / trials as f64;
            let sd = (p[(i, 0)] * (1.0 - p[(i, 0)]) / trials as f64).sqrt();
            assert!(
                (f - p[(i, 0)]).abs() < 5.0 * sd + 1e-3,
                "id {i}: drawn {f:.3} of the time, softmax(o/τ) gives {:.3}",
                p[(i, 0)]
            );
        }
    }

    #[test]
    fn a_low_temperature_picks_the_most_likely_id_and_feeds_it_back() {
        let m = char_model(5, 4, 5);
        let h0 = DMatrix::zeros(4, 1);
        let ids = sample(&m, &h0, 0, 12, 1e-3, &mut foundations::rng(1));
        let ids = ids.unwrap();
        assert_eq!(ids.len(), 12, "n = 12 ids sampled");
        let (mut h, mut id) = (h0, 0);
        for (t, &got) in ids.iter().enumerate() {
            let (h_next, o) = step(&m, &h, id);
            let want = o.column(0).argmax().0;
            assert_eq!(
                got,
                want,
                "step {}: at τ = 0.001 the id is the argmax of o, {want}",
                t + 1
            );
            (h, id) = (h_next, got);
        }
    }
}
