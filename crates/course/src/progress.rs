//! `cargo course progress`: every exercise, done / failing / not started.
//!
//! "Not started" is an untouched stub (`// EXERCISE <id>` followed by the
//! generated `todo!()`); the other exercises' graded tests are run (not the
//! hidden ones) and an exercise is done when all of them pass.

use crate::grade;
use crate::manifest::Manifest;
use crate::runner::{self, RunOptions};
use crate::{exercise, student, workspace};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Options of `cargo course progress`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topics to show (default: all).
    pub topics: Vec<String>,
    /// The workspace (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// One exercise's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Still the generated stub.
    NotStarted,
    /// Every graded test passes.
    Done,
    /// Some graded test fails: the first failure (`test: message`).
    Failing(String),
}

/// Runs `cargo course progress`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    let manifests = grade::select(&root, &args.topics)?;
    let rows = progress(&root, &manifests)?;
    let w = rows.iter().map(|r| r.1.len()).max().unwrap_or(8).max(8);
    let mut done = 0;
    for (topic, id, state) in &rows {
        let s = match state {
            State::NotStarted => "not started".to_string(),
            State::Done => {
                done += 1;
                "done".to_string()
            }
            State::Failing(f) => match f.split_once(": ") {
                // the test on the row, what is wrong on a line of its own
                Some((test, msg)) if !test.contains(' ') => format!(
                    "failing  {test}\n{:<19}{}",
                    "",
                    grade::shorten(msg, grade::MESSAGE_WIDTH)
                ),
                _ => format!("failing  {f}"),
            },
        };
        println!("{topic:<17} {id:<w$}  {s}");
    }
    println!("{done}/{} exercises done", rows.len());
    if rows.iter().all(|r| r.2 == State::NotStarted) {
        println!("{}", first_build_note(&rows));
    }
    Ok(())
}

/// Told while nothing is started: what the first test run of a topic costs,
/// and how to pay it now.
pub fn first_build_note(rows: &[(String, String, State)]) -> String {
    let topic = rows.first().map_or("<topic>", |r| r.0.as_str());
    format!(
        "\nNothing started yet. A topic's first `cargo test -p <topic> \
         --test graded` builds it first: {}.\nTo do that build now, with a \
         progress bar: `cargo course build <topic>` (e.g. `cargo course \
         build {topic}`).",
        crate::build::FIRST_BUILD
    )
}

/// `(topic, id, state)` of every exercise of `manifests`.
pub fn progress(
    root: &Path,
    manifests: &[Manifest],
) -> Result<Vec<(String, String, State)>, String> {
    let mut rows = Vec::new();
    for m in manifests {
        let untouched: BTreeSet<String> =
            student::stub_sites(&m.crate_dir(root))?
                .into_iter()
                .filter(|(_, s)| exercise::is_untouched_stub(&s.body, &s.id))
                .map(|(_, s)| s.id)
                .collect();
        let started = m.exercises.iter().any(|e| !untouched.contains(&e.id));
        let graded = if started {
            eprintln!("testing {} …", m.topic);
            let opts = RunOptions {
                hidden: false,
                ..RunOptions::default()
            };
            let run = runner::run_topic(root, &m.topic, &opts)?;
            grade::grade_topic(m, &run)?
        } else {
            Vec::new()
        };
        for e in &m.exercises {
            let state = if untouched.contains(&e.id) {
                State::NotStarted
            } else {
                let g = graded.iter().find(|g| g.exercise.id == e.id);
                match g {
                    Some(g) if g.status() == "passed" => State::Done,
                    Some(g) => State::Failing(g.first_failure()),
                    None => State::Failing("not graded".into()),
                }
            };
            rows.push((m.topic.clone(), e.id.clone(), state));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::State;
    use crate::testutil::Fixture;

    #[test]
    fn not_started_failing_and_done() {
        let fx = Fixture::new("progress");
        let out = fx.scratch("student");
        crate::student::write_tree(&fx.root, &out, &[], false).unwrap();
        let ms = crate::grade::select(&out, &[]).unwrap();
        let rows = super::progress(&out, &ms).unwrap();
        assert!(rows.iter().all(|r| r.2 == State::NotStarted), "{rows:?}");
        // Solve toy-scale, get toy-add wrong.
        let lib = out.join("crates/toy/src/lib.rs");
        let src = std::fs::read_to_string(&lib).unwrap();
        let mut lines: Vec<String> = src.lines().map(String::from).collect();
        let at = |lines: &Vec<String>, id: &str| {
            lines
                .iter()
                .position(|l| l.trim() == format!("// EXERCISE {id}"))
                .unwrap()
        };
        let a = at(&lines, "toy-add");
        lines.splice(a + 1..a + 3, ["    a * b".to_string()]);
        let s = at(&lines, "toy-scale");
        let end = s + lines[s..].iter().position(|l| l == "    }").unwrap();
        lines.splice(s + 1..end, ["        self.k * x".to_string()]);
        std::fs::write(&lib, lines.join("\n") + "\n").unwrap();
        let rows = super::progress(&out, &ms).unwrap();
        assert_eq!(rows[1].2, State::Done, "{rows:?}");
        let State::Failing(f) = &rows[0].2 else {
            panic!("{rows:?}")
        };
        assert!(f.contains("1 + 2"), "{f}");
    }
}
