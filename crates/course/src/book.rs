//! `cargo course book [--serve] [--open] [--student]`: builds the book, and
//! serves it on localhost.
//!
//! * **Tools.** mdBook and mdbook-katex are pinned ([`MDBOOK`], [`KATEX`])
//!   and installed on first use from crates.io with `cargo install --locked`
//!   into `target/tools/` (nothing is installed by hand, nothing outside the
//!   workspace is touched). mdBook is built without its `serve`/`watch`
//!   features: serving is [`crate::serve`], a small static server.
//! * **Exercise pages.** `book/src/<topic>/exercises.md` is regenerated from
//!   the manifests first ([`crate::exercise_pages`]).
//! * **Staging.** The sources are copied to `target/book-stage/<edition>/`
//!   with the `// BEGIN SOLUTION` / `// END SOLUTION` marker lines taken out
//!   of every Rust file, so an included listing never shows a marker; mdBook
//!   then builds from the copy, whose relative `{{#include}}` paths are those
//!   of the sources.
//! * **Editions.** The instructors' edition is built from this tree into
//!   `book/book/`. `--student` first writes a fresh student version of the
//!   workspace with `cargo course student --out target/student-edition`
//!   (every exercise body a `todo!()` naming the exercise) and builds its
//!   book into `book/student/`.
//! * **After the build** the pages are checked like `cargo course check`
//!   does ([`crate::links::built_problems`]): no external URL that a page
//!   would load, no solution marker, no unrendered math, no broken link.

use crate::{exercise_pages, links, serve, workspace};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The pinned mdBook (built with its `search` feature only). It must be
/// the mdBook that [`KATEX`] was built against (`cargo install --locked`
/// builds mdbook-katex 0.10.0 with its own lock file, which holds
/// `mdbook-preprocessor` 0.5.3), or every build starts with mdbook-katex's
/// "built against mdbook v0.5.3, but we are being called from mdbook
/// v0.5.4" warning; [`build`] fails on that warning.
pub const MDBOOK: (&str, &str) = ("mdbook", "0.5.3");
/// The pinned mdbook-katex (LaTeX → MathML at build time; 0.10.0 is the
/// newest release).
pub const KATEX: (&str, &str) = ("mdbook-katex", "0.10.0");

/// Options of `cargo course book`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Serve the built book on http://127.0.0.1:PORT/ until stopped.
    #[arg(long)]
    pub serve: bool,
    /// Open the book in the desktop's browser.
    #[arg(long)]
    pub open: bool,
    /// Build the student edition (from a fresh student version of the
    /// workspace) into book/student/ instead of the instructors' edition.
    #[arg(long)]
    pub student: bool,
    /// The port for --serve (0: any free port; the URL is printed).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Only regenerate the exercise pages (book/src/<topic>/exercises.md)
    /// from the manifests; build nothing.
    #[arg(long)]
    pub pages: bool,
    /// Do not build: serve or open the edition built last time.
    #[arg(long)]
    pub no_build: bool,
}

/// `<root>/target`, or `CARGO_TARGET_DIR`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// Where the pinned tools are installed: `target/tools`.
pub fn tools_root(root: &Path) -> PathBuf {
    target_dir(root).join("tools")
}

/// `<tool> --version` prints `<name> [v]<version>`.
fn has_version(exe: &Path, version: &str) -> bool {
    Command::new(exe).arg("--version").output().is_ok_and(|o| {
        let out = String::from_utf8_lossy(&o.stdout);
        o.status.success()
            && out
                .split_whitespace()
                .any(|w| w.trim_start_matches('v') == version)
    })
}

/// The folder holding `mdbook` and `mdbook-katex` at the pinned versions,
/// installing them first when they are missing.
pub fn ensure_tools(root: &Path) -> Result<PathBuf, String> {
    let tools = tools_root(root);
    let bin = tools.join("bin");
    let exe = |name: &str| {
        bin.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    };
    let missing: Vec<(&str, &str)> = [MDBOOK, KATEX]
        .into_iter()
        .filter(|(name, v)| !has_version(&exe(name), v))
        .collect();
    if missing.is_empty() {
        return Ok(bin);
    }
    let names: Vec<String> =
        missing.iter().map(|(n, v)| format!("{n} {v}")).collect();
    eprintln!(
        "course book: first use: building {} from crates.io into {} \
         (once; about 8 minutes on 2 cores)",
        names.join(" and "),
        tools.display()
    );
    let start = Instant::now();
    let build = tools.join("build");
    for (name, version) in &missing {
        let mut cmd = Command::new(crate::figures::cargo());
        cmd.current_dir(root)
            .args(["install", "--locked", "--force"]);
        cmd.arg(format!("{name}@{version}"));
        if *name == MDBOOK.0 {
            // Serving is ours; mdBook's server and file watcher are not
            // needed, and leaving them out halves its build.
            cmd.args(["--no-default-features", "--features", "search"]);
        }
        cmd.arg("--root")
            .arg(&tools)
            .arg("--target-dir")
            .arg(&build);
        // The tools are run by path, never from PATH; with their folder on
        // the child's PATH, cargo does not warn a newcomer to add it.
        let mut path = vec![tools.join("bin")];
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        if let Ok(joined) = std::env::join_paths(path) {
            cmd.env("PATH", joined);
        }
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run cargo install: {e}"))?;
        if !status.success() {
            return Err(format!(
                "`cargo install {name}@{version}` failed: the first build of \
                 the book needs crates.io"
            ));
        }
    }
    // The intermediate build (about 500 MB) is not needed any more.
    let _ = std::fs::remove_dir_all(&build);
    eprintln!(
        "course book: tools ready in {:.0}s",
        start.elapsed().as_secs_f64()
    );
    Ok(bin)
}

/// Copies the workspace at `from` to `to` (the build outputs, `target/` and
/// `.git` left out), dropping solution-marker lines from Rust files.
pub fn stage(from: &Path, to: &Path) -> Result<usize, String> {
    if to.exists() {
        std::fs::remove_dir_all(to)
            .map_err(|e| format!("{}: {e}", to.display()))?;
    }
    let skip = |rel: &Path| {
        let s = rel.to_string_lossy().replace('\\', "/");
        s == "target"
            || s == ".git"
            || s == "book/book"
            || s == "book/student"
            || s.ends_with("/target")
    };
    let mut n = 0;
    let walk = walkdir::WalkDir::new(from).into_iter().filter_entry(|e| {
        !skip(e.path().strip_prefix(from).unwrap_or(e.path()))
    });
    for entry in walk {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
        } else if entry.file_type().is_file() {
            if entry.path().extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(entry.path())
                    .map_err(|e| format!("{}: {e}", entry.path().display()))?;
                let kept: String = text
                    .split_inclusive('\n')
                    .filter(|l| !crate::exercise::is_solution_marker(l))
                    .collect();
                std::fs::write(&dest, kept).map_err(|e| e.to_string())?;
            } else {
                std::fs::copy(entry.path(), &dest)
                    .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Registers [`crate::mathml_guard`] (this program) as a preprocessor
/// after mdbook-katex in the staged `book.toml`.
fn add_mathml_guard(book_toml: &Path) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let me = me.to_string_lossy();
    if me.contains('\'') {
        return Err(format!("cannot quote the path {me}"));
    }
    let mut text = std::fs::read_to_string(book_toml)
        .map_err(|e| format!("{}: {e}", book_toml.display()))?;
    text.push_str(&format!(
        "\n[preprocessor.mathml-guard]\ncommand = \"'{}' \
         mdbook-mathml-guard\"\nafter = [\"katex\"]\n",
        me.replace('\\', "\\\\").replace('"', "\\\"")
    ));
    std::fs::write(book_toml, text).map_err(|e| e.to_string())
}

/// Writes a fresh student version of the workspace into `out` with the
/// grading tools' `cargo course student`.
fn student_tree(out: &Path) -> Result<(), String> {
    if out.exists() {
        std::fs::remove_dir_all(out)
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let status = Command::new(me)
        .arg("student")
        .arg("--out")
        .arg(out)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("`cargo course student` failed".into());
    }
    Ok(())
}

/// Builds one edition of the book: from the workspace at `source` into
/// `out`, staged in `stage_dir`.
pub fn build(
    root: &Path,
    source: &Path,
    stage_dir: &Path,
    out: &Path,
) -> Result<usize, String> {
    let bin = ensure_tools(root)?;
    let start = Instant::now();
    let files = stage(source, stage_dir)?;
    add_mathml_guard(&stage_dir.join("book/book.toml"))?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(paths).map_err(|e| e.to_string())?;
    if out.exists() {
        std::fs::remove_dir_all(out)
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let status = Command::new(bin.join("mdbook"))
        .arg("build")
        .arg(stage_dir.join("book"))
        .arg("--dest-dir")
        .arg(out)
        .env("PATH", path)
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| format!("mdbook: {e}"))?;
    let stderr = String::from_utf8_lossy(&status.stderr);
    eprint!("{stderr}");
    if !status.status.success() {
        return Err("mdbook build failed (see above)".into());
    }
    if let Some(e) = version_mismatch(&stderr) {
        return Err(e);
    }
    let pages = walkdir::WalkDir::new(out)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .count();
    eprintln!(
        "course book: {pages} pages from {files} staged files in {:.1}s → {}",
        start.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(pages)
}

/// mdbook-katex's warning that it was built against another mdBook than
/// the one running it, as an error naming the pins to change.
fn version_mismatch(stderr: &str) -> Option<String> {
    let line = stderr
        .lines()
        .find(|l| l.contains("was built against mdbook"))?;
    Some(format!(
        "the pinned tools disagree ({}): pin in crates/course/src/book.rs \
         the mdBook that {} {} was built against (MDBOOK is {})",
        line.trim(),
        KATEX.0,
        KATEX.1,
        MDBOOK.1
    ))
}

/// `cargo course book`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root()?;
    if !args.no_build {
        let n = exercise_pages::write_all(&root)?;
        if n > 0 || args.pages {
            eprintln!(
                "course book: {n} exercise page(s) rewritten from \
                 exercises/*.toml"
            );
        }
    }
    if args.pages {
        return Ok(());
    }
    let target = target_dir(&root);
    let (edition, out) = if args.student {
        ("student", root.join("book/student"))
    } else {
        ("instructors'", root.join("book/book"))
    };
    if !args.no_build {
        let source = if args.student {
            let tree = target.join("student-edition");
            student_tree(&tree)?;
            exercise_pages::write_all(&tree)?;
            tree
        } else {
            root.clone()
        };
        let stage_dir = target.join("book-stage").join(if args.student {
            "student"
        } else {
            "instructors"
        });
        build(&root, &source, &stage_dir, &out)?;
        let problems = links::built_problems(&out);
        for p in &problems {
            eprintln!("warning: {p}");
        }
        if !problems.is_empty() {
            eprintln!(
                "course book: {} problem(s) in the built book; `cargo course \
                 check` fails on them",
                problems.len()
            );
        }
    }
    if !out.join("index.html").is_file() {
        return Err(format!(
            "no built book in {}: run without --no-build",
            out.display()
        ));
    }
    println!("course book: the {edition} edition is in {}", out.display());
    if args.serve {
        let (listener, url) = serve::bind(args.port)?;
        println!("course book: serving {url} (Ctrl-C to stop)");
        if args.open {
            serve::open(&url);
        }
        serve::serve(listener, out)
    } else {
        if args.open {
            serve::open(&format!(
                "file://{}",
                out.join("index.html").display()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_drops_solution_markers_and_build_outputs() {
        let dir = std::env::temp_dir()
            .join(format!("course-stage-{}", std::process::id()));
        let src = dir.join("src");
        std::fs::create_dir_all(src.join("crates/a/src")).unwrap();
        std::fs::create_dir_all(src.join("book/book")).unwrap();
        std::fs::create_dir_all(src.join("target/x")).unwrap();
        std::fs::write(
            src.join("crates/a/src/lib.rs"),
            "fn f() -> u8 {\n    // ANCHOR: f\n    // BEGIN SOLUTION f\n    1\n    \
             // END SOLUTION\n    // ANCHOR_END: f\n}\n",
        )
        .unwrap();
        std::fs::write(src.join("book/book/old.html"), "").unwrap();
        std::fs::write(src.join("target/x/big"), "").unwrap();
        let to = dir.join("stage");
        assert_eq!(stage(&src, &to).unwrap(), 1);
        assert_eq!(
            std::fs::read_to_string(to.join("crates/a/src/lib.rs")).unwrap(),
            "fn f() -> u8 {\n    // ANCHOR: f\n    1\n    // ANCHOR_END: f\n}\n"
        );
        assert!(!to.join("book/book").exists() && !to.join("target").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_katex_built_against_another_mdbook_fails_the_build() {
        let warn = "2026-12-07 03:30:00 [WARN] (mdbook_katex): This \
                    mdbook-katex was built against mdbook v0.5.3, but we are \
                    being called from mdbook v0.5.4. If you have any issue, \
                    this might be a reason.\n";
        let e =
            version_mismatch(&format!("[INFO] Book building\n{warn}")).unwrap();
        assert!(e.contains("v0.5.3, but we are being called"), "{e}");
        assert!(e.contains("crates/course/src/book.rs"), "{e}");
        assert_eq!(version_mismatch("[INFO] HTML book written\n"), None);
    }
}
