//! Which importer types have a connector in this build, and the check of each type's
//! `parameters` at create/configure time.

use serde_json::Value;

use crate::importer_type::ImporterType;
use crate::params::{ParamError, Params};

/// Validates `parameters` for `kind`, naming the first bad field.
pub fn validate_parameters(kind: ImporterType, parameters: &Value) -> Result<(), ParamError> {
    let _ = kind;
    Params::new(parameters).map(|_| ())
}
