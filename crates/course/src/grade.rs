//! `cargo course grade [TOPIC…] [--json results.json] [--tests-from REF]`:
//! runs each topic's graded tests (and the instructors' `hidden_*.rs`),
//! maps them to the exercises of `exercises/<topic>.toml`, prints a score
//! table and writes Gradescope's `results.json`.
//!
//! Scoring: an exercise's points are shared equally among its tests
//! (visible and hidden), so a solution that passes 3 of 4 tests gets 3/4 of
//! the points. Only the test binaries' stdout is read; nothing on stderr
//! costs points. A topic that does not compile scores 0 with the compiler's
//! first errors as the output.
//!
//! `--tests-from REF` grades a copy of the tree in which the pristine files
//! (`exercises/`, `crates/<topic>/tests/`, `crates/foundations/`,
//! `crates/datasets/`) come from REF — a git ref (the instructors' branch)
//! or a folder holding those paths (the Gradescope bundle) — so tests a
//! student edited do not count.

use crate::manifest::{self, Exercise, Manifest};
use crate::runner::{self, Outcome, RunOptions, TopicRun};
use crate::workspace;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Options of `cargo course grade`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topics to grade (default: every topic with a manifest).
    pub topics: Vec<String>,
    /// Write Gradescope's results.json here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Take the tests, manifests and foundations from this git ref or
    /// folder (the instructors' copy), so edited tests do not count.
    #[arg(long, value_name = "REF")]
    pub tests_from: Option<String>,
    /// Time limit per test binary, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// The workspace to grade (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// One exercise's grade.
#[derive(Debug, Clone)]
pub struct ExerciseGrade {
    /// The topic.
    pub topic: String,
    /// The manifest entry.
    pub exercise: Exercise,
    /// Its visible tests (graded.rs).
    pub visible: Vec<Outcome>,
    /// Its hidden tests (hidden_*.rs).
    pub hidden: Vec<Outcome>,
    /// Why it scored 0 without running (compile error), if so.
    pub error: Option<String>,
}

impl ExerciseGrade {
    fn tests(&self) -> usize {
        self.visible.len() + self.hidden.len()
    }

    /// Points per test.
    fn share(&self) -> f64 {
        if self.tests() == 0 {
            0.0
        } else {
            self.exercise.points as f64 / self.tests() as f64
        }
    }

    /// Points earned by the visible tests.
    pub fn visible_score(&self) -> f64 {
        self.share() * self.visible.iter().filter(|o| o.passed).count() as f64
    }

    /// Points earned by the hidden tests.
    pub fn hidden_score(&self) -> f64 {
        self.share() * self.hidden.iter().filter(|o| o.passed).count() as f64
    }

    /// Points earned.
    pub fn score(&self) -> f64 {
        self.visible_score() + self.hidden_score()
    }

    /// `passed`, `failed` or `no build` (the topic did not compile).
    pub fn status(&self) -> &'static str {
        if self.error.is_some() {
            "no build"
        } else if self.tests() > 0
            && self.visible.iter().chain(&self.hidden).all(|o| o.passed)
        {
            "passed"
        } else {
            "failed"
        }
    }

    /// The first failing test and its message, for the table.
    pub fn first_failure(&self) -> String {
        match self.first_failure_parts() {
            Some((test, msg)) if !test.is_empty() => format!("{test}: {msg}"),
            Some((_, msg)) => msg,
            None => String::new(),
        }
    }

    /// The first failing test (short name; empty for a build error or a
    /// hidden test) and the informative line of its message.
    pub fn first_failure_parts(&self) -> Option<(String, String)> {
        if let Some(e) = &self.error {
            let line = e.lines().nth(1).unwrap_or(e).trim().to_string();
            return Some((String::new(), line));
        }
        self.visible
            .iter()
            .find(|o| !o.passed)
            .map(|o| {
                let short = o.name.split_once("::").map_or(&*o.name, |x| x.1);
                (short.to_string(), runner::first_failure_line(&o.output))
            })
            .or_else(|| {
                self.hidden
                    .iter()
                    .any(|o| !o.passed)
                    .then(|| (String::new(), "a hidden test fails".to_string()))
            })
    }
}

/// Maps a topic's test outcomes to its exercises. Errors when an exercise
/// has no graded test module.
pub fn grade_topic(
    m: &Manifest,
    run: &TopicRun,
) -> Result<Vec<ExerciseGrade>, String> {
    let mut out = Vec::new();
    for e in &m.exercises {
        let module = format!("{}::", e.test_module());
        let mut visible = Vec::new();
        let mut hidden = Vec::new();
        for (target, o) in run.outcomes() {
            if o.name.starts_with(&module) {
                if target == "graded" {
                    visible.push(o.clone());
                } else {
                    hidden.push(o.clone());
                }
            }
        }
        if run.error.is_none() && visible.is_empty() {
            return Err(format!(
                "exercise {} (exercises/{}.toml) has no tests: \
                 crates/{}/tests/graded.rs needs `mod {} {{ … }}` with at \
                 least one #[test]",
                e.id,
                m.topic,
                m.topic,
                e.test_module()
            ));
        }
        out.push(ExerciseGrade {
            topic: m.topic.clone(),
            exercise: e.clone(),
            visible,
            hidden,
            error: run.error.clone(),
        });
    }
    Ok(out)
}

/// Gradescope's `results.json`.
#[derive(Debug, Serialize)]
pub struct Results {
    /// Total points.
    pub score: f64,
    /// Seconds.
    pub execution_time: f64,
    /// Shown above the tests.
    pub output: String,
    /// One entry per exercise (and one for its hidden tests).
    pub tests: Vec<TestResult>,
}

/// One entry of `results.json`'s `tests`.
#[derive(Debug, Serialize)]
pub struct TestResult {
    /// `topic / id: title`.
    pub name: String,
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// `passed` or `failed`.
    pub status: String,
    /// The failures, or a one-line summary.
    pub output: String,
    /// `visible` or `after_due_date` (hidden tests).
    pub visibility: String,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn failure_text(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    for o in outcomes.iter().filter(|o| !o.passed) {
        s.push_str(&format!("✗ {}\n{}\n\n", o.name, o.output.trim()));
    }
    for o in outcomes.iter().filter(|o| o.passed) {
        s.push_str(&format!("✓ {}\n", o.name));
    }
    s
}

/// The results for a set of graded exercises.
pub fn results(grades: &[ExerciseGrade], seconds: f64) -> Results {
    let mut tests = Vec::new();
    for g in grades {
        let e = &g.exercise;
        let optional = if e.optional { " (optional)" } else { "" };
        let name = format!("{} / {}: {}{optional}", g.topic, e.id, e.title);
        let max_visible = g.share() * g.visible.len() as f64;
        let output = match &g.error {
            Some(err) => err.clone(),
            None => failure_text(&g.visible),
        };
        let passed = g.error.is_none() && g.visible.iter().all(|o| o.passed);
        tests.push(TestResult {
            name: name.clone(),
            score: round2(g.visible_score()),
            max_score: round2(if g.error.is_some() {
                e.points as f64
            } else {
                max_visible
            }),
            status: if passed { "passed" } else { "failed" }.into(),
            output,
            visibility: "visible".into(),
        });
        if !g.hidden.is_empty() {
            let passed = g.hidden.iter().all(|o| o.passed);
            tests.push(TestResult {
                name: format!("{name} — hidden tests"),
                score: round2(g.hidden_score()),
                max_score: round2(g.share() * g.hidden.len() as f64),
                status: if passed { "passed" } else { "failed" }.into(),
                output: failure_text(&g.hidden),
                visibility: "after_due_date".into(),
            });
        }
    }
    let score: f64 = grades.iter().map(ExerciseGrade::score).sum();
    let required: u32 = grades
        .iter()
        .filter(|g| !g.exercise.optional)
        .map(|g| g.exercise.points)
        .sum();
    Results {
        score: round2(score),
        execution_time: round2(seconds),
        output: format!(
            "{:.2} points ({} required, optional exercises are extra \
             credit). Run `cargo course grade` locally for the same table.",
            score, required
        ),
        tests,
    }
}

/// The longest failure message a table shows (the start says what is
/// wrong; the full output is in `results.json` and `cargo test`).
pub const MESSAGE_WIDTH: usize = 240;

/// `s` cut to `n` characters, with `…` when cut.
pub fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// The score table, one line per exercise (and, under a failing one, the
/// informative line of its first failure).
pub fn table(grades: &[ExerciseGrade]) -> String {
    let w = grades
        .iter()
        .map(|g| g.exercise.id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut s = format!(
        "{:<w$}  {:>11}  {:<8}  first failure\n",
        "exercise", "points", "status"
    );
    for g in grades {
        let pts = format!("{:.1}/{}", g.score(), g.exercise.points);
        let mark = if g.exercise.optional { "*" } else { "" };
        let (test, msg) = g.first_failure_parts().unwrap_or_default();
        s.push_str(&format!(
            "{:<w$}  {:>11}  {:<8}  {}\n",
            format!("{}{mark}", g.exercise.id),
            pts,
            g.status(),
            if test.is_empty() { &msg } else { &test }
        ));
        // The message on a line of its own, so the part that says what is
        // wrong is never cut to fit the table.
        if !test.is_empty() {
            s.push_str(&format!("    {}\n", shorten(&msg, MESSAGE_WIDTH)));
        }
    }
    let total: f64 = grades.iter().map(ExerciseGrade::score).sum();
    let required: u32 = grades
        .iter()
        .filter(|g| !g.exercise.optional)
        .map(|g| g.exercise.points)
        .sum();
    s.push_str(&format!(
        "{:<w$}  {:>11}\n",
        "total",
        format!("{total:.1}/{required}")
    ));
    if grades.iter().any(|g| g.exercise.optional) {
        s.push_str("(* optional: extra credit)\n");
    }
    s
}

/// The manifests to grade: the named topics, or all.
pub fn select(root: &Path, topics: &[String]) -> Result<Vec<Manifest>, String> {
    if topics.is_empty() {
        let all = manifest::load_all(root)?;
        if all.is_empty() {
            return Err("no exercises/*.toml: nothing to grade".into());
        }
        return Ok(all);
    }
    topics
        .iter()
        .map(|t| manifest::load_topic(root, t))
        .collect()
}

/// Every exercise of the manifest is marked in its topic's sources (a
/// solution region or a student's `// EXERCISE` line).
pub fn check_marked(root: &Path, m: &Manifest) -> Result<(), String> {
    let ids = crate::student::marked_ids(&root.join("crates").join(&m.topic))?;
    match m.exercises.iter().find(|e| !ids.contains(&e.id)) {
        None => Ok(()),
        Some(e) => Err(format!(
            "exercise {id} (exercises/{t}.toml) has no marked region in \
             crates/{t}/src: neither `// BEGIN SOLUTION {id}` nor \
             `// EXERCISE {id}`",
            id = e.id,
            t = m.topic
        )),
    }
}

/// Grades the topics of the workspace at `root`.
pub fn grade(
    root: &Path,
    manifests: &[Manifest],
    opts: &RunOptions,
) -> Result<Vec<ExerciseGrade>, String> {
    let mut all = Vec::new();
    for m in manifests {
        let run = runner::run_topic(root, &m.topic, opts)?;
        eprintln!("{}: built and ran in {:.1} s", run.topic, run.seconds);
        all.extend(grade_topic(m, &run)?);
    }
    Ok(all)
}

/// Runs `cargo course grade`.
pub fn run(args: &Args) -> Result<(), String> {
    let start = Instant::now();
    let root = workspace::root_or(args.root.as_deref())?;
    let mut opts = RunOptions {
        timeout: Duration::from_secs(args.timeout),
        ..RunOptions::default()
    };
    let grade_root = match &args.tests_from {
        Some(reference) => {
            // A target directory of its own: the copy's crates have the
            // same workspace-relative paths, so sharing target/ would make
            // the two trees overwrite each other's builds.
            let base = target_dir(&root).join("course-grade");
            let scratch = base.join("ws");
            pristine_copy(&root, &scratch, reference)?;
            opts.target_dir = Some(base.join("target"));
            scratch
        }
        None => root.clone(),
    };
    let manifests = select(&grade_root, &args.topics)?;
    if args.tests_from.is_none() {
        // On a submission graded against the instructors' tests, the tests
        // decide; a marker line the student deleted costs nothing.
        for m in &manifests {
            check_marked(&grade_root, m)?;
        }
    }
    let grades = grade(&grade_root, &manifests, &opts)?;
    print!("{}", table(&grades));
    if let Some(path) = &args.json {
        let r = results(&grades, start.elapsed().as_secs_f64());
        let text =
            serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// `CARGO_TARGET_DIR` or `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// The paths that always come from the instructors' copy: the tests, the
/// manifests, the shared crates, and everything that says how the tests
/// are built (a student's `Cargo.toml` could point `graded` at another
/// file, or a `build.rs` rewrite it).
pub fn pristine_paths(topics: &[String]) -> Vec<String> {
    let mut v: Vec<String> = [
        "exercises",
        "crates/foundations",
        "crates/datasets",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo",
        "rust-toolchain.toml",
    ]
    .map(String::from)
    .to_vec();
    for t in topics {
        v.push(format!("crates/{t}/tests"));
        v.push(format!("crates/{t}/Cargo.toml"));
        // Cargo runs a `build.rs` it finds beside Cargo.toml: a student's
        // would run code at build time.
        v.push(format!("crates/{t}/build.rs"));
    }
    v
}

/// Copies the workspace at `root` into `scratch` (replacing it) and lays
/// the pristine paths from `reference` (a folder or a git ref) over it.
pub fn pristine_copy(
    root: &Path,
    scratch: &Path,
    reference: &str,
) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(scratch);
    // Inside the workspace, its .cargo/config.toml applies from above; a
    // second copy would double the rustflags and rebuild everything.
    let inside = scratch.starts_with(root);
    for rel in crate::student::source_files(root)? {
        if inside && rel.starts_with(".cargo") {
            continue;
        }
        let dst = scratch.join(&rel);
        std::fs::create_dir_all(dst.parent().unwrap_or(scratch))
            .map_err(|e| e.to_string())?;
        std::fs::copy(root.join(&rel), &dst)
            .map_err(|e| format!("{}: {e}", rel.display()))?;
    }
    let from_dir = Path::new(reference);
    let topics: Vec<String> = if from_dir.is_dir() {
        manifest::load_all(from_dir)?
    } else {
        manifests_at_ref(root, reference)?
    }
    .into_iter()
    .map(|m| m.topic)
    .collect();
    for p in pristine_paths(&topics) {
        if inside && p == ".cargo" {
            continue; // the workspace's own applies from above
        }
        // Replace the student's copy entirely (a deleted or added test
        // file must not count either).
        let dst = scratch.join(&p);
        if dst.is_dir() {
            let _ = std::fs::remove_dir_all(&dst);
        } else {
            let _ = std::fs::remove_file(&dst);
        }
        let src = from_dir.join(&p);
        if !from_dir.is_dir() {
            checkout_path(root, reference, &p, scratch)?;
        } else if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else if src.is_file() {
            std::fs::copy(&src, &dst)
                .map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()))?;
        } else {
            std::fs::copy(&p, to.join(e.file_name()))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}

fn git_out(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let o = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(o.stdout)
}

fn manifests_at_ref(
    root: &Path,
    reference: &str,
) -> Result<Vec<Manifest>, String> {
    git_out(root, &["rev-parse", "--verify", "-q", reference]).map_err(
        |_| format!("--tests-from {reference}: no such git ref or folder"),
    )?;
    let names =
        git_out(root, &["ls-tree", "--name-only", reference, "exercises/"])?;
    let mut out = Vec::new();
    for name in String::from_utf8_lossy(&names).lines() {
        if !name.ends_with(".toml") {
            continue;
        }
        let text = git_out(root, &["show", &format!("{reference}:{name}")])?;
        let mut m = manifest::parse(&String::from_utf8_lossy(&text))
            .map_err(|e| format!("{reference}:{name}: {e}"))?;
        m.path = PathBuf::from(name);
        out.push(m);
    }
    Ok(out)
}

fn checkout_path(
    root: &Path,
    reference: &str,
    path: &str,
    scratch: &Path,
) -> Result<(), String> {
    let list = git_out(
        root,
        &["ls-tree", "-r", "--name-only", reference, "--", path],
    )?;
    for name in String::from_utf8_lossy(&list).lines() {
        let bytes = git_out(root, &["show", &format!("{reference}:{name}")])?;
        let dst = scratch.join(name);
        std::fs::create_dir_all(dst.parent().unwrap_or(scratch))
            .map_err(|e| e.to_string())?;
        std::fs::write(&dst, bytes).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Fixture;

    fn opts(fx: &Fixture) -> RunOptions {
        RunOptions {
            target_dir: Some(fx.scratch("target")),
            ..RunOptions::default()
        }
    }

    #[test]
    fn grades_the_solution_and_the_student_version() {
        let fx = Fixture::new("grade");
        let ms = select(&fx.root, &[]).unwrap();
        let g = grade(&fx.root, &ms, &opts(&fx)).unwrap();
        assert_eq!(g.len(), 2);
        assert!(g.iter().all(|g| g.status() == "passed"), "{}", table(&g));
        assert_eq!(g[0].hidden.len(), 1);
        assert_eq!(g.iter().map(ExerciseGrade::score).sum::<f64>(), 10.0);
        let r = results(&g, 1.0);
        assert_eq!(r.score, 10.0);
        let hidden: Vec<_> = r
            .tests
            .iter()
            .filter(|t| t.visibility == "after_due_date")
            .collect();
        assert_eq!(hidden.len(), 1);
        assert!((hidden[0].max_score - 4.0 / 3.0).abs() < 0.01);

        // The student version fails everything, with the todo! message.
        let out = fx.scratch("student");
        crate::student::write_tree(&fx.root, &out, &[], false).unwrap();
        let ms = select(&out, &[]).unwrap();
        let g = grade(&out, &ms, &opts(&fx)).unwrap();
        assert!(g.iter().all(|g| g.score() == 0.0), "{}", table(&g));
        let t = table(&g);
        assert!(t.contains("not yet implemented: exercise toy-add"), "{t}");

        // A half-right solution gets part of the points.
        fx.edit("crates/toy/src/lib.rs", "    a + b\n", "    a - b\n");
        let ms = select(&fx.root, &[]).unwrap();
        let g = grade(&fx.root, &ms, &opts(&fx)).unwrap();
        assert!((g[0].score() - 4.0 / 3.0).abs() < 1e-9, "{}", table(&g));
        let t = table(&g);
        assert!(
            t.contains("  adds\n    assertion `left == right` failed: 1 + 2"),
            "{t}"
        );
        assert!(g[0].first_failure().contains("| left: "), "{t}");
    }

    #[test]
    fn printed_results_and_crashes_cannot_pose_as_passes() {
        let fx = Fixture::new("grade-forge");
        // A wrong `add` that prints libtest's pass line for itself, raw
        // (libtest captures print!, not writes to the descriptor), then
        // ends the process before libtest can report.
        fx.edit(
            "crates/toy/src/lib.rs",
            "    a + b\n",
            "    use std::io::Write;\n    let _ = std::io::stdout()\n        \
             .write_all(b\"\\ntest toy_add::adds ... ok\\n\");\n    \
             if a == 1.0 {\n        std::process::exit(1);\n    }\n    a - b\n",
        );
        let ms = select(&fx.root, &[]).unwrap();
        let g = grade(&fx.root, &ms, &opts(&fx)).unwrap();
        let passed = |g: &ExerciseGrade, name: &str| {
            g.visible
                .iter()
                .find(|o| o.name.ends_with(name))
                .unwrap()
                .passed
        };
        assert!(!passed(&g[0], "::adds"), "{}", table(&g));
        assert!(passed(&g[0], "::rejects_nan"), "{}", table(&g));
        assert!(passed(&g[1], "::scales"), "{}", table(&g));
    }

    #[test]
    fn tests_from_a_ref_undo_edited_tests_and_clear_errors() {
        let fx = Fixture::new("grade-ref");
        fx.git_init();
        // A "student" weakens a test and breaks the solution.
        fx.edit("crates/toy/tests/graded.rs", "3.0, \"1 + 2\"", "-1.0, \"\"");
        fx.edit("crates/toy/src/lib.rs", "    a + b\n", "    a - b\n");
        let ms = select(&fx.root, &[]).unwrap();
        let g = grade(&fx.root, &ms, &opts(&fx)).unwrap();
        assert_eq!(g[0].visible.iter().filter(|o| o.passed).count(), 2);
        let scratch = fx.scratch("pristine");
        pristine_copy(&fx.root, &scratch, "main").unwrap();
        let ms = select(&scratch, &[]).unwrap();
        let g = grade(&scratch, &ms, &opts(&fx)).unwrap();
        assert_eq!(g[0].visible.iter().filter(|o| o.passed).count(), 1);

        let err = select(&fx.root, &["nope".into()]).unwrap_err();
        assert!(err.contains("unknown topic `nope`"), "{err}");
        let err = pristine_copy(&fx.root, &scratch, "no-such-ref").unwrap_err();
        assert!(err.contains("no such git ref or folder"), "{err}");

        // The solution tree must mark every exercise of its manifest.
        fx.edit(
            "crates/toy/src/lib.rs",
            crate::exercise::BEGIN,
            "// BEGIN SOLUTIO",
        );
        let ms = select(&fx.root, &[]).unwrap();
        let err = check_marked(&fx.root, &ms[0]).unwrap_err();
        assert!(
            err.contains(
                "exercise toy-add (exercises/toy.toml) has no marked region"
            ),
            "{err}"
        );
        fx.edit(
            "crates/toy/src/lib.rs",
            "// BEGIN SOLUTIO",
            crate::exercise::BEGIN,
        );
        check_marked(&fx.root, &ms[0]).unwrap();
        fx.append_manifest(
            "[[exercise]]\nid = \"toy-ghost\"\ntitle = \"G\"\npoints = 1\n\
             section = \"toy/index.md\"\n",
        );
        let ms = select(&fx.root, &[]).unwrap();
        let err = grade(&fx.root, &ms, &opts(&fx)).unwrap_err();
        assert!(err.contains("mod toy_ghost"), "{err}");

        // Nor does pointing the graded target at another file, or deleting
        // the test file: Cargo.toml and tests/ come from the reference.
        fx.edit(
            "crates/toy/Cargo.toml",
            "edition = \"2024\"\n",
            "edition = \"2024\"\n[[test]]\nname = \"graded\"\npath = \"mine.rs\"\n",
        );
        std::fs::write(fx.root.join("crates/toy/mine.rs"), "mod toy_add { #[test] fn adds() {} #[test] fn rejects_nan() {} }\nmod toy_scale { #[test] fn scales() {} }\n").unwrap();
        std::fs::remove_file(fx.root.join("crates/toy/tests/graded.rs"))
            .unwrap();
        pristine_copy(&fx.root, &scratch, "main").unwrap();
        let ms = select(&scratch, &[]).unwrap();
        let g = grade(&scratch, &ms, &opts(&fx)).unwrap();
        assert_eq!(g[0].visible.iter().filter(|o| o.passed).count(), 1);
        assert_eq!(g[0].visible.len(), 2, "{}", table(&g));
    }
}
