//! Export queries: every target (or operation) matching the filters, in creation
//! order, handed to a sink row by row on the database thread, in one read
//! transaction (a consistent snapshot).

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;

use super::targets::records::{TARGET_COLUMNS, attach, operation_from_row, target_from_row};
use super::{OperationRecord, Store, StoreError, TargetRecord};
use crate::inventory::filter::ExportFilter;

pub use crate::inventory::export::ExportType as ExportKind;

/// One exported row: a target, or an operation with the target it belongs to.
#[derive(Debug, Clone)]
pub enum ExportRow {
    Target(TargetRecord),
    Operation {
        target_id: String,
        target_name: String,
        operation: OperationRecord,
    },
}

/// Receives rows; returning `false` stops the export (the client went away).
pub trait RowSink: Send + 'static {
    fn row(&mut self, row: ExportRow) -> bool;
    fn finish(self);
}

/// Targets go to the sink in batches of this many (definitions and links are
/// fetched per batch).
const BATCH: usize = 256;

fn where_clause(f: &ExportFilter, alias: &str) -> (String, Vec<SqlValue>) {
    let mut parts = vec!["1".to_owned()];
    let mut args: Vec<SqlValue> = Vec::new();
    let bind = |args: &mut Vec<SqlValue>, v: SqlValue| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(formats) = &f.formats {
        let marks: Vec<String> = formats
            .iter()
            .map(|fmt| bind(&mut args, fmt.as_str().to_owned().into()))
            .collect();
        parts.push(format!("{alias}definition_format IN ({})", marks.join(",")));
    }
    if let Some(r) = f.operations_count {
        if let Some(min) = r.min {
            parts.push(format!(
                "{alias}operations_count >= {}",
                bind(&mut args, min.into())
            ));
        }
        if let Some(max) = r.max {
            parts.push(format!(
                "{alias}operations_count <= {}",
                bind(&mut args, max.into())
            ));
        }
    }
    for (col, range) in [
        ("created_at", f.created_at),
        ("modified_at", f.modified_at),
        ("last_scanned", f.scan_date),
    ] {
        let Some(r) = range else { continue };
        parts.push(format!("{alias}{col} IS NOT NULL"));
        if let Some(from) = r.from {
            parts.push(format!("{alias}{col} >= {}", bind(&mut args, from.into())));
        }
        if let Some(to) = r.to {
            parts.push(format!("{alias}{col} < {}", bind(&mut args, to.into())));
        }
    }
    (parts.join(" AND "), args)
}

impl Store {
    /// Streams every matching record to `sink`; returns how many were written.
    pub async fn export<S: RowSink>(
        &self,
        kind: ExportKind,
        filter: ExportFilter,
        mut sink: S,
    ) -> Result<u64, StoreError> {
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            let n = match kind {
                ExportKind::Targets => export_targets(&tx, &filter, &mut sink)?,
                ExportKind::Operations => export_operations(&tx, &filter, &mut sink)?,
            };
            sink.finish();
            Ok(n)
        })
        .await
    }
}

fn export_targets(
    c: &rusqlite::Connection,
    f: &ExportFilter,
    sink: &mut impl RowSink,
) -> Result<u64, StoreError> {
    let (where_, args) = where_clause(f, "");
    let mut stmt = c.prepare(&format!(
        "SELECT {TARGET_COLUMNS} FROM api_targets WHERE {where_} ORDER BY created_at, id"
    ))?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut n = 0u64;
    let mut done = false;
    while !done {
        match rows.next()? {
            Some(r) => batch.push(target_from_row(r)?),
            None => done = true,
        }
        if batch.len() == BATCH || (done && !batch.is_empty()) {
            attach(c, &mut batch)?;
            for t in batch.drain(..) {
                n += 1;
                if !sink.row(ExportRow::Target(t)) {
                    return Ok(n);
                }
            }
        }
    }
    Ok(n)
}

fn export_operations(
    c: &rusqlite::Connection,
    f: &ExportFilter,
    sink: &mut impl RowSink,
) -> Result<u64, StoreError> {
    let (where_, args) = where_clause(f, "t.");
    let mut stmt = c.prepare(&format!(
        "SELECT o.id, o.type, o.endpoint, o.name, o.last_scanned, o.last_update, o.exclude_operation,          o.source_mode, o.source_origin, o.vuln_critical, o.vuln_high, o.vuln_medium, o.vuln_low, o.vuln_info,          o.position, o.annotations, o.source_annotations, t.id, t.name FROM operations o JOIN api_targets t ON t.id = o.target_id          WHERE {where_} ORDER BY t.created_at, t.id, o.position"
    ))?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let row = ExportRow::Operation {
            operation: operation_from_row(r)?,
            target_id: r.get(17)?,
            target_name: r.get(18)?,
        };
        n += 1;
        if !sink.row(row) {
            break;
        }
    }
    Ok(n)
}
