//! `cargo course figures`: every figure and printed output of the book is
//! remade by running the crates' own examples with their seeds.
//!
//! Each crate lists its generators in `crates/<crate>/figures.toml` (format
//! in `CONTRIBUTING.md`). After a generator runs, the hash of its inputs
//! (the listed files and folders, the example's name and its arguments) and
//! the hash of every output are recorded beside the figures, in
//! `book/src/figures/<crate>.hashes.toml`. `cargo course check` then only
//! compares hashes (it never trains): a figure is *missing* when its file is
//! absent, *stale* when its generator's inputs changed since it was made,
//! and *edited* when the file no longer is what the generator wrote.

use crate::workspace;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Options of `cargo course figures`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these crates (default: every crate with a `figures.toml`).
    #[arg(long = "crate", value_name = "CRATE")]
    pub crates: Vec<String>,
    /// Only the generators with these names.
    #[arg(long = "only", value_name = "NAME")]
    pub only: Vec<String>,
    /// Record the hashes of the figures as they are, without running the
    /// generators (for figures just made by running the example by hand).
    #[arg(long)]
    pub record: bool,
}

/// `crates/<crate>/figures.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresToml {
    /// The generators, in the order they run.
    #[serde(default, rename = "generator")]
    pub generators: Vec<Generator>,
}

/// One example that writes figures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generator {
    /// Unique in the crate.
    pub name: String,
    /// `cargo run --release -p <crate> --features examples --example <example>`.
    pub example: String,
    /// Its command-line arguments (the seed among them).
    #[serde(default)]
    pub args: Vec<String>,
    /// Files and folders, relative to the workspace root, whose contents
    /// decide the outputs.
    pub inputs: Vec<String>,
    /// File names below `book/src/figures/`.
    pub outputs: Vec<String>,
}

/// `book/src/figures/<crate>.hashes.toml`, written by this command.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hashes {
    /// One record per generator.
    #[serde(default, rename = "generator")]
    pub generators: Vec<Record>,
}

/// What one run of a generator made.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The generator's name.
    pub name: String,
    /// SHA-256 of its inputs, example name and arguments.
    pub inputs: String,
    /// SHA-256 of each output file.
    pub outputs: BTreeMap<String, String>,
}

/// A crate with figures: its name and parsed `figures.toml`.
#[derive(Debug, Clone)]
pub struct CrateFigures {
    /// The crate's folder name under `crates/`.
    pub krate: String,
    /// Its generators.
    pub figures: FiguresToml,
}

/// `<root>/book/src/figures`.
pub fn dir(root: &Path) -> PathBuf {
    root.join("book/src/figures")
}

/// The hashes file of a crate.
pub fn hashes_path(root: &Path, krate: &str) -> PathBuf {
    dir(root).join(format!("{krate}.hashes.toml"))
}

/// Every `crates/*/figures.toml`, by crate name.
pub fn load_all(root: &Path) -> Result<Vec<CrateFigures>, String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        return Ok(out);
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for d in dirs {
        let path = d.join("figures.toml");
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let figures: FiguresToml = toml::from_str(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let krate = d.file_name().unwrap().to_string_lossy().into_owned();
        out.push(CrateFigures { krate, figures });
    }
    Ok(out)
}

/// Reads a crate's recorded hashes (none recorded yet: empty).
pub fn load_hashes(root: &Path, krate: &str) -> Result<Hashes, String> {
    let path = hashes_path(root, krate);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(_) => Ok(Hashes::default()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's bytes, in hex.
pub fn file_hash(path: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(hex(&Sha256::digest(&bytes)))
}

/// The files an input names: the file itself, or every file below a folder
/// (hidden files and `target/` left out), as sorted root-relative paths.
fn input_files(root: &Path, input: &str) -> Result<Vec<String>, String> {
    let path = root.join(input);
    if path.is_file() {
        return Ok(vec![input.trim_end_matches('/').to_string()]);
    }
    if !path.is_dir() {
        return Err(format!("input `{input}` does not exist"));
    }
    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(&path).into_iter().filter_entry(|e| {
        let name = e.file_name().to_string_lossy();
        e.depth() == 0 || !(name.starts_with('.') || name == "target")
    });
    for entry in walk {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(root).unwrap();
            let rel: Vec<_> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push(rel.join("/"));
        }
    }
    files.sort();
    Ok(files)
}

/// SHA-256 over the generator's example name, arguments and every input
/// file (path and bytes), so renaming, editing, adding or removing an input
/// file, or changing the seed, changes it.
pub fn inputs_hash(root: &Path, g: &Generator) -> Result<String, String> {
    let mut h = Sha256::new();
    h.update(b"example\0");
    h.update(g.example.as_bytes());
    h.update(b"\0args\0");
    for a in &g.args {
        h.update(a.as_bytes());
        h.update(b"\0");
    }
    let mut files: Vec<String> = Vec::new();
    for input in &g.inputs {
        files.extend(input_files(root, input)?);
    }
    files.sort();
    files.dedup();
    for f in files {
        let bytes =
            std::fs::read(root.join(&f)).map_err(|e| format!("{f}: {e}"))?;
        h.update(b"\0file\0");
        h.update(f.as_bytes());
        h.update(b"\0");
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(hex(&h.finalize()))
}

/// Everything wrong with the recorded figures of the workspace, as messages
/// (empty: every figure exists and is fresh). Used by `cargo course check`.
///
/// In a student tree (`student`), the exercise bodies are `todo!()`s, so
/// the inputs' hashes differ from the solutions' by design: only that every
/// figure exists and comes from a generator is checked there.
pub fn problems(root: &Path, student: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let all = match load_all(root) {
        Ok(a) => a,
        Err(e) => return vec![e],
    };
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for c in &all {
        let fix = format!("run `cargo course figures --crate {}`", c.krate);
        let toml = format!("crates/{}/figures.toml", c.krate);
        let hashes = match load_hashes(root, &c.krate) {
            Ok(h) => h,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let mut names = std::collections::BTreeSet::new();
        for g in &c.figures.generators {
            if !names.insert(&g.name) {
                problems.push(format!("{toml}: generator `{}` twice", g.name));
            }
            for o in &g.outputs {
                if !o.starts_with(&format!("{}-", c.krate)) {
                    problems.push(format!(
                        "{toml}: output `{o}` of `{}` must be named \
                         `{}-<name>`",
                        g.name, c.krate
                    ));
                }
                let who = format!("{}/{}", c.krate, g.name);
                if let Some(prev) = owner.insert(o.clone(), who) {
                    problems.push(format!(
                        "{toml}: output `{o}` is also written by {prev}"
                    ));
                }
                if !dir(root).join(o).is_file() {
                    problems.push(format!(
                        "book/src/figures/{o} is missing (generator {}/{}): \
                         {fix}",
                        c.krate, g.name
                    ));
                }
            }
            if student {
                continue;
            }
            let hash = match inputs_hash(root, g) {
                Ok(h) => h,
                Err(e) => {
                    problems
                        .push(format!("{toml}: generator `{}`: {e}", g.name));
                    continue;
                }
            };
            let Some(rec) = hashes.generators.iter().find(|r| r.name == g.name)
            else {
                problems.push(format!(
                    "figures of {}/{} were never recorded: {fix}",
                    c.krate, g.name
                ));
                continue;
            };
            if rec.inputs != hash {
                problems.push(format!(
                    "figures of {}/{} are stale (its inputs or arguments \
                     changed since they were made): {fix}",
                    c.krate, g.name
                ));
            }
            for o in &g.outputs {
                let path = dir(root).join(o);
                if !path.is_file() {
                    continue;
                }
                match (rec.outputs.get(o), file_hash(&path)) {
                    (Some(want), Ok(got)) if *want == got => {}
                    (None, _) => problems.push(format!(
                        "book/src/figures/{o}: no hash recorded: {fix}"
                    )),
                    (Some(_), Ok(_)) => problems.push(format!(
                        "book/src/figures/{o} is not what {}/{} wrote \
                         (edited by hand?): {fix}",
                        c.krate, g.name
                    )),
                    (_, Err(e)) => problems.push(e),
                }
            }
        }
    }
    // Every file in book/src/figures/ comes from a generator.
    if let Ok(entries) = std::fs::read_dir(dir(root)) {
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            if n.ends_with(".hashes.toml") || n.starts_with('.') {
                continue;
            }
            if !owner.contains_key(&n) {
                problems.push(format!(
                    "book/src/figures/{n} is not an output of any generator \
                     in crates/*/figures.toml"
                ));
            }
        }
    }
    problems
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo`, the one running us if any.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Runs the generators and records their hashes.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root()?;
    let all = load_all(&root)?;
    for k in &args.crates {
        if !all.iter().any(|c| &c.krate == k) {
            return Err(format!("crate `{k}` has no figures.toml"));
        }
    }
    let selected: Vec<&CrateFigures> = all
        .iter()
        .filter(|c| args.crates.is_empty() || args.crates.contains(&c.krate))
        .collect();
    std::fs::create_dir_all(dir(&root)).map_err(|e| e.to_string())?;
    let mut ran = 0;
    for c in selected {
        let gens: Vec<&Generator> = c
            .figures
            .generators
            .iter()
            .filter(|g| args.only.is_empty() || args.only.contains(&g.name))
            .collect();
        if gens.is_empty() {
            continue;
        }
        if !args.record {
            build_examples(&root, &c.krate, &gens)?;
        }
        let mut hashes = load_hashes(&root, &c.krate)?;
        for g in gens {
            if !args.record {
                run_generator(&root, &c.krate, g)?;
            }
            let rec = record(&root, g)?;
            hashes.generators.retain(|r| r.name != g.name);
            hashes.generators.push(rec);
            ran += 1;
        }
        // Keep records only of generators that still exist, in file order.
        let order: Vec<&str> = c
            .figures
            .generators
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        hashes
            .generators
            .retain(|r| order.contains(&r.name.as_str()));
        hashes
            .generators
            .sort_by_key(|r| order.iter().position(|n| *n == r.name));
        write_hashes(&root, &c.krate, &hashes)?;
    }
    println!("course figures: {ran} generator(s) recorded");
    Ok(())
}

fn build_examples(
    root: &Path,
    krate: &str,
    gens: &[&Generator],
) -> Result<(), String> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root)
        .args(["build", "--release", "--quiet", "-p", krate])
        // the examples' own dependencies (clap, plotters, …) are behind the
        // topic's `examples` feature, so that graded tests never build them
        .args(["--features", "examples"]);
    let mut examples: Vec<&str> =
        gens.iter().map(|g| g.example.as_str()).collect();
    examples.dedup();
    for e in examples {
        cmd.args(["--example", e]);
    }
    eprintln!("course figures: building {krate}'s examples (release)");
    let status = cmd.status().map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building {krate}'s examples failed"));
    }
    Ok(())
}

fn run_generator(
    root: &Path,
    krate: &str,
    g: &Generator,
) -> Result<(), String> {
    let exe = target_dir(root).join("release/examples").join(&g.example);
    let before: Vec<Option<std::time::SystemTime>> = g
        .outputs
        .iter()
        .map(|o| {
            std::fs::metadata(dir(root).join(o))
                .and_then(|m| m.modified())
                .ok()
        })
        .collect();
    let start = Instant::now();
    eprintln!(
        "course figures: {krate}/{}: {} {}",
        g.name,
        exe.display(),
        g.args.join(" ")
    );
    let status = Command::new(&exe)
        .args(&g.args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    if !status.success() {
        return Err(format!(
            "{krate}/{}: the example failed ({status})",
            g.name
        ));
    }
    for (o, b) in g.outputs.iter().zip(before) {
        let after = std::fs::metadata(dir(root).join(o))
            .and_then(|m| m.modified())
            .ok();
        if after.is_none() || (b.is_some() && after == b) {
            return Err(format!(
                "{krate}/{}: the example did not write book/src/figures/{o}",
                g.name
            ));
        }
    }
    eprintln!(
        "course figures: {krate}/{} done in {:.1}s",
        g.name,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn record(root: &Path, g: &Generator) -> Result<Record, String> {
    let mut outputs = BTreeMap::new();
    for o in &g.outputs {
        let path = dir(root).join(o);
        if !path.is_file() {
            return Err(format!(
                "generator `{}`: book/src/figures/{o} does not exist",
                g.name
            ));
        }
        outputs.insert(o.clone(), file_hash(&path)?);
    }
    Ok(Record {
        name: g.name.clone(),
        inputs: inputs_hash(root, g)?,
        outputs,
    })
}

fn write_hashes(root: &Path, krate: &str, h: &Hashes) -> Result<(), String> {
    let body = toml::to_string(h).map_err(|e| e.to_string())?;
    let text = format!(
        "# Written by `cargo course figures`: the SHA-256 of each generator's\n\
         # inputs (files, example, arguments) and of each output it wrote.\n\
         # `cargo course check` compares them; do not edit.\n\n{body}"
    );
    let path = hashes_path(root, krate);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str) -> PathBuf {
        let d = std::env::temp_dir()
            .join(format!("course-figures-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("crates/demo/src")).unwrap();
        std::fs::create_dir_all(d.join("book/src/figures")).unwrap();
        std::fs::write(d.join("crates/demo/src/lib.rs"), "fn a() {}\n")
            .unwrap();
        std::fs::write(
            d.join("crates/demo/figures.toml"),
            "[[generator]]\nname = \"loss\"\nexample = \"loss\"\n\
             args = [\"--seed\", \"1\"]\ninputs = [\"crates/demo/src\"]\n\
             outputs = [\"demo-loss.svg\"]\n",
        )
        .unwrap();
        d
    }

    #[test]
    fn missing_unrecorded_stale_and_edited_figures_are_reported() {
        let root = tree("states");
        let p = problems(&root, false);
        assert!(
            p.iter().any(|m| m.contains("demo-loss.svg is missing")),
            "{p:?}"
        );
        std::fs::write(root.join("book/src/figures/demo-loss.svg"), "<svg/>")
            .unwrap();
        let p = problems(&root, false);
        assert!(p.iter().any(|m| m.contains("never recorded")), "{p:?}");
        let all = load_all(&root).unwrap();
        let g = &all[0].figures.generators[0];
        let h = Hashes {
            generators: vec![record(&root, g).unwrap()],
        };
        write_hashes(&root, "demo", &h).unwrap();
        assert_eq!(problems(&root, false), Vec::<String>::new());
        // Changing an input file makes the figure stale.
        std::fs::write(root.join("crates/demo/src/lib.rs"), "fn b() {}\n")
            .unwrap();
        let p = problems(&root, false);
        assert!(p.iter().any(|m| m.contains("stale")), "{p:?}");
        std::fs::write(root.join("crates/demo/src/lib.rs"), "fn a() {}\n")
            .unwrap();
        assert!(problems(&root, false).is_empty());
        // A new file in an input folder does too.
        std::fs::write(root.join("crates/demo/src/x.rs"), "").unwrap();
        assert!(problems(&root, false).iter().any(|m| m.contains("stale")));
        std::fs::remove_file(root.join("crates/demo/src/x.rs")).unwrap();
        // Editing the figure itself is caught.
        std::fs::write(
            root.join("book/src/figures/demo-loss.svg"),
            "<svg></svg>",
        )
        .unwrap();
        let p = problems(&root, false);
        assert!(p.iter().any(|m| m.contains("edited by hand")), "{p:?}");
        // A figure no generator writes is reported.
        std::fs::write(root.join("book/src/figures/demo-loss.svg"), "<svg/>")
            .unwrap();
        std::fs::write(root.join("book/src/figures/demo-fake.svg"), "")
            .unwrap();
        let p = problems(&root, false);
        assert!(
            p.iter()
                .any(|m| m.contains("demo-fake.svg is not an output")),
            "{p:?}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_seed_is_part_of_the_inputs_hash() {
        let root = tree("seed");
        let all = load_all(&root).unwrap();
        let mut g = all[0].figures.generators[0].clone();
        let a = inputs_hash(&root, &g).unwrap();
        g.args[1] = "2".into();
        assert_ne!(a, inputs_hash(&root, &g).unwrap());
        g.inputs.push("crates/demo/nope.rs".into());
        assert!(
            inputs_hash(&root, &g)
                .unwrap_err()
                .contains("does not exist")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
