//! Shadow and stale APIs: reconstructed operations matched against the operations
//! of imported definitions served on the same origin. An operation seen in traffic
//! that no definition documents is *undocumented* (a shadow API); a documented one
//! not seen within the retention window is *stale*.

use serde::Serialize;

use super::observe::ObservedOp;
use super::openapi::path_template;
use super::template::is_placeholder;

/// An operation of an imported definition.
#[derive(Debug, Clone)]
pub struct Documented {
    /// The definition's base URLs (the target's `alternativeUrls`).
    pub urls: Vec<String>,
    pub method: String,
    /// The path as the definition writes it, relative to its base URLs.
    pub endpoint: String,
    /// Who documents it (a target name), for the report.
    pub source: String,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub origin: String,
    pub method: String,
    pub path: String,
    /// The definition that documents it (stale findings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documented_by: Option<String>,
    /// When traffic last showed it (RFC 3339), if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub undocumented: Vec<Finding>,
    pub stale: Vec<Finding>,
}

/// `origin` and path segments of a documented operation, once per base URL.
fn documented_paths(d: &Documented) -> Vec<(String, Vec<String>)> {
    d.urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| {
            let mut segs: Vec<String> = u
                .path()
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            segs.extend(d.endpoint.split('/').filter(|s| !s.is_empty()).map(|s| {
                if s.contains('{') {
                    "{}".to_owned()
                } else {
                    s.to_owned()
                }
            }));
            (u.origin().ascii_serialization(), segs)
        })
        .collect()
}

/// A documented path covers an observed one when every segment is equal or the
/// documented one is a parameter. A parameter covers observed text (traffic shows
/// an enum's values as text) unless traffic also shows a parameter at that
/// position: then the text is a static sibling (`/orders/export.csv` beside
/// `/orders/{id}`), which the parameter does not document.
fn covers(
    documented: &[String],
    observed: &[String],
    sibling_param: impl Fn(usize) -> bool,
) -> bool {
    documented.len() == observed.len()
        && documented
            .iter()
            .zip(observed)
            .enumerate()
            .all(|(i, (d, o))| {
                d == o || (is_placeholder(d) && (is_placeholder(o) || !sibling_param(i)))
            })
}

fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339())
}

/// The report over `observed` (templated) and `documented`, at `now`.
pub fn compare(
    observed: &[ObservedOp],
    documented: &[Documented],
    retention_ms: i64,
    now: i64,
) -> Report {
    let docs: Vec<(&Documented, String, Vec<String>)> = documented
        .iter()
        .flat_map(|d| documented_paths(d).into_iter().map(move |(o, p)| (d, o, p)))
        .collect();
    // (origin, path prefix) under which traffic shows a parameter.
    let params: std::collections::BTreeSet<(&str, &[String])> = observed
        .iter()
        .flat_map(|op| {
            op.path
                .iter()
                .enumerate()
                .filter(|(_, s)| is_placeholder(s))
                .map(|(i, _)| (op.origin.as_str(), &op.path[..i]))
        })
        .collect();
    let is_documented = |op: &ObservedOp, d: &Documented, origin: &str, path: &[String]| {
        origin == op.origin
            && d.method.eq_ignore_ascii_case(&op.method)
            && covers(path, &op.path, |i| {
                params.contains(&(op.origin.as_str(), &op.path[..i]))
            })
    };
    let mut report = Report::default();
    for op in observed {
        let finding = || Finding {
            origin: op.origin.clone(),
            method: op.method.clone(),
            path: path_template(&op.path).0,
            documented_by: None,
            last_seen: rfc3339(op.stats.last_seen),
        };
        if !docs.iter().any(|(d, o, p)| is_documented(op, d, o, p)) {
            report.undocumented.push(finding());
            // An undocumented operation traffic stopped showing is stale too.
            if now - op.stats.last_seen > retention_ms {
                report.stale.push(finding());
            }
        }
    }
    // Only origins traffic was seen on say anything about staleness.
    let origins: std::collections::BTreeSet<&str> =
        observed.iter().map(|o| o.origin.as_str()).collect();
    for (d, origin, path) in &docs {
        if !origins.contains(origin.as_str()) {
            continue;
        }
        let seen = observed
            .iter()
            .filter(|op| is_documented(op, d, origin, path))
            .map(|op| op.stats.last_seen)
            .max();
        if seen.is_none_or(|at| now - at > retention_ms) {
            report.stale.push(Finding {
                origin: origin.clone(),
                method: d.method.to_ascii_uppercase(),
                path: format!("/{}", path.join("/")),
                documented_by: Some(d.source.clone()),
                last_seen: seen.and_then(rfc3339),
            });
        }
    }
    report
        .undocumented
        .sort_by(|a, b| (&a.origin, &a.path, &a.method).cmp(&(&b.origin, &b.path, &b.method)));
    report
        .stale
        .sort_by(|a, b| (&a.origin, &a.path, &a.method).cmp(&(&b.origin, &b.path, &b.method)));
    report.stale.dedup();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nad::observe::{Stats, segments};

    const DAY: i64 = 86_400_000;

    fn seen(method: &str, path: &str, last_seen: i64) -> ObservedOp {
        ObservedOp {
            origin: "https://shop.test".into(),
            method: method.into(),
            path: segments(path),
            stats: Stats {
                hits: 1,
                last_seen,
                ..Stats::default()
            },
        }
    }

    fn doc(method: &str, endpoint: &str) -> Documented {
        Documented {
            urls: vec!["https://shop.test/v1".into(), "https://other.test".into()],
            method: method.into(),
            endpoint: endpoint.into(),
            source: "Shop API".into(),
        }
    }

    #[test]
    fn traffic_outside_the_definitions_is_undocumented_and_unseen_documentation_stale() {
        let now = 100 * DAY;
        let observed = vec![
            seen("GET", "/v1/orders/42", now - DAY),
            seen("GET", "/v1/orders/export.csv", now - DAY),
            seen("DELETE", "/v1/orders/42", now - DAY),
            seen("GET", "/internal/debug", now - 40 * DAY),
        ];
        let documented = vec![
            doc("GET", "/orders/{orderId}"),
            doc("DELETE", "/orders/{orderId}"),
            doc("POST", "/orders"),
        ];
        let r = compare(&observed, &documented, 30 * DAY, now);
        let lines = |f: &[Finding]| -> Vec<String> {
            f.iter()
                .map(|x| format!("{} {}{}", x.method, x.origin, x.path))
                .collect()
        };
        assert_eq!(
            lines(&r.undocumented),
            [
                "GET https://shop.test/internal/debug",
                "GET https://shop.test/v1/orders/export.csv"
            ]
        );
        // POST /orders was never seen; /internal/debug not for 40 days; the
        // documented paths on other.test say nothing (no traffic there).
        assert_eq!(
            lines(&r.stale),
            [
                "GET https://shop.test/internal/debug",
                "POST https://shop.test/v1/orders"
            ]
        );
        assert_eq!(r.stale[1].documented_by.as_deref(), Some("Shop API"));
    }
}
