//! The store's records as seed 001 shows them: RFC 3339 times, and the daemon's
//! `apihub.*` annotations (which importer wrote a target, under which source key,
//! since when the source no longer lists it) after the users' own.

use crate::clock::format_ms;
use crate::inventory::export::TargetOperation;
use crate::inventory::{
    Annotation, DefinitionView, LinkView, OperationView, TargetDetail, TargetPage, TargetView,
};
use crate::store::{
    DefinitionRecord, ExportRow, LinkRecord, OperationRecord, TargetRecord, TargetRecords,
    TargetWithOperations,
};

use super::export::Record;

impl From<DefinitionRecord> for DefinitionView {
    fn from(d: DefinitionRecord) -> Self {
        DefinitionView {
            id: d.id,
            source: d.source,
            format: d.format,
            name: d.name,
            url: d.url,
            source_name: d.source_name,
        }
    }
}

impl From<LinkRecord> for LinkView {
    fn from(l: LinkRecord) -> Self {
        LinkView {
            id: l.id,
            api_target_id: l.target_id,
            base_url: l.base_url,
            remote_target_id: l.remote_target_id,
            remote_target_display_name: l.remote_target_display_name,
            remote_target_additional_info: l.remote_target_additional_info,
            remote_target_scan_profile: l.remote_target_scan_profile,
            remote_target_extra: l.remote_target_extra,
            created_at: format_ms(l.created_at),
        }
    }
}

impl From<TargetRecord> for TargetView {
    fn from(t: TargetRecord) -> Self {
        let mut annotations = t.annotations;
        let system = [
            ("apihub.importerId", t.importer_id),
            ("apihub.externalKey", t.external_key),
            ("apihub.missingSince", t.missing_since.map(format_ms)),
        ];
        for (key, value) in system {
            if let Some(value) = value {
                annotations.push(Annotation {
                    key: key.into(),
                    value,
                });
            }
        }
        for (key, value) in t.source_annotations {
            annotations.push(Annotation {
                key: format!("apihub.{key}"),
                value,
            });
        }
        TargetView {
            id: t.id,
            name: t.name,
            description: t.description,
            alternative_urls: t.alternative_urls,
            definitions: t.definitions.into_iter().map(Into::into).collect(),
            definition_format: t.definition_format,
            created_at: format_ms(t.created_at),
            modified_at: format_ms(t.modified_at),
            last_scanned: t.last_scanned.map(format_ms),
            last_scan_status: t.last_scan_status,
            operations_count: t.operations_count,
            is_hidden: t.is_hidden,
            vulnerability_counts: t.vulnerability_counts,
            links: t.links.into_iter().map(Into::into).collect(),
            annotations,
            api_credential_id: t.api_credential_id,
        }
    }
}

impl From<OperationRecord> for OperationView {
    fn from(o: OperationRecord) -> Self {
        let mut annotations = o.annotations;
        annotations.extend(
            o.source_annotations
                .into_iter()
                .map(|(key, value)| Annotation {
                    key: format!("apihub.{key}"),
                    value,
                }),
        );
        OperationView {
            id: o.id,
            kind: o.kind,
            endpoint: o.endpoint,
            name: o.name,
            last_scanned: o.last_scanned.map(format_ms),
            last_update: format_ms(o.last_update),
            exclude_operation: o.exclude_operation,
            source: o.source,
            vulnerability_counts: o.vulnerability_counts,
            annotations,
        }
    }
}

impl From<TargetWithOperations> for TargetDetail {
    fn from(d: TargetWithOperations) -> Self {
        TargetDetail {
            target: d.target.into(),
            operations: d.operations.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<TargetRecords> for TargetPage {
    fn from(p: TargetRecords) -> Self {
        TargetPage {
            targets: p.targets.into_iter().map(Into::into).collect(),
            total_count: p.total_count,
            next_page: p.next_page,
            previous_page: p.previous_page,
        }
    }
}

impl From<ExportRow> for Record {
    fn from(row: ExportRow) -> Self {
        match row {
            ExportRow::Target(t) => Record::Target(t.into()),
            ExportRow::Operation {
                target_id,
                target_name,
                operation,
            } => Record::Operation(TargetOperation {
                api_target_id: target_id,
                api_target_name: target_name,
                operation: operation.into(),
            }),
        }
    }
}
