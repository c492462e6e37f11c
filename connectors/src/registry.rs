//! Which importer types have a connector in this build, how one is built from an
//! importer's parameters, and the check of those parameters at create/configure
//! time (so mistakes are a 400, not a failed run hours later).

use std::path::PathBuf;

use serde_json::Value;

use crate::connector::Connector;
use crate::directory;
use crate::error::ConnectorError;
use crate::importer_type::ImporterType;
use crate::params::{ParamError, Params};

/// What the daemon's config tells connectors.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Folders the `directory` importer type may read from.
    pub directory_roots: Vec<PathBuf>,
    /// Largest definition a connector should read.
    pub max_definition_bytes: u64,
    /// How long reading one local file may take before it fails (a hung mount).
    pub file_read_timeout: std::time::Duration,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            directory_roots: Vec::new(),
            max_definition_bytes: 64 * 1024 * 1024,
            file_read_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// Validates `parameters` for `kind`, naming the first bad field.
pub fn validate_parameters(
    kind: ImporterType,
    parameters: &Value,
    env: &Environment,
) -> Result<(), ParamError> {
    Params::new(parameters)?;
    match kind {
        ImporterType::Directory => {
            let p = directory::parse_params(parameters)?;
            directory::resolve(&p.path, &env.directory_roots).map(|_| ())
        }
        ImporterType::AwsApiGateway => crate::aws::params::parse(parameters).map(|_| ()),
        // The other types have no connector yet; any object is kept as given.
        _ => Ok(()),
    }
}

/// Builds the connector of an importer. Types without a connector in this version
/// fail with a configuration error that says so.
pub fn build(
    kind: ImporterType,
    parameters: &Value,
    env: &Environment,
) -> Result<Box<dyn Connector>, ConnectorError> {
    match kind {
        ImporterType::AwsApiGateway => Ok(Box::new(crate::aws::AwsConnector::new(parameters)?)),
        ImporterType::Directory => Ok(Box::new(directory::DirectoryConnector::new(
            parameters,
            &env.directory_roots,
            env.max_definition_bytes,
            env.file_read_timeout,
        )?)),
        other => Err(ConnectorError::config(format!(
            "the {} connector is not available in this version of apihub-importer",
            other.request_str()
        ))),
    }
}
