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
