//! Characters as ids and one-hot columns.

use crate::DataError;
use nalgebra::DMatrix;

/// `<PAD>`: fills a short sequence up to its batch's length.
pub const PAD: usize = 0;
/// `<START>`: the first input of a decoder.
pub const START: usize = 1;
/// `<END>`: the last target of a decoder.
pub const END: usize = 2;
/// The printable names of the special tokens, by id.
pub const SPECIALS: [&str; 3] = ["<PAD>", "<START>", "<END>"];

/// A character vocabulary (`V` in the RNN lecture's letters): the
/// characters by id, after the special tokens [`PAD`], [`START`], [`END`]
/// when it has them (a seq2seq vocabulary) and with none for a char model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
    specials: usize,
}

impl Vocab {
    /// The sorted distinct characters of `text`, no special tokens.
    ///
    /// # Errors
    /// [`DataError::EmptyCorpus`] when `text` is empty.
    pub fn from_text(text: &str) -> Result<Self, DataError> {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        Self::from_chars(&chars)
    }

    /// A vocabulary in the given order (e.g. `['h', 'e', 'l', 'o']` as on the
    /// slide), no special tokens.
    ///
    /// # Errors
    /// [`DataError::EmptyCorpus`] when `chars` is empty.
    pub fn from_chars(chars: &[char]) -> Result<Self, DataError> {
        if chars.is_empty() {
            return Err(DataError::EmptyCorpus);
        }
        Ok(Vocab {
            chars: chars.to_vec(),
            specials: 0,
        })
    }

    /// The special tokens ([`PAD`], [`START`], [`END`] are ids 0, 1, 2),
    /// then `chars` in the given order.
    ///
    /// # Errors
    /// [`DataError::EmptyCorpus`] when `chars` is empty.
    pub fn with_specials(chars: &[char]) -> Result<Self, DataError> {
        Ok(Vocab {
            specials: SPECIALS.len(),
            ..Self::from_chars(chars)?
        })
    }

    /// `V`, the number of ids, special tokens included.
    pub fn len(&self) -> usize {
        self.specials + self.chars.len()
    }

    /// Never true: a vocabulary has at least one character.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The characters, in id order (the special tokens, if any, come
    /// before them).
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
            .map(|i| i + self.specials)
            .ok_or(DataError::UnknownChar {
                ch,
                size: self.len(),
            })
    }

    /// The ids of every character of `text` (no special token added).
    ///
    /// # Errors
    /// [`DataError::UnknownChar`] for the first character not in the
    /// vocabulary.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, DataError> {
        let table: std::collections::HashMap<char, usize> = self
            .chars
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i + self.specials))
            .collect();
        text.chars()
            .map(|ch| {
                table.get(&ch).copied().ok_or(DataError::UnknownChar {
                    ch,
                    size: self.len(),
                })
            })
            .collect()
    }

    /// The printable form of an id: its character, or `<PAD>`, `<START>`,
    /// `<END>`.
    ///
    /// # Errors
    /// [`DataError::UnknownId`].
    pub fn token(&self, id: usize) -> Result<String, DataError> {
        if id < self.specials {
            return Ok(SPECIALS[id].to_string());
        }
        self.chars
            .get(id - self.specials)
            .map(|c| c.to_string())
            .ok_or(DataError::UnknownId {
                id,
                size: self.len(),
            })
    }

    /// The text of `ids`. With special tokens, it stops at the first
    /// [`END`] and skips [`PAD`] and [`START`].
    ///
    /// # Errors
    /// [`DataError::UnknownId`].
    pub fn decode(&self, ids: &[usize]) -> Result<String, DataError> {
        let mut s = String::new();
        for &id in ids {
            match id {
                END if self.specials > 0 => break,
                PAD | START if self.specials > 0 => {}
                _ => s.push_str(&self.token(id)?),
            }
        }
        Ok(s)
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

/// The id of the single 1 in each column, if every column is one-hot (the
/// inverse of [`one_hot`]; an engine uses it to replace `W x` by a column
/// lookup).
pub fn one_hot_ids(x: &DMatrix<f64>) -> Option<Vec<usize>> {
    let mut ids = Vec::with_capacity(x.ncols());
    for col in x.column_iter() {
        let mut id = None;
        for (k, &v) in col.iter().enumerate() {
            if v == 1.0 && id.is_none() {
                id = Some(k);
            } else if v != 0.0 {
                return None;
            }
        }
        ids.push(id?);
    }
    Some(ids)
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
    fn specials_come_first_and_end_stops_decoding() {
        let v = Vocab::with_specials(&['a', 'b']).unwrap();
        assert_eq!(v.len(), 5);
        assert_eq!(v.encode("ba").unwrap(), vec![4, 3]);
        assert_eq!(v.id('a').unwrap(), 3);
        assert_eq!(v.token(END).unwrap(), "<END>");
        assert_eq!(v.decode(&[START, 3, PAD, 4, END, 3]).unwrap(), "ab");
        // without specials, ids 0, 1, 2 are characters
        let plain = Vocab::from_chars(&['x', 'y', 'z']).unwrap();
        assert_eq!(plain.decode(&[2, 1, 0]).unwrap(), "zyx");
    }

    #[test]
    fn one_hot_ids_inverts_one_hot() {
        let m = one_hot(&[2, 0, 1], 3);
        assert_eq!(one_hot_ids(&m), Some(vec![2, 0, 1]));
        let mut not = m.clone();
        not[(1, 0)] = 0.5;
        assert_eq!(one_hot_ids(&not), None);
        assert_eq!(one_hot_ids(&DMatrix::zeros(3, 1)), None);
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
