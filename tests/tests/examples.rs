//! One rule for every example (CONTRIBUTING.md, "Examples change nothing
//! unless asked"): flags are parsed with clap, and an example writes into
//! `book/` only when `--figures` is given, which is what `cargo course
//! figures` passes. Checked on the sources, so that no example has to run.

use course::figures;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies in the workspace")
        .to_path_buf()
}

/// Every `crates/*/examples/*.rs`, with its text.
fn examples(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let Ok(files) = std::fs::read_dir(krate.path().join("examples")) else {
            continue;
        };
        for f in files.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 10,
        "examples not found under crates/*/examples"
    );
    out
}

#[test]
fn every_example_parses_its_flags_with_clap() {
    for (path, text) in examples(&root()) {
        assert!(
            !text.contains("std::env::args") && !text.contains("env::args()"),
            "{}: parses flags by hand; use clap (`#[derive(Parser)]`)",
            path.display()
        );
        assert!(
            text.contains("Parser") && text.contains("::parse()"),
            "{}: has no clap `Args::parse()`",
            path.display()
        );
    }
}

#[test]
fn examples_that_write_figures_ask_for_the_figures_flag() {
    for (path, text) in examples(&root()) {
        if !text.contains("figure_path") {
            continue;
        }
        // a clap flag `figures: bool`, and every write behind it
        assert!(
            text.contains("figures: bool"),
            "{}: writes into book/src/figures but has no `--figures` flag",
            path.display()
        );
        assert!(
            ["args.figures", "a.figures", "if figures", "&& figures"]
                .iter()
                .any(|use_| text.contains(use_)),
            "{}: declares --figures but never reads it",
            path.display()
        );
    }
}

#[test]
fn every_figure_generator_passes_the_figures_flag() {
    let root = root();
    let all = figures::load_all(&root).expect("figures.toml files parse");
    assert!(!all.is_empty(), "no crates/*/figures.toml found");
    for c in all {
        for g in &c.figures.generators {
            assert!(
                g.args.iter().any(|a| a == "--figures"),
                "crates/{}/figures.toml: generator {} does not pass \
                 --figures, so `cargo course figures` would write nothing",
                c.krate,
                g.name
            );
        }
    }
}
