//! Which API of an origin an observed operation belongs to. One origin often fronts
//! several APIs (a gateway serving `/payments/v1` and `/orders/v2`); writing them as
//! one document would merge unrelated APIs into one target. An origin is split by
//! base path only when it *clearly* serves separate APIs:
//! - the base paths of the definitions gateway importers imported for the origin
//!   (their `alternativeUrls`), which say so outright, and
//! - otherwise a `/<name>/<version>` prefix (`/payments/v1`, `/orders/v2.1`), the
//!   gateway convention; a version first (`/v1/users`, `/v1/orders`) is one API's
//!   resources, not separate APIs.
//!
//! Fewer than two such bases leave the origin whole, so a lone API stays keyed by
//! its origin. Operations under no base stay in the origin's own document.

use std::collections::BTreeMap;

use super::observe::ObservedOp;
use super::template::is_placeholder;

/// A convention prefix is a base only with at least this many operations; one
/// stray request does not make an API.
const MIN_OPERATIONS: usize = 2;

/// The operations of one API of an origin; `base` empty = the origin itself.
#[derive(Debug)]
pub struct Api {
    pub base: Vec<String>,
    pub ops: Vec<ObservedOp>,
}

/// `v1`, `V2`, `v2.1`, `v1beta1`.
fn is_version(seg: &str) -> bool {
    let Some(rest) = seg.strip_prefix(['v', 'V']) else {
        return false;
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, tag) = rest.split_at(end);
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !number.is_empty()
        && number.split('.').all(|p| !p.is_empty() && digits(p))
        && (tag.is_empty()
            || ["alpha", "beta"]
                .iter()
                .any(|t| tag.strip_prefix(t).is_some_and(digits)))
}

/// The `/<name>/<version>` prefix of `path`, if it has one and goes on past it.
fn convention_base(path: &[String]) -> Option<&[String]> {
    match path {
        [name, version, _, ..]
            if !is_placeholder(name) && !is_version(name) && is_version(version) =>
        {
            Some(&path[..2])
        }
        _ => None,
    }
}

/// Splits one origin's operations; `declared` are the base paths (segments) of
/// the definitions imported for it.
pub fn split(ops: Vec<ObservedOp>, declared: &[Vec<String>]) -> Vec<Api> {
    let mut declared: Vec<&Vec<String>> = declared.iter().filter(|d| !d.is_empty()).collect();
    declared.sort_by_key(|d| std::cmp::Reverse(d.len()));
    let mut groups: BTreeMap<(bool, Vec<String>), Vec<ObservedOp>> = BTreeMap::new();
    for op in ops {
        let key = match declared.iter().find(|d| op.path.starts_with(d)) {
            Some(d) => (true, (*d).clone()),
            None => (
                false,
                convention_base(&op.path)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default(),
            ),
        };
        groups.entry(key).or_default().push(op);
    }
    let mut apis: BTreeMap<Vec<String>, Vec<ObservedOp>> = BTreeMap::new();
    for ((was_declared, base), ops) in groups {
        let base = if was_declared || ops.len() >= MIN_OPERATIONS {
            base
        } else {
            Vec::new()
        };
        apis.entry(base).or_default().extend(ops);
    }
    if apis.keys().filter(|b| !b.is_empty()).count() < 2 {
        let ops = apis.into_values().flatten().collect();
        return vec![Api {
            base: Vec::new(),
            ops,
        }];
    }
    apis.into_iter()
        .map(|(base, ops)| Api { base, ops })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nad::observe::segments;

    fn op(path: &str) -> ObservedOp {
        ObservedOp {
            origin: "https://gw.test".into(),
            method: "GET".into(),
            path: segments(path),
            stats: Default::default(),
        }
    }

    fn bases(apis: &[Api]) -> Vec<(String, usize)> {
        apis.iter()
            .map(|a| (format!("/{}", a.base.join("/")), a.ops.len()))
            .collect()
    }

    #[test]
    fn versions_are_recognised() {
        for v in ["v1", "V2", "v2.1", "v1beta1", "v10alpha"] {
            assert!(is_version(v), "{v}");
        }
        for v in ["v", "vat", "version", "1", "v1.", "v1.x", "video"] {
            assert!(!is_version(v), "{v}");
        }
    }

    #[test]
    fn name_then_version_prefixes_split_an_origin() {
        let apis = split(
            vec![
                op("/payments/v1/charges"),
                op("/payments/v1/charges/{integer}"),
                op("/orders/v2/orders"),
                op("/orders/v2/orders/{uuid}/lines"),
                op("/health"),
                op("/stray/v1/once"),
            ],
            &[],
        );
        assert_eq!(
            bases(&apis),
            [
                ("/".to_owned(), 2),
                ("/orders/v2".to_owned(), 2),
                ("/payments/v1".to_owned(), 2)
            ]
        );
    }

    #[test]
    fn one_api_or_a_leading_version_leaves_the_origin_whole() {
        let lone = split(
            vec![op("/payments/v1/a"), op("/payments/v1/b"), op("/x")],
            &[],
        );
        assert_eq!(bases(&lone), [("/".to_owned(), 3)]);
        let versioned = split(
            vec![
                op("/v1/users/{integer}"),
                op("/v1/orders"),
                op("/v2/orders/x"),
            ],
            &[],
        );
        assert_eq!(bases(&versioned), [("/".to_owned(), 3)]);
    }

    #[test]
    fn declared_base_paths_win_and_count_with_one_operation() {
        let declared = vec![segments("/shop"), segments("/shop/admin"), segments("/v1")];
        let apis = split(
            vec![
                op("/shop/cart"),
                op("/shop/admin/users"),
                op("/v1/users/x"),
                op("/v1/users/y"),
            ],
            &declared,
        );
        assert_eq!(
            bases(&apis),
            [
                ("/shop".to_owned(), 1),
                ("/shop/admin".to_owned(), 1),
                ("/v1".to_owned(), 2)
            ]
        );
    }
}
