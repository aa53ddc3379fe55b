//! Just enough Rust lexing for the exercise tools: which bytes are code
//! (not comments, strings or char literals), where each function's body
//! opens and closes, and the names a function's parameters bind.
//!
//! Exercise regions are line-delimited, so no full parser is needed: the
//! tools only have to find the function around a region and its arguments.

/// A function item with a body: byte offsets into the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnSpan {
    /// The `fn` keyword.
    pub fn_kw: usize,
    /// The `{` that opens the body.
    pub open: usize,
    /// The `}` that closes the body.
    pub close: usize,
}

/// `true` for every byte of `src` that is code, `false` inside comments,
/// string literals (plain, byte, raw) and char literals.
pub fn code_mask(src: &str) -> Vec<bool> {
    let b = src.as_bytes();
    let n = b.len();
    let mut mask = vec![true; n];
    let mut i = 0;
    let blank = |mask: &mut Vec<bool>, from: usize, to: usize| {
        for m in &mut mask[from..to.min(n)] {
            *m = false;
        }
    };
    while i < n {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            let end = src[i..].find('\n').map_or(n, |e| i + e);
            blank(&mut mask, i, end);
            i = end;
        } else if c == b'/' && next == Some(b'*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < n && depth > 0 {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut mask, i, j);
            i = j;
        } else if (c == b'r' || (c == b'b' && next == Some(b'r')))
            && !prev_is_ident(b, i)
            && raw_string_len(&b[i..]).is_some()
        {
            let len = raw_string_len(&b[i..]).unwrap_or(1);
            blank(&mut mask, i, i + len);
            i += len;
        } else if c == b'"' {
            let mut j = i + 1;
            while j < n && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut mask, i, j + 1);
            i = j + 1;
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\u{1F600}', 'é') or a lifetime.
            if next == Some(b'\\') {
                let mut j = i + 2;
                while j < n && b[j] != b'\'' {
                    j += 1;
                }
                blank(&mut mask, i, j + 1);
                i = j + 1;
            } else if let Some(ch) = src[i + 1..].chars().next() {
                let after = i + 1 + ch.len_utf8();
                if b.get(after) == Some(&b'\'') {
                    blank(&mut mask, i, after + 1);
                    i = after + 1;
                } else {
                    i += 1; // a lifetime: code
                }
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    mask
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// Length of a raw string literal `r"…"`, `r#"…"#`, `br"…"` at the start of
/// `b`, if there is one.
fn raw_string_len(b: &[u8]) -> Option<usize> {
    let mut j = if b.first() == Some(&b'b') { 2 } else { 1 };
    let mut hashes = 0;
    while b.get(j) == Some(&b'#') {
        hashes += 1;
        j += 1;
    }
    if b.get(j) != Some(&b'"') {
        return None;
    }
    j += 1;
    while j < b.len() {
        if b[j] == b'"'
            && b[j + 1..].iter().take(hashes).all(|&h| h == b'#')
            && b.len() >= j + 1 + hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(b.len())
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Every function with a body in `src` (free functions, methods, nested
/// functions), in order of their `fn` keyword.
pub fn functions(src: &str) -> Vec<FnSpan> {
    let b = src.as_bytes();
    let mask = code_mask(src);
    let mut out = Vec::new();
    // Open bodies: (index into out, brace depth inside the body).
    let mut open: Vec<(usize, usize)> = Vec::new();
    // A signature being read: (fn keyword offset, paren/bracket depth).
    let mut pending: Option<(usize, i32)> = None;
    let (mut braces, mut parens) = (0usize, 0i32);
    let mut i = 0;
    while i < b.len() {
        if !mask[i] {
            i += 1;
            continue;
        }
        let c = b[i];
        if c == b'f'
            && b.get(i + 1) == Some(&b'n')
            && !prev_is_ident(b, i)
            && !b.get(i + 2).copied().is_some_and(is_ident_byte)
        {
            // `fn name` is an item; `fn(` is a function pointer type.
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j > i + 2 && b.get(j).copied().is_some_and(is_ident_byte) {
                pending = Some((i, parens));
            }
            i += 2;
            continue;
        }
        match c {
            b'(' | b'[' => parens += 1,
            b')' | b']' => parens -= 1,
            b';' if pending.is_some_and(|(_, p)| p == parens) => {
                pending = None; // a declaration without a body
            }
            b'{' => {
                braces += 1;
                if let Some((kw, p)) = pending
                    && p == parens
                {
                    out.push(FnSpan {
                        fn_kw: kw,
                        open: i,
                        close: i,
                    });
                    open.push((out.len() - 1, braces));
                    pending = None;
                }
            }
            b'}' => {
                if let Some(&(idx, depth)) = open.last()
                    && depth == braces
                {
                    out[idx].close = i;
                    open.pop();
                }
                braces = braces.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The innermost function whose body contains byte offset `pos`.
pub fn enclosing_fn(fns: &[FnSpan], pos: usize) -> Option<&FnSpan> {
    fns.iter()
        .filter(|f| f.open < pos && pos < f.close)
        .max_by_key(|f| f.open)
}

/// The name of the function whose `fn` keyword is at `f.fn_kw`.
pub fn fn_name<'a>(src: &'a str, f: &FnSpan) -> &'a str {
    let rest = src[f.fn_kw + 2..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The names a function's parameters bind, in order: `&self`, `&mut self`,
/// `self`, `mut self` and `self: Box<Self>` give `self`; patterns give their
/// bindings (`mut x` → `x`, `(a, b)` → `a`, `b`); a bare `_` gives nothing.
pub fn param_names(src: &str, f: &FnSpan) -> Vec<String> {
    let sig = &src[f.fn_kw..f.open];
    let mask = code_mask(sig);
    let b = sig.as_bytes();
    // Skip `fn name` and generics, find the parameter list's parentheses.
    let mut i = 2;
    while i < b.len() && (b[i].is_ascii_whitespace() || is_ident_byte(b[i])) {
        i += 1;
    }
    let mut angle = 0;
    while i < b.len() {
        if !mask[i] {
            i += 1;
            continue;
        }
        match b[i] {
            b'<' => angle += 1,
            b'>' if i > 0 && b[i - 1] == b'-' => {}
            b'>' => angle -= 1,
            b'(' if angle == 0 => break,
            _ => {}
        }
        i += 1;
    }
    let start = i + 1;
    let mut depth = 0;
    let mut params = Vec::new();
    let mut from = start;
    let mut j = start;
    while j < b.len() {
        if mask[j] {
            match b[j] {
                b'(' | b'[' | b'{' | b'<' => depth += 1,
                b'>' if b[j - 1] == b'-' => {}
                b')' if depth == 0 => {
                    params.push(&sig[from..j]);
                    break;
                }
                b')' | b']' | b'}' | b'>' => depth -= 1,
                b',' if depth == 0 => {
                    params.push(&sig[from..j]);
                    from = j + 1;
                }
                _ => {}
            }
        }
        j += 1;
    }
    let mut names = Vec::new();
    for p in params {
        let p = strip_attributes(p.trim());
        if p.is_empty() {
            continue;
        }
        let pattern = top_level_colon(p).map_or(p, |k| &p[..k]);
        names.extend(pattern_bindings(pattern));
    }
    names
}

/// `#[attr] x: T` → `x: T`.
fn strip_attributes(mut p: &str) -> &str {
    while p.starts_with("#[") {
        match p.find(']') {
            Some(k) => p = p[k + 1..].trim_start(),
            None => break,
        }
    }
    p
}

/// The byte offset of the first `:` at depth 0 that is not part of `::`.
fn top_level_colon(p: &str) -> Option<usize> {
    let b = p.as_bytes();
    let mut depth = 0;
    for (k, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'[' | b'{' | b'<' => depth += 1,
            b')' | b']' | b'}' | b'>' => depth -= 1,
            b':' if depth == 0
                && b.get(k + 1) != Some(&b':')
                && (k == 0 || b[k - 1] != b':') =>
            {
                return Some(k);
            }
            _ => {}
        }
    }
    None
}

/// The variables a pattern binds (identifiers that are not keywords, paths
/// or type names), `self` for any receiver form.
pub fn pattern_bindings(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = pattern.as_bytes();
    let mut k = 0;
    while k < b.len() {
        if b[k] == b'\'' {
            // a lifetime in `&'a self`
            k += 1;
            while k < b.len() && is_ident_byte(b[k]) {
                k += 1;
            }
            continue;
        }
        if is_ident_byte(b[k]) && !b[k].is_ascii_digit() {
            let s = k;
            while k < b.len() && is_ident_byte(b[k]) {
                k += 1;
            }
            let word = &pattern[s..k];
            let is_path =
                pattern[k..].starts_with("::") || pattern[..s].ends_with("::");
            let is_field_name = pattern[k..].trim_start().starts_with(':')
                && !pattern[k..].trim_start().starts_with("::");
            let skip = matches!(word, "mut" | "ref" | "_")
                || word.starts_with(|c: char| c.is_ascii_uppercase())
                || is_path
                || is_field_name;
            if !skip && !out.iter().any(|w| w == word) {
                out.push(word.to_string());
            }
            continue;
        }
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_strings_and_chars_are_not_code() {
        let src = "a // fn x() {\nb /* { */ \"}\" '{' r#\"}\"# 'a c";
        let mask = code_mask(src);
        let code: String = src
            .char_indices()
            .filter(|(i, _)| mask[*i])
            .map(|(_, c)| c)
            .collect();
        assert_eq!(code, "a \nb     'a c");
    }

    #[test]
    fn finds_functions_methods_and_nested_bodies() {
        let src = "trait T { fn decl(&self); }\n\
                   impl S {\n    pub fn m(&self, x: fn(f64) -> f64) -> \
                   u8 {\n        fn inner() {}\n        { 1 }\n    }\n}\n";
        let fns = functions(src);
        let names: Vec<_> = fns.iter().map(|f| fn_name(src, f)).collect();
        assert_eq!(names, ["m", "inner"]);
        let m = &fns[0];
        assert_eq!(&src[m.close - 4..=m.close], "    }");
        let pos = src.find("{ 1 }").unwrap();
        assert_eq!(fn_name(src, enclosing_fn(&fns, pos).unwrap()), "m");
    }

    #[test]
    fn parameter_names_of_every_receiver_and_pattern() {
        let cases = [
            (
                "fn f(&self, cache: &Cache, d_y: &M) -> M {}",
                "self cache d_y",
            ),
            ("fn f<'a>(&'a mut self) {}", "self"),
            ("fn f(self: Box<Self>) {}", "self"),
            ("fn f(mut self, mut x: Vec<u8>, _: u8) {}", "self x"),
            (
                "fn f<F: Fn(f64) -> f64>(g: F, (a, b): (u8, u8)) {}",
                "g a b",
            ),
            (
                "fn f(\n    x: &HashMap<String, Vec<u8>>,\n    y: usize,\n) {}",
                "x y",
            ),
            ("fn f(Point { x, y: yy }: Point) {}", "x yy"),
            ("fn f() {}", ""),
        ];
        for (src, want) in cases {
            let fns = functions(src);
            assert_eq!(fns.len(), 1, "{src}");
            assert_eq!(param_names(src, &fns[0]).join(" "), want, "{src}");
        }
    }
}
