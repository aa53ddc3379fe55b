//! `cargo course gradescope --out DIR [--force]`: the Gradescope
//! autograder bundle.
//!
//! `DIR` gets `setup.sh` (installs the pinned Rust toolchain and warms the
//! build), `run_autograder` (grades `/autograder/submission` with the
//! pristine tests and writes `/autograder/results/results.json`) and
//! `pristine/`: the *student* version of the workspace plus the hidden
//! tests — never the solutions, since a submission runs in the same
//! container. Zip the folder's contents and upload them as the autograder.

use crate::{student, workspace};
use std::path::{Path, PathBuf};

/// Options of `cargo course gradescope`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write the bundle into.
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite a non-empty folder.
    #[arg(long)]
    pub force: bool,
    /// The workspace (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

const SETUP: &str = r#"#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
apt-get update -q
apt-get install -y -q curl build-essential pkg-config git python3
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
  | sh -s -- -y --profile minimal --default-toolchain @TOOLCHAIN@
source "$HOME/.cargo/env"
cd /autograder/source/pristine
export CARGO_TARGET_DIR=/autograder/target
# The workspace's .cargo/config.toml asks for target-cpu=native; the image
# may be built on another CPU than the one that grades, so build for the
# baseline (RUSTFLAGS overrides the config; run_autograder sets the same).
export RUSTFLAGS="-C target-cpu=x86-64"
# The grader itself, and every dependency, built once here.
cargo build --release -p course
# `grade --tests-from` builds its copy of a submission in this folder.
CARGO_TARGET_DIR=/autograder/target/course-grade/target \
  cargo test --workspace --no-run --quiet
"#;

const RUN: &str = r#"#!/usr/bin/env bash
# Gradescope runs this for every submission. The submission's tests,
# manifests and foundations are replaced by the pristine copies (so edited
# tests do not count), the instructors' hidden tests are added, and the
# grade lands in /autograder/results/results.json.
set -uo pipefail
source "$HOME/.cargo/env"
export CARGO_TARGET_DIR=/autograder/target
export CARGO_NET_OFFLINE=true
export RUSTFLAGS="-C target-cpu=x86-64"
PRISTINE=/autograder/source/pristine
RESULTS=/autograder/results/results.json
mkdir -p /autograder/results
ROOT=""
for d in /autograder/submission /autograder/submission/*; do
  if [ -f "$d/Cargo.toml" ] && [ -d "$d/crates" ]; then ROOT="$d"; break; fi
done
fail() {
  python3 - "$1" > "$RESULTS" <<'PY'
import json, sys
print(json.dumps({"score": 0, "output": sys.argv[1], "tests": []}))
PY
  exit 0
}
[ -n "$ROOT" ] || fail "No workspace found in the submission: upload the repository (Cargo.toml, crates/, exercises/) or its zip."
"$CARGO_TARGET_DIR/release/course" grade --root "$ROOT" \
  --tests-from "$PRISTINE" --json "$RESULTS" --timeout @TIMEOUT@ \
  || fail "The grader could not run: $(tail -c 2000 /tmp/grade.err 2>/dev/null)"
"#;

/// Runs `cargo course gradescope`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    let n = write_bundle(&root, &args.out, args.force)?;
    println!(
        "autograder bundle in {} ({n} files in pristine/). Upload it with:\n  \
         (cd {} && zip -qr ../autograder.zip setup.sh run_autograder pristine)",
        args.out.display(),
        args.out.display()
    );
    Ok(())
}

/// The toolchain pinned in `rust-toolchain.toml` (or `stable`).
fn toolchain(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join("rust-toolchain.toml"))
        .unwrap_or_default();
    text.lines()
        .find_map(|l| {
            let v =
                l.trim().strip_prefix("channel")?.trim().strip_prefix('=')?;
            Some(v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "stable".into())
}

/// Writes the bundle; returns the number of files in `pristine/`.
pub fn write_bundle(
    root: &Path,
    out: &Path,
    force: bool,
) -> Result<usize, String> {
    student::refuse_inside_workspace(root, out)?;
    if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) && !force {
        return Err(format!(
            "{} is not empty: pass --force to overwrite it",
            out.display()
        ));
    }
    // Built beside `out` and moved in at the end: a failure part way leaves
    // no half-written bundle.
    student::write_through_temp(out, &[], |tmp| write_files(root, tmp))
}

fn write_files(root: &Path, out: &Path) -> Result<usize, String> {
    let pristine = out.join("pristine");
    let report = student::write_tree(root, &pristine, &[], false)?;
    // The hidden tests go in (the student version leaves them out).
    let mut hidden = 0;
    for rel in student::source_files(root)? {
        if student::is_hidden_test(&rel) {
            let dst = pristine.join(&rel);
            std::fs::create_dir_all(dst.parent().unwrap_or(&pristine))
                .map_err(|e| e.to_string())?;
            std::fs::copy(root.join(&rel), &dst).map_err(|e| e.to_string())?;
            hidden += 1;
        }
    }
    let write = |name: &str, text: String| -> Result<(), String> {
        let p = out.join(name);
        std::fs::write(&p, text).map_err(|e| e.to_string())?;
        set_executable(&p)
    };
    write("setup.sh", SETUP.replace("@TOOLCHAIN@", &toolchain(root)))?;
    write(
        "run_autograder",
        RUN.replace("@TIMEOUT@", "600").replace(
            "--timeout 600 \\\n",
            "--timeout 600 2> /tmp/grade.err \\\n",
        ),
    )?;
    Ok(report.files + hidden)
}

fn set_executable(p: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut perm = std::fs::metadata(p)
            .map_err(|e| e.to_string())?
            .permissions();
        perm.set_mode(0o755);
        std::fs::set_permissions(p, perm).map_err(|e| e.to_string())?;
    }
    let _ = p;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testutil::Fixture;

    #[test]
    fn bundle_has_scripts_student_code_and_hidden_tests() {
        let fx = Fixture::new("gradescope");
        let out = fx.scratch("bundle");
        super::write_bundle(&fx.root, &out, false).unwrap();
        let run = std::fs::read_to_string(out.join("run_autograder")).unwrap();
        assert!(run.contains("--tests-from \"$PRISTINE\" --json \"$RESULTS\""));
        assert!(run.contains("2> /tmp/grade.err"), "{run}");
        assert!(out.join("setup.sh").exists());
        let p = out.join("pristine/crates/toy");
        assert!(p.join("tests/hidden_extra.rs").exists());
        let lib = std::fs::read_to_string(p.join("src/lib.rs")).unwrap();
        assert!(lib.contains("// EXERCISE toy-add"));
        assert!(!lib.contains("    a + b\n"), "no solution in the bundle");
        assert!(super::write_bundle(&fx.root, &out, false).is_err());
        assert!(run.contains("RUSTFLAGS=\"-C target-cpu=x86-64\""));
        // --force empties the folder: never one of the workspace's own.
        let book = fx.root.join("book");
        let err = super::write_bundle(&fx.root, &book, true).unwrap_err();
        assert!(err.contains("is inside the workspace"), "{err}");
        assert!(book.join("book.toml").exists(), "book/ untouched");
        let new_dir = fx.root.join("crates/new");
        assert!(super::write_bundle(&fx.root, &new_dir, true).is_err());
        assert!(!new_dir.exists());
    }
}
