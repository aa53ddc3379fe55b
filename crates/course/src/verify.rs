//! `cargo course verify-exercises [TOPIC…]`: the exercises are sound.
//!
//! For every topic T with a manifest (DESIGN.md, "a topic is graded
//! alone"):
//!
//! 1. **Static**: the manifest and the markers agree (every exercise has
//!    exactly one `BEGIN SOLUTION` region in `crates/T/src` and a test module
//!    in `tests/graded.rs`; every region and every test module of
//!    `graded.rs` / `hidden_*.rs` belongs to an exercise) and every
//!    `#[should_panic]` names its message.
//! 2. **No answer in the given code** ([`crate::answers`]): no function of
//!    the student release holds an exercise's solution (normalised tokens,
//!    a measured threshold, a reviewed list of accepted cases). `--answers`
//!    runs this check alone and prints the distribution of the scores.
//! 3. **Only T stubbed**: the tree compiles and every graded (and hidden)
//!    test of T fails — a test that passes on `todo!()` cannot grade.
//! 4. **Every topic stubbed**: the student version passes clippy with
//!    `-D warnings` (all targets of the stubbed crates).
//! 5. **Only T revealed** (every other topic stubbed): every graded and
//!    hidden test of T passes, so T never runs an earlier topic's exercise.
//!
//! One scratch tree, `<target>/course-verify/ws`, is reused with one target
//! directory of its own, `<target>/course-verify/target` (the workspace's
//! would be overwritten: cargo names a path crate's artifacts by its path
//! relative to the workspace, the same in both trees): between runs only the
//! files whose text changes are rewritten, so cargo rebuilds only the
//! swapped crates and those that depend on them.

use crate::agree;
use crate::answers;
use crate::grade;
use crate::manifest::Manifest;
use crate::runner::{self, RunOptions};
use crate::student;
use crate::workspace;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Options of `cargo course verify-exercises`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topics to verify (default: every topic with a manifest).
    pub topics: Vec<String>,
    /// Only the static checks (no build).
    #[arg(long)]
    pub static_only: bool,
    /// Only the answer check (no build): print the distribution of the
    /// similarity scores and the highest (solution, function) pairs.
    #[arg(long)]
    pub answers: bool,
    /// Skip clippy on the student version.
    #[arg(long)]
    pub no_clippy: bool,
    /// The workspace (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// Runs `cargo course verify-exercises`.
pub fn run(args: &Args) -> Result<(), String> {
    let start = Instant::now();
    let root = workspace::root_or(args.root.as_deref())?;
    let manifests = grade::select(&root, &args.topics)?;
    if args.answers {
        let (problems, all) =
            answers::check(&root, &manifests, answers::ALLOWED)?;
        print!("{}", answers::report(&all, 25));
        for p in &problems {
            eprintln!("- {p}");
        }
        return if problems.is_empty() {
            println!(
                "answers: no function of the student release holds a solution"
            );
            Ok(())
        } else {
            Err(format!(
                "verify-exercises --answers: {} problem(s)",
                problems.len()
            ))
        };
    }
    let mut problems = Vec::new();
    let mut any_region = false;
    for m in &manifests {
        let (p, regions) = agree::static_checks(&root, m)?;
        any_region |= regions > 0;
        problems.extend(p);
    }
    if !any_region && !manifests.is_empty() {
        println!(
            "verify-exercises: no solution region in any topic (a student \
             version?): nothing to verify"
        );
        return Ok(());
    }
    let (answer_problems, _) =
        answers::check(&root, &manifests, answers::ALLOWED)?;
    problems.extend(answer_problems);
    println!(
        "static checks (answers too): {} topic(s), {} problem(s) ({:.1} s)",
        manifests.len(),
        problems.len(),
        start.elapsed().as_secs_f64()
    );
    if problems.is_empty() && !args.static_only {
        problems.extend(dynamic_checks(&root, &manifests, !args.no_clippy)?);
    }
    println!(
        "verify-exercises: {} problem(s) in {:.0} s",
        problems.len(),
        start.elapsed().as_secs_f64()
    );
    if problems.is_empty() {
        Ok(())
    } else {
        for p in &problems {
            eprintln!("- {p}");
        }
        Err(format!("verify-exercises: {} problem(s)", problems.len()))
    }
}

/// The scratch tree and the two texts of every file with regions.
struct Scratch {
    ws: PathBuf,
    target: PathBuf,
    /// rel path → (topic, solution text, stubbed text)
    swaps: Vec<(PathBuf, String, String, String)>,
    /// lib.rs of each topic → (solution text, student text)
    libs: Vec<(PathBuf, String, String, String)>,
}

impl Scratch {
    fn new(root: &Path) -> Result<Scratch, String> {
        // Its own target directory: cargo names a path crate's artifacts
        // by its path *relative to the workspace*, so sharing the
        // workspace's target/ would make the two trees overwrite each
        // other's builds. Reused from run to run, it rebuilds only what a
        // swap changed.
        let base = grade::target_dir(root).join("course-verify");
        let ws = base.join("ws");
        let target = base.join("target");
        let all: BTreeMap<String, Manifest> = crate::manifest::load_all(root)?
            .into_iter()
            .map(|m| (m.topic.clone(), m))
            .collect();
        let mut swaps = Vec::new();
        let mut libs = Vec::new();
        let mut keep = BTreeSet::new();
        for rel in student::source_files(root)? {
            // The workspace's .cargo/config.toml applies from above (the
            // scratch tree lies inside the workspace's target/); a second
            // copy would double the rustflags and rebuild every dependency.
            if rel.starts_with(".cargo") {
                continue;
            }
            let bytes =
                std::fs::read(root.join(&rel)).map_err(|e| e.to_string())?;
            keep.insert(rel.clone());
            write_if_changed(&ws.join(&rel), &bytes)?;
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let Some(krate) = student::crate_of(&rel) else {
                continue;
            };
            if !all.contains_key(&krate) {
                continue;
            }
            let only: BTreeSet<String> = [krate.clone()].into();
            let mut ids = Vec::new();
            let stub =
                student::student_text(&rel, &text, &all, &only, &mut ids)?
                    .unwrap_or_default();
            if stub == text || student::is_hidden_test(&rel) {
                continue;
            }
            if ids.is_empty() {
                libs.push((rel, krate, text, stub));
            } else {
                swaps.push((rel, krate, text, stub));
            }
        }
        Ok(Scratch {
            ws,
            target,
            swaps,
            libs,
        })
    }

    /// Writes the tree in which exactly the topics in `stubbed` are stubs.
    fn set(&self, stubbed: &BTreeSet<String>) -> Result<usize, String> {
        let mut n = 0;
        for (rel, krate, sol, stub) in self.swaps.iter().chain(&self.libs) {
            let text = if stubbed.contains(krate) { stub } else { sol };
            if write_if_changed(&self.ws.join(rel), text.as_bytes())? {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Writes `bytes` unless the file already holds them (keeps mtimes, so
/// cargo does not rebuild what did not change). `true` when written.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, String> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(true)
}

fn dynamic_checks(
    root: &Path,
    manifests: &[Manifest],
    clippy: bool,
) -> Result<Vec<String>, String> {
    let t0 = Instant::now();
    let scratch = Scratch::new(root)?;
    println!(
        "scratch tree {} ({} exercise files, {:.1} s)",
        scratch.ws.display(),
        scratch.swaps.len(),
        t0.elapsed().as_secs_f64()
    );
    let opts = RunOptions {
        target_dir: Some(scratch.target.clone()),
        hidden: true,
        ..RunOptions::default()
    };
    let all_stubbed: BTreeSet<String> = crate::manifest::load_all(root)?
        .into_iter()
        .map(|m| m.topic)
        .collect();
    let mut problems = Vec::new();
    // Only T stubbed: everything of T fails.
    for m in manifests {
        let t = &m.topic;
        let t1 = Instant::now();
        let changed = scratch.set(&[t.clone()].into())?;
        let run = runner::run_topic(&scratch.ws, t, &opts)?;
        if let Some(e) = &run.error {
            problems.push(format!("only {t} stubbed: {e}"));
        }
        for (target, o) in run.outcomes() {
            if o.passed {
                problems.push(format!(
                    "only {t} stubbed: crates/{t}/tests/{target}.rs {} passes \
                     although its exercise is a todo!()",
                    o.name
                ));
            }
        }
        println!(
            "only {t} stubbed: {} tests, all fail = {} ({changed} files \
             swapped, {:.1} s)",
            run.outcomes().count(),
            run.error.is_none() && run.outcomes().all(|(_, o)| !o.passed),
            t1.elapsed().as_secs_f64()
        );
    }
    // Every topic stubbed: the student version has no warning.
    if clippy {
        let t1 = Instant::now();
        scratch.set(&all_stubbed)?;
        let mut c =
            Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
        c.current_dir(&scratch.ws)
            .env("CARGO_TARGET_DIR", &scratch.target)
            // --all-features: the examples too (behind `examples`)
            .args(["clippy", "--quiet", "--all-targets", "--all-features"]);
        for t in &all_stubbed {
            c.args(["-p", t]);
        }
        c.args(["--", "-D", "warnings"]);
        let out = c.output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let head: Vec<&str> = err.lines().take(40).collect();
            problems.push(format!(
                "the student version (every topic stubbed) has clippy \
                 warnings or errors:\n{}",
                head.join("\n")
            ));
        }
        println!(
            "student version: clippy -D warnings ok = {} ({:.1} s)",
            out.status.success(),
            t1.elapsed().as_secs_f64()
        );
    }
    // Only T revealed: everything of T passes, every test is an exercise's.
    for m in manifests {
        let t = &m.topic;
        let t1 = Instant::now();
        let mut stubbed = all_stubbed.clone();
        stubbed.remove(t);
        let changed = scratch.set(&stubbed)?;
        let run = runner::run_topic(&scratch.ws, t, &opts)?;
        if let Some(e) = &run.error {
            problems.push(format!("only {t} revealed: {e}"));
        }
        let modules: BTreeSet<String> =
            m.exercises.iter().map(|e| e.test_module()).collect();
        for (target, o) in run.outcomes() {
            if !o.passed {
                problems.push(format!(
                    "only {t} revealed: crates/{t}/tests/{target}.rs {} fails \
                     (does it run another topic's exercise?): {}",
                    o.name,
                    runner::first_failure_line(&o.output)
                ));
            }
            let module = o.name.split("::").next().unwrap_or("");
            if !modules.contains(module) {
                problems.push(format!(
                    "crates/{t}/tests/{target}.rs: test {} is in no \
                     exercise's module",
                    o.name
                ));
            }
        }
        if let Err(e) = grade::grade_topic(m, &run) {
            problems.push(e);
        }
        println!(
            "only {t} revealed: {} tests, all pass = {} ({changed} files \
             swapped, {:.1} s)",
            run.outcomes().count(),
            run.error.is_none() && run.outcomes().all(|(_, o)| o.passed),
            t1.elapsed().as_secs_f64()
        );
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Fixture;

    #[test]
    fn dynamic_checks_catch_a_test_that_passes_on_the_stub() {
        let fx = Fixture::new("verify-dynamic");
        let ms = crate::grade::select(&fx.root, &[]).unwrap();
        // The fixture is sound.
        let p = dynamic_checks(&fx.root, &ms, true).unwrap();
        assert!(p.is_empty(), "{p:?}");
        // A test that a todo!() passes, and one of no exercise.
        fx.edit(
            "crates/toy/tests/graded.rs",
            "mod toy_scale {",
            "mod toy_scale {\n    #[test]\n    fn trivially() {}\n",
        );
        let p = dynamic_checks(&fx.root, &ms, false).unwrap().join("\n");
        assert!(
            p.contains("toy_scale::trivially passes although its exercise"),
            "{p}"
        );
    }
}
