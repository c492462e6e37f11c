//! `importers apply -f` and `importers export`: importers kept in git as YAML.
//! `apply` resolves the secret references where it runs (the operator's
//! environment and files) and has the daemon reconcile the set; `export` writes the
//! daemon's importers in the same YAML, secrets as `${...}` placeholders.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};

use super::client::Client;
use crate::secrets::MASK;

/// Applies `path` (a YAML list, or a folder of them); prints one line per importer
/// and a total.
pub async fn apply(client: &Client, path: &Path) -> anyhow::Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let importers = crate::declared::from_path(path, &env)?;
    let absolute = std::path::absolute(path)?;
    let body = json!({
        "source": format!("apply:{}", absolute.display()),
        "importers": importers,
    });
    let result = client.call(Method::POST, "/apply", Some(body)).await?;
    let outcomes = result["importers"].as_array().cloned().unwrap_or_default();
    let mut totals = [0usize; 4];
    for o in &outcomes {
        let action = o["action"].as_str().unwrap_or("?");
        if let Some(i) = ["created", "updated", "deleted", "unchanged"]
            .iter()
            .position(|a| *a == action)
        {
            totals[i] += 1;
        }
        println!(
            "{action:<9}  {}  ({})",
            o["name"].as_str().unwrap_or("?"),
            o["importerId"].as_str().unwrap_or("?")
        );
    }
    println!(
        "{} importers: {} created, {} updated, {} deleted, {} unchanged",
        outcomes.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3]
    );
    Ok(())
}

/// Prints the daemon's importers as a YAML list `apply -f` takes.
pub async fn export(client: &Client) -> anyhow::Result<()> {
    let list = client.call(Method::GET, "", None).await?;
    let entries: Vec<Value> = list["importers"]
        .as_array()
        .map(|items| items.iter().map(entry).collect())
        .unwrap_or_default();
    print!("{}", serde_yaml::to_string(&entries)?);
    Ok(())
}

/// An importer as the create request's body; every masked secret becomes a
/// `${NAME_FIELD}` reference to set before applying it.
fn entry(importer: &Value) -> Value {
    let name = importer["name"].as_str().unwrap_or_default();
    let mut out = serde_json::Map::new();
    for key in [
        "name",
        "type",
        "status",
        "updateFrequency",
        "excludeEmptySpecs",
    ] {
        if let Some(v) = importer.get(key).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    let mut parameters = importer.get("parameters").cloned().unwrap_or(Value::Null);
    placeholders(&mut parameters, &env_name(name));
    if !parameters.is_null() && parameters != json!({}) {
        out.insert("parameters".to_owned(), parameters);
    }
    Value::Object(out)
}

fn placeholders(value: &mut Value, prefix: &str) {
    match value {
        Value::String(s) if s == MASK => *s = format!("${{{prefix}}}"),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                placeholders(v, &format!("{prefix}_{}", env_name(k)));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                placeholders(v, &format!("{prefix}_{i}"));
            }
        }
        _ => {}
    }
}

/// `Kong prod` → `KONG_PROD`, `adminToken` → `ADMIN_TOKEN`.
fn env_name(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secrets_become_references_named_after_importer_and_field() {
        assert_eq!(env_name("Kong prod"), "KONG_PROD");
        assert_eq!(env_name("adminToken"), "ADMIN_TOKEN");
        assert_eq!(env_name("9 lives"), "_9_LIVES");
        let got = entry(&json!({
            "importerId": "x", "name": "Kong prod", "type": "kong", "status": "active",
            "updateFrequency": {"unit": "hourly", "value": 2}, "lastRunDate": null,
            "syncStatus": "succeeded", "excludeEmptySpecs": true,
            "parameters": {"adminUrl": "http://kong:8001", "adminToken": MASK,
                           "auth": {"clientSecret": MASK}}
        }));
        assert_eq!(
            got,
            json!({"name": "Kong prod", "type": "kong", "status": "active",
                   "updateFrequency": {"unit": "hourly", "value": 2}, "excludeEmptySpecs": true,
                   "parameters": {"adminUrl": "http://kong:8001", "adminToken": "${KONG_PROD_ADMIN_TOKEN}",
                                  "auth": {"clientSecret": "${KONG_PROD_AUTH_CLIENT_SECRET}"}}})
        );
    }
}
