//! Reading what an agent sends: a HAR 1.2 log (`{"log": {"entries": [...]}}`) or
//! NDJSON, one exchange per line (`method`, `url`, `status`, `requestHeaders`,
//! `responseHeaders`, optional `requestBody` / `responseBody` samples, `startedAt`).
//! A bad entry is reported with its index and the rest of the batch is kept.

use serde_json::Value;

/// Largest body sample read for its schema; a larger one is left out.
const MAX_SAMPLE_BYTES: usize = 1024 * 1024;

/// One request and its response, as captured. Values stay in memory only while the
/// batch is observed; [`super::observe`] keeps none of them.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: url::Url,
    pub status: u16,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub request_body: Option<Value>,
    pub response_body: Option<Value>,
    /// Milliseconds since the Unix epoch, when the capture says.
    pub started_at: Option<i64>,
}

/// An entry that was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EntryError {
    /// Position in the batch: the HAR entry index or the NDJSON line number (both from 0).
    pub index: usize,
    pub message: String,
}

/// A batch read: what was accepted and why the rest was not.
#[derive(Debug, Default)]
pub struct Batch {
    pub exchanges: Vec<Exchange>,
    pub errors: Vec<EntryError>,
}

/// Reads a HAR 1.2 document. `Err` when the whole body is not a HAR log.
pub fn read_har(bytes: &[u8]) -> Result<Batch, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the body is not JSON: {e}"))?;
    let entries = doc
        .get("log")
        .and_then(|l| l.get("entries"))
        .and_then(Value::as_array)
        .ok_or("a HAR body needs `log.entries` (an array)")?;
    let mut batch = Batch::default();
    for (index, entry) in entries.iter().enumerate() {
        match har_entry(entry) {
            Ok(x) => batch.exchanges.push(x),
            Err(message) => batch.errors.push(EntryError { index, message }),
        }
    }
    Ok(batch)
}

/// Reads NDJSON exchanges; blank lines are ignored.
pub fn read_ndjson(bytes: &[u8]) -> Result<Batch, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("the body is not UTF-8: {e}"))?;
    let mut batch = Batch::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let read = serde_json::from_str::<Value>(line)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|v| ndjson_exchange(&v));
        match read {
            Ok(x) => batch.exchanges.push(x),
            Err(message) => batch.errors.push(EntryError { index, message }),
        }
    }
    Ok(batch)
}

fn har_entry(entry: &Value) -> Result<Exchange, String> {
    let req = entry.get("request").ok_or("no `request`")?;
    let resp = entry.get("response");
    let request_headers = har_headers(req.get("headers"));
    let response_headers = har_headers(resp.and_then(|r| r.get("headers")));
    let request_body = req.get("postData").and_then(|p| {
        let text = p.get("text")?.as_str()?;
        sample(text, p.get("mimeType").and_then(Value::as_str))
    });
    let response_body = resp.and_then(|r| r.get("content")).and_then(|c| {
        let text = c.get("text")?.as_str()?;
        if c.get("encoding").and_then(Value::as_str) == Some("base64") {
            return None;
        }
        sample(text, c.get("mimeType").and_then(Value::as_str))
    });
    Ok(Exchange {
        method: method(req.get("method"))?,
        url: url(req.get("url"))?,
        status: status(resp.and_then(|r| r.get("status")))?,
        request_headers,
        response_headers,
        request_body,
        response_body,
        started_at: time(entry.get("startedDateTime")),
    })
}

fn ndjson_exchange(v: &Value) -> Result<Exchange, String> {
    if !v.is_object() {
        return Err("an exchange is a JSON object".into());
    }
    let request_headers = map_headers(v.get("requestHeaders"));
    let response_headers = map_headers(v.get("responseHeaders"));
    let body = |key: &str, headers: &[(String, String)]| match v.get(key) {
        Some(Value::String(s)) => sample(s, header(headers, "content-type")),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.clone()),
    };
    Ok(Exchange {
        method: method(v.get("method"))?,
        url: url(v.get("url"))?,
        status: status(v.get("status"))?,
        request_body: body("requestBody", &request_headers),
        response_body: body("responseBody", &response_headers),
        request_headers,
        response_headers,
        started_at: time(v.get("startedAt")),
    })
}

fn method(v: Option<&Value>) -> Result<String, String> {
    let m = v.and_then(Value::as_str).ok_or("no `method`")?;
    if m.is_empty() || m.len() > 16 || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(format!("`method` `{}` is not an HTTP method", clip(m)));
    }
    Ok(m.to_ascii_uppercase())
}

fn url(v: Option<&Value>) -> Result<url::Url, String> {
    let s = v.and_then(Value::as_str).ok_or("no `url`")?;
    let u = url::Url::parse(s).map_err(|e| format!("`url` is not an absolute URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err("`url` must be an http(s) URL with a host".into());
    }
    Ok(u)
}

fn status(v: Option<&Value>) -> Result<u16, String> {
    let n = v.and_then(Value::as_u64).ok_or("no `status`")?;
    u16::try_from(n)
        .ok()
        .filter(|n| (100..=599).contains(n))
        .ok_or_else(|| format!("`status` {n} is not an HTTP status"))
}

/// RFC 3339, or milliseconds since the epoch.
fn time(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    if let Some(ms) = v.as_i64() {
        return Some(ms);
    }
    let s = v.as_str()?;
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn har_headers(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let name = h.get("name")?.as_str()?;
            let value = h.get("value").and_then(Value::as_str).unwrap_or_default();
            Some((name.to_ascii_lowercase(), value.to_owned()))
        })
        .collect()
}

/// NDJSON headers: an object of name to value (or values), or HAR's list.
fn map_headers(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(map)) => map
            .iter()
            .flat_map(|(name, value)| {
                let values: Vec<String> = match value {
                    Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    other => vec![other.to_string()],
                };
                values
                    .into_iter()
                    .map(move |x| (name.to_ascii_lowercase(), x))
            })
            .collect(),
        other => har_headers(other),
    }
}

/// A header's first value.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A body sample as JSON, when it is JSON (by its type or its first character).
fn sample(text: &str, mime: Option<&str>) -> Option<Value> {
    if text.len() > MAX_SAMPLE_BYTES {
        return None;
    }
    let json_type = mime.is_some_and(|m| m.to_ascii_lowercase().contains("json"));
    let looks_json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if json_type || looks_json {
        serde_json::from_str(text).ok()
    } else {
        None
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn har_entries_are_read_and_bad_ones_named_by_index() {
        let har = serde_json::json!({"log": {"version": "1.2", "entries": [
            {"startedDateTime": "2026-12-01T10:00:00Z",
             "request": {"method": "get", "url": "https://api.example.com/pets/1?limit=2",
                         "headers": [{"name": "X-Trace", "value": "a"}]},
             "response": {"status": 200, "headers": [],
                          "content": {"mimeType": "application/json", "text": "{\"id\": 1}"}}},
            {"request": {"method": "GET", "url": "/relative"}, "response": {"status": 200}},
            {"request": {"method": "GET", "url": "https://x.test/"}, "response": {"status": 1000}}
        ]}});
        let batch = read_har(har.to_string().as_bytes()).expect("har");
        assert_eq!(batch.exchanges.len(), 1);
        let x = &batch.exchanges[0];
        assert_eq!((x.method.as_str(), x.status), ("GET", 200));
        assert_eq!(x.request_headers, [("x-trace".to_owned(), "a".to_owned())]);
        assert_eq!(x.response_body, Some(serde_json::json!({"id": 1})));
        assert!(x.started_at.is_some());
        let idx: Vec<usize> = batch.errors.iter().map(|e| e.index).collect();
        assert_eq!(idx, [1, 2]);
        assert!(
            batch.errors[1].message.contains("1000"),
            "{:?}",
            batch.errors
        );
        assert!(read_har(b"{\"entries\": []}").is_err());
    }

    #[test]
    fn ndjson_lines_take_header_maps_and_inline_samples() {
        let body = concat!(
            r#"{"method":"POST","url":"http://10.0.0.5:8080/orders","status":201,"requestHeaders":{"Content-Type":"application/json"},"requestBody":"{\"qty\":2}","responseBody":{"id":"a"},"startedAt":"2026-12-01T10:00:00Z"}"#,
            "\n\n",
            "not json\n",
            r#"{"method":"GET","status":200}"#,
            "\n"
        );
        let batch = read_ndjson(body.as_bytes()).expect("ndjson");
        assert_eq!(batch.exchanges.len(), 1);
        let x = &batch.exchanges[0];
        assert_eq!(x.request_body, Some(serde_json::json!({"qty": 2})));
        assert_eq!(x.response_body, Some(serde_json::json!({"id": "a"})));
        let errs: Vec<(usize, bool)> = batch
            .errors
            .iter()
            .map(|e| {
                (
                    e.index,
                    e.message.contains("url") || e.message.contains("JSON"),
                )
            })
            .collect();
        assert_eq!(errs, [(2, true), (3, true)]);
    }
}
