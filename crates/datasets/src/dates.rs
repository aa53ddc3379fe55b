//! A toy translation task with real alignment structure: dates written the
//! ways people write them, translated into ISO 8601.
//!
//! ```text
//! twenty-second of november 2026  ->  2026-11-22
//! 22 nov 2026                     ->  2026-11-22
//! sunday, 22 november 2026        ->  2026-11-22
//! 22/11/2026                      ->  2026-11-22
//! ```
//!
//! Every output character depends on a few input characters at a place that
//! moves with the format (the year is at the end of the source but at the
//! start of the target; the day is spelled out or written in digits), which
//! is what attention learns to find. Generated from a seed, nothing
//! downloaded: dates run from 1950-01-01 to 2049-12-31 (36,525 days), in ten
//! formats ([`DateFormat`]), sources of 10 to 37 characters.
//!
//! [`DateTask::generate`] makes a deterministic train/test split whose test
//! *dates* never occur in training (in any format), so test accuracy measures
//! generalisation and not memory. Both sides are character sequences with
//! their own [`Vocab`] (with special tokens), each beginning with the special tokens
//! [`PAD`], [`START`] and [`END`].
//!
//! Book: *Attention → A translation task*.

use crate::DataError;
use rand::Rng as _;
use rand::seq::SliceRandom;

use crate::text::Vocab;
pub use crate::text::{END, PAD, SPECIALS, START};

/// The first and last year generated.
pub const YEARS: (u32, u32) = (1950, 2049);

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

const ORDINALS: [&str; 31] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty-first",
    "twenty-second",
    "twenty-third",
    "twenty-fourth",
    "twenty-fifth",
    "twenty-sixth",
    "twenty-seventh",
    "twenty-eighth",
    "twenty-ninth",
    "thirtieth",
    "thirty-first",
];

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// The year, 1950..=2049.
    pub year: u32,
    /// The month, 1..=12.
    pub month: u32,
    /// The day of the month, 1..=31.
    pub day: u32,
}

impl Date {
    /// The ISO 8601 form, `YYYY-MM-DD`: the translation target.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The day of the week, 0 = Sunday (Zeller's congruence, Gregorian).
    pub fn weekday(&self) -> usize {
        let (mut y, mut m) = (self.year as i64, self.month as i64);
        if m < 3 {
            m += 12;
            y -= 1;
        }
        let (k, j) = (y % 100, y / 100);
        // h = 0 is Saturday in Zeller's numbering.
        let h = (self.day as i64 + 13 * (m + 1) / 5 + k + k / 4 + j / 4
            - 2 * j)
            .rem_euclid(7);
        ((h + 6) % 7) as usize
    }
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100))
        || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Every date from 1950-01-01 to 2049-12-31, in order (36,525 days).
pub fn all_dates() -> Vec<Date> {
    let mut out = Vec::with_capacity(36_525);
    for year in YEARS.0..=YEARS.1 {
        for month in 1..=12 {
            for day in 1..=days_in_month(year, month) {
                out.push(Date { year, month, day });
            }
        }
    }
    out
}

/// How a date is written in the source language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateFormat {
    /// `22 nov 2026`
    DayAbbrYear,
    /// `22 november 2026`
    DayMonthYear,
    /// `november 22, 2026`
    MonthDayYear,
    /// `nov 22 2026`
    AbbrDayYear,
    /// `22nd of november 2026`
    SuffixOfMonthYear,
    /// `twenty-second of november 2026`
    OrdinalOfMonthYear,
    /// `the twenty-second of november, 2026`
    TheOrdinalOfMonthYear,
    /// `sunday, 22 november 2026`
    WeekdayDayMonthYear,
    /// `22/11/2026` (day first, as in Europe)
    Slashes,
    /// `22.11.2026`
    Dots,
}

impl DateFormat {
    /// All ten formats.
    pub const ALL: [DateFormat; 10] = [
        DateFormat::DayAbbrYear,
        DateFormat::DayMonthYear,
        DateFormat::MonthDayYear,
        DateFormat::AbbrDayYear,
        DateFormat::SuffixOfMonthYear,
        DateFormat::OrdinalOfMonthYear,
        DateFormat::TheOrdinalOfMonthYear,
        DateFormat::WeekdayDayMonthYear,
        DateFormat::Slashes,
        DateFormat::Dots,
    ];

    /// `date` written in this format.
    pub fn write(self, date: Date) -> String {
        let (y, m, d) = (date.year, date.month, date.day);
        let month = MONTHS[m as usize - 1];
        let abbr = &month[..3];
        let ordinal = ORDINALS[d as usize - 1];
        let suffix = match d {
            1 | 21 | 31 => "st",
            2 | 22 => "nd",
            3 | 23 => "rd",
            _ => "th",
        };
        match self {
            DateFormat::DayAbbrYear => format!("{d} {abbr} {y}"),
            DateFormat::DayMonthYear => format!("{d} {month} {y}"),
            DateFormat::MonthDayYear => format!("{month} {d}, {y}"),
            DateFormat::AbbrDayYear => format!("{abbr} {d} {y}"),
            DateFormat::SuffixOfMonthYear => {
                format!("{d}{suffix} of {month} {y}")
            }
            DateFormat::OrdinalOfMonthYear => {
                format!("{ordinal} of {month} {y}")
            }
            DateFormat::TheOrdinalOfMonthYear => {
                format!("the {ordinal} of {month}, {y}")
            }
            DateFormat::WeekdayDayMonthYear => {
                let w = WEEKDAYS[date.weekday()];
                format!("{w}, {d} {month} {y}")
            }
            DateFormat::Slashes => format!("{d:02}/{m:02}/{y}"),
            DateFormat::Dots => format!("{d:02}.{m:02}.{y}"),
        }
    }
}

/// The source vocabulary: specials, `a`–`z`, `0`–`9`, space, `,` `-` `/` `.`
/// (44 ids).
pub fn source_vocab() -> Vocab {
    let mut chars: Vec<char> = ('a'..='z').chain('0'..='9').collect();
    chars.extend([' ', ',', '-', '/', '.']);
    Vocab::with_specials(&chars).expect("non-empty")
}

/// The target vocabulary: specials, `0`–`9` and `-` (14 ids).
pub fn target_vocab() -> Vocab {
    let mut chars: Vec<char> = ('0'..='9').collect();
    chars.push('-');
    Vocab::with_specials(&chars).expect("non-empty")
}

/// One translation pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatePair {
    /// The date.
    pub date: Date,
    /// How the source writes it.
    pub format: DateFormat,
    /// The source text (`22 nov 2026`).
    pub source: String,
    /// The target text (`2026-11-22`).
    pub target: String,
    /// Source ids in [`source_vocab`] (no specials).
    pub source_ids: Vec<usize>,
    /// Target ids in [`target_vocab`], followed by [`END`].
    pub target_ids: Vec<usize>,
}

impl DatePair {
    /// The pair for `date` written in `format`.
    pub fn new(date: Date, format: DateFormat) -> Self {
        let source = format.write(date);
        let target = date.iso();
        let source_ids = source_vocab().encode(&source).expect("known chars");
        let mut target_ids =
            target_vocab().encode(&target).expect("known chars");
        target_ids.push(END);
        DatePair {
            date,
            format,
            source,
            target,
            source_ids,
            target_ids,
        }
    }
}

/// A deterministic train/test split of the task.
#[derive(Debug, Clone, PartialEq)]
pub struct DateTask {
    /// Training pairs.
    pub train: Vec<DatePair>,
    /// Held-out pairs: their dates occur nowhere in `train`.
    pub test: Vec<DatePair>,
    /// The source vocabulary ([`source_vocab`]).
    pub source_vocab: Vocab,
    /// The target vocabulary ([`target_vocab`]).
    pub target_vocab: Vocab,
}

impl DateTask {
    /// Shuffles the 36,525 dates with `seed`; the first `n_test` become test
    /// dates (each once, in a random format), and `n_train` training pairs
    /// are drawn, with replacement, from the other dates (random formats).
    ///
    /// # Errors
    /// [`DataError::Unreadable`] when `n_test` leaves no training dates.
    pub fn generate(
        n_train: usize,
        n_test: usize,
        seed: u64,
    ) -> Result<Self, DataError> {
        let mut dates = all_dates();
        if n_test >= dates.len() {
            return Err(DataError::Unreadable(format!(
                "dates: n_test = {n_test} leaves no training dates of {}",
                dates.len()
            )));
        }
        let mut rng = crate::seeded(seed);
        dates.shuffle(&mut rng);
        let (test_dates, train_dates) = dates.split_at(n_test);
        let mut pick_format =
            || DateFormat::ALL[rng.random_range(0..DateFormat::ALL.len())];
        let test = test_dates
            .iter()
            .map(|&d| DatePair::new(d, pick_format()))
            .collect();
        let mut rng2 = crate::seeded(seed.wrapping_add(1));
        let train = (0..n_train)
            .map(|_| {
                let d = train_dates[rng2.random_range(0..train_dates.len())];
                let f = DateFormat::ALL
                    [rng2.random_range(0..DateFormat::ALL.len())];
                DatePair::new(d, f)
            })
            .collect();
        Ok(DateTask {
            train,
            test,
            source_vocab: source_vocab(),
            target_vocab: target_vocab(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn nov22() -> Date {
        Date {
            year: 2026,
            month: 11,
            day: 22,
        }
    }

    #[test]
    fn every_format_of_22_november_2026() {
        let got: Vec<String> =
            DateFormat::ALL.iter().map(|f| f.write(nov22())).collect();
        assert_eq!(
            got,
            [
                "22 nov 2026",
                "22 november 2026",
                "november 22, 2026",
                "nov 22 2026",
                "22nd of november 2026",
                "twenty-second of november 2026",
                "the twenty-second of november, 2026",
                "sunday, 22 november 2026",
                "22/11/2026",
                "22.11.2026",
            ]
        );
        assert_eq!(nov22().iso(), "2026-11-22");
    }

    #[test]
    fn calendar_has_36525_days_and_known_weekdays() {
        let all = all_dates();
        assert_eq!(all.len(), 36_525);
        assert_eq!(all[0].weekday(), 0, "1950-01-01 was a Sunday");
        // Consecutive days have consecutive weekdays.
        for w in all.windows(2) {
            assert_eq!(w[1].weekday(), (w[0].weekday() + 1) % 7);
        }
        assert!(all.contains(&Date {
            year: 2000,
            month: 2,
            day: 29
        }));
        assert!(!all.contains(&Date {
            year: 2001,
            month: 2,
            day: 29
        }));
    }

    #[test]
    fn vocabularies_start_with_the_specials_and_round_trip() {
        let (s, t) = (source_vocab(), target_vocab());
        assert_eq!((s.len(), t.len()), (44, 14));
        assert_eq!(s.token(PAD).unwrap(), "<PAD>");
        assert_eq!(t.token(START).unwrap(), "<START>");
        assert_eq!(t.token(END).unwrap(), "<END>");
        let p = DatePair::new(nov22(), DateFormat::OrdinalOfMonthYear);
        assert_eq!(s.decode(&p.source_ids).unwrap(), p.source);
        assert_eq!(*p.target_ids.last().unwrap(), END);
        assert_eq!(t.decode(&p.target_ids).unwrap(), "2026-11-22");
        let mut padded = vec![START];
        padded.extend(&p.target_ids);
        padded.extend([PAD, 5]);
        assert_eq!(t.decode(&padded).unwrap(), "2026-11-22");
        assert!(t.encode("2026/11").is_err());
        assert!(t.token(99).is_err());
    }

    #[test]
    fn split_is_deterministic_and_test_dates_are_held_out() {
        let a = DateTask::generate(2000, 300, 7).unwrap();
        let b = DateTask::generate(2000, 300, 7).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.test, DateTask::generate(2000, 300, 8).unwrap().test);
        assert_eq!((a.train.len(), a.test.len()), (2000, 300));
        let test: HashSet<Date> = a.test.iter().map(|p| p.date).collect();
        assert_eq!(test.len(), 300);
        assert!(a.train.iter().all(|p| !test.contains(&p.date)));
        let formats: HashSet<_> = a.train.iter().map(|p| p.format).collect();
        assert_eq!(formats.len(), 10);
        let lens: Vec<usize> = a.train.iter().map(|p| p.source.len()).collect();
        assert!(*lens.iter().min().unwrap() == 10);
        assert!(*lens.iter().max().unwrap() <= 37);
        assert!(DateTask::generate(10, 36_525, 1).is_err());
    }
}
