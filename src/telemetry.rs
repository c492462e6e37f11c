//! Logging setup: `tracing` to stderr, pretty for terminals or JSON for collectors.
//! `RUST_LOG` overrides the configured level.
//!
//! The AWS SDK's own debug logs describe signed requests (a session token travels
//! in a header), so its crates stay at `info` unless a filter names them.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

const QUIET: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_sigv4",
    "aws_config",
    "aws_runtime",
];

/// The filter: `RUST_LOG`, else the configured level, with the SDK kept quiet.
fn filter(settings: &LogSettings) -> EnvFilter {
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| settings.level.clone());
    let mut filter = EnvFilter::try_new(&spec).unwrap_or_else(|_| EnvFilter::new("info"));
    if !spec.contains("aws_") {
        for krate in QUIET {
            if let Ok(d) = format!("{krate}=info").parse() {
                filter = filter.add_directive(d);
            }
        }
    }
    filter
}

/// Colours only for a person at a terminal, and never with `NO_COLOR` set
/// (no-color.org): a journal or a file gets plain text.
fn ansi() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn init(settings: &LogSettings) {
    let filter = filter(settings);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi())
        .with_writer(std::io::stderr);
    // A second init (tests that start several apps) is harmless; ignore it.
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
