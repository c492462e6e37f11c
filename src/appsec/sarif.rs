//! Reads a SARIF 2.1.0 log from a DAST or API scanner into findings: the first
//! problem fails the whole log (named by its JSON path), so nothing is half
//! imported. What each field comes from:
//! - **severity**: `properties.security-severity` of the result, else of its rule
//!   (GitHub's convention: ≥ 9 critical, ≥ 7 high, ≥ 4 medium, > 0 low, else
//!   info); otherwise the result's `level`, else the rule's
//!   `defaultConfiguration.level`, else SARIF's default `warning` (`error` high,
//!   `warning` medium, `note` low, `none` info);
//! - **name**: the rule's `shortDescription.text`, else its `name`, else the rule
//!   id, else the result's `message.text`;
//! - **url**: `webRequest.target`, else the first location's
//!   `physicalLocation.artifactLocation.uri` (resolved against the run's
//!   `originalUriBaseIds`); only absolute http(s) URLs count;
//! - **method**: `webRequest.method`; **parameter**: `properties.parameter`
//!   (or `param`, `parameterName`) of the result;
//! - **fingerprint**: the first of `fingerprints` / `partialFingerprints`, else a
//!   hash of tool, rule, URL, method and parameter, so a re-import of the same
//!   scan finds the same findings;
//! - **seen at**: the run's first invocation's `endTimeUtc` (else `startTimeUtc`).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::appsec::Severity;

/// One result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `runs[i].results[j]`, for error messages.
    pub at: String,
    pub name: String,
    pub severity: Severity,
    pub url: Option<String>,
    pub method: Option<String>,
    pub parameter: Option<String>,
    pub fingerprint: String,
}

/// One run: a scanner and what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// `tool.driver.name`.
    pub tool: String,
    /// When the scan ended, epoch milliseconds, if the log says.
    pub seen_at: Option<i64>,
    pub findings: Vec<Finding>,
}

/// A problem with the log, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for SarifError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn err(path: impl Into<String>, message: impl Into<String>) -> SarifError {
    SarifError {
        path: path.into(),
        message: message.into(),
    }
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// The severity a `security-severity` score or a `level` gives.
pub fn severity_of(score: Option<f64>, level: Option<&str>) -> Severity {
    match score {
        Some(s) if s >= 9.0 => Severity::Critical,
        Some(s) if s >= 7.0 => Severity::High,
        Some(s) if s >= 4.0 => Severity::Medium,
        Some(s) if s > 0.0 => Severity::Low,
        Some(_) => Severity::Info,
        None => match level {
            Some("error") => Severity::High,
            Some("note") => Severity::Low,
            Some("none") => Severity::Info,
            _ => Severity::Medium,
        },
    }
}

/// `security-severity` as a number (SARIF producers write it as a string).
fn score(props: Option<&Value>, path: &str) -> Result<Option<f64>, SarifError> {
    let Some(v) = props.and_then(|p| p.get("security-severity")) else {
        return Ok(None);
    };
    let n = match v {
        Value::String(s) => s.trim().parse::<f64>().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match n {
        Some(n) if n.is_finite() && (0.0..=10.0).contains(&n) => Ok(Some(n)),
        _ => Err(err(
            format!("{path}.properties.security-severity"),
            "must be a number from 0 to 10",
        )),
    }
}

const LEVELS: &[&str] = &["none", "note", "warning", "error"];

fn level<'a>(v: &'a Value, path: &str) -> Result<Option<&'a str>, SarifError> {
    match v.get("level") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if LEVELS.contains(&s.as_str()) => Ok(Some(s)),
        Some(_) => Err(err(
            format!("{path}.level"),
            "must be one of none, note, warning, error",
        )),
    }
}

fn http_url(s: &str) -> Option<String> {
    url::Url::parse(s)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| u.to_string())
}

/// The result's URL: its web request's target, else its first location,
/// resolved against the run's base URIs.
fn url_of(result: &Value, bases: Option<&Map<String, Value>>) -> Option<String> {
    if let Some(u) = text(result, &["webRequest", "target"]).and_then(http_url) {
        return Some(u);
    }
    let loc = result.get("locations")?.get(0)?;
    let artifact = loc.get("physicalLocation")?.get("artifactLocation")?;
    let uri = text(artifact, &["uri"])?;
    if let Some(u) = http_url(uri) {
        return Some(u);
    }
    let base = artifact
        .get("uriBaseId")
        .and_then(Value::as_str)
        .and_then(|id| bases?.get(id))
        .and_then(|b| text(b, &["uri"]))?;
    url::Url::parse(base)
        .ok()?
        .join(uri)
        .ok()
        .and_then(|u| http_url(u.as_str()))
}

fn first_fingerprint(result: &Value) -> Option<String> {
    ["fingerprints", "partialFingerprints"]
        .iter()
        .filter_map(|k| result.get(*k)?.as_object())
        .flat_map(|m| m.iter())
        .find_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
}

fn time_ms(run: &Value) -> Option<i64> {
    let inv = run.get("invocations")?.get(0)?;
    ["endTimeUtc", "startTimeUtc"]
        .iter()
        .find_map(|k| text(inv, &[k]))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
}

/// Reads a SARIF 2.1.0 log.
pub fn read(bytes: &[u8]) -> Result<Vec<Run>, SarifError> {
    let log: Value =
        serde_json::from_slice(bytes).map_err(|e| err("body", format!("is not JSON: {e}")))?;
    if !log.is_object() {
        return Err(err("body", "must be a SARIF log (a JSON object)"));
    }
    match log.get("version").and_then(Value::as_str) {
        Some("2.1.0") => {}
        Some(v) => {
            return Err(err(
                "version",
                format!("`{v}` is not supported; SARIF 2.1.0 is"),
            ));
        }
        None => {
            return Err(err(
                "version",
                "missing; a SARIF 2.1.0 log says `\"version\": \"2.1.0\"`",
            ));
        }
    }
    let runs = log
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| err("runs", "missing or not an array"))?;
    let mut out = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let at = format!("runs[{i}]");
        let tool = text(run, &["tool", "driver", "name"])
            .ok_or_else(|| err(format!("{at}.tool.driver.name"), "missing"))?
            .to_owned();
        let rules: Vec<&Value> = run
            .pointer("/tool/driver/rules")
            .and_then(Value::as_array)
            .map(|r| r.iter().collect())
            .unwrap_or_default();
        let bases = run.get("originalUriBaseIds").and_then(Value::as_object);
        let results = match run.get("results") {
            None | Some(Value::Null) => &Vec::new(),
            Some(Value::Array(r)) => r,
            Some(_) => return Err(err(format!("{at}.results"), "must be an array")),
        };
        let mut findings = Vec::with_capacity(results.len());
        for (j, result) in results.iter().enumerate() {
            let at = format!("{at}.results[{j}]");
            if !result.is_object() {
                return Err(err(at, "must be an object"));
            }
            let rule_id = text(result, &["ruleId"]).or_else(|| text(result, &["rule", "id"]));
            let rule = match result.get("ruleIndex").and_then(Value::as_u64) {
                Some(k) => Some(*rules.get(k as usize).ok_or_else(|| {
                    err(
                        format!("{at}.ruleIndex"),
                        format!("no rule {k} in tool.driver.rules"),
                    )
                })?),
                None => rule_id
                    .and_then(|id| rules.iter().copied().find(|r| text(r, &["id"]) == Some(id))),
            };
            let message = text(result, &["message", "text"]);
            let name = rule
                .and_then(|r| text(r, &["shortDescription", "text"]).or_else(|| text(r, &["name"])))
                .or(rule_id)
                .or(message)
                .ok_or_else(|| {
                    err(
                        format!("{at}.message.text"),
                        "missing (and no rule names the result)",
                    )
                })?
                .to_owned();
            let score = match score(result.get("properties"), &at)? {
                Some(s) => Some(s),
                None => match rule {
                    Some(r) => score(r.get("properties"), &format!("{at} rule"))?,
                    None => None,
                },
            };
            let lvl = match level(result, &at)? {
                Some(l) => Some(l),
                None => rule
                    .and_then(|r| r.get("defaultConfiguration"))
                    .and_then(|c| c.get("level"))
                    .and_then(Value::as_str),
            };
            let url = url_of(result, bases);
            let method = text(result, &["webRequest", "method"]).map(str::to_ascii_uppercase);
            let parameter = ["parameter", "param", "parameterName"]
                .iter()
                .find_map(|k| text(result, &["properties", k]))
                .map(str::to_owned);
            let fingerprint = first_fingerprint(result).unwrap_or_else(|| {
                let mut h = Sha256::new();
                for part in [
                    Some(tool.as_str()),
                    rule_id.or(Some(&name)),
                    url.as_deref(),
                    method.as_deref(),
                    parameter.as_deref(),
                ] {
                    h.update(part.unwrap_or("").as_bytes());
                    h.update([0]);
                }
                hex::encode(h.finalize())
            });
            findings.push(Finding {
                at,
                name,
                severity: severity_of(score, lvl),
                url,
                method,
                parameter,
                fingerprint,
            });
        }
        out.push(Run {
            tool,
            seen_at: time_ms(run),
            findings,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn severities_follow_the_score_then_the_level() {
        let s = |score, level| severity_of(score, level);
        assert_eq!(s(Some(9.0), None), Severity::Critical);
        assert_eq!(s(Some(8.9), Some("note")), Severity::High);
        assert_eq!(s(Some(4.0), None), Severity::Medium);
        assert_eq!(s(Some(0.1), None), Severity::Low);
        assert_eq!(s(Some(0.0), Some("error")), Severity::Info);
        assert_eq!(s(None, Some("error")), Severity::High);
        assert_eq!(s(None, Some("warning")), Severity::Medium);
        assert_eq!(s(None, Some("note")), Severity::Low);
        assert_eq!(s(None, Some("none")), Severity::Info);
        assert_eq!(s(None, None), Severity::Medium, "SARIF's default level");
    }

    #[test]
    fn fields_come_from_the_rule_the_location_and_the_request() {
        let log = json!({"version": "2.1.0", "runs": [{
            "tool": {"driver": {"name": "ZAP", "rules": [
                {"id": "10020", "shortDescription": {"text": "Missing Anti-clickjacking Header"},
                 "properties": {"security-severity": "4.3"}},
                {"id": "40018", "name": "SQL Injection", "defaultConfiguration": {"level": "error"}}
            ]}},
            "originalUriBaseIds": {"SITE": {"uri": "https://shop.example.com/"}},
            "invocations": [{"executionSuccessful": true, "endTimeUtc": "2025-11-13T10:39:15Z"}],
            "results": [
                {"ruleId": "10020", "message": {"text": "x"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "cart?id=1", "uriBaseId": "SITE"}}}]},
                {"ruleId": "40018", "ruleIndex": 1, "message": {"text": "y"},
                 "webRequest": {"target": "https://shop.example.com/search", "method": "post"},
                 "properties": {"parameter": "q"},
                 "partialFingerprints": {"zap/v1": "abc"}}
            ]
        }]});
        let runs = read(log.to_string().as_bytes()).expect("valid");
        assert_eq!(runs[0].tool, "ZAP");
        assert_eq!(runs[0].seen_at, Some(1_763_030_355_000));
        let [a, b] = &runs[0].findings[..] else {
            panic!("two findings")
        };
        assert_eq!(a.name, "Missing Anti-clickjacking Header");
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.url.as_deref(), Some("https://shop.example.com/cart?id=1"));
        assert_eq!((a.method.as_deref(), a.parameter.as_deref()), (None, None));
        assert_eq!(b.name, "SQL Injection");
        assert_eq!(b.severity, Severity::High);
        assert_eq!(b.method.as_deref(), Some("POST"));
        assert_eq!(b.parameter.as_deref(), Some("q"));
        assert_eq!(b.fingerprint, "zap/v1=abc");
        let again = read(log.to_string().as_bytes()).expect("valid");
        assert_eq!(again[0].findings[0].fingerprint, a.fingerprint, "stable");
    }

    #[test]
    fn the_first_problem_is_named_by_its_path() {
        let bad = |v: Value| read(v.to_string().as_bytes()).expect_err("invalid").path;
        assert_eq!(bad(json!({"runs": []})), "version");
        assert_eq!(bad(json!({"version": "2.0.0", "runs": []})), "version");
        assert_eq!(bad(json!({"version": "2.1.0"})), "runs");
        assert_eq!(
            bad(json!({"version": "2.1.0", "runs": [{"tool": {}}]})),
            "runs[0].tool.driver.name"
        );
        let run = |results: Value| json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": results}]});
        assert_eq!(
            bad(run(json!([{"message": {"text": "a"}}, 3]))),
            "runs[0].results[1]"
        );
        assert_eq!(bad(run(json!([{}]))), "runs[0].results[0].message.text");
        assert_eq!(
            bad(run(json!([{"message": {"text": "a"}, "level": "fatal"}]))),
            "runs[0].results[0].level"
        );
        assert_eq!(
            bad(run(
                json!([{"message": {"text": "a"}, "properties": {"security-severity": "high"}}])
            )),
            "runs[0].results[0].properties.security-severity"
        );
        assert_eq!(
            bad(run(json!([{"message": {"text": "a"}, "ruleIndex": 4}]))),
            "runs[0].results[0].ruleIndex"
        );
        assert_eq!(read(b"[1]").expect_err("not a log").path, "body");
    }
}
