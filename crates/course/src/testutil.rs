//! A small fake course workspace for the tools' tests: one topic crate
//! `toy` with two exercises, its graded and hidden tests and its manifest
//! (and, with [`Fixture::add_topic`], more one-exercise topics).
//!
//! The library's unit tests declare it as `mod testutil`; the binary's
//! tests (`tests/cli.rs`) include the same file with `#[path]`, so it uses
//! nothing of the crate.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A throwaway workspace in the temp folder (removed on drop).
#[derive(Debug)]
pub struct Fixture {
    /// The workspace root.
    pub root: PathBuf,
    base: PathBuf,
}

const LIB: &str = r#"//! A toy topic.

use std::fmt::Debug;

/// `a + b`.
pub fn add(a: f64, b: f64) -> f64 {
    @B toy-add
    assert!(a.is_finite(), "toy::add: a is not finite");
    a + b
    @E
}

/// A scaled value.
#[derive(Debug)]
pub struct Scale {
    /// The factor.
    pub k: f64,
}

impl Scale {
    /// `k x`.
    pub fn apply(&self, x: f64) -> f64 {
        @B toy-scale
        // ANCHOR: scale
        helper(self.k) * x
        // ANCHOR_END: scale
        @E
    }
}

fn helper<T: Debug + Copy>(k: T) -> T {
    k
}
"#;

const GRADED: &str = r#"mod toy_add {
    #[test]
    fn adds() {
        assert_eq!(toy::add(1.0, 2.0), 3.0, "1 + 2");
    }

    #[test]
    #[should_panic(expected = "a is not finite")]
    fn rejects_nan() {
        toy::add(f64::NAN, 1.0);
    }
}

mod toy_scale {
    #[test]
    fn scales() {
        eprintln!("noise on stderr");
        assert_eq!(toy::Scale { k: 2.0 }.apply(3.0), 6.0);
    }
}
"#;

const HIDDEN: &str = r#"mod toy_add {
    #[test]
    fn adds_negatives() {
        assert_eq!(toy::add(-1.0, -2.0), -3.0);
    }
}
"#;

const MANIFEST: &str = r#"topic = "toy"
title = "A toy topic"
chapter = "toy/index.md"

[[exercise]]
id = "toy-add"
title = "Add two numbers"
points = 4
section = "toy/index.md#adding"
hint = "Use +."

[[exercise]]
id = "toy-scale"
title = "Scale a number"
points = 6
section = "toy/index.md#scaling"
hint = "Multiply."
"#;

/// `@B id` / `@E` written as the solution markers.
fn markers(text: &str) -> String {
    text.replace("@B", "// BEGIN SOLUTION")
        .replace("@E", "// END SOLUTION")
}

impl Fixture {
    /// Writes the fake workspace under a fresh temp folder.
    pub fn new(name: &str) -> Fixture {
        let base = std::env::temp_dir()
            .join(format!("course-fixture-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("ws");
        let files = [
            (
                "Cargo.toml",
                "[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\"]\n",
            ),
            ("rustfmt.toml", "max_width = 80\nedition = \"2024\"\n"),
            (".gitignore", "/target\n"),
            ("book/book.toml", "[book]\ntitle = \"toy\"\n"),
            ("book/src/SUMMARY.md", "- [Toy](toy/index.md)\n"),
            ("book/src/toy/index.md", "# Toy\n## Adding\n## Scaling\n"),
            (
                "crates/toy/Cargo.toml",
                "[package]\nname = \"toy\"\nversion = \"0.1.0\"\n\
                 edition = \"2024\"\n",
            ),
            ("crates/toy/src/lib.rs", LIB),
            ("crates/toy/tests/graded.rs", GRADED),
            ("crates/toy/tests/hidden_extra.rs", HIDDEN),
            ("exercises/toy.toml", MANIFEST),
        ];
        for (path, text) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, markers(text)).unwrap();
        }
        Fixture { root, base }
    }

    /// A path beside the workspace (not inside it).
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    /// Appends text to the toy manifest.
    pub fn append_manifest(&self, text: &str) {
        let p = self.root.join("exercises/toy.toml");
        let mut s = std::fs::read_to_string(&p).unwrap();
        s.push_str(text);
        std::fs::write(p, s).unwrap();
    }

    /// Replaces `from` by `to` in a workspace file.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let p = self.root.join(rel);
        let s = std::fs::read_to_string(&p).unwrap();
        assert!(s.contains(from), "{rel} has no {from:?}");
        std::fs::write(p, s.replacen(from, to, 1)).unwrap();
    }

    /// Adds topic crate `name` (its crate, graded test, manifest and book
    /// page) with one exercise `<name>-double` (5 points): `double(x) = 2 x`.
    #[allow(dead_code)] // used by tests/cli.rs, not by the unit tests
    pub fn add_topic(&self, name: &str) {
        let id = format!("{name}-double");
        let module = id.replace('-', "_");
        let krate = name.replace('-', "_");
        let files = [
            (
                format!("crates/{name}/Cargo.toml"),
                format!(
                    "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\
                     edition = \"2024\"\n"
                ),
            ),
            (
                format!("crates/{name}/src/lib.rs"),
                format!(
                    "//! Topic {name}.\n\n/// `2 x`.\npub fn double(x: f64) \
                     -> f64 {{\n    @B {id}\n    2.0 * x\n    @E\n}}\n"
                ),
            ),
            (
                format!("crates/{name}/tests/graded.rs"),
                format!(
                    "mod {module} {{\n    #[test]\n    fn doubles() {{\n        \
                     assert_eq!({krate}::double(3.0), 6.0);\n    }}\n}}\n"
                ),
            ),
            (
                format!("exercises/{name}.toml"),
                format!(
                    "topic = \"{name}\"\ntitle = \"Topic {name}\"\n\
                     chapter = \"{name}/index.md\"\n\n[[exercise]]\n\
                     id = \"{id}\"\ntitle = \"Double\"\npoints = 5\n\
                     section = \"{name}/index.md#doubling\"\n"
                ),
            ),
            (
                format!("book/src/{name}/index.md"),
                format!("# {name}\n## Doubling\n"),
            ),
        ];
        for (path, text) in files {
            let p = self.root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, markers(&text)).unwrap();
        }
    }

    /// Makes the workspace a git repository with one commit on `main`.
    pub fn git_init(&self) {
        let run = |args: &[&str]| git(&self.root, args);
        run(&["init", "-q", "-b", "main"]);
        run(&["config", "user.name", "t"]);
        run(&["config", "user.email", "t@example.com"]);
        run(&["add", "-A"]);
        run(&["commit", "-q", "-m", "init"]);
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// Runs `git args…` in `dir` as a fixed test author; panics with git's
/// error output when it fails, returns its output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}
