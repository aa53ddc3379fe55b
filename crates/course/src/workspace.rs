//! Finding the workspace and its topics.

use std::path::{Path, PathBuf};

/// The topic crates, in the lectures' order.
pub const TOPICS: [&str; 6] = [
    "fc-and-conv",
    "pooling",
    "vanilla-rnn-bptt",
    "lstm-gru",
    "attention",
    "transformer",
];

/// The workspace root: the nearest ancestor of the current directory with a
/// `book/book.toml` and a `crates/` folder.
pub fn root() -> Result<PathBuf, String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    find_root(&cwd).ok_or_else(|| {
        format!(
            "no workspace found above {} (looked for book/book.toml and crates/)",
            cwd.display()
        )
    })
}

/// The nearest ancestor of `start` that is a course workspace.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|p| {
            p.join("book/book.toml").exists() && p.join("crates").is_dir()
        })
        .map(Path::to_path_buf)
}

/// `given`, or else the workspace around the current folder (every
/// subcommand's `--root`).
pub fn root_or(given: Option<&Path>) -> Result<PathBuf, String> {
    given.map_or_else(root, |r| Ok(r.to_path_buf()))
}

/// Every file below `dir` whose extension is `ext`, depth first, sorted.
pub fn files_with_extension(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_with_extension(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}
