//! Secret importer parameters at rest. Values under secret-looking keys
//! (`clientSecret`, `password`, ...) are sealed with AES-256-GCM before they reach
//! SQLite, shown as a mask in every response, and opened only to hand them to a
//! connector. A `PUT` that sends the mask back keeps the stored secret, so clients can
//! round-trip an importer without knowing its secrets.
//!
//! The key comes from `secrets.key` (config or `APIHUB_SECRETS__KEY`), else from a key
//! file, generated with mode 0600 on first start. Losing the key file makes stored
//! secrets unreadable (the importers fail with a clear reason until re-entered).

use apihub_connectors::FieldError;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

pub use apihub_connectors::params::MASK;
/// The marker object a sealed value is stored as.
const SEALED: &str = "$sealed";
const VERSION: &str = "v1";
const NONCE_LEN: usize = 12;

/// Which parameters of an importer are secrets, and which decide where they are
/// sent: exactly what its type's descriptor declares; for a type without a
/// connector in this build (free-form parameters), names that look like
/// credentials or destinations, at any depth.
#[derive(Clone, Copy)]
pub enum Rules {
    Typed(&'static apihub_connectors::Descriptor),
    FreeForm,
}

impl Rules {
    pub fn of(kind: Option<apihub_connectors::ImporterType>) -> Rules {
        match kind.and_then(apihub_connectors::descriptor) {
            Some(d) => Rules::Typed(d),
            None => Rules::FreeForm,
        }
    }

    /// `depth` 0 is a top-level parameter.
    pub fn is_secret(self, key: &str, depth: usize) -> bool {
        match self {
            Rules::Typed(d) => depth == 0 && d.is_secret(key),
            Rules::FreeForm => apihub_connectors::secret_names::looks_secret(key),
        }
    }

    pub fn is_destination(self, key: &str) -> bool {
        match self {
            Rules::Typed(d) => d.is_destination(key),
            Rules::FreeForm => is_destination_key(key),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret key: {0}")]
    Key(String),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("stored secret `{0}` cannot be decrypted (was the key changed?)")]
    Undecryptable(String),
}

pub struct Cipher {
    aead: Aes256Gcm,
}

impl Cipher {
    /// Key from config if set, else from `key_file` (created when missing).
    pub fn load(
        configured: Option<&secrecy::SecretString>,
        key_file: &Path,
    ) -> Result<Self, SecretError> {
        // An empty value (e.g. an unset Kubernetes secret field) means "not configured".
        let encoded = match configured.map(|k| k.expose_secret().trim()) {
            Some(k) if !k.is_empty() => k.to_owned(),
            _ => read_or_create_key_file(key_file)?,
        };
        let bytes = decode_key(&encoded).map_err(SecretError::Key)?;
        Ok(Cipher {
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    fn seal(&self, aad: &str, value: &Value) -> Result<Value, SecretError> {
        let plain = value.to_string();
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Key("encryption failed".into()))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        let mut m = Map::new();
        m.insert(
            SEALED.into(),
            Value::String(format!("{VERSION}:{}", B64.encode(blob))),
        );
        Ok(Value::Object(m))
    }

    fn open(&self, aad: &str, sealed: &str) -> Result<Value, SecretError> {
        let fail = || SecretError::Undecryptable(aad.rsplit('/').next().unwrap_or(aad).to_owned());
        let b64 = sealed.strip_prefix("v1:").ok_or_else(fail)?;
        let blob = B64.decode(b64).map_err(|_| fail())?;
        if blob.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| fail())?;
        serde_json::from_slice(&plain).map_err(|_| fail())
    }

    /// Seal every secret in `input` for storage. A masked value keeps the secret stored
    /// at the same place in `previous`.
    pub fn seal_parameters(
        &self,
        owner: &str,
        rules: Rules,
        input: &Value,
        previous: Option<&Value>,
    ) -> Result<Value, SecretError> {
        // A kept secret may only go where it went before: a token holder must not
        // be able to point an importer at their own host and have the daemon send
        // it the stored credentials.
        let moved = previous.and_then(|p| destination_change(rules, input, p));
        if let Some(changed) = moved
            && let Some(field) = first_mask(rules, input, "parameters", 0)
        {
            return Err(FieldError::new(
                field,
                format!(
                    "`{changed}` changed, so this secret must be sent again: a kept (masked) secret is never sent to a new destination"
                ),
            )
            .into());
        }
        self.seal_walk(owner, rules, "parameters", 0, input, previous)
    }

    fn seal_walk(
        &self,
        owner: &str,
        rules: Rules,
        path: &str,
        depth: usize,
        input: &Value,
        previous: Option<&Value>,
    ) -> Result<Value, SecretError> {
        match input {
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    let child = format!("{path}.{k}");
                    let prev = previous.and_then(|p| p.get(k));
                    let sealed = if rules.is_secret(k, depth) && !v.is_null() {
                        if v.as_str() == Some(MASK) {
                            match prev.filter(|p| sealed_blob(p).is_some()) {
                                Some(p) => p.clone(),
                                None => {
                                    return Err(FieldError::new(
                                        child,
                                        "is the mask but no secret is stored here; send the secret itself",
                                    )
                                    .into());
                                }
                            }
                        } else {
                            self.seal(&format!("{owner}/{child}"), v)?
                        }
                    } else {
                        self.seal_walk(owner, rules, &child, depth + 1, v, prev)?
                    };
                    out.insert(k.clone(), sealed);
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let prev = previous.and_then(|p| p.get(i));
                    self.seal_walk(owner, rules, &format!("{path}[{i}]"), depth + 1, v, prev)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// The parameters with secrets in clear, for a connector. Never log the result.
    pub fn open_parameters(&self, owner: &str, stored: &Value) -> Result<Value, SecretError> {
        self.open_walk(owner, "parameters", stored)
    }

    fn open_walk(&self, owner: &str, path: &str, stored: &Value) -> Result<Value, SecretError> {
        if let Some(blob) = sealed_blob(stored) {
            return self.open(&format!("{owner}/{path}"), blob);
        }
        match stored {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.open_walk(owner, &format!("{path}.{k}"), v)?)))
                .collect::<Result<Map<_, _>, _>>()
                .map(Value::Object),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.open_walk(owner, &format!("{path}[{i}]"), v))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }
}

/// Whether a free-form parameter decides where credentials are sent (a URL, host
/// or endpoint, or the cloud that picks one).
fn is_destination_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "url", "uri", "host", "hostname", "endpoint", "server", "domain",
    ]
    .iter()
    .any(|suffix| k.ends_with(suffix))
        || k == "cloud"
}

/// The first destination parameter whose value differs between `input` and the
/// stored `previous` parameters (added, removed or changed).
fn destination_change(rules: Rules, input: &Value, previous: &Value) -> Option<String> {
    let (Value::Object(new), Value::Object(old)) = (input, previous) else {
        return None;
    };
    let mut keys: Vec<&String> = new.keys().chain(old.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| rules.is_destination(k) && !rules.is_secret(k, 0))
        .find(|k| {
            let norm = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
            norm(new.get(k.as_str())) != norm(old.get(k.as_str()))
        })
        .cloned()
}

/// The path of the first masked secret in `input`, if any.
pub fn first_mask(rules: Rules, input: &Value, path: &str, depth: usize) -> Option<String> {
    match input {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let child = format!("{path}.{k}");
            if rules.is_secret(k, depth) && v.as_str() == Some(MASK) {
                Some(child)
            } else {
                first_mask(rules, v, &child, depth + 1)
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_mask(rules, v, &format!("{path}[{i}]"), depth + 1)),
        _ => None,
    }
}

fn sealed_blob(v: &Value) -> Option<&str> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get(SEALED).and_then(Value::as_str),
        _ => None,
    }
}

/// Stored parameters as responses show them: every sealed value replaced by the mask.
pub fn mask_parameters(stored: &Value) -> Value {
    if sealed_blob(stored).is_some() {
        return Value::String(MASK.into());
    }
    match stored {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mask_parameters(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_parameters).collect()),
        other => other.clone(),
    }
}

/// A new random credential (32 bytes from the OS, URL-safe base64), for secrets
/// the daemon generates.
pub fn random_token() -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `stored` (sealed parameters) holds a sealed secret at `key`.
pub fn has_sealed(stored: &Value, key: &str) -> bool {
    stored.get(key).and_then(sealed_blob).is_some()
}

/// The 32 key bytes of a base64 key, or what is wrong with it (also checked with
/// the settings, so a bad `secrets.key` stops the start before anything is created).
pub fn decode_key(encoded: &str) -> Result<Vec<u8>, String> {
    let bytes = B64
        .decode(encoded.trim().as_bytes())
        .map_err(|_| "not valid base64".to_owned())?;
    if bytes.len() != 32 {
        return Err(format!("{} bytes, not 32", bytes.len()));
    }
    Ok(bytes)
}

fn read_or_create_key_file(path: &Path) -> Result<String, SecretError> {
    match std::fs::read_to_string(path) {
        Ok(s) => {
            warn_if_readable_by_others(path);
            return Ok(s.trim().to_owned());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(SecretError::Key(format!("{}: {e}", path.display()))),
    }
    let key = Aes256Gcm::generate_key(&mut OsRng);
    let encoded = B64.encode(key);
    write_private(path, encoded.as_bytes())
        .map_err(|e| SecretError::Key(format!("cannot create {}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), "Generated a new secret key file.");
    Ok(encoded)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "Secret key file is readable by group or others; chmod 600 it.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cipher() -> (tempfile::TempDir, Cipher) {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = Cipher::load(None, &dir.path().join("k")).expect("key");
        (dir, c)
    }

    #[test]
    fn secrets_are_sealed_masked_and_opened() {
        let (_d, c) = cipher();
        let input =
            json!({"clientId": "id", "clientSecret": "s3cr3t", "nested": {"Password": "pw"}});
        let sealed = c
            .seal_parameters("imp", Rules::FreeForm, &input, None)
            .expect("seal");
        let text = sealed.to_string();
        assert!(
            !text.contains("s3cr3t") && !text.contains("\"pw\""),
            "{text}"
        );
        assert_eq!(sealed["clientId"], "id");
        let masked = mask_parameters(&sealed);
        assert_eq!(
            masked,
            json!({"clientId": "id", "clientSecret": MASK, "nested": {"Password": MASK}})
        );
        assert_eq!(c.open_parameters("imp", &sealed).expect("open"), input);
    }

    #[test]
    fn mask_keeps_previous_secret_and_fails_without_one() {
        let (_d, c) = cipher();
        let first = c
            .seal_parameters("imp", Rules::FreeForm, &json!({"token": "t1"}), None)
            .expect("seal");
        let again = c
            .seal_parameters(
                "imp",
                Rules::FreeForm,
                &json!({"token": MASK}),
                Some(&first),
            )
            .expect("seal");
        assert_eq!(
            c.open_parameters("imp", &again).expect("open"),
            json!({"token": "t1"})
        );
        let err = c
            .seal_parameters("imp", Rules::FreeForm, &json!({"token": MASK}), None)
            .expect_err("no secret");
        assert!(err.to_string().contains("parameters.token"), "{err}");
    }

    /// Issue 10.5: changing where credentials go makes a kept secret invalid.
    #[test]
    fn a_new_destination_needs_the_secret_again() {
        let (_d, c) = cipher();
        let first = c
            .seal_parameters(
                "imp",
                Rules::FreeForm,
                &json!({"endpointUrl": "https://apigateway.eu-west-1.amazonaws.com", "clientId": "AK", "clientSecret": "s3cr3t"}),
                None,
            )
            .expect("seal");
        let moved = [
            json!({"endpointUrl": "https://attacker.example", "clientId": "AK", "clientSecret": MASK}),
            json!({"clientId": "AK", "clientSecret": MASK, "adminUrl": "http://evil:8001"}),
            json!({"clientId": "AK", "clientSecret": MASK}),
        ];
        for input in moved {
            let err = c
                .seal_parameters("imp", Rules::FreeForm, &input, Some(&first))
                .expect_err("moved");
            let text = err.to_string();
            assert!(text.starts_with("parameters.clientSecret:"), "{text}");
            assert!(text.contains("sent again"), "{text}");
        }
        // The same destination keeps the secret; a new secret with a new destination is fine.
        let same = json!({"endpointUrl": "https://apigateway.eu-west-1.amazonaws.com", "clientId": "AK2", "clientSecret": MASK});
        let kept = c
            .seal_parameters("imp", Rules::FreeForm, &same, Some(&first))
            .expect("kept");
        assert_eq!(
            c.open_parameters("imp", &kept).expect("open")["clientSecret"],
            "s3cr3t"
        );
        let fresh = json!({"endpointUrl": "https://elsewhere.example", "clientSecret": "new"});
        assert!(
            c.seal_parameters("imp", Rules::FreeForm, &fresh, Some(&first))
                .is_ok()
        );
    }

    #[test]
    fn ciphertext_is_bound_to_its_owner() {
        let (_d, c) = cipher();
        let sealed = c
            .seal_parameters("a", Rules::FreeForm, &json!({"token": "t"}), None)
            .expect("seal");
        assert!(c.open_parameters("b", &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret.key");
        let c1 = Cipher::load(None, &path).expect("create");
        let sealed = c1
            .seal_parameters("o", Rules::FreeForm, &json!({"apiKey": "k"}), None)
            .expect("seal");
        let c2 = Cipher::load(None, &path).expect("reuse");
        assert_eq!(
            c2.open_parameters("o", &sealed).expect("open"),
            json!({"apiKey": "k"})
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn bad_configured_key_is_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = secrecy::SecretString::from("c2hvcnQ=");
        let err = Cipher::load(Some(&key), &dir.path().join("k"))
            .err()
            .expect("must fail");
        assert!(err.to_string().contains("5 bytes, not 32"), "{err}");
    }
}
