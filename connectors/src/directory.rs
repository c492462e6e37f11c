//! The `directory` importer type, an extension beyond seed 000: every API definition
//! file under a folder (recursively) is one API, keyed by its path relative to the
//! folder. For specs kept in git and produced by CI pipelines.
//!
//! The folder must resolve (after symlinks) inside one of the allowed roots of the
//! daemon's config, and so must every file read from it: an API caller cannot make
//! the daemon read arbitrary files. Hidden files and folders (`.git`) are skipped.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde_json::Value;

use crate::connector::{Connector, Context, Document, FetchOutcome, Fetched};
use crate::error::ConnectorError;
use crate::params::{ParamError, Params};

/// File extensions read as API definitions.
pub const EXTENSIONS: &[&str] = &[
    "json", "yaml", "yml", "raml", "wsdl", "wadl", "xml", "graphql", "graphqls", "gql", "proto",
    "har",
];

/// Most files one import reads; more is a configuration mistake, not an API folder.
const MAX_FILES: usize = 50_000;

pub struct DirectoryConnector {
    root: PathBuf,
    allowed: Vec<PathBuf>,
    max_file_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryParams {
    pub path: String,
}

pub fn parse_params(value: &Value) -> Result<DirectoryParams, ParamError> {
    let p = Params::new(value)?;
    p.reject_unknown(&["path"])?;
    let path = p
        .string(&["path"])?
        .ok_or_else(|| ParamError::new("path", "is required: the folder to import"))?;
    Ok(DirectoryParams { path })
}

/// Canonical forms of the allowed roots that exist.
fn canonical_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .collect()
}

/// The folder, resolved, if it is a directory inside an allowed root.
pub fn resolve(path: &str, roots: &[PathBuf]) -> Result<PathBuf, ParamError> {
    let allowed = canonical_roots(roots);
    let list = || {
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let real = std::fs::canonicalize(path).map_err(|e| {
        ParamError::new(
            "path",
            format!(
                "`{path}` cannot be read ({e}); it must be a folder under {}",
                list()
            ),
        )
    })?;
    if !allowed.iter().any(|root| real.starts_with(root)) {
        return Err(ParamError::new(
            "path",
            format!(
                "`{path}` is outside the allowed folders ({}); see importers.directory_roots",
                list()
            ),
        ));
    }
    if !real.is_dir() {
        return Err(ParamError::new("path", format!("`{path}` is not a folder")));
    }
    Ok(real)
}

impl DirectoryConnector {
    pub fn new(
        params: &Value,
        roots: &[PathBuf],
        max_file_bytes: u64,
    ) -> Result<Self, ConnectorError> {
        let p = parse_params(params).map_err(|e| ConnectorError::config(e.to_string()))?;
        let root = resolve(&p.path, roots).map_err(|e| ConnectorError::config(e.message))?;
        Ok(DirectoryConnector {
            root,
            allowed: canonical_roots(roots),
            max_file_bytes,
        })
    }

    fn files(&self, cx: &Context) -> Result<Vec<PathBuf>, ConnectorError> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            cx.ensure_active()?;
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                ConnectorError::config(format!("cannot list {}: {e}", self.relative(&dir)))
            })?;
            let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                // Symlinked folders are not followed (no loops); symlinked files are
                // checked against the roots when read.
                if kind.is_dir() {
                    stack.push(path);
                } else if is_definition(&path) {
                    out.push(path);
                    if out.len() > MAX_FILES {
                        return Err(ConnectorError::config(format!(
                            "more than {MAX_FILES} definition files under the folder"
                        )));
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>, ConnectorError> {
        let real = std::fs::canonicalize(path)
            .map_err(|e| ConnectorError::transient(format!("cannot read: {e}")))?;
        if !self.allowed.iter().any(|root| real.starts_with(root)) {
            return Err(ConnectorError::config(
                "the file links outside the allowed folders; not read",
            ));
        }
        let len = std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0);
        if len > self.max_file_bytes {
            return Err(ConnectorError::config(format!(
                "the file is {len} bytes, over the limit of {}",
                self.max_file_bytes
            )));
        }
        std::fs::read(&real).map_err(|e| ConnectorError::transient(format!("cannot read: {e}")))
    }
}

fn is_definition(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

#[async_trait]
impl Connector for DirectoryConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        cx.ensure_active()?;
        std::fs::read_dir(&self.root)
            .map(|_| ())
            .map_err(|e| ConnectorError::config(format!("cannot list the folder: {e}")))
    }

    async fn fetch(&self, cx: &Context) -> Result<Vec<Fetched>, ConnectorError> {
        let files = self.files(cx)?;
        let mut out = Vec::with_capacity(files.len());
        for path in files {
            cx.ensure_active()?;
            let key = self.relative(&path);
            let outcome = match self.read(&path) {
                Ok(bytes) => FetchOutcome::Document(Document {
                    bytes,
                    file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
                    ..Document::default()
                }),
                Err(e) => FetchOutcome::Failed(e),
            };
            out.push(Fetched {
                external_key: key,
                name: None,
                outcome,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn lists_definitions_recursively_inside_the_roots_only() {
        let root = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let specs = root.path().join("specs");
        std::fs::create_dir_all(specs.join("team/a")).expect("mkdir");
        std::fs::create_dir_all(specs.join(".git")).expect("mkdir");
        std::fs::write(specs.join("one.yaml"), "openapi: 3.0.0").expect("write");
        std::fs::write(specs.join("team/a/two.graphql"), "type Query { a: Int }").expect("write");
        std::fs::write(specs.join("notes.txt"), "not a spec").expect("write");
        std::fs::write(specs.join(".git/config.json"), "{}").expect("write");
        std::fs::write(outside.path().join("secret.json"), "{}").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            outside.path().join("secret.json"),
            specs.join("escape.json"),
        )
        .expect("symlink");

        let roots = vec![specs.clone()];
        let c = DirectoryConnector::new(
            &json!({"path": specs.display().to_string()}),
            &roots,
            1 << 20,
        )
        .expect("connector");
        let items = c.fetch(&Context::new("i", "n")).await.expect("fetch");
        let keys: Vec<&str> = items.iter().map(|i| i.external_key.as_str()).collect();
        #[cfg(unix)]
        assert_eq!(keys, ["escape.json", "one.yaml", "team/a/two.graphql"]);
        #[cfg(unix)]
        assert!(
            matches!(&items[0].outcome, FetchOutcome::Failed(e) if e.message.contains("outside"))
        );
        assert!(
            matches!(&items.last().expect("item").outcome, FetchOutcome::Document(d) if d.bytes.starts_with(b"type Query"))
        );

        let err = resolve(&outside.path().display().to_string(), &roots).expect_err("outside");
        assert!(err.message.contains("outside the allowed folders"), "{err}");
        let err = resolve(&format!("{}/../..", specs.display()), &roots).expect_err("traversal");
        assert!(err.message.contains("outside"), "{err}");
        let err = resolve("/definitely/not/here", &roots).expect_err("missing");
        assert!(err.message.contains("cannot be read"), "{err}");
        assert!(parse_params(&json!({"path": "x", "recursive": true})).is_err());
        assert!(parse_params(&json!({})).is_err());
    }
}
