//! The slides' character-level language model on "hello": vocabulary
//! [h, e, l, o]; after training, from h, e, l, l it predicts e, l, l, o.

use datasets::Vocab;
use vanilla_rnn_bptt::{
    CharTrainer, RecurrentModel, Rnn, RnnCell, TrainConfig, sequence_forward,
};

// ANCHOR: hello
fn trained() -> (RecurrentModel<RnnCell>, Vocab) {
    let vocab = Vocab::from_chars(&['h', 'e', 'l', 'o']).unwrap();
    let ids = vocab.encode("hello").unwrap();
    let mut rng = foundations::rng(42);
    let mut model = Rnn::new(4, 3, 4, &mut rng).unwrap().to_model();
    let config = TrainConfig {
        seq_len: 4,
        ..TrainConfig::min_char_rnn()
    };
    let mut trainer = CharTrainer::new(&model, ids, config).unwrap();
    for _ in 0..300 {
        trainer.step(&mut model).unwrap();
    }
    (model, vocab)
}

#[test]
fn after_training_h_e_l_l_predicts_e_l_l_o() {
    let (model, vocab) = trained();
    let ids = vocab.encode("hell").unwrap();
    let xs = vanilla_rnn_bptt::one_hot_inputs(&ids, 4);
    let (logits, _) = sequence_forward(&model, &DMatrix::zeros(3, 1), &xs);
    let predicted: Vec<usize> =
        logits.iter().map(|o| o.column(0).argmax().0).collect();
    assert_eq!(vocab.decode(&predicted).unwrap(), "ello");
}
// ANCHOR_END: hello

#[test]
fn the_loss_falls_from_log_4_per_character() {
    let (model, vocab) = trained();
    let ids = vocab.encode("hello").unwrap();
    let loss = vanilla_rnn_bptt::evaluate(&model, &ids, 4).unwrap();
    assert!(
        loss < 0.1 * 4f64.ln(),
        "mean loss per character {loss} (untrained: ln 4 = 1.386)"
    );
}

use foundations::DMatrix;
