//! `cargo course reset ID`: puts an exercise's stub back (in the student
//! version), keeping a copy of the code it removes as
//! `course-reset/<id>-<seconds>.rs` in the target directory
//! ([`crate::grade::target_dir`]: `$CARGO_TARGET_DIR` when set, else
//! `target/`).

use crate::{exercise, hint, manifest, student, workspace};
use std::path::{Path, PathBuf};

/// Options of `cargo course reset`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise id.
    pub id: String,
    /// The workspace (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// Runs `cargo course reset`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    let (file, backup) = reset(&root, &args.id)?;
    println!(
        "exercise {} is a todo!() again in {}",
        args.id,
        file.display()
    );
    if let Some(b) = backup {
        println!("your code was saved in {}", b.display());
    }
    Ok(())
}

/// Resets one exercise; returns the file and the backup of the old code.
pub fn reset(
    root: &Path,
    id: &str,
) -> Result<(PathBuf, Option<PathBuf>), String> {
    let all = manifest::load_all(root)?;
    let Some((m, e)) = manifest::find_exercise(&all, id) else {
        return Err(hint::unknown_exercise(&all, id));
    };
    let crate_dir = m.crate_dir(root);
    for (path, site) in student::stub_sites(&crate_dir)? {
        if site.id != id {
            continue;
        }
        let src = std::fs::read_to_string(&path)
            .map_err(|err| format!("{}: {err}", path.display()))?;
        let Some((new, old)) = exercise::restub(&src, id, e)? else {
            continue;
        };
        let backup = if exercise::is_untouched_stub(&old, id) {
            None
        } else {
            let dir = crate::grade::target_dir(root).join("course-reset");
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let b = dir.join(format!("{id}-{secs}.rs"));
            std::fs::write(&b, &old).map_err(|e| e.to_string())?;
            Some(b)
        };
        std::fs::write(&path, new)
            .map_err(|err| format!("{}: {err}", path.display()))?;
        student::rustfmt(std::slice::from_ref(&path));
        return Ok((path, backup));
    }
    Err(format!(
        "no `// EXERCISE {id}` line in crates/{}/src: reset works on the \
         student version (on the solution tree the exercise is a `BEGIN \
         SOLUTION` region; restore a line you deleted from git)",
        m.topic
    ))
}

#[cfg(test)]
mod tests {
    use crate::testutil::Fixture;

    #[test]
    fn restores_the_stub_and_keeps_the_code() {
        let fx = Fixture::new("reset");
        let out = fx.scratch("student");
        crate::student::write_tree(&fx.root, &out, &[], false).unwrap();
        let lib = out.join("crates/toy/src/lib.rs");
        let pristine = std::fs::read_to_string(&lib).unwrap();
        let edited = pristine.replacen(
            "    let _ = (a, b);\n    todo!(",
            "    let c = a * b;\n    c + 0.0 + { let _ = 0; todo!(",
            1,
        );
        assert_ne!(edited, pristine);
        let edited =
            edited.replacen("book: toy/index.md#adding\")", "x\") }", 1);
        std::fs::write(&lib, &edited).unwrap();
        let (_, backup) = super::reset(&out, "toy-add").unwrap();
        assert_eq!(std::fs::read_to_string(&lib).unwrap(), pristine);
        let saved = std::fs::read_to_string(backup.unwrap()).unwrap();
        assert!(saved.contains("let c = a * b;"));
        // Resetting an untouched stub keeps no backup.
        let (_, backup) = super::reset(&out, "toy-add").unwrap();
        assert!(backup.is_none());
        let err = super::reset(&fx.root, "toy-add").unwrap_err();
        assert!(err.contains("student version"), "{err}");
        let err = super::reset(&out, "toy-nope").unwrap_err();
        assert!(err.contains("no exercise `toy-nope`"), "{err}");
        assert!(err.contains("toy-add"), "the ids that exist: {err}");
    }
}
