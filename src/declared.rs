//! Importers as code: importers written in YAML (a list under `importers.declared`
//! in the config file, every `*.yaml` / `*.yml` of `importers.declared_dir`, or a
//! file or folder given to `importers apply -f`), each entry the body of a create
//! request. Secrets stay out of the YAML: in any string of `parameters`,
//! `${NAME}` is the environment variable `NAME` (`$${` writes a literal `${`) and a
//! whole value `file:PATH` is the file's content without its final newline (a
//! relative `PATH` is read from the declaring file's folder). A reference that does
//! not resolve is an error naming the importer and the field; nothing is applied.
//!
//! This module reads and resolves; `api::apply` reconciles the store with the
//! result, the same code at start, on `SIGHUP` and for `importers apply`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// One declared importer, its secret references resolved.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Declaration {
    /// Where it is declared (a file, or `importers.declared in <config file>`),
    /// named in errors and in the 409 a change through the API gets.
    #[schema(example = "/etc/apihub-importer/importers.d/team.yaml")]
    pub declared_in: String,
    /// The importer, as a create request's body.
    #[schema(value_type = crate::api::importers::ImporterRequest)]
    pub importer: Value,
}

/// Secrets may be in `importer`: never printed.
impl std::fmt::Debug for Declaration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declaration")
            .field("declared_in", &self.declared_in)
            .field("name", &self.importer.get("name"))
            .finish_non_exhaustive()
    }
}

/// What cannot be read or resolved, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeclaredError(pub String);

fn fail(message: impl Into<String>) -> DeclaredError {
    DeclaredError(message.into())
}

/// The declarations of a daemon's config: the file's `importers.declared` list
/// (`config` is the file and its document as written: keys keep their case) and
/// each YAML file of `declared_dir`, in file name order.
pub fn from_config(
    config: Option<(&Path, &Value)>,
    declared_dir: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Declaration>, DeclaredError> {
    let mut out = Vec::new();
    if let Some((file, doc)) = config
        && let Some(list) = doc.get("importers").and_then(|i| i.get("declared"))
    {
        let origin = format!("importers.declared in {}", file.display());
        out.extend(entries(
            list.clone(),
            &origin,
            crate::config::folder_of(file),
            env,
        )?);
    }
    if let Some(dir) = declared_dir {
        out.extend(from_folder(dir, env)?);
    }
    Ok(out)
}

/// The declarations of `path`: a YAML list, or every `*.yaml` / `*.yml` of a folder.
pub fn from_path(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Declaration>, DeclaredError> {
    if path.is_dir() {
        from_folder(path, env)
    } else {
        from_file(path, env)
    }
}

fn from_folder(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Declaration>, DeclaredError> {
    let listing = std::fs::read_dir(dir)
        .map_err(|e| fail(format!("cannot read the folder {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        out.extend(from_file(&file, env)?);
    }
    Ok(out)
}

fn from_file(
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Declaration>, DeclaredError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| fail(format!("cannot read {}: {e}", file.display())))?;
    let list: Value =
        serde_yaml::from_str(&text).map_err(|e| fail(format!("{}: {e}", file.display())))?;
    entries(
        list,
        &file.display().to_string(),
        crate::config::folder_of(file),
        env,
    )
}

fn entries(
    list: Value,
    origin: &str,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Declaration>, DeclaredError> {
    let items = match list {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        _ => {
            return Err(fail(format!(
                "{origin}: must be a list of importers (each the body of a create request)"
            )));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, mut importer)| {
            let name = importer
                .get("name")
                .and_then(Value::as_str)
                .map(|n| format!("importer `{n}`"))
                .unwrap_or_else(|| format!("importer {}", i + 1));
            if !importer.is_object() {
                return Err(fail(format!("{origin}: {name} must be a mapping")));
            }
            if let Some(params) = importer.get_mut("parameters") {
                resolve(params, "parameters", base, env)
                    .map_err(|e| fail(format!("{origin}: {name}: {e}")))?;
            }
            Ok(Declaration {
                declared_in: origin.to_owned(),
                importer,
            })
        })
        .collect()
}

/// Resolves the references in every string below `value`; the error names the
/// field (`parameters.auth.token`).
pub fn resolve(
    value: &mut Value,
    path: &str,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    match value {
        Value::String(s) => {
            *s = resolve_string(s, base, env).map_err(|e| format!("{path}: {e}"))?;
            Ok(())
        }
        Value::Array(items) => items
            .iter_mut()
            .enumerate()
            .try_for_each(|(i, v)| resolve(v, &format!("{path}[{i}]"), base, env)),
        Value::Object(map) => map
            .iter_mut()
            .try_for_each(|(k, v)| resolve(v, &format!("{path}.{k}"), base, env)),
        _ => Ok(()),
    }
}

fn resolve_string(
    s: &str,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    if let Some(file) = s.strip_prefix("file:") {
        let path = base.join(file.trim());
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the file {}: {e}", path.display()))?;
        return Ok(text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text)
            .to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let end = after
                .find('}')
                .ok_or_else(|| "`${` without its closing `}`".to_owned())?;
            let name = &after[..end];
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!(
                    "`${{{name}}}` is not an environment variable reference (letters, digits and `_`)"
                ));
            }
            let value =
                env(name).ok_or_else(|| format!("the environment variable `{name}` is not set"))?;
            out.push_str(&value);
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "KONG_TOKEN" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn references_resolve_inside_any_string_of_the_parameters() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("key.pem"), "-----KEY-----\n").expect("write");
        let mut v = json!({"adminToken": "${KONG_TOKEN}", "header": "Bearer ${KONG_TOKEN}!",
                           "nested": [{"key": "file:key.pem"}], "literal": "$${KONG_TOKEN} costs $5",
                           "empty": "${EMPTY}", "port": 8001});
        resolve(&mut v, "parameters", dir.path(), &env).expect("resolves");
        assert_eq!(
            v,
            json!({"adminToken": "s3cret", "header": "Bearer s3cret!",
                   "nested": [{"key": "-----KEY-----"}], "literal": "${KONG_TOKEN} costs $5",
                   "empty": "", "port": 8001})
        );
    }

    #[test]
    fn a_reference_that_does_not_resolve_names_the_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = |v: Value| {
            let mut v = v;
            resolve(&mut v, "parameters", dir.path(), &env).expect_err("must fail")
        };
        let e = bad(json!({"auth": {"token": "${MISSING_TOKEN}"}}));
        assert!(
            e.starts_with("parameters.auth.token: ") && e.contains("`MISSING_TOKEN` is not set"),
            "{e}"
        );
        let e = bad(json!({"key": "file:nope.pem"}));
        assert!(
            e.starts_with("parameters.key: cannot read the file ") && e.contains("nope.pem"),
            "{e}"
        );
        let e = bad(json!({"list": ["ok", "${open"]}));
        assert!(e.starts_with("parameters.list[1]: "), "{e}");
        let e = bad(json!({"x": "${not-a-name}"}));
        assert!(e.contains("not an environment variable reference"), "{e}");
    }

    #[test]
    fn a_folder_is_read_in_name_order_and_errors_name_file_and_importer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write =
            |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        write(
            "b.yaml",
            "- name: second\n  type: directory\n  parameters: {path: b}\n",
        );
        write(
            "a.yml",
            "- name: first\n  type: directory\n  parameters: {path: a}\n",
        );
        write("notes.txt", "not read");
        let got = from_path(dir.path(), &env).expect("reads");
        let names: Vec<&str> = got
            .iter()
            .filter_map(|d| d.importer["name"].as_str())
            .collect();
        assert_eq!(names, ["first", "second"]);
        assert!(got[0].declared_in.ends_with("a.yml"));

        write(
            "c.yaml",
            "- name: kong\n  parameters: {adminToken: '${NOPE}'}\n",
        );
        let e = from_path(dir.path(), &env).expect_err("unresolved").0;
        assert!(
            e.contains("c.yaml")
                && e.contains("importer `kong`")
                && e.contains("parameters.adminToken"),
            "{e}"
        );
        write("c.yaml", "name: not-a-list\n");
        let e = from_path(dir.path(), &env).expect_err("not a list").0;
        assert!(e.contains("must be a list"), "{e}");
    }
}
