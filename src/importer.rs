//! The importer as the Importers API (seed 000) defines it, and the validation every
//! write path shares (create, `PUT`, the CLI): one place decides what a valid importer
//! is.

use apihub_connectors::{FieldError, ImporterType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use apihub_connectors::wire_enum;

wire_enum! {
    /// Whether the scheduler runs the importer. `Pending` importers are configured
    /// but not ready (no runs, triggers are refused).
    pub enum ImporterStatus {
        Active => "Active",
        Inactive => "Inactive",
        Pending => "Pending",
    }
}

wire_enum! {
    pub enum FrequencyUnit {
        Hourly => "hourly",
        Daily => "daily",
        Weekly => "weekly",
        Monthly => "monthly",
    }
}

wire_enum! {
    /// Outcome of the last finished run; `None` until the first one finishes.
    pub enum SyncStatus {
        None => "None",
        Completed => "Completed",
        Failed => "Failed",
    }
}

/// Whether an importer may run (on its schedule or when triggered): it needs a
/// type, and a `Pending` one is not ready. The one rule the API, the scheduler and
/// the sync path share.
pub fn runnable(kind: Option<ImporterType>, status: ImporterStatus) -> Result<(), &'static str> {
    if kind.is_none() {
        return Err("the importer has no type; set one before running it");
    }
    if status == ImporterStatus::Pending {
        return Err(
            "the importer is pending: set its status to active or inactive before running it",
        );
    }
    Ok(())
}

/// Largest `updateFrequency.value`: every 10,000 units is already beyond any use.
pub const MAX_FREQUENCY_VALUE: u32 = 10_000;
pub const MAX_NAME_CHARS: usize = 255;

/// `{unit, value}`: run every `value` units. Missing parts default to 1 day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFrequency {
    #[serde(default = "default_unit")]
    pub unit: FrequencyUnit,
    /// A positive integer (at most 10000).
    #[serde(
        default = "default_value",
        deserialize_with = "apihub_connectors::params::whole"
    )]
    #[schema(minimum = 1, maximum = 10000)]
    pub value: u32,
}

fn default_unit() -> FrequencyUnit {
    FrequencyUnit::Daily
}
const fn default_value() -> u32 {
    1
}

/// A validated importer definition, as written by create and `PUT`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImporterSpec {
    pub name: String,
    pub kind: Option<ImporterType>,
    pub status: ImporterStatus,
    pub update_frequency: Option<UpdateFrequency>,
    /// Parameters as sent (secrets in clear or masked); sealed by the store layer.
    pub parameters: Value,
    pub exclude_empty_specs: bool,
}

impl ImporterSpec {
    /// Checks a request and fills defaults. Without a type an importer cannot run, so
    /// its status defaults to `Pending`; with one, to `Active`.
    pub fn validate(
        name: &str,
        kind: Option<ImporterType>,
        status: Option<ImporterStatus>,
        update_frequency: Option<UpdateFrequency>,
        parameters: Option<Value>,
        exclude_empty_specs: Option<bool>,
    ) -> Result<ImporterSpec, FieldError> {
        // The length is of the name as sent, as the API document states it.
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(FieldError::new(
                "name",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            ));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "must not be empty"));
        }
        crate::text::check_name(name).map_err(|e| FieldError::new("name", e))?;
        let name = crate::text::normalized(name);
        let name = name.as_str();
        if let Some(f) = update_frequency
            && !(1..=MAX_FREQUENCY_VALUE).contains(&f.value)
        {
            return Err(FieldError::new(
                "updateFrequency.value",
                format!("must be a positive integer up to {MAX_FREQUENCY_VALUE}"),
            ));
        }
        let parameters = match parameters {
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(v @ Value::Object(_)) => v,
            Some(_) => return Err(FieldError::new("parameters", "must be an object")),
        };
        let status = status.unwrap_or(if kind.is_some() {
            ImporterStatus::Active
        } else {
            ImporterStatus::Pending
        });
        if kind.is_none() && status == ImporterStatus::Active {
            return Err(FieldError::new(
                "type",
                "an active importer needs a type; set `type` or use status `pending`",
            ));
        }
        Ok(ImporterSpec {
            name: name.to_owned(),
            kind,
            status,
            update_frequency,
            parameters,
            exclude_empty_specs: exclude_empty_specs.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_follow_the_type() {
        let s = ImporterSpec::validate("n", None, None, None, None, None).expect("valid");
        assert_eq!(s.status, ImporterStatus::Pending);
        assert_eq!(s.parameters, json!({}));
        let s = ImporterSpec::validate("n", Some(ImporterType::Kong), None, None, None, None)
            .expect("valid");
        assert_eq!(s.status, ImporterStatus::Active);
    }

    #[test]
    fn rejects_bad_values_naming_the_field() {
        let long = "x".repeat(256);
        let cases = [
            ImporterSpec::validate(" ", None, None, None, None, None),
            ImporterSpec::validate(&long, None, None, None, None, None),
            ImporterSpec::validate(
                "n",
                None,
                None,
                Some(UpdateFrequency {
                    unit: FrequencyUnit::Daily,
                    value: 0,
                }),
                None,
                None,
            ),
            ImporterSpec::validate("n", None, None, None, Some(json!([1])), None),
            ImporterSpec::validate("n", None, Some(ImporterStatus::Active), None, None, None),
        ];
        let fields: Vec<_> = cases
            .into_iter()
            .map(|r| r.expect_err("must fail").field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "name",
                "updateFrequency.value",
                "parameters",
                "type"
            ]
        );
    }

    #[test]
    fn enums_parse_any_case_and_print_seed_spelling() {
        assert_eq!(
            "ACTIVE".parse::<ImporterStatus>(),
            Ok(ImporterStatus::Active)
        );
        assert_eq!(ImporterStatus::Active.to_string(), "Active");
        assert_eq!("Daily".parse::<FrequencyUnit>(), Ok(FrequencyUnit::Daily));
        assert_eq!(FrequencyUnit::Daily.to_string(), "daily");
        assert!("yearly".parse::<FrequencyUnit>().is_err());
    }
}
