//! # datasets — real data, bundled
//!
//! * [`sonnets`]: Shakespeare's Sonnets (95,728 bytes of text), with a
//!   character vocabulary ([`text::Vocab`]: sorted, stable ids), encoding,
//!   decoding, one-hot columns and a deterministic train/validation split.
//! * [`digits`]: 1,797 handwritten digits, 8x8 pixels in 0..16, ten classes,
//!   with a deterministic train/test split.
//! * [`dates`]: a toy translation task, dates written in words or digits
//!   (`twenty-second of november 2026`, `22 nov 2026`) to ISO 8601
//!   (`2026-11-22`), generated from a seed, with character vocabularies that
//!   start with `<PAD>`, `<START>`, `<END>`.
//!
//! Where each file comes from and its license: `data/README.md`.

pub mod dates;
pub mod digits;
pub mod text;

pub use digits::{Digit, Digits};
pub use text::{Vocab, one_hot, one_hot_ids};

/// The generator behind every seeded choice of the data (a shuffle, a
/// task's draws): ChaCha8, portable across machines and versions, as
/// `foundations::rng` is; the data crate knows no math and takes no
/// dependency on `foundations`.
fn seeded(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand::SeedableRng::seed_from_u64(seed)
}

/// The text of Shakespeare's Sonnets (Project Gutenberg, public domain).
pub fn sonnets() -> &'static str {
    include_str!("../data/sonnets_gut.txt")
}

/// What can go wrong loading data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The corpus has no characters.
    #[error("empty corpus: a vocabulary needs at least one character")]
    EmptyCorpus,
    /// A character that is not in the vocabulary.
    #[error("character {ch:?} is not in the vocabulary of {size} characters")]
    UnknownChar {
        /// The character.
        ch: char,
        /// The vocabulary's size.
        size: usize,
    },
    /// An id that is not in the vocabulary.
    #[error("id {id} is out of range for a vocabulary of {size}")]
    UnknownId {
        /// The id.
        id: usize,
        /// The vocabulary's size.
        size: usize,
    },
    /// A file that cannot be read or parsed.
    #[error("unreadable data: {0}")]
    Unreadable(String),
}

#[cfg(test)]
mod tests {
    #[test]
    fn sonnets_are_the_bundled_95728_bytes() {
        let s = super::sonnets();
        assert_eq!(s.len(), 95_728);
        assert!(s.starts_with("THE SONNETS"));
        assert!(s.contains("Shall I compare thee to a summer's day?"));
    }
}
