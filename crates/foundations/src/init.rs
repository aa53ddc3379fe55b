//! Seeded initialisation from the portable [`crate::Rng`].

use crate::Rng;
use nalgebra::DMatrix;
use rand::Rng as _;

/// Entries uniform in `[−scale, scale)`.
pub fn uniform(
    rows: usize,
    cols: usize,
    scale: f64,
    rng: &mut Rng,
) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-scale..scale))
}

/// One standard normal draw (Box–Muller, so it is the same on every
/// platform).
pub fn standard_normal(rng: &mut Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: log is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Entries normal with mean 0 and standard deviation `std`.
pub fn normal(
    rows: usize,
    cols: usize,
    std: f64,
    rng: &mut Rng,
) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| std * standard_normal(rng))
}

/// Xavier/Glorot uniform: `U(−a, a)` with `a = sqrt(6 / (fan_in + fan_out))`
/// (Glorot & Bengio 2010), for a `fan_out x fan_in` matrix.
// ANCHOR: xavier
pub fn xavier(fan_out: usize, fan_in: usize, rng: &mut Rng) -> DMatrix<f64> {
    let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
    uniform(fan_out, fan_in, a, rng)
}
// ANCHOR_END: xavier

/// He normal: `N(0, 2 / fan_in)` (He et al. 2015), for ReLU layers; the
/// matrix is `rows x cols` and `fan_in` is given (a conv filter's is
/// `F·F·depth`).
// ANCHOR: he
pub fn he(
    rows: usize,
    cols: usize,
    fan_in: usize,
    rng: &mut Rng,
) -> DMatrix<f64> {
    normal(rows, cols, (2.0 / fan_in as f64).sqrt(), rng)
}
// ANCHOR_END: he

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers() {
        let a = xavier(3, 4, &mut crate::rng(9));
        let b = xavier(3, 4, &mut crate::rng(9));
        assert_eq!(a, b);
        assert_ne!(a, xavier(3, 4, &mut crate::rng(10)));
    }

    #[test]
    fn scales_are_as_documented() {
        let mut r = crate::rng(1);
        let x = xavier(50, 150, &mut r);
        let a = (6.0f64 / 200.0).sqrt();
        assert!(x.iter().all(|v| v.abs() <= a));
        let h = he(200, 200, 50, &mut r);
        let var = h.iter().map(|v| v * v).sum::<f64>() / h.len() as f64;
        assert!((var - 2.0 / 50.0).abs() < 0.004, "{var}");
    }
}
