//! Apigee flow conditions (`(proxy.pathsuffix MatchesPath "/pets/*") and
//! (request.verb = "GET")`) read as what an OpenAPI document can say: which
//! methods on which path templates a flow handles.
//!
//! The expression is parsed (parentheses, `and`/`&&`, `or`/`||`, `not`/`!`, and the
//! comparison operators by name or symbol) and flattened into alternatives, each a
//! set of verbs and a path. Conditions on anything but the verb and the path
//! (headers, query parameters, variables) do not narrow an operation and are
//! ignored; a negated path cannot be listed and is ignored too.

use std::collections::BTreeSet;

/// The HTTP methods a verb condition chooses from.
pub const VERBS: [&str; 8] = [
    "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
];

/// One way a condition can hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alternative {
    /// Upper-case verbs; `None`: any.
    pub verbs: Option<BTreeSet<String>>,
    /// The path; `None`: any.
    pub path: Option<PathMatch>,
}

/// A condition on the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMatch {
    /// `request.path` (with the base path) rather than `proxy.pathsuffix`.
    pub full: bool,
    /// An OpenAPI path template (`/pets/{petId}`), or `None` when the pattern
    /// (a regular expression) has no template form.
    pub template: Option<String>,
    /// The pattern as written.
    pub pattern: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Op(Op),
    Str(String),
    Word(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equals,
    NotEquals,
    MatchesPath,
    Glob,
    Regex,
    StartsWith,
    Other,
}

fn word_op(w: &str) -> Option<Token> {
    Some(match w.to_ascii_lowercase().as_str() {
        "and" => Token::And,
        "or" => Token::Or,
        "not" => Token::Not,
        "equals" | "is" | "equalscaseinsensitive" => Token::Op(Op::Equals),
        "notequals" | "isnot" => Token::Op(Op::NotEquals),
        "matchespath" | "likepath" => Token::Op(Op::MatchesPath),
        "matches" | "like" => Token::Op(Op::Glob),
        "javaregex" => Token::Op(Op::Regex),
        "startswith" => Token::Op(Op::StartsWith),
        "greaterthan" | "greaterthanorequals" | "lesserthan" | "lesserthanorequals" => {
            Token::Op(Op::Other)
        }
        _ => return None,
    })
}

fn lex(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let sym = |s: &str, at: usize| -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(at + k) == Some(&c))
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let symbols: [(&str, Token); 13] = [
            ("&&", Token::And),
            ("||", Token::Or),
            ("!=", Token::Op(Op::NotEquals)),
            ("==", Token::Op(Op::Equals)),
            ("=|", Token::Op(Op::StartsWith)),
            (":=", Token::Op(Op::Equals)),
            ("~~", Token::Op(Op::Regex)),
            ("~/", Token::Op(Op::MatchesPath)),
            (">=", Token::Op(Op::Other)),
            ("<=", Token::Op(Op::Other)),
            ("=", Token::Op(Op::Equals)),
            ("~", Token::Op(Op::Glob)),
            ("!", Token::Not),
        ];
        if let Some((s, t)) = symbols.iter().find(|(s, _)| sym(s, i)) {
            out.push(t.clone());
            i += s.chars().count();
            continue;
        }
        match c {
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '>' | '<' => out.push(Token::Op(Op::Other)),
            '"' | '\'' => {
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && chars.get(i + 1) == Some(&c) {
                        i += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return None;
                }
                out.push(Token::Str(s));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !"()\"'=!~<>&|".contains(chars[i])
                {
                    i += 1;
                }
                if i == start {
                    return None;
                }
                let w: String = chars[start..i].iter().collect();
                out.push(word_op(&w).unwrap_or(Token::Word(w)));
                continue;
            }
        }
        i += 1;
    }
    Some(out)
}

#[derive(Debug)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(String, Op, String),
    Unknown,
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Option<Expr> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut left = self.not()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Some(left)
    }

    fn not(&mut self) -> Option<Expr> {
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            return Some(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn operand(&mut self) -> Option<String> {
        match self.next()? {
            Token::Str(s) | Token::Word(s) => Some(s),
            _ => None,
        }
    }

    fn primary(&mut self) -> Option<Expr> {
        if self.peek() == Some(&Token::Open) {
            self.depth += 1;
            if self.depth > 64 {
                return None;
            }
            self.at += 1;
            let e = self.or()?;
            if self.next()? != Token::Close {
                return None;
            }
            self.depth -= 1;
            return Some(e);
        }
        let left = self.operand()?;
        match self.peek() {
            Some(Token::Op(op)) => {
                let op = *op;
                self.at += 1;
                let right = self.operand()?;
                Some(Expr::Cmp(left, op, right))
            }
            // A bare variable (its truth), not an operation.
            _ => Some(Expr::Unknown),
        }
    }
}

fn all_verbs() -> BTreeSet<String> {
    VERBS.iter().map(|v| (*v).to_owned()).collect()
}

/// `GET`, or a regex alternation of verbs (`(GET|HEAD)`, `^POST$`).
fn verb_set(value: &str, regex: bool) -> Option<BTreeSet<String>> {
    let v = if regex {
        value
            .trim_start_matches('^')
            .trim_end_matches('$')
            .trim_start_matches('(')
            .trim_end_matches(')')
    } else {
        value
    };
    let set: BTreeSet<String> = v
        .split('|')
        .map(|s| s.trim().to_ascii_uppercase())
        .collect();
    set.iter()
        .all(|s| VERBS.contains(&s.as_str()))
        .then_some(set)
}

fn cmp(var: &str, op: Op, value: &str) -> Vec<Alternative> {
    let var = var.to_ascii_lowercase();
    let any = vec![Alternative::default()];
    match var.as_str() {
        "request.verb" => {
            let set = match op {
                Op::Equals => verb_set(value, false),
                Op::Regex | Op::Glob => verb_set(value, true),
                Op::NotEquals => {
                    verb_set(value, false).map(|s| all_verbs().difference(&s).cloned().collect())
                }
                _ => None,
            };
            match set {
                Some(verbs) => vec![Alternative {
                    verbs: Some(verbs),
                    path: None,
                }],
                None => any,
            }
        }
        "proxy.pathsuffix" | "request.path" | "request.uri" => {
            let template = match op {
                Op::MatchesPath => Some(wildcard_template(value, true)),
                Op::Glob => Some(wildcard_template(value, false)),
                Op::Equals | Op::StartsWith => Some(wildcard_template(value, false)),
                Op::Regex => regex_template(value),
                Op::NotEquals | Op::Other => return any,
            };
            vec![Alternative {
                verbs: None,
                path: Some(PathMatch {
                    full: var != "proxy.pathsuffix",
                    template: template.map(|t| with_slash(&t)),
                    pattern: value.to_owned(),
                }),
            }]
        }
        _ => any,
    }
}

fn with_slash(t: &str) -> String {
    let t = t.split(['?', '#']).next().unwrap_or_default();
    if t.starts_with('/') {
        t.to_owned()
    } else {
        format!("/{t}")
    }
}

/// `MatchesPath`: `*` is one segment, `**` any number; `{id}` stays a parameter.
/// `Matches`: `*` is anything. Both become OpenAPI templates with numbered
/// parameters.
fn wildcard_template(pattern: &str, by_segment: bool) -> String {
    let mut n = 0;
    let segments: Vec<String> = pattern
        .split('/')
        .map(|seg| {
            if by_segment && seg == "**" {
                n += 1;
                return format!("{{path{n}}}");
            }
            let mut out = String::new();
            let mut rest = seg;
            while let Some(star) = rest.find('*') {
                out.push_str(&rest[..star]);
                n += 1;
                out.push_str(&format!("{{param{n}}}"));
                rest = rest[star..].trim_start_matches('*');
            }
            out.push_str(rest);
            out
        })
        .collect();
    segments.join("/")
}

/// A JavaRegex path as a template, when it is literal text with wildcard atoms
/// (`[^/]+`, `\d+`, `([0-9]+)`, `.*`); `None` for anything richer.
fn regex_template(pattern: &str) -> Option<String> {
    let p = pattern.trim_start_matches('^').trim_end_matches('$');
    let p = p.strip_suffix("/?").unwrap_or(p);
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::new();
    let mut n = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let atom_end = match c {
            '\\' => match chars.get(i + 1) {
                Some('d' | 'w' | 'S') => Some(i + 2),
                Some(&e) if "./-_~".contains(e) => {
                    out.push(e);
                    i += 2;
                    continue;
                }
                _ => return None,
            },
            '[' => Some(i + chars[i..].iter().position(|&x| x == ']')? + 1),
            '(' => {
                let mut depth = 0;
                let mut j = i;
                loop {
                    match chars.get(j)? {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let inner: String = chars[i + 1..j].iter().collect();
                if inner.contains('|') && !inner.contains('[') {
                    return None;
                }
                Some(j + 1)
            }
            '.' => Some(i + 1),
            c if c.is_ascii_alphanumeric() || "/-_~{}".contains(c) => {
                out.push(c);
                i += 1;
                continue;
            }
            _ => return None,
        };
        let mut j = atom_end?;
        match chars.get(j) {
            Some('+' | '*' | '?') => j += 1,
            Some('{') => j += chars[j..].iter().position(|&x| x == '}')? + 1,
            _ => {}
        }
        n += 1;
        out.push_str(&format!("{{param{n}}}"));
        i = j;
    }
    Some(out)
}

fn merge(a: &Alternative, b: &Alternative) -> Option<Alternative> {
    let verbs = match (&a.verbs, &b.verbs) {
        (Some(x), Some(y)) => {
            let both: BTreeSet<String> = x.intersection(y).cloned().collect();
            if both.is_empty() {
                return None;
            }
            Some(both)
        }
        (x, y) => x.clone().or_else(|| y.clone()),
    };
    Some(Alternative {
        verbs,
        path: a.path.clone().or_else(|| b.path.clone()),
    })
}

fn flatten(e: &Expr) -> Vec<Alternative> {
    match e {
        Expr::Cmp(var, op, value) => cmp(var, *op, value),
        Expr::Unknown => vec![Alternative::default()],
        Expr::Or(a, b) => {
            let mut v = flatten(a);
            v.extend(flatten(b));
            v
        }
        Expr::And(a, b) => {
            let (a, b) = (flatten(a), flatten(b));
            let mut out = Vec::new();
            for x in &a {
                for y in &b {
                    if let Some(m) = merge(x, y)
                        && !out.contains(&m)
                    {
                        out.push(m);
                    }
                    if out.len() > 256 {
                        return out;
                    }
                }
            }
            out
        }
        Expr::Not(inner) => match flatten(inner).as_slice() {
            [
                Alternative {
                    verbs: Some(v),
                    path: None,
                },
            ] => vec![Alternative {
                verbs: Some(all_verbs().difference(v).cloned().collect()),
                path: None,
            }],
            _ => vec![Alternative::default()],
        },
    }
}

/// The alternatives of `condition`; `None` when it cannot be parsed.
pub fn alternatives(condition: &str) -> Option<Vec<Alternative>> {
    let mut p = Parser {
        tokens: lex(condition)?,
        at: 0,
        depth: 0,
    };
    let e = p.or()?;
    if p.at != p.tokens.len() {
        return None;
    }
    Some(flatten(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(c: &str) -> Vec<String> {
        alternatives(c)
            .expect("parses")
            .iter()
            .map(|a| {
                let verbs = a.verbs.as_ref().map_or("*".to_owned(), |v| {
                    v.iter().cloned().collect::<Vec<_>>().join("|")
                });
                let path = a.path.as_ref().map_or("*".to_owned(), |p| {
                    p.template
                        .clone()
                        .unwrap_or_else(|| format!("?{}", p.pattern))
                });
                format!("{verbs} {path}")
            })
            .collect()
    }

    #[test]
    fn the_usual_flow_conditions() {
        assert_eq!(
            show(r#"(proxy.pathsuffix MatchesPath "/pets/{petId}") and (request.verb = "GET")"#),
            ["GET /pets/{petId}"]
        );
        assert_eq!(
            show(r#"proxy.pathsuffix ~/ "/a/*/b/**" && request.verb == "post""#),
            ["POST /a/{param1}/b/{path2}"]
        );
        assert_eq!(
            show(
                r#"(request.verb = "GET" or request.verb = "HEAD") and proxy.pathsuffix MatchesPath "/x""#
            ),
            ["GET /x", "HEAD /x"]
        );
        assert_eq!(
            show(r#"request.verb != "OPTIONS""#),
            ["DELETE|GET|HEAD|PATCH|POST|PUT|TRACE *"]
        );
        assert_eq!(
            show(r#"!(request.verb = "GET") and proxy.pathsuffix =| "/files""#),
            ["DELETE|HEAD|OPTIONS|PATCH|POST|PUT|TRACE /files"]
        );
        assert_eq!(
            show(
                r#"proxy.pathsuffix ~~ "^/orders/([0-9]+)/items/[^/]+$" and request.verb = "PUT""#
            ),
            ["PUT /orders/{param1}/items/{param2}"]
        );
        assert_eq!(
            show(r#"proxy.pathsuffix JavaRegex "/(a|b)/c""#),
            ["* ?/(a|b)/c"]
        );
        assert_eq!(
            show(r#"request.header.x-debug = "true" and request.verb = "DELETE""#),
            ["DELETE *"]
        );
        // Contradictions drop out.
        assert!(show(r#"request.verb = "GET" and request.verb = "POST""#).is_empty());
        assert!(alternatives(r#"(proxy.pathsuffix MatchesPath "/x""#).is_none());
        assert!(alternatives(r#"request.verb = "GET"#).is_none());
    }
}
