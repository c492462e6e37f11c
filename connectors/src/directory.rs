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

use serde::Deserialize;
use utoipa::ToSchema;

use crate::connector::{Connector, Context, Document, Item, Listed, Listing, fetch};
use crate::descriptor::{Descriptor, Parameters, read_for_build};
use crate::error::ConnectorError;
use crate::fields::FieldError;
use crate::importer_type::ImporterType;
use crate::registry::Environment;

/// File extensions read as API definitions.
pub const EXTENSIONS: &[&str] = &[
    "json", "yaml", "yml", "raml", "wsdl", "wadl", "xml", "graphql", "graphqls", "gql", "proto",
    "har",
];

/// Most files one import reads; more is a configuration mistake, not an API folder.
const MAX_FILES: usize = 50_000;
/// How long listing the whole folder may take.
const LISTING_DEADLINE: Duration = Duration::from_secs(120);

pub static DESCRIPTOR: Descriptor =
    Descriptor::new::<DirectoryParameters>(ImporterType::Directory, &[], &[], build);

/// `parameters` of a `directory` importer: definition files in a folder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryParameters {
    /// Folder whose definition files are imported, recursively. It must lie inside
    /// one of `importers.directory_roots`; it may not exist yet (its runs fail
    /// until it does).
    #[schema(min_length = 1, max_length = 1024)]
    pub path: String,
}

impl Parameters for DirectoryParameters {
    fn check(&self, env: &Environment) -> Result<(), FieldError> {
        resolve(&self.path, &env.directory_roots).map(|_| ())
    }

    fn example() -> Value {
        serde_json::json!({"path": "specs"})
    }
}

fn build(parameters: &Value, env: &Environment) -> Result<Box<dyn Connector>, ConnectorError> {
    let p: DirectoryParameters = read_for_build(parameters, env)?;
    Ok(Box::new(connector_for(&p.path, env)))
}

/// The connector of the folder `path` (checked by the caller's parameters), for
/// importer types that read files of their own from a folder.
pub(crate) fn connector_for(path: &str, env: &Environment) -> DirectoryConnector {
    DirectoryConnector {
        path: path.to_owned(),
        roots: env.directory_roots.clone(),
        max_file_bytes: env.max_definition_bytes,
        read_deadline: env.file_read_timeout,
    }
}

pub struct DirectoryConnector {
    path: String,
    roots: Vec<PathBuf>,
    max_file_bytes: u64,
    read_deadline: Duration,
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

/// The folder, resolved, if it is (or, not existing yet, would be) a directory
/// inside an allowed root.
pub fn resolve(path: &str, roots: &[PathBuf]) -> Result<PathBuf, FieldError> {
    let list = roots
        .iter()
        .map(|r| r.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let outside = || {
        FieldError::param(
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
    let real = match std::fs::canonicalize(path) {
        Ok(real) => real,
        // Inside the roots and not there yet (a checkout to come): accepted; its
        // runs fail until it exists.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(lexical(Path::new(path))),
        Err(e) => {
            return Err(FieldError::param(
                "path",
                format!("`{path}` cannot be read ({e}); it must be a folder under {list}"),
            ));
        }
    };
    // A symlink inside a root that leads out of it reads as "outside", like any
    // other path outside the roots.
    if !inside(&real, &canonical_roots(roots)) {
        return Err(outside());
    }
    if !real.is_dir() {
        return Err(FieldError::param(
            "path",
            format!("`{path}` is not a folder"),
        ));
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
    /// A definition file and its revision (size and modification time).
    Definition(PathBuf, Option<String>),
    /// A definition-named entry that is not a regular file.
    Special(PathBuf, &'static str),
}

/// Size and modification time to the nanosecond: any write changes one of them.
fn file_revision(meta: &std::fs::Metadata) -> Option<String> {
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{}:{}.{:09}",
        meta.len(),
        mtime.as_secs(),
        mtime.subsec_nanos()
    ))
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
            let meta = std::fs::metadata(&path).ok();
            let target = meta.as_ref().map_or(kind, std::fs::Metadata::file_type);
            match special_kind(&target) {
                Some(what) if !target.is_symlink() => out.push(Entry::Special(path, what)),
                _ if target.is_dir() => {}
                _ => out.push(Entry::Definition(
                    path,
                    meta.as_ref().and_then(file_revision),
                )),
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
        Entry::Definition(p, _) | Entry::Special(p, _) => p,
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
    /// The folder as it is now: it must exist, and still be inside the roots.
    fn folder(&self) -> Result<PathBuf, ConnectorError> {
        let lexical_root =
            resolve(&self.path, &self.roots).map_err(|e| ConnectorError::config(e.message))?;
        match std::fs::canonicalize(&lexical_root) {
            Ok(real) if real.is_dir() => Ok(real),
            Ok(_) => Err(ConnectorError::config(format!(
                "`{}` is not a folder",
                self.path
            ))),
            Err(e) => Err(ConnectorError::config(format!(
                "the folder `{}` cannot be read ({e}); does it exist yet?",
                self.path
            ))),
        }
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
        let root = self.folder()?;
        blocking("listing the folder", self.read_deadline, move || {
            std::fs::read_dir(&root)
                .map(|_| ())
                .map_err(|e| ConnectorError::config(format!("cannot list the folder: {e}")))
        })
        .await
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let root = self.folder()?;
        let (walk_root, cancel) = (root.clone(), cx.cancel.clone());
        let entries = blocking("listing the folder", LISTING_DEADLINE, move || {
            list_files(&walk_root, &cancel)
        })
        .await?;
        let allowed = canonical_roots(&self.roots);
        for entry in entries {
            cx.ensure_active()?;
            let listed = match entry {
                Entry::Special(path, what) => Listed::new(
                    relative(&root, &path),
                    Item::Skipped {
                        reason: format!("{what}, not a regular file; not read"),
                    },
                ),
                Entry::Definition(path, revision) => {
                    let key = relative(&root, &path);
                    let (allowed, max, deadline) =
                        (allowed.clone(), self.max_file_bytes, self.read_deadline);
                    let item = fetch(async move {
                        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                        let bytes = blocking("reading the file", deadline, move || {
                            read_file(&path, &allowed, max)
                        })
                        .await?;
                        Ok(Document {
                            bytes,
                            file_name,
                            ..Document::default()
                        })
                    });
                    let mut l = Listed::new(key, item);
                    l.revision = revision;
                    l
                }
            };
            out.push(listed).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEADLINE: Duration = Duration::from_secs(10);

    fn connector(specs: &Path, roots: &[PathBuf]) -> Box<dyn Connector> {
        let env = Environment {
            directory_roots: roots.to_vec(),
            max_definition_bytes: 1 << 20,
            file_read_timeout: DEADLINE,
            traffic: None,
        };
        build(&json!({"path": specs.display().to_string()}), &env).expect("connector")
    }

    /// Lists, then downloads every item: (key, outcome text, bytes).
    async fn run(c: &dyn Connector) -> Vec<(String, String, Vec<u8>)> {
        let items = crate::connector::list_all(c, &Context::new("i", "n"))
            .await
            .expect("list");
        let mut out = Vec::new();
        for l in items {
            let (what, bytes) = match l.item {
                Item::Fetch(f) => match f().await {
                    Ok(d) => ("document".to_owned(), d.bytes),
                    Err(e) => (format!("failed: {e}"), Vec::new()),
                },
                Item::Skipped { reason } => (format!("skipped: {reason}"), Vec::new()),
                Item::Failed(e) => (format!("failed: {e}"), Vec::new()),
            };
            out.push((l.external_key, what, bytes));
        }
        out
    }

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
        let items = run(connector(&specs, &roots).as_ref()).await;
        let keys: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
        #[cfg(unix)]
        assert_eq!(keys, ["escape.json", "one.yaml", "team/a/two.graphql"]);
        #[cfg(unix)]
        assert!(items[0].1.contains("outside"), "{items:?}");
        let last = items.last().expect("item");
        assert!(last.1 == "document" && last.2.starts_with(b"type Query"));

        let env = Environment {
            directory_roots: roots.clone(),
            ..Environment::default()
        };
        assert!(
            (DESCRIPTOR.validate)(
                &json!({"path": specs.display().to_string(), "recursive": true}),
                &env
            )
            .is_err()
        );
        assert_eq!(
            (DESCRIPTOR.validate)(&json!({}), &env)
                .expect_err("path")
                .field,
            "parameters.path"
        );
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
        // Inside the roots, a folder that does not exist yet is accepted; its runs
        // fail until it does.
        assert!(resolve(&specs.join("later").display().to_string(), &roots).is_ok());
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
        let c = connector(&specs, &roots);
        let items = tokio::time::timeout(Duration::from_secs(5), run(c.as_ref()))
            .await
            .expect("a pipe must not block the listing");
        let summary: Vec<(String, String)> = items.into_iter().map(|(k, o, _)| (k, o)).collect();
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

    /// Revisions change when a file is written, and only then.
    #[tokio::test]
    async fn revisions_follow_the_content() {
        let root = tempfile::tempdir().expect("tempdir");
        let specs = root.path().join("specs");
        std::fs::create_dir_all(&specs).expect("mkdir");
        std::fs::write(specs.join("a.graphql"), "type Query { a: Int }").expect("write");
        let c = connector(&specs, std::slice::from_ref(&specs));
        let revs = || async {
            crate::connector::list_all(c.as_ref(), &Context::new("i", "n"))
                .await
                .expect("list")
                .into_iter()
                .map(|l| l.revision)
                .collect::<Vec<_>>()
        };
        let first = revs().await;
        assert!(first[0].is_some());
        assert_eq!(revs().await, first, "nothing changed");
        std::fs::write(specs.join("a.graphql"), "type Query { b: Int }").expect("rewrite");
        assert_ne!(revs().await, first, "a write changes the revision");
    }

    /// A folder that does not exist (yet) fails the listing with a clear reason.
    #[tokio::test]
    async fn a_missing_folder_fails_the_listing_clearly() {
        let root = tempfile::tempdir().expect("tempdir");
        let specs = root.path().join("specs");
        std::fs::create_dir_all(&specs).expect("mkdir");
        let c = connector(&specs.join("later"), std::slice::from_ref(&specs));
        let err = crate::connector::list_all(c.as_ref(), &Context::new("i", "n"))
            .await
            .expect_err("missing");
        assert!(err.message.contains("does it exist yet"), "{err}");
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
        let c = connector(&specs, &roots);
        let keys = |items: Vec<(String, String, Vec<u8>)>| -> Vec<String> {
            items.into_iter().map(|i| i.0).collect()
        };
        let first = keys(run(c.as_ref()).await);
        let second = keys(run(c.as_ref()).await);
        assert_eq!(first, second, "keys are stable");
        let unique: std::collections::HashSet<_> = first.iter().collect();
        assert_eq!(unique.len(), 3, "{first:?}");
        assert!(
            first.contains(&"caf\u{FFFD}.graphql".to_owned()),
            "valid names are unchanged"
        );
    }
}
