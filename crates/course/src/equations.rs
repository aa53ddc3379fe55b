//! Every display equation of the book has its code beside it.
//!
//! A display equation (`$$ … $$`) passes when the section it stands in (the
//! lines from the previous heading to the next) includes Rust or Python
//! code with `{{#include …}}`, or when it is marked as having no code on
//! purpose: an HTML comment `<!-- no code: the reason -->` on one of the two
//! lines before its opening `$$`. The reason is required, so that a reader
//! of the source sees why (a definition, a quotation of the slide, an
//! identity used in a derivation, …).
//!
//! The notation page and the appendices are exempt: they define symbols or
//! quote the slides, and the chapters hold the code.

use std::path::{Path, PathBuf};

/// The marker that exempts one equation.
pub const NO_CODE: &str = "<!-- no code:";

/// Pages whose equations need no code (relative to `book/src`).
fn exempt(rel: &str) -> bool {
    rel == "notation.md"
        || rel.starts_with("appendix/")
        || rel.starts_with("figures/")
}

/// The line of the opening `$$` of every display equation of
/// `text` whose section has no code and that is not marked.
pub fn uncovered(text: &str) -> Vec<usize> {
    let all: Vec<&str> = text.lines().collect();
    let prose = crate::links::prose_lines(text);
    // Sections: runs of prose lines between headings.
    let mut sections: Vec<Vec<(usize, &str)>> = vec![Vec::new()];
    for &(n, line) in &prose {
        if is_heading(line) {
            sections.push(Vec::new());
        }
        sections.last_mut().expect("one section").push((n, line));
    }
    let mut out = Vec::new();
    for section in &sections {
        let mut opens = Vec::new();
        let mut inside = false;
        for &(n, line) in section {
            for _ in 0..line.matches("$$").count() {
                if !inside {
                    opens.push(n);
                }
                inside = !inside;
            }
        }
        if opens.is_empty() || has_code(section, &all) {
            continue;
        }
        out.extend(opens.into_iter().filter(|&n| !marked(&all, n)));
    }
    out
}

fn is_heading(line: &str) -> bool {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    (1..=6).contains(&hashes) && line[hashes..].starts_with(' ')
}

/// The section includes Rust or Python source (includes sit inside fenced
/// blocks, so the whole span of the section is searched).
fn has_code(section: &[(usize, &str)], all: &[&str]) -> bool {
    let (Some(&(first, _)), Some(&(last, _))) =
        (section.first(), section.last())
    else {
        return false;
    };
    // The section ends where the next prose line after `last` begins; the
    // fenced lines in between belong to it.
    let end = (last..all.len())
        .find(|&i| is_heading(all[i]) && !in_fence(all, i))
        .unwrap_or(all.len());
    all[first - 1..end].iter().any(|l| {
        crate::check::find_includes(l).iter().any(|(_, inc)| {
            let path = inc.split(':').next().unwrap_or("");
            path.ends_with(".rs") || path.ends_with(".py")
        })
    })
}

/// Whether line index `i` (0-based) is inside a fenced block.
fn in_fence(all: &[&str], i: usize) -> bool {
    all[..i]
        .iter()
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with("```") || t.starts_with("~~~")
        })
        .count()
        % 2
        == 1
}

/// One of the two lines before line `n` (1-based) carries the marker with
/// a reason.
fn marked(all: &[&str], n: usize) -> bool {
    (n.saturating_sub(3)..n - 1).any(|i| {
        all.get(i).is_some_and(|l| {
            l.trim_start()
                .strip_prefix(NO_CODE)
                .and_then(|r| r.trim().strip_suffix("-->"))
                .is_some_and(|reason| !reason.trim().is_empty())
        })
    })
}

/// Problems of every chapter page under `src`.
pub fn problems(src: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(file).display().to_string();
        if exempt(&rel) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in uncovered(&text) {
            problems.push(format!(
                "book/src/{rel}:{line}: a display equation without code in its \
                 section: include the code that computes it, or mark it \
                 `{NO_CODE} reason -->` on the line before"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_equation_with_code_in_its_section_passes() {
        let page = "# A\n\n$$\ny = Wx\n$$\n\n```rust\n{{#include ../../x.rs:fwd}}\n```\n";
        assert_eq!(uncovered(page), Vec::<usize>::new());
    }

    #[test]
    fn an_equation_whose_code_is_in_another_section_fails() {
        let page = "# A\n\n$$y = Wx$$\n\n## B\n\n```rust\n{{#include ../../x.rs:fwd}}\n```\n";
        assert_eq!(uncovered(page), vec![3]);
    }

    #[test]
    fn a_figure_or_markdown_include_is_not_code() {
        let page =
            "# A\n\n$$\ny = Wx\n$$\n\n{{#include ../figures/table.md}}\n";
        assert_eq!(uncovered(page), vec![3]);
    }

    #[test]
    fn a_marked_equation_passes_only_with_a_reason() {
        let marked =
            "# A\n\n<!-- no code: the slide's definition -->\n$$\ny = Wx\n$$\n";
        assert_eq!(uncovered(marked), Vec::<usize>::new());
        let bare = "# A\n\n<!-- no code: -->\n$$\ny = Wx\n$$\n";
        assert_eq!(uncovered(bare), vec![4]);
    }

    #[test]
    fn dollars_in_a_code_block_are_not_equations() {
        let page = "# A\n\n```text\n$$ not math $$\n```\n";
        assert_eq!(uncovered(page), Vec::<usize>::new());
    }

    #[test]
    fn a_heading_inside_a_fence_does_not_end_the_section() {
        let page = "# A\n\n$$y$$\n\n```rust\n# hidden line\n{{#include ../../x.rs:a}}\n```\n";
        assert_eq!(uncovered(page), Vec::<usize>::new());
    }
}
