//! Reconciles importers declared as code (see `crate::declared`) with the store,
//! the same code at start, on `SIGHUP` and behind `POST /importers/apply` (what
//! `importers apply -f` calls). A declaration set (`source`: the daemon's config,
//! or one `apply -f` path) owns the importers it declared: each declared name is
//! created, or updated when it changed (an importer made through the API with that
//! name is adopted), and an importer the set declared before and no longer does is
//! deleted (its definitions stay, as for any delete). Every declaration is checked
//! before anything changes; applying the same declarations again changes nothing
//! and triggers no run. Declared importers answer a change through the API with a
//! 409 naming where they are declared.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorEnvelope};
use super::extract::ApiJson;
use super::importers::{ImporterRequest, configure, create, delete, to_spec};
use crate::declared::Declaration;
use crate::importer::ImporterSpec;
use crate::store::{ImporterRow, Managed};
use crate::text::name_key;

/// The declaration set of the daemon's own config (file list and folder).
pub const CONFIG_SOURCE: &str = "config";

/// A set of declared importers to reconcile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyRequest {
    /// The declaration set: importers it declared before and no longer declares
    /// are deleted. `importers apply -f` sends `apply:<absolute path>`.
    #[schema(example = "apply:/etc/apihub-importer/importers.yaml")]
    pub source: String,
    /// Every importer of the set, secret references already resolved.
    pub importers: Vec<Declaration>,
}

/// What reconciling did to one importer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Updated,
    Deleted,
    Unchanged,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub name: String,
    pub importer_id: String,
    pub action: Action,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplyResult {
    pub importers: Vec<Outcome>,
}

/// Apply declared importers (what `apihub-importer importers apply -f` sends):
/// creates, updates and deletes the importers of `source` so they are exactly
/// those declared. Nothing changes when any declaration is invalid.
#[utoipa::path(post, path = "/apply", tag = "Importers", request_body = ApplyRequest,
    responses((status = 200, description = "What each importer's reconcile did", body = ApplyResult),
              (status = 400, description = "A declaration is invalid (nothing changed)", body = ErrorEnvelope),
              (status = 409, description = "A name is declared by another set", body = ErrorEnvelope)))]
pub(super) async fn apply_importers(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ApplyRequest>,
) -> Result<Json<ApplyResult>, ApiError> {
    if req.source.trim().is_empty() || req.source == CONFIG_SOURCE {
        return Err(ApiError::invalid(
            "source",
            format!(
                "must name the declaration set (such as `apply:/path`), not be empty or `{CONFIG_SOURCE}`"
            ),
        ));
    }
    let importers = reconcile(&state, &req.source, req.importers).await?;
    Ok(Json(ApplyResult { importers }))
}

enum Step {
    Create(ImporterSpec, Managed),
    Update(ImporterRow, ImporterSpec, Managed),
    Keep(ImporterRow),
}

/// A declaration that passed [`check`].
struct Checked {
    declared_in: String,
    spec: ImporterSpec,
    /// Words an error about this declaration: file, importer, field.
    at: Box<dyn Fn(ApiError) -> ApiError + Send>,
}

/// Checks declarations without the store: each is a valid create request whose
/// parameters its type accepts (in `env`), declares the secrets its type would
/// generate, and names an importer no other one does. Start runs it before the
/// store is opened, so a wrong declaration creates nothing.
fn check(
    env: &apihub_connectors::Environment,
    declared: Vec<Declaration>,
) -> Result<Vec<Checked>, ApiError> {
    let mut out = Vec::with_capacity(declared.len());
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (i, d) in declared.into_iter().enumerate() {
        let name = d
            .importer
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let declared_in = d.declared_in.clone();
        let at = move |e: ApiError| {
            let field = match e.field.as_deref() {
                None | Some("") => format!("importers[{i}].importer"),
                Some(f) => format!("importers[{i}].importer.{f}"),
            };
            let message = e.message.strip_prefix(": ").unwrap_or(&e.message);
            ApiError {
                message: format!("{declared_in}: importer `{name}`: {message}"),
                field: Some(field),
                ..e
            }
        };
        let req: ImporterRequest = serde_json::from_value(d.importer)
            .map_err(|e| at(ApiError::invalid("", e.to_string())))?;
        let spec = to_spec(env, req).map_err(&at)?;
        // A generated secret is shown once, in a create response no one reads here,
        // and a rebuilt database would make another: it belongs in the declaration.
        if let Some(desc) = spec.kind.and_then(apihub_connectors::descriptor)
            && let Some(g) = desc
                .generated
                .iter()
                .find(|g| spec.parameters.get(**g).is_none())
        {
            return Err(at(ApiError::invalid(
                format!("parameters.{g}"),
                format!(
                    "must be declared (for example `{g}: ${{AGENT_TOKEN}}`): a generated one could not be shown"
                ),
            )));
        }
        if let Some(other) = seen.insert(name_key(&spec.name), d.declared_in.clone()) {
            return Err(at(ApiError::conflict(format!(
                "declared twice (also in {other})"
            ))));
        }
        out.push(Checked {
            declared_in: d.declared_in,
            spec,
            at: Box::new(at),
        });
    }
    Ok(out)
}

/// [`check`] for start-up and `validate`, before anything exists.
pub fn check_declarations(
    env: &apihub_connectors::Environment,
    declared: &[Declaration],
) -> Result<(), ApiError> {
    check(env, declared.to_vec()).map(|_| ())
}

/// Makes the importers of `source` exactly `declared`.
pub async fn reconcile(
    state: &AppState,
    source: &str,
    declared: Vec<Declaration>,
) -> Result<Vec<Outcome>, ApiError> {
    let checked = check(&state.env, declared)?;
    let rows = state.store.list_importers().await?;
    let mut by_key: BTreeMap<String, ImporterRow> =
        rows.into_iter().map(|r| (name_key(&r.name), r)).collect();
    // Plan everything first: one bad declaration changes nothing.
    let mut steps = Vec::with_capacity(checked.len());
    for c in checked {
        let managed = Managed {
            by: source.to_owned(),
            declared_in: c.declared_in.clone(),
        };
        steps.push(match by_key.remove(&name_key(&c.spec.name)) {
            None => Step::Create(c.spec, managed),
            Some(row) => {
                if let Some(m) = row.managed.as_ref().filter(|m| m.by != source) {
                    return Err((c.at)(ApiError::conflict(format!(
                        "already declared in {}",
                        m.declared_in
                    ))));
                }
                if row.managed.as_ref() == Some(&managed) && same(state, &row, &c.spec)? {
                    Step::Keep(row)
                } else {
                    Step::Update(row, c.spec, managed)
                }
            }
        });
    }
    let gone: Vec<ImporterRow> = by_key
        .into_values()
        .filter(|r| r.managed.as_ref().is_some_and(|m| m.by == source))
        .collect();

    let mut out = Vec::with_capacity(steps.len() + gone.len());
    for step in steps {
        out.push(match step {
            Step::Create(spec, managed) => {
                let v = create(state, spec, Some(managed)).await?;
                outcome(v.name, v.importer_id, Action::Created)
            }
            Step::Update(row, spec, managed) => {
                let v = configure(state, row.id.clone(), spec, Some(row), Some(managed)).await?;
                outcome(v.name, v.importer_id, Action::Updated)
            }
            Step::Keep(row) => outcome(row.name, row.id, Action::Unchanged),
        });
    }
    for row in gone {
        delete(state, &row.id).await?;
        out.push(outcome(row.name, row.id, Action::Deleted));
    }
    Ok(out)
}

fn outcome(name: String, importer_id: String, action: Action) -> Outcome {
    Outcome {
        name,
        importer_id,
        action,
    }
}

/// Whether the stored importer already is `spec` (secrets compared in clear).
fn same(state: &AppState, row: &ImporterRow, spec: &ImporterSpec) -> Result<bool, ApiError> {
    if row.name != spec.name
        || row.kind != spec.kind
        || row.status != spec.status
        || row.update_frequency != spec.update_frequency
        || row.exclude_empty_specs != spec.exclude_empty_specs
    {
        return Ok(false);
    }
    let stored = state
        .cipher
        .open_parameters(&row.id, &row.parameters)
        .map_err(|e| ApiError::from(crate::store::StoreError::Corrupt(e.to_string())))?;
    let normal = |v: &Value| match v {
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    };
    Ok(normal(&stored) == normal(&spec.parameters))
}
