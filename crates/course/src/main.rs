//! # course — the course CLI
//!
//! `cargo course <command>` (an alias in `.cargo/config.toml`):
//!
//! * `check`: every `{{#include …:anchor}}` of the book resolves, every topic
//!   has a chapter, figures are fresh, the manifests agree with the code.
//! * `book [--serve] [--open] [--student]`: builds (and serves) the book.
//! * `figures`: remakes every figure and printed output from its seed.
//! * `student`, `grade`, `grade-class`, `progress`, `hint`, `reset`, `gradescope`: the
//!   exercise workflow (see `exercises/README.md`).
//! * `build [TOPIC…]`: builds, once, everything a topic's graded tests need.
//! * `exercises [TOPIC…] [--json]`: every exercise region (the scripts in
//!   `scripts/` read them from here).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use course::{
    book, build, check, class, exercise, figures, grade, gradescope, hint,
    mathml_guard, progress, reset, student, verify,
};

#[derive(Debug, Parser)]
#[command(
    name = "cargo course",
    bin_name = "cargo course",
    about = "Backprop by Hand: the course CLI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that the book and the code agree (includes, anchors, chapters).
    Check(check::Args),
    /// Remake every figure and printed output by running the crates'
    /// examples (release builds), and record their hashes.
    Figures(figures::Args),
    /// Build the book (math as MathML, offline), and serve or open it.
    Book(book::Args),
    /// Write the student version: every exercise a `todo!()`, hidden tests
    /// left out, `--reveal` topics keeping their solutions.
    Student(student::Args),
    /// Run the graded tests: a score table and Gradescope's results.json.
    Grade(grade::Args),
    /// Grade a folder of submissions (one workspace per subfolder) with the
    /// instructors' tests: gradebook.csv, summary.csv, report.html.
    GradeClass(class::Args),
    /// Every exercise: done, failing or not started.
    Progress(progress::Args),
    /// Build, once, everything a topic's graded tests need (one cargo
    /// invocation, with cargo's progress bar); default: every topic.
    Build(build::Args),
    /// An exercise's hint, book section and test command.
    Hint(hint::Args),
    /// Put an exercise's stub back (your code is saved in the target
    /// directory's course-reset/: target/, or $CARGO_TARGET_DIR if set).
    Reset(reset::Args),
    /// CI: every topic's graded tests fail on its stubs and pass on its
    /// solution alone; manifests, markers and tests agree.
    VerifyExercises(verify::Args),
    /// List the exercise regions: topic, id, file, BEGIN and END lines,
    /// function, method or free (tab-separated, or --json).
    Exercises(exercise::Args),
    /// Write the Gradescope autograder bundle (setup.sh, run_autograder).
    Gradescope(gradescope::Args),
    /// (Used by `book`: the mdBook preprocessor that keeps MathML intact.)
    #[command(hide = true, name = "mdbook-mathml-guard")]
    MdbookMathmlGuard {
        /// `supports <renderer>`, or nothing.
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Figures(args) => figures::run(&args),
        Command::Book(args) => book::run(&args),
        Command::Student(args) => student::run(&args),
        Command::Grade(args) => grade::run(&args),
        Command::GradeClass(args) => class::run(&args),
        Command::Progress(args) => progress::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Hint(args) => hint::run(&args),
        Command::Reset(args) => reset::run(&args),
        Command::VerifyExercises(args) => verify::run(&args),
        Command::Exercises(args) => exercise::run(&args),
        Command::Gradescope(args) => gradescope::run(&args),
        Command::MdbookMathmlGuard { args } => mathml_guard::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::Parser;

    #[test]
    fn exercises_takes_topics_and_json() {
        let cli = Cli::try_parse_from([
            "cargo course",
            "exercises",
            "lstm-gru",
            "pooling",
            "--json",
        ])
        .unwrap();
        let Command::Exercises(args) = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(args.topics, ["lstm-gru", "pooling"]);
        assert!(args.json && args.root.is_none());
    }
}
