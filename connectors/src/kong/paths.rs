//! Kong route paths as OpenAPI path templates.
//!
//! A route path is either plain (a prefix match: `/orders` also serves
//! `/orders/1`) or a regular expression: Kong 3 marks those with a leading `~`
//! (`~/pets/(?<petId>[^#?/]+)$`, what `deck file openapi2kong` writes), Kong 2 took
//! any path with regex characters as one (`/pets/(?<petId>[^\/]+)$`, what npm
//! `openapi-2-kong` writes). Both occur in real configurations.
//!
//! A regex becomes a template when it is a sequence of literal segments and
//! single-segment captures: anchors go, escaped characters become literal, a named
//! group `(?<id>…)` becomes `{id}`, an unnamed group or a bare class with a quantifier
//! becomes `{param1}`, `{param2}`, …, and an optional trailing slash is dropped. Any
//! other construct (alternation, optional parts, captures spanning segments) keeps
//! the regex as it is, for the document's `x-kong-regex` extension.

/// What a route path means for an OpenAPI document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutePath {
    /// A path template, with its parameters in order (`/pets/{petId}`).
    Template { path: String, params: Vec<String> },
    /// A regex that is not a template (without its `~`).
    Regex(String),
}

/// Characters that make a Kong 2 path a regex (Kong 2 treated any path with
/// characters outside the URL's unreserved set and `/` as one).
fn looks_regex(path: &str) -> bool {
    path.chars().any(|c| {
        matches!(
            c,
            '(' | ')' | '[' | ']' | '^' | '$' | '*' | '+' | '?' | '|' | '\\' | '{' | '}'
        )
    })
}

pub fn template(path: &str) -> RoutePath {
    let (regex, kong3) = match path.strip_prefix('~') {
        Some(r) => (r, true),
        None => (path, false),
    };
    if !kong3 && !looks_regex(path) {
        return RoutePath::Template {
            path: if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            },
            params: Vec::new(),
        };
    }
    convert(regex).unwrap_or_else(|| RoutePath::Regex(regex.to_owned()))
}

/// One piece of a parsed regex.
enum Piece {
    Literal(char),
    Capture(Option<String>),
}

fn convert(regex: &str) -> Option<RoutePath> {
    let body = regex.strip_prefix('^').unwrap_or(regex);
    let body = body.strip_suffix('$').unwrap_or(body);
    let body = body.strip_suffix("/?").unwrap_or(body);
    let chars: Vec<char> = body.chars().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let next = *chars.get(i + 1)?;
                if next.is_ascii_alphanumeric() {
                    // `\d+`, `\w+`: a segment matcher when quantified.
                    i = quantified(&chars, i + 2)?;
                    pieces.push(Piece::Capture(None));
                    continue;
                }
                pieces.push(Piece::Literal(next));
                i += 2;
            }
            '(' => {
                let close = group_end(&chars, i)?;
                let inner: String = chars[i + 1..close].iter().collect();
                let (name, content) = if let Some(rest) = inner
                    .strip_prefix("?<")
                    .or_else(|| inner.strip_prefix("?P<"))
                {
                    let (name, content) = rest.split_once('>')?;
                    (Some(name.to_owned()), content.to_owned())
                } else if inner.starts_with('?') {
                    return None; // (?:…), lookarounds: not a plain capture
                } else {
                    (None, inner)
                };
                if !one_segment(&content) {
                    return None;
                }
                pieces.push(Piece::Capture(name));
                i = close + 1;
                if matches!(chars.get(i), Some('?' | '*' | '+' | '{')) {
                    return None; // an optional or repeated group is not one segment
                }
            }
            '[' => {
                let close = class_end(&chars, i)?;
                let class: String = chars[i..=close].iter().collect();
                if !one_segment(&format!("{class}+")) {
                    return None;
                }
                i = quantified(&chars, close + 1)?;
                pieces.push(Piece::Capture(None));
            }
            '.' if matches!(chars.get(i + 1), Some('*' | '+')) => return None,
            '|' | '?' | '*' | '+' | '{' | '}' | ')' | ']' | '^' | '$' => return None,
            c => {
                pieces.push(Piece::Literal(c));
                i += 1;
            }
        }
    }
    let named: Vec<String> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Capture(Some(n)) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let mut path = String::new();
    let mut params = Vec::new();
    let mut generated = 0;
    for p in pieces {
        match p {
            Piece::Literal(c) => path.push(c),
            Piece::Capture(name) => {
                let name = name.unwrap_or_else(|| {
                    loop {
                        generated += 1;
                        let n = format!("param{generated}");
                        if !named.contains(&n) {
                            break n;
                        }
                    }
                });
                if params.contains(&name) || !valid_name(&name) {
                    return None;
                }
                path.push('{');
                path.push_str(&name);
                path.push('}');
                params.push(name);
            }
        }
    }
    if !path.starts_with('/') {
        return None;
    }
    Some(RoutePath::Template { path, params })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The index after a required quantifier (`+`, `*` or `{n,m}`) at `i`.
fn quantified(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i)? {
        '+' | '*' => Some(i + 1),
        '{' => chars[i..].iter().position(|c| *c == '}').map(|p| i + p + 1),
        _ => None,
    }
}

/// The index of the `)` closing the group opened at `open` (classes and escapes
/// skipped).
fn group_end(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => i = class_end(chars, i)?,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the `]` closing the class opened at `open`.
fn class_end(chars: &[char], open: usize) -> Option<usize> {
    let mut i = open + 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        i += 1; // a literal `]` first in the class
    }
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            ']' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether a capture's content matches within one path segment: a class that
/// excludes `/` (`[^/]+`, `[^#?/]+`), or one of letters, digits and `-_.~`, or
/// `\d` / `\w`, each with a quantifier; nothing else.
fn one_segment(content: &str) -> bool {
    let chars: Vec<char> = content.chars().collect();
    let (end, quantifier_at) = match chars.first() {
        Some('[') => match class_end(&chars, 0) {
            Some(close) => (close, close + 1),
            None => return false,
        },
        Some('\\') if chars.len() >= 2 => (1, 2),
        _ => return false,
    };
    let Some(after) = quantified(&chars, quantifier_at) else {
        return false;
    };
    if after != chars.len() {
        return false;
    }
    let class: String = chars[..=end].iter().collect();
    if class == "\\d" || class == "\\w" {
        return true;
    }
    let body = &class[1..class.len() - 1];
    match body.strip_prefix('^') {
        // A negated class must exclude the separator.
        Some(negated) => negated.contains('/'),
        // A positive class must not include it.
        None => !body.contains('/') && !body.contains("\\S") && !body.contains("\\W"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(path: &str, params: &[&str]) -> RoutePath {
        RoutePath::Template {
            path: path.into(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn plain_paths_stay_as_they_are() {
        assert_eq!(template("/orders"), t("/orders", &[]));
        assert_eq!(template("/v1.0/items"), t("/v1.0/items", &[]));
        assert_eq!(template(""), t("/", &[]));
    }

    #[test]
    fn both_regex_styles_become_templates() {
        // deck file openapi2kong (Kong 3).
        assert_eq!(
            template("~/pets/(?<petId>[^#?/]+)$"),
            t("/pets/{petId}", &["petId"])
        );
        // npm openapi-2-kong (Kong 2 style, no `~`).
        assert_eq!(
            template(r"/pets/(?<petId>[^\/]+)$"),
            t("/pets/{petId}", &["petId"])
        );
        assert_eq!(template("~/orders$"), t("/orders", &[]));
        assert_eq!(
            template(r"~/stores/(?<store_id>[^#?/]+)/items/(?<item-id>[^#?/]+)/?$"),
            t(
                "/stores/{store_id}/items/{item-id}",
                &["store_id", "item-id"]
            )
        );
        assert_eq!(template(r"~/v1\.2/x$"), t("/v1.2/x", &[]));
    }

    #[test]
    fn unnamed_captures_get_generated_names() {
        assert_eq!(
            template(r"~/users/(\d+)/posts/([^/]+)$"),
            t("/users/{param1}/posts/{param2}", &["param1", "param2"])
        );
        assert_eq!(
            template(r"/files/[a-z0-9]+/meta"),
            t("/files/{param1}/meta", &["param1"])
        );
        // A generated name does not take a name the path already uses.
        assert_eq!(
            template(r"~/a/(?<param1>[^/]+)/b/(\d+)$"),
            t("/a/{param1}/b/{param2}", &["param1", "param2"])
        );
    }

    #[test]
    fn other_regexes_are_kept_as_regexes() {
        for path in [
            "~/(orders|invoices)$",
            "~/orders/?(?<id>[^/]+)?$",
            "~/static/.*",
            "~/a/(?<rest>.+)$",
            "~/a/(?:b|c)$",
            "~/a/([a-z/]+)$",
            "~/a/(?<id>[^#?/]+)/(?<id>[^#?/]+)$",
            "~orders$",
        ] {
            let RoutePath::Regex(kept) = template(path) else {
                panic!("{path} is not a template");
            };
            assert_eq!(kept, path.trim_start_matches('~'));
        }
    }
}
