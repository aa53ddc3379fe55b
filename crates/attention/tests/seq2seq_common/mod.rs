//! The small encoder-decoders that `engine.rs` and `input_feeding.rs`
//! gradient-check, with and without input feeding.

use attention::{Context, Seq2Seq};
use foundations::init::uniform;
use foundations::{assert_gradients, rng};
use lstm_gru::{Gru, Lstm};
use vanilla_rnn_bptt::RecurrentCell;

/// `b` sequences of `len` token ids in `3..v` (past the special tokens).
pub fn random_seqs(
    b: usize,
    len: usize,
    v: usize,
    seed: u64,
) -> Vec<Vec<usize>> {
    use rand::Rng as _;
    let mut r = rng(seed);
    (0..b)
        .map(|_| (0..len).map(|_| r.random_range(3..v)).collect())
        .collect()
}

/// An LSTM encoder-decoder (`d` source ids, `v` target ids, `n` units) with
/// a random output bias; `feed`: with input feeding.
pub fn lstm_model(
    d: usize,
    v: usize,
    n: usize,
    ctx: Context,
    seed: u64,
    feed: bool,
) -> Seq2Seq<Lstm> {
    let mut r = rng(seed);
    let enc = Lstm::new(d, n, &mut r).unwrap();
    let dec = Lstm::new(if feed { v + n } else { v }, n, &mut r).unwrap();
    let mut m = if feed {
        Seq2Seq::new_input_feeding(enc, dec, v, ctx, &mut r)
    } else {
        Seq2Seq::new(enc, dec, v, ctx, &mut r)
    }
    .unwrap();
    m.b_o = uniform(v, 1, 0.5, &mut r);
    m
}

/// The same with GRU cells (output bias zero).
pub fn gru_model(
    d: usize,
    v: usize,
    n: usize,
    ctx: Context,
    seed: u64,
    feed: bool,
) -> Seq2Seq<Gru> {
    let mut r = rng(seed);
    let enc = Gru::new(d, n, &mut r).unwrap();
    let dec = Gru::new(if feed { v + n } else { v }, n, &mut r).unwrap();
    if feed {
        Seq2Seq::new_input_feeding(enc, dec, v, ctx, &mut r)
    } else {
        Seq2Seq::new(enc, dec, v, ctx, &mut r)
    }
    .unwrap()
}

/// The whole model's backward against central differences, on `b` random
/// pairs of `n_src` source and `t` target tokens.
pub fn check_gradients<C: RecurrentCell>(
    name: &str,
    model: &Seq2Seq<C>,
    (b, n_src, t): (usize, usize, usize),
    seed: u64,
) {
    let src = random_seqs(b, n_src, 5, seed + 1);
    let tgt = random_seqs(b, t, 4, seed + 2);
    let (_, cache) = model.forward(&src, &tgt);
    let grads = model.backward(&cache);
    assert_gradients(name, model, &grads, |m| m.forward(&src, &tgt).0);
}
