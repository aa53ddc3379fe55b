//! Building and running a topic's graded test binaries, and reading
//! libtest's text output (stable Rust has no JSON test output).
//!
//! The test binaries are built with `cargo test --no-run
//! --message-format=json` (which names each executable) and then run
//! directly with a time limit, so only their stdout is parsed: what a test
//! prints on stderr, and cargo's own messages, never change a grade.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The result of one test.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Full libtest name (`affine_backward::dw_matches_numeric_gradient`).
    pub name: String,
    /// Passed (an ignored test counts as not passed).
    pub passed: bool,
    /// What the failure printed (panic message, captured output).
    pub output: String,
}

/// One test binary (`graded`, `hidden_extra`) of a topic.
#[derive(Debug, Clone)]
pub struct TargetRun {
    /// The test target's name (the file stem).
    pub target: String,
    /// Every test the binary lists, with its outcome.
    pub outcomes: Vec<Outcome>,
}

/// All graded test targets of a topic and how they ran.
#[derive(Debug, Clone)]
pub struct TopicRun {
    /// The topic crate.
    pub topic: String,
    /// The targets, `graded` first.
    pub targets: Vec<TargetRun>,
    /// Why nothing could run (compile error), if so.
    pub error: Option<String>,
    /// Wall time of build and run.
    pub seconds: f64,
}

impl TopicRun {
    /// Every outcome with its target.
    pub fn outcomes(&self) -> impl Iterator<Item = (&str, &Outcome)> {
        self.targets
            .iter()
            .flat_map(|t| t.outcomes.iter().map(|o| (t.target.as_str(), o)))
    }
}

/// Options for [`run_topic`].
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `CARGO_TARGET_DIR` (default: cargo's own choice).
    pub target_dir: Option<PathBuf>,
    /// Time limit per test binary.
    pub timeout: Duration,
    /// Also run `hidden_*.rs`.
    pub hidden: bool,
    /// Echo cargo's build output (stderr) while building.
    pub verbose: bool,
    /// Nothing runs past this instant (the build included): the time limit
    /// of a whole submission in `grade-class`.
    pub deadline: Option<Instant>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            target_dir: None,
            timeout: Duration::from_secs(600),
            hidden: true,
            verbose: false,
            deadline: None,
        }
    }
}

/// Builds and runs the graded tests of `topic` in the workspace at `root`.
pub fn run_topic(
    root: &Path,
    topic: &str,
    opts: &RunOptions,
) -> Result<TopicRun, String> {
    let start = Instant::now();
    let targets = crate::agree::test_targets(root, topic, opts.hidden);
    if targets.is_empty() {
        return Err(format!(
            "crates/{topic}/tests/graded.rs does not exist (no graded tests)"
        ));
    }
    let exes = match build(root, topic, &targets, opts) {
        Ok(e) => e,
        Err(err) => {
            return Ok(TopicRun {
                topic: topic.to_string(),
                targets: Vec::new(),
                error: Some(err),
                seconds: start.elapsed().as_secs_f64(),
            });
        }
    };
    let crate_dir = root.join("crates").join(topic);
    let mut runs = Vec::new();
    for t in &targets {
        let Some(exe) = exes.get(t) else {
            return Err(format!("cargo built no test binary for {topic}/{t}"));
        };
        runs.push(run_binary(exe, t, &crate_dir, opts)?);
    }
    Ok(TopicRun {
        topic: topic.to_string(),
        targets: runs,
        error: None,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// `cargo test -p topic --test … --no-run`: the executables by target name,
/// or the compiler's first errors.
fn build(
    root: &Path,
    topic: &str,
    targets: &[String],
    opts: &RunOptions,
) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    c.current_dir(root).args([
        "test",
        "--no-run",
        "--message-format=json",
        "-p",
        topic,
    ]);
    for t in targets {
        c.args(["--test", t]);
    }
    if let Some(dir) = &opts.target_dir {
        c.env("CARGO_TARGET_DIR", dir);
    }
    let Some(out) = output_until(c, opts.deadline, !opts.verbose)
        .map_err(|e| format!("cargo: {e}"))?
    else {
        return Err(format!(
            "crates/{topic}: the build ran out of time (the submission's \
             time limit)"
        ));
    };
    let mut exes = BTreeMap::new();
    let mut errors = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match v["reason"].as_str() {
            Some("compiler-artifact") if v["profile"]["test"] == true => {
                if let (Some(name), Some(exe)) =
                    (v["target"]["name"].as_str(), v["executable"].as_str())
                {
                    exes.insert(name.to_string(), PathBuf::from(exe));
                }
            }
            Some("compiler-message")
                if v["message"]["level"] == "error" && errors.len() < 3 =>
            {
                if let Some(r) = v["message"]["rendered"].as_str() {
                    errors.push(r.trim_end().to_string());
                }
            }
            _ => {}
        }
    }
    if out.success {
        return Ok(exes);
    }
    if errors.is_empty() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        errors.push(tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }
    Err(format!(
        "crates/{topic} does not compile:\n{}",
        errors.join("\n\n")
    ))
}

/// What a child printed, and whether it succeeded.
struct Output {
    success: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs a child in a process group of its own until it ends or `until`
/// passes; then the whole group is killed (a test's own children, or
/// cargo's rustc, with it) and the answer is `None`. Stderr is captured
/// (`capture_stderr`) or shown.
fn output_until(
    mut c: Command,
    until: Option<Instant>,
    capture_stderr: bool,
) -> Result<Option<Output>, String> {
    c.stdout(Stdio::piped());
    c.stderr(if capture_stderr {
        Stdio::piped()
    } else {
        Stdio::inherit()
    });
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn().map_err(|e| e.to_string())?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|r| Box::new(r) as _));
    let stderr = drain(child.stderr.take().map(|r| Box::new(r) as _));
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(s);
        }
        if until.is_some_and(|u| Instant::now() > u) {
            kill_group(&mut child);
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(status.map(|s| Output {
        success: s.success(),
        stdout,
        stderr,
    }))
}

/// Kills the child's process group (the child leads it), or the child.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let group = format!("-{}", child.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        if killed.is_ok_and(|s| s.success()) {
            return;
        }
    }
    let _ = child.kill();
}

/// The earlier of `now + limit` and the deadline.
fn until(limit: Duration, deadline: Option<Instant>) -> Option<Instant> {
    match (Instant::now().checked_add(limit), deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Runs a test binary with a time limit; `None` when it was killed.
fn run_with_timeout(
    c: Command,
    limit: Duration,
    deadline: Option<Instant>,
) -> Result<Option<(bool, String)>, String> {
    let mut c = c;
    c.stdin(Stdio::null());
    Ok(output_until(c, until(limit, deadline), true)?
        .map(|o| (o.success, String::from_utf8_lossy(&o.stdout).into_owned())))
}

/// Why a test run was killed.
fn timed_out(started: Instant) -> String {
    format!(
        "timed out after {} s",
        started.elapsed().as_secs_f64().round()
    )
}

fn test_command(exe: &Path, cwd: &Path) -> Command {
    let mut c = Command::new(exe);
    c.current_dir(cwd)
        .env("CARGO_MANIFEST_DIR", cwd)
        .env("RUST_BACKTRACE", "0")
        .env_remove("RUST_TEST_NOCAPTURE");
    c
}

/// Lists then runs one test binary; every listed test gets an outcome
/// (a crash or time-out fails the ones that did not report).
fn run_binary(
    exe: &Path,
    target: &str,
    cwd: &Path,
    opts: &RunOptions,
) -> Result<TargetRun, String> {
    let mut list = test_command(exe, cwd);
    list.args(["--list", "--format", "terse"]);
    let listed =
        match run_with_timeout(list, Duration::from_secs(60), opts.deadline)? {
            Some((_, text)) => parse_list(&text),
            None => Vec::new(),
        };
    let mut run = test_command(exe, cwd);
    run.args(["--color", "never"]);
    let started = Instant::now();
    let (mut results, failures, note) =
        match run_with_timeout(run, opts.timeout, opts.deadline)? {
            Some((success, text)) => {
                let (mut r, mut f) = parse_run(&text);
                let all_reported = listed.iter().all(|n| r.contains_key(n));
                let note = if all_reported {
                    String::new()
                } else {
                    "the test binary stopped before this test reported \
                 (a crash or process::exit?)"
                        .to_string()
                };
                if !success || !all_reported {
                    confirm_passes(exe, cwd, opts, &listed, &mut r, &mut f)?;
                }
                (r, f, note)
            }
            None => (BTreeMap::new(), BTreeMap::new(), timed_out(started)),
        };
    results.retain(|name, _| listed.contains(name));
    let outcomes = listed
        .into_iter()
        .map(|name| {
            let passed = results.get(&name).copied().unwrap_or(false);
            let output = if passed {
                String::new()
            } else if let Some(f) = failures.get(&name) {
                f.clone()
            } else if results.contains_key(&name) {
                "ignored".to_string()
            } else {
                note.clone()
            };
            Outcome {
                name,
                passed,
                output,
            }
        })
        .collect();
    Ok(TargetRun {
        target: target.to_string(),
        outcomes,
    })
}

/// The binary failed as a whole, so its stdout is not trusted for passes:
/// code under test can write a line that looks like `test name ... ok`
/// (libtest captures `print!`, not raw writes to the file descriptor), or
/// end the process before libtest reports. Each listed test that did not
/// fail runs again on its own, and passes only if that process succeeds;
/// so one test's crash costs only that test.
fn confirm_passes(
    exe: &Path,
    cwd: &Path,
    opts: &RunOptions,
    listed: &[String],
    results: &mut BTreeMap<String, bool>,
    failures: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for name in listed {
        if results.get(name) == Some(&false) {
            continue;
        }
        let mut one = test_command(exe, cwd);
        one.args(["--color", "never", "--test-threads", "1", "--exact"])
            .arg(name);
        let started = Instant::now();
        let passed = match run_with_timeout(one, opts.timeout, opts.deadline)? {
            Some((true, text)) => parse_run(&text).0.get(name) == Some(&true),
            Some((false, text)) => {
                let output =
                    parse_run(&text).1.remove(name).unwrap_or_else(|| {
                        "the test process ended before the test reported \
                         (a crash or process::exit?)"
                            .to_string()
                    });
                failures.insert(name.clone(), output);
                false
            }
            None => {
                failures.insert(name.clone(), timed_out(started));
                false
            }
        };
        results.insert(name.clone(), passed);
    }
    Ok(())
}

/// Test names from `--list --format terse` (`name: test`).
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

/// From a libtest run's stdout: pass/fail per test, and each failure's
/// captured output (`---- name stdout ----` blocks).
pub fn parse_run(
    text: &str,
) -> (BTreeMap<String, bool>, BTreeMap<String, String>) {
    let mut results: BTreeMap<String, bool> = BTreeMap::new();
    // A test passes only if no line says otherwise: what a test printed
    // can add an `ok` line, never take libtest's `FAILED` away (and
    // `run_binary` reruns the `ok`s of a binary that failed).
    let mut record = |name: &str, ok: bool| {
        let e = results.entry(name.to_string()).or_insert(true);
        *e = *e && ok;
    };
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        for (suffix, ok) in [
            (" ... ok", true),
            (" ... FAILED", false),
            (" ... ignored", false),
        ] {
            if let Some(name) = rest.strip_suffix(suffix) {
                // `should_panic` tests print `name - should panic ... ok`.
                let name = name.strip_suffix(" - should panic").unwrap_or(name);
                record(name, ok);
            }
        }
        if let Some((name, _)) = rest.split_once(" ... ignored, ") {
            record(name, false);
        }
    }
    let mut failures = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|r| r.strip_suffix(" stdout ----"))
        {
            if let Some((n, body)) = current.take() {
                failures.insert(n, body.join("\n").trim().to_string());
            }
            let name = name.strip_suffix(" - should panic").unwrap_or(name);
            current = Some((name.to_string(), Vec::new()));
        } else if line == "failures:" || line.starts_with("test result:") {
            if let Some((n, body)) = current.take() {
                failures.insert(n, body.join("\n").trim().to_string());
            }
        } else if let Some((_, body)) = &mut current {
            body.push(line);
        }
    }
    (results, failures)
}

/// The line of a failure that says what went wrong: the panic message
/// (the line after `thread '…' panicked at file:line:col:`), without the
/// wrapping that hides it: proptest's `Test failed: ` and ` at file:line.`,
/// and with an `assert_eq!`'s two sides (`left: 1 | right: 2`).
pub fn first_failure_line(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("thread '")
            && l.contains("panicked at")
            && let Some(next) = lines.get(i + 1)
        {
            let mut msg = informative(next.trim());
            if msg.starts_with("assertion `left") {
                for side in lines[i + 2..].iter().take(2) {
                    let side = side.trim();
                    if side.starts_with("left:") || side.starts_with("right:") {
                        let short: String = side.chars().take(60).collect();
                        msg.push_str(" | ");
                        msg.push_str(&short);
                    }
                }
            }
            return msg;
        }
    }
    lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .map_or(String::new(), |l| l.trim().to_string())
}

/// `Test failed: dq differs at crates/x/tests/graded.rs:12.` → `dq differs`.
fn informative(line: &str) -> String {
    let mut s = line.strip_prefix("Test failed: ").unwrap_or(line);
    // prop_assert! appends ` at <file>:<line>`, proptest a final `.`.
    if let Some(at) = s.rfind(" at ") {
        let tail = s[at + 4..].trim_end_matches('.');
        if let Some((file, line)) = tail.rsplit_once(':')
            && file.ends_with(".rs")
            && !line.is_empty()
            && line.chars().all(|c| c.is_ascii_digit())
        {
            s = &s[..at];
        }
    }
    s.trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "
running 4 tests
test a_b::x ... ok
test a_b::y ... FAILED
test c::panics - should panic ... FAILED
test c::slow ... ignored, too slow

failures:

---- a_b::y stdout ----
test a_b::y ... ok

thread 'a_b::y' (12) panicked at tests/graded.rs:5:9:
dw differs at (0, 1): analytic 1, numeric 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
---- c::panics - should panic stdout ----
note: test did not panic as expected at tests/graded.rs:9:5

failures:
    a_b::y
    c::panics

test result: FAILED. 1 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out
";

    #[test]
    fn parses_results_and_failure_blocks() {
        let (r, f) = parse_run(RUN);
        assert!(r["a_b::x"]);
        assert!(!r["a_b::y"]);
        assert!(!r["c::panics"]);
        assert!(!r["c::slow"]);
        assert!(f["a_b::y"].starts_with("test a_b::y ... ok"), "printed");
        assert_eq!(
            first_failure_line(&f["a_b::y"]),
            "dw differs at (0, 1): analytic 1, numeric 2"
        );
        assert!(f["c::panics"].contains("did not panic"));
        // proptest's wrapping and an assert_eq!'s sides
        let prop = "thread 't' (3) panicked at tests/graded.rs:9:5:\nTest \
                    failed: dq differs from the engine's at \
                    crates/attention/tests/graded.rs:226.\nminimal failing \
                    input: d = 1\n";
        assert_eq!(first_failure_line(prop), "dq differs from the engine's");
        let eq = "thread 't' (3) panicked at tests/graded.rs:9:5:\nassertion \
                  `left == right` failed: the shape\n  left: (2, 3)\n \
                  right: (3, 2)\nnote: run with\n";
        assert_eq!(
            first_failure_line(eq),
            "assertion `left == right` failed: the shape | left: (2, 3) | \
             right: (3, 2)"
        );
        // a forged line before libtest's own does not turn FAILED into ok
        let forged = "test a_b::y ... ok\ntest a_b::y ... FAILED\n";
        assert!(!parse_run(forged).0["a_b::y"]);
        let forged = "test a_b::y ... FAILED\nfailures:\ntest a_b::y ... ok\n";
        assert!(!parse_run(forged).0["a_b::y"]);
        assert_eq!(
            parse_list("a_b::x: test\na_b::y: test\n\n2 tests, 0 benchmarks\n"),
            ["a_b::x", "a_b::y"]
        );
    }
}
