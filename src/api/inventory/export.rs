//! `POST /export`: targets or operations as a CSV, JSON or XML download. Rows are
//! written on the database thread into 64 KiB chunks that flow through a bounded
//! channel into the response body, so memory stays flat whatever the row count, and
//! a client that goes away stops the query.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::inventory::export::{ExportFormat, ExportType, Record, Writer, csv_by_pointers};
use crate::inventory::filter::{
    ExportFilter, parse_count_filter, parse_formats, parse_time_filter,
};
use crate::store::ExportRow;
use crate::store::appsec::ValueSink;
use crate::store::export::RowSink;

const CHUNK: usize = 64 * 1024;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExportRequest {
    /// `targets` or `operations`.
    export_type: ExportType,
    /// `csv`, `json` or `xml`.
    format: ExportFormat,
}

/// The optional filters; see the README for the comparison syntax. The date
/// patterns document a subset (days 01-28 of 1900-2099, so every match is a real
/// date); the other valid dates and RFC 3339 times are accepted too.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Comma-separated formats, e.g. `Openapi3,Graphql` (any letter case).
    #[param(
        pattern = r"^(?i:openapi3|openapi2|genericapi|graphql|grpc|raml|wsdl|wadl)(,(?i:openapi3|openapi2|genericapi|graphql|grpc|raml|wsdl|wadl))*$"
    )]
    definition_format: Option<String>,
    /// Last scan date: `2025-11-15` (that whole UTC day), `>=2025-11-01`,
    /// `2025-11-01..2025-11-30` (both days included; a reversed range matches
    /// nothing). An RFC 3339 time is accepted too.
    #[param(
        pattern = r"^((=|>=|<=|>|<)?(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])\.\.(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))$"
    )]
    scan_date: Option<String>,
    /// `10`, `>5`, `<=100`, `1..20` (inclusive; a reversed range matches nothing).
    #[param(pattern = r"^((=|>=|<=|>|<)?-?[0-9]{1,15}|-?[0-9]{1,15}\.\.-?[0-9]{1,15})$")]
    operations_count: Option<String>,
    /// Like `scanDate`, on the creation time.
    #[param(
        pattern = r"^((=|>=|<=|>|<)?(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])\.\.(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))$"
    )]
    created_at: Option<String>,
    /// Like `scanDate`, on the last modification time.
    #[param(
        pattern = r"^((=|>=|<=|>|<)?(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])\.\.(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))$"
    )]
    modified_at: Option<String>,
}

fn filter(p: &ExportParams) -> Result<ExportFilter, ApiError> {
    let time = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(|raw| parse_time_filter(field, raw))
            .transpose()
    };
    Ok(ExportFilter {
        formats: p
            .definition_format
            .as_deref()
            .map(parse_formats)
            .transpose()?,
        operations_count: p
            .operations_count
            .as_deref()
            .map(|raw| parse_count_filter("operationsCount", raw))
            .transpose()?,
        created_at: time("createdAt", &p.created_at)?,
        modified_at: time("modifiedAt", &p.modified_at)?,
        scan_date: time("scanDate", &p.scan_date)?,
    })
}

/// Sends the writer's output in chunks; a closed channel means the client left.
pub(crate) struct ChannelSink {
    writer: Writer,
    /// The CSV columns of exported objects, as JSON pointers (seed 002).
    pointers: &'static [&'static str],
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChannelSink {
    fn flush(&mut self) -> bool {
        let chunk = std::mem::take(&mut self.writer.buf);
        chunk.is_empty() || self.tx.blocking_send(Ok(Bytes::from(chunk))).is_ok()
    }

    /// After a row: send a full chunk; `false` when the client left.
    fn written(&mut self) -> bool {
        self.writer.buf.len() < CHUNK || self.flush()
    }
}

impl RowSink for ChannelSink {
    fn row(&mut self, row: ExportRow) -> bool {
        self.writer.write(&Record::from(row));
        self.written()
    }

    fn finish(mut self) {
        self.writer.finish();
        self.flush();
    }
}

impl ValueSink for ChannelSink {
    fn row(&mut self, object: serde_json::Value) -> bool {
        let pointers = self.pointers;
        self.writer
            .write_value(&object, || csv_by_pointers(&object, pointers));
        self.written()
    }

    fn finish(mut self) {
        self.writer.finish();
        self.flush();
    }
}

/// The download of what `run` writes into its sink, as `file`: headers first,
/// then rows as the database yields them. A failure midway cuts the download
/// short (the status is already sent) and is logged.
pub(crate) fn download<F, Fut>(
    writer: Writer,
    pointers: &'static [&'static str],
    format: ExportFormat,
    file: String,
    run: F,
) -> Response
where
    F: FnOnce(ChannelSink) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<u64, crate::store::StoreError>> + Send,
{
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let sink = ChannelSink {
        writer,
        pointers,
        tx: tx.clone(),
    };
    let name = file.clone();
    tokio::spawn(async move {
        match run(sink).await {
            Ok(rows) => tracing::info!(rows, file = %name, "Export finished."),
            Err(e) => {
                tracing::error!(error = %e, "Export failed midway; the download is cut short.");
                let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// A JSON export: an array of objects shaped as the list shows them.
#[derive(ToSchema)]
#[schema(value_type = Vec<Object>)]
#[allow(dead_code)] // documentation only
struct ExportJson(Vec<serde_json::Value>);

/// Export targets or operations as a file download.
#[utoipa::path(post, path = "/export", tag = "Export", request_body = ExportRequest, params(ExportParams),
    responses((status = 200, description = "The file (Content-Disposition: attachment)",
        content((String = "text/csv"), (ExportJson = "application/json"), (String = "application/xml"))),
              (status = 400, description = "Bad exportType, format or filter", body = ErrorEnvelope)))]
pub async fn export(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ExportParams>,
    ApiJson(req): ApiJson<ExportRequest>,
) -> Result<Response, ApiError> {
    let filter = filter(&p)?;
    let store = state.store.clone();
    let kind = req.export_type;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let file = format!("api-{}-{stamp}.{}", req.export_type, req.format);
    Ok(download(
        Writer::new(req.format, kind),
        &[],
        req.format,
        file,
        move |sink| async move { store.export(kind, filter, sink).await },
    ))
}
