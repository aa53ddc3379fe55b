//! `cargo course check`: the book and the code agree.
//!
//! mdBook renders an include whose anchor it cannot find as *nothing*, with
//! no error, so this check fails on every `{{#include file:anchor}}` whose
//! file or `ANCHOR: name` / `ANCHOR_END: name` pair does not exist or whose
//! region is empty, and on an anchor that cuts a solution region in half.
//! It also fails on a topic crate without a chapter in `SUMMARY.md`, on a
//! broken internal link or heading anchor, on a display equation without
//! code in its section (`crate::equations`), on an exercises page that
//! differs from its manifest, on a figure that is missing or stale
//! (`crate::figures`), and — when the book has been built — on a built page
//! that loads anything from the network, shows a solution marker or leaves
//! math unrendered (`crate::links::built_problems`).

use crate::exercise;
use crate::workspace::{self, TOPICS};
use std::path::{Path, PathBuf};

/// Options of `cargo course check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace to check (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// Runs every check and reports all problems at once.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    let mut problems = Vec::new();
    let src = root.join("book/src");
    let mut files = Vec::new();
    workspace::files_with_extension(&src, "md", &mut files);
    let mut includes = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        for (line_no, inc) in find_includes(&text) {
            includes += 1;
            if let Err(p) = check_include(file, &inc) {
                problems.push(format!(
                    "{}:{}: {{{{#include {inc}}}}}: {p}",
                    file.strip_prefix(&root).unwrap_or(file).display(),
                    line_no
                ));
            }
        }
    }
    problems.extend(check_chapters(&root));
    problems.extend(check_exercise_entries(&root));
    problems.extend(crate::links::source_problems(&src, &files));
    problems.extend(crate::equations::problems(&src, &files));
    problems.extend(crate::exercise_pages::problems(&root));
    let student = is_student_tree(&root);
    problems.extend(crate::figures::problems(&root, student));
    let mut built = Vec::new();
    for edition in ["book/book", "book/student"] {
        let dir = root.join(edition);
        if dir.join("index.html").is_file() {
            problems.extend(
                crate::links::built_problems(&dir)
                    .into_iter()
                    .map(|p| format!("{edition}/{p}")),
            );
            built.push(edition);
        }
    }
    if problems.is_empty() {
        println!(
            "course check{}: {} markdown files, {includes} includes resolve, \
             every topic has a chapter, links and anchors resolve, every \
             equation has its code, exercise pages match their manifests, figures are fresh{}",
            if student { " (student tree)" } else { "" },
            files.len(),
            if built.is_empty() {
                " (no built book to check: run `cargo course book`)".to_string()
            } else {
                format!(
                    ", the built book ({}) loads nothing from the network",
                    built.join(", ")
                )
            }
        );
        Ok(())
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        Err(format!("course check: {} problem(s)", problems.len()))
    }
}

/// A student version of the workspace: some Rust source under `crates/`
/// has a `// EXERCISE <id>` line where a solution was.
pub fn is_student_tree(root: &Path) -> bool {
    walkdir::WalkDir::new(root.join("crates"))
        .into_iter()
        // The course CLI's own sources mention the stub line; only the
        // topic crates tell a student tree from `main`.
        .filter_entry(|e| {
            e.file_name() != "target" && e.file_name() != "course"
        })
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .any(|e| {
            std::fs::read_to_string(e.path()).is_ok_and(|t| {
                t.lines().any(|l| {
                    exercise::marker_id(l, exercise::EXERCISE)
                        .is_some_and(|id| !id.is_empty())
                })
            })
        })
}

/// `(line number, "path:anchor")` of every `{{#include …}}` in `text`.
pub fn find_includes(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{#include ") {
            let after = &rest[start + "{{#include ".len()..];
            let Some(end) = after.find("}}") else { break };
            out.push((i + 1, after[..end].trim().to_string()));
            rest = &after[end + 2..];
        }
    }
    out
}

/// The include's file exists and, if it names an anchor, both markers do.
fn check_include(md_file: &Path, include: &str) -> Result<(), String> {
    let (path, anchor) = match include.split_once(':') {
        Some((p, a)) => (p, Some(a)),
        None => (include, None),
    };
    let target = md_file.parent().unwrap_or(Path::new(".")).join(path);
    let code = std::fs::read_to_string(&target)
        .map_err(|_| format!("file {} does not exist", target.display()))?;
    let Some(anchor) = anchor else { return Ok(()) };
    // Line ranges (`file:3:10`) are allowed but discouraged: they drift.
    if anchor.chars().all(|c| c.is_ascii_digit() || c == ':') {
        return Ok(());
    }
    let has = |marker: &str| {
        code.lines().any(|l| {
            l.split_once(marker)
                .is_some_and(|(_, name)| name.trim() == anchor)
        })
    };
    match (has("ANCHOR: "), has("ANCHOR_END: ")) {
        (true, true) => {}
        (false, _) => return Err(format!("no `ANCHOR: {anchor}` in {path}")),
        (true, false) => {
            return Err(format!("no `ANCHOR_END: {anchor}` in {path}"));
        }
    }
    // What mdBook will show: the lines between the markers, other markers
    // dropped. It must not be empty, and must not open or close a solution
    // region without the other half.
    let mut inside = false;
    let mut shown = Vec::new();
    for l in code.lines() {
        let name_is =
            |m: &str| l.split_once(m).is_some_and(|(_, n)| n.trim() == anchor);
        if name_is("ANCHOR: ") {
            inside = true;
        } else if name_is("ANCHOR_END: ") {
            break;
        } else if inside
            && !l.contains("ANCHOR: ")
            && !l.contains("ANCHOR_END: ")
        {
            shown.push(l.trim());
        }
    }
    if shown.iter().all(|l| l.is_empty()) {
        return Err(format!("anchor `{anchor}` in {path} is empty"));
    }
    let count = |marker: &str| {
        shown
            .iter()
            .filter(|l| exercise::marker_id(l, marker).is_some())
            .count()
    };
    let (begins, ends) = (count(exercise::BEGIN), count(exercise::END));
    if begins != ends {
        return Err(format!(
            "anchor `{anchor}` in {path} holds {begins} `BEGIN SOLUTION` and \
             {ends} `END SOLUTION` lines: put the anchor around a whole \
             exercise region, or wholly inside or outside one"
        ));
    }
    Ok(())
}

/// Every topic with a manifest ends its chapter in `SUMMARY.md` with its
/// generated exercises page.
fn check_exercise_entries(root: &Path) -> Vec<String> {
    let summary = std::fs::read_to_string(root.join("book/src/SUMMARY.md"))
        .unwrap_or_default();
    let Ok(manifests) = crate::manifest::load_all(root) else {
        return Vec::new(); // reported by the exercise-page check
    };
    let mut out = Vec::new();
    for m in manifests {
        let t = &m.topic;
        let entry = format!("]({t}/exercises.md)");
        let Some(at) = summary.find(&entry) else {
            out.push(format!(
                "book/src/SUMMARY.md: no `- [Exercises]({t}/exercises.md)` \
                 entry at the end of the {t} chapter"
            ));
            continue;
        };
        // No other page of the topic may follow it.
        let after = &summary[at + entry.len()..];
        if after.contains(&format!("]({t}/")) {
            out.push(format!(
                "book/src/SUMMARY.md: {t}/exercises.md must be the last \
                 page of the {t} chapter"
            ));
        }
    }
    out
}

/// Every topic crate that exists has a chapter linked from `SUMMARY.md`.
fn check_chapters(root: &Path) -> Vec<String> {
    let summary = std::fs::read_to_string(root.join("book/src/SUMMARY.md"))
        .unwrap_or_default();
    TOPICS
        .iter()
        .filter(|t| root.join("crates").join(t).is_dir())
        .filter(|t| !summary.contains(&format!("]({t}/")))
        .map(|t| {
            format!(
                "book/src/SUMMARY.md: topic crate {t} has no chapter ({t}/…)"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_include_with_its_line() {
        let md = "a\n{{#include ../x.rs:fwd}} and {{#include y.rs}}\n";
        assert_eq!(
            find_includes(md),
            [(2, "../x.rs:fwd".to_string()), (2, "y.rs".to_string())]
        );
    }

    #[test]
    fn a_missing_anchor_or_file_is_reported() {
        let dir = std::env::temp_dir().join("course-check-test");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.rs"), "// ANCHOR: a\nx\n// ANCHOR_END: a\n")
            .unwrap();
        let md = dir.join("p.md");
        assert!(check_include(&md, "c.rs:a").is_ok());
        assert!(
            check_include(&md, "c.rs:b")
                .unwrap_err()
                .contains("no `ANCHOR: b`")
        );
        assert!(
            check_include(&md, "nope.rs:a")
                .unwrap_err()
                .contains("does not exist")
        );
        // "ANCHOR: ab" must not satisfy anchor "a".
        std::fs::write(dir.join("d.rs"), "// ANCHOR: ab\n// ANCHOR_END: ab\n")
            .unwrap();
        assert!(check_include(&md, "d.rs:a").is_err());
    }

    #[test]
    fn each_manifest_topic_ends_with_its_exercises_page() {
        let dir = std::env::temp_dir()
            .join(format!("course-check-ex-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("exercises")).unwrap();
        std::fs::create_dir_all(dir.join("book/src")).unwrap();
        std::fs::write(
            dir.join("exercises/demo.toml"),
            "topic = \"demo\"\ntitle = \"D\"\nchapter = \"demo/index.md\"\n",
        )
        .unwrap();
        let summary = dir.join("book/src/SUMMARY.md");
        std::fs::write(&summary, "- [D](demo/index.md)\n").unwrap();
        assert!(check_exercise_entries(&dir)[0].contains("no `- [Exercises]"));
        std::fs::write(
            &summary,
            "- [D](demo/index.md)\n  - [Exercises](demo/exercises.md)\n  \
             - [Late](demo/late.md)\n",
        )
        .unwrap();
        assert!(check_exercise_entries(&dir)[0].contains("must be the last"));
        std::fs::write(
            &summary,
            "- [D](demo/index.md)\n  - [Exercises](demo/exercises.md)\n",
        )
        .unwrap();
        assert!(check_exercise_entries(&dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
