//! The configuration of a character model (the vanilla RNN of
//! `rnn_sonnets`, the LSTM of `lstm_sonnets`): its vocabulary and hidden
//! size; the kind (`"char-rnn"`, `"char-lstm"`) names the cell.

use serde::{Deserialize, Serialize};

/// Kind of a vanilla-RNN character model.
pub const CHAR_RNN: &str = "char-rnn";
/// Kind of an LSTM character model.
pub const CHAR_LSTM: &str = "char-lstm";

/// A character model's vocabulary (ids in order) and hidden size `n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharConfig {
    /// The vocabulary, character `i` being id `i`.
    pub vocab: String,
    /// `n`, the hidden size.
    pub hidden: usize,
}

impl CharConfig {
    /// The vocabulary and hidden size of a model.
    pub fn new(vocab: &[char], hidden: usize) -> Self {
        CharConfig {
            vocab: vocab.iter().collect(),
            hidden,
        }
    }

    /// The vocabulary as characters.
    pub fn chars(&self) -> Vec<char> {
        self.vocab.chars().collect()
    }
}
