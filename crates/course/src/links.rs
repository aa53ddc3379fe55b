//! Links of the book: internal links and heading anchors, in the markdown
//! sources and in the built HTML; and the built HTML's independence of the
//! network (no external URL for a script, a style sheet, a font or an
//! image).
//!
//! Heading ids follow mdBook 0.5 (`mdbook-html`'s `id_from_content`): the
//! heading's text, lowercased, letters, digits, `_` and `-` kept, white
//! space turned into `-`, anything else dropped; a repeated id gets `-1`,
//! `-2`, …; `{#id}` after a heading sets it explicitly. A heading with
//! math in it gets its id from the rendered MathML, which the sources do not
//! show: link to such a heading through an explicit `{#id}` (the source
//! check cannot verify it otherwise; the check of the built HTML does).

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

/// A heading of a markdown page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// Its text, without markup.
    pub text: String,
    /// Its HTML id, `None` when the source cannot tell (math in it).
    pub id: Option<String>,
}

/// mdBook's `id_from_content`.
pub fn id_from_text(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The lines of `text` outside fenced code blocks, with their numbers.
pub(crate) fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let marker = if t.starts_with("```") {
            Some("```")
        } else if t.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(f), Some(m)) if f == m => fence = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// `text` without inline code spans (their content would look like links).
fn strip_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut parts = line.split('`');
    let mut inside = false;
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for p in parts {
        inside = !inside;
        if !inside {
            out.push_str(p);
        }
    }
    out
}

/// Heading text as mdBook shows it: code spans keep their content, links
/// their text, emphasis marks and HTML tags go.
fn plain(text: &str) -> String {
    let mut s = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '*' => {}
            '<' => {
                for d in chars.by_ref() {
                    if d == '>' {
                        break;
                    }
                }
            }
            '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                for d in chars.by_ref() {
                    if d == ')' {
                        break;
                    }
                }
            }
            _ => s.push(c),
        }
    }
    s.trim().to_string()
}

/// Every ATX heading of a markdown page, with its id.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut used = HashSet::new();
    for (_, line) in prose_lines(text) {
        let t = line.trim_start();
        let level = t.chars().take_while(|c| *c == '#').count();
        if level == 0 || level > 6 || !t[level..].starts_with([' ', '\t']) {
            continue;
        }
        let mut body = t[level..].trim().trim_end_matches('#').trim();
        let mut explicit = None;
        if body.ends_with('}')
            && let Some(open) = body.rfind('{')
        {
            let attrs = &body[open + 1..body.len() - 1];
            explicit = attrs
                .split_whitespace()
                .find_map(|a| a.strip_prefix('#'))
                .map(str::to_string);
            body = body[..open].trim_end();
        }
        let text = plain(body);
        let id = match explicit {
            Some(id) => Some(id),
            None if body.contains('$') => None,
            None => {
                let base = id_from_text(&text);
                let mut id = base.clone();
                let mut n = 0;
                while !used.insert(id.clone()) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                Some(id)
            }
        };
        out.push(Heading { text, id });
    }
    out
}

/// `(line, target)` of every link and image of a markdown page: inline
/// `[t](target)`, reference definitions `[t]: target`, and `href="…"` /
/// `src="…"` in raw HTML. Code blocks and code spans are skipped.
pub fn markdown_links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in prose_lines(text) {
        let line = strip_code_spans(line);
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let mut depth = 0;
            let mut end = None;
            for (j, c) in after.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = Some(j);
                        break;
                    }
                    ')' => depth -= 1,
                    _ => {}
                }
            }
            let Some(end) = end else { break };
            let target = after[..end].trim();
            let target = target.split_whitespace().next().unwrap_or("");
            out.push((n, target.trim_matches(['<', '>']).to_string()));
            rest = &after[end..];
        }
        let t = line.trim_start();
        if t.starts_with('[')
            && !t.starts_with("[^")
            && let Some(i) = t.find("]:")
        {
            let target = t[i + 2..].split_whitespace().next().unwrap_or("");
            if !target.is_empty() {
                out.push((n, target.trim_matches(['<', '>']).to_string()));
            }
        }
        for attr in ["href=\"", "src=\""] {
            let mut rest = line.as_str();
            while let Some(i) = rest.find(attr) {
                let after = &rest[i + attr.len()..];
                let Some(end) = after.find('"') else { break };
                out.push((n, after[..end].to_string()));
                rest = &after[end..];
            }
        }
    }
    out
}

fn is_external(target: &str) -> bool {
    target.contains("://")
        || target.starts_with("//")
        || target.starts_with("mailto:")
        || target.starts_with("data:")
        || target.starts_with("javascript:")
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Broken internal links and heading anchors of the markdown below `src`.
pub fn source_problems(src: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut cache: std::collections::HashMap<PathBuf, Option<Vec<Heading>>> =
        Default::default();
    let mut headings_of = |p: &Path| -> Option<Vec<Heading>> {
        cache
            .entry(p.to_path_buf())
            .or_insert_with(|| {
                std::fs::read_to_string(p).ok().map(|t| headings(&t))
            })
            .clone()
    };
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let rel = file.strip_prefix(src).unwrap_or(file).display().to_string();
        for (line, target) in markdown_links(&text) {
            if target.is_empty() || is_external(&target) {
                continue;
            }
            let (path, frag) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let path = path.split('?').next().unwrap_or("");
            let dest = if path.is_empty() {
                file.clone()
            } else {
                let joined =
                    normalize(&file.parent().unwrap_or(src).join(path));
                if joined.extension().is_some_and(|e| e == "html") {
                    joined.with_extension("md")
                } else {
                    joined
                }
            };
            let here = format!("book/src/{rel}:{line}: link `{target}`");
            if !dest.starts_with(normalize(src)) && !dest.exists() {
                problems.push(format!("{here}: points outside the book"));
                continue;
            }
            if !dest.exists() {
                problems.push(format!("{here}: no file {}", path));
                continue;
            }
            let Some(frag) = frag.filter(|f| !f.is_empty()) else {
                continue;
            };
            if dest.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let hs = headings_of(&dest).unwrap_or_default();
            let known = hs.iter().any(|h| h.id.as_deref() == Some(frag));
            let unknowable = hs.iter().any(|h| h.id.is_none());
            let html_id = std::fs::read_to_string(&dest).is_ok_and(|t| {
                t.contains(&format!("id=\"{frag}\""))
                    || t.contains(&format!("name=\"{frag}\""))
            });
            if !known && !unknowable && !html_id {
                let ids: Vec<String> =
                    hs.iter().filter_map(|h| h.id.clone()).collect();
                problems.push(format!(
                    "{here}: no heading #{frag} there (its headings: {})",
                    ids.join(", ")
                ));
            }
        }
    }
    problems
}

/// Every file below `dir` with one of the extensions, sorted.
fn files_with(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
        })
        .collect();
    out.sort();
    out
}

/// `(attribute, value, tag name)` of every `href`/`src` in an HTML text.
fn html_refs(html: &str) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for attr in ["href", "src"] {
        let pat = format!(" {attr}=\"");
        let mut pos = 0;
        while let Some(i) = html[pos..].find(&pat) {
            let start = pos + i + pat.len();
            let Some(end) = html[start..].find('"') else {
                break;
            };
            let tag_start = html[..pos + i].rfind('<').unwrap_or(0);
            let tag: String = html[tag_start + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            out.push((attr, html[start..start + end].to_string(), tag));
            pos = start + end;
        }
    }
    out
}

fn ids_of(html: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for pat in [" id=\"", " name=\""] {
        let mut pos = 0;
        while let Some(i) = html[pos..].find(pat) {
            let start = pos + i + pat.len();
            let Some(end) = html[start..].find('"') else {
                break;
            };
            ids.insert(html[start..start + end].to_string());
            pos = start + end;
        }
    }
    ids
}

/// The text of an HTML fragment, tags removed.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `<pre>…</pre>` blocks (the listings) of `html`, joined.
fn pre_blocks(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<pre") {
        let end = rest[i..].find("</pre>").map_or(rest.len(), |j| i + j + 6);
        out.push_str(&rest[i..end]);
        rest = &rest[end..];
    }
    out
}

/// `html` without `<pre>…</pre>`, `<code>…</code>` and `<script>…</script>`.
fn without_code(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [
        ("<pre", "</pre>"),
        ("<code", "</code>"),
        ("<script", "</script>"),
    ] {
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find(open) {
            out.push_str(&rest[..i]);
            match rest[i..].find(close) {
                Some(j) => rest = &rest[i + j + close.len()..],
                None => {
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        s = out;
    }
    s
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Problems of a built book in `build`: broken internal links or anchors,
/// any external URL that a page would load (script, style sheet, font,
/// image, frame), solution markers, and math left as LaTeX source.
/// Links of `<a>` elements to other sites are allowed (reading needs none).
pub fn built_problems(build: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let pages = files_with(build, &["html"]);
    if pages.is_empty() {
        return vec![format!("{}: no HTML pages", build.display())];
    }
    let mut ids_cache: std::collections::HashMap<PathBuf, BTreeSet<String>> =
        Default::default();
    let shown =
        |p: &Path| p.strip_prefix(build).unwrap_or(p).display().to_string();
    for page in &pages {
        let Ok(html) = std::fs::read_to_string(page) else {
            continue;
        };
        let name = shown(page);
        let skip_links = name == "print.html" || name == "404.html";
        // Listings only: prose may well explain the markers.
        let listings = pre_blocks(&html);
        let empty = listings
            .split("</pre>")
            .filter(|b| b.contains("<pre"))
            .filter(|b| strip_tags(b).trim().is_empty())
            .count();
        if empty > 0 {
            problems.push(format!("{name}: {empty} empty listing(s)"));
        }
        for marker in ["BEGIN SOLUTION", "END SOLUTION"] {
            if listings.contains(marker) {
                problems.push(format!("{name}: shows a `{marker}` marker"));
            }
        }
        let text = without_code(&html);
        if text.contains("$$") {
            problems
                .push(format!("{name}: `$$` outside code: math not rendered"));
        }
        for (attr, value, tag) in html_refs(&html) {
            if is_external(&value) {
                let loads = attr == "src" || tag == "link";
                if loads && (value.contains("://") || value.starts_with("//")) {
                    problems.push(format!(
                        "{name}: <{tag} {attr}=\"{value}\"> loads from the network"
                    ));
                }
                continue;
            }
            if skip_links {
                continue;
            }
            let (path, frag) = match value.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (value.clone(), None),
            };
            let path = percent_decode(path.split('?').next().unwrap_or(""));
            let dest = if path.is_empty() {
                page.clone()
            } else if let Some(abs) = path.strip_prefix('/') {
                build.join(abs)
            } else {
                normalize(&page.parent().unwrap_or(build).join(&path))
            };
            let dest = if dest.is_dir() {
                dest.join("index.html")
            } else {
                dest
            };
            if !dest.is_file() {
                problems
                    .push(format!("{name}: {attr}=\"{value}\": no such file"));
                continue;
            }
            let Some(frag) = frag.filter(|f| !f.is_empty()) else {
                continue;
            };
            if dest.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let ids = ids_cache.entry(dest.clone()).or_insert_with(|| {
                ids_of(&std::fs::read_to_string(&dest).unwrap_or_default())
            });
            if !ids.contains(&percent_decode(&frag)) {
                problems.push(format!(
                    "{name}: link `{value}`: {} has no id \"{frag}\"",
                    shown(&dest)
                ));
            }
        }
    }
    for svg in files_with(build, &["svg"]) {
        let text = std::fs::read_to_string(&svg).unwrap_or_default();
        for pat in ["href=\"http", "href=\"//", "url(http", "@import"] {
            if text.contains(pat) {
                problems.push(format!(
                    "{}: loads `{pat}…` from the network",
                    shown(&svg)
                ));
            }
        }
    }
    for css in files_with(build, &["css"]) {
        let text = std::fs::read_to_string(&css).unwrap_or_default();
        for pat in [
            "url(http",
            "url(\"http",
            "url('http",
            "url(//",
            "@import url(http",
        ] {
            if text.contains(pat) {
                problems.push(format!(
                    "{}: loads `{pat}…` from the network",
                    shown(&css)
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_ids_follow_mdbook() {
        let md = "# The `forward` pass\n\n## Backward: $W$\n\n\
                  ## Why *this* works {#why}\n\n```\n# not a heading\n```\n\
                  ## Gradient\n## Gradient\n";
        let hs = headings(md);
        let ids: Vec<_> = hs.iter().map(|h| h.id.clone()).collect();
        assert_eq!(
            ids,
            [
                Some("the-forward-pass".to_string()),
                None,
                Some("why".to_string()),
                Some("gradient".to_string()),
                Some("gradient-1".to_string()),
            ]
        );
        assert_eq!(hs[2].text, "Why this works");
        assert_eq!(id_from_text("`--passes`: add more"), "--passes-add-more");
    }

    #[test]
    fn links_outside_code_are_found() {
        let md = "See [a](x.md#y) and `[no](z.md)`.\n```\n[no](w.md)\n```\n\
                  ![fig](../figures/a.svg)\n[ref]: r.md\n<img src=\"b.svg\">\n";
        let links: Vec<_> =
            markdown_links(md).into_iter().map(|(_, t)| t).collect();
        assert_eq!(links, ["x.md#y", "../figures/a.svg", "r.md", "b.svg"]);
    }

    #[test]
    fn broken_links_and_anchors_are_reported() {
        let dir = std::env::temp_dir()
            .join(format!("course-links-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("t")).unwrap();
        std::fs::write(dir.join("t/a.md"), "# A\n## Backward\n").unwrap();
        std::fs::write(
            dir.join("t/b.md"),
            "[ok](a.md#backward) [bad](a.md#forward) [gone](c.md) [self](#b)\n# B\n",
        )
        .unwrap();
        let files = vec![dir.join("t/a.md"), dir.join("t/b.md")];
        let p = source_problems(&dir, &files);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("no heading #forward"), "{p:?}");
        assert!(p[1].contains("no file c.md"), "{p:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn built_pages_must_not_load_from_the_network() {
        let dir = std::env::temp_dir()
            .join(format!("course-built-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<a href=\"https://arxiv.org/abs/1706.03762\">paper</a>\
             <a id=\"x\" href=\"#x\">x</a><a href=\"b.html#nope\">b</a>\
             <script src=\"https://cdn.example/katex.js\"></script>\
             <p>$$x$$</p><pre>$$ok$$</pre>\
             <p><code>// BEGIN SOLUTION id</code> is fine in prose</p>\
             <pre><code>// END SOLUTION</code></pre>\
             <pre><code class=\"language-rust\">\n</code></pre>",
        )
        .unwrap();
        std::fs::write(dir.join("b.html"), "<h1 id=\"b\">B</h1>").unwrap();
        std::fs::write(
            dir.join("f.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><image \
             href=\"https://example.org/x.png\"/></svg>",
        )
        .unwrap();
        let p = built_problems(&dir);
        assert_eq!(p.len(), 6, "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("f.svg: loads")));
        assert!(p.iter().any(|m| m.contains("1 empty listing(s)")));
        assert!(
            p.iter()
                .any(|m| m.contains("shows a `END SOLUTION` marker"))
        );
        assert!(p.iter().any(|m| m.contains("`$$` outside code")));
        assert!(p.iter().any(|m| m.contains("loads from the network")));
        assert!(p.iter().any(|m| m.contains("no id \"nope\"")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
