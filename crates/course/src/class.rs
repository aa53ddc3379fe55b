//! `cargo course grade-class SUBMISSIONS --out DIR [--tests-from REF]
//! [--topics T,…] [--timeout SECS]`: grades a whole class, one student
//! workspace (a plain folder or a git repository) per subfolder of
//! `SUBMISSIONS`, with the instructors' graded and hidden tests, and writes
//! `gradebook.csv`, `summary.csv` and a self-contained `report.html`.
//!
//! Every submission is graded by the same code as `cargo course grade
//! --tests-from` ([`grade::pristine_copy`], [`runner::run_topic`],
//! [`grade::grade_topic`]).
//!
//! **Isolation.** Before any submission's code runs, each submission is
//! copied with the instructors' pristine files laid over it (tests,
//! manifests, `foundations`, `datasets`, every `Cargo.toml`, `Cargo.lock`,
//! `.cargo/`) into a snapshot of its own, and the snapshot's files are
//! hashed. Neither the submissions' folders nor the instructors' tree are
//! read again, so code that edits them later changes no grade (the change is
//! detected and reported). Each snapshot is then graded, one after the
//! other, at the **same path** (`<work>/ws`), with one `CARGO_TARGET_DIR`
//! (`<work>/target`) for the whole class, so the dependencies are built once.
//! Cargo names a workspace crate's artifacts by its path and decides
//! freshness by comparing its sources' mtimes with the last build's, so a
//! shared target directory could hand one student's build to the next if
//! the next one's files looked older. Two things rule that out: before each
//! submission the student crates' artifacts are removed (`cargo clean -p`
//! for every topic with a manifest) and their files get a fresh mtime; the
//! artifacts that are shared are the registry dependencies and the
//! instructors' own `foundations` and `datasets`, identical for every
//! student. Test binaries are the ones cargo names in this build's own
//! messages.
//!
//! **Limits.** Graded code runs as the grading user. It can write to any
//! file that user can: the snapshots of the submissions still to be graded
//! (detected by the hash check, and named in the report) and the shared
//! target directory (not detected: a deliberate attack could plant a
//! compiled artifact there). No OS sandbox is used (bubblewrap is not
//! installed on the development machine); grade under a throw-away user or
//! container when that matters.

use crate::grade::{self, ExerciseGrade};
use crate::manifest::{Exercise, Manifest};
use crate::runner::{self, RunOptions};
use crate::workspace;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Options of `cargo course grade-class`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder of submissions: one student workspace (or git repository)
    /// per subfolder, named after the student; with `--branches`, a class
    /// repository with one branch per student.
    pub submissions: PathBuf,
    /// Grade the branches of the class repository SUBMISSIONS that match
    /// this pattern (`student/*`): each is exported with `git archive`
    /// and named after its branch (`student/alice` → `student-alice`).
    #[arg(long, value_name = "PATTERN")]
    pub branches: Option<String>,
    /// Write gradebook.csv, summary.csv and report.html here.
    #[arg(long)]
    pub out: PathBuf,
    /// The instructors' tests, manifests and shared crates: a git ref of
    /// this workspace or a folder (default: this workspace's folder).
    #[arg(long, value_name = "REF")]
    pub tests_from: Option<String>,
    /// Topics to grade (comma separated; default: every topic).
    #[arg(long, value_delimiter = ',')]
    pub topics: Vec<String>,
    /// Time limit per submission (build and tests), in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// The instructors' workspace (default: the one around the current
    /// folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// What [`grade_class`] needs.
#[derive(Debug, Clone)]
pub struct ClassOptions {
    /// The instructors' workspace.
    pub root: PathBuf,
    /// `--tests-from`: a git ref of `root` or a folder.
    pub reference: String,
    /// Topics to grade (empty: all).
    pub topics: Vec<String>,
    /// Time limit per submission.
    pub timeout: Duration,
    /// Scratch folder: snapshots, the grading copy and the shared target.
    pub work: PathBuf,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// One student's result.
#[derive(Debug, Clone)]
pub struct Student {
    /// The subfolder's name.
    pub name: String,
    /// One grade per exercise (zero with a reason when it could not run).
    pub grades: Vec<ExerciseGrade>,
    /// Why something scored zero, or what was noticed (one line each).
    pub problems: Vec<String>,
    /// Wall time of its grading.
    pub seconds: f64,
}

impl Student {
    /// Points earned.
    pub fn total(&self) -> f64 {
        self.grades.iter().map(ExerciseGrade::score).sum()
    }

    /// The grade of exercise `id` of `topic`, if it was graded.
    pub fn grade(&self, topic: &str, id: &str) -> Option<&ExerciseGrade> {
        self.grades
            .iter()
            .find(|g| g.topic == topic && g.exercise.id == id)
    }

    /// The points earned on exercise `id` of `topic` (0 if not graded).
    pub fn score(&self, topic: &str, id: &str) -> f64 {
        self.grade(topic, id).map_or(0.0, ExerciseGrade::score)
    }
}

/// The graded class.
#[derive(Debug, Clone)]
pub struct Class {
    /// Every exercise, in manifest order.
    pub exercises: Vec<(String, Exercise)>,
    /// Every student, by name.
    pub students: Vec<Student>,
    /// Problems of the run itself (the instructors' tree changed).
    pub notes: Vec<String>,
    /// Wall time.
    pub seconds: f64,
}

/// Runs `cargo course grade-class`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    let subs = args
        .submissions
        .canonicalize()
        .map_err(|e| format!("{}: {e}", args.submissions.display()))?;
    let out = std::path::absolute(&args.out).map_err(|e| e.to_string())?;
    if out.starts_with(&subs) {
        return Err(format!(
            "--out {} is inside the submissions folder (it would be graded \
             as a submission next time)",
            args.out.display()
        ));
    }
    let reference = match &args.tests_from {
        Some(r) => r.clone(),
        None => root.display().to_string(),
    };
    let opts = ClassOptions {
        work: grade::target_dir(&root).join("course-class"),
        root,
        reference,
        topics: args.topics.clone(),
        timeout: Duration::from_secs(args.timeout),
        progress: true,
    };
    let submissions = match &args.branches {
        Some(pattern) => {
            export_branches(&subs, pattern, &opts.work.join("branches"))?
        }
        None => args.submissions.clone(),
    };
    let class = grade_class(&submissions, &opts)?;
    write_outputs(&class, &args.out)?;
    for s in class.students.iter().filter(|s| !s.problems.is_empty()) {
        println!("{}: {}", s.name, s.problems.join("; "));
    }
    for n in &class.notes {
        println!("note: {n}");
    }
    println!(
        "graded {} submission(s) in {:.0} s: {}",
        class.students.len(),
        class.seconds,
        args.out.display()
    );
    Ok(())
}

/// Exports every branch of the git repository `repo` that matches
/// `pattern` (a `git for-each-ref` glob below `refs/heads/`) into a fresh
/// folder `dest/<branch with / as ->`, with `git archive`; returns `dest`.
///
/// # Errors
/// When `repo` is not a git repository, no branch matches, or an export
/// fails.
pub fn export_branches(
    repo: &Path,
    pattern: &str,
    dest: &Path,
) -> Result<PathBuf, String> {
    let refs = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["for-each-ref", "--format=%(refname:short)"])
        .arg(format!("refs/heads/{pattern}"))
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !refs.status.success() {
        return Err(format!(
            "--branches: {} is not a git repository: {}",
            repo.display(),
            String::from_utf8_lossy(&refs.stderr).trim()
        ));
    }
    let branches: Vec<String> = String::from_utf8_lossy(&refs.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    if branches.is_empty() {
        return Err(format!(
            "--branches: no branch of {} matches {pattern:?}",
            repo.display()
        ));
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    for b in &branches {
        let dir = dest.join(b.replace('/', "-"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut archive = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["archive", "--format=tar", b])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git archive: {e}"))?;
        let tar = Command::new("tar")
            .args(["-x", "-m", "-C"])
            .arg(&dir)
            .stdin(archive.stdout.take().expect("piped"))
            .status()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        let git_ok = archive.wait().is_ok_and(|s| s.success());
        if !(git_ok && tar.success()) {
            return Err(format!("--branches: exporting branch {b} failed"));
        }
    }
    Ok(dest.to_path_buf())
}

/// The subfolders of `dir`, by name (dot-folders left out).
fn subfolders(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut v: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    v.sort();
    Ok(v)
}

/// A hash of the workspace's source files (names and contents).
fn digest(dir: &Path) -> String {
    let mut h = Sha256::new();
    for rel in crate::student::source_files(dir).unwrap_or_default() {
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(std::fs::read(dir.join(&rel)).unwrap_or_default());
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

/// A hash of the instructors' pristine files when they are a folder.
fn reference_digest(reference: &str, topics: &[String]) -> Option<String> {
    let dir = Path::new(reference);
    if !dir.is_dir() {
        return None; // a git ref: its objects do not change
    }
    let mut h = Sha256::new();
    for p in grade::pristine_paths(topics) {
        let mut files = Vec::new();
        for e in walkdir::WalkDir::new(dir.join(&p)).sort_by_file_name() {
            if let Ok(e) = e
                && e.file_type().is_file()
            {
                files.push(e.into_path());
            }
        }
        for f in files {
            h.update(f.to_string_lossy().as_bytes());
            h.update(std::fs::read(&f).unwrap_or_default());
        }
    }
    Some(format!("{:x}", h.finalize()))
}

fn zero_grades(manifests: &[Manifest], reason: &str) -> Vec<ExerciseGrade> {
    manifests
        .iter()
        .flat_map(|m| {
            m.exercises.iter().map(|e| ExerciseGrade {
                topic: m.topic.clone(),
                exercise: e.clone(),
                visible: Vec::new(),
                hidden: Vec::new(),
                error: Some(reason.to_string()),
            })
        })
        .collect()
}

/// `cargo <args>` in `dir` with the shared target directory, quietly.
fn cargo(dir: &Path, target: &Path, args: &[&str]) -> bool {
    Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Gives every file under `dir` the current time as its mtime.
fn touch(dir: &Path) {
    let now = SystemTime::now();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_file()
            && let Ok(f) = std::fs::File::options().write(true).open(e.path())
        {
            let _ = f.set_modified(now);
        }
    }
}

/// Grades every submission under `submissions`; never stops on one.
pub fn grade_class(
    submissions: &Path,
    opts: &ClassOptions,
) -> Result<Class, String> {
    let start = Instant::now();
    let ws = opts.work.join("ws");
    let snaps = opts.work.join("snapshots");
    let target = opts.work.join("target");
    let _ = std::fs::remove_dir_all(&snaps);
    // The instructors' copy: the manifests, and a first build of every
    // dependency (no time limit: it is not a student's time).
    grade::pristine_copy(&opts.root, &ws, &opts.reference)?;
    let manifests = grade::select(&ws, &opts.topics)?;
    let all_topics: Vec<String> = crate::manifest::load_all(&ws)?
        .into_iter()
        .map(|m| m.topic)
        .collect();
    let ref_digest = reference_digest(&opts.reference, &all_topics);

    // Snapshots of every submission, before any of their code runs.
    let mut queue = Vec::new();
    for (name, dir) in subfolders(submissions)? {
        let snap = snaps.join(&name);
        let entry = if !dir.join("Cargo.toml").is_file() {
            Err(format!("missing: no Cargo.toml in {}", dir.display()))
        } else {
            grade::pristine_copy(&dir, &snap, &opts.reference)
                .map(|()| (digest(&dir), digest(&snap)))
                .map_err(|e| format!("missing: could not copy it: {e}"))
        };
        queue.push((name, dir, snap, entry));
    }
    for t in &manifests {
        let targets = crate::agree::test_targets(&ws, &t.topic, true);
        let mut args = vec!["test", "--no-run", "-p", &t.topic];
        for x in &targets {
            args.extend(["--test", x.as_str()]);
        }
        cargo(&ws, &target, &args);
    }

    let bar = if opts.progress {
        indicatif::ProgressBar::new(queue.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} {elapsed_precise} {msg}",
        )
        .map_err(|e| e.to_string())?,
    );
    let mut students = Vec::new();
    let mut originals = Vec::new();
    for (name, dir, snap, entry) in queue {
        bar.set_message(name.clone());
        let t0 = Instant::now();
        if let Ok((d, _)) = &entry {
            originals.push((students.len(), dir, d.clone()));
        }
        let mut student = match entry {
            Err(reason) => Student {
                grades: zero_grades(&manifests, &reason),
                problems: vec![reason],
                name,
                seconds: 0.0,
            },
            Ok((_, snap_digest)) => {
                let mut problems = Vec::new();
                if digest(&snap) != snap_digest {
                    problems.push(
                        "its copy changed before it was graded (by another \
                         submission's code?)"
                            .to_string(),
                    );
                }
                let grades = grade_one(&snap, &ws, &target, &manifests, opts)
                    .unwrap_or_else(|(grades, p)| {
                        problems.extend(p);
                        grades
                    });
                let _ = std::fs::remove_dir_all(&snap);
                Student {
                    name,
                    grades,
                    problems,
                    seconds: t0.elapsed().as_secs_f64(),
                }
            }
        };
        student.seconds = t0.elapsed().as_secs_f64();
        students.push(student);
        bar.inc(1);
    }
    bar.finish_and_clear();

    // What the run's code did outside its copies, reported.
    let mut notes = Vec::new();
    if ref_digest.is_some()
        && reference_digest(&opts.reference, &all_topics) != ref_digest
    {
        notes.push(format!(
            "the instructors' tests in {} changed during the run; every \
             submission was graded with the copy taken before any ran",
            opts.reference
        ));
    }
    for (i, dir, before) in originals {
        if digest(&dir) != before {
            students[i].problems.push(
                "its folder changed during the run (graded from the copy \
                 taken before any submission ran)"
                    .to_string(),
            );
        }
    }
    Ok(Class {
        exercises: manifests
            .iter()
            .flat_map(|m| {
                m.exercises.iter().map(|e| (m.topic.clone(), e.clone()))
            })
            .collect(),
        students,
        notes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Grades one snapshot at the shared path `ws`; on trouble, the grades
/// (zero where it struck) and the reasons.
fn grade_one(
    snap: &Path,
    ws: &Path,
    target: &Path,
    manifests: &[Manifest],
    opts: &ClassOptions,
) -> Result<Vec<ExerciseGrade>, (Vec<ExerciseGrade>, Vec<String>)> {
    let fail = |r: String| (zero_grades(manifests, &r), vec![r]);
    let _ = std::fs::remove_dir_all(ws);
    std::fs::rename(snap, ws)
        .map_err(|e| fail(format!("could not move its copy: {e}")))?;
    if ws.starts_with(&opts.root) {
        // Inside the instructors' workspace its .cargo applies from above;
        // a second copy would double the rustflags and rebuild everything.
        let _ = std::fs::remove_dir_all(ws.join(".cargo"));
    }
    // No build of an earlier student's crates can be taken as fresh.
    let mut clean = vec!["clean"];
    let topics: Vec<String> = crate::manifest::load_all(ws)
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.topic)
        .collect();
    for t in &topics {
        clean.extend(["-p", t.as_str()]);
        touch(&ws.join("crates").join(t));
    }
    cargo(ws, target, &clean);
    let run_opts = RunOptions {
        target_dir: Some(target.to_path_buf()),
        timeout: opts.timeout,
        deadline: Instant::now().checked_add(opts.timeout),
        ..RunOptions::default()
    };
    let mut grades = Vec::new();
    let mut problems = Vec::new();
    let secs = opts.timeout.as_secs();
    for m in manifests {
        let graded = runner::run_topic(ws, &m.topic, &run_opts)
            .and_then(|run| Ok((grade::grade_topic(m, &run)?, run)));
        match graded {
            Ok((g, run)) => {
                if let Some(err) = &run.error {
                    problems.push(if err.contains("ran out of time") {
                        format!(
                            "{}: timed out while building ({secs} s)",
                            m.topic
                        )
                    } else {
                        format!("{}: does not compile", m.topic)
                    });
                } else if run
                    .outcomes()
                    .any(|(_, o)| o.output.starts_with("timed out"))
                {
                    problems.push(format!(
                        "{}: timed out running the tests (limit {secs} s)",
                        m.topic
                    ));
                }
                grades.extend(g);
            }
            Err(e) => {
                let r = format!("{}: {e}", m.topic);
                grades.extend(zero_grades(std::slice::from_ref(m), &r));
                problems.push(r);
            }
        }
    }
    if problems.is_empty() {
        Ok(grades)
    } else {
        Err((grades, problems))
    }
}

/// A CSV field, quoted when it needs to be.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One exercise across the class.
#[derive(Debug, Clone)]
pub struct ExerciseSummary {
    /// The exercise id.
    pub id: String,
    /// Its points.
    pub points: u32,
    /// Mean points earned.
    pub mean: f64,
    /// Share of students with full marks.
    pub full: f64,
    /// The most common first failure (`test: message`) and how many had it.
    pub common_failure: Option<(String, usize)>,
    /// Students per score earned (rounded to 0.01), highest first.
    pub histogram: Vec<(f64, usize)>,
}

/// Per exercise: mean, share of full marks, most common first failure.
pub fn summary(class: &Class) -> Vec<ExerciseSummary> {
    let n = class.students.len().max(1) as f64;
    class
        .exercises
        .iter()
        .map(|(topic, e)| {
            let grades: Vec<&ExerciseGrade> = class
                .students
                .iter()
                .filter_map(|s| s.grade(topic, &e.id))
                .collect();
            let mean = grades.iter().map(|g| g.score()).sum::<f64>() / n;
            let full = grades
                .iter()
                .filter(|g| g.score() >= e.points as f64 - 1e-9)
                .count() as f64
                / n;
            let mut failures: BTreeMap<String, usize> = BTreeMap::new();
            for g in grades.iter().filter(|g| g.error.is_none()) {
                let f = g.first_failure();
                if !f.is_empty() {
                    *failures.entry(f).or_default() += 1;
                }
            }
            let common_failure = failures
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            let mut hist: BTreeMap<i64, usize> = BTreeMap::new();
            for g in &grades {
                *hist.entry((g.score() * 100.0).round() as i64).or_default() +=
                    1;
            }
            ExerciseSummary {
                id: e.id.clone(),
                points: e.points,
                mean,
                full,
                common_failure,
                histogram: hist
                    .into_iter()
                    .rev()
                    .map(|(k, c)| (k as f64 / 100.0, c))
                    .collect(),
            }
        })
        .collect()
}

/// `gradebook.csv`: one row a student, one column an exercise, the total,
/// and what went wrong.
pub fn gradebook_csv(class: &Class) -> String {
    let mut s = String::from("student");
    for (_, e) in &class.exercises {
        s.push(',');
        s.push_str(&csv(&e.id));
    }
    s.push_str(",total,problems\n");
    for st in &class.students {
        s.push_str(&csv(&st.name));
        for (topic, e) in &class.exercises {
            let score = st.score(topic, &e.id);
            let _ = write!(s, ",{score:.2}");
        }
        let _ =
            writeln!(s, ",{:.2},{}", st.total(), csv(&st.problems.join("; ")));
    }
    s
}

/// `summary.csv`: one row an exercise.
pub fn summary_csv(sums: &[ExerciseSummary]) -> String {
    let mut s = String::from(
        "exercise,points,mean,full_marks_share,most_common_first_failure,\
         students_with_it\n",
    );
    for x in sums {
        let (f, c) = x.common_failure.clone().unwrap_or_default();
        let _ = writeln!(
            s,
            "{},{},{:.2},{:.2},{},{}",
            csv(&x.id),
            x.points,
            x.mean,
            x.full,
            csv(&f),
            c
        );
    }
    s
}

/// `report.html`: inline CSS, no script, no external resource.
pub fn report_html(class: &Class, sums: &[ExerciseSummary]) -> String {
    let n = class.students.len();
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Class report</title><style>\n\
         body{font-family:sans-serif;margin:2em;max-width:70em}\n\
         table{border-collapse:collapse;margin:1em 0}\n\
         td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}\n\
         td:first-child,th:first-child{text-align:left}\n\
         .full{background:#d8f0d8}.part{background:#fff3c4}\
         .zero{background:#f6d2d2}\n\
         .chart{margin:.5em 0 2em}.row{display:flex;align-items:center;\
         margin:2px 0}.label{width:7em}.track{flex:1}\n\
         .bar{display:block;background:#4a78b5;height:1em}\n\
         .count{width:3em;margin-left:.4em}\n</style></head><body>\n",
    );
    let _ = writeln!(
        h,
        "<h1>Class report</h1>\n<p>{n} submission(s), graded in {:.0} s.</p>",
        class.seconds
    );
    for note in &class.notes {
        let _ = writeln!(h, "<p><strong>Note:</strong> {}</p>", html(note));
    }
    h.push_str("<h2>Scores</h2>\n<table><tr><th>student</th>");
    for (_, e) in &class.exercises {
        let _ = write!(h, "<th>{} ({})</th>", html(&e.id), e.points);
    }
    h.push_str("<th>total</th></tr>\n");
    for st in &class.students {
        let _ = write!(h, "<tr><td>{}</td>", html(&st.name));
        for (topic, e) in &class.exercises {
            let score = st.score(topic, &e.id);
            let class = if score >= e.points as f64 - 1e-9 {
                "full"
            } else if score > 0.0 {
                "part"
            } else {
                "zero"
            };
            let _ = write!(h, "<td class=\"{class}\">{score:.2}</td>");
        }
        let _ = writeln!(h, "<td>{:.2}</td></tr>", st.total());
    }
    h.push_str("</table>\n");
    let troubled: Vec<&Student> = class
        .students
        .iter()
        .filter(|s| !s.problems.is_empty())
        .collect();
    if !troubled.is_empty() {
        h.push_str("<h2>Submissions with problems</h2>\n<ul>\n");
        for st in troubled {
            let _ = writeln!(
                h,
                "<li><strong>{}</strong>: {}</li>",
                html(&st.name),
                html(&st.problems.join("; "))
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<h2>Exercises</h2>\n");
    for x in sums {
        let _ = writeln!(
            h,
            "<h3>{} ({} points)</h3>\n<p>mean {:.2}, full marks {:.0} %</p>",
            html(&x.id),
            x.points,
            x.mean,
            100.0 * x.full
        );
        if let Some((f, c)) = &x.common_failure {
            let _ = writeln!(
                h,
                "<p>most common first failure ({c} student(s)): \
                 <code>{}</code></p>",
                html(f)
            );
        }
        h.push_str("<div class=\"chart\">\n");
        for (score, count) in &x.histogram {
            let width = 100.0 * *count as f64 / n.max(1) as f64;
            let _ = writeln!(
                h,
                "<div class=\"row\"><span class=\"label\">{score:.2} pts\
                 </span><span class=\"track\"><span class=\"bar\" \
                 style=\"width:{width:.0}%\"></span></span>\
                 <span class=\"count\">{count}</span></div>"
            );
        }
        h.push_str("</div>\n");
    }
    h.push_str("</body></html>\n");
    h
}

/// Writes the three outputs into `out` (each written aside, then renamed).
pub fn write_outputs(class: &Class, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let sums = summary(class);
    for (name, text) in [
        ("gradebook.csv", gradebook_csv(class)),
        ("summary.csv", summary_csv(&sums)),
        ("report.html", report_html(class, &sums)),
    ] {
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, out.join(name))
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Fixture;

    fn git(dir: &Path, args: &[&str]) {
        crate::testutil::git(dir, args);
    }

    /// Writes a copy of the workspace `root` with `lib.rs` edited.
    fn submission(root: &Path, dir: &Path, lib: impl Fn(String) -> String) {
        for rel in crate::student::source_files(root).unwrap() {
            let dst = dir.join(&rel);
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(root.join(&rel), dst).unwrap();
        }
        let p = dir.join("crates/toy/src/lib.rs");
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, lib(text)).unwrap();
    }

    /// Writes the six kinds of submission from the fixture workspace at
    /// `root` into `class`, `copies` of each kind (suffixed `-00`, `-01`, …
    /// when more than one), and one empty folder `g-missing`.
    fn write_class(root: &Path, class: &Path, copies: usize) {
        let instructors_tests = root.join("crates/toy/tests/graded.rs");
        for k in 0..copies {
            let name = |kind: &str| {
                class.join(if copies == 1 {
                    kind.to_string()
                } else {
                    format!("{kind}-{k:02}")
                })
            };
            let other_lib = name("b-full").join("crates/toy/src/lib.rs");
            // Graded first: a right answer that, when run, breaks another
            // student's folder, weakens the instructors' tests and its own.
            submission(root, &name("a-tamper"), |s| {
                let evil = format!(
                    "    let _ = std::fs::write({other:?}, \"broken\");\n    \
                     let _ = std::fs::write({tests:?}, {weak:?});\n    \
                     let _ = std::fs::write(\"tests/graded.rs\", {weak:?});\n    \
                     a + b\n",
                    other = other_lib.display().to_string(),
                    tests = instructors_tests.display().to_string(),
                    weak = "mod toy_add { #[test] fn adds() {} #[test] fn \
                            rejects_nan() {} }\nmod toy_scale { #[test] fn \
                            scales() {} }\n",
                );
                s.replacen("    a + b\n", &evil, 1)
            });
            // A git repository counts as a workspace.
            let full = name("b-full");
            submission(root, &full, |s| s);
            git(&full, &["init", "-q", "-b", "main"]);
            git(&full, &["add", "-A"]);
            git(&full, &["commit", "-q", "-m", "mine"]);
            crate::student::write_tree(root, &name("c-stubs"), &[], false)
                .unwrap();
            submission(root, &name("d-mistake"), |s| {
                s.replacen("    a + b\n", "    a - b\n", 1)
            });
            submission(root, &name("e-no-build"), |s| {
                s.replacen("    a + b\n", "    a +\n", 1)
            });
            submission(root, &name("f-loops"), |s| {
                s.replacen(
                    "        helper(self.k) * x\n",
                    "        loop {\n            std::hint::spin_loop();\n\
                     }\n",
                    1,
                )
            });
            if k == 0 {
                std::fs::create_dir_all(class.join("g-missing")).unwrap();
            }
        }
    }

    #[test]
    fn grades_a_class_of_six_with_timeouts_and_tampering() {
        let fx = Fixture::new("class");
        let class = fx.scratch("class");
        let other_lib = class.join("b-full/crates/toy/src/lib.rs");
        let instructors_tests = fx.root.join("crates/toy/tests/graded.rs");
        let pristine_tests =
            std::fs::read_to_string(&instructors_tests).unwrap();
        write_class(&fx.root, &class, 1);

        let opts = ClassOptions {
            root: fx.root.clone(),
            reference: fx.root.display().to_string(),
            topics: Vec::new(),
            timeout: Duration::from_secs(20),
            work: fx.scratch("work"),
            progress: false,
        };
        let t0 = Instant::now();
        let got = grade_class(&class, &opts).unwrap();
        let elapsed = t0.elapsed().as_secs_f64();
        let scores: Vec<(String, String)> = got
            .students
            .iter()
            .map(|s| (s.name.clone(), format!("{:.2}", s.total())))
            .collect();
        let want = [
            ("a-tamper", "10.00"),
            ("b-full", "10.00"),
            ("c-stubs", "0.00"),
            ("d-mistake", "7.33"),
            ("e-no-build", "0.00"),
            ("f-loops", "0.00"),
            ("g-missing", "0.00"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(scores, want, "{got:#?}");
        // The attack happened, and changed no grade; it was reported.
        assert_eq!(std::fs::read_to_string(&other_lib).unwrap(), "broken");
        assert_ne!(
            std::fs::read_to_string(&instructors_tests).unwrap(),
            pristine_tests
        );
        let problems = |name: &str| {
            got.students
                .iter()
                .find(|s| s.name == name)
                .unwrap()
                .problems
                .join("; ")
        };
        assert!(problems("b-full").contains("changed during the run"));
        assert!(got.notes[0].contains("instructors' tests"), "{got:?}");
        assert!(problems("e-no-build").contains("toy: does not compile"));
        assert!(problems("f-loops").contains("timed out"), "{got:?}");
        assert!(problems("g-missing").starts_with("missing"));
        assert!(
            problems("c-stubs").is_empty() && problems("a-tamper").is_empty()
        );
        let looped = &got.students[5].grades[1];
        assert!(looped.first_failure().contains("timed out"), "{looped:?}");

        let out = fx.scratch("out");
        write_outputs(&got, &out).unwrap();
        let book = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
        let lines: Vec<&str> = book.lines().collect();
        assert_eq!(lines[0], "student,toy-add,toy-scale,total,problems");
        assert_eq!(lines.len(), 8, "{book}");
        assert!(lines[4].starts_with("d-mistake,1.33,6.00,7.33,"), "{book}");
        assert!(lines[5].starts_with("e-no-build,0.00,0.00,0.00,toy: does"));
        let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
        // toy-add: 4 + 4 + 4/3 points over 7 students, 2 of them full;
        // three first failures once each (the tie goes to the first name).
        assert!(
            summary.contains(
                "toy-add,4,1.33,0.29,adds: assertion `left == right` \
                 failed: 1 + 2 | left: -1.0 | right: 3.0,1\n"
            ),
            "{summary}"
        );
        assert!(summary.contains("toy-scale,6,2.57,0.43,scales: "));
        let report = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(!report.contains("http"), "an external URL");
        assert!(!report.contains("<script"), "a script");
        assert!(report.contains("<table>") && report.contains("class=\"bar\""));
        assert_eq!(report.matches("<div class=\"chart\">").count(), 2);
        for name in ["e-no-build", "f-loops", "g-missing"] {
            assert!(report.contains(&format!("<strong>{name}</strong>")));
        }
        // Kept for the browser test (tests/browser/class-report.mjs) when
        // asked: `COURSE_CLASS_REPORT=target/class-report/report.html`, a
        // relative path being taken from the workspace root.
        if let Some(keep) = std::env::var_os("COURSE_CLASS_REPORT") {
            let keep = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(keep);
            std::fs::create_dir_all(keep.parent().unwrap()).unwrap();
            std::fs::copy(out.join("report.html"), &keep).unwrap();
            eprintln!("kept the report as {}", keep.display());
        }
        eprintln!("graded the class in {elapsed:.1} s");
    }

    #[test]
    fn grades_one_branch_per_student_of_a_class_repository() {
        let fx = Fixture::new("class-branches");
        let repo = fx.scratch("class-repo");
        // alice: the full solution; bob: a wrong one; main: not graded
        for (branch, lib) in [
            ("student/alice", "    a + b\n"),
            ("student/bob", "    a - b\n"),
            ("main", "    a + b\n"),
        ] {
            let _ = std::fs::remove_dir_all(&repo);
            submission(&fx.root, &repo, |s| s.replacen("    a + b\n", lib, 1));
            git(&repo, &["init", "-q", "-b", branch]);
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "-q", "-m", branch]);
            let bundle = fx.scratch(&branch.replace('/', "-"));
            git(
                &repo,
                &["bundle", "create", "-q", bundle.to_str().unwrap(), branch],
            );
        }
        // one (bare, as on a server) repository holding the three branches
        let _ = std::fs::remove_dir_all(&repo);
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "--bare"]);
        for branch in ["student/alice", "student/bob", "main"] {
            let bundle = fx.scratch(&branch.replace('/', "-"));
            let spec = format!("{branch}:{branch}");
            git(&repo, &["fetch", "-q", bundle.to_str().unwrap(), &spec]);
        }
        let dest = fx.scratch("exported");
        let got = export_branches(&repo, "student/*", &dest).unwrap();
        let names: Vec<String> = subfolders(&got)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["student-alice", "student-bob"]);
        let bob = std::fs::read_to_string(
            dest.join("student-bob/crates/toy/src/lib.rs"),
        )
        .unwrap();
        assert!(bob.contains("    a - b\n"), "{bob}");
        let err = export_branches(&repo, "nobody/*", &dest).unwrap_err();
        assert!(
            err.contains("no branch") && err.contains("nobody/*"),
            "{err}"
        );
        let not_repo = export_branches(&dest, "*", &fx.scratch("x"));
        assert!(not_repo.unwrap_err().contains("not a git repository"));

        let opts = ClassOptions {
            root: fx.root.clone(),
            reference: fx.root.display().to_string(),
            topics: Vec::new(),
            timeout: Duration::from_secs(60),
            work: fx.scratch("work"),
            progress: false,
        };
        let class = grade_class(&got, &opts).unwrap();
        let scores: Vec<(String, String)> = class
            .students
            .iter()
            .map(|s| (s.name.clone(), format!("{:.2}", s.total())))
            .collect();
        let want = [("student-alice", "10.00"), ("student-bob", "7.33")]
            .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(scores, want, "{class:#?}");
    }

    /// Writes the fixture workspace and a class of 30 (five of each kind,
    /// and `g-missing`)
    /// under `$COURSE_CLASS_OUT`, to time `cargo course grade-class` on:
    /// `COURSE_CLASS_OUT=/tmp/c30 cargo test -p course -- --ignored
    /// writes_a_class_of_thirty`.
    #[test]
    #[ignore = "writes a class for timing; needs COURSE_CLASS_OUT"]
    fn writes_a_class_of_thirty() {
        let Some(out) = std::env::var_os("COURSE_CLASS_OUT") else {
            return;
        };
        let out = PathBuf::from(out);
        let fx = Fixture::new("class30");
        let ws = out.join("ws");
        submission(&fx.root, &ws, |s| s);
        write_class(&ws, &out.join("class"), 5);
    }
}
