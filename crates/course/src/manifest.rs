//! The exercise manifests, `exercises/<topic>.toml`.
//!
//! One manifest per topic lists its exercises in the order the chapter
//! meets them (format in `CONTRIBUTING.md`):
//!
//! ```toml
//! topic = "fc-and-conv"
//! title = "Fully connected and convolution layers"
//! chapter = "fc-and-conv/index.md"
//!
//! [[exercise]]
//! id = "affine-backward"
//! title = "Backward pass of the affine layer"
//! points = 10
//! optional = false
//! section = "fc-and-conv/affine.md#backward"
//! hint = "dW is dY Xᵀ …"
//! ```
//!
//! API for the other subcommands (and the book tooling):
//!
//! * [`load_all`] — every manifest of a workspace, in the lectures' order
//!   ([`crate::workspace::TOPICS`]), then any other topic by name;
//! * [`load`] — one manifest file, validated;
//! * [`Manifest::exercise`] / [`find_exercise`] — look an exercise up by id;
//! * [`Exercise::test_module`] — the graded test module (`-` → `_`);
//! * [`Exercise::section_page`] / [`Exercise::section_anchor`] — the book
//!   page below `book/src` and the heading anchor of `section`.
//!
//! Every error names the file and what is wrong, so a typo in a manifest is
//! found at once (unknown keys are errors too).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One topic's manifest, `exercises/<topic>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The crate name (`fc-and-conv`); also the file's stem.
    pub topic: String,
    /// The chapter's title.
    pub title: String,
    /// The chapter's first page, below `book/src` (`fc-and-conv/index.md`).
    pub chapter: String,
    /// The exercises, in the chapter's order.
    #[serde(default, rename = "exercise")]
    pub exercises: Vec<Exercise>,
    /// Where the manifest was read from (not a TOML key).
    #[serde(skip)]
    pub path: PathBuf,
}

/// One exercise: a `// BEGIN SOLUTION <id>` region plus its graded tests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// The marker id, lowercase words joined by `-` (`affine-backward`).
    pub id: String,
    /// One line saying what to implement.
    pub title: String,
    /// Points for passing every graded test of the exercise.
    pub points: u32,
    /// A challenge exercise: graded, but not needed for full marks.
    #[serde(default)]
    pub optional: bool,
    /// The book section that derives it: `page.md#heading-anchor`, below
    /// `book/src`.
    pub section: String,
    /// A nudge shown by `cargo course hint <id>` (may be several lines).
    #[serde(default)]
    pub hint: String,
}

impl Exercise {
    /// The graded test module of this exercise: its id with `-` → `_`
    /// (`affine-backward` → `affine_backward`).
    pub fn test_module(&self) -> String {
        test_module(&self.id)
    }

    /// The book page of [`Exercise::section`], below `book/src`.
    pub fn section_page(&self) -> &str {
        self.section
            .split_once('#')
            .map_or(&self.section, |(p, _)| p)
    }

    /// The heading anchor of [`Exercise::section`], if it names one.
    pub fn section_anchor(&self) -> Option<&str> {
        self.section.split_once('#').map(|(_, a)| a)
    }
}

/// The graded test module for an exercise id (`-` → `_`).
pub fn test_module(id: &str) -> String {
    id.replace('-', "_")
}

impl Manifest {
    /// The exercise with this id.
    pub fn exercise(&self, id: &str) -> Option<&Exercise> {
        self.exercises.iter().find(|e| e.id == id)
    }

    /// Points of the required (non-optional) exercises.
    pub fn required_points(&self) -> u32 {
        self.exercises
            .iter()
            .filter(|e| !e.optional)
            .map(|e| e.points)
            .sum()
    }

    /// The crate folder of the topic, `<root>/crates/<topic>`.
    pub fn crate_dir(&self, root: &Path) -> PathBuf {
        root.join("crates").join(&self.topic)
    }
}

/// The manifest folder of a workspace, `<root>/exercises`.
pub fn dir(root: &Path) -> PathBuf {
    root.join("exercises")
}

/// Reads and validates one manifest file. An exercise without a `hint`
/// takes its hint from `hints/<topic>.toml` beside the manifest when there
/// is one (the student release keeps the hints there, see [`split_hints`]).
pub fn load(path: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut m = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    m.path = path.to_path_buf();
    if let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) {
        let hints =
            dir.join(HINTS).join(Path::new(stem).with_extension("toml"));
        if let Ok(t) = std::fs::read_to_string(&hints) {
            let h = parse_hints(&t)
                .map_err(|e| format!("{}: {e}", hints.display()))?;
            for e in &mut m.exercises {
                if e.hint.trim().is_empty()
                    && let Some(hint) = h.get(&e.id)
                {
                    e.hint = hint.clone();
                }
            }
        }
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if m.topic != stem {
        return Err(format!(
            "{}: topic = \"{}\" but the file is named {stem}.toml",
            path.display(),
            m.topic
        ));
    }
    Ok(m)
}

/// The folder below `exercises/` that holds the hints in the student
/// release: `exercises/hints/<topic>.toml`.
pub const HINTS: &str = "hints";

/// The hints file's format: one table, exercise id → hint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HintsFile {
    hint: BTreeMap<String, String>,
}

fn parse_hints(text: &str) -> Result<BTreeMap<String, String>, String> {
    let h: HintsFile = toml::from_str(text).map_err(|e| e.to_string())?;
    Ok(h.hint)
}

/// A manifest's text without its hints, and the hints file that holds
/// them (`None` when the manifest has no hint): what the student release
/// writes, so that reading a manifest (for titles, points and sections)
/// shows no hint before it is wanted; `cargo course hint <id>` reads the
/// hints file. Every other line stays as written.
///
/// # Errors
/// When the manifest does not parse, or the split would lose anything.
pub fn split_hints(text: &str) -> Result<(String, Option<String>), String> {
    let m = parse(text)?;
    let mut out = String::new();
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let value = line
            .trim_start()
            .strip_prefix("hint")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
            .map(str::trim);
        let Some(value) = value else {
            out.push_str(line);
            continue;
        };
        // A multi-line string runs to the line that closes it.
        for delim in ["\"\"\"", "'''"] {
            if value.starts_with(delim) && !value[3..].contains(delim) {
                for more in lines.by_ref() {
                    if more.contains(delim) {
                        break;
                    }
                }
            }
        }
    }
    let stripped = parse(&out)?;
    let key = |e: &Exercise| {
        (
            e.id.clone(),
            e.title.clone(),
            e.points,
            e.optional,
            e.section.clone(),
        )
    };
    let same = (&stripped.topic, &stripped.title, &stripped.chapter)
        == (&m.topic, &m.title, &m.chapter)
        && stripped
            .exercises
            .iter()
            .map(key)
            .eq(m.exercises.iter().map(key))
        && stripped.exercises.iter().all(|e| e.hint.is_empty());
    if !same {
        return Err("taking the hints out would change the manifest".into());
    }
    let hints: Vec<&Exercise> = m
        .exercises
        .iter()
        .filter(|e| !e.hint.trim().is_empty())
        .collect();
    if hints.is_empty() {
        return Ok((out, None));
    }
    let mut file = format!(
        "# The hints of exercises/{}.toml: `cargo course hint <id>` shows one,\n\
         # with its book section and test command, when you want it.\n\n\
         [hint]\n",
        m.topic
    );
    for e in hints {
        let body = toml::Value::String(e.hint.clone()).to_string();
        file.push_str(&format!("{:?} = {body}\n", e.id));
    }
    let back = parse_hints(&file)?;
    let lost = m
        .exercises
        .iter()
        .any(|e| !e.hint.trim().is_empty() && back.get(&e.id) != Some(&e.hint));
    if lost {
        return Err("the hints file would not give the hints back".into());
    }
    Ok((out, Some(file)))
}

/// Parses and validates a manifest's text (no file-name check).
pub fn parse(text: &str) -> Result<Manifest, String> {
    let m: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
    validate(&m)?;
    Ok(m)
}

/// Ids are well formed and unique, points are positive, sections name a
/// markdown page.
fn validate(m: &Manifest) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for e in &m.exercises {
        let well_formed = !e.id.is_empty()
            && !e.id.starts_with('-')
            && !e.id.ends_with('-')
            && !e.id.starts_with(|c: char| c.is_ascii_digit())
            && e.id.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
            });
        if !well_formed {
            return Err(format!(
                "exercise id \"{}\": use lowercase letters, digits and '-' \
                 (it names the test module)",
                e.id
            ));
        }
        if !seen.insert(e.id.as_str()) {
            return Err(format!("exercise id \"{}\" appears twice", e.id));
        }
        if e.points == 0 {
            return Err(format!("exercise {}: points must be > 0", e.id));
        }
        if e.title.trim().is_empty() {
            return Err(format!("exercise {}: empty title", e.id));
        }
        if !e.section_page().ends_with(".md") {
            return Err(format!(
                "exercise {}: section \"{}\" must be `page.md#anchor` below \
                 book/src",
                e.id, e.section
            ));
        }
    }
    Ok(())
}

/// Every `exercises/*.toml` of the workspace at `root`, the topics in the
/// lectures' order first, then any other by name. A missing `exercises/`
/// folder is no manifest at all, not an error.
pub fn load_all(root: &Path) -> Result<Vec<Manifest>, String> {
    let Ok(entries) = std::fs::read_dir(dir(root)) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    let order = |p: &PathBuf| {
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let rank = crate::workspace::TOPICS
            .iter()
            .position(|t| *t == stem)
            .unwrap_or(usize::MAX);
        (rank, stem.to_string())
    };
    paths.sort_by_key(order);
    let manifests = paths
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ids = std::collections::BTreeMap::new();
    for m in &manifests {
        for e in &m.exercises {
            if let Some(other) = ids.insert(e.id.as_str(), m.topic.as_str()) {
                return Err(format!(
                    "exercise id \"{}\" is in both {other} and {}",
                    e.id, m.topic
                ));
            }
        }
    }
    Ok(manifests)
}

/// The manifest of one topic, with a clear error for an unknown topic.
pub fn load_topic(root: &Path, topic: &str) -> Result<Manifest, String> {
    let path = dir(root).join(format!("{topic}.toml"));
    if !path.exists() {
        let known: Vec<String> =
            load_all(root)?.into_iter().map(|m| m.topic).collect();
        return Err(format!(
            "unknown topic `{topic}`: no exercises/{topic}.toml (topics with \
             exercises: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    load(&path)
}

/// The manifest and exercise with this id, across all manifests.
pub fn find_exercise<'a>(
    manifests: &'a [Manifest],
    id: &str,
) -> Option<(&'a Manifest, &'a Exercise)> {
    manifests
        .iter()
        .find_map(|m| m.exercise(id).map(|e| (m, e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
topic = "fc-and-conv"
title = "Fully connected and convolution layers"
chapter = "fc-and-conv/index.md"

[[exercise]]
id = "affine-backward"
title = "Backward pass of the affine layer"
points = 10
section = "fc-and-conv/affine.md#backward"
hint = """
dW is dY Xᵀ
"""

[[exercise]]
id = "conv-naive-2"
title = "Naive convolution"
points = 5
optional = true
section = "fc-and-conv/conv.md"
"#;

    #[test]
    fn parses_the_documented_format() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.topic, "fc-and-conv");
        assert_eq!(m.exercises.len(), 2);
        let e = &m.exercises[0];
        assert_eq!(e.test_module(), "affine_backward");
        assert_eq!(e.points, 10);
        assert!(!e.optional);
        assert_eq!(e.section_page(), "fc-and-conv/affine.md");
        assert_eq!(e.section_anchor(), Some("backward"));
        assert_eq!(e.hint.trim(), "dW is dY Xᵀ");
        let c = m.exercise("conv-naive-2").unwrap();
        assert!(c.optional);
        assert_eq!(c.section_anchor(), None);
        assert_eq!(c.hint, "");
        assert_eq!(m.required_points(), 10);
    }

    #[test]
    fn rejects_typos_duplicates_and_bad_ids() {
        let typo = GOOD.replace("points = 10", "pionts = 10");
        assert!(parse(&typo).unwrap_err().contains("pionts"));
        let dup = GOOD.replace("conv-naive-2", "affine-backward");
        assert!(parse(&dup).unwrap_err().contains("appears twice"));
        let bad = GOOD.replace("conv-naive-2", "Conv_Naive");
        assert!(parse(&bad).unwrap_err().contains("lowercase"));
        let zero = GOOD.replace("points = 5", "points = 0");
        assert!(parse(&zero).unwrap_err().contains("points must be > 0"));
        let sec = GOOD.replace("fc-and-conv/conv.md", "conv");
        assert!(parse(&sec).unwrap_err().contains("page.md#anchor"));
    }

    #[test]
    fn load_all_orders_by_lecture_and_checks_names() {
        let dir = std::env::temp_dir()
            .join(format!("course-manifest-test-{}", std::process::id()));
        let ex = dir.join("exercises");
        std::fs::create_dir_all(&ex).unwrap();
        std::fs::write(ex.join("fc-and-conv.toml"), GOOD).unwrap();
        let pooling = "topic = \"pooling\"\ntitle = \"P\"\n\
                       chapter = \"pooling/index.md\"\n";
        std::fs::write(ex.join("pooling.toml"), pooling).unwrap();
        let all = load_all(&dir).unwrap();
        let topics: Vec<_> = all.iter().map(|m| m.topic.as_str()).collect();
        assert_eq!(topics, ["fc-and-conv", "pooling"]);
        assert!(find_exercise(&all, "affine-backward").is_some());
        let err = load_topic(&dir, "nope").unwrap_err();
        assert!(err.contains("unknown topic `nope`"), "{err}");
        assert!(err.contains("fc-and-conv, pooling"), "{err}");
        std::fs::write(ex.join("misnamed.toml"), pooling).unwrap();
        assert!(load_all(&dir).unwrap_err().contains("misnamed.toml"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
