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
//! 2. **Only T stubbed**: the tree compiles and every graded (and hidden)
//!    test of T fails — a test that passes on `todo!()` cannot grade.
//! 3. **Every topic stubbed**: the student version passes clippy with
//!    `-D warnings` (all targets of the stubbed crates).
//! 4. **Only T revealed** (every other topic stubbed): every graded and
//!    hidden test of T passes, so T never runs an earlier topic's exercise.
//!
//! One scratch tree, `<target>/course-verify/ws`, is reused with the
//! workspace's own target directory: between runs only the files whose text
//! changes are rewritten, so cargo rebuilds only the crates swapped.

use crate::exercise;
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
    let root = match &args.root {
        Some(r) => r.clone(),
        None => workspace::root()?,
    };
    let manifests = grade::select(&root, &args.topics)?;
    let mut problems = Vec::new();
    let mut any_region = false;
    for m in &manifests {
        let (p, regions) = static_checks(&root, m)?;
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
    println!(
        "static checks: {} topic(s), {} problem(s) ({:.1} s)",
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

/// The top-level `mod name` items of a test file.
pub fn test_modules(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let rest = l.strip_prefix("mod ")?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// `#[should_panic]` attributes that do not name the expected message.
pub fn bare_should_panics(src: &str) -> Vec<usize> {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !l.trim_start().starts_with("#[should_panic") {
            continue;
        }
        // The attribute may span lines (rustfmt wraps a long message).
        let mut attr = String::new();
        for l in &lines[i..] {
            attr.push_str(l);
            if l.trim_end().ends_with(']') {
                break;
            }
        }
        if !attr.contains("expected") {
            out.push(i + 1);
        }
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The static checks of one topic: problems, and how many regions exist.
pub fn static_checks(
    root: &Path,
    m: &Manifest,
) -> Result<(Vec<String>, usize), String> {
    let mut problems = Vec::new();
    let dir = m.crate_dir(root);
    let t = &m.topic;
    if !dir.join("Cargo.toml").exists() {
        return Ok((
            vec![format!("exercises/{t}.toml: no crate crates/{t}")],
            0,
        ));
    }
    let mut src_files = Vec::new();
    rs_files(&dir.join("src"), &mut src_files);
    let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &src_files {
        let text = std::fs::read_to_string(f).map_err(|e| e.to_string())?;
        let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
        match exercise::find_regions(&text) {
            Ok(rs) => {
                for r in rs {
                    regions
                        .entry(r.id)
                        .or_default()
                        .push(format!("{rel}:{}", r.begin + 1));
                }
            }
            Err(e) => problems.push(format!("{rel}: {e}")),
        }
    }
    let ids: BTreeSet<&str> =
        m.exercises.iter().map(|e| e.id.as_str()).collect();
    for e in &m.exercises {
        match regions.get(&e.id).map(Vec::len) {
            None if !regions.is_empty() => problems.push(format!(
                "exercise {} (exercises/{t}.toml) has no `BEGIN SOLUTION {}` \
                 region in crates/{t}/src",
                e.id, e.id
            )),
            Some(n) if n > 1 => problems.push(format!(
                "exercise {} has {n} regions: {}",
                e.id,
                regions[&e.id].join(", ")
            )),
            _ => {}
        }
    }
    for (id, at) in &regions {
        if !ids.contains(id.as_str()) {
            problems.push(format!(
                "{}: region {id} is not an exercise of exercises/{t}.toml",
                at[0]
            ));
        }
    }
    let modules: BTreeSet<String> =
        m.exercises.iter().map(|e| e.test_module()).collect();
    let tests_dir = dir.join("tests");
    let graded = tests_dir.join("graded.rs");
    let Ok(graded_src) = std::fs::read_to_string(&graded) else {
        problems.push(format!("crates/{t}/tests/graded.rs does not exist"));
        return Ok((problems, regions.len()));
    };
    let graded_mods: BTreeSet<String> =
        test_modules(&graded_src).into_iter().collect();
    for e in &m.exercises {
        if !graded_mods.contains(&e.test_module()) {
            problems.push(format!(
                "exercise {}: crates/{t}/tests/graded.rs has no `mod {}`",
                e.id,
                e.test_module()
            ));
        }
    }
    for target in runner::test_targets(root, t, true) {
        let path = tests_dir.join(format!("{target}.rs"));
        let src = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        for module in test_modules(&src) {
            if !modules.contains(&module) {
                problems.push(format!(
                    "crates/{t}/tests/{target}.rs: `mod {module}` is not an \
                     exercise's test module (exercise ids of \
                     exercises/{t}.toml with '-' → '_')"
                ));
            }
        }
        for line in bare_should_panics(&src) {
            problems.push(format!(
                "crates/{t}/tests/{target}.rs:{line}: #[should_panic] must \
                 name its message (expected = \"…\"), or a todo!() passes it"
            ));
        }
    }
    Ok((problems, regions.values().map(Vec::len).sum()))
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
        let target = grade::target_dir(root);
        let ws = target.join("course-verify/ws");
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
            .args(["clippy", "--quiet", "--all-targets"]);
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
    fn static_checks_find_mismatches_and_bare_should_panic() {
        let fx = Fixture::new("verify-static");
        let m = crate::manifest::load_topic(&fx.root, "toy").unwrap();
        let (p, n) = static_checks(&fx.root, &m).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(n, 2);
        let wrapped = "#[should_panic(\n    expected = \"x\"\n)]\nfn t() {}";
        assert!(bare_should_panics(wrapped).is_empty());
        fx.edit(
            "crates/toy/tests/graded.rs",
            "#[should_panic(expected = \"a is not finite\")]",
            "#[should_panic]",
        );
        fx.edit(
            "crates/toy/tests/graded.rs",
            "mod toy_scale",
            "mod toy_scal",
        );
        let (p, _) = static_checks(&fx.root, &m).unwrap();
        let all = p.join("\n");
        assert!(
            all.contains("graded.rs:8: #[should_panic] must name"),
            "{all}"
        );
        assert!(all.contains("`mod toy_scal` is not an exercise"), "{all}");
        assert!(all.contains("has no `mod toy_scale`"), "{all}");
    }

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
