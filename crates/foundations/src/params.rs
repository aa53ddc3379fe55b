//! The `Params` trait: every parameter matrix of a layer or model, under a
//! stable dotted name (`"w"`, `"blocks.0.w_q"`). Gradients have the same type
//! as the parameters, so optimizers, clipping and gradient checks work on any
//! layer through this one trait.

use crate::layout::{Layout, layouts_child};
use nalgebra::DMatrix;

// ANCHOR: params
/// Every parameter matrix, with a stable dotted name.
pub trait Params {
    /// Calls `f` on every parameter matrix, in a fixed order.
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>));
    /// Calls `f` on every parameter matrix, mutably, in the same order.
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>));
    /// The [`Layout`] of the matrices that have one in the lecture's words
    /// (the LSTM's gate blocks, a volume's channels), by the same names;
    /// gradient reports use it. The default: none.
    fn layouts(&self, f: &mut dyn FnMut(&str, Layout)) {
        let _ = f;
    }
}
// ANCHOR_END: params

/// `prefix.name`, or `prefix` alone when the child is a bare matrix.
pub fn join(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}.{name}"),
    }
}

/// Visits `child` with every name prefixed by `prefix`.
pub fn visit_child<P: Params + ?Sized>(
    prefix: &str,
    child: &P,
    f: &mut dyn FnMut(&str, &DMatrix<f64>),
) {
    child.visit(&mut |name, m| f(&join(prefix, name), m));
}

/// Visits `child` mutably with every name prefixed by `prefix`.
pub fn visit_child_mut<P: Params + ?Sized>(
    prefix: &str,
    child: &mut P,
    f: &mut dyn FnMut(&str, &mut DMatrix<f64>),
) {
    child.visit_mut(&mut |name, m| f(&join(prefix, name), m));
}

/// A bare matrix is one parameter with the empty name; a parent names it.
impl Params for DMatrix<f64> {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        f("", self);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        f("", self);
    }
}

/// A list of layers: names `0.w`, `1.w`, …
impl<P: Params> Params for Vec<P> {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        for (i, p) in self.iter().enumerate() {
            visit_child(&i.to_string(), p, f);
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        for (i, p) in self.iter_mut().enumerate() {
            visit_child_mut(&i.to_string(), p, f);
        }
    }
    fn layouts(&self, f: &mut dyn FnMut(&str, Layout)) {
        for (i, p) in self.iter().enumerate() {
            layouts_child(&i.to_string(), p, f);
        }
    }
}

/// A value under a name: `Named("x", x)` makes an input checkable as `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Named<P>(pub &'static str, pub P);

impl<P: Params> Params for Named<P> {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        visit_child(self.0, &self.1, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        visit_child_mut(self.0, &mut self.1, f);
    }
    fn layouts(&self, f: &mut dyn FnMut(&str, Layout)) {
        layouts_child(self.0, &self.1, f);
    }
}

macro_rules! impl_tuple {
    ($($t:ident $i:tt),+) => {
        /// Tuples concatenate their members' parameters (names unchanged).
        impl<$($t: Params),+> Params for ($($t,)+) {
            fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
                $(self.$i.visit(f);)+
            }
            fn visit_mut(
                &mut self,
                f: &mut dyn FnMut(&str, &mut DMatrix<f64>),
            ) {
                $(self.$i.visit_mut(f);)+
            }
            fn layouts(&self, f: &mut dyn FnMut(&str, Layout)) {
                $(self.$i.layouts(f);)+
            }
        }
    };
}
impl_tuple!(A 0, B 1);
impl_tuple!(A 0, B 1, C 2);
impl_tuple!(A 0, B 1, C 2, D 3);
impl_tuple!(A 0, B 1, C 2, D 3, E 4);

/// Implements [`Params`] for a struct from its fields, in order; each field is
/// a matrix or anything else that implements `Params` (names are dotted).
///
/// ```
/// use foundations::{impl_params, DMatrix, Params};
/// #[derive(Debug, Clone)]
/// struct Affine { w: DMatrix<f64>, b: DMatrix<f64> }
/// impl_params!(Affine { w, b });
/// let mut names = vec![];
/// let a = Affine { w: DMatrix::zeros(2, 3), b: DMatrix::zeros(2, 1) };
/// a.visit(&mut |n, _| names.push(n.to_string()));
/// assert_eq!(names, ["w", "b"]);
/// ```
///
/// A layer whose matrices have a layout in the lecture's words adds
/// `layouts = |self_, f| …`, a function that calls
/// `f(name, Layout)` for them (see [`crate::layout`]).
#[macro_export]
macro_rules! impl_params {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        $crate::impl_params!($ty { $($field),+ } layouts = |_s, _f| {});
    };
    ($ty:ident { $($field:ident),+ $(,)? } layouts = $own:expr) => {
        impl $crate::Params for $ty {
            fn visit(
                &self,
                f: &mut dyn FnMut(&str, &$crate::DMatrix<f64>),
            ) {
                $($crate::params::visit_child(
                    stringify!($field), &self.$field, f);)+
            }
            fn visit_mut(
                &mut self,
                f: &mut dyn FnMut(&str, &mut $crate::DMatrix<f64>),
            ) {
                $($crate::params::visit_child_mut(
                    stringify!($field), &mut self.$field, f);)+
            }
            fn layouts(
                &self,
                f: &mut dyn FnMut(&str, $crate::layout::Layout),
            ) {
                $($crate::layout::layouts_child(
                    stringify!($field), &self.$field, f);)+
                let own: fn(&$ty, &mut dyn FnMut(&str, $crate::layout::Layout)) = $own;
                own(self, f);
            }
        }
    };
}

/// What every [`Params`] value can do, built on `visit` alone.
pub trait ParamsExt: Params {
    /// Names and shapes, in visiting order.
    fn shapes(&self) -> Vec<(String, (usize, usize))> {
        let mut out = Vec::new();
        self.visit(&mut |n, m| out.push((n.to_string(), m.shape())));
        out
    }

    /// The number of scalar parameters.
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit(&mut |_, m| n += m.len());
        n
    }

    /// A copy with every entry set to zero: the start of a gradient sum.
    fn zeros_like(&self) -> Self
    where
        Self: Clone + Sized,
    {
        let mut z = self.clone();
        z.visit_mut(&mut |_, m| m.fill(0.0));
        z
    }

    /// `self += other`, entry by entry: the one place where gradients
    /// accumulate (BPTT sums per-step gradients through this).
    ///
    /// # Panics
    /// When `other` has different names or shapes.
    // ANCHOR: accumulate
    fn accumulate(&mut self, other: &Self) {
        let mut theirs = Vec::new();
        other.visit(&mut |n, m| theirs.push((n.to_string(), m.clone())));
        let mut it = theirs.into_iter();
        self.visit_mut(&mut |name, m| {
            let (n, o) = it.next().expect("accumulate: fewer parameters");
            assert!(
                n == name && o.shape() == m.shape(),
                "accumulate: {n} {:?} does not match {name} {:?}",
                o.shape(),
                m.shape()
            );
            *m += o;
        });
    }
    // ANCHOR_END: accumulate

    /// `self *= s`, every entry.
    fn scale(&mut self, s: f64) {
        self.visit_mut(&mut |_, m| *m *= s);
    }

    /// The global L2 norm `sqrt(Σ θ²)` over every entry of every matrix.
    fn global_norm(&self) -> f64 {
        let mut sq = 0.0;
        self.visit(&mut |_, m| sq += m.norm_squared());
        sq.sqrt()
    }

    /// The named matrix, cloned, if there is one.
    fn get(&self, name: &str) -> Option<DMatrix<f64>> {
        let mut found = None;
        self.visit(&mut |n, m| {
            if n == name {
                found = Some(m.clone());
            }
        });
        found
    }

    /// Every matrix flattened into one vector (column-major, visiting order).
    fn to_flat(&self) -> Vec<f64> {
        let mut v = Vec::new();
        self.visit(&mut |_, m| v.extend_from_slice(m.as_slice()));
        v
    }
}

impl<P: Params + ?Sized> ParamsExt for P {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone)]
    struct Block {
        w_q: DMatrix<f64>,
        b: DMatrix<f64>,
    }
    impl_params!(Block { w_q, b });

    #[derive(Debug, Clone)]
    struct Model {
        blocks: Vec<Block>,
        out: DMatrix<f64>,
    }
    impl_params!(Model { blocks, out });

    fn model() -> Model {
        let block = Block {
            w_q: DMatrix::from_element(2, 2, 1.0),
            b: DMatrix::from_element(2, 1, 2.0),
        };
        Model {
            blocks: vec![block.clone(), block],
            out: DMatrix::from_element(1, 2, 3.0),
        }
    }

    #[test]
    fn names_are_dotted_and_stable() {
        let names: Vec<String> =
            model().shapes().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "blocks.0.w_q",
                "blocks.0.b",
                "blocks.1.w_q",
                "blocks.1.b",
                "out"
            ]
        );
    }

    #[test]
    fn accumulate_scale_and_norm() {
        let mut g = model().zeros_like();
        assert_eq!(g.global_norm(), 0.0);
        g.accumulate(&model());
        g.accumulate(&model());
        g.scale(0.5);
        assert_eq!(g.to_flat(), model().to_flat());
        assert_eq!(model().num_params(), 14);
        let sq: f64 = model().to_flat().iter().map(|x| x * x).sum();
        assert!((model().global_norm() - sq.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn named_and_tuples_prefix_inputs() {
        let t = (model(), Named("x", DMatrix::<f64>::zeros(3, 1)));
        let names: Vec<String> =
            t.shapes().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.last().unwrap(), "x");
        assert_eq!(t.get("x").unwrap().shape(), (3, 1));
    }
}
