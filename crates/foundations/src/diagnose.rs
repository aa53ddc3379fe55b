//! One-line diagnoses of a failed gradient check: when analytic and numeric
//! fit the pattern of a classic mistake, the report says which.
//!
//! | pattern | diagnosis |
//! |---|---|
//! | `a = 0` where `n ≠ 0` | a missing path |
//! | `a = −n` | a flipped sign |
//! | `a = c·n` for one `c` | a constant factor (`c` named: 2, 1/2, T, …) |
//! | `a = nᵀ`, or `a` has the transposed shape | a transpose |
//! | blocks of a layout exchanged | gates (heads, parts) swapped |
//! | only some blocks wrong | which gates (heads, parts) |
//! | only the last step of a sequence right | the gradient from `t + 1` not carried |
//!
//! Book: *Foundations → Checking gradients → Diagnoses*.

use crate::gradcheck::{GradReport, ParamCheck};
use crate::layout::{Axis, Layout};
use nalgebra::DMatrix;
use std::collections::BTreeMap;

/// Whether `a` and `b` agree as a pattern: relative `1e-5` (looser than
/// the check, since a fitted factor carries the numeric noise) plus the
/// check's absolute floor.
fn close(a: f64, b: f64, floor: f64) -> bool {
    (a - b).abs() <= 1e-5 * (a.abs() + b.abs()) + floor
}

fn all_close(a: &DMatrix<f64>, b: &DMatrix<f64>, floor: f64) -> bool {
    a.shape() == b.shape()
        && a.iter().zip(b.iter()).all(|(x, y)| close(*x, *y, floor))
}

/// `c` as a small fraction (`2`, `1/2`, `-3/2`), or to four digits.
pub fn fraction(c: f64) -> String {
    for q in 1..=64i64 {
        let p = (c * q as f64).round() as i64;
        if p != 0
            && p.abs() <= 256
            && (c - p as f64 / q as f64).abs() <= 1e-6 * c.abs()
        {
            return if q == 1 {
                p.to_string()
            } else {
                format!("{p}/{q}")
            };
        }
    }
    format!("{c:.4}")
}

/// What a factor `c` usually means, naming `T` when a sequence of that
/// length is in the check.
fn factor_hint(c: f64, steps: Option<usize>) -> String {
    let k = if c.abs() >= 1.0 {
        c.abs()
    } else {
        1.0 / c.abs()
    };
    let k_int = (k - k.round()).abs() <= 1e-6 * k;
    let named = match steps {
        Some(t) if k_int && k.round() as usize == t => " (= T)".to_string(),
        _ => String::new(),
    };
    let sign = if c < 0.0 {
        "; the sign is flipped too"
    } else {
        ""
    };
    if !k_int {
        return format!("a constant factor{sign}");
    }
    if c.abs() >= 1.0 {
        format!(
            "a factor {}{named} too many (a term counted twice, or a missing 1/{}?){sign}",
            k.round(),
            k.round()
        )
    } else {
        format!(
            "a factor {}{named} missing (a mean where the loss is a sum: 1/B, 1/T?){sign}",
            k.round()
        )
    }
}

/// The pattern of a whole matrix, if it fits one: zero, sign, factor,
/// transpose. `steps` names `T` in a factor.
pub fn matrix_pattern(
    a: &DMatrix<f64>,
    n: &DMatrix<f64>,
    floor: f64,
    steps: Option<usize>,
) -> Option<String> {
    let a_zero = a.iter().all(|v| v.abs() <= floor);
    let n_zero = n.iter().all(|v| v.abs() <= floor);
    if n_zero && !a_zero {
        return Some(
            "numeric is 0: this does not change the loss, so the analytic \
             gradient must be 0 too (a term that does not belong)"
                .into(),
        );
    }
    if n_zero {
        return None;
    }
    if a_zero {
        return Some(
            "analytic is 0 where numeric is not: a missing path (no \
             gradient reaches it)"
                .into(),
        );
    }
    if all_close(a, &-n, floor) {
        return Some("analytic = −numeric: a sign is flipped".into());
    }
    // ANCHOR: factor
    // The least-squares c of a ≈ c·n; a pattern when every entry fits it.
    let c = a.dot(n) / n.dot(n);
    if c.is_finite() && (c - 1.0).abs() > 1e-3 && all_close(a, &(n * c), floor)
    {
        return Some(format!(
            "analytic = {} × numeric: {}",
            fraction(c),
            factor_hint(c, steps)
        ));
    }
    // ANCHOR_END: factor
    if a.is_square()
        && a.nrows() > 1
        && !all_close(n, &n.transpose(), floor)
        && all_close(a, &n.transpose(), floor)
    {
        return Some(
            "analytic is the transpose of numeric: a product in the wrong \
             order, or Xᵀ where X is meant"
                .into(),
        );
    }
    None
}

/// The block `range` of `m` along the rows (`rows`) or the columns.
fn block(
    m: &DMatrix<f64>,
    rows: bool,
    r: &std::ops::Range<usize>,
) -> DMatrix<f64> {
    if rows {
        m.rows(r.start, r.len()).into_owned()
    } else {
        m.columns(r.start, r.len()).into_owned()
    }
}

/// Diagnoses along one axis of a layout: blocks exchanged, or only some
/// blocks wrong (and how).
fn blocks_pattern(
    p: &ParamCheck,
    axis: &Axis,
    rows: bool,
    floor: f64,
    steps: Option<usize>,
) -> Option<String> {
    let (a, n) = (&p.analytic_all, &p.numeric_all);
    let len = if rows { a.nrows() } else { a.ncols() };
    let segs = axis.segments(len);
    if segs.len() < 2 {
        return None;
    }
    let word = |k: usize| axis.segment_word(&segs[k].0);
    let what = if rows { "rows" } else { "columns" };
    let ok: Vec<bool> = segs
        .iter()
        .map(|(_, r)| all_close(&block(a, rows, r), &block(n, rows, r), floor))
        .collect();
    if ok.iter().all(|&x| x) {
        return None;
    }
    // Exchanged: every wrong block holds another block's numeric gradient.
    let mut holds = BTreeMap::new();
    for (k, (_, r)) in segs.iter().enumerate().filter(|(k, _)| !ok[*k]) {
        let a_k = block(a, rows, r);
        let partner = segs.iter().enumerate().position(|(u, (_, ru))| {
            u != k
                && ru.len() == r.len()
                && all_close(&a_k, &block(n, rows, ru), floor)
        });
        match partner {
            Some(u) => {
                holds.insert(k, u);
            }
            None => {
                holds.clear();
                break;
            }
        }
    }
    let targets: std::collections::BTreeSet<_> = holds.values().collect();
    if !holds.is_empty() && targets.len() == holds.len() {
        if holds.len() == 2 {
            let (&x, &y) = holds.iter().next().unwrap();
            if holds.get(&y) == Some(&x) {
                return Some(format!(
                    "{} and {} are swapped (the {what} of each hold the \
                     other's gradient)",
                    word(x),
                    word(y),
                ));
            }
        }
        let list: Vec<String> = holds
            .iter()
            .map(|(k, u)| format!("{} holds {}'s", word(*k), word(*u)))
            .collect();
        return Some(format!("{what} in the wrong order: {}", list.join(", ")));
    }
    // Only some blocks wrong: name them, with their own pattern.
    if ok.iter().any(|&x| x) {
        let wrong: Vec<(String, Option<String>)> = segs
            .iter()
            .enumerate()
            .filter(|(k, _)| !ok[*k])
            .map(|(k, (_, r))| {
                let why = matrix_pattern(
                    &block(a, rows, r),
                    &block(n, rows, r),
                    floor,
                    steps,
                );
                (word(k), why)
            })
            .collect();
        let names: Vec<&str> = wrong.iter().map(|w| w.0.as_str()).collect();
        let whys: Vec<String> = wrong
            .iter()
            .filter_map(|(w, why)| why.as_ref().map(|y| format!("{w}: {y}")))
            .collect();
        let mut out = format!(
            "only the {what} of {} are wrong, the others are right",
            names.join(", ")
        );
        if let [(_, Some(why))] = wrong.as_slice() {
            out.push_str(&format!("; there {why}"));
        } else if !whys.is_empty() {
            out.push_str(&format!("; {}", whys.join("; ")));
        }
        return Some(out);
    }
    None
}

/// Zeros where numeric is not, at some entries only.
fn partial_zero(
    p: &ParamCheck,
    floor: f64,
    tol_ok: &dyn Fn(f64, f64) -> bool,
) -> Option<String> {
    let mut zeros = Vec::new();
    for j in 0..p.shape.1 {
        for i in 0..p.shape.0 {
            let (a, n) = (p.analytic_all[(i, j)], p.numeric_all[(i, j)]);
            if !tol_ok(a, n) {
                if a.abs() > floor || n.abs() <= floor {
                    return None;
                }
                zeros.push((i, j));
            }
        }
    }
    let first = zeros.first()?;
    let at = match p.layout.describe(*first, p.shape) {
        Some(d) => format!("({}, {}) = {d}", first.0, first.1),
        None => format!("({}, {})", first.0, first.1),
    };
    Some(format!(
        "analytic is 0 at {} of {} entries where numeric is not (first {at}): a path is missing there",
        zeros.len(),
        p.shape.0 * p.shape.1
    ))
}

/// The diagnosis of one failed gradient, if its pattern fits one.
pub fn diagnose(
    p: &ParamCheck,
    floor: f64,
    steps: Option<usize>,
    tol_ok: &dyn Fn(f64, f64) -> bool,
) -> Option<String> {
    if p.transposed_shape {
        let (r, c) = p.shape;
        let fits = p.failures == 0;
        return Some(format!(
            "returned with the transposed shape: {c}x{r} where the parameter is {r}x{c}{}",
            if fits {
                "; its transpose matches the numeric gradient"
            } else {
                "; even transposed it does not match"
            }
        ));
    }
    let layout: &Layout = &p.layout;
    matrix_pattern(&p.analytic_all, &p.numeric_all, floor, steps)
        .or_else(|| blocks_pattern(p, &layout.rows, true, floor, steps))
        .or_else(|| blocks_pattern(p, &layout.cols, false, floor, steps))
        .or_else(|| partial_zero(p, floor, tol_ok))
}

/// `name` with its step segment (`xs.3.h` at t = 3) replaced by `*`.
fn step_key(name: &str, t: usize) -> String {
    let t = t.to_string();
    let mut done = false;
    name.split('.')
        .map(|s| {
            if !done && s == t {
                done = true;
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Sets the diagnosis of every failed gradient of `report`; a sequence
/// whose last step alone is right is diagnosed as such.
pub fn annotate(report: &mut GradReport) {
    let floor = report.tol.atol * report.loss.abs().max(1.0);
    let tol = report.tol;
    let loss = report.loss;
    let tol_ok = move |a: f64, n: f64| tol.passes(a, n, loss);
    let steps = report
        .params
        .iter()
        .find_map(|p| p.layout.step.map(|s| s.1));
    for p in report.params.iter_mut().filter(|p| !p.passed()) {
        p.diagnosis = diagnose(p, floor, steps, &tol_ok);
    }
    // Sequences: group the steps of one quantity.
    let mut groups: BTreeMap<String, Vec<(usize, usize, usize)>> =
        BTreeMap::new();
    for (k, p) in report.params.iter().enumerate() {
        if let Some((t, big_t)) = p.layout.step {
            groups
                .entry(step_key(&p.name, t))
                .or_default()
                .push((t, big_t, k));
        }
    }
    for (key, members) in groups {
        let big_t = members[0].1;
        if big_t < 2 || members.len() != big_t {
            continue;
        }
        let passed = |t: usize| {
            members
                .iter()
                .filter(|m| m.0 == t)
                .all(|m| report.params[m.2].passed())
        };
        if passed(big_t - 1) && (0..big_t - 1).all(|t| !passed(t)) {
            let key = key.strip_suffix(".*").unwrap_or(&key);
            let note = format!(
                "only the last step (t = {}) of {key} is right: the gradient \
                 that flows back from step t + 1 is not carried (add it to \
                 the next step's incoming gradient)",
                big_t - 1
            );
            for m in members.iter().filter(|m| m.0 + 1 < big_t) {
                report.params[m.2].diagnosis = Some(note.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::gradcheck::{GradReport, check_gradients};
    use crate::layout::{Axis, Layout, Steps};
    use crate::params::Named;
    use crate::{DMatrix, impl_params};

    type Mat = DMatrix<f64>;

    /// `h_t = tanh(W h_{t−1} + x_t)`, `L = Σ_t Σ_i h_t[i]`.
    fn loss(w: &Mat, h0: &Mat, xs: &[Mat]) -> f64 {
        let mut h = h0.clone();
        xs.iter()
            .map(|x| {
                h = (w * &h + x).map(f64::tanh);
                h.sum()
            })
            .sum()
    }

    /// The classic mistakes of a backward through time.
    #[derive(Clone, Copy, PartialEq)]
    enum Mistake {
        None,
        Sign,
        Twice,
        MeanOverT,
        ProductOrder,
        NoCarry,
        NoDh0,
        Dh0Transposed,
    }

    /// BPTT for `loss`, with one deliberate mistake.
    fn backward(
        w: &Mat,
        h0: &Mat,
        xs: &[Mat],
        m: Mistake,
    ) -> (Mat, Mat, Vec<Mat>) {
        let n = h0.nrows();
        let mut hs = vec![h0.clone()];
        for x in xs {
            let h = (w * hs.last().unwrap() + x).map(f64::tanh);
            hs.push(h);
        }
        let t_len = xs.len() as f64;
        let up = match m {
            Mistake::Twice => 2.0,
            Mistake::MeanOverT => 1.0 / t_len,
            _ => 1.0,
        };
        let mut dw = Mat::zeros(n, n);
        let mut dh = Mat::zeros(n, 1);
        let mut dxs = vec![Mat::zeros(n, 1); xs.len()];
        for s in (1..=xs.len()).rev() {
            if m == Mistake::NoCarry {
                dh = Mat::zeros(n, 1);
            }
            dh += Mat::from_element(n, 1, up);
            let da = dh.component_mul(&hs[s].map(|v| 1.0 - v * v));
            if m == Mistake::Sign {
                dw -= &da * hs[s - 1].transpose();
            } else if m == Mistake::ProductOrder {
                dw += &hs[s - 1] * da.transpose();
            } else {
                dw += &da * hs[s - 1].transpose();
            }
            dxs[s - 1] = da.clone();
            dh = w.transpose() * da;
        }
        match m {
            Mistake::NoDh0 => dh = Mat::zeros(n, 1),
            Mistake::Dh0Transposed => dh = dh.transpose(),
            _ => {}
        }
        (dw, dh, dxs)
    }

    /// The check of `backward` with mistake `m`, on 4 units over 5 steps.
    fn report(m: Mistake) -> GradReport {
        let mut r = crate::rng(3);
        let w = crate::init::uniform(4, 4, 0.6, &mut r);
        let h0 = crate::init::uniform(4, 1, 1.0, &mut r);
        let xs: Vec<Mat> = (0..5)
            .map(|_| crate::init::uniform(4, 1, 1.0, &mut r))
            .collect();
        let (dw, dh0, dxs) = backward(&w, &h0, &xs, m);
        let theta = (Named("w", w), Named("h0", h0), Named("xs", Steps(xs)));
        let grads = (Named("w", dw), Named("h0", dh0), Named("xs", Steps(dxs)));
        check_gradients(&theta, &grads, |p| loss(&p.0.1, &p.1.1, &p.2.1.0))
    }

    fn said(r: &GradReport, name: &str) -> String {
        r.param(name)
            .and_then(|p| p.diagnosis.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_correct_backward_gets_no_diagnosis() {
        let r = report(Mistake::None);
        assert!(r.passed(), "{r}");
        assert!(r.params.iter().all(|p| p.diagnosis.is_none()), "{r}");
        assert!(r.headline().is_none());
    }

    #[test]
    fn a_flipped_sign_is_named() {
        let r = report(Mistake::Sign);
        assert!(said(&r, "w").contains("analytic = −numeric"), "{r}");
    }

    #[test]
    fn a_factor_2_is_named() {
        let r = report(Mistake::Twice);
        assert!(said(&r, "w").starts_with("analytic = 2 × numeric"), "{r}");
        assert!(said(&r, "h0").contains("a factor 2 too many"), "{r}");
    }

    #[test]
    fn a_factor_1_over_t_is_named_with_t() {
        let r = report(Mistake::MeanOverT);
        let d = said(&r, "w");
        assert!(d.starts_with("analytic = 1/5 × numeric"), "{r}");
        assert!(d.contains("a factor 5 (= T) missing"), "{d}");
    }

    #[test]
    fn a_product_in_the_wrong_order_is_a_transpose() {
        let r = report(Mistake::ProductOrder);
        assert!(said(&r, "w").contains("the transpose of numeric"), "{r}");
    }

    #[test]
    fn a_gradient_returned_with_the_transposed_shape_is_named() {
        let r = report(Mistake::Dh0Transposed);
        assert!(said(&r, "h0").contains("transposed shape: 1x4"), "{r}");
        assert!(said(&r, "h0").contains("its transpose matches"), "{r}");
        assert!(!r.passed());
    }

    #[test]
    fn a_gradient_left_at_zero_is_a_missing_path() {
        let r = report(Mistake::NoDh0);
        assert!(said(&r, "h0").contains("a missing path"), "{r}");
        assert!(r.param("w").unwrap().passed());
    }

    #[test]
    fn only_the_last_step_right_is_a_gradient_not_carried() {
        let r = report(Mistake::NoCarry);
        assert!(r.param("xs.4").unwrap().passed(), "{r}");
        let d = said(&r, "xs.0");
        assert!(
            d.starts_with("only the last step (t = 4) of xs is right"),
            "{r}"
        );
        assert!(r.headline().unwrap().contains("not carried"), "{r}");
    }

    #[test]
    fn an_error_that_fits_no_pattern_gets_no_diagnosis() {
        let mut r = crate::rng(3);
        let w = crate::init::uniform(4, 4, 0.6, &mut r);
        let h0 = crate::init::uniform(4, 1, 1.0, &mut r);
        let xs: Vec<Mat> = (0..3)
            .map(|_| crate::init::uniform(4, 1, 1.0, &mut r))
            .collect();
        let (mut dw, dh0, _) = backward(&w, &h0, &xs, Mistake::None);
        dw[(1, 2)] += 0.1;
        dw[(3, 0)] *= -3.0;
        let theta = (Named("w", w), Named("h0", h0));
        let r =
            check_gradients(&theta, &(Named("w", dw), Named("h0", dh0)), |p| {
                loss(&p.0.1, &p.1.1, &xs)
            });
        assert!(!r.passed());
        assert_eq!(said(&r, "w"), "", "{r}");
    }

    /// Two gates stacked in one matrix, as the LSTM stacks four:
    /// `L = Σ u ⊙ σ(W_a x) + Σ v ⊙ tanh(W_b x)` with `W = [W_a; W_b]`.
    #[derive(Debug, Clone)]
    struct TwoGates {
        w: Mat,
    }
    impl_params!(TwoGates { w } layouts = |s: &TwoGates, f| {
        let gates = Axis::blocks("gate", &["a", "b"], "unit");
        let cols = Axis::parts(&[("x", s.w.ncols())]);
        f("w", Layout::new(gates, cols));
    });

    fn two_gates(swap: bool, zero_b: bool) -> GradReport {
        let mut r = crate::rng(9);
        let w = crate::init::uniform(6, 2, 1.0, &mut r);
        let x = crate::init::uniform(2, 1, 1.0, &mut r);
        let u = crate::init::uniform(3, 1, 1.0, &mut r);
        let v = crate::init::uniform(3, 1, 1.0, &mut r);
        let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
        let l = |p: &TwoGates| {
            let z = &p.w * &x;
            let a = z.rows(0, 3).map(sig);
            let b = z.rows(3, 3).map(f64::tanh);
            u.dot(&a) + v.dot(&b)
        };
        let z = &w * &x;
        let a = z.rows(0, 3).map(sig);
        let b = z.rows(3, 3).map(f64::tanh);
        let mut da = u.component_mul(&a.map(|s| s * (1.0 - s)));
        let mut db = v.component_mul(&b.map(|t| 1.0 - t * t));
        if swap {
            std::mem::swap(&mut da, &mut db);
        }
        if zero_b {
            db.fill(0.0);
        }
        let mut dz = Mat::zeros(6, 1);
        dz.rows_mut(0, 3).copy_from(&da);
        dz.rows_mut(3, 3).copy_from(&db);
        let theta = TwoGates { w };
        let grads = TwoGates {
            w: dz * x.transpose(),
        };
        check_gradients(&theta, &grads, l)
    }

    #[test]
    fn swapped_gate_blocks_are_named_by_gate() {
        let r = two_gates(false, false);
        assert!(r.passed() && said(&r, "w").is_empty(), "{r}");
        let r = two_gates(true, false);
        assert_eq!(
            said(&r, "w"),
            "gate a and gate b are swapped (the rows of each hold the \
             other's gradient)",
            "{r}"
        );
        assert!(r.to_string().contains("(worst: gate "), "{r}");
    }

    #[test]
    fn a_wrong_gate_alone_is_named() {
        let r = two_gates(false, true);
        assert!(
            said(&r, "w").starts_with(
                "only the rows of gate b are wrong, the others are right; \
                 there analytic is 0"
            ),
            "{r}"
        );
    }
}
