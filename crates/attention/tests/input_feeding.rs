//! Input feeding: the decoder reads `[y_{t−1}; a_{t−1}]`. Gradient checks of
//! the whole model (LSTM and GRU cells, attention and last state), the
//! translator (whose state carries a_{t−1}) against teacher forcing, the
//! option's configuration errors.

use attention::decode::{beam_search, greedy};
use attention::{Context, Seq2Seq, Translator};
use foundations::{ParamsExt, rng};
use lstm_gru::{Gru, Lstm};
use proptest::prelude::*;

mod seq2seq_common;
use seq2seq_common::{check_gradients, random_seqs};

fn fed_lstm(
    d: usize,
    v: usize,
    n: usize,
    ctx: Context,
    seed: u64,
) -> Seq2Seq<Lstm> {
    seq2seq_common::lstm_model(d, v, n, ctx, seed, true)
}

fn fed_gru(
    d: usize,
    v: usize,
    n: usize,
    ctx: Context,
    seed: u64,
) -> Seq2Seq<Gru> {
    seq2seq_common::gru_model(d, v, n, ctx, seed, true)
}

proptest! {
    #![proptest_config(foundations::graded_config())]

    #[test]
    fn lstm_input_feeding_gradients_match_numeric(
        n in 1usize..4, n_src in 1usize..4, t in 1usize..5, b in 1usize..3,
        attn: bool, seed in 0u64..1000,
    ) {
        let ctx = if attn { Context::Attention } else { Context::LastState };
        let model = fed_lstm(5, 4, n, ctx, seed);
        prop_assert!(model.feeds_input());
        check_gradients("Seq2Seq<Lstm>::backward (input feeding)", &model, (b, n_src, t), seed);
    }

    #[test]
    fn gru_input_feeding_gradients_match_numeric(
        n in 1usize..4, n_src in 1usize..4, t in 1usize..5, b in 1usize..3,
        attn: bool, seed in 0u64..1000,
    ) {
        let ctx = if attn { Context::Attention } else { Context::LastState };
        let model = fed_gru(5, 4, n, ctx, seed);
        check_gradients("Seq2Seq<Gru>::backward (input feeding)", &model, (b, n_src, t), seed);
    }
}

#[test]
fn the_fed_attention_reaches_the_next_step() {
    // The columns of the decoder's input matrix that read a_{t−1} get a
    // gradient from step 2 on, and none when T = 1 (a_0 = 0).
    let model = fed_lstm(5, 4, 3, Context::Attention, 7);
    let src = random_seqs(2, 4, 5, 1);
    let grad_of_a_columns = |tgt: &[Vec<usize>]| {
        let (_, cache) = model.forward(&src, tgt);
        let g = model.backward(&cache);
        let w = g.get("decoder.w").unwrap();
        // the LSTM's W acts on [h_{t−1}; x_t], x_t = [y_{t−1}; a_{t−1}]:
        // the last n columns are the ones of a_{t−1}
        let n = model.hidden_size();
        w.columns(w.ncols() - n, n).amax()
    };
    assert_eq!(grad_of_a_columns(&[vec![3], vec![2]]), 0.0);
    assert!(grad_of_a_columns(&[vec![3, 2], vec![2, 3]]) > 0.0);
}

#[test]
fn decoding_matches_teacher_forcing() {
    // Feeding the greedy output back as the target reproduces its
    // log-probability: the decoder carries a_{t−1} as the training does.
    let model = fed_lstm(6, 5, 3, Context::Attention, 8);
    let src = vec![3, 4, 5, 3];
    let tr = Translator::new(&model, &src);
    let g = greedy(&tr, 5);
    let (loss, _) = model
        .forward(std::slice::from_ref(&src), std::slice::from_ref(&g.tokens));
    assert!(
        (loss + g.log_prob).abs() < 1e-10,
        "{loss} vs {}",
        -g.log_prob
    );
    let b = beam_search(&tr, 1, 5, 0.0);
    assert_eq!(b[0].tokens, g.tokens);
}

#[test]
fn configurations_that_cannot_work_are_errors() {
    let mut r = rng(0);
    let enc = Lstm::new(5, 3, &mut r).unwrap();
    // the decoder reads V = 4 only: no room for a_{t−1}
    let dec = Lstm::new(4, 3, &mut r).unwrap();
    let e = Seq2Seq::new_input_feeding(
        enc.clone(),
        dec,
        4,
        Context::Attention,
        &mut r,
    )
    .unwrap_err();
    assert!(e.to_string().contains("must be V + n = 4 + 3"), "{e}");
    let dec = Lstm::new(6, 2, &mut r).unwrap();
    let e = Seq2Seq::new_input_feeding(
        enc.clone(),
        dec,
        4,
        Context::Attention,
        &mut r,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("encoder has n = 3 but decoder n = 2"),
        "{e}"
    );
    // and the plain constructor refuses a decoder built for input feeding
    let dec = Lstm::new(7, 3, &mut r).unwrap();
    assert!(Seq2Seq::new(enc, dec, 4, Context::Attention, &mut r).is_err());
}
