//! The manifests, the solution markers and the graded tests agree (the
//! static half of `cargo course verify-exercises`; no build needed, so the
//! workspace tests in `tests/` run it too).

use crate::exercise;
use crate::manifest::Manifest;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The graded test targets of a topic: `graded` then `hidden_*` (sorted).
pub fn test_targets(root: &Path, topic: &str, hidden: bool) -> Vec<String> {
    let dir = root.join("crates").join(topic).join("tests");
    let mut hid: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".rs")?.to_string();
            stem.starts_with("hidden_").then_some(stem)
        })
        .collect();
    hid.sort();
    let mut out = Vec::new();
    if dir.join("graded.rs").exists() {
        out.push("graded".to_string());
    }
    if hidden {
        out.extend(hid);
    }
    out
}

/// The top-level inline `mod name { … }` items of a test file. A module
/// declared as `mod name;` is a helper file (`tests/name/mod.rs`, shared by
/// the test targets), not an exercise's tests.
pub fn test_modules(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let rest = l.strip_prefix("mod ")?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let inline = rest[name.len()..].trim_start().starts_with('{');
            (!name.is_empty() && inline).then_some(name)
        })
        .collect()
}

/// `#[should_panic]` attributes that do not name the expected message.
pub fn bare_should_panics(src: &str) -> Vec<usize> {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !l.trim_start().starts_with("#[should_panic") {
            continue;
        }
        // The attribute may span lines (rustfmt wraps a long message).
        let mut attr = String::new();
        for l in &lines[i..] {
            attr.push_str(l);
            if l.trim_end().ends_with(']') {
                break;
            }
        }
        if !attr.contains("expected") {
            out.push(i + 1);
        }
    }
    out
}

/// The static checks of one topic: problems, and how many regions exist.
pub fn static_checks(
    root: &Path,
    m: &Manifest,
) -> Result<(Vec<String>, usize), String> {
    let mut problems = Vec::new();
    let dir = m.crate_dir(root);
    let t = &m.topic;
    if !dir.join("Cargo.toml").exists() {
        return Ok((
            vec![format!("exercises/{t}.toml: no crate crates/{t}")],
            0,
        ));
    }
    let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (rel, found) in exercise::crate_regions(root, t)? {
        match found {
            Ok(rs) => {
                for r in rs {
                    regions
                        .entry(r.id)
                        .or_default()
                        .push(format!("{rel}:{}", r.begin + 1));
                }
            }
            Err(e) => problems.push(format!("{rel}: {e}")),
        }
    }
    let ids: BTreeSet<&str> =
        m.exercises.iter().map(|e| e.id.as_str()).collect();
    for e in &m.exercises {
        match regions.get(&e.id).map(Vec::len) {
            None if !regions.is_empty() => problems.push(format!(
                "exercise {} (exercises/{t}.toml) has no `BEGIN SOLUTION {}` \
                 region in crates/{t}/src",
                e.id, e.id
            )),
            Some(n) if n > 1 => problems.push(format!(
                "exercise {} has {n} regions: {}",
                e.id,
                regions[&e.id].join(", ")
            )),
            _ => {}
        }
    }
    for (id, at) in &regions {
        if !ids.contains(id.as_str()) {
            problems.push(format!(
                "{}: region {id} is not an exercise of exercises/{t}.toml",
                at[0]
            ));
        }
    }
    let modules: BTreeSet<String> =
        m.exercises.iter().map(|e| e.test_module()).collect();
    let tests_dir = dir.join("tests");
    let graded = tests_dir.join("graded.rs");
    let Ok(graded_src) = std::fs::read_to_string(&graded) else {
        problems.push(format!("crates/{t}/tests/graded.rs does not exist"));
        return Ok((problems, regions.len()));
    };
    let graded_mods: BTreeSet<String> =
        test_modules(&graded_src).into_iter().collect();
    for e in &m.exercises {
        // A module a macro makes (`tests!(mut1_backward, …)`) shows only
        // as its name here; the test run (verify-exercises, grade) then
        // checks that it holds tests.
        let named = graded_src
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == e.test_module());
        if !graded_mods.contains(&e.test_module()) && !named {
            problems.push(format!(
                "exercise {}: crates/{t}/tests/graded.rs has no `mod {}`",
                e.id,
                e.test_module()
            ));
        }
    }
    for target in test_targets(root, t, true) {
        let path = tests_dir.join(format!("{target}.rs"));
        let src = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        for module in test_modules(&src) {
            if !modules.contains(&module) {
                problems.push(format!(
                    "crates/{t}/tests/{target}.rs: `mod {module}` is not an \
                     exercise's test module (exercise ids of \
                     exercises/{t}.toml with '-' → '_')"
                ));
            }
        }
        for line in bare_should_panics(&src) {
            problems.push(format!(
                "crates/{t}/tests/{target}.rs:{line}: #[should_panic] must \
                 name its message (expected = \"…\"), or a todo!() passes it"
            ));
        }
    }
    Ok((problems, regions.values().map(Vec::len).sum()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Fixture;

    #[test]
    fn helper_files_declared_with_mod_semicolon_are_not_test_modules() {
        let src = "mod common;\nuse common::dot;\nmod toy_add {\n}\n\
                   pub mod toy_scale{}\n    mod nested {}\n";
        assert_eq!(test_modules(src), ["toy_add", "toy_scale"]);
    }

    #[test]
    fn static_checks_find_mismatches_and_bare_should_panic() {
        let fx = Fixture::new("verify-static");
        let m = crate::manifest::load_topic(&fx.root, "toy").unwrap();
        let (p, n) = static_checks(&fx.root, &m).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(n, 2);
        let wrapped = "#[should_panic(\n    expected = \"x\"\n)]\nfn t() {}";
        assert!(bare_should_panics(wrapped).is_empty());
        fx.edit(
            "crates/toy/tests/graded.rs",
            "#[should_panic(expected = \"a is not finite\")]",
            "#[should_panic]",
        );
        fx.edit(
            "crates/toy/tests/graded.rs",
            "mod toy_scale",
            "mod toy_scal",
        );
        let (p, _) = static_checks(&fx.root, &m).unwrap();
        let all = p.join("\n");
        assert!(
            all.contains("graded.rs:8: #[should_panic] must name"),
            "{all}"
        );
        assert!(all.contains("`mod toy_scal` is not an exercise"), "{all}");
        assert!(all.contains("has no `mod toy_scale`"), "{all}");
    }
}
