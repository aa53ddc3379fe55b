//! MUT2 as Jozefowicz, Zaremba & Sutskever (2015) write it, against the
//! lecture slide's form. The paper's reset gate reads the state,
//! `r = σ(x + W_hr h + b_r)`; the slide writes `r = σ(x + b_r)`, which is
//! the paper's cell with `W_hr = 0`. Not graded (the forward is given code).

use foundations::activations::sigmoid;
use foundations::rng;
use lstm_gru::Mut2;

mod common;
use common::rand_mat;

/// `σ(x + W_hr h + b_r)`, column by column, written apart from the cell.
fn paper_reset_gate(
    c: &Mut2,
    h: &foundations::Mat,
    x: &foundations::Mat,
) -> foundations::Mat {
    let mut a = x + &c.w_hr * h;
    for mut col in a.column_iter_mut() {
        col += &c.b_r;
    }
    sigmoid(&a)
}

#[test]
fn mut2_reset_gate_reads_the_state_as_in_the_paper() {
    let n = 3;
    let mut c = Mut2::new(n, n, &mut rng(4)).unwrap();
    c.b_r = rand_mat(n, 1, 0.5, 9);
    let (x, h) = (rand_mat(n, 2, 1.0, 1), rand_mat(n, 2, 1.0, 2));
    let (_, cache) = c.step_forward(&h, &x);
    let want = paper_reset_gate(&c, &h, &x);
    assert!(
        (&cache.r - &want).amax() < 1e-15,
        "r = {} want {want}",
        cache.r
    );
    // the state changes r: the gate is not the slide's σ(x + b_r)
    let (_, other) = c.step_forward(&(&h * 2.0), &x);
    assert!((&cache.r - &other.r).amax() > 1e-3);
}

#[test]
fn the_slides_mut2_is_the_papers_with_w_hr_zero() {
    let n = 3;
    let mut c = Mut2::new(n, n, &mut rng(5)).unwrap();
    c.b_r = rand_mat(n, 1, 0.5, 7);
    c.w_hr.fill(0.0);
    let (x, h) = (rand_mat(n, 2, 1.0, 1), rand_mat(n, 2, 1.0, 2));
    let (_, cache) = c.step_forward(&h, &x);
    let mut slide = x.clone();
    for mut col in slide.column_iter_mut() {
        col += &c.b_r;
    }
    let slide = sigmoid(&slide); // r = σ(x + b_r)
    assert!((&cache.r - &slide).amax() < 1e-15);
}
