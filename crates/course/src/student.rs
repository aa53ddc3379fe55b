//! `cargo course student --out DIR [--reveal TOPIC,…] [--force]
//! [--branch NAME]`: writes the student version of the workspace.
//!
//! Every solution region of a topic with a manifest becomes its stub
//! ([`crate::exercise::stub_source`]); topics named in `--reveal` keep their
//! solutions (as if `git checkout main -- crates/<topic>/src` had been run);
//! `hidden_*.rs` test files are left out. The files copied are those git
//! tracks plus untracked files it does not ignore (or, outside a git
//! repository, every file but `target/`, `.git/` and `book/book/`).
//!
//! `--branch NAME` also commits the tree on branch `NAME` of the source
//! repository with a private index, never touching `main`, `HEAD`, the index
//! or the working tree; the branch's history holds only student versions.

use crate::exercise::{self, EXERCISE};
use crate::manifest::{self, Manifest};
use crate::workspace;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Options of `cargo course student`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write the student version into.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Topics that keep their solutions (comma separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub reveal: Vec<String>,
    /// Overwrite a non-empty output folder (its `.git` and `target` stay).
    #[arg(long)]
    pub force: bool,
    /// Also commit the student tree on this branch (created or updated).
    #[arg(long)]
    pub branch: Option<String>,
    /// When `--branch` creates its branch: start it on top of this earlier
    /// student release (e.g. `student-week1`), so every release is one
    /// commit on the same history and the class repository pulls it.
    #[arg(long, value_name = "REF", requires = "branch")]
    pub parent: Option<String>,
    /// The workspace to read (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// Runs `cargo course student`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    let out = match (&args.out, &args.branch) {
        (Some(o), _) => o.clone(),
        (None, Some(b)) => std::env::temp_dir()
            .join(format!("course-student-{b}-{}", std::process::id())),
        (None, None) => {
            return Err("give --out DIR (and/or --branch NAME)".into());
        }
    };
    let force = args.force || (args.out.is_none() && args.branch.is_some());
    let report = write_tree(&root, &out, &args.reveal, force)?;
    println!(
        "student version in {}: {} files, {} exercise(s) stubbed in {} \
         topic(s), {} revealed, {} hidden test file(s) left out",
        out.display(),
        report.files,
        report.stubbed.len(),
        report.stubbed_topics.len(),
        if args.reveal.is_empty() {
            "none".to_string()
        } else {
            args.reveal.join(", ")
        },
        report.hidden_dropped
    );
    if let Some(branch) = &args.branch {
        let dirty =
            git(&root, &["status", "--porcelain"], &[]).unwrap_or_default();
        if !dirty.is_empty() {
            eprintln!(
                "warning: {} uncommitted or untracked file(s) went into this \
                 release (it is written from the working tree; commit first \
                 to release exactly main):\n{dirty}",
                dirty.lines().count()
            );
        }
        let commit = commit_to_branch(
            &root,
            &out,
            branch,
            args.parent.as_deref(),
            &args.reveal,
        )?;
        println!("committed {commit} on branch {branch}");
        if args.out.is_none() {
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    Ok(())
}

/// What [`write_tree`] did.
#[derive(Debug, Default)]
pub struct Report {
    /// Files written.
    pub files: usize,
    /// Exercise ids stubbed.
    pub stubbed: Vec<String>,
    /// Topics with at least one stub.
    pub stubbed_topics: BTreeSet<String>,
    /// `hidden_*.rs` files left out.
    pub hidden_dropped: usize,
}

/// The files of the workspace to copy, relative to `root`, sorted.
pub fn source_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let git = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output();
    let mut files: Vec<PathBuf> = match git {
        Ok(o) if o.status.success() && root.join(".git").exists() => {
            String::from_utf8_lossy(&o.stdout)
                .split('\0')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .filter(|p| root.join(p).is_file())
                .collect()
        }
        _ => {
            let mut v = Vec::new();
            walk(root, root, &mut v);
            v
        }
    };
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
        let skip = rel == Path::new("target")
            || rel == Path::new(".git")
            || rel == Path::new("book/book");
        if skip {
            continue;
        }
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push(rel);
        }
    }
}

/// The topic crate a workspace path belongs to (`crates/<topic>/…`).
pub fn crate_of(rel: &Path) -> Option<String> {
    let mut c = rel.components();
    if c.next()?.as_os_str() != "crates" {
        return None;
    }
    Some(c.next()?.as_os_str().to_string_lossy().into_owned())
}

/// Is this an instructors' hidden test file (`crates/<t>/tests/hidden_*.rs`)?
pub fn is_hidden_test(rel: &Path) -> bool {
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with("hidden_")
        && name.ends_with(".rs")
        && rel.components().any(|c| c.as_os_str() == "tests")
        && crate_of(rel).is_some()
}

/// The student text of one workspace file: `None` to leave it out,
/// `Some(text)` otherwise (the original when nothing changes). Stubs the
/// regions of every topic in `stubbed`; `ids` collects what was stubbed.
pub fn student_text(
    rel: &Path,
    text: &str,
    manifests: &BTreeMap<String, Manifest>,
    stubbed: &BTreeSet<String>,
    ids: &mut Vec<String>,
) -> Result<Option<String>, String> {
    if is_hidden_test(rel) {
        return Ok(None);
    }
    if manifest_topic(rel, manifests).is_some() {
        let (without, _) = manifest::split_hints(text)
            .map_err(|e| format!("{}: {e}", rel.display()))?;
        return Ok(Some(without));
    }
    let Some(krate) = crate_of(rel) else {
        return Ok(Some(text.to_string()));
    };
    if krate == "course" || rel.extension().is_none_or(|e| e != "rs") {
        return Ok(Some(text.to_string()));
    }
    let has_markers = text.lines().any(exercise::is_solution_marker);
    let lib = rel.ends_with("src/lib.rs") && stubbed.contains(&krate);
    if !has_markers && lib {
        return Ok(Some(allow_unused_in_lib(text)));
    }
    if !has_markers || !stubbed.contains(&krate) {
        if has_markers && !manifests.contains_key(&krate) {
            return Err(format!(
                "{}: solution regions in crate {krate}, which has no \
                 exercises/{krate}.toml",
                rel.display()
            ));
        }
        return Ok(Some(text.to_string()));
    }
    let m = &manifests[&krate];
    let (mut out, mut found) = exercise::stub_source(text, |id| m.exercise(id))
        .map_err(|e| format!("{}: {e}", rel.display()))?;
    if lib {
        out = allow_unused_in_lib(&out);
    }
    ids.append(&mut found);
    Ok(Some(out))
}

/// The topic of a manifest, `exercises/<topic>.toml`, when `rel` is one.
fn manifest_topic<'a>(
    rel: &Path,
    manifests: &'a BTreeMap<String, Manifest>,
) -> Option<&'a str> {
    let mut c = rel.components();
    let first = c.next()?.as_os_str();
    let file = Path::new(c.next()?.as_os_str());
    if first != "exercises" || c.next().is_some() {
        return None;
    }
    let topic = file.file_stem()?.to_str()?;
    let toml = file.extension().is_some_and(|e| e == "toml");
    manifests
        .get_key_value(topic)
        .filter(|_| toml)
        .map(|(k, _)| k.as_str())
}

/// The hints file of the student release for a manifest,
/// `exercises/hints/<topic>.toml`, and its text.
pub fn hints_file(
    rel: &Path,
    text: &str,
    manifests: &BTreeMap<String, Manifest>,
) -> Result<Option<(PathBuf, String)>, String> {
    let Some(topic) = manifest_topic(rel, manifests) else {
        return Ok(None);
    };
    let (_, hints) = manifest::split_hints(text)
        .map_err(|e| format!("{}: {e}", rel.display()))?;
    Ok(hints.map(|h| {
        let path = Path::new("exercises")
            .join(manifest::HINTS)
            .join(format!("{topic}.toml"));
        (path, h)
    }))
}

/// A stubbed crate's helpers and imports are used only by the solutions, so
/// its `lib.rs` allows them to be unused (the student tree has no warning).
fn allow_unused_in_lib(src: &str) -> String {
    let attr = "// Student version: what the solutions use stays unused \
                until you write them.\n#![allow(unused_imports, dead_code)]";
    if src.contains("#![allow(unused_imports, dead_code)]") {
        return src.to_string();
    }
    let lines: Vec<&str> = src.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            let t = l.trim_start();
            !(t.starts_with("//!") || t.starts_with("#![") || t.is_empty())
        })
        .unwrap_or(lines.len());
    let mut out: Vec<&str> = lines[..at].to_vec();
    out.push(attr);
    out.extend(&lines[at..]);
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// Writes the student version of `root` into `out`, stubbing every topic
/// with a manifest except those in `reveal`.
pub fn write_tree(
    root: &Path,
    out: &Path,
    reveal: &[String],
    force: bool,
) -> Result<Report, String> {
    let manifests: BTreeMap<String, Manifest> = manifest::load_all(root)?
        .into_iter()
        .map(|m| (m.topic.clone(), m))
        .collect();
    for t in reveal {
        if !manifests.contains_key(t) {
            return Err(format!(
                "--reveal {t}: unknown topic (topics with exercises: {})",
                manifests.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let stubbed: BTreeSet<String> = manifests
        .keys()
        .filter(|t| !reveal.contains(t))
        .cloned()
        .collect();
    check_out(root, out, force)?;
    write_through_temp(out, &[".git", "target"], |tmp| {
        write_files(root, tmp, &manifests, &stubbed)
    })
}

/// Writes the student files of `root` into the empty folder `out`.
fn write_files(
    root: &Path,
    out: &Path,
    manifests: &BTreeMap<String, Manifest>,
    stubbed: &BTreeSet<String>,
) -> Result<Report, String> {
    let mut report = Report::default();
    let mut changed = Vec::new();
    for rel in source_files(root)? {
        let src = root.join(&rel);
        let dst = out.join(&rel);
        let bytes = std::fs::read(&src)
            .map_err(|e| format!("{}: {e}", src.display()))?;
        let mut ids = Vec::new();
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Some((hrel, hints)) = hints_file(&rel, text, manifests)?
        {
            let hdst = out.join(hrel);
            if let Some(parent) = hdst.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(&hdst, hints)
                .map_err(|e| format!("{}: {e}", hdst.display()))?;
            report.files += 1;
        }
        let new = match std::str::from_utf8(&bytes) {
            Ok(text) => {
                match student_text(&rel, text, manifests, stubbed, &mut ids)? {
                    None => {
                        report.hidden_dropped += 1;
                        continue;
                    }
                    Some(t) if t != text => {
                        changed.push(dst.clone());
                        t.into_bytes()
                    }
                    Some(_) => bytes,
                }
            }
            Err(_) => bytes,
        };
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&dst, new)
            .map_err(|e| format!("{}: {e}", dst.display()))?;
        if !ids.is_empty() {
            report
                .stubbed_topics
                .insert(crate_of(&rel).unwrap_or_default());
        }
        report.stubbed.extend(ids);
        report.files += 1;
    }
    // Every exercise of a stubbed topic must have been found.
    for t in stubbed {
        for e in &manifests[t].exercises {
            if !report.stubbed.contains(&e.id) {
                return Err(format!(
                    "exercise {} (exercises/{t}.toml) has no `// BEGIN \
                     SOLUTION {}` region in crates/{t}",
                    e.id, e.id
                ));
            }
        }
    }
    rustfmt(&changed);
    check_no_leak(out, stubbed)?;
    Ok(report)
}

/// Formats the files the tool rewrote, as `cargo fmt` would (best effort:
/// a missing rustfmt leaves the stubs as written).
pub fn rustfmt(files: &[PathBuf]) {
    if files.is_empty() {
        return;
    }
    // `skip_children` is unstable: format each file alone by giving
    // rustfmt no module tree to follow beyond the files themselves.
    let status = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(files)
        .stderr(std::process::Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("note: rustfmt did not run on the stubbed files");
    }
}

/// `path` made absolute with its nearest existing ancestor canonicalised
/// (so `a/../b` and symlinks cannot hide where a folder not yet made is).
fn resolve(path: &Path) -> PathBuf {
    let abs = std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut base = abs.as_path();
    let mut rest = Vec::new();
    while !base.exists() {
        let (Some(name), Some(parent)) = (base.file_name(), base.parent())
        else {
            break;
        };
        rest.push(name.to_os_string());
        base = parent;
    }
    let mut out = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

/// An output folder must not be the workspace or inside it (but below its
/// `target/`, which is built output): `--force` empties it.
pub fn refuse_inside_workspace(root: &Path, out: &Path) -> Result<(), String> {
    let (out_c, root_c) = (resolve(out), resolve(root));
    if out_c.starts_with(&root_c) && !out_c.starts_with(root_c.join("target")) {
        return Err(format!(
            "--out {} is inside the workspace; choose a folder outside it \
             (or below its target/)",
            out.display()
        ));
    }
    Ok(())
}

/// Refuses an output folder inside the workspace, and a non-empty one
/// unless `force`.
pub fn check_out(root: &Path, out: &Path, force: bool) -> Result<(), String> {
    refuse_inside_workspace(root, out)?;
    if !force && std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(format!(
            "{} is not empty: pass --force to overwrite it (its .git and \
             target/ are kept)",
            out.display()
        ));
    }
    Ok(())
}

/// Builds a folder in a temporary sibling of `out` (`.<name>.partial-<pid>`)
/// and puts it in place only when `build` succeeds, so a command failing
/// part way leaves no half-written folder: `out` stays as it was. An
/// existing `out` is then emptied but for the entries named in `keep`
/// (`.git`, `target`), and receives the new files.
pub fn write_through_temp<T>(
    out: &Path,
    keep: &[&str],
    build: impl FnOnce(&Path) -> Result<T, String>,
) -> Result<T, String> {
    let abs = resolve(out);
    let (Some(name), Some(parent)) = (abs.file_name(), abs.parent()) else {
        return Err(format!("--out {}: not a folder to write", out.display()));
    };
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    let value = match build(&tmp) {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    move_into_place(&tmp, &abs, keep).map_err(|e| {
        format!("{e} (the new version is left in {})", tmp.display())
    })?;
    Ok(value)
}

fn move_into_place(
    tmp: &Path,
    out: &Path,
    keep: &[&str],
) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    if !out.exists() {
        return std::fs::rename(tmp, out).map_err(|e| err(out, e));
    }
    for e in std::fs::read_dir(out).map_err(|e| err(out, e))?.flatten() {
        if keep.iter().any(|k| e.file_name() == *k) {
            continue;
        }
        let p = e.path();
        let r = if p.is_dir() && !p.is_symlink() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.map_err(|e| err(&p, e))?;
    }
    for e in std::fs::read_dir(tmp).map_err(|e| err(tmp, e))?.flatten() {
        let to = out.join(e.file_name());
        if to.exists() {
            // A kept name the new tree also has: the new one wins.
            let _ = std::fs::remove_dir_all(&to);
            let _ = std::fs::remove_file(&to);
        }
        std::fs::rename(e.path(), &to).map_err(|e| err(&to, e))?;
    }
    std::fs::remove_dir(tmp).map_err(|e| err(tmp, e))
}

/// No solution marker and no hidden test is left in a stubbed topic.
pub fn check_no_leak(
    out: &Path,
    stubbed: &BTreeSet<String>,
) -> Result<(), String> {
    let mut files = Vec::new();
    walk(out, out, &mut files);
    let mut leaks = Vec::new();
    for rel in files {
        let Some(krate) = crate_of(&rel) else {
            continue;
        };
        if !stubbed.contains(&krate) {
            continue;
        }
        if is_hidden_test(&rel) {
            leaks.push(format!("{}: hidden test file", rel.display()));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(out.join(&rel)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if exercise::is_solution_marker(line) {
                leaks.push(format!(
                    "{}:{}: {}",
                    rel.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    if leaks.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the student version leaks solutions:\n{}",
            leaks.join("\n")
        ))
    }
}

fn git(
    root: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
) -> Result<String, String> {
    let mut c = Command::new("git");
    c.args(args).current_dir(root);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().map_err(|e| format!("git: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Commits the tree in `out` on `branch` of the repository at `root`: a
/// private index, `commit-tree` and `update-ref`, so `main`, `HEAD`, the
/// index and the working tree are never touched. A new branch starts on
/// `start` (an earlier student release) or, without it, with a commit that
/// has no parent: the branch never contains `main`'s history, hence no
/// solution.
pub fn commit_to_branch(
    root: &Path,
    out: &Path,
    branch: &str,
    start: Option<&str>,
    reveal: &[String],
) -> Result<String, String> {
    git(root, &["check-ref-format", "--branch", branch], &[])?;
    let current = git(root, &["symbolic-ref", "--short", "-q", "HEAD"], &[])
        .unwrap_or_default();
    if current == branch || branch == "main" {
        return Err(format!(
            "--branch {branch}: that is the instructors' branch; name a \
             student branch (e.g. student-week3)"
        ));
    }
    let index = std::env::temp_dir()
        .join(format!("course-student-index-{}", std::process::id()));
    let _ = std::fs::remove_file(&index);
    let work = out
        .canonicalize()
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let work_arg = format!("--work-tree={}", work.display());
    let env = [("GIT_INDEX_FILE", index.as_path())];
    git(root, &[&work_arg, "add", "-A", "."], &env)?;
    let tree = git(root, &["write-tree"], &env)?;
    let _ = std::fs::remove_file(&index);
    let parent = git(
        root,
        &[
            "rev-parse",
            "-q",
            "--verify",
            &format!("refs/heads/{branch}"),
        ],
        &[],
    )
    .ok()
    .filter(|s| !s.is_empty());
    let parent = match (parent, start) {
        (Some(p), _) => Some(p),
        (None, Some(s)) => Some(
            git(root, &["rev-parse", "-q", "--verify", s], &[])
                .map_err(|_| format!("--parent {s}: no such git ref"))?,
        ),
        (None, None) => None,
    };
    // Refuse to extend a branch that shares history with main.
    if let Some(p) = &parent {
        let base =
            git(root, &["merge-base", p, "HEAD"], &[]).unwrap_or_default();
        if !base.is_empty() {
            return Err(format!(
                "branch {branch} (or its --parent) shares history with the \
                 current branch; a student branch must hold only student \
                 versions"
            ));
        }
    }
    let msg = format!(
        "Student version{}",
        if reveal.is_empty() {
            String::new()
        } else {
            format!(", solutions revealed: {}", reveal.join(", "))
        }
    );
    let mut args = vec!["commit-tree", tree.as_str(), "-m", msg.as_str()];
    if let Some(p) = &parent {
        args.extend(["-p", p.as_str()]);
    }
    let commit = git(root, &args, &[])?;
    git(
        root,
        &["update-ref", &format!("refs/heads/{branch}"), &commit],
        &[],
    )?;
    Ok(commit)
}

/// The exercise ids marked in a crate's sources: a `// BEGIN SOLUTION
/// <id>` region (solution side) or an `// EXERCISE <id>` line (student
/// side).
pub fn marked_ids(
    crate_dir: &Path,
) -> Result<std::collections::BTreeSet<String>, String> {
    let mut files = Vec::new();
    walk(crate_dir, &crate_dir.join("src"), &mut files);
    let mut ids = std::collections::BTreeSet::new();
    for rel in files
        .iter()
        .filter(|r| r.extension().is_some_and(|e| e == "rs"))
    {
        let path = crate_dir.join(rel);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for line in text.lines() {
            if let Some(id) = exercise::marker_id(line, exercise::BEGIN)
                .or_else(|| exercise::marker_id(line, EXERCISE))
            {
                ids.insert(id.to_string());
            }
        }
    }
    Ok(ids)
}

/// Every `// EXERCISE <id>` site of a crate's sources (student side).
pub fn stub_sites(
    crate_dir: &Path,
) -> Result<Vec<(PathBuf, exercise::StubSite)>, String> {
    let mut files = Vec::new();
    walk(crate_dir, &crate_dir.join("src"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for rel in files {
        if rel.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let path = crate_dir.join(&rel);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if !text.contains(EXERCISE) {
            continue;
        }
        for site in exercise::find_stub_sites(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?
        {
            out.push((path.clone(), site));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Fixture;

    #[test]
    fn writes_a_student_tree_without_solutions_or_hidden_tests() {
        let fx = Fixture::new("student-tree");
        let out = fx.scratch("out");
        let r = write_tree(&fx.root, &out, &[], false).unwrap();
        assert_eq!(r.stubbed, ["toy-add", "toy-scale"]);
        assert_eq!(r.hidden_dropped, 1);
        let lib =
            std::fs::read_to_string(out.join("crates/toy/src/lib.rs")).unwrap();
        assert!(lib.contains("// EXERCISE toy-add"), "{lib}");
        assert!(lib.contains("todo!(\"exercise toy-add: Add two numbers"));
        assert!(!lib.contains("    a + b\n"), "{lib}");
        assert!(!out.join("crates/toy/tests/hidden_extra.rs").exists());
        assert!(out.join("crates/toy/tests/graded.rs").exists());
        // Refuses a non-empty folder without --force; --force rewrites.
        let err = write_tree(&fx.root, &out, &[], false).unwrap_err();
        assert!(err.contains("--force"), "{err}");
        write_tree(&fx.root, &out, &["toy".into()], true).unwrap();
        let lib =
            std::fs::read_to_string(out.join("crates/toy/src/lib.rs")).unwrap();
        assert!(
            lib.contains("    a + b\n"),
            "revealed topic keeps its solution"
        );
        let err =
            write_tree(&fx.root, &out, &["nope".into()], true).unwrap_err();
        assert!(err.contains("unknown topic"), "{err}");
    }

    #[test]
    fn the_student_manifest_has_no_hint_and_cargo_course_hint_shows_it() {
        let fx = Fixture::new("student-hints");
        let out = fx.scratch("out");
        write_tree(&fx.root, &out, &[], false).unwrap();
        let m =
            std::fs::read_to_string(out.join("exercises/toy.toml")).unwrap();
        assert!(!m.contains("hint") && !m.contains("Multiply"), "{m}");
        assert!(m.contains("title = \"Scale a number\""), "{m}");
        let h = std::fs::read_to_string(out.join("exercises/hints/toy.toml"))
            .unwrap();
        assert!(h.contains("\"toy-scale\" = \"Multiply.\""), "{h}");
        let t = crate::hint::text(&out, "toy-scale").unwrap();
        assert!(t.contains("Multiply."), "{t}");
        // The instructors' manifest keeps its hints.
        let own = manifest::load_topic(&fx.root, "toy").unwrap();
        assert_eq!(own.exercise("toy-add").unwrap().hint, "Use +.");
    }

    #[test]
    fn multi_line_hints_leave_the_manifest_and_come_back_whole() {
        let text = "topic = \"t\"\ntitle = \"T\"\nchapter = \"t/index.md\"\n\n\
                    [[exercise]]\nid = \"a-b\"\ntitle = \"A\"\npoints = 2\n\
                    section = \"t/a.md#x\"\nhint = \"\"\"\nFirst line,\n\
                    hint = inside the text\nlast.\n\"\"\"\n\n[[exercise]]\n\
                    id = \"c\"\ntitle = \"C\"\npoints = 1\n\
                    section = \"t/c.md\"\nhint = '''\nraw \\ text\n'''\n\
                    optional = true\n";
        let (without, hints) = manifest::split_hints(text).unwrap();
        assert!(!without.contains("hint") && !without.contains("raw"));
        assert!(without.contains("optional = true"), "{without}");
        let hints = hints.unwrap();
        assert!(hints.contains("\"c\" = "), "{hints}");
        let m = manifest::parse(text).unwrap();
        let dir = std::env::temp_dir()
            .join(format!("course-split-hints-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("hints")).unwrap();
        std::fs::write(dir.join("t.toml"), &without).unwrap();
        std::fs::write(dir.join("hints/t.toml"), &hints).unwrap();
        let back = manifest::load(&dir.join("t.toml")).unwrap();
        for (a, b) in back.exercises.iter().zip(&m.exercises) {
            assert_eq!(a.hint, b.hint);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_manifest_exercise_without_region_is_an_error() {
        let fx = Fixture::new("student-missing");
        fx.append_manifest(
            "[[exercise]]\nid = \"toy-ghost\"\ntitle = \"G\"\npoints = 1\n\
             section = \"toy/index.md\"\n",
        );
        let err =
            write_tree(&fx.root, &fx.scratch("out"), &[], false).unwrap_err();
        assert!(err.contains("toy-ghost"), "{err}");
        assert!(err.contains("no `// BEGIN"), "{err}");
    }

    #[test]
    fn branch_commits_never_touch_main() {
        let fx = Fixture::new("student-branch");
        fx.git_init();
        let head = git(&fx.root, &["rev-parse", "HEAD"], &[]).unwrap();
        let out = fx.scratch("out");
        write_tree(&fx.root, &out, &[], false).unwrap();
        let c1 =
            commit_to_branch(&fx.root, &out, "student", None, &[]).unwrap();
        write_tree(&fx.root, &out, &["toy".into()], true).unwrap();
        let c2 =
            commit_to_branch(&fx.root, &out, "student", None, &["toy".into()])
                .unwrap();
        assert_eq!(git(&fx.root, &["rev-parse", "HEAD"], &[]).unwrap(), head);
        assert_eq!(
            git(&fx.root, &["rev-parse", &format!("{c2}^")], &[]).unwrap(),
            c1
        );
        let lib1 = git(
            &fx.root,
            &["show", &format!("{c1}:crates/toy/src/lib.rs")],
            &[],
        )
        .unwrap();
        assert!(
            lib1.contains("EXERCISE toy-add") && !lib1.contains("    a + b\n")
        );
        assert!(
            git(&fx.root, &["status", "--porcelain"], &[])
                .unwrap()
                .is_empty()
        );
        assert!(commit_to_branch(&fx.root, &out, "main", None, &[]).is_err());

        // The next release starts on the last one, so students can pull it.
        let c3 = commit_to_branch(
            &fx.root,
            &out,
            "student-wk2",
            Some("student"),
            &[],
        )
        .unwrap();
        assert_eq!(
            git(&fx.root, &["rev-parse", &format!("{c3}^")], &[]).unwrap(),
            c2
        );
        let err =
            commit_to_branch(&fx.root, &out, "student-wk3", Some("nope"), &[])
                .unwrap_err();
        assert!(err.contains("--parent nope: no such git ref"), "{err}");
        let err =
            commit_to_branch(&fx.root, &out, "student-wk3", Some("main"), &[])
                .unwrap_err();
        assert!(err.contains("shares history"), "{err}");
    }
}
