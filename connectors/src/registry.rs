//! Which importer types have a connector in this build: a table of descriptors, one
//! exhaustive match over [`ImporterType`], so a new type cannot be forgotten here.
//! Types without one (not built yet, or left out by a Cargo feature) keep their
//! parameters as given and fail their runs with a message that says why.

use std::path::PathBuf;

use serde_json::Value;

use crate::connector::Connector;
use crate::descriptor::Descriptor;
use crate::error::ConnectorError;
use crate::fields::FieldError;
use crate::importer_type::ImporterType;

/// What the daemon's config tells connectors.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Folders the `directory` importer type may read from.
    pub directory_roots: Vec<PathBuf>,
    /// Largest definition a connector should read.
    pub max_definition_bytes: u64,
    /// How long reading one local file may take before it fails (a hung mount).
    pub file_read_timeout: std::time::Duration,
    /// Where traffic observations are kept (the daemon's store); `None` in a
    /// process that keeps none, where `invicti_nad_agent` cannot run.
    pub traffic: Option<crate::nad::importer::Traffic>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            directory_roots: Vec::new(),
            max_definition_bytes: 64 * 1024 * 1024,
            file_read_timeout: std::time::Duration::from_secs(30),
            traffic: None,
        }
    }
}

/// The descriptor of `kind`, when this build has its connector.
pub fn descriptor(kind: ImporterType) -> Option<&'static Descriptor> {
    match kind {
        #[cfg(feature = "aws")]
        ImporterType::AwsApiGateway => Some(&crate::aws::DESCRIPTOR),
        #[cfg(not(feature = "aws"))]
        ImporterType::AwsApiGateway => None,
        ImporterType::Directory => Some(&crate::directory::DESCRIPTOR),
        #[cfg(feature = "kong")]
        ImporterType::Kong => Some(&crate::kong::DESCRIPTOR),
        #[cfg(not(feature = "kong"))]
        ImporterType::Kong => None,
        #[cfg(feature = "azure")]
        ImporterType::Azure => Some(&crate::azure::DESCRIPTOR),
        #[cfg(not(feature = "azure"))]
        ImporterType::Azure => None,
        #[cfg(feature = "apigee")]
        ImporterType::Apigee => Some(&crate::apigee::DESCRIPTOR),
        #[cfg(not(feature = "apigee"))]
        ImporterType::Apigee => None,
        #[cfg(feature = "anypoint")]
        ImporterType::AnypointExchange => Some(&crate::exchange::DESCRIPTOR),
        #[cfg(not(feature = "anypoint"))]
        ImporterType::AnypointExchange => None,
        ImporterType::InvictiNadAgent => Some(&crate::nad::importer::DESCRIPTOR),
    }
}

/// Every descriptor of this build.
pub fn descriptors() -> impl Iterator<Item = &'static Descriptor> {
    ImporterType::ALL.iter().filter_map(|k| descriptor(*k))
}

/// Why `kind` has no connector here.
fn unavailable(kind: ImporterType) -> ConnectorError {
    let why = match kind {
        ImporterType::AwsApiGateway => "this build was made without the `aws` feature",
        ImporterType::Kong => "this build was made without the `kong` feature",
        ImporterType::Azure => "this build was made without the `azure` feature",
        ImporterType::Apigee => "this build was made without the `apigee` feature",
        ImporterType::AnypointExchange => "this build was made without the `anypoint` feature",
        _ => "it is not available in this version of apihub-importer",
    };
    ConnectorError::config(format!(
        "the {} connector cannot run: {why}",
        kind.request_str()
    ))
}

/// Validates `parameters` for `kind`, naming the first bad field. Types without a
/// connector accept any object.
pub fn validate_parameters(
    kind: ImporterType,
    parameters: &Value,
    env: &Environment,
) -> Result<(), FieldError> {
    match descriptor(kind) {
        Some(d) => (d.validate)(parameters, env),
        None if parameters.is_object() || parameters.is_null() => Ok(()),
        None => Err(FieldError::new("parameters", "must be an object")),
    }
}

/// Builds connectors; the sync engine takes them from one of these, so tests can
/// hand it a scripted connector instead of a platform's.
pub trait ConnectorFactory: Send + Sync {
    fn build(
        &self,
        kind: ImporterType,
        parameters: &Value,
        env: &Environment,
    ) -> Result<Box<dyn Connector>, ConnectorError>;
}

/// The connectors of this build.
#[derive(Debug, Clone, Copy, Default)]
pub struct Registry;

impl ConnectorFactory for Registry {
    fn build(
        &self,
        kind: ImporterType,
        parameters: &Value,
        env: &Environment,
    ) -> Result<Box<dyn Connector>, ConnectorError> {
        build(kind, parameters, env)
    }
}

/// Builds the connector of an importer.
pub fn build(
    kind: ImporterType,
    parameters: &Value,
    env: &Environment,
) -> Result<Box<dyn Connector>, ConnectorError> {
    match descriptor(kind) {
        Some(d) => (d.build)(parameters, env),
        None => Err(unavailable(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every writeOnly property of a descriptor's schema is one of its secrets,
    /// every secret is accepted as a parameter, and no property whose name looks
    /// like a credential was left out of the list.
    #[test]
    fn descriptors_agree_with_their_schemas() {
        let mut seen = 0;
        for d in descriptors() {
            let (name, schema) = (d.schema)();
            let kind = d.kind.as_str().replace('_', "");
            assert!(
                name.eq_ignore_ascii_case(&format!("{kind}Parameters")),
                "{name} for {:?}",
                d.kind
            );
            let props = schema["properties"].as_object().expect("properties");
            for (key, prop) in props {
                let write_only = prop["writeOnly"] == true;
                assert_eq!(
                    write_only,
                    d.is_secret(key),
                    "{name}.{key}: writeOnly vs secrets"
                );
                if crate::secret_names::looks_secret(key) {
                    assert!(
                        d.is_secret(key),
                        "{name}.{key} looks like a secret but is not one"
                    );
                }
            }
            for s in d.secrets {
                let unknown = (d.validate)(&serde_json::json!({*s: "x"}), &Environment::default())
                    .err()
                    .filter(|e| e.message.starts_with("unknown field"));
                assert!(unknown.is_none(), "{name}: secret `{s}` is not a parameter");
            }
            for dest in d.destinations {
                assert!(
                    props.contains_key(*dest),
                    "{name}: destination `{dest}` is not a property"
                );
            }
            let env = Environment {
                directory_roots: vec![PathBuf::from("specs")],
                ..Environment::default()
            };
            (d.validate)(&(d.example)(), &env)
                .unwrap_or_else(|e| panic!("{name}: its example is refused: {e}"));
            for s in d.secrets {
                let p = (d.example_with_secret)(s, "S3cr3t-x");
                (d.validate)(&p, &env)
                    .unwrap_or_else(|e| panic!("{name}: its example with `{s}` is refused: {e}"));
                assert!(
                    p.to_string().contains("S3cr3t-x"),
                    "{name}: `{s}` is not set"
                );
            }
            seen += 1;
        }
        assert!(seen >= 1);
    }
}
