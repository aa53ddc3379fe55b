//! An mdBook preprocessor, run after mdbook-katex by `cargo course book`,
//! that protects the MathML from the markdown parser.
//!
//! mdbook-katex puts its MathML into the chapter's markdown, which mdBook
//! then parses, so characters of the MathML's text act as markdown: two
//! `\tilde` accents in a paragraph are two `<mo>~</mo>`, and `~…~` is
//! strikethrough, which tears the `<math>` element apart (the GRU's
//! $\tilde{h}$ does exactly that). This preprocessor writes `~ * _ \` in the
//! text of every `<math>` element as character references, which markdown
//! leaves alone and the browser reads back as the same characters.
//!
//! mdBook's protocol: `<command> supports <renderer>` exits 0 when the
//! renderer is supported; otherwise `[context, book]` arrives as JSON on
//! stdin and the book goes back as JSON on stdout.

use serde_json::Value;
use std::io::Read;

/// The text of `<math>…</math>` regions with markdown's active characters
/// written as character references; everything else unchanged.
pub fn guard(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find("<math") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find("</math>").map_or(after.len(), |e| e + 7);
        let mut in_tag = false;
        for c in after[..end].chars() {
            match c {
                '<' => {
                    in_tag = true;
                    out.push(c);
                }
                '>' => {
                    in_tag = false;
                    out.push(c);
                }
                '~' if !in_tag => out.push_str("&#126;"),
                '*' if !in_tag => out.push_str("&#42;"),
                '_' if !in_tag => out.push_str("&#95;"),
                '\\' if !in_tag => out.push_str("&#92;"),
                c => out.push(c),
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Applies [`guard`] to the `content` of every chapter, at any depth.
fn walk(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Object(ch)) = map.get_mut("Chapter")
                && let Some(Value::String(content)) = ch.get_mut("content")
            {
                *content = guard(content);
            }
            for (_, child) in map.iter_mut() {
                walk(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

/// The preprocessor's entry point (`course mdbook-mathml-guard …`).
pub fn run(args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("supports") {
        return Ok(());
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| e.to_string())?;
    let value: Value =
        serde_json::from_str(&input).map_err(|e| e.to_string())?;
    let Value::Array(mut pair) = value else {
        return Err("expected [context, book] from mdBook".into());
    };
    if pair.len() != 2 {
        return Err("expected [context, book] from mdBook".into());
    }
    let mut book = pair.pop().unwrap();
    walk(&mut book);
    serde_json::to_writer(std::io::stdout(), &book).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_text_inside_math_is_guarded() {
        let md = "a ~b~ <math display=\"block\"><mo>~</mo><mi>h</mi>\
                  <annotation>\\tilde{h}_t * x</annotation></math> *c*";
        assert_eq!(
            guard(md),
            "a ~b~ <math display=\"block\"><mo>&#126;</mo><mi>h</mi>\
             <annotation>&#92;tilde{h}&#95;t &#42; x</annotation></math> *c*"
        );
    }

    #[test]
    fn every_chapter_is_walked() {
        let mut book = serde_json::json!({"items": [
            {"Chapter": {"content": "<math><mo>~</mo></math>",
                         "sub_items": [{"Chapter": {"content": "<math>_</math>",
                                                    "sub_items": []}}]}},
            "Separator"
        ]});
        walk(&mut book);
        assert_eq!(
            book["items"][0]["Chapter"]["content"],
            "<math><mo>&#126;</mo></math>"
        );
        assert_eq!(
            book["items"][0]["Chapter"]["sub_items"][0]["Chapter"]["content"],
            "<math>&#95;</math>"
        );
    }
}
