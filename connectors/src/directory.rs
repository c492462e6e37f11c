//! The `directory` importer type, an extension beyond seed 000: every API definition
//! file under a folder (recursively) is one API, keyed by its path relative to the
//! folder. For specs kept in git and produced by CI pipelines.
//!
//! # Design notes
//! - Confinement: the folder must lie inside one of the daemon's allowed roots, and
//!   so must every file read from it (a symlink pointing outside is not read). The
//!   folder is checked by its path first, before anything is looked up on disk, so
//!   the answer for a path outside the roots is the same whether it exists or not:
//!   an API caller cannot probe the file system.
//! - Nothing here blocks the async runtime: listing, `stat` and reads run on the
//!   blocking pool, each with a deadline, so a hung network mount fails that file
//!   (or the listing) instead of freezing the daemon.
//! - Only regular files are read. Named pipes, sockets and devices are reported as
//!   skipped: opening a FIFO blocks until a writer appears, and `/dev/zero` never
//!   ends. Files are opened non-blocking and checked again through the open handle,
//!   so a file swapped for a pipe between listing and reading is caught too.
//! - Keys are relative paths with `/` separators. A name that is not UTF-8 is shown
//!   lossily and suffixed with a hash of its raw bytes, so two such names never
//!   share a key and a name keeps its key from run to run.
//! - Hidden files and folders (`.git`) are skipped; symlinked folders are not
//!   followed (no loops).

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest, Sha256};

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
/// How long listing the whole folder may take.
const LISTING_DEADLINE: Duration = Duration::from_secs(120);

pub struct DirectoryConnector {
    root: PathBuf,
    allowed: Vec<PathBuf>,
    max_file_bytes: u64,
    read_deadline: Duration,
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

/// `path` made absolute and with `.`/`..` resolved by text alone (no disk access).
fn lexical(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every spelling of the allowed roots a path may start with: as configured
/// (made absolute) and as resolved on disk.
fn root_forms(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = roots.iter().map(|r| lexical(r)).collect();
    out.extend(roots.iter().filter_map(|r| std::fs::canonicalize(r).ok()));
    out
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
    let list = roots
        .iter()
        .map(|r| r.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let outside = || {
        ParamError::new(
            "path",
            format!(
                "`{path}` is not inside the allowed folders ({list}); see importers.directory_roots"
            ),
        )
    };
    let inside = |p: &Path, forms: &[PathBuf]| forms.iter().any(|root| p.starts_with(root));
    // Decided on the text of the path, before the disk is asked anything.
    if !inside(&lexical(Path::new(path)), &root_forms(roots)) {
        return Err(outside());
    }
    let real = std::fs::canonicalize(path).map_err(|e| {
        ParamError::new(
            "path",
            format!("`{path}` cannot be read ({e}); it must be a folder under {list}"),
        )
    })?;
    // A symlink inside a root that leads out of it reads as "outside", like any
    // other path outside the roots.
    if !inside(&real, &canonical_roots(roots)) {
        return Err(outside());
    }
    if !real.is_dir() {
        return Err(ParamError::new("path", format!("`{path}` is not a folder")));
    }
    Ok(real)
}

/// One path component as key text; see the module notes for non-UTF-8 names.
fn key_component(name: &OsStr) -> String {
    if let Some(s) = name.to_str() {
        return s.to_owned();
    }
    #[cfg(unix)]
    let raw = std::os::unix::ffi::OsStrExt::as_bytes(name).to_vec();
    #[cfg(not(unix))]
    let raw = name.to_string_lossy().as_bytes().to_vec();
    let digest = hex::encode(Sha256::digest(&raw));
    format!("{}~{}", name.to_string_lossy(), &digest[..12])
}

/// What a listed entry is, decided without following it into a pipe.
enum Entry {
    Definition(PathBuf),
    /// A definition-named entry that is not a regular file.
    Special(PathBuf, &'static str),
}

fn special_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a named pipe");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
        if ft.is_block_device() || ft.is_char_device() {
            return Some("a device");
        }
    }
    (!ft.is_file() && !ft.is_dir()).then_some("not a regular file")
}

/// Runs blocking file-system work on the blocking pool, failing after `deadline`.
/// A call stuck in the kernel keeps its thread; the run goes on without it.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &str,
    deadline: Duration,
    f: impl FnOnce() -> Result<T, ConnectorError> + Send + 'static,
) -> Result<T, ConnectorError> {
    match tokio::time::timeout(deadline, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(ConnectorError::transient(format!("{what} failed: {e}"))),
        Err(_) => Err(ConnectorError::transient(format!(
            "{what} took longer than {} s (a hung mount?)",
            deadline.as_secs()
        ))),
    }
}

fn list_files(
    root: &Path,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Vec<Entry>, ConnectorError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if cancel.is_cancelled() {
            return Err(ConnectorError::transient("run cancelled"));
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            ConnectorError::config(format!("cannot list {}: {e}", relative(root, &dir)))
        })?;
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            // `file_type` does not follow symlinks; symlinked folders are not walked.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            if !is_definition(&path) {
                continue;
            }
            // A symlink is judged by what it points to; `metadata` is a stat, which
            // does not block on a pipe.
            let target = if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) => m.file_type(),
                    Err(_) => kind,
                }
            } else {
                kind
            };
            match special_kind(&target) {
                Some(what) if !target.is_symlink() => out.push(Entry::Special(path, what)),
                _ if target.is_dir() => {}
                _ => out.push(Entry::Definition(path)),
            }
            if out.len() > MAX_FILES {
                return Err(ConnectorError::config(format!(
                    "more than {MAX_FILES} definition files under the folder"
                )));
            }
        }
    }
    out.sort_by(|a, b| entry_path(a).cmp(entry_path(b)));
    Ok(out)
}

fn entry_path(e: &Entry) -> &Path {
    match e {
        Entry::Definition(p) | Entry::Special(p, _) => p,
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| key_component(c.as_os_str()))
        .collect::<Vec<_>>()
        .join("/")
}

/// Opens without blocking on a pipe; the caller checks the handle's type.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads one file if it is a regular file inside the roots and within the size limit.
fn read_file(path: &Path, allowed: &[PathBuf], max: u64) -> Result<Vec<u8>, ConnectorError> {
    use std::io::Read;
    let real = std::fs::canonicalize(path)
        .map_err(|e| ConnectorError::transient(format!("cannot read: {e}")))?;
    if !allowed.iter().any(|root| real.starts_with(root)) {
        return Err(ConnectorError::config(
            "the file links outside the allowed folders; not read",
        ));
    }
    let file = open_nonblocking(&real)
        .map_err(|e| ConnectorError::transient(format!("cannot read: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| ConnectorError::transient(format!("cannot read: {e}")))?;
    if let Some(what) = special_kind(&meta.file_type()) {
        return Err(ConnectorError::config(format!(
            "not read: {what}, not a regular file"
        )));
    }
    if meta.len() > max {
        return Err(ConnectorError::config(format!(
            "the file is {} bytes, over the limit of {max}",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // `take` bounds a file that grows while it is read.
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ConnectorError::transient(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(ConnectorError::config(format!(
            "the file grew over the limit of {max} bytes while it was read"
        )));
    }
    Ok(bytes)
}

impl DirectoryConnector {
    pub fn new(
        params: &Value,
        roots: &[PathBuf],
        max_file_bytes: u64,
        read_deadline: Duration,
    ) -> Result<Self, ConnectorError> {
        let p = parse_params(params).map_err(|e| ConnectorError::config(e.to_string()))?;
        let root = resolve(&p.path, roots).map_err(|e| ConnectorError::config(e.message))?;
        Ok(DirectoryConnector {
            root,
            allowed: canonical_roots(roots),
            max_file_bytes,
            read_deadline,
        })
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
        let root = self.root.clone();
        blocking("listing the folder", self.read_deadline, move || {
            std::fs::read_dir(&root)
                .map(|_| ())
                .map_err(|e| ConnectorError::config(format!("cannot list the folder: {e}")))
        })
        .await
    }

    async fn fetch(&self, cx: &Context) -> Result<Vec<Fetched>, ConnectorError> {
        let (root, cancel) = (self.root.clone(), cx.cancel.clone());
        let entries = blocking("listing the folder", LISTING_DEADLINE, move || {
            list_files(&root, &cancel)
        })
        .await?;
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            cx.ensure_active()?;
            let (path, outcome) = match entry {
                Entry::Special(path, what) => (
                    path,
                    FetchOutcome::Skipped {
                        reason: format!("{what}, not a regular file; not read"),
                    },
                ),
                Entry::Definition(path) => {
                    let (p, allowed, max) =
                        (path.clone(), self.allowed.clone(), self.max_file_bytes);
                    let read = blocking("reading the file", self.read_deadline, move || {
                        read_file(&p, &allowed, max)
                    });
                    let outcome = match read.await {
                        Ok(bytes) => FetchOutcome::Document(Document {
                            bytes,
                            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
                            ..Document::default()
                        }),
                        Err(e) => FetchOutcome::Failed(e),
                    };
                    (path, outcome)
                }
            };
            out.push(Fetched {
                external_key: relative(&self.root, &path),
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

    const DEADLINE: Duration = Duration::from_secs(10);

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
            DEADLINE,
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

        assert!(parse_params(&json!({"path": "x", "recursive": true})).is_err());
        assert!(parse_params(&json!({})).is_err());
    }

    /// Issue 10.6: the answer for a path outside the roots does not say whether it
    /// exists.
    #[test]
    fn paths_outside_the_roots_get_one_answer_whether_they_exist_or_not() {
        let root = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let specs = root.path().join("specs");
        std::fs::create_dir_all(specs.join("inner")).expect("mkdir");
        let roots = vec![specs.clone()];
        let message = |p: String| resolve(&p, &roots).expect_err(&p).message;
        let existing = message(outside.path().display().to_string());
        let missing = message(outside.path().join("nope").display().to_string());
        let traversal = message(format!("{}/../..", specs.display()));
        let etc = message("/etc".into());
        let absent = message("/definitely/not/here".into());
        for m in [&existing, &missing, &traversal, &etc, &absent] {
            assert!(m.contains("is not inside the allowed folders"), "{m}");
            assert!(
                !m.contains("cannot be read") && !m.contains("No such file"),
                "{m}"
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), specs.join("out")).expect("symlink");
            let m = message(specs.join("out").display().to_string());
            assert!(m.contains("is not inside the allowed folders"), "{m}");
        }
        // Inside the roots, a missing folder may say so.
        let m = message(specs.join("missing").display().to_string());
        assert!(m.contains("cannot be read"), "{m}");
        assert!(resolve(&specs.join("inner").display().to_string(), &roots).is_ok());
    }

    /// Issue 10.3: pipes, sockets and devices are skipped, never opened.
    #[cfg(unix)]
    #[tokio::test]
    async fn special_files_are_skipped_not_read() {
        let root = tempfile::tempdir().expect("tempdir");
        let specs = root.path().join("specs");
        std::fs::create_dir_all(&specs).expect("mkdir");
        std::fs::write(specs.join("ok.graphql"), "type Query { a: Int }").expect("write");
        let status = std::process::Command::new("mkfifo")
            .arg(specs.join("pipe.json"))
            .status()
            .expect("mkfifo");
        assert!(status.success());
        let _socket =
            std::os::unix::net::UnixListener::bind(specs.join("sock.yaml")).expect("bind");
        let roots = vec![specs.clone()];
        let c = DirectoryConnector::new(
            &json!({"path": specs.display().to_string()}),
            &roots,
            1 << 20,
            DEADLINE,
        )
        .expect("connector");
        let items = tokio::time::timeout(Duration::from_secs(5), c.fetch(&Context::new("i", "n")))
            .await
            .expect("a pipe must not block the listing")
            .expect("fetch");
        let summary: Vec<(String, String)> = items
            .iter()
            .map(|i| {
                let o = match &i.outcome {
                    FetchOutcome::Skipped { reason } => format!("skipped: {reason}"),
                    FetchOutcome::Document(_) => "document".into(),
                    FetchOutcome::Failed(e) => format!("failed: {e}"),
                };
                (i.external_key.clone(), o)
            })
            .collect();
        assert_eq!(summary.len(), 3, "{summary:?}");
        assert_eq!(summary[0], ("ok.graphql".into(), "document".into()));
        assert!(summary[1].1.contains("a named pipe"), "{summary:?}");
        assert!(summary[2].1.contains("a socket"), "{summary:?}");
        // Read directly (as if swapped in after the listing): refused by the handle check.
        let err = read_file(&specs.join("pipe.json"), &canonical_roots(&roots), 1 << 20)
            .expect_err("a pipe");
        assert!(err.message.contains("named pipe"), "{err}");
    }

    /// Issue 10.3: a read that hangs fails that file after the deadline.
    #[tokio::test]
    async fn a_hung_read_fails_after_its_deadline() {
        let started = std::time::Instant::now();
        let err = blocking("reading the file", Duration::from_millis(200), || {
            std::thread::sleep(Duration::from_millis(1500));
            Ok(())
        })
        .await
        .expect_err("deadline");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(err.message.contains("took longer than"), "{err}");
    }

    /// Issue 10.6: names that are not UTF-8 keep distinct, stable keys.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn non_utf8_names_get_distinct_stable_keys() {
        use std::os::unix::ffi::OsStrExt;
        let root = tempfile::tempdir().expect("tempdir");
        let specs = root.path().join("specs");
        std::fs::create_dir_all(&specs).expect("mkdir");
        let names: [&[u8]; 3] = [
            b"caf\xe9.graphql",
            b"caf\xff.graphql",
            "caf\u{FFFD}.graphql".as_bytes(),
        ];
        for n in names {
            std::fs::write(specs.join(OsStr::from_bytes(n)), "type Query { a: Int }")
                .expect("write");
        }
        let roots = vec![specs.clone()];
        let c = DirectoryConnector::new(
            &json!({"path": specs.display().to_string()}),
            &roots,
            1 << 20,
            DEADLINE,
        )
        .expect("connector");
        let keys = |items: Vec<Fetched>| -> Vec<String> {
            items.into_iter().map(|i| i.external_key).collect()
        };
        let first = keys(c.fetch(&Context::new("i", "n")).await.expect("fetch"));
        let second = keys(c.fetch(&Context::new("i", "n")).await.expect("fetch"));
        assert_eq!(first, second, "keys are stable");
        let unique: std::collections::HashSet<_> = first.iter().collect();
        assert_eq!(unique.len(), 3, "{first:?}");
        assert!(
            first.contains(&"caf\u{FFFD}.graphql".to_owned()),
            "valid names are unchanged"
        );
    }
}
