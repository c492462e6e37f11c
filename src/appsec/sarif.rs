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
//!   scan finds the same findings; a result without an http(s) URL (a source
//!   scanner's file, Nettacker's bare host) also hashes its first location's URI
//!   and start line and its message, or two findings of one rule in different
//!   files would be one;
//! - **seen at**: the run's first invocation's `endTimeUtc` (else `startTimeUtc`).
//!
//! The log is read into the few fields above and nothing else: request and
//! response bodies, code flows, snippets and tool-specific property bags are
//! skipped as they are parsed (the benchmark's 26 MB log of 100,000 results: the
//! daemon peaks 168 MiB over idle and keeps 143 MiB, where a whole JSON tree of
//! it left 626 MiB). Leaves whose type the checks below name (`level`,
//! `security-severity`, ...) are read as JSON values and checked here, with
//! their path; a member of the wrong shape is named by serde's path.

use serde::Deserialize;
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

// The parts of SARIF 2.1.0 read here; serde skips every other member unparsed.

/// A member that must be a JSON object (serde's derive would also fill a struct
/// from an array, element by element).
#[derive(Default)]
struct Obj<T>(T);

impl<T> std::ops::Deref for Obj<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Fields(std::marker::PhantomData)).map(Obj)
    }
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<Value>,
}

#[derive(Deserialize)]
struct LogIn {
    runs: Option<Vec<Obj<RunIn>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RunIn {
    tool: Option<Obj<ToolIn>>,
    original_uri_base_ids: Option<Map<String, Value>>,
    invocations: Option<Vec<Obj<InvocationIn>>>,
    results: Option<Vec<Obj<ResultIn>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ToolIn {
    driver: Option<Obj<DriverIn>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DriverIn {
    name: Option<Value>,
    rules: Option<Vec<Obj<RuleIn>>>,
}

#[derive(Deserialize, Default)]
#[serde(
    default,
    rename_all = "camelCase",
    expecting = "a SARIF rule object (reportingDescriptor)"
)]
struct RuleIn {
    id: Option<Value>,
    name: Option<Value>,
    short_description: Option<Obj<MessageIn>>,
    default_configuration: Option<Obj<ConfigurationIn>>,
    properties: Option<Obj<PropertiesIn>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfigurationIn {
    level: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MessageIn {
    text: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PropertiesIn {
    #[serde(rename = "security-severity")]
    security_severity: Option<Value>,
    parameter: Option<Value>,
    param: Option<Value>,
    #[serde(rename = "parameterName")]
    parameter_name: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(
    default,
    rename_all = "camelCase",
    expecting = "a SARIF invocation object"
)]
struct InvocationIn {
    end_time_utc: Option<Value>,
    start_time_utc: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ResultIn {
    rule_id: Option<Value>,
    rule_index: Option<Value>,
    rule: Option<Obj<RuleRefIn>>,
    message: Option<Obj<MessageIn>>,
    level: Option<Value>,
    locations: Option<Vec<Obj<LocationIn>>>,
    web_request: Option<Obj<WebRequestIn>>,
    properties: Option<Obj<PropertiesIn>>,
    fingerprints: Option<Map<String, Value>>,
    partial_fingerprints: Option<Map<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleRefIn {
    id: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(
    default,
    rename_all = "camelCase",
    expecting = "a SARIF location object"
)]
struct LocationIn {
    physical_location: Option<Obj<PhysicalIn>>,
}

#[derive(Deserialize, Default)]
#[serde(
    default,
    rename_all = "camelCase",
    expecting = "a SARIF physical location object"
)]
struct PhysicalIn {
    artifact_location: Option<Obj<ArtifactIn>>,
    region: Option<Obj<RegionIn>>,
}

#[derive(Deserialize, Default)]
#[serde(
    default,
    rename_all = "camelCase",
    expecting = "a SARIF artifact location object"
)]
struct ArtifactIn {
    uri: Option<Value>,
    uri_base_id: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RegionIn {
    start_line: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WebRequestIn {
    target: Option<Value>,
    method: Option<Value>,
}

/// A trimmed, non-empty string value.
fn text(v: Option<&Value>) -> Option<&str> {
    v?.as_str().map(str::trim).filter(|s| !s.is_empty())
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
fn score(props: Option<&Obj<PropertiesIn>>, path: &str) -> Result<Option<f64>, SarifError> {
    let Some(v) = props.and_then(|p| p.security_severity.as_ref()) else {
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

fn level<'a>(v: Option<&'a Value>, path: &str) -> Result<Option<&'a str>, SarifError> {
    match v {
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
fn url_of(result: &ResultIn, bases: Option<&Map<String, Value>>) -> Option<String> {
    if let Some(u) =
        text(result.web_request.as_ref().and_then(|w| w.target.as_ref())).and_then(http_url)
    {
        return Some(u);
    }
    let artifact = result
        .locations
        .as_ref()?
        .first()?
        .physical_location
        .as_ref()?
        .artifact_location
        .as_ref()?;
    let uri = text(artifact.uri.as_ref())?;
    if let Some(u) = http_url(uri) {
        return Some(u);
    }
    let base = artifact
        .uri_base_id
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|id| bases?.get(id))
        .and_then(|b| text(b.get("uri")))?;
    url::Url::parse(base)
        .ok()?
        .join(uri)
        .ok()
        .and_then(|u| http_url(u.as_str()))
}

fn first_fingerprint(result: &ResultIn) -> Option<String> {
    [&result.fingerprints, &result.partial_fingerprints]
        .into_iter()
        .flatten()
        .flat_map(|m| m.iter())
        .find_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
}

fn time_ms(run: &RunIn) -> Option<i64> {
    let inv = run.invocations.as_ref()?.first()?;
    [&inv.end_time_utc, &inv.start_time_utc]
        .into_iter()
        .find_map(|t| text(t.as_ref()))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
}

/// Deserializes `bytes` as `T`, naming where it fails: `body` when it is not
/// JSON at all, else the JSON path of the first member of the wrong shape.
fn parse<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, SarifError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return err("body", format!("is not JSON: {inner}"));
        }
        let path = e.path().to_string();
        let message = inner
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        match path.as_str() {
            "." | "" => err("body", "must be a SARIF log (a JSON object)"),
            _ => err(path, message),
        }
    })?;
    de.end().map_err(|e| {
        err(
            "body",
            format!("is not JSON: {e} (only whitespace may follow the log)"),
        )
    })?;
    Ok(value)
}

/// Reads a SARIF 2.1.0 log.
pub fn read(bytes: &[u8]) -> Result<Vec<Run>, SarifError> {
    // The version first (a cheap pass that skips the rest), so a log of another
    // SARIF version is told so rather than about the first member it shapes
    // differently.
    // (A JSON array would also fill a struct, field by field.)
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        parse::<serde::de::IgnoredAny>(bytes)?;
        return Err(err("body", "must be a SARIF log (a JSON object)"));
    }
    let VersionOnly { version } = parse(bytes)?;
    match version.as_ref().map(|v| v.as_str()) {
        Some(Some("2.1.0")) => {}
        Some(v) => {
            return Err(err(
                "version",
                format!("`{}` is not supported; SARIF 2.1.0 is", v.unwrap_or("?")),
            ));
        }
        None => {
            return Err(err(
                "version",
                "missing; a SARIF 2.1.0 log says `\"version\": \"2.1.0\"`",
            ));
        }
    }
    let log: LogIn = parse(bytes)?;
    let runs = log
        .runs
        .ok_or_else(|| err("runs", "missing or not an array"))?;
    let mut out = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let at = format!("runs[{i}]");
        let driver = run.tool.as_ref().and_then(|t| t.driver.as_ref());
        let tool = text(driver.and_then(|d| d.name.as_ref()))
            .ok_or_else(|| err(format!("{at}.tool.driver.name"), "missing"))?
            .to_owned();
        let rules: &[Obj<RuleIn>] = driver.and_then(|d| d.rules.as_deref()).unwrap_or_default();
        let bases = run.original_uri_base_ids.as_ref();
        let results = run.results.as_deref().unwrap_or_default();
        let mut findings = Vec::with_capacity(results.len());
        for (j, result) in results.iter().enumerate() {
            let at = format!("{at}.results[{j}]");
            let rule_id = text(result.rule_id.as_ref())
                .or_else(|| text(result.rule.as_ref().and_then(|r| r.id.as_ref())));
            let rule = match result.rule_index.as_ref().and_then(Value::as_u64) {
                Some(k) => Some(rules.get(k as usize).ok_or_else(|| {
                    err(
                        format!("{at}.ruleIndex"),
                        format!("no rule {k} in tool.driver.rules"),
                    )
                })?),
                None => {
                    rule_id.and_then(|id| rules.iter().find(|r| text(r.id.as_ref()) == Some(id)))
                }
            };
            let message = text(result.message.as_ref().and_then(|m| m.text.as_ref()));
            let name = rule
                .and_then(|r| {
                    text(r.short_description.as_ref().and_then(|d| d.text.as_ref()))
                        .or_else(|| text(r.name.as_ref()))
                })
                .or(rule_id)
                .or(message)
                .ok_or_else(|| {
                    err(
                        format!("{at}.message.text"),
                        "missing (and no rule names the result)",
                    )
                })?
                .to_owned();
            let score = match score(result.properties.as_ref(), &at)? {
                Some(s) => Some(s),
                None => match rule {
                    Some(r) => score(r.properties.as_ref(), &format!("{at} rule"))?,
                    None => None,
                },
            };
            let lvl = match level(result.level.as_ref(), &at)? {
                Some(l) => Some(l),
                None => rule
                    .and_then(|r| r.default_configuration.as_ref())
                    .and_then(|c| c.level.as_ref())
                    .and_then(Value::as_str),
            };
            let url = url_of(result, bases);
            let method = text(result.web_request.as_ref().and_then(|w| w.method.as_ref()))
                .map(str::to_ascii_uppercase);
            let parameter = result
                .properties
                .as_ref()
                .and_then(|p| {
                    [&p.parameter, &p.param, &p.parameter_name]
                        .into_iter()
                        .find_map(|v| text(v.as_ref()))
                })
                .map(str::to_owned);
            let fingerprint = first_fingerprint(result).unwrap_or_else(|| {
                let mut h = Sha256::new();
                let mut part = |p: Option<&str>| {
                    h.update(p.unwrap_or("").as_bytes());
                    h.update([0]);
                };
                part(Some(&tool));
                part(rule_id.or(Some(&name)));
                part(url.as_deref());
                part(method.as_deref());
                part(parameter.as_deref());
                if url.is_none() {
                    let physical = result
                        .locations
                        .as_ref()
                        .and_then(|l| l.first())
                        .and_then(|l| l.physical_location.as_ref());
                    let line = physical
                        .and_then(|p| p.region.as_ref())
                        .and_then(|r| r.start_line.as_ref())
                        .and_then(Value::as_u64)
                        .map(|l| l.to_string());
                    part(text(
                        physical
                            .and_then(|p| p.artifact_location.as_ref())
                            .and_then(|a| a.uri.as_ref()),
                    ));
                    part(line.as_deref());
                    part(message);
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
    use std::collections::BTreeSet;

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
    fn members_it_does_not_read_may_hold_anything() {
        let log = json!({"version": "2.1.0", "runs": [{
            "tool": {"driver": {"name": "ZAP", "rules": [{"id": "1", "help": [1, {"x": null}]}]}},
            "artifacts": "not checked",
            "results": [{"ruleId": "1", "message": {"text": "m"},
                         "webResponse": {"body": {"text": "x".repeat(10_000)}, "headers": 7},
                         "codeFlows": 3, "properties": {"json_event": {"deep": [[["x"]]]}}}]
        }]});
        let runs = read(log.to_string().as_bytes()).expect("valid");
        assert_eq!(runs[0].findings.len(), 1);
        assert_eq!(runs[0].findings[0].name, "1");
    }

    #[test]
    fn findings_without_a_url_are_told_apart_by_where_they_are() {
        let result = |uri: &str, line: u64, text: &str| {
            json!({"ruleId": "B602", "level": "error", "message": {"text": text},
                   "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri},
                                                       "region": {"startLine": line}}}]})
        };
        let log = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Bandit"}}, "results": [
            result("app/a.py", 9, "shell=True"),
            result("app/b.py", 9, "shell=True"),
            result("app/a.py", 12, "shell=True"),
            result("app/a.py", 9, "shell=True, again"),
            result("app/a.py", 9, "shell=True"),
        ]}]});
        let runs = read(log.to_string().as_bytes()).expect("valid");
        let prints: Vec<&str> = runs[0]
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let distinct: BTreeSet<&str> = prints.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            4,
            "file, line and message each tell findings apart"
        );
        assert_eq!(prints[0], prints[4], "the same result twice is one finding");
        assert!(runs[0].findings.iter().all(|f| f.url.is_none()));
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
        assert_eq!(
            bad(json!({"version": "2.1.0", "runs": [["ZAP"]]})),
            "runs[0]",
            "an array is not a run, even with as many elements as a run has fields"
        );
        assert_eq!(read(b"{\"version\": ").expect_err("cut short").path, "body");
        assert_eq!(bad(json!({"version": "2.1.0", "runs": 5})), "runs");
        let shape = read(
            run(json!([{"message": {"text": "a"}, "locations": "x"}]))
                .to_string()
                .as_bytes(),
        )
        .expect_err("locations must be an array");
        assert_eq!(shape.path, "runs[0].results[0].locations");
        assert!(
            shape.message.contains("expected a sequence"),
            "{}",
            shape.message
        );
        let shape = read(
            run(json!([{"message": {"text": "a"}, "webRequest": [1]}]))
                .to_string()
                .as_bytes(),
        )
        .expect_err("webRequest must be an object");
        assert_eq!(shape.path, "runs[0].results[0].webRequest");
        assert!(
            shape.message.contains("expected a JSON object"),
            "{}",
            shape.message
        );
    }
}
