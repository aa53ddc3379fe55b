//! `cargo course hint ID`: an exercise's hint, its book section and the
//! command that runs its graded tests.

use crate::manifest;
use crate::workspace;
use std::path::PathBuf;

/// Options of `cargo course hint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise id (as in `todo!("exercise <id>: …")`).
    pub id: String,
    /// The workspace (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// Runs `cargo course hint`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    print!("{}", text(&root, &args.id)?);
    Ok(())
}

/// The hint page of one exercise.
pub fn text(root: &std::path::Path, id: &str) -> Result<String, String> {
    let all = manifest::load_all(root)?;
    let Some((m, e)) = manifest::find_exercise(&all, id) else {
        return Err(unknown_exercise(&all, id));
    };
    let hint = if e.hint.trim().is_empty() {
        "(no hint for this one: re-read the book section)".to_string()
    } else {
        e.hint.trim().to_string()
    };
    Ok(format!(
        "{id} — {}{} ({} points)\n\n{hint}\n\nbook: book/src/{}\n\
         run:  cargo test -p {} --test graded {}::\n",
        e.title.trim(),
        if e.optional { " [optional]" } else { "" },
        e.points,
        e.section,
        m.topic,
        e.test_module()
    ))
}

/// "no exercise X" with the ids that exist.
pub fn unknown_exercise(all: &[manifest::Manifest], id: &str) -> String {
    let ids: Vec<&str> = all
        .iter()
        .flat_map(|m| m.exercises.iter().map(|e| e.id.as_str()))
        .collect();
    format!(
        "no exercise `{id}` in exercises/*.toml (exercises: {})",
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use crate::testutil::Fixture;

    #[test]
    fn shows_hint_section_and_command() {
        let fx = Fixture::new("hint");
        let t = super::text(&fx.root, "toy-scale").unwrap();
        assert!(t.contains("Multiply."), "{t}");
        assert!(t.contains("book/src/toy/index.md#scaling"), "{t}");
        assert!(t.contains("cargo test -p toy --test graded toy_scale::"));
        let err = super::text(&fx.root, "nope").unwrap_err();
        assert!(err.contains("toy-add, toy-scale"), "{err}");
    }
}
