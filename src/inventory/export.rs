//! Export writers: targets or operations as CSV, JSON or XML, written row by row
//! into chunks so that a download of any size streams in flat memory.
//!
//! - CSV: a header row, then one row per record (RFC 4180 quoting); list fields
//!   (`alternativeUrls`) are joined with a space.
//! - JSON: one array of objects shaped as the list endpoint shows them.
//! - XML: `<targets><target>…</target></targets>` (or `operations`/`operation`);
//!   each field is an element, lists repeat `<item>`, `null` is an empty element
//!   with `nil="true"`.

use serde_json::Value;

use crate::inventory::{OperationView, TargetView};
use apihub_connectors::wire_enum;

wire_enum! {
    pub enum ExportFormat {
        Csv => "csv",
        Json => "json",
        Xml => "xml",
    }
}

wire_enum! {
    pub enum ExportType {
        Targets => "targets",
        Operations => "operations",
    }
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Xml => "application/xml; charset=utf-8",
        }
    }
}

/// An operation with the target it belongs to, for operation exports.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetOperation {
    pub api_target_id: String,
    pub api_target_name: String,
    #[serde(flatten)]
    pub operation: OperationView,
}

/// A record to export.
pub enum Record {
    Target(TargetView),
    Operation(TargetOperation),
}

const TARGET_COLUMNS: &[&str] = &[
    "id",
    "name",
    "description",
    "definitionFormat",
    "operationsCount",
    "alternativeUrls",
    "createdAt",
    "modifiedAt",
    "lastScanned",
    "lastScanStatus",
    "isHidden",
    "vulnerabilityCritical",
    "vulnerabilityHigh",
    "vulnerabilityMedium",
    "vulnerabilityLow",
    "vulnerabilityInfo",
    "apiCredentialId",
    "definitionIds",
    "linkCount",
];
const OPERATION_COLUMNS: &[&str] = &[
    "id",
    "apiTargetId",
    "apiTargetName",
    "type",
    "endpoint",
    "name",
    "excludeOperation",
    "lastScanned",
    "lastUpdate",
    "sourceMode",
    "sourceOrigin",
];

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn csv_fields(record: &Record) -> Vec<String> {
    match record {
        Record::Target(t) => {
            let v = t.vulnerability_counts;
            let count = |f: fn(&crate::inventory::VulnerabilityCounts) -> u32| {
                v.as_ref().map(|c| f(c).to_string()).unwrap_or_default()
            };
            vec![
                t.id.clone(),
                t.name.clone(),
                opt(&t.description),
                t.definition_format.clone(),
                t.operations_count.to_string(),
                t.alternative_urls.join(" "),
                t.created_at.clone(),
                t.modified_at.clone(),
                opt(&t.last_scanned),
                opt(&t.last_scan_status),
                t.is_hidden.to_string(),
                count(|c| c.critical),
                count(|c| c.high),
                count(|c| c.medium),
                count(|c| c.low),
                count(|c| c.info),
                opt(&t.api_credential_id),
                t.definitions
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                t.links.len().to_string(),
            ]
        }
        Record::Operation(o) => vec![
            o.operation.id.clone(),
            o.api_target_id.clone(),
            o.api_target_name.clone(),
            o.operation.kind.clone(),
            o.operation.endpoint.clone(),
            o.operation.name.clone(),
            o.operation.exclude_operation.to_string(),
            opt(&o.operation.last_scanned),
            o.operation.last_update.clone(),
            o.operation.source.mode.to_string(),
            o.operation.source.origin.clone(),
        ],
    }
}

fn to_json(record: &Record) -> Value {
    match record {
        Record::Target(t) => serde_json::to_value(t),
        Record::Operation(o) => serde_json::to_value(o),
    }
    .unwrap_or(Value::Null)
}

fn xml_value(out: &mut String, name: &str, v: &Value) {
    match v {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str(" nil=\"true\"/>");
        }
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            for item in items {
                xml_value(out, "item", item);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                xml_value(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => out.push_str(&format!(
            "<{name}>{}</{name}>",
            quick_xml::escape::escape(s.as_str())
        )),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .buffer_capacity(1024)
        .from_writer(Vec::new())
}

/// The CSV fields of a JSON record, one per JSON pointer: `null` or absent is
/// empty, a list is joined with a space, anything else is its text.
pub fn csv_by_pointers(v: &Value, pointers: &[&str]) -> Vec<String> {
    pointers
        .iter()
        .map(|p| match v.pointer(p) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
            Some(other) => other.to_string(),
        })
        .collect()
}

/// Turns records into bytes in the chosen format.
pub struct Writer {
    format: ExportFormat,
    /// The XML root and item elements.
    root: &'static str,
    item: &'static str,
    rows: u64,
    csv: csv::Writer<Vec<u8>>,
    pub buf: Vec<u8>,
}

impl Writer {
    /// A writer of seed 001 targets or operations.
    pub fn new(format: ExportFormat, kind: ExportType) -> Writer {
        let (columns, item) = if kind == ExportType::Targets {
            (TARGET_COLUMNS, "target")
        } else {
            (OPERATION_COLUMNS, "operation")
        };
        Self::shaped(format, columns, kind.as_str(), item)
    }

    /// A writer of any records: `columns` head the CSV; XML is
    /// `<root><item>…</item></root>`.
    pub fn shaped(
        format: ExportFormat,
        columns: &[&str],
        root: &'static str,
        item: &'static str,
    ) -> Writer {
        let mut w = Writer {
            format,
            root,
            item,
            rows: 0,
            csv: csv_writer(),
            buf: Vec::new(),
        };
        match format {
            ExportFormat::Csv => {
                let _ = w.csv.write_record(columns);
                w.drain_csv();
            }
            ExportFormat::Json => w.buf.push(b'['),
            ExportFormat::Xml => {
                w.buf
                    .extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
                w.buf.extend_from_slice(root.as_bytes());
                w.buf.push(b'>');
            }
        }
        w
    }

    fn drain_csv(&mut self) {
        let full = std::mem::replace(&mut self.csv, csv_writer());
        if let Ok(mut bytes) = full.into_inner() {
            self.buf.append(&mut bytes);
        }
    }

    pub fn write(&mut self, record: &Record) {
        self.write_value(&to_json(record), || csv_fields(record));
    }

    /// Writes one record: `json` as JSON and XML, `csv` (asked only for CSV) as a
    /// row.
    pub fn write_value(&mut self, json: &Value, csv: impl FnOnce() -> Vec<String>) {
        match self.format {
            ExportFormat::Csv => {
                let _ = self.csv.write_record(csv());
                self.drain_csv();
            }
            ExportFormat::Json => {
                if self.rows > 0 {
                    self.buf.push(b',');
                }
                let _ = serde_json::to_writer(&mut self.buf, json);
            }
            ExportFormat::Xml => {
                let mut s = String::new();
                xml_value(&mut s, self.item, json);
                self.buf.extend_from_slice(s.as_bytes());
            }
        }
        self.rows += 1;
    }

    pub fn finish(&mut self) {
        match self.format {
            ExportFormat::Csv => {}
            ExportFormat::Json => self.buf.push(b']'),
            ExportFormat::Xml => {
                self.buf.extend_from_slice(b"</");
                self.buf.extend_from_slice(self.root.as_bytes());
                self.buf.extend_from_slice(b">\n");
            }
        }
    }
}
