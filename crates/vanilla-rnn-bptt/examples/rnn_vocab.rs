//! The char model's vocabulary, read from the bundled Sonnets: every
//! distinct character with its id (its row of the one-hot input and of the
//! output) and how often it occurs. The space, the comma and the newline
//! are characters like any letter — the answer to the lecture's "how can we
//! generate space and comma?".
//!
//! ```text
//! cargo run --release -p vanilla-rnn-bptt --features examples --example rnn_vocab
//! ```
//!
//! prints the table; with `-- --figures` it also writes
//! `book/src/figures/vanilla-rnn-bptt-vocab.md`.

use clap::Parser;
use datasets::Vocab;
use foundations::figures::figure_path;
use std::fmt::Write as _;

#[derive(Debug, Parser)]
struct Args {
    /// Write the table into book/src/figures.
    #[arg(long)]
    figures: bool,
}

/// How a character shows in a table cell.
fn shown(c: char) -> String {
    match c {
        ' ' => "space".into(),
        '\n' => "newline `\\n`".into(),
        '|' => "`\\|`".into(),
        '`' => "backtick".into(),
        c => format!("`{c}`"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let text = datasets::sonnets();
    let vocab = Vocab::from_text(text)?;
    let ids = vocab.encode(text)?;
    let mut count = vec![0usize; vocab.len()];
    for &i in &ids {
        count[i] += 1;
    }
    let total = ids.len();
    let mut out = format!(
        "<!-- written by `cargo run --release -p vanilla-rnn-bptt --features examples --example \
         rnn_vocab -- --figures` -->\n\n\
         {total} characters, V = {} distinct ones. Every one is a row of \
         the one-hot input and of the softmax output, found by \
         `Vocab::from_text` (sorted by code point):\n\n\
         | id | character | count | share |\n|---:|---|---:|---:|\n",
        vocab.len()
    );
    // the characters that are not letters or digits first, then the rest
    let (marks, letters): (Vec<usize>, Vec<usize>) =
        (0..vocab.len()).partition(|&i| !vocab.chars()[i].is_alphanumeric());
    for &i in &marks {
        let c = vocab.chars()[i];
        writeln!(
            out,
            "| {i} | {} | {} | {:.2}% |",
            shown(c),
            count[i],
            100.0 * count[i] as f64 / total as f64
        )?;
    }
    let rest: Vec<String> = letters
        .iter()
        .map(|&i| format!("{} `{}` ({})", i, vocab.chars()[i], count[i]))
        .collect();
    let digits = letters.iter().any(|&i| vocab.chars()[i].is_numeric());
    writeln!(
        out,
        "\nThe other {} ids are {}, id `character` (count): {}.",
        letters.len(),
        if digits {
            "letters and digits"
        } else {
            "letters"
        },
        rest.join(", ")
    )?;
    print!("{out}");
    if args.figures {
        let path = figure_path(
            env!("CARGO_MANIFEST_DIR"),
            "vanilla-rnn-bptt-vocab.md",
        );
        std::fs::write(&path, out)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
