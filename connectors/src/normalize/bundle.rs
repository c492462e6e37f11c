//! Multi-file definitions, given as a zip: a RAML project (its root named by
//! `exchange.json`'s `main`, fragments pulled in with `!include`, libraries with
//! `uses:`, dependencies under `exchange_modules/`) or an OpenAPI document with
//! relative `$ref`s to sibling files. The includes and references are put in
//! place before the root is read, so operation counts and the canonical hash
//! cover the whole definition.
//!
//! Pure and bounded: only the archive's files are read (no file system, no
//! network), within the archive limits and [`Limits`]; an include that leaves the
//! archive, or names a file it does not hold, is an error naming both files.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Extracted, Hints, Limits, NormalizeError, detect, raml, tree};
use crate::archive;

/// Includes followed from one file to the next, at most.
const MAX_INCLUDE_DEPTH: usize = 32;
/// Includes put in place in one definition, at most.
const MAX_INCLUDES: usize = 10_000;

struct Files {
    files: BTreeMap<String, Vec<u8>>,
    limits: Limits,
    included: usize,
}

fn invalid(message: impl Into<String>) -> NormalizeError {
    NormalizeError::Invalid {
        format: "zip",
        message: message.into(),
    }
}

/// `rel` from the folder of `from`, normalized; `None` when it leaves the archive.
fn join(from: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        from.split('/').collect()
    };
    if !rel.starts_with('/') {
        parts.pop();
    }
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

impl Files {
    fn text(&self, path: &str, from: &str) -> Result<&str, NormalizeError> {
        let bytes = self.files.get(path).ok_or_else(|| {
            invalid(format!(
                "`{from}` refers to `{path}`, which is not in the archive"
            ))
        })?;
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
            .map_err(|_| invalid(format!("`{path}` is not UTF-8 text")))
    }

    fn parse(&self, path: &str, from: &str) -> Result<Value, NormalizeError> {
        let text = self.text(path, from)?;
        let (value, _) =
            tree::parse_yaml(text, &self.limits).map_err(|e| invalid(format!("`{path}`: {e}")))?;
        Ok(value)
    }

    fn target(
        &mut self,
        from: &str,
        rel: &str,
        chain: &[String],
    ) -> Result<String, NormalizeError> {
        let path = join(from, rel.trim()).ok_or_else(|| {
            invalid(format!(
                "`{from}` refers to `{rel}`, which leaves the archive"
            ))
        })?;
        if chain.contains(&path) {
            return Err(invalid(format!(
                "`{path}` includes itself (through `{from}`)"
            )));
        }
        if chain.len() >= MAX_INCLUDE_DEPTH {
            return Err(invalid(format!(
                "includes nest deeper than {MAX_INCLUDE_DEPTH} files at `{path}`"
            )));
        }
        self.included += 1;
        if self.included > MAX_INCLUDES {
            return Err(invalid(format!("more than {MAX_INCLUDES} includes")));
        }
        Ok(path)
    }

    /// RAML: `!include`s replaced by the file (parsed when it is RAML, YAML or
    /// JSON, else its text) and `uses:` library paths by the library.
    fn raml(
        &mut self,
        v: &Value,
        at: &str,
        chain: &mut Vec<String>,
    ) -> Result<Value, NormalizeError> {
        Ok(match v {
            Value::Object(m) if m.len() == 1 && m.get("!include").is_some_and(Value::is_string) => {
                let rel = m
                    .get("!include")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let path = self.target(at, rel, chain)?;
                let structured = [".raml", ".yaml", ".yml", ".json"]
                    .iter()
                    .any(|e| path.to_ascii_lowercase().ends_with(e));
                if !structured {
                    return Ok(Value::String(self.text(&path, at)?.to_owned()));
                }
                let parsed = self.parse(&path, at)?;
                chain.push(path.clone());
                let out = self.raml(&parsed, &path, chain);
                chain.pop();
                out?
            }
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, item) in m {
                    let value = match (k.as_str(), item) {
                        ("uses", Value::Object(libs)) => {
                            let mut resolved = Map::new();
                            for (name, lib) in libs {
                                let lib = match lib {
                                    Value::String(rel) => {
                                        let path = self.target(at, rel, chain)?;
                                        let parsed = self.parse(&path, at)?;
                                        chain.push(path.clone());
                                        let out = self.raml(&parsed, &path, chain);
                                        chain.pop();
                                        out?
                                    }
                                    other => self.raml(other, at, chain)?,
                                };
                                resolved.insert(name.clone(), lib);
                            }
                            Value::Object(resolved)
                        }
                        _ => self.raml(item, at, chain)?,
                    };
                    out.insert(k.clone(), value);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.raml(i, at, chain))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }

    /// OpenAPI: `$ref`s to other files replaced by what they point at (inside
    /// those files, their own references resolved the same way; a local `#/…`
    /// reference of another file is resolved against that file).
    fn openapi(
        &mut self,
        v: &Value,
        at: &str,
        doc: &Value,
        chain: &mut Vec<String>,
    ) -> Result<Value, NormalizeError> {
        Ok(match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    let (file, pointer) = r.split_once('#').unwrap_or((r, ""));
                    if !file.is_empty() && !file.contains("://") {
                        let path = self.target(at, file, chain)?;
                        let parsed = self.parse(&path, at)?;
                        let target = if pointer.is_empty() {
                            Some(&parsed)
                        } else {
                            parsed.pointer(pointer)
                        };
                        let target = target.cloned().ok_or_else(|| {
                            invalid(format!("`{at}` refers to `{r}`, which does not resolve"))
                        })?;
                        chain.push(path.clone());
                        let out = self.openapi(&target, &path, &parsed, chain);
                        chain.pop();
                        return out;
                    }
                    if file.is_empty()
                        && at != chain.first().map(String::as_str).unwrap_or_default()
                    {
                        // A local reference inside an included file: its own document.
                        if let Some(target) = doc.pointer(pointer).cloned() {
                            let key = format!("{at}#{pointer}");
                            if chain.contains(&key) || chain.len() >= MAX_INCLUDE_DEPTH {
                                return Ok(v.clone());
                            }
                            chain.push(key);
                            let out = self.openapi(&target, at, doc, chain);
                            chain.pop();
                            return out;
                        }
                    }
                }
                let mut out = Map::new();
                for (k, item) in m {
                    out.insert(k.clone(), self.openapi(item, at, doc, chain)?);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.openapi(i, at, doc, chain))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// The root of the archive: `exchange.json`'s `main`, else the one top-level file
/// that is an API definition.
fn root(files: &BTreeMap<String, Vec<u8>>) -> Result<String, NormalizeError> {
    if let Some(meta) = files.get("exchange.json") {
        let v: Value = serde_json::from_slice(meta)
            .map_err(|e| invalid(format!("exchange.json is not JSON ({e})")))?;
        if let Some(main) = v
            .get("main")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
        {
            let main = join("", main).ok_or_else(|| {
                invalid(format!("exchange.json's main `{main}` leaves the archive"))
            })?;
            if !files.contains_key(&main) {
                return Err(invalid(format!(
                    "exchange.json's main `{main}` is not in the archive"
                )));
            }
            return Ok(main);
        }
    }
    let candidates: Vec<&String> = files
        .iter()
        .filter(|(k, _)| !k.contains('/') && k.as_str() != "exchange.json")
        .filter(|(_, bytes)| {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
            let head = text.trim_start();
            raml::version_of(head).is_ok() && head.starts_with("#%RAML")
                || [
                    "\"openapi\"",
                    "\"swagger\"",
                    "openapi:",
                    "swagger:",
                    "<definitions",
                    ":definitions",
                ]
                .iter()
                .any(|k| text.contains(k))
        })
        .map(|(k, _)| k)
        .collect();
    match candidates.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(invalid(
            "no API definition at the top of the archive, and no exchange.json naming one",
        )),
        many => Err(invalid(format!(
            "several API definitions at the top of the archive ({}); an exchange.json `main` must name the root",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A zipped multi-file definition, read as one.
pub(super) fn extract(
    bytes: &[u8],
    hints: &Hints,
    limits: &Limits,
) -> Result<Extracted, NormalizeError> {
    let files = archive::read(bytes, limits.max_input_bytes as u64, |name| {
        let skip = name.starts_with("__MACOSX/")
            || name.rsplit('/').next().is_some_and(|f| f.starts_with('.'));
        (!skip).then(|| name.to_owned())
    })
    .map_err(|e| invalid(e.0))?;
    let root = root(&files)?;
    let mut f = Files {
        files,
        limits: limits.clone(),
        included: 0,
    };
    let text = f.text(&root, "exchange.json")?.to_owned();
    let head = text.trim_start();
    let extracted = if head.starts_with("#%RAML") {
        let version = raml::version_of(head)?;
        let parsed = f.parse(&root, "exchange.json")?;
        let mut chain = vec![root.clone()];
        let resolved = f.raml(&parsed, &root, &mut chain)?;
        raml::extract_tree(version, &resolved)?
    } else if head.starts_with('<') {
        // XML (WSDL, WADL): the root alone; its imports are not read.
        detect::extract_bytes(text.as_bytes(), hints, limits)?
    } else {
        let parsed = f.parse(&root, "exchange.json")?;
        let mut chain = vec![root.clone()];
        let resolved = f.openapi(&parsed, &root, &parsed, &mut chain)?;
        detect::structured_value(&resolved)?
    };
    detect::check_declared(extracted, hints)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::zip_of;
    use crate::normalize::normalize;

    fn ops(zip: Vec<u8>) -> Result<Vec<String>, NormalizeError> {
        let n = normalize(zip, &Hints::default(), &Limits::default())?;
        let mut ops: Vec<String> = n
            .operations
            .iter()
            .map(|o| format!("{} {}", o.method, o.endpoint))
            .collect();
        ops.sort();
        Ok(ops)
    }

    #[test]
    fn a_raml_project_with_includes_libraries_and_exchange_modules() {
        let zip = zip_of(&[
            ("exchange.json", br#"{"main": "api.raml", "name": "orders"}"#),
            ("api.raml", b"#%RAML 1.0\ntitle: Orders\nuses:\n  lib: libs/common.raml\n/orders: !include resources/orders.raml\n/items:\n  type: lib.collection\n"),
            ("resources/orders.raml", b"#%RAML 1.0 ResourceType\nget:\npost:\n/{id}: !include ../exchange_modules/acme/shared/1.0.0/one.raml\n"),
            ("exchange_modules/acme/shared/1.0.0/one.raml", b"get:\ndelete:\n"),
            ("libs/common.raml", b"#%RAML 1.0 Library\nresourceTypes:\n  collection:\n    get:\n    post:\n"),
            ("docs/readme.md", b"# not RAML"),
        ]);
        assert_eq!(
            ops(zip).expect("project"),
            [
                "DELETE /orders/{id}",
                "GET /items",
                "GET /orders",
                "GET /orders/{id}",
                "POST /items",
                "POST /orders"
            ]
        );
    }

    #[test]
    fn an_openapi_document_with_relative_refs() {
        let zip = zip_of(&[
            ("openapi.yaml", b"openapi: 3.0.3\ninfo: {title: Pets, version: '1'}\npaths:\n  /pets:\n    $ref: paths/pets.yaml\n  /pets/{id}:\n    $ref: 'paths/pets.yaml#/one'\n"),
            ("paths/pets.yaml", b"get:\n  responses: {'200': {$ref: '#/components/ok'}}\npost:\n  responses: {'201': {description: made}}\none:\n  get: {responses: {'200': {description: ok}}}\ncomponents:\n  ok: {description: ok}\n"),
        ]);
        assert_eq!(
            ops(zip).expect("bundle"),
            ["GET /pets", "GET /pets/{id}", "POST /pets"]
        );
    }

    #[test]
    fn includes_that_escape_or_are_missing_are_named() {
        let escape = zip_of(&[(
            "api.raml",
            b"#%RAML 1.0\ntitle: x\n/a: !include ../../etc/passwd\n",
        )]);
        let err = ops(escape).expect_err("escape").to_string();
        assert!(
            err.contains("`api.raml` refers to `../../etc/passwd`, which leaves the archive"),
            "{err}"
        );
        let missing = zip_of(&[(
            "api.raml",
            b"#%RAML 1.0\ntitle: x\n/a: !include gone.raml\n",
        )]);
        let err = ops(missing).expect_err("missing").to_string();
        assert!(
            err.contains("`api.raml` refers to `gone.raml`, which is not in the archive"),
            "{err}"
        );
        let cycle = zip_of(&[
            ("api.raml", b"#%RAML 1.0\ntitle: x\n/a: !include a.raml\n"),
            ("a.raml", b"/b: !include a.raml\n"),
        ]);
        let err = ops(cycle).expect_err("cycle").to_string();
        assert!(err.contains("includes itself"), "{err}");
        let two = zip_of(&[
            ("a.raml", b"#%RAML 1.0\ntitle: a\n"),
            ("b.yaml", b"openapi: 3.0.0\n"),
        ]);
        let err = ops(two).expect_err("ambiguous").to_string();
        assert!(
            err.contains("`a.raml`, `b.yaml`") && err.contains("exchange.json"),
            "{err}"
        );
    }
}
