//! Characters as ids and one-hot columns.

use crate::DataError;
use nalgebra::DMatrix;

/// A character vocabulary: the distinct characters of a corpus, sorted, so
/// ids are stable (`V` in the RNN lecture's letters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
}

impl Vocab {
    /// The sorted distinct characters of `text`.
    ///
    /// # Errors
    /// [`DataError::EmptyCorpus`] when `text` is empty.
    pub fn from_text(text: &str) -> Result<Self, DataError> {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.is_empty() {
            return Err(DataError::EmptyCorpus);
        }
        Ok(Vocab { chars })
    }

    /// A vocabulary in the given order (e.g. `['h', 'e', 'l', 'o']` as on the
    /// slide).
    ///
    /// # Errors
    /// When `chars` is empty.
    pub fn from_chars(chars: &[char]) -> Result<Self, DataError> {
        if chars.is_empty() {
            return Err(DataError::EmptyCorpus);
        }
        Ok(Vocab {
            chars: chars.to_vec(),
        })
    }

    /// `V`, the number of characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Never true: a vocabulary has at least one character.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The characters, by id.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of `ch`.
    ///
    /// # Errors
    /// [`DataError::UnknownChar`].
    pub fn id(&self, ch: char) -> Result<usize, DataError> {
        self.chars
            .iter()
            .position(|&c| c == ch)
            .ok_or(DataError::UnknownChar {
                ch,
                size: self.len(),
            })
    }

    /// The ids of every character of `text`.
    ///
    /// # Errors
    /// [`DataError::UnknownChar`] for the first character not in the
    /// vocabulary.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, DataError> {
        let mut table = std::collections::HashMap::new();
        for (i, &c) in self.chars.iter().enumerate() {
            table.insert(c, i);
        }
        text.chars()
            .map(|ch| {
                table.get(&ch).copied().ok_or(DataError::UnknownChar {
                    ch,
                    size: self.len(),
                })
            })
            .collect()
    }

    /// The text of `ids`.
    ///
    /// # Errors
    /// [`DataError::UnknownId`].
    pub fn decode(&self, ids: &[usize]) -> Result<String, DataError> {
        ids.iter()
            .map(|&id| {
                self.chars.get(id).copied().ok_or(DataError::UnknownId {
                    id,
                    size: self.len(),
                })
            })
            .collect()
    }

    /// One-hot columns: a `V x ids.len()` matrix with a 1 at `(ids[t], t)`.
    ///
    /// # Panics
    /// When an id is `≥ V`.
    pub fn one_hot(&self, ids: &[usize]) -> DMatrix<f64> {
        one_hot(ids, self.len())
    }
}

/// A `v x ids.len()` matrix with a 1 at `(ids[t], t)`.
///
/// # Panics
/// When an id is `≥ v`.
pub fn one_hot(ids: &[usize], v: usize) -> DMatrix<f64> {
    let mut m = DMatrix::zeros(v, ids.len());
    for (t, &id) in ids.iter().enumerate() {
        assert!(id < v, "text::one_hot: id {id} out of range for V = {v}");
        m[(id, t)] = 1.0;
    }
    m
}

/// Splits `ids` at `⌊train_fraction · len⌋`: the first part trains, the rest
/// validates (contiguous, so no text leaks across the boundary mid-line more
/// than once).
pub fn split(ids: &[usize], train_fraction: f64) -> (&[usize], &[usize]) {
    let k = ((ids.len() as f64) * train_fraction.clamp(0.0, 1.0)) as usize;
    ids.split_at(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_vocabulary_round_trips() {
        let v = Vocab::from_chars(&['h', 'e', 'l', 'o']).unwrap();
        let ids = v.encode("hello").unwrap();
        assert_eq!(ids, [0, 1, 2, 2, 3]);
        assert_eq!(v.decode(&ids).unwrap(), "hello");
        let x = v.one_hot(&ids);
        assert_eq!(x.shape(), (4, 5));
        assert_eq!(x.column(4).as_slice(), &[0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn sonnets_vocabulary_is_sorted_and_stable() {
        let v = Vocab::from_text(crate::sonnets()).unwrap();
        assert!(v.chars().windows(2).all(|w| w[0] < w[1]));
        assert_eq!(v, Vocab::from_text(crate::sonnets()).unwrap());
        assert!(v.len() > 50 && v.len() < 100, "{}", v.len());
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        assert_eq!(Vocab::from_text(""), Err(DataError::EmptyCorpus));
        let v = Vocab::from_text("ab").unwrap();
        let e = v.encode("abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "character 'c' is not in the vocabulary of 2 characters"
        );
        assert!(v.decode(&[5]).is_err());
    }

    #[test]
    fn split_is_deterministic_and_complete() {
        let ids: Vec<usize> = (0..100).collect();
        let (a, b) = split(&ids, 0.9);
        assert_eq!((a.len(), b.len()), (90, 10));
        assert_eq!(b[0], 90);
    }
}
