//! Exercise regions in the source and their student stubs.
//!
//! On `main` an exercise is a line-delimited region that ends a function
//! body:
//!
//! ```text
//! pub fn backward(&self, cache: &Cache, d_y: &M) -> (P, M) {
//!     expect_shape(…);              // kept: code before the region
//!     // BEGIN SOLUTION affine-backward
//!     …
//!     // END SOLUTION
//! }
//! ```
//!
//! In the student version the region becomes the stub
//!
//! ```text
//!     // EXERCISE affine-backward
//!     let _ = (self, cache, d_y);
//!     todo!("exercise affine-backward: <title> — book: <section>")
//! ```
//!
//! Book anchors inside the region (`// ANCHOR: name` … `// ANCHOR_END:
//! name`) are kept around the stub, so the student edition of the book
//! shows the placeholder naming the exercise instead of an empty listing.
//!
//! This is the one parser of regions: `cargo course exercises [TOPIC…]
//! [--json]` lists them for the scripts in `scripts/`.

use crate::manifest::Exercise;
use crate::{grade, rustsrc, workspace};
use std::path::{Path, PathBuf};

/// The marker that opens a solution region (followed by the id).
pub const BEGIN: &str = "// BEGIN SOLUTION";
/// The marker that closes a solution region.
pub const END: &str = "// END SOLUTION";
/// The neutral line the student version keeps (followed by the id).
pub const EXERCISE: &str = "// EXERCISE";

/// A solution region in one file (line numbers are 0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The exercise id.
    pub id: String,
    /// The `// BEGIN SOLUTION <id>` line.
    pub begin: usize,
    /// The `// END SOLUTION` line.
    pub end: usize,
    /// The function the region ends.
    pub function: String,
    /// The function is indented (a method, in an `impl` or `trait`), not a
    /// free function at the top level of the file.
    pub method: bool,
    /// What `let _ = (…)` must name so the stub has no unused variable.
    pub unused: Vec<String>,
    /// Indentation of the BEGIN line.
    pub indent: String,
    /// `// ANCHOR: x` / `// ANCHOR_END: x` lines inside the region.
    pub anchors: Vec<String>,
    /// `// ANCHOR_END: x` lines inside the region.
    pub anchor_ends: Vec<String>,
}

/// A student stub in one file: its `// EXERCISE <id>` line and the line of
/// the `}` that closes its function (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubSite {
    /// The exercise id.
    pub id: String,
    /// The `// EXERCISE <id>` line.
    pub line: usize,
    /// The line holding the function's closing `}`.
    pub close_line: usize,
    /// The function the exercise ends.
    pub function: String,
    /// The code between the EXERCISE line and the closing brace.
    pub body: String,
}

pub fn marker_id<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = line.trim().strip_prefix(marker)?;
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    Some(rest.trim())
}

/// The byte offset at which each line starts (plus the text's length).
fn line_starts(src: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(src.match_indices('\n').map(|(i, _)| i + 1));
    v.push(src.len());
    v
}

/// Is this line a solution marker (BEGIN or END)?
pub fn is_solution_marker(line: &str) -> bool {
    marker_id(line, BEGIN).is_some() || marker_id(line, END).is_some()
}

/// Every solution region of a file, checked: markers pair up, do not nest,
/// sit inside a function and end its body.
pub fn find_regions(src: &str) -> Result<Vec<Region>, String> {
    let lines: Vec<&str> = src.lines().collect();
    let starts = line_starts(src);
    let fns = rustsrc::functions(src);
    let mut out: Vec<Region> = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in lines.iter().enumerate() {
        if let Some(id) = marker_id(line, BEGIN) {
            if let Some((b, prev)) = &open {
                return Err(format!(
                    "line {}: BEGIN SOLUTION {id} inside region {prev} \
                     (opened line {})",
                    n + 1,
                    b + 1
                ));
            }
            if id.is_empty() {
                return Err(format!(
                    "line {}: BEGIN SOLUTION without id",
                    n + 1
                ));
            }
            open = Some((n, id.to_string()));
        } else if let Some(rest) = marker_id(line, END) {
            let Some((b, id)) = open.take() else {
                return Err(format!(
                    "line {}: END SOLUTION without BEGIN",
                    n + 1
                ));
            };
            if !rest.is_empty() && rest != id {
                return Err(format!(
                    "line {}: END SOLUTION {rest} closes region {id}",
                    n + 1
                ));
            }
            if out.iter().any(|r| r.id == id) {
                return Err(format!(
                    "line {}: exercise {id} has two regions in this file",
                    b + 1
                ));
            }
            out.push(region(src, &lines, &starts, &fns, b, n, id)?);
        }
    }
    if let Some((b, id)) = open {
        return Err(format!(
            "line {}: BEGIN SOLUTION {id} is never closed by END SOLUTION",
            b + 1
        ));
    }
    Ok(out)
}

fn region(
    src: &str,
    lines: &[&str],
    starts: &[usize],
    fns: &[rustsrc::FnSpan],
    begin: usize,
    end: usize,
    id: String,
) -> Result<Region, String> {
    let Some(f) = rustsrc::enclosing_fn(fns, starts[begin]) else {
        return Err(format!(
            "line {}: exercise {id} is not inside a function body",
            begin + 1
        ));
    };
    if f.close < starts[end + 1] || f.open > starts[begin] {
        return Err(format!(
            "line {}: exercise {id} does not lie inside one function",
            begin + 1
        ));
    }
    // Only comments (an `ANCHOR_END` of an anchor around the whole region)
    // may follow the region.
    let after: String = src[starts[end + 1]..f.close]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    if !after.is_empty() {
        return Err(format!(
            "line {}: exercise {id} must end its function's body, but code \
             follows END SOLUTION: `{}`",
            end + 2,
            after.trim().lines().next().unwrap_or("")
        ));
    }
    let preamble = &src[f.open + 1..starts[begin]];
    if preamble.contains(END) || preamble.contains(EXERCISE) {
        return Err(format!(
            "line {}: exercise {id} shares its function with another",
            begin + 1
        ));
    }
    let mut unused = rustsrc::param_names(src, f);
    unused.extend(unused_lets(preamble));
    let line = lines[begin];
    let indent = line[..line.len() - line.trim_start().len()].to_string();
    let inner = &lines[begin + 1..end];
    let anchors = inner
        .iter()
        .filter(|l| l.trim().starts_with("// ANCHOR: "))
        .map(|l| l.trim().to_string())
        .collect();
    let anchor_ends = inner
        .iter()
        .filter(|l| l.trim().starts_with("// ANCHOR_END: "))
        .map(|l| l.trim().to_string())
        .collect();
    let fn_line = starts[starts.partition_point(|&s| s <= f.fn_kw) - 1];
    Ok(Region {
        id,
        begin,
        end,
        function: rustsrc::fn_name(src, f).to_string(),
        method: src[fn_line..].starts_with(char::is_whitespace),
        unused,
        indent,
        anchors,
        anchor_ends,
    })
}

/// The regions of every `.rs` file under `crates/<topic>/src`, file by
/// file (path relative to `root`, `/`-separated), each file's regions or
/// the reason they are malformed.
pub fn crate_regions(
    root: &Path,
    topic: &str,
) -> Result<Vec<(String, Result<Vec<Region>, String>)>, String> {
    let mut files = Vec::new();
    let src = root.join("crates").join(topic).join("src");
    workspace::files_with_extension(&src, "rs", &mut files);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| format!("{}: {e}", f.display()))?;
        let rel = f.strip_prefix(root).unwrap_or(&f);
        let rel = rel.to_string_lossy().replace('\\', "/");
        out.push((rel, find_regions(&text)));
    }
    Ok(out)
}

/// A region as `cargo course exercises` lists it (lines 1-based).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    /// The topic crate.
    pub topic: String,
    /// The exercise id.
    pub id: String,
    /// The file, relative to the workspace root.
    pub file: String,
    /// The line of `// BEGIN SOLUTION <id>`.
    pub begin: usize,
    /// The line of `// END SOLUTION`.
    pub end: usize,
    /// The function the region ends.
    pub function: String,
    /// `method` (indented: in an `impl` or `trait`) or `free`.
    pub kind: &'static str,
}

impl Listed {
    /// One tab-separated line: topic, id, file, begin, end, function, kind.
    pub fn line(&self) -> String {
        let Listed {
            topic,
            id,
            file,
            begin,
            end,
            function,
            kind,
        } = self;
        format!("{topic}\t{id}\t{file}\t{begin}\t{end}\t{function}\t{kind}")
    }
}

/// Every region of the named topics (all topics with a manifest when none
/// is named), in topic then file order. A malformed region is an error.
pub fn list(root: &Path, topics: &[String]) -> Result<Vec<Listed>, String> {
    let mut out = Vec::new();
    for m in grade::select(root, topics)? {
        for (file, regions) in crate_regions(root, &m.topic)? {
            for r in regions.map_err(|e| format!("{file}: {e}"))? {
                out.push(Listed {
                    topic: m.topic.clone(),
                    id: r.id,
                    file: file.clone(),
                    begin: r.begin + 1,
                    end: r.end + 1,
                    function: r.function,
                    kind: if r.method { "method" } else { "free" },
                });
            }
        }
    }
    Ok(out)
}

/// Options of `cargo course exercises`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topics to list (default: every topic with a manifest).
    pub topics: Vec<String>,
    /// A JSON array of objects instead of tab-separated lines.
    #[arg(long)]
    pub json: bool,
    /// The workspace (default: the one around the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

/// Runs `cargo course exercises`.
pub fn run(args: &Args) -> Result<(), String> {
    let root = workspace::root_or(args.root.as_deref())?;
    print!("{}", render(&list(&root, &args.topics)?, args.json)?);
    Ok(())
}

/// The listing as printed: one line per region, or JSON.
pub fn render(regions: &[Listed], json: bool) -> Result<String, String> {
    if json {
        let text =
            serde_json::to_string_pretty(regions).map_err(|e| e.to_string())?;
        return Ok(text + "\n");
    }
    Ok(regions.iter().map(|r| r.line() + "\n").collect())
}

/// Variables bound by `let` in the code before the region and not used
/// there (the solution used them; the stub must name them).
fn unused_lets(preamble: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    for stmt in preamble.split_inclusive(';') {
        at += stmt.len();
        let s = stmt.trim_start();
        let Some(rest) = s.strip_prefix("let ") else {
            continue;
        };
        let pat_end = rest.find('=').unwrap_or(rest.len());
        let pattern = &rest[..pat_end];
        // `let x: T = …`: the type is no binding.
        let pattern = match pattern.find(": ") {
            Some(k) if !pattern[..k].contains('{') => &pattern[..k],
            _ => pattern,
        };
        for name in rustsrc::pattern_bindings(pattern) {
            if !name.starts_with('_') && uses_after(&preamble[at..], &name) == 0
            {
                out.push(name);
            }
        }
    }
    out
}

/// Uses of variable `word` in `text`: whole-word occurrences that are not
/// a field access (`.word`).
fn uses_after(text: &str, word: &str) -> usize {
    let b = text.as_bytes();
    text.match_indices(word)
        .filter(|(i, _)| {
            let before = *i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b'.');
            let after = b.get(i + word.len()).is_none_or(|&c| !is_ident(c));
            before && after
        })
        .count()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Escapes text for a `todo!("…")` format string.
fn format_literal(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "{{")
        .replace('}', "}}")
        .replace('\n', " ")
}

/// The stub's lines (with indentation) for an exercise.
pub fn stub_lines(
    id: &str,
    indent: &str,
    unused: &[String],
    anchors: &[String],
    anchor_ends: &[String],
    exercise: &Exercise,
) -> Vec<String> {
    let mut out = vec![format!("{indent}{EXERCISE} {id}")];
    out.extend(anchors.iter().map(|a| format!("{indent}{a}")));
    match unused {
        [] => {}
        [one] => out.push(format!("{indent}let _ = {one};")),
        many => out.push(format!("{indent}let _ = ({});", many.join(", "))),
    }
    out.push(format!(
        "{indent}todo!(\"exercise {id}: {} — book: {}\")",
        format_literal(exercise.title.trim()),
        format_literal(&exercise.section)
    ));
    out.extend(anchor_ends.iter().map(|a| format!("{indent}{a}")));
    out
}

/// The student version of one file: every region replaced by its stub.
/// `lookup` gives the manifest entry of an id (an unknown id is an error).
/// Returns the new text and the ids stubbed.
pub fn stub_source<'a>(
    src: &str,
    lookup: impl Fn(&str) -> Option<&'a Exercise>,
) -> Result<(String, Vec<String>), String> {
    let regions = find_regions(src)?;
    if regions.is_empty() {
        return Ok((src.to_string(), Vec::new()));
    }
    let lines: Vec<&str> = src.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut next = 0;
    let mut ids = Vec::new();
    for r in &regions {
        let Some(ex) = lookup(&r.id) else {
            return Err(format!(
                "line {}: exercise {} has no entry in the topic's manifest",
                r.begin + 1,
                r.id
            ));
        };
        out.extend(lines[next..r.begin].iter().map(|l| l.to_string()));
        out.extend(stub_lines(
            &r.id,
            &r.indent,
            &r.unused,
            &r.anchors,
            &r.anchor_ends,
            ex,
        ));
        next = r.end + 1;
        ids.push(r.id.clone());
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    if src.ends_with('\n') {
        text.push('\n');
    }
    Ok((text, ids))
}

/// The student-side exercise sites of a file (`// EXERCISE <id>` lines),
/// each with the line of its function's closing brace.
pub fn find_stub_sites(src: &str) -> Result<Vec<StubSite>, String> {
    let starts = line_starts(src);
    let fns = rustsrc::functions(src);
    let lines: Vec<&str> = src.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let Some(id) = marker_id(line, EXERCISE) else {
            continue;
        };
        let Some(f) = rustsrc::enclosing_fn(&fns, starts[n]) else {
            return Err(format!(
                "line {}: EXERCISE {id} is not inside a function body",
                n + 1
            ));
        };
        let close_line = starts.partition_point(|&s| s <= f.close) - 1;
        out.push(StubSite {
            id: id.to_string(),
            line: n,
            close_line,
            function: rustsrc::fn_name(src, f).to_string(),
            body: src[starts[n + 1]..starts[close_line]].to_string(),
        });
    }
    Ok(out)
}

/// Is the body after an `// EXERCISE <id>` line still the untouched stub?
pub fn is_untouched_stub(body: &str, id: &str) -> bool {
    // Compare without whitespace, so a stub rustfmt wrapped still counts.
    let code: String = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("// ANCHOR"))
        .collect::<String>()
        .split_whitespace()
        .collect();
    let rest = match code.strip_prefix("let_=") {
        Some(r) => match r.split_once(';') {
            Some((_, after)) => after,
            None => return false,
        },
        None => code.as_str(),
    };
    let want: String = format!("todo!(\"exercise {id}:")
        .split_whitespace()
        .collect();
    rest.starts_with(&want) && rest.ends_with(')') && !rest.contains(';')
}

/// Replaces the code after the `// EXERCISE <id>` line of `site` (up to
/// its function's closing brace) with `replacement` lines.
pub fn replace_site(
    src: &str,
    site: &StubSite,
    replacement: &[String],
) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let mut out: Vec<String> =
        lines[..=site.line].iter().map(|l| l.to_string()).collect();
    out.extend(replacement.iter().cloned());
    out.extend(lines[site.close_line..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    if src.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Puts the stub of exercise `id` back in `src` (a student file): the code
/// after its `// EXERCISE <id>` line up to the function's end is replaced.
/// Returns the new text and the code that was removed.
pub fn restub(
    src: &str,
    id: &str,
    exercise: &Exercise,
) -> Result<Option<(String, String)>, String> {
    let sites = find_stub_sites(src)?;
    let Some(site) = sites.iter().find(|s| s.id == id) else {
        return Ok(None);
    };
    let starts = line_starts(src);
    let fns = rustsrc::functions(src);
    let Some(f) = rustsrc::enclosing_fn(&fns, starts[site.line]) else {
        return Err(format!("exercise {id} is not inside a function"));
    };
    let mut unused = rustsrc::param_names(src, f);
    unused.extend(unused_lets(&src[f.open + 1..starts[site.line]]));
    let keep = |prefix: &str| -> Vec<String> {
        site.body
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(prefix))
            .map(str::to_string)
            .collect()
    };
    let line = src.lines().nth(site.line).unwrap_or("");
    let indent = &line[..line.len() - line.trim_start().len()];
    let stub = stub_lines(
        id,
        indent,
        &unused,
        &keep("// ANCHOR: "),
        &keep("// ANCHOR_END: "),
        exercise,
    );
    Ok(Some((
        replace_site(src, site, &stub[1..]),
        site.body.clone(),
    )))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fixture text with `@B` / `@E` standing for the markers, so this file
    /// itself holds no marker line the student tool would act on.
    pub(crate) fn fixture(s: &str) -> String {
        s.replace("@B", BEGIN).replace("@E", END)
    }

    pub(crate) fn exercise(id: &str) -> Exercise {
        Exercise {
            id: id.into(),
            title: "Backward pass of {the} \"affine\" layer".into(),
            points: 10,
            optional: false,
            section: "fc-and-conv/affine.md#backward".into(),
            hint: String::new(),
        }
    }

    const SRC: &str = "\
use x::y;

impl Affine {
    /// Doc with @B inside a comment is no marker.
    pub fn backward(&self, cache: &Cache, d_y: &M) -> (P, M) {
        let n = d_y.ncols();
        let f = \"affine::backward\";
        expect(self.window.output);
        let Window {
            size,
            output,
        } = self.window;
        let typed: usize = size;
        expect_shape(f, d_y);
        @B affine-backward
        // ANCHOR: affine_back
        let dw = d_y * cache.x.transpose() / n as f64;
        // ANCHOR_END: affine_back
        (P { dw }, dx)
        @E
    }
}

fn free(mut t: usize) -> usize {
    @B free-fn
    t += 1;
    t
    @E
}
";

    #[test]
    fn finds_regions_with_their_functions_and_arguments() {
        let src = fixture(SRC);
        let r = find_regions(&src).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].id, "affine-backward");
        assert_eq!(r[0].function, "backward");
        assert_eq!(
            r[0].unused,
            ["self", "cache", "d_y", "n", "output", "typed"]
        );
        assert_eq!(r[0].indent, "        ");
        assert_eq!(r[0].anchors, ["// ANCHOR: affine_back"]);
        assert_eq!(r[1].function, "free");
        assert_eq!(r[1].unused, ["t"]);
    }

    #[test]
    fn stubs_keep_the_signature_preamble_and_anchors() {
        let src = fixture(SRC);
        let (a, b) = (exercise("affine-backward"), exercise("free-fn"));
        let (out, ids) = stub_source(&src, |id| match id {
            "affine-backward" => Some(&a),
            "free-fn" => Some(&b),
            _ => None,
        })
        .unwrap();
        assert_eq!(ids, ["affine-backward", "free-fn"]);
        assert!(!out.lines().any(is_solution_marker), "{out}");
        assert!(!out.contains("transpose"));
        let want = "\
        expect_shape(f, d_y);
        // EXERCISE affine-backward
        // ANCHOR: affine_back
        let _ = (self, cache, d_y, n, output, typed);
        todo!(\"exercise affine-backward: Backward pass of {{the}} \\\"affine\\\" \
layer — book: fc-and-conv/affine.md#backward\")
        // ANCHOR_END: affine_back
    }";
        assert!(out.contains(want), "{out}");
        assert!(out.contains("    let _ = t;\n    todo!(\"exercise free-fn:"));
        // The stub sites are found again, untouched.
        let sites = find_stub_sites(&out).unwrap();
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0].function, "backward");
        assert!(is_untouched_stub(&sites[0].body, "affine-backward"));
        let edited = replace_site(&out, &sites[1], &["    t + 1".into()]);
        let again = find_stub_sites(&edited).unwrap();
        assert!(!is_untouched_stub(&again[1].body, "free-fn"));
        assert!(edited.ends_with("    t + 1\n}\n"), "{edited}");
        let (back, removed) = restub(&edited, "free-fn", &b).unwrap().unwrap();
        assert_eq!(back, out);
        assert_eq!(removed, "    t + 1\n");
        assert!(restub(&edited, "nope", &b).unwrap().is_none());
    }

    #[test]
    fn lists_the_regions_of_a_workspace() {
        let fx = crate::testutil::Fixture::new("exercise-list");
        let all = list(&fx.root, &[]).unwrap();
        assert_eq!(all, list(&fx.root, &["toy".into()]).unwrap());
        let at = |id: &str, begin, end, function: &str, kind| Listed {
            topic: "toy".into(),
            id: id.into(),
            file: "crates/toy/src/lib.rs".into(),
            begin,
            end,
            function: function.into(),
            kind,
        };
        assert_eq!(
            all,
            [
                at("toy-add", 7, 10, "add", "free"),
                at("toy-scale", 23, 27, "apply", "method")
            ]
        );
        // The line numbers are those of the markers (1-based).
        let lib = std::fs::read_to_string(fx.root.join(&all[1].file)).unwrap();
        let line = |n: usize| lib.lines().nth(n - 1).unwrap().trim();
        assert_eq!(line(all[1].begin), format!("{BEGIN} toy-scale"));
        assert_eq!(line(all[1].end), END);

        let err = list(&fx.root, &["nope".into()]).unwrap_err();
        assert!(err.contains("unknown topic `nope`"), "{err}");
        fx.edit(
            "crates/toy/src/lib.rs",
            "        @E\n".replace("@E", END).as_str(),
            "",
        );
        let err = list(&fx.root, &[]).unwrap_err();
        assert!(err.starts_with("crates/toy/src/lib.rs: line 23:"), "{err}");
        assert!(err.contains("never closed"), "{err}");
    }

    #[test]
    fn the_listing_prints_tab_separated_lines_or_json() {
        let r = Listed {
            topic: "toy".into(),
            id: "toy-add".into(),
            file: "crates/toy/src/lib.rs".into(),
            begin: 7,
            end: 10,
            function: "add".into(),
            kind: "free",
        };
        let text = render(&[r.clone(), r.clone()], false).unwrap();
        let want = "toy\ttoy-add\tcrates/toy/src/lib.rs\t7\t10\tadd\tfree\n";
        assert_eq!(text, want.repeat(2));
        assert_eq!(render(&[], false).unwrap(), "");
        let json = render(&[r], true).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{
                "topic": "toy", "id": "toy-add",
                "file": "crates/toy/src/lib.rs", "begin": 7, "end": 10,
                "function": "add", "kind": "free"
            }])
        );
        assert_eq!(render(&[], true).unwrap(), "[]\n");
    }

    #[test]
    fn bad_regions_are_clear_errors() {
        let unknown = stub_source(&fixture(SRC), |_| None).unwrap_err();
        assert!(unknown.contains("no entry in the topic's manifest"));
        let cases = [
            ("fn f() {\n@B a\n}\n", "never closed"),
            ("fn f() {\n@E\n}\n", "without BEGIN"),
            ("fn f() {\n@B a\n@B b\n@E\n}\n", "inside region a"),
            ("fn f() {\n@B a\nx\n@E\ny\n}\n", "must end its function"),
            ("fn f() {\n@B a\nx\n@E\n// ANCHOR_END: f\n}\n", "!ok"),
            ("@B a\nconst X: u8 = 1;\n@E\n", "not inside a function"),
        ];
        for (src, msg) in cases {
            if msg == "!ok" {
                assert!(find_regions(&fixture(src)).is_ok(), "{src}");
                continue;
            }
            let err = find_regions(&fixture(src)).unwrap_err();
            assert!(err.contains(msg), "{src}: {err}");
        }
    }
}
