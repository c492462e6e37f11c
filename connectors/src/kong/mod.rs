//! The `kong` connector: one API per Kong service, its OpenAPI document built from
//! the service's routes (Kong keeps no spec), keyed `<workspace>/<service id>`, with
//! a revision from the service's and its routes' `updated_at` so an unchanged
//! gateway writes nothing. Admin mode reads a Kong Gateway Admin API (OSS, or
//! Enterprise workspaces with an RBAC token); Konnect mode reads Konnect's control
//! planes and API catalog (`konnect`).

mod admin;
mod konnect;
pub mod params;
pub mod paths;
pub mod synth;

use serde_json::Value;

use self::params::{KongParameters, Mode};
use crate::connector::Connector;
use crate::descriptor::{Descriptor, read_for_build};
use crate::error::ConnectorError;
use crate::importer_type::ImporterType;
use crate::registry::Environment;

pub static DESCRIPTOR: Descriptor = Descriptor::new::<KongParameters>(
    ImporterType::Kong,
    &["adminToken", "token", "personalAccessToken"],
    &["mode", "adminUrl", "konnectUrl", "region"],
    build,
);

fn build(parameters: &Value, env: &Environment) -> Result<Box<dyn Connector>, ConnectorError> {
    let p: KongParameters = read_for_build(parameters, env)?;
    match p.mode() {
        Mode::Admin => Ok(Box::new(admin::AdminConnector::new(p)?)),
        Mode::Konnect => Ok(Box::new(konnect::KonnectConnector::new(p)?)),
    }
}
