//! Kernels for the hand-written fast paths (the vanilla RNN's and the
//! LSTM's character-model trainers): `e^x`, `tanh` and `σ` without a
//! library call, so that a loop over a slice vectorises, and the two
//! vector kernels a recurrence needs, `y += a x` and `y += A x` for a
//! column-major `A`.
//!
//! The textbook code of every chapter uses `f64::exp` / `f64::tanh` and
//! nalgebra's products; these are only for the engines that are tested
//! equal to it. Their accuracy is tested here against the library
//! functions over the whole range (see the tests for the worst case
//! found).
//!
//! Book: *Recurrent networks and BPTT → Speed*, *LSTM and GRU → Speed*.

/// `e^x` without a library call: `x = k ln 2 + r` with `k` an integer and
/// `|r| ≤ ln 2 / 2`, `e^r` by its Taylor series to `r^13` (truncation error
/// below `1e-17`), and `2^k` built directly in the exponent bits. Within 4
/// ulps of `f64::exp` on `[−708, 709]` (tested); inputs beyond are clamped
/// (so `exp_vec(−1e4)` is `e^{−708}`, not 0). NaN stays NaN.
#[inline(always)]
pub fn exp_vec(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52: rounds to integer
    // ln 2 split in two (fdlibm): LN2_HI has zeros in its low bits, so
    // k · LN2_HI is exact for |k| < 2^11.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    let x = x.clamp(-708.0, 709.0);
    let kf = x.mul_add(std::f64::consts::LOG2_E, MAGIC);
    let k_bits = kf.to_bits().wrapping_sub(MAGIC.to_bits());
    let k = kf - MAGIC;
    let r = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, x));
    let mut p: f64 = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(r, c);
    }
    p * f64::from_bits(k_bits.wrapping_add(1023) << 52)
}

/// `tanh(x)` without a library call: its odd Taylor series for `|x| < 0.1`
/// (no cancellation near 0), `1 − 2 / (e^{2|x|} + 1)` above, the sign put
/// back at the end. Both branches are computed and one is selected, so a
/// loop over a slice vectorises. Within 8 ulps of `f64::tanh` (tested; the
/// worst case is just above 0.1, where `1 − 2/(e^{2x} + 1)` cancels).
#[inline(always)]
pub fn tanh_vec(x: f64) -> f64 {
    let ax = x.abs().min(20.0); // tanh(20) = 1 to double precision
    let big = 1.0 - 2.0 / (exp_vec(2.0 * ax) + 1.0);
    let x2 = ax * ax;
    let mut p: f64 = 21_844.0 / 6_081_075.0;
    for c in [
        -1_382.0 / 155_925.0,
        62.0 / 2_835.0,
        -17.0 / 315.0,
        2.0 / 15.0,
        -1.0 / 3.0,
        1.0,
    ] {
        p = p.mul_add(x2, c);
    }
    let small = ax * p;
    let t = if ax < 0.1 { small } else { big };
    if x.is_nan() { x } else { t.copysign(x) }
}

/// `σ(x) = 1 / (1 + e^{−x})` with [`exp_vec`]. Within a few ulps of
/// [`crate::activations::sigmoid_scalar`] down to `x = −708` (tested);
/// below, [`exp_vec`]'s clamp keeps it at about `1e-308` instead of
/// underflowing to 0.
#[inline(always)]
pub fn sigmoid_vec(x: f64) -> f64 {
    1.0 / (1.0 + exp_vec(-x))
}

/// `y += a x`, with fused multiply-adds.
///
/// # Panics
/// Never; a longer `x` is read only as far as `y` reaches.
#[inline]
pub fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = x.mul_add(a, *y);
    }
}

/// `y += A x` for a column-major `A` with `y.len()` rows and `x.len()`
/// columns (`a` holds at least `y.len() · x.len()` entries), four columns
/// per pass so that `y` is loaded and stored once per four columns, with
/// fused multiply-adds.
///
/// # Panics
/// When `a` holds fewer than `y.len() · x.len()` entries.
#[inline]
pub fn gemv_acc(y: &mut [f64], a: &[f64], x: &[f64]) {
    let m = y.len();
    assert!(
        a.len() >= m * x.len(),
        "fast_math::gemv_acc: A has {} entries, expected at least {m} x {}",
        a.len(),
        x.len()
    );
    let a = &a[..m * x.len()];
    let mut blocks = a.chunks_exact(4 * m);
    let mut xs = x.chunks_exact(4);
    for (block, x) in blocks.by_ref().zip(xs.by_ref()) {
        let (c0, rest) = block.split_at(m);
        let (c1, rest) = rest.split_at(m);
        let (c2, c3) = rest.split_at(m);
        let (x0, x1, x2, x3) = (x[0], x[1], x[2], x[3]);
        let cols = c0.iter().zip(c1).zip(c2).zip(c3);
        for (y, (((a0, a1), a2), a3)) in y.iter_mut().zip(cols) {
            *y = a3.mul_add(
                x3,
                a2.mul_add(x2, a1.mul_add(x1, a0.mul_add(x0, *y))),
            );
        }
    }
    for (col, &x) in blocks.remainder().chunks_exact(m).zip(xs.remainder()) {
        axpy(y, x, col);
    }
}

/// `y += Aᵀ x` for a column-major `A` with `x.len()` rows and `y.len()`
/// columns (`a` holds at least `x.len() · y.len()` entries): one dot
/// product per column of `A`, four columns per pass so that each block of
/// `x` is loaded once per four columns, each with eight partial sums (so
/// the sums run in vector registers, not in one long chain).
///
/// # Panics
/// When `a` holds fewer than `x.len() · y.len()` entries.
#[inline]
pub fn gemv_t_acc(y: &mut [f64], a: &[f64], x: &[f64]) {
    let m = x.len();
    assert!(
        a.len() >= m * y.len(),
        "fast_math::gemv_t_acc: A has {} entries, expected at least {m} x {}",
        a.len(),
        y.len()
    );
    let (x8, x_rest) = x.as_chunks::<8>();
    let dot = |col: &[f64]| -> f64 {
        let (c8, c_rest) = col.as_chunks::<8>();
        let mut acc = [0.0f64; 8];
        for (c, x) in c8.iter().zip(x8) {
            for l in 0..8 {
                acc[l] = c[l].mul_add(x[l], acc[l]);
            }
        }
        let tail: f64 = c_rest.iter().zip(x_rest).map(|(c, x)| c * x).sum();
        acc.iter().sum::<f64>() + tail
    };
    let a = &a[..m * y.len()];
    let mut blocks = a.chunks_exact(4 * m);
    let mut ys = y.chunks_exact_mut(4);
    for (block, y) in blocks.by_ref().zip(ys.by_ref()) {
        let (c0, rest) = block.split_at(m);
        let (c1, rest) = rest.split_at(m);
        let (c2, c3) = rest.split_at(m);
        let (c0, _) = c0.as_chunks::<8>();
        let (c1, _) = c1.as_chunks::<8>();
        let (c2, _) = c2.as_chunks::<8>();
        let (c3, _) = c3.as_chunks::<8>();
        let mut acc = [[0.0f64; 8]; 4];
        for ((((x, a0), a1), a2), a3) in
            x8.iter().zip(c0).zip(c1).zip(c2).zip(c3)
        {
            for l in 0..8 {
                acc[0][l] = a0[l].mul_add(x[l], acc[0][l]);
                acc[1][l] = a1[l].mul_add(x[l], acc[1][l]);
                acc[2][l] = a2[l].mul_add(x[l], acc[2][l]);
                acc[3][l] = a3[l].mul_add(x[l], acc[3][l]);
            }
        }
        let tail = m - x_rest.len();
        for (k, (y, acc)) in y.iter_mut().zip(&acc).enumerate() {
            let col = &block[k * m..(k + 1) * m];
            let t: f64 =
                col[tail..].iter().zip(x_rest).map(|(c, x)| c * x).sum();
            *y += acc.iter().sum::<f64>() + t;
        }
    }
    for (col, y) in blocks.remainder().chunks_exact(m).zip(ys.into_remainder())
    {
        *y += dot(col);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::sigmoid_scalar;
    use crate::{Mat, rng};

    /// `|a − b|` in units of the last place of `b`.
    fn ulps(a: f64, b: f64) -> f64 {
        (a - b).abs() / (b.abs() * f64::EPSILON).max(f64::MIN_POSITIVE)
    }

    /// The worst error (in ulps) of `f` against `g` over a fine grid of
    /// `[lo, hi]` and a finer one of `[−1, 1]`, and where it is.
    fn worst(
        f: impl Fn(f64) -> f64,
        g: impl Fn(f64) -> f64,
        lo: f64,
        hi: f64,
    ) -> (f64, f64) {
        let grid = (0..=200_000).map(|i| lo + (hi - lo) * i as f64 / 2e5);
        let fine = (0..=20_000).map(|i| -1.0 + 2.0 * i as f64 / 2e4);
        grid.chain(fine)
            .filter(|&x| x != 0.0)
            .map(|x| (ulps(f(x), g(x)), x))
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    #[test]
    fn exp_vec_is_within_4_ulps_of_exp() {
        let (e, at) = worst(exp_vec, f64::exp, -700.0, 700.0);
        assert!(e < 4.0, "exp_vec: worst error {e:.2} ulps at x = {at}");
        assert_eq!(exp_vec(0.0), 1.0);
        assert!(ulps(exp_vec(-1e4), (-708f64).exp()) < 4.0);
        assert!(exp_vec(f64::NAN).is_nan());
    }

    #[test]
    fn tanh_vec_is_within_8_ulps_of_tanh() {
        let (mut e, mut at) = worst(tanh_vec, f64::tanh, -25.0, 25.0);
        for x in [1e-300, 1e-12, 1e-5, 0.0999, 0.1, 0.1001, 19.9, 1e4] {
            for x in [x, -x] {
                if ulps(tanh_vec(x), x.tanh()) > e {
                    (e, at) = (ulps(tanh_vec(x), x.tanh()), x);
                }
            }
        }
        assert!(e < 8.0, "tanh_vec: worst error {e:.2} ulps at x = {at}");
        assert_eq!(tanh_vec(0.0), 0.0);
        assert!(tanh_vec(f64::NAN).is_nan());
    }

    #[test]
    fn sigmoid_vec_is_within_8_ulps_of_sigmoid() {
        let (e, at) = worst(sigmoid_vec, sigmoid_scalar, -700.0, 700.0);
        assert!(e < 8.0, "sigmoid_vec: worst error {e:.2} ulps at x = {at}");
        assert_eq!(sigmoid_vec(0.0), 0.5);
        assert!(sigmoid_vec(-1e4) > 0.0 && sigmoid_vec(1e4) == 1.0);
    }

    #[test]
    fn gemv_acc_adds_the_matrix_vector_product() {
        let mut r = rng(3);
        // 4-column blocks, a remainder of 1, 2 and 3 columns, and none
        for (m, k) in [(7, 9), (5, 4), (3, 6), (8, 11), (1, 1)] {
            let a = crate::init::uniform(m, k, 1.0, &mut r);
            let x = crate::init::uniform(k, 1, 1.0, &mut r);
            let y0 = crate::init::uniform(m, 1, 1.0, &mut r);
            let mut y = y0.clone();
            gemv_acc(y.as_mut_slice(), a.as_slice(), x.as_slice());
            let want: Mat = &y0 + &a * &x;
            assert!(
                (&y - &want).amax() < 1e-14,
                "gemv_acc {m}x{k}: got {y}, expected {want}"
            );
        }
    }

    #[test]
    fn gemv_t_acc_adds_the_transposed_product() {
        let mut r = rng(4);
        // rows in blocks of 8 and not; 4-column blocks, remainders, none
        for (m, k) in [(16, 8), (19, 9), (5, 4), (3, 6), (8, 11), (1, 1)] {
            let a = crate::init::uniform(m, k, 1.0, &mut r);
            let x = crate::init::uniform(m, 1, 1.0, &mut r);
            let y0 = crate::init::uniform(k, 1, 1.0, &mut r);
            let mut y = y0.clone();
            gemv_t_acc(y.as_mut_slice(), a.as_slice(), x.as_slice());
            let want: Mat = &y0 + a.transpose() * &x;
            assert!(
                (&y - &want).amax() < 1e-14,
                "gemv_t_acc {m}x{k}: got {y}, expected {want}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "fast_math::gemv_acc: A has 6 entries")]
    fn gemv_acc_rejects_a_short_matrix() {
        gemv_acc(&mut [0.0; 3], &[1.0; 6], &[1.0; 3]);
    }
}
