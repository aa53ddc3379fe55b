//! Manifests <-> solution markers <-> graded tests, and the student release,
//! checked on this workspace with the course CLI's own library (none of this
//! needs a build of the topic crates).
//!
//! The dynamic half — every graded test fails on its stub and passes on its
//! solution alone — is `cargo course verify-exercises` (CI runs it).

use course::{agree, answers, exercise, links, manifest, student};

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies in the workspace")
        .to_path_buf()
}

/// Does any topic crate still hold a solution region (or is this a student
/// version, where there is nothing to compare)?
fn has_solutions(root: &Path, manifests: &[manifest::Manifest]) -> bool {
    manifests.iter().any(|m| {
        agree::static_checks(root, m).is_ok_and(|(_, regions)| regions > 0)
    })
}

#[test]
fn manifests_markers_and_graded_tests_agree() {
    let root = root();
    let manifests = manifest::load_all(&root).expect("manifests parse");
    let mut problems = Vec::new();
    for m in &manifests {
        let (p, _) = agree::static_checks(&root, m).expect("readable");
        problems.extend(p);
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_student_release_stubs_every_exercise_and_leaks_nothing() {
    let root = root();
    let manifests = manifest::load_all(&root).expect("manifests parse");
    if !has_solutions(&root, &manifests) {
        return; // a student version: nothing to release
    }
    let out = std::env::temp_dir()
        .join(format!("workspace-tests-student-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // write_tree itself fails on a manifest exercise without region, a
    // region without manifest entry, and any marker left in a stubbed crate.
    let report = student::write_tree(&root, &out, &[], false)
        .unwrap_or_else(|e| panic!("student release: {e}"));
    let mut missing = Vec::new();
    for m in &manifests {
        let crate_dir = out.join("crates").join(&m.topic);
        let sites = student::stub_sites(&crate_dir).expect("readable");
        for e in &m.exercises {
            let site = sites.iter().find(|(_, s)| s.id == e.id);
            match site {
                Some((_, s)) if exercise::is_untouched_stub(&s.body, &e.id) => {
                }
                Some((p, _)) => missing.push(format!(
                    "{}: {} is no stub",
                    p.display(),
                    e.id
                )),
                None => {
                    missing.push(format!("{}: no `// EXERCISE` line", e.id))
                }
            }
        }
        let tests = crate_dir.join("tests");
        for f in std::fs::read_dir(&tests).into_iter().flatten().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.starts_with("hidden_") {
                missing.push(format!("{}: hidden test shipped", name));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
    let want: usize = manifests.iter().map(|m| m.exercises.len()).sum();
    assert_eq!(report.stubbed.len(), want);
}

/// No function of the student release holds an exercise's solution (the
/// check `cargo course verify-exercises` runs first; `--answers` prints
/// the scores).
#[test]
fn no_given_function_holds_a_solution() {
    let root = root();
    let manifests = manifest::load_all(&root).expect("manifests parse");
    if !has_solutions(&root, &manifests) {
        return; // a student version: no solution to compare with
    }
    let (problems, _) = answers::check(&root, &manifests, answers::ALLOWED)
        .unwrap_or_else(|e| panic!("answer check: {e}"));
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// `scripts/hand-mutants.sh` finds each exercise it mutates through
/// `cargo course exercises`: every id it names must be a listed region.
#[test]
fn the_hand_mutants_name_listed_regions() {
    let root = root();
    let manifests = manifest::load_all(&root).expect("manifests parse");
    if !has_solutions(&root, &manifests) {
        return; // a student version: no region to mutate
    }
    let listed: Vec<String> = exercise::list(&root, &[])
        .expect("regions parse")
        .into_iter()
        .map(|r| r.id)
        .collect();
    let script = std::fs::read_to_string(root.join("scripts/hand-mutants.sh"))
        .expect("scripts/hand-mutants.sh");
    let named: Vec<&str> = script
        .lines()
        .filter_map(|l| l.strip_prefix("mutant "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert!(named.len() >= 20, "{named:?}");
    let unknown: Vec<&&str> = named
        .iter()
        .filter(|id| !listed.iter().any(|l| l == *id))
        .collect();
    assert!(unknown.is_empty(), "not exercise regions: {unknown:?}");
}

/// The doc comment of every exercise function names the book section its
/// `todo!()` names (the manifest's `section`), as `` Book: `page#anchor`. ``:
/// one place to read, whichever the student opens first.
#[test]
fn exercise_docs_name_the_book_section_of_their_todo() {
    let root = root();
    let manifests = manifest::load_all(&root).expect("manifests parse");
    let mut problems = Vec::new();
    for m in &manifests {
        let files = exercise::crate_regions(&root, &m.topic).expect("read");
        for (rel, regions) in files {
            let Ok(regions) = regions else { continue };
            let text = std::fs::read_to_string(root.join(&rel)).expect("read");
            let lines: Vec<&str> = text.lines().collect();
            for r in regions {
                let Some(e) = m.exercise(&r.id) else { continue };
                let sig = format!("fn {}", r.function);
                let Some(at) =
                    (0..r.begin).rev().find(|&n| lines[n].contains(&sig))
                else {
                    problems.push(format!("{rel}: no `{sig}` above {}", r.id));
                    continue;
                };
                let mut n = at;
                while n > 0 && {
                    let t = lines[n - 1].trim_start();
                    t.starts_with("#[") || t.starts_with("// ANCHOR")
                } {
                    n -= 1;
                }
                let mut doc = Vec::new();
                while n > 0 && lines[n - 1].trim_start().starts_with("///") {
                    n -= 1;
                    doc.push(lines[n].trim_start());
                }
                let want = format!("/// Book: `{}`.", e.section);
                if !doc.contains(&want.as_str()) {
                    problems.push(format!(
                        "{rel}:{}: the doc of `{}` (exercise {}) lacks the \
                         line `{want}`",
                        at + 1,
                        r.function,
                        r.id
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The module docs of the topic crates name their book section the same
/// way: `` Book: `page#anchor` `` (more than one separated by commas), with
/// a page that exists under book/src and an anchor that is one of its
/// headings; no page title in prose (`*Chapter → Page*`), which no reader
/// can follow. A page alone is allowed for a module that follows a page's
/// introduction.
#[test]
fn module_docs_name_their_book_section() {
    let root = root();
    let manifests = manifest::load_all(&root).expect("manifests parse");
    let mut problems = Vec::new();
    let mut named = 0;
    for m in &manifests {
        let files = exercise::crate_regions(&root, &m.topic).expect("read");
        for (rel, _) in files {
            let text = std::fs::read_to_string(root.join(&rel)).expect("read");
            let doc: Vec<&str> = text
                .lines()
                .map_while(|l| l.strip_prefix("//!"))
                .map(str::trim)
                .collect();
            let doc = doc.join(" ");
            let Some(at) = doc.find("Book:") else {
                continue;
            };
            let mut rest = doc[at + "Book:".len()..].trim_start();
            let mut refs = Vec::new();
            while let Some(r) = rest.strip_prefix('`') {
                let Some(end) = r.find('`') else { break };
                refs.push(&r[..end]);
                rest = r[end + 1..].trim_start();
                match rest.strip_prefix(',') {
                    Some(r) => rest = r.trim_start(),
                    None => break,
                }
            }
            if refs.is_empty() {
                problems.push(format!(
                    "{rel}: the module doc's `Book:` names no `page#anchor` \
                     (found `Book: {}`)",
                    rest.chars().take(50).collect::<String>()
                ));
                continue;
            }
            for r in refs {
                named += 1;
                let (page, anchor) = match r.split_once('#') {
                    Some((p, a)) => (p, Some(a)),
                    None => (r, None),
                };
                let Ok(md) =
                    std::fs::read_to_string(root.join("book/src").join(page))
                else {
                    problems.push(format!("{rel}: `{r}`: no page {page}"));
                    continue;
                };
                let Some(anchor) = anchor else { continue };
                let found = links::headings(&md)
                    .iter()
                    .any(|h| h.id.as_deref() == Some(anchor));
                if !found {
                    problems.push(format!(
                        "{rel}: `{r}`: {page} has no heading #{anchor}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    assert!(named >= 40, "only {named} module docs name a section");
}
