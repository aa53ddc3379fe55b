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

/// Every crate that has examples: its name and parsed `Cargo.toml`.
fn manifests_with_examples(root: &Path) -> Vec<(String, toml::Table)> {
    let mut out = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        if !krate.path().join("examples").is_dir() {
            continue;
        }
        let text =
            std::fs::read_to_string(krate.path().join("Cargo.toml")).unwrap();
        let name = krate.file_name().to_string_lossy().into_owned();
        out.push((name, text.parse::<toml::Table>().unwrap()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 5, "no crates with examples found");
    out
}

#[test]
fn every_example_requires_the_examples_feature() {
    let root = root();
    let manifests = manifests_with_examples(&root);
    for (path, _) in examples(&root) {
        let krate = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (_, m) = manifests.iter().find(|(n, _)| *n == krate).unwrap();
        let declared = m
            .get("example")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
            .find(|e| e.get("name").and_then(|n| n.as_str()) == Some(&stem));
        let required = declared
            .and_then(|e| e.get("required-features"))
            .and_then(|f| f.as_array())
            .is_some_and(|f| f.iter().any(|x| x.as_str() == Some("examples")));
        assert!(
            required,
            "crates/{krate}/Cargo.toml: add\n\n[[example]]\nname = \"{stem}\"\n\
             required-features = [\"examples\"]\n\nso that `cargo test -p \
             {krate}` never builds the examples' dependencies"
        );
    }
    for (krate, m) in &manifests {
        let feature = m
            .get("features")
            .and_then(|f| f.get("examples"))
            .and_then(|f| f.as_array());
        assert!(
            feature.is_some(),
            "crates/{krate}/Cargo.toml has examples but no `examples` feature"
        );
    }
}

/// What only examples, figures or benchmarks use: never a dependency that a
/// graded test build compiles.
const EXAMPLE_ONLY: [&str; 4] = ["clap", "indicatif", "plotters", "criterion"];

#[test]
fn no_test_target_builds_what_only_examples_or_benches_use() {
    let root = root();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let name = krate.file_name().to_string_lossy().into_owned();
        if name == "course" {
            // the CLI itself (clap, indicatif)
            continue;
        }
        let Ok(text) = std::fs::read_to_string(krate.path().join("Cargo.toml"))
        else {
            continue;
        };
        let m: toml::Table = text.parse().unwrap();
        for table in ["dependencies", "dev-dependencies"] {
            let Some(deps) = m.get(table).and_then(|d| d.as_table()) else {
                continue;
            };
            for (dep, spec) in deps {
                let optional = spec
                    .get("optional")
                    .and_then(|o| o.as_bool())
                    .unwrap_or(false);
                assert!(
                    !EXAMPLE_ONLY.contains(&dep.as_str()) || optional,
                    "crates/{name}/Cargo.toml: `{dep}` in [{table}] is built \
                     for every test target (the graded tests too); make it \
                     an optional dependency of the `examples` feature \
                     (benchmarks: crates/benches)"
                );
            }
        }
    }
}
