//! Syntax colouring of definitions that Swagger UI does not render (WSDL, WADL,
//! RAML, GraphQL, protobuf, JSON): a small scanner per family that marks tags,
//! keys, strings, comments and keywords with CSS classes (classes, not inline
//! styles, so the CSP holds). Written here because the mature highlighter
//! (syntect) pulls an unmaintained serialiser (bincode) and megabytes of
//! grammars for what a console needs from five token kinds.

use maud::{Markup, html};

/// What a piece of text is; `None` is plain text.
type Token<'a> = (Option<&'static str>, &'a str);

/// `text` as coloured markup for a definition of `format` (`Wsdl`, `Raml`, ...).
pub fn highlight(format: &str, text: &str) -> Markup {
    let tokens = match format {
        "Wsdl" | "Wadl" => xml(text),
        "Raml" => yaml(text),
        "Graphql" => curly(text, GRAPHQL, "#"),
        "Grpc" => curly(text, PROTO, "//"),
        _ if text.trim_start().starts_with(['{', '[']) => json(text),
        _ if text.trim_start().starts_with('<') => xml(text),
        _ => yaml(text),
    };
    html! {
        @for (class, piece) in tokens {
            @if let Some(c) = class { span class=(c) { (piece) } } @else { (piece) }
        }
    }
}

const GRAPHQL: &[&str] = &[
    "type",
    "query",
    "mutation",
    "subscription",
    "schema",
    "input",
    "enum",
    "interface",
    "union",
    "scalar",
    "directive",
    "extend",
    "implements",
    "fragment",
    "on",
];
const PROTO: &[&str] = &[
    "syntax", "package", "import", "option", "message", "service", "rpc", "returns", "enum",
    "oneof", "repeated", "optional", "map", "stream", "reserved",
];

/// The index of the first `needle` at or after `from`, else the end.
fn find(text: &str, from: usize, needle: &str) -> usize {
    text[from..].find(needle).map_or(text.len(), |i| from + i)
}

fn string_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let quote = bytes[start];
    let mut i = start + 1;
    // Every return is at an ASCII byte or the end, so always a char boundary.
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn xml(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with("<!--") {
            let end = (find(text, i, "-->") + 3).min(text.len());
            out.push((Some("hl-comment"), &text[i..end]));
            i = end;
        } else if text[i..].starts_with('<') {
            let end = (find(text, i, ">") + 1).min(text.len());
            tag(&text[i..end], &mut out);
            i = end;
        } else {
            let end = find(text, i, "<");
            out.push((None, &text[i..end]));
            i = end;
        }
    }
    out
}

/// One `<tag attr="value">`: the name, attribute names and values.
fn tag<'a>(t: &'a str, out: &mut Vec<Token<'a>>) {
    let name_start = if t[1..].starts_with(['/', '?', '!']) {
        2
    } else {
        1
    }
    .min(t.len());
    let name_end = t[name_start..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/' || c == '?')
        .map_or(t.len(), |n| name_start + n);
    out.push((None, &t[..name_start]));
    out.push((Some("hl-tag"), &t[name_start..name_end]));
    let mut i = name_end;
    while i < t.len() {
        let c = t.as_bytes()[i];
        let end = if c == b'"' || c == b'\'' {
            let end = string_end(t, i);
            out.push((Some("hl-string"), &t[i..end]));
            end
        } else if c.is_ascii_alphabetic() {
            let end = t[i..]
                .find(|c: char| c == '=' || c.is_whitespace() || c == '>' || c == '/')
                .map_or(t.len(), |n| i + n);
            out.push((Some("hl-attr"), &t[i..end]));
            end
        } else {
            // Not a quote or a letter, so the next one is further on.
            let end = t[i..]
                .find(|c: char| c == '"' || c == '\'' || c.is_ascii_alphabetic())
                .map_or(t.len(), |n| i + n);
            out.push((None, &t[i..end]));
            end
        };
        i = end;
    }
}

fn yaml(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        out.push((None, indent));
        if body.starts_with('#') {
            out.push((Some("hl-comment"), body));
            continue;
        }
        let key_len = body.strip_prefix("- ").map_or(0, |_| 2);
        if key_len > 0 {
            out.push((None, &body[..2]));
        }
        let rest = &body[key_len..];
        match rest.find(": ").or_else(|| {
            rest.trim_end()
                .ends_with(':')
                .then(|| rest.trim_end().len() - 1)
        }) {
            Some(colon) if !rest.starts_with(['"', '\'', '{', '[']) => {
                out.push((Some("hl-key"), &rest[..colon]));
                value(&rest[colon..], &mut out);
            }
            _ => value(rest, &mut out),
        }
    }
    out
}

/// The rest of a YAML line: strings and a trailing comment marked.
fn value<'a>(v: &'a str, out: &mut Vec<Token<'a>>) {
    let mut i = 0;
    while i < v.len() {
        let c = v.as_bytes()[i];
        if c == b'"' || c == b'\'' {
            let end = string_end(v, i);
            out.push((Some("hl-string"), &v[i..end]));
            i = end;
        } else if c == b'#' && (i == 0 || v.as_bytes()[i - 1] == b' ') {
            out.push((Some("hl-comment"), &v[i..]));
            return;
        } else {
            let end = v[i..]
                .find(['"', '\'', '#'])
                .map_or(v.len(), |n| i + n)
                .max(i + 1);
            out.push((None, &v[i..end]));
            i = end;
        }
    }
}

fn json(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(text, i);
                let after = text[end..].trim_start();
                let class = if after.starts_with(':') {
                    "hl-key"
                } else {
                    "hl-string"
                };
                out.push((Some(class), &text[i..end]));
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
                    .map_or(text.len(), |n| i + 1 + n);
                out.push((Some("hl-number"), &text[i..end]));
                i = end;
            }
            _ => {
                let word = ["true", "false", "null"]
                    .into_iter()
                    .find(|w| text[i..].starts_with(w));
                if let Some(w) = word {
                    out.push((Some("hl-keyword"), &text[i..i + w.len()]));
                    i += w.len();
                } else {
                    let end = text[i..]
                        .find(|c: char| {
                            c == '"'
                                || c == '-'
                                || c.is_ascii_digit()
                                || c == 't'
                                || c == 'f'
                                || c == 'n'
                        })
                        .map_or(text.len(), |n| i + n)
                        .max(i + 1);
                    out.push((None, &text[i..end]));
                    i = end;
                }
            }
        }
    }
    out
}

/// GraphQL and protobuf: keywords, strings, line and block comments.
fn curly<'a>(text: &'a str, keywords: &[&str], line_comment: &str) -> Vec<Token<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with(line_comment) {
            let end = find(text, i, "\n");
            out.push((Some("hl-comment"), &text[i..end]));
            i = end;
        } else if rest.starts_with("/*") {
            let end = (find(text, i, "*/") + 2).min(text.len());
            out.push((Some("hl-comment"), &text[i..end]));
            i = end;
        } else if bytes[i] == b'"' {
            let end = if rest.starts_with("\"\"\"") {
                (find(text, i + 3, "\"\"\"") + 3).min(text.len())
            } else {
                string_end(text, i)
            };
            out.push((Some("hl-string"), &text[i..end]));
            i = end;
        } else if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(text.len(), |n| i + n);
            let word = &text[i..end];
            let class = keywords.contains(&word).then_some("hl-keyword");
            out.push((class, word));
            i = end;
        } else {
            let end = rest
                .find(|c: char| {
                    c.is_ascii_alphabetic() || c == '_' || c == '"' || c == '/' || c == '#'
                })
                .map_or(text.len(), |n| i + n)
                .max(i + rest.chars().next().map_or(1, char::len_utf8));
            out.push((None, &text[i..end]));
            i = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(tokens: &[Token]) -> String {
        tokens.iter().map(|(_, t)| *t).collect()
    }

    fn classed<'a>(tokens: &[Token<'a>], class: &str) -> Vec<&'a str> {
        tokens
            .iter()
            .filter(|(c, _)| *c == Some(class))
            .map(|(_, t)| *t)
            .collect()
    }

    #[test]
    fn every_scanner_keeps_the_text_whole_and_marks_what_it_knows() {
        let wsdl = "<?xml version=\"1.0\"?>\n<!-- a note -->\n<definitions name=\"StockQuote\" xmlns:tns='urn:q'>\n  <message name=\"In\"/>é\n</definitions>";
        let t = xml(wsdl);
        assert_eq!(text_of(&t), wsdl);
        assert_eq!(
            classed(&t, "hl-tag"),
            ["xml", "definitions", "message", "definitions"]
        );
        assert_eq!(
            classed(&t, "hl-attr"),
            ["version", "name", "xmlns:tns", "name"]
        );
        assert_eq!(
            classed(&t, "hl-string"),
            ["\"1.0\"", "\"StockQuote\"", "'urn:q'", "\"In\""]
        );
        assert_eq!(classed(&t, "hl-comment"), ["<!-- a note -->"]);

        let raml = "#%RAML 1.0\ntitle: \"Pets\" # the name\n/pets:\n  - get: ok\n";
        let t = yaml(raml);
        assert_eq!(text_of(&t), raml);
        assert_eq!(classed(&t, "hl-key"), ["title", "/pets", "get"]);
        assert_eq!(classed(&t, "hl-string"), ["\"Pets\""]);
        assert_eq!(classed(&t, "hl-comment"), ["#%RAML 1.0\n", "# the name\n"]);

        let gql = "# schema\ntype Query { pets(first: Int = 10): [Pet] \"\"\"doc\"\"\" }";
        let t = curly(gql, GRAPHQL, "#");
        assert_eq!(text_of(&t), gql);
        assert_eq!(classed(&t, "hl-keyword"), ["type"]);
        assert_eq!(classed(&t, "hl-comment"), ["# schema"]);
        assert_eq!(classed(&t, "hl-string"), ["\"\"\"doc\"\"\""]);

        let proto = "syntax = \"proto3\";\n/* x */ service S { rpc Get(A) returns (B); } // é";
        let t = curly(proto, PROTO, "//");
        assert_eq!(text_of(&t), proto);
        assert_eq!(
            classed(&t, "hl-keyword"),
            ["syntax", "service", "rpc", "returns"]
        );

        let j = "{\"a\": [1, -2.5e3, true, null], \"b\": \"x\\\"y\"}";
        let t = json(j);
        assert_eq!(text_of(&t), j);
        assert_eq!(classed(&t, "hl-key"), ["\"a\"", "\"b\""]);
        assert_eq!(classed(&t, "hl-number"), ["1", "-2.5e3"]);
        assert_eq!(classed(&t, "hl-keyword"), ["true", "null"]);
        assert_eq!(classed(&t, "hl-string"), ["\"x\\\"y\""]);
    }

    #[test]
    fn markup_is_escaped_and_odd_input_never_panics() {
        let m = highlight("Wsdl", "<a b=\"<script>\">&</a>").into_string();
        assert!(
            m.contains("&lt;script&gt;") && !m.contains("<script>"),
            "{m}"
        );
        for s in [
            "<", "<a", "\"", "'abc", "<!--", "/*", "\"\"\"", "a: '", "\\", "- ", "<a b='", "é<",
            "-",
        ] {
            for f in ["Wsdl", "Raml", "Graphql", "Grpc", "Genericapi"] {
                let _ = highlight(f, s);
            }
            assert_eq!(text_of(&xml(s)), s);
            assert_eq!(text_of(&yaml(s)), s);
            assert_eq!(text_of(&json(s)), s);
            assert_eq!(text_of(&curly(s, PROTO, "//")), s);
        }
    }
}
