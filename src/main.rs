use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    apihub_importer::cli::run(apihub_importer::cli::Cli::parse()).await
}
