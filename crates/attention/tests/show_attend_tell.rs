//! "Show, attend and tell" on the LSTM: gradient checks of every parameter
//! (embedding, LSTM, scoring, output), the embedding as a column lookup, the
//! decoder against teacher forcing, attention rows, bad input.

use attention::captioning::caption_ids;
use attention::decode::{beam_search, greedy};
use attention::show_attend_tell::{SatDecoder, ShowAttendTell};
use datasets::one_hot;
use foundations::init::uniform;
use foundations::{Mat, ParamsExt, assert_gradients, rng};
use proptest::prelude::*;

/// A model with K = `k`, m = 3, n = `n`, V = 18, a = 2, biases non-zero.
fn model(k: usize, n: usize, seed: u64) -> ShowAttendTell {
    let mut r = rng(seed);
    let mut m = ShowAttendTell::new(k, 3, n, 18, 2, &mut r).unwrap();
    m.embed = uniform(3, 18, 1.0, &mut r);
    m.lstm.b = uniform(4 * n, 1, 0.5, &mut r);
    m.out.c = uniform(18, 1, 0.5, &mut r);
    m
}

proptest! {
    #![proptest_config(foundations::graded_config())]

    #[test]
    fn gradients_match_numeric(
        k in 1usize..4, n in 1usize..4, r in 1usize..5, b in 1usize..3,
        seed in 0u64..1000,
    ) {
        let m = model(k, n, seed);
        let mut g = rng(seed + 1);
        let regions: Vec<Mat> = (0..b).map(|_| uniform(k, r, 1.0, &mut g)).collect();
        // one and six: three letters and <END>, one length
        let caps: Vec<Vec<usize>> =
            (0..b).map(|i| caption_ids([1, 6][i % 2])).collect();
        let (_, cache) = m.forward(&regions, &caps);
        let grads = m.backward(&cache);
        assert_gradients("ShowAttendTell::backward", &m, &grads, |m| {
            m.forward(&regions, &caps).0
        });
    }
}

#[test]
fn a_one_hot_word_times_e_is_a_column_of_e() {
    // The slides' "use word embedding": E y for one-hot y is column y, so
    // the model stores E and picks columns; words it never reads get no
    // gradient.
    let m = model(2, 3, 4);
    let y = one_hot(&[5], 18);
    assert_eq!(&m.embed * &y, m.embed.columns(5, 1).into_owned());
    let regions = vec![uniform(2, 4, 1.0, &mut rng(5))];
    let caps = vec![caption_ids(2)]; // t, w, o, <END>
    let (_, cache) = m.forward(&regions, &caps);
    let g = m.backward(&cache).embed;
    let read = cache.steps.iter().map(|s| s.prev[0]).collect::<Vec<_>>();
    for w in 0..18 {
        let col = g.column(w).amax();
        assert_eq!(col > 0.0, read.contains(&w), "word {w}: |∂L/∂E_w| = {col}");
    }
}

#[test]
fn decoding_matches_teacher_forcing() {
    let m = model(3, 4, 8);
    let regions = uniform(3, 5, 1.0, &mut rng(9));
    let d = SatDecoder::new(&m, &regions);
    let g = greedy(&d, 6);
    let (loss, _) = m.forward(
        std::slice::from_ref(&regions),
        std::slice::from_ref(&g.tokens),
    );
    assert!(
        (loss + g.log_prob).abs() < 1e-10,
        "{loss} vs {}",
        -g.log_prob
    );
    assert_eq!(beam_search(&d, 1, 6, 0.0)[0].tokens, g.tokens);
}

#[test]
fn attention_rows_are_distributions_over_the_regions() {
    let m = model(3, 4, 7);
    let regions = uniform(3, 5, 1.0, &mut rng(1));
    let d = SatDecoder::new(&m, &regions);
    let (toks, w) = d.greedy_with_attention(6);
    assert_eq!(toks, greedy(&d, 6).tokens);
    assert_eq!(w.shape(), (toks.len(), 5));
    for row in w.row_iter() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn the_image_changes_every_step() {
    // z_t enters every step, not only the first: a second image changes the
    // logits of the last step too, with the same words before it.
    let m = model(2, 3, 2);
    let caps = vec![caption_ids(4)];
    let a = vec![uniform(2, 3, 1.0, &mut rng(1))];
    let b = vec![uniform(2, 3, 1.0, &mut rng(2))];
    let (_, ca) = m.forward(&a, &caps);
    let (_, cb) = m.forward(&b, &caps);
    for (sa, sb) in ca.steps.iter().zip(&cb.steps) {
        assert!((&sa.logits - &sb.logits).amax() > 1e-9);
    }
    assert_eq!(
        m.num_params(),
        3 * 18
            + 4 * 3 * (3 + 3 + 2)
            + 4 * 3
            + (2 * 3 + 2 * 2 + 2)
            + 18 * 3
            + 18
    );
}

#[test]
#[should_panic(
    expected = "ShowAttendTell::step: regions[1] is 3x4, expected 2 x R"
)]
fn regions_of_the_wrong_size_are_refused() {
    let m = model(2, 3, 0);
    let regions = vec![Mat::zeros(2, 4), Mat::zeros(3, 4)];
    m.forward(&regions, &[caption_ids(1), caption_ids(2)]);
}

#[test]
fn sizes_of_zero_are_errors() {
    assert!(ShowAttendTell::new(0, 3, 4, 18, 2, &mut rng(0)).is_err());
    assert!(ShowAttendTell::new(2, 0, 4, 18, 2, &mut rng(0)).is_err());
}
