//! The course CLI as the program people run: every test here runs the
//! built `course` binary (what `cargo course …` runs) on a small fixture
//! workspace (`src/testutil.rs`, pointed at with `--root`), never the
//! library.
//!
//! * every subcommand's `--help`;
//! * exit codes: 0 on success, 1 with one `error: …` line on stderr for
//!   the mistakes an instructor or a student makes;
//! * a failing `student --out` / `gradescope --out` leaves no half-written
//!   folder;
//! * a term on release branches, the way the instructors' appendix walks
//!   through it, with git: two releases, a class repository, students who
//!   commit work and pull the next release, and their grades.

#[allow(dead_code)]
#[path = "../src/testutil.rs"]
mod testutil;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use testutil::{Fixture, git};

/// The subcommands `cargo course --help` lists (hidden ones left out).
const SUBCOMMANDS: [&str; 13] = [
    "check",
    "figures",
    "book",
    "student",
    "grade",
    "grade-class",
    "progress",
    "build",
    "hint",
    "reset",
    "verify-exercises",
    "exercises",
    "gradescope",
];

/// Runs the binary with `args`, its own target directory below the
/// fixture's scratch folder (never the workspace's shared one), in `cwd`.
fn course_in(cwd: &Path, target: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_course"))
        .args(args)
        .current_dir(cwd)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("the course binary runs")
}

fn course(fx: &Fixture, args: &[&str]) -> Output {
    course_in(base(fx), &fx.scratch("target"), args)
}

fn base(fx: &Fixture) -> &Path {
    fx.root.parent().expect("the fixture lies in a folder")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit code 0; returns stdout.
fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "expected success, got {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// Exit code 1 and exactly one line on stderr, `error: …` containing
/// `expect`.
fn fails(o: Output, expect: &str) {
    let err = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected failure\nstdout:\n{}\nstderr:\n{err}",
        text(&o.stdout)
    );
    let lines: Vec<&str> =
        err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(expect), "{expect:?} not in: {err}");
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Is there any `.<name>.partial-*` sibling of `out` left?
fn partial_left(out: &Path) -> bool {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!(".{name}.partial-"))
        })
}

#[test]
fn every_subcommand_has_help() {
    let fx = Fixture::new("cli-help");
    let top = ok(course(&fx, &["--help"]));
    let listed: Vec<&str> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert_eq!(listed, SUBCOMMANDS, "{top}");
    for sub in SUBCOMMANDS {
        let out = ok(course(&fx, &[sub, "--help"]));
        assert!(
            out.contains(&format!("Usage: cargo course {sub} ")),
            "{sub}: {out}"
        );
        // `figures` and `book` work on the workspace around the current
        // folder; every other command can be pointed at one.
        let rooted = !["figures", "book"].contains(&sub);
        assert_eq!(out.contains("--root"), rooted, "{sub}: {out}");
    }
    // A mistyped subcommand is an error (clap's usage message, code 2).
    assert_eq!(course(&fx, &["grdae"]).status.code(), Some(2));
}

#[test]
fn exit_codes_and_one_line_errors() {
    let fx = Fixture::new("cli-errors");
    fx.git_init();
    let root = s(&fx.root).to_string();
    let r = root.as_str();

    // Success: 0.
    let list = ok(course(&fx, &["exercises", "--root", r]));
    assert!(list.starts_with("toy\ttoy-add\tcrates/toy/src/lib.rs\t"));
    let json = ok(course(&fx, &["exercises", "toy", "--json", "--root", r]));
    assert!(json.contains("\"id\": \"toy-scale\""), "{json}");
    let hint = ok(course(&fx, &["hint", "toy-scale", "--root", r]));
    assert!(hint.contains("Multiply."), "{hint}");
    let student = fx.scratch("bbh-student");
    let out = ok(course(&fx, &["student", "--out", s(&student), "--root", r]));
    assert!(out.contains("2 exercise(s) stubbed"), "{out}");
    assert!(!partial_left(&student));
    let lib = student.join("crates/toy/src/lib.rs");
    let stub = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        stub.replacen("let _ = (a, b);", "let c = a * b;\n    let _ = c;", 1),
    )
    .unwrap();
    let out = ok(course(&fx, &["reset", "toy-add", "--root", s(&student)]));
    assert!(out.contains("your code was saved in"), "{out}");
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), stub);

    // An unknown topic.
    fails(
        course(&fx, &["grade", "nope", "--root", r]),
        "unknown topic `nope`",
    );
    fails(
        course(&fx, &["progress", "nope", "--root", r]),
        "unknown topic `nope`",
    );
    let other = s(&fx.scratch("other")).to_string();
    fails(
        course(
            &fx,
            &["student", "--out", &other, "--reveal", "nope", "--root", r],
        ),
        "--reveal nope: unknown topic",
    );
    // An unknown exercise id.
    fails(
        course(&fx, &["hint", "toy-nope", "--root", r]),
        "no exercise `toy-nope` in exercises/*.toml (exercises: toy-add, \
         toy-scale)",
    );
    fails(
        course(&fx, &["reset", "toy-nope", "--root", s(&student)]),
        "no exercise `toy-nope`",
    );
    // A bad --tests-from reference.
    fails(
        course(&fx, &["grade", "--tests-from", "no-such-ref", "--root", r]),
        "--tests-from no-such-ref: no such git ref or folder",
    );
    // An output folder inside the workspace.
    let inside = format!("{r}/book/student");
    fails(
        course(&fx, &["student", "--out", &inside, "--root", r]),
        "is inside the workspace",
    );
    fails(
        course(
            &fx,
            &["gradescope", "--out", &inside, "--force", "--root", r],
        ),
        "is inside the workspace",
    );
    assert!(!fx.root.join("book/student").exists());
    // A non-empty output folder without --force.
    fails(
        course(&fx, &["student", "--out", s(&student), "--root", r]),
        "is not empty: pass --force",
    );
    // Outside any workspace, without --root.
    fails(
        course_in(&std::env::temp_dir(), &fx.scratch("target"), &["exercises"]),
        "no workspace found above",
    );

    // A manifest naming an exercise that has no markers: grade, student
    // and gradescope refuse, and leave no output folder behind.
    fx.append_manifest(
        "[[exercise]]\nid = \"toy-ghost\"\ntitle = \"G\"\npoints = 1\n\
         section = \"toy/index.md\"\n",
    );
    fails(
        course(&fx, &["grade", "--root", r]),
        "exercise toy-ghost (exercises/toy.toml) has no marked region",
    );
    let fresh = fx.scratch("release");
    fails(
        course(&fx, &["student", "--out", s(&fresh), "--root", r]),
        "exercise toy-ghost (exercises/toy.toml) has no `// BEGIN SOLUTION \
         toy-ghost` region",
    );
    assert!(!fresh.exists(), "no half-written release");
    assert!(!partial_left(&fresh));
    // With --force on an earlier release, that release stays whole.
    fails(
        course(
            &fx,
            &["student", "--out", s(&student), "--force", "--root", r],
        ),
        "toy-ghost",
    );
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), stub);
    assert!(!partial_left(&student));
    let bundle = fx.scratch("autograder");
    fails(
        course(&fx, &["gradescope", "--out", s(&bundle), "--root", r]),
        "toy-ghost",
    );
    assert!(!bundle.exists(), "no half-written bundle");
    assert!(!partial_left(&bundle));

    // A missing manifest: the named topic's, or all of them.
    std::fs::remove_file(fx.root.join("exercises/toy.toml")).unwrap();
    fails(
        course(&fx, &["grade", "toy", "--root", r]),
        "unknown topic `toy`",
    );
    fails(
        course(&fx, &["grade", "--root", r]),
        "no exercises/*.toml: nothing to grade",
    );
    fails(
        course(&fx, &["hint", "toy-add", "--root", r]),
        "no exercise `toy-add` in exercises/*.toml (exercises: none)",
    );
}

/// `cargo course build`: one cargo invocation that builds a topic's graded
/// tests (so that the next `cargo test -p toy --test graded` builds
/// nothing), the first build's cost told before it starts, and by the
/// first `progress` of a fresh student release.
#[test]
fn build_compiles_the_graded_tests_once_and_progress_tells_its_cost() {
    let fx = Fixture::new("cli-build");
    let r = s(&fx.root).to_string();
    let student = fx.scratch("student");
    ok(course(
        &fx,
        &["student", "--out", s(&student), "--root", &r],
    ));
    let target = fx.scratch("target");

    // Nothing started: the table, then what the first build costs.
    let out = ok(course(&fx, &["progress", "--root", s(&student)]));
    assert!(out.contains("0/2 exercises done"), "{out}");
    assert!(
        out.contains("Nothing started yet")
            && out.contains("cargo course build <topic>")
            && out.contains(course::build::FIRST_BUILD),
        "{out}"
    );

    let built = course(&fx, &["build", "toy", "--root", s(&student)]);
    let err = text(&built.stderr);
    ok(built);
    assert!(
        err.contains("course build: building the graded tests of toy")
            && err.contains(course::build::FIRST_BUILD)
            && err.contains("course build: done in"),
        "{err}"
    );
    let graded: Vec<_> = std::fs::read_dir(target.join("debug/deps"))
        .unwrap()
        .flatten()
        .filter(|f| f.file_name().to_string_lossy().starts_with("graded-"))
        .collect();
    assert!(!graded.is_empty(), "no graded test binary in {target:?}");
    // The build the student's next command does is already done.
    let again = Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["test", "--no-run", "-p", "toy", "--test", "graded"])
        .current_dir(&student)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let again_err = text(&again.stderr);
    assert!(again.status.success(), "{again_err}");
    assert!(!again_err.contains("Compiling"), "{again_err}");

    // Once something is started, progress no longer tells it.
    let lib = student.join("crates/toy/src/lib.rs");
    let src = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        src.replacen("let _ = (a, b);", "let c = a * b;\n    let _ = c;", 1),
    )
    .unwrap();
    let out = ok(course(&fx, &["progress", "--root", s(&student)]));
    assert!(!out.contains("Nothing started yet"), "{out}");

    // Every topic by default; an unknown one is a one-line error.
    ok(course(&fx, &["build", "--root", s(&student)]));
    fails(
        course(&fx, &["build", "nope", "--root", s(&student)]),
        "unknown topic `nope`",
    );
}

#[test]
fn gradescope_writes_a_bundle_that_zips() {
    let fx = Fixture::new("cli-gradescope");
    let bundle = fx.scratch("autograder");
    let r = s(&fx.root).to_string();
    let out = ok(course(
        &fx,
        &["gradescope", "--out", s(&bundle), "--root", &r],
    ));
    assert!(out.contains("zip -qr ../autograder.zip"), "{out}");
    assert!(!partial_left(&bundle));
    for f in ["setup.sh", "run_autograder", "pristine/exercises/toy.toml"] {
        assert!(bundle.join(f).is_file(), "{f}");
    }
    assert!(
        bundle
            .join("pristine/crates/toy/tests/hidden_extra.rs")
            .is_file()
    );
    // --force replaces the bundle whole (nothing of the old one stays).
    std::fs::write(bundle.join("stale.txt"), "old").unwrap();
    ok(course(
        &fx,
        &["gradescope", "--out", s(&bundle), "--force", "--root", &r],
    ));
    assert!(!bundle.join("stale.txt").exists());
    // The appendix's zip command, where zip is installed.
    let zip = Command::new("zip")
        .args(["-qr", "../autograder.zip"])
        .args(["setup.sh", "run_autograder", "pristine"])
        .current_dir(&bundle)
        .status();
    if let Ok(status) = zip {
        assert!(status.success());
        assert!(fx.scratch("autograder.zip").is_file());
    }
}

/// The appendix's `cargo course exercises lstm-gru`, on the real workspace
/// (it only parses the sources).
#[test]
fn exercises_lists_the_real_workspace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::temp_dir().join("course-cli-unused-target");
    let out = ok(course_in(&root, &target, &["exercises", "lstm-gru"]));
    assert!(
        out.lines()
            .any(|l| l.starts_with(
                "lstm-gru\tgru-step-forward\tcrates/lstm-gru/src/gru.rs\t"
            ) && l.ends_with("\tstep_forward_reference\tmethod")),
        "{out}"
    );
}

/// Points per topic from a `results.json` (visible and hidden entries).
fn points_by_topic(path: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(path).expect("results.json written");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut by = BTreeMap::new();
    for t in json["tests"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let topic = name.split(" / ").next().unwrap().to_string();
        *by.entry(topic).or_insert(0.0) += t["score"].as_f64().unwrap();
    }
    by
}

fn grade_points(
    fx: &Fixture,
    ws: &Path,
    extra: &[&str],
) -> BTreeMap<String, f64> {
    let json = fx.scratch("results.json");
    let _ = std::fs::remove_file(&json);
    let mut args = vec!["grade", "--root", s(ws), "--json", s(&json)];
    args.extend(extra);
    // The workspace's own target/ (each clone builds its own crates).
    let target = ws.join("target");
    let table = ok(course_in(base(fx), &target, &args));
    assert!(table.contains("total"), "{table}");
    points_by_topic(&json)
}

fn points(list: &[(&str, f64)]) -> BTreeMap<String, f64> {
    list.iter().map(|(t, p)| (t.to_string(), *p)).collect()
}

/// Writes the solution of `toy3-double` into a student's stub, keeping the
/// `// EXERCISE` line.
fn solve_toy3(ws: &Path) {
    let lib = ws.join("crates/toy3/src/lib.rs");
    let src = std::fs::read_to_string(&lib).unwrap();
    let from = src.find("// EXERCISE toy3-double").expect("the stub")
        + "// EXERCISE toy3-double\n".len();
    let to = src.rfind('}').unwrap();
    let new = format!("{}    2.0 * x\n{}", &src[..from], &src[to..]);
    std::fs::write(&lib, new).unwrap();
}

/// A term as the appendix runs it: release 1 (`toy` revealed) on a branch,
/// pushed to the class repository; students clone it; one commits work on
/// an exercise; release 2 (`toy2` revealed too) starts on release 1 with
/// `--parent`, is pushed as a fast-forward and pulled by the students; the
/// grades before and after are what each had solved and been given.
#[test]
fn a_term_on_release_branches() {
    let fx = Fixture::new("cli-term");
    fx.add_topic("toy2");
    fx.add_topic("toy3");
    fx.git_init();
    let r = s(&fx.root).to_string();
    let main_head = git(&fx.root, &["rev-parse", "main"]);

    // Release 1: a branch of its own, no parent, nothing of main.
    let out = ok(course(
        &fx,
        &[
            "student",
            "--branch",
            "student-week1",
            "--reveal",
            "toy",
            "--root",
            &r,
        ],
    ));
    assert!(out.contains("committed"), "{out}");
    assert_eq!(git(&fx.root, &["rev-parse", "HEAD"]), main_head);
    assert_eq!(git(&fx.root, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&fx.root, &["rev-list", "--count", "student-week1"]),
        "1"
    );
    let week1_toy2 =
        git(&fx.root, &["show", "student-week1:crates/toy2/src/lib.rs"]);
    assert!(
        week1_toy2.contains("// EXERCISE toy2-double"),
        "{week1_toy2}"
    );
    assert!(!week1_toy2.contains("BEGIN SOLUTION"));

    // The class repository (a bare repository stands in for GitHub).
    let class = fx.scratch("bbh-class.git");
    git(
        base(&fx),
        &["init", "-q", "--bare", "-b", "main", s(&class)],
    );
    git(&fx.root, &["push", "-q", s(&class), "student-week1:main"]);
    let clone = |name: &str| {
        let dir = fx.scratch(name);
        git(base(&fx), &["clone", "-q", s(&class), s(&dir)]);
        git(&dir, &["config", "user.name", name]);
        git(&dir, &["config", "user.email", "s@example.com"]);
        git(&dir, &["config", "pull.rebase", "false"]);
        dir
    };
    let alice = clone("alice");
    let bob = clone("bob");
    let carol = clone("carol");

    // Before any work: the revealed topic's points only.
    assert_eq!(
        grade_points(&fx, &alice, &[]),
        points(&[("toy", 10.0), ("toy2", 0.0), ("toy3", 0.0)])
    );
    // Alice solves toy3-double and commits it.
    solve_toy3(&alice);
    git(&alice, &["commit", "-q", "-am", "toy3-double"]);
    let only_toy3 = grade_points(&fx, &alice, &["toy3", "--timeout", "120"]);
    assert_eq!(only_toy3, points(&[("toy3", 5.0)]));
    let progress = ok(course_in(
        base(&fx),
        &alice.join("target"),
        &["progress", "--root", s(&alice)],
    ));
    let state = |id: &str| {
        progress
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_else(|| panic!("{id} in {progress}"))
            .to_string()
    };
    assert!(state("toy3-double").contains("done"), "{progress}");
    assert!(state("toy2-double").contains("not started"), "{progress}");

    // Release 2 starts on release 1, written into the instructor's own
    // clone of the class repository (its .git survives --force).
    let staging = clone("bbh-student");
    let out = ok(course(
        &fx,
        &[
            "student",
            "--out",
            s(&staging),
            "--force",
            "--branch",
            "student-week4",
            "--parent",
            "student-week1",
            "--reveal",
            "toy,toy2",
            "--root",
            &r,
        ],
    ));
    assert!(out.contains("committed"), "{out}");
    assert!(staging.join(".git").is_dir(), "the clone's .git is kept");
    assert!(!partial_left(&staging));
    assert_eq!(
        git(&fx.root, &["rev-parse", "student-week4^"]),
        git(&fx.root, &["rev-parse", "student-week1"])
    );
    assert_eq!(git(&fx.root, &["rev-parse", "HEAD"]), main_head);
    // A plain push: a fast-forward of the class repository's main.
    git(&fx.root, &["push", "-q", s(&class), "student-week4:main"]);

    // Bob had no commits: his pull is a fast-forward.
    git(&bob, &["pull", "-q", "--ff-only"]);
    assert_eq!(
        git(&bob, &["rev-parse", "HEAD"]),
        git(&fx.root, &["rev-parse", "student-week4"])
    );
    // Alice's pull merges the release with her work, without conflict.
    git(&alice, &["pull", "-q", "--no-edit"]);
    let parents = git(&alice, &["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 2, "a merge commit");
    let revealed =
        std::fs::read_to_string(alice.join("crates/toy2/src/lib.rs")).unwrap();
    assert!(revealed.contains("    2.0 * x\n"), "{revealed}");

    // Carol had changed a file of the topic this release reveals: her pull
    // stops on a conflict in that file; taking the release's side of it
    // (her work stays in her history) completes the merge.
    let lib = carol.join("crates/toy2/src/lib.rs");
    let stub = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, stub.replace("let _ = x;", "let _ = x + x;")).unwrap();
    git(&carol, &["commit", "-q", "-am", "toy2 started"]);
    let pull = Command::new("git")
        .args(["pull", "-q", "--no-edit"])
        .current_dir(&carol)
        .output()
        .unwrap();
    assert!(!pull.status.success(), "a conflict");
    assert!(text(&pull.stdout).contains("CONFLICT"), "{pull:?}");
    git(&carol, &["checkout", "--theirs", "--", "crates/toy2/src"]);
    git(&carol, &["commit", "-q", "-am", "take release 2"]);
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), revealed);

    // After: the revealed topics plus her own work, graded with the
    // instructors' tests (hidden ones included) from their workspace.
    let pristine = ["--tests-from", r.as_str()];
    assert_eq!(
        grade_points(&fx, &alice, &pristine),
        points(&[("toy", 10.0), ("toy2", 5.0), ("toy3", 5.0)])
    );
    assert_eq!(
        grade_points(&fx, &bob, &pristine),
        points(&[("toy", 10.0), ("toy2", 5.0), ("toy3", 0.0)])
    );

    // The appendix's swap by hand does what --reveal does for one topic.
    git(&fx.root, &["checkout", "-q", "student-week4"]);
    git(&fx.root, &["checkout", "main", "--", "crates/toy3/src"]);
    git(&fx.root, &["commit", "-q", "-m", "Reveal toy3"]);
    let by_hand = git(&fx.root, &["rev-parse", "HEAD"]);
    git(&fx.root, &["checkout", "-q", "main"]);
    ok(course(
        &fx,
        &[
            "student",
            "--branch",
            "student-week5",
            "--parent",
            "student-week4",
            "--reveal",
            "toy,toy2,toy3",
            "--root",
            &r,
        ],
    ));
    assert_eq!(
        git(&fx.root, &["diff", &by_hand, "student-week5", "--stat"]),
        ""
    );
    // Never main's history on a release branch.
    let o = Command::new("git")
        .args(["merge-base", "main", "student-week5"])
        .current_dir(&fx.root)
        .output()
        .unwrap();
    assert!(!o.status.success(), "release branches share no history");
}
