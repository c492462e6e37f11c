//! The document of one deployed proxy revision, from its bundle: the OpenAPI file
//! the author put in `apiproxy/resources/oas/` when there is one (what API hub's
//! own auto-discovery takes), else OpenAPI 3.0 rebuilt from the ProxyEndpoints.
//!
//! Rebuilt documents have one operation per (verb, path template) that a Flow's
//! `Condition` names (see [`super::condition`]); flows without a condition (the
//! catch-all at the end of most proxies) and conditions that name no verb or path
//! are left out; regular expressions without a template form are listed under
//! `x-apigee-unmapped`. Every ProxyEndpoint counts (the descriptor's list when
//! there is a descriptor naming existing ones); their `BasePath`s go into
//! `servers`, with the paths relative to the longest base path they share.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::bundle::Bundle;
use super::condition::{Alternative, VERBS, alternatives};

/// A proxy revision's document.
pub struct Built {
    pub bytes: Vec<u8>,
    /// Base URLs (`https://<host><basePath>`) it is served on.
    pub urls: Vec<String>,
    pub synthesized: bool,
}

/// One ProxyEndpoint: its base path and its flows (name, description, condition).
struct Endpoint {
    base: String,
    flows: Vec<(String, Option<String>, Option<String>)>,
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|c| c.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn endpoint(xml: &[u8]) -> Result<Endpoint, String> {
    let text = String::from_utf8_lossy(xml);
    let doc = roxmltree::Document::parse(&text).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if root.tag_name().name() != "ProxyEndpoint" {
        return Err(format!("its root is <{}>", root.tag_name().name()));
    }
    let base = child(root, "HTTPProxyConnection")
        .and_then(|c| text_of(c, "BasePath"))
        .unwrap_or_else(|| "/".to_owned());
    let flows = child(root, "Flows")
        .map(|f| {
            f.children()
                .filter(|c| c.is_element() && c.tag_name().name() == "Flow")
                .map(|flow| {
                    (
                        flow.attribute("name").unwrap_or_default().to_owned(),
                        text_of(flow, "Description"),
                        text_of(flow, "Condition"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Endpoint { base, flows })
}

/// The virtual hosts the bundle's ProxyEndpoints are on (`HTTPProxyConnection/
/// VirtualHost`; Edge's way of saying which host names serve a proxy).
pub fn virtual_hosts(bundle: &Bundle) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, xml) in bundle.under("proxies/") {
        let text = String::from_utf8_lossy(xml);
        let Ok(doc) = roxmltree::Document::parse(&text) else {
            continue;
        };
        if let Some(conn) = child(doc.root_element(), "HTTPProxyConnection") {
            out.extend(
                conn.children()
                    .filter(|c| c.is_element() && c.tag_name().name() == "VirtualHost")
                    .filter_map(|c| c.text().map(|t| t.trim().to_owned()))
                    .filter(|t| !t.is_empty()),
            );
        }
    }
    out
}

/// `DisplayName`, `Description` and the ProxyEndpoint names of the descriptor.
struct Descriptor {
    display: Option<String>,
    description: Option<String>,
    endpoints: Vec<String>,
}

fn descriptor(bundle: &Bundle, proxy: &str) -> Option<Descriptor> {
    let preferred = format!("{proxy}.xml");
    let bytes = bundle.files.get(&preferred).or_else(|| {
        bundle
            .files
            .iter()
            .find(|(k, _)| !k.contains('/') && k.ends_with(".xml"))
            .map(|(_, v)| v)
    })?;
    let text = String::from_utf8_lossy(bytes);
    let doc = roxmltree::Document::parse(&text).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "APIProxy" {
        return None;
    }
    let endpoints = child(root, "ProxyEndpoints")
        .map(|p| {
            p.children()
                .filter(|c| c.is_element())
                .filter_map(|c| c.text().map(|t| t.trim().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Some(Descriptor {
        display: text_of(root, "DisplayName"),
        description: text_of(root, "Description"),
        endpoints,
    })
}

/// An OpenAPI document among the bundle's `resources/oas` files.
fn authored_spec(bundle: &Bundle) -> Option<Vec<u8>> {
    bundle.under("resources/oas/").find_map(|(_, bytes)| {
        let v: Value = serde_json::from_slice(bytes)
            .ok()
            .or_else(|| serde_yaml::from_slice(bytes).ok())?;
        (v.get("openapi").is_some() || v.get("swagger").is_some()).then(|| bytes.to_vec())
    })
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// The base path every ProxyEndpoint shares, segment by segment.
fn common_base(bases: &[String]) -> String {
    let mut common: Option<Vec<&str>> = None;
    for b in bases {
        let segs = segments(b);
        common = Some(match common {
            None => segs,
            Some(c) => c
                .iter()
                .zip(&segs)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let c = common.unwrap_or_default();
    if c.is_empty() {
        String::new()
    } else {
        format!("/{}", c.join("/"))
    }
}

/// `prefix` + `path`, where a bare `/` is the prefix itself.
fn join(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    match path.trim_start_matches('/') {
        "" if prefix.is_empty() => "/".to_owned(),
        "" => prefix.to_owned(),
        rest => format!("{prefix}/{rest}"),
    }
}

/// Path parameters of a template, renamed where a name repeats.
fn parameters(template: &str) -> (String, Vec<String>) {
    let mut names = Vec::new();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let mut name = rest[open + 1..open + close].trim().to_owned();
        if name.is_empty() {
            name = "param".into();
        }
        let mut unique = name.clone();
        let mut k = 2;
        while names.contains(&unique) {
            unique = format!("{name}{k}");
            k += 1;
        }
        out.push_str(&format!("{{{unique}}}"));
        names.push(unique);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    (out, names)
}

/// The document of a bundle; `hosts` are the `https://<host>` origins the
/// proxy's environment serves.
pub fn build(
    bundle: &Bundle,
    proxy: &str,
    revision: &str,
    hosts: &[String],
) -> Result<Built, String> {
    let desc = descriptor(bundle, proxy);
    let mut files: Vec<(&str, &[u8])> = bundle
        .under("proxies/")
        .filter(|(k, _)| k.ends_with(".xml"))
        .collect();
    if let Some(d) = &desc {
        let listed: Vec<(&str, &[u8])> = files
            .iter()
            .filter(|(k, _)| {
                let stem = k.trim_start_matches("proxies/").trim_end_matches(".xml");
                d.endpoints.iter().any(|e| e == stem)
            })
            .copied()
            .collect();
        if !listed.is_empty() {
            files = listed;
        }
    }
    let mut endpoints = Vec::new();
    for (name, xml) in &files {
        endpoints.push(
            endpoint(xml).map_err(|e| format!("apiproxy/{name} is not a ProxyEndpoint ({e})"))?,
        );
    }
    let bases: Vec<String> = endpoints.iter().map(|e| e.base.clone()).collect();
    let base = common_base(&bases);
    let mut urls: Vec<String> = Vec::new();
    for h in hosts {
        let u = format!("{}{base}", h.trim_end_matches('/'));
        if !urls.contains(&u) {
            urls.push(u);
        }
    }
    if let Some(bytes) = authored_spec(bundle) {
        return Ok(Built {
            bytes,
            urls,
            synthesized: false,
        });
    }
    if endpoints.is_empty() {
        return Err("the bundle has no ProxyEndpoint (apiproxy/proxies/*.xml) and no OpenAPI file in apiproxy/resources/oas".into());
    }

    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut unmapped = Vec::new();
    for ep in &endpoints {
        let rest = ep.base.strip_prefix(&base).unwrap_or(&ep.base);
        for (name, description, condition) in &ep.flows {
            let Some(condition) = condition else { continue };
            let Some(alts) = alternatives(condition) else {
                unmapped.push(json!({"flow": name, "condition": condition, "reason": "the condition cannot be parsed"}));
                continue;
            };
            for Alternative { verbs, path } in alts {
                if verbs.is_none() && path.is_none() {
                    continue;
                }
                let template = match &path {
                    None => "/".to_owned(),
                    Some(p) => match &p.template {
                        Some(t) if p.full => {
                            t.strip_prefix(ep.base.trim_end_matches('/')).map_or_else(
                                || t.clone(),
                                |s| {
                                    if s.is_empty() {
                                        "/".to_owned()
                                    } else {
                                        s.to_owned()
                                    }
                                },
                            )
                        }
                        Some(t) => t.clone(),
                        None => {
                            unmapped.push(json!({"flow": name, "condition": condition, "reason": "a regular expression with no path template"}));
                            continue;
                        }
                    },
                };
                let (template, params) = parameters(&join(rest, &template));
                let methods: Vec<String> = match &verbs {
                    Some(v) => v.iter().map(|m| m.to_ascii_lowercase()).collect(),
                    None => VERBS
                        .iter()
                        .filter(|v| **v != "TRACE")
                        .map(|v| v.to_ascii_lowercase())
                        .collect(),
                };
                let item = paths.entry(template).or_default();
                if !params.is_empty() && !item.contains_key("parameters") {
                    item.insert(
                        "parameters".into(),
                        Value::Array(params.iter().map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}})).collect()),
                    );
                }
                for m in methods {
                    if item.contains_key(&m) {
                        continue;
                    }
                    let summary = if name.trim().is_empty() || name.contains("<no value>") {
                        format!("Flow of {proxy}")
                    } else {
                        name.clone()
                    };
                    let mut op = json!({"summary": summary, "responses": {"default": {"description": "Response"}}});
                    if let Some(d) = description {
                        op["description"] = json!(d);
                    }
                    item.insert(m, op);
                }
            }
        }
    }
    let title = desc
        .as_ref()
        .and_then(|d| d.display.clone())
        .unwrap_or_else(|| proxy.to_owned());
    let mut info = json!({
        "title": format!("{title} (synthesized from proxy bundle)"),
        "version": revision,
    });
    let about = format!(
        "Built by apihub-importer from the flows of Apigee proxy {proxy}, revision {revision}: the bundle has no OpenAPI file."
    );
    info["description"] = json!(match desc.as_ref().and_then(|d| d.description.clone()) {
        Some(d) => format!("{d}\n\n{about}"),
        None => about,
    });
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": info,
        "paths": paths,
        "x-apihub-synthesized": true,
    });
    if !urls.is_empty() {
        doc["servers"] = Value::Array(urls.iter().map(|u| json!({"url": u})).collect());
    } else if !base.is_empty() {
        doc["servers"] = json!([{"url": base}]);
    }
    if !unmapped.is_empty() {
        doc["x-apigee-unmapped"] = Value::Array(unmapped);
    }
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    Ok(Built {
        bytes,
        urls,
        synthesized: true,
    })
}
