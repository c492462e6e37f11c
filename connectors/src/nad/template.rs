//! Path templates learned from variation across requests. Observations of one
//! origin form a tree of path segments; at each position the children decide
//! whether it holds a value:
//! - a typed value (`{integer}`, `{uuid}`, ... from [`super::observe::typed`]), or
//! - three or more literals seen rarely (a high-cardinality slug), or
//! - two or more literals shaped like values (dotted names, host names, mixed
//!   letters and digits).
//!
//! At such a position the value-like and rarely seen literals merge into one
//! parameter; a word seen often stays static beside it (`/pet/findByStatus` beside
//! `/pet/{petId}`). Merged placeholders are written back, so a later run starts
//! from what this one learned (an operation seen once stays).

use std::collections::BTreeMap;

use super::observe::{ObservedOp, add};

/// At most this many requests through a literal leave it "rarely seen".
const RARE_HITS: u64 = 2;
/// File extensions a static segment may end in.
const EXTENSIONS: &[&str] = &[
    "json", "yaml", "yml", "xml", "html", "htm", "txt", "csv", "wsdl", "wadl", "graphql", "js",
    "css", "png", "ico", "svg", "php", "asp", "aspx", "jsp",
];

const STRING: &str = "{string}";

#[derive(Default)]
struct Node {
    hits: u64,
    ops: BTreeMap<String, ObservedOp>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn insert(&mut self, op: ObservedOp, depth: usize) {
        self.hits += op.stats.hits;
        match op.path.get(depth).cloned() {
            Some(seg) => self.children.entry(seg).or_default().insert(op, depth + 1),
            None => add(&mut self.ops, op.method.clone(), op),
        }
    }

    fn absorb(&mut self, other: Node) {
        self.hits += other.hits;
        for (method, op) in other.ops {
            add(&mut self.ops, method, op);
        }
        for (seg, child) in other.children {
            self.children.entry(seg).or_default().absorb(child);
        }
    }

    fn learn(&mut self) {
        let placeholders: Vec<String> = self
            .children
            .keys()
            .filter(|k| is_placeholder(k))
            .cloned()
            .collect();
        let literals: Vec<String> = self
            .children
            .keys()
            .filter(|k| !is_placeholder(k))
            .cloned()
            .collect();
        let rare = |k: &String| self.children.get(k).is_some_and(|c| c.hits <= RARE_HITS);
        let rare_count = literals.iter().filter(|k| rare(k)).count();
        let valued = literals.iter().filter(|k| value_shaped(k)).count();
        // A slug parameter learned before takes rare words too; a typed one does
        // not, since words beside numbers are usually static (`findByStatus`).
        let slug = placeholders.iter().any(|p| p == STRING);
        let variable = !placeholders.is_empty() || rare_count >= 3 || valued >= 2;
        if variable {
            let merged_literals: Vec<String> = literals
                .iter()
                .filter(|k| {
                    value_shaped(k) || !word_like(k) || (rare(k) && (rare_count >= 3 || slug))
                })
                .cloned()
                .collect();
            if !merged_literals.is_empty() || placeholders.len() >= 2 {
                let mut param = Node::default();
                for k in placeholders.iter().chain(&merged_literals) {
                    if let Some(child) = self.children.remove(k) {
                        param.absorb(child);
                    }
                }
                // Distinct kinds or text merged: the parameter is a string.
                self.children
                    .entry(STRING.to_owned())
                    .or_default()
                    .absorb(param);
            }
        }
        for child in self.children.values_mut() {
            child.learn();
        }
    }

    fn collect(self, prefix: &mut Vec<String>, out: &mut Vec<ObservedOp>) {
        for (_, mut op) in self.ops {
            op.path = prefix.clone();
            out.push(op);
        }
        for (seg, child) in self.children {
            prefix.push(seg);
            child.collect(prefix, out);
            prefix.pop();
        }
    }
}

/// Observations with their paths templated and merged, per origin.
pub fn learn(observed: Vec<ObservedOp>) -> Vec<ObservedOp> {
    let mut origins: BTreeMap<String, Node> = BTreeMap::new();
    for op in observed {
        origins.entry(op.origin.clone()).or_default().insert(op, 0);
    }
    let mut out = Vec::new();
    for (_, mut root) in origins {
        root.learn();
        root.collect(&mut Vec::new(), &mut out);
    }
    out
}

pub fn is_placeholder(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

/// The type a placeholder stands for.
pub fn kind_of(seg: &str) -> Option<&str> {
    is_placeholder(seg).then(|| &seg[1..seg.len() - 1])
}

fn has_extension(seg: &str) -> bool {
    seg.rsplit_once('.')
        .is_some_and(|(_, ext)| EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

fn is_version(seg: &str) -> bool {
    let rest = seg.strip_prefix(['v', 'V']).unwrap_or(seg);
    !rest.is_empty()
        && rest
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        && (rest.len() < seg.len() || rest.contains('.'))
}

/// A name a path would use: starts with a letter, letters, `_`, `-` and at most
/// two digits (`oauth2`, `v1beta1`), an optional file extension; or a version.
fn word_like(seg: &str) -> bool {
    if is_version(seg) {
        return true;
    }
    let stem = if has_extension(seg) {
        seg.rsplit_once('.').map_or(seg, |(s, _)| s)
    } else {
        seg
    };
    let b = stem.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
        && b.iter().filter(|c| c.is_ascii_digit()).count() <= 2
}

/// Shaped like a value: a dotted name or host name, an `@`/`:`/`~`/`%`, or
/// letters mixed with three or more digits.
fn value_shaped(seg: &str) -> bool {
    if is_version(seg) || has_extension(seg) {
        return false;
    }
    let b = seg.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    seg.contains('.') || seg.contains(['@', ':', '~', '%', '+']) || (digits >= 3 && letters > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nad::observe::{ObservedOp, Stats, segments};

    fn op(method: &str, path: &str, hits: u64) -> ObservedOp {
        ObservedOp {
            origin: "https://api.test".into(),
            method: method.into(),
            path: segments(path),
            stats: Stats {
                hits,
                ..Stats::default()
            },
        }
    }

    fn paths(ops: &[ObservedOp]) -> Vec<String> {
        let mut p: Vec<String> = ops
            .iter()
            .map(|o| format!("{} /{}", o.method, o.path.join("/")))
            .collect();
        p.sort();
        p
    }

    #[test]
    fn typed_values_become_parameters_and_static_siblings_stay() {
        let mut obs = vec![
            op("GET", "/pet/findByStatus", 4),
            op("GET", "/pet/findByTags", 3),
        ];
        for id in ["1", "22", "333"] {
            obs.push(op("GET", &format!("/pet/{id}"), 1));
            obs.push(op("DELETE", &format!("/pet/{id}"), 1));
        }
        obs.push(op("POST", "/pet/7/uploadImage", 1));
        assert_eq!(
            paths(&learn(obs)),
            [
                "DELETE /pet/{integer}",
                "GET /pet/findByStatus",
                "GET /pet/findByTags",
                "GET /pet/{integer}",
                "POST /pet/{integer}/uploadImage",
            ]
        );
    }

    #[test]
    fn string_ids_dotted_names_and_host_names_are_learned_from_variation() {
        let mut obs = vec![op("GET", "/users/me", 6)];
        for u in ["alice", "bob", "carol", "dave"] {
            obs.push(op("GET", &format!("/users/{u}"), 1));
            obs.push(op("GET", &format!("/users/{u}/repos"), 1));
        }
        for z in ["example.com", "api.foo.org"] {
            obs.push(op("GET", &format!("/zones/{z}/records"), 3));
        }
        obs.push(op("GET", "/openapi.json", 1));
        obs.push(op("GET", "/v2/status", 1));
        assert_eq!(
            paths(&learn(obs)),
            [
                "GET /openapi.json",
                "GET /users/me",
                "GET /users/{string}",
                "GET /users/{string}/repos",
                "GET /v2/status",
                "GET /zones/{string}/records",
            ]
        );
    }

    /// What one run learned is the starting point of the next: a new value at a
    /// known parameter joins it, and an operation seen once stays.
    #[test]
    fn templates_merge_across_runs() {
        let first = learn(
            ["a1", "b2", "c3"]
                .iter()
                .map(|s| op("GET", &format!("/accounts/{s}"), 1))
                .chain([op("GET", "/health", 1)])
                .collect(),
        );
        assert_eq!(paths(&first), ["GET /accounts/{string}", "GET /health"]);
        let mut next = first.clone();
        next.push(op("GET", "/accounts/zed", 1));
        next.push(op("PUT", "/accounts/yan", 1));
        let second = learn(next);
        assert_eq!(
            paths(&second),
            [
                "GET /accounts/{string}",
                "GET /health",
                "PUT /accounts/{string}"
            ]
        );
        let get = second
            .iter()
            .find(|o| o.method == "GET" && o.path[0] == "accounts")
            .expect("get");
        assert_eq!(get.stats.hits, 4);
    }
}
