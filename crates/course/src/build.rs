//! `cargo course build [TOPIC…]`: builds, once, everything the graded tests
//! of the topics need, in one cargo invocation with cargo's progress bar,
//! so that the first `cargo test -p <topic> --test graded` (or `cargo course
//! progress`, `grade`) starts running tests at once.
//!
//! It runs `cargo test --no-run -p <topic>… --test graded`: exactly the
//! build those commands do, with the same features, so nothing is built
//! twice (`scripts/cold-start.sh` measures it).

use crate::grade;
use crate::workspace;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What the first build costs, measured with `scripts/cold-start.sh` (the
/// instructors' appendix, "Cold start"): told by `build` and by the first
/// `progress`.
pub const FIRST_BUILD: &str = "about half a minute on a 2-core machine for \
     the first topic (it compiles the dependencies too), a few seconds for \
     each later one";

/// Options of `cargo course build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topics to build (default: every topic).
    pub topics: Vec<String>,
    /// The workspace (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// Runs `cargo course build`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    let topics: Vec<String> = grade::select(&root, &args.topics)?
        .into_iter()
        .map(|m| m.topic)
        .collect();
    eprintln!(
        "course build: building the graded tests of {} and everything they \
         need ({FIRST_BUILD})",
        topics.join(", ")
    );
    let start = Instant::now();
    let status = command(&root, &topics)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the build failed ({status}): the compiler's messages are above"
        ));
    }
    eprintln!(
        "course build: done in {:.0} s; now `cargo test -p {} --test graded` \
         or `cargo course progress` run the tests at once",
        start.elapsed().as_secs_f64(),
        topics.first().map_or("<topic>", String::as_str)
    );
    Ok(())
}

/// `cargo test --no-run -p <topic>… --test graded` in `root`: one cargo
/// invocation, whose progress bar the student sees (stderr is inherited).
pub fn command(root: &Path, topics: &[String]) -> Command {
    let mut c = Command::new(crate::figures::cargo());
    c.current_dir(root).args(["test", "--no-run"]);
    for t in topics {
        c.args(["-p", t]);
    }
    c.args(["--test", "graded"]);
    c
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_cargo_invocation_for_every_topic() {
        let c = super::command(
            std::path::Path::new("."),
            &["lstm-gru".to_string(), "attention".to_string()],
        );
        let args: Vec<_> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "test",
                "--no-run",
                "-p",
                "lstm-gru",
                "-p",
                "attention",
                "--test",
                "graded"
            ]
        );
    }
}
