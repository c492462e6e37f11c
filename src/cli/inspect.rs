//! `apihub-importer inspect <file>`: what the normalizer makes of a definition,
//! as JSON for users and scripts. Exits non-zero with the reason for input it
//! rejects, and for a definition it reads but finds invalid (the summary is still
//! printed, so a CI step can show what is wrong).

use std::io::Read;
use std::path::{Path, PathBuf};

use apihub_connectors::DefinitionFormat;
use apihub_connectors::normalize::{Hints, NormalizedDefinition, Severity, normalize};
use serde_json::{Value, json};

pub fn run(config: Option<PathBuf>, file: &Path, format: Option<&str>) -> anyhow::Result<()> {
    let settings = crate::cli::load(config)?;
    let declared = format
        .map(str::parse::<DefinitionFormat>)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--format: {e}"))?;
    let limits = settings.normalize.limits();
    let bytes = if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(limits.max_input_bytes as u64 + 1)
            .read_to_end(&mut buf)?;
        buf
    } else {
        std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
    };
    let hints = Hints {
        declared,
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        ..Hints::default()
    };
    let normalized = normalize(bytes, &hints, &limits)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    println!("{}", serde_json::to_string_pretty(&summary(&normalized))?);
    if !normalized.valid() {
        let errors = normalized
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        anyhow::bail!(
            "{}: not a valid definition ({errors} error{} in `warnings`)",
            file.display(),
            if errors == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// The summary `inspect` prints.
pub fn summary(n: &NormalizedDefinition) -> Value {
    json!({
        "format": n.format,
        "specVersion": n.spec_version,
        "title": n.title,
        "version": n.version,
        "description": n.description,
        "servers": n.servers,
        "operationsCount": n.operations_count(),
        "operations": n.operations,
        "webhooks": n.webhooks,
        "hash": n.hash,
        "valid": n.valid(),
        "warnings": n.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}
