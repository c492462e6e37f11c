//! The Importers API of seed 000 under `/api/apihub/v1/importers`, plus what users
//! expect beyond it: read one, configure (`PUT`), run history.

use apihub_connectors::FieldError;
use apihub_connectors::ImporterType;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorEnvelope};
use super::extract::ApiJson;
use crate::clock::format_ms;
use crate::importer::{ImporterSpec, ImporterStatus, SyncStatus, UpdateFrequency};
use crate::secrets::{Rules, SecretError, mask_parameters};
use crate::store::{ImporterRow, Managed, NewImporter, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_importers, create_importer))
        .routes(routes!(get_importer, configure_importer, delete_importer))
        .routes(routes!(trigger_importer))
        .routes(routes!(check_importer))
        .routes(routes!(super::runs::list_runs))
        .routes(routes!(super::apply::apply_importers))
}

/// Create or configure an importer. Only `name` is required. Enum values are
/// accepted in any letter case. Read-only fields of the response (`importerId`,
/// `lastRunDate`, ...) are accepted and ignored so a fetched importer can be sent back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImporterRequest {
    /// Display name, 1-255 characters, unique: two names that differ only in letter
    /// case or Unicode composition are the same name. Control, bidirectional and
    /// invisible characters are refused.
    #[schema(min_length = 1, max_length = 255, example = "AWS Gateway Importer")]
    pub name: String,
    /// Source type: aws_api_gateway, azure, apigee, kong, anypoint_exchange,
    /// invicti_nad_agent, or the extension `directory`. Any letter case.
    #[serde(default, rename = "type")]
    pub kind: Option<ImporterType>,
    /// active, inactive or pending. Default: active with a type, pending without.
    #[serde(default)]
    pub status: Option<ImporterStatus>,
    /// How often the importer runs; null means daily.
    #[serde(default)]
    pub update_frequency: Option<UpdateFrequency>,
    /// Connection parameters of the type: the `<Type>Parameters` schema of each
    /// type (`AwsApiGatewayParameters`, `DirectoryParameters`, ...); any object
    /// for a type this build does not include. Secret values (`writeOnly`) are stored encrypted
    /// and returned as `********`; sending `********` back keeps the stored secret.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<Value>,
    /// When true, definitions with no operations are not imported.
    #[serde(default)]
    pub exclude_empty_specs: Option<bool>,
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)] // read-only: accepted, ignored
    importer_id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)] // read-only: accepted, ignored
    last_run_date: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)] // read-only: accepted, ignored
    last_run_fail_reason: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)] // read-only: accepted, ignored
    sync_status: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)] // read-only: accepted, ignored
    extras: Option<serde::de::IgnoredAny>,
}

/// An importer: its settings (secrets masked), schedule and last run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImporterView {
    pub importer_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<ImporterType>,
    pub status: ImporterStatus,
    pub update_frequency: Option<UpdateFrequency>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_run_date: Option<String>,
    pub last_run_fail_reason: Option<String>,
    pub sync_status: SyncStatus,
    /// Parameters with every secret replaced by `********`.
    #[schema(value_type = Object)]
    pub parameters: Value,
    /// Daemon-side state: `createdAt`, `modifiedAt`, `nextRunAt`, `triggerPending`,
    /// `lastRunCounts`, and `runState` (`idle`, `queued`, `running`) with
    /// `runStartedAt` / `runTrigger` while a run is on.
    #[schema(value_type = Option<Object>)]
    pub extras: Option<Value>,
    pub exclude_empty_specs: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ImporterList {
    pub importers: Vec<ImporterView>,
}

pub fn view(state: &AppState, row: ImporterRow) -> ImporterView {
    let mut extras = json!({
        "createdAt": format_ms(row.created_at),
        "modifiedAt": format_ms(row.updated_at),
        "nextRunAt": row.next_run_at.map(format_ms),
        "triggerPending": row.trigger_requested_at.is_some(),
        "lastRunCounts": row.last_run_counts,
    });
    state.runtime_extras(&row.id, &mut extras);
    ImporterView {
        importer_id: row.id,
        name: row.name,
        kind: row.kind,
        status: row.status,
        update_frequency: row.update_frequency,
        last_run_date: row.last_run_at.map(format_ms),
        last_run_fail_reason: row.last_run_fail_reason,
        sync_status: row.sync_status,
        parameters: mask_parameters(&row.parameters),
        extras: Some(extras),
        exclude_empty_specs: row.exclude_empty_specs,
    }
}

pub(crate) fn to_spec(
    env: &apihub_connectors::Environment,
    req: ImporterRequest,
) -> Result<ImporterSpec, ApiError> {
    let spec = ImporterSpec::validate(
        &req.name,
        req.kind,
        req.status,
        req.update_frequency,
        req.parameters,
        req.exclude_empty_specs,
    )?;
    if let Some(kind) = spec.kind {
        apihub_connectors::validate_parameters(kind, &spec.parameters, env)?;
    }
    Ok(spec)
}

/// Fills in the secrets the type generates when `spec` leaves them out: the stored
/// one is kept (as the mask) when `previous` of the same type has it, otherwise a
/// new one is made. Returns the new ones, shown in clear once.
fn fill_generated(
    spec: &mut ImporterSpec,
    previous: Option<&ImporterRow>,
) -> Vec<(String, String)> {
    let Some(d) = spec.kind.and_then(apihub_connectors::descriptor) else {
        return Vec::new();
    };
    let mut shown = Vec::new();
    for name in d.generated {
        if !spec.parameters.is_object() {
            spec.parameters = json!({});
        }
        if spec.parameters.get(*name).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let kept = previous
            .filter(|p| p.kind == spec.kind)
            .is_some_and(|p| crate::secrets::has_sealed(&p.parameters, name));
        let value = if kept {
            crate::secrets::MASK.to_owned()
        } else {
            let token = crate::secrets::random_token();
            shown.push(((*name).to_owned(), token.clone()));
            token
        };
        spec.parameters[*name] = Value::String(value);
    }
    shown
}

/// The view with the secrets generated by this request in clear.
fn reveal(mut view: ImporterView, generated: Vec<(String, String)>) -> ImporterView {
    for (name, value) in generated {
        view.parameters[name] = Value::String(value);
    }
    view
}

fn secret_error(e: SecretError) -> StoreError {
    match e {
        SecretError::Field(f) => StoreError::Field(f),
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// List all importers.
#[utoipa::path(get, path = "", tag = "Importers",
    responses((status = 200, description = "Every importer", body = ImporterList)))]
pub(crate) async fn list_importers(
    State(state): State<AppState>,
) -> Result<Json<ImporterList>, ApiError> {
    let rows = state.store.list_importers().await?;
    Ok(Json(ImporterList {
        importers: rows.into_iter().map(|r| view(&state, r)).collect(),
    }))
}

/// Create an importer. Returns HTTP 200 with the new importer (its `importerId`).
#[utoipa::path(post, path = "", tag = "Importers", request_body = ImporterRequest,
    responses((status = 200, description = "Created", body = ImporterView),
              (status = 400, description = "Invalid input", body = ErrorEnvelope),
              (status = 409, description = "Name already used", body = ErrorEnvelope),
              (status = 413, description = "Body too large", body = ErrorEnvelope),
              (status = 415, description = "Not JSON", body = ErrorEnvelope)))]
async fn create_importer(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ImporterRequest>,
) -> Result<Json<ImporterView>, ApiError> {
    let spec = to_spec(&state.env, req)?;
    Ok(Json(create(&state, spec, None).await?))
}

/// Creates an importer (through the API, or declared as code when `managed`).
pub(crate) async fn create(
    state: &AppState,
    mut spec: ImporterSpec,
    managed: Option<Managed>,
) -> Result<ImporterView, ApiError> {
    let generated = fill_generated(&mut spec, None);
    let id = uuid::Uuid::now_v7().to_string();
    let parameters = state
        .cipher
        .seal_parameters(&id, Rules::of(spec.kind), &spec.parameters, None)
        .map_err(|e| ApiError::from(secret_error(e)))?;
    let row = state
        .store
        .create_importer(
            id,
            new_importer(spec, parameters, managed),
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(importer = %row.id, name = %row.name, "Importer created.");
    state.scheduler.changed(&row.id);
    Ok(reveal(view(state, row), generated))
}

fn new_importer(spec: ImporterSpec, parameters: Value, managed: Option<Managed>) -> NewImporter {
    NewImporter {
        name: spec.name,
        kind: spec.kind,
        status: spec.status,
        update_frequency: spec.update_frequency,
        parameters,
        exclude_empty_specs: spec.exclude_empty_specs,
        managed,
    }
}

/// The 409 a change through the API of an importer declared as code gets.
fn declared_elsewhere(row: &ImporterRow) -> Result<(), ApiError> {
    match &row.managed {
        Some(m) => Err(ApiError::conflict(format!(
            "importer `{}` is declared in {}; change or remove it there",
            row.name, m.declared_in
        ))),
        None => Ok(()),
    }
}

/// Get one importer.
#[utoipa::path(get, path = "/{importerId}", tag = "Importers",
    params(("importerId" = String, Path, description = "Importer id")),
    responses((status = 200, description = "The importer", body = ImporterView),
              (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub(crate) async fn get_importer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ImporterView>, ApiError> {
    match state.store.get_importer(&id).await? {
        Some(row) => Ok(Json(view(&state, row))),
        None => Err(ApiError::not_found("importer", &id)),
    }
}

/// Configure an importer: replaces its settings (same rules as create). Secret
/// parameters sent as `********` keep their stored value. A new frequency or status
/// takes effect at once.
#[utoipa::path(put, path = "/{importerId}", tag = "Importers", request_body = ImporterRequest,
    params(("importerId" = String, Path, description = "Importer id")),
    responses((status = 200, description = "Updated", body = ImporterView),
              (status = 400, description = "Invalid input", body = ErrorEnvelope),
              (status = 404, description = "Unknown id", body = ErrorEnvelope),
              (status = 409, description = "Name already used, or the importer is declared as code (change it where it is declared)", body = ErrorEnvelope)))]
async fn configure_importer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ImporterRequest>,
) -> Result<Json<ImporterView>, ApiError> {
    let spec = to_spec(&state.env, req)?;
    let previous = state.store.get_importer(&id).await?;
    if let Some(row) = &previous {
        declared_elsewhere(row)?;
    }
    Ok(Json(configure(&state, id, spec, previous, None).await?))
}

/// Replaces an importer's settings (through the API, or declared as code when
/// `managed`); `previous` is the importer as read before, if it exists.
pub(crate) async fn configure(
    state: &AppState,
    id: String,
    mut spec: ImporterSpec,
    previous: Option<ImporterRow>,
    managed: Option<Managed>,
) -> Result<ImporterView, ApiError> {
    let generated = fill_generated(&mut spec, previous.as_ref());
    let cipher = state.cipher.clone();
    let owner = id.clone();
    let input = spec.parameters.clone();
    let kind = spec.kind;
    let seal = move |previous: &ImporterRow| {
        // Kept secrets belong to the platform they were given for.
        if previous.kind != kind
            && let Some(field) =
                crate::secrets::first_mask(Rules::of(kind), &input, "parameters", 0)
        {
            return Err(FieldError::new(
                field,
                "the importer's type changed, so this secret must be sent again",
            )
            .into());
        }
        cipher
            .seal_parameters(&owner, Rules::of(kind), &input, Some(&previous.parameters))
            .map_err(secret_error)
    };
    let row = state
        .store
        .configure_importer(
            id.clone(),
            new_importer(spec, Value::Null, managed),
            seal,
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(importer = %row.id, "Importer configured.");
    state.scheduler.changed(&row.id);
    Ok(reveal(view(state, row), generated))
}

/// Delete an importer. Definitions it imported stay in the inventory.
#[utoipa::path(delete, path = "/{importerId}", tag = "Importers",
    params(("importerId" = String, Path, description = "Importer id")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "Unknown id", body = ErrorEnvelope),
              (status = 409, description = "The importer is declared as code (remove it where it is declared)", body = ErrorEnvelope)))]
async fn delete_importer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if let Some(row) = state.store.get_importer(&id).await? {
        declared_elsewhere(&row)?;
    }
    if !delete(&state, &id).await? {
        return Err(ApiError::not_found("importer", &id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an importer; false when there is none with that id.
pub(crate) async fn delete(state: &AppState, id: &str) -> Result<bool, ApiError> {
    if !state.store.delete_importer(id).await? {
        return Ok(false);
    }
    tracing::info!(importer = %id, "Importer deleted.");
    state.scheduler.deleted(id);
    Ok(true)
}

/// Run an importer now. A trigger during a run queues exactly one more run.
#[utoipa::path(post, path = "/{importerId}/trigger", tag = "Importers",
    params(("importerId" = String, Path, description = "Importer id")),
    responses((status = 204, description = "Run requested"),
              (status = 404, description = "Unknown id", body = ErrorEnvelope),
              (status = 409, description = "Importer is pending or has no type", body = ErrorEnvelope)))]
pub(crate) async fn trigger_importer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = state
        .store
        .get_importer(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("importer", &id))?;
    crate::importer::runnable(row.kind, row.status).map_err(ApiError::conflict)?;
    if !state
        .store
        .request_trigger(&id, state.clock.now_ms())
        .await?
    {
        return Err(ApiError::not_found("importer", &id));
    }
    state.scheduler.triggered(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// The result of a connection check.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// True when the platform accepted the credentials and answered.
    pub ok: bool,
    /// `config`, `auth`, `transient` or `protocol` when not ok.
    pub kind: Option<String>,
    /// What went wrong, for humans (no secrets).
    pub message: Option<String>,
}

/// Check an importer's connection: one cheap call to the platform with its
/// credentials, no sync. Answers 200 either way; `ok` says how it went.
#[utoipa::path(post, path = "/{importerId}/check", tag = "Importers",
    params(("importerId" = String, Path, description = "Importer id")),
    responses((status = 200, description = "How the check went", body = CheckResult),
              (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub(crate) async fn check_importer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CheckResult>, ApiError> {
    let row = state
        .store
        .get_importer(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("importer", &id))?;
    let result = crate::sync::check_connection(state.scheduler.context(), &row).await;
    Ok(Json(match result {
        Ok(()) => CheckResult {
            ok: true,
            kind: None,
            message: None,
        },
        Err(e) => CheckResult {
            ok: false,
            kind: Some(e.kind.as_str().into()),
            message: Some(e.message),
        },
    }))
}
