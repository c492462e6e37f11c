//! The command line. `serve` runs the daemon; `validate` checks a config file (used
//! by systemd's `ExecStartPre`); `importers ...` manage a running daemon over HTTP.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reqwest::Method;
use serde_json::Value;

mod admin;
mod client;
mod declared;
mod inspect;
mod sync;

use crate::app::{App, shutdown_signal};
use crate::config::{Settings, Sources};
use client::Client;

/// `0.1.0 (commit 1a2b3c4d5e6f, built 2026-12-03)`.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("APIHUB_GIT_COMMIT"),
    ", built ",
    env!("APIHUB_BUILD_DATE"),
    ")"
);

#[derive(Parser, Debug)]
#[command(
    name = "apihub-importer",
    version = LONG_VERSION,
    about = "Pulls API definitions out of API gateways into an API Hub inventory."
)]
pub struct Cli {
    /// Config file (default: config/apihub-importer.yaml when it exists).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the daemon: HTTP API, embedded inventory and scheduler.
    Serve,
    /// Check a config file and exit non-zero with the problem when it is wrong.
    Validate,
    /// Print the version.
    Version,
    /// Run one sync of an importer in the foreground and print what it did.
    Sync {
        /// The importer's id or name.
        #[arg(long)]
        importer: String,
    },
    /// Normalize an API definition file and print its summary as JSON.
    Inspect {
        /// The definition file (`-` for standard input).
        file: PathBuf,
        /// The format it must be (openapi3, openapi2, graphql, grpc, raml,
        /// genericapi, wsdl, wadl); default: detected from the content.
        #[arg(long)]
        format: Option<String>,
    },
    /// Manage importers of a running daemon over its HTTP API.
    Importers {
        /// Base URL of the daemon.
        #[arg(
            long,
            env = "APIHUB_URL",
            default_value = "http://127.0.0.1:8080",
            global = true
        )]
        url: String,
        /// API token (sent as `Authorization: Bearer`).
        #[arg(long, env = "APIHUB_TOKEN", hide_env_values = true, global = true)]
        token: Option<String>,
        /// How to print results: tables on a terminal and JSON otherwise (`auto`),
        /// or always one of them.
        #[arg(long, short = 'o', value_enum, default_value = "auto", global = true)]
        output: admin::Output,
        #[command(subcommand)]
        action: ImporterAction,
    },
    /// Print a shell completion script (`source <(apihub-importer completions bash)`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these definitions.
    Man,
}

#[derive(Subcommand, Debug)]
pub enum ImporterAction {
    /// List importers: name, type, status, schedule, last run and its result.
    List,
    /// Show one importer (by id or name).
    Get { importer: String },
    /// Create an importer from a JSON body (seed 000 shape).
    Create {
        /// The JSON body, or `@file` / `@-` to read it from a file or stdin.
        body: String,
    },
    /// Replace an importer's settings with a JSON body (as `PUT`; secrets sent as
    /// `********` keep their stored value).
    Update {
        /// The importer's id or name.
        importer: String,
        /// The JSON body, or `@file` / `@-`.
        body: String,
    },
    /// Run an importer now.
    Trigger {
        /// The importer's id or name.
        importer: String,
        /// Wait for the run, print its outcome, and exit non-zero when it failed.
        #[arg(long)]
        wait: bool,
        /// How long `--wait` waits, in seconds.
        #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
        timeout: u64,
    },
    /// An importer's runs, newest first.
    Runs {
        /// The importer's id or name.
        importer: String,
        /// How many runs (1-100).
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One cheap call to the importer's platform with its credentials; exits
    /// non-zero when it fails.
    Check { importer: String },
    /// Delete an importer (its inventory data stays).
    Delete { importer: String },
    /// Make the importers declared in a YAML file (a list of create request
    /// bodies), or in every `*.yaml` of a folder, exactly the daemon's importers of
    /// that file: creates, updates and deletes, then prints one line per importer.
    /// `${VAR}` and `file:PATH` in parameters are resolved here.
    Apply {
        /// The YAML file or folder.
        #[arg(short = 'f', long = "file", value_name = "FILE|DIR")]
        file: PathBuf,
    },
    /// Print the importers as YAML that `apply -f` takes (secrets as `${...}`).
    Export,
}

pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Version => {
            println!("apihub-importer {LONG_VERSION}");
            Ok(())
        }
        Command::Validate => validate(cli.config),
        Command::Inspect { file, format } => inspect::run(cli.config, &file, format.as_deref()),
        Command::Serve => serve(cli.config).await,
        Command::Sync { importer } => sync::run(cli.config, &importer).await,
        Command::Importers {
            url,
            token,
            output,
            action,
        } => importers(&url, token, output, action).await,
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "apihub-importer", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn load(config: Option<PathBuf>) -> anyhow::Result<Settings> {
    let sources = Sources::from_process(config.as_deref())?;
    Ok(Settings::load(&sources)?)
}

fn validate(config: Option<PathBuf>) -> anyhow::Result<()> {
    let sources = Sources::from_process(config.as_deref())?;
    let settings = Settings::load(&sources)?;
    crate::app::check_declared(&settings)?;
    let origin = sources
        .file
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "built-in defaults".into());
    println!("config OK: {origin}");
    Ok(())
}

async fn serve(config: Option<PathBuf>) -> anyhow::Result<()> {
    let settings = load(config)?;
    crate::telemetry::init(&settings.log);
    let app = App::build(settings).await?;
    app.run_until_stopped(shutdown_signal()).await
}

fn body_arg(body: String) -> anyhow::Result<Value> {
    let text = match body.strip_prefix('@') {
        Some("-") => std::io::read_to_string(std::io::stdin())?,
        Some(path) => std::fs::read_to_string(path)?,
        None => body,
    };
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("the body is not valid JSON: {e}"))
}

async fn importers(
    url: &str,
    token: Option<String>,
    output: admin::Output,
    action: ImporterAction,
) -> anyhow::Result<()> {
    let client = Client::new(url, token)?;
    let out = match action {
        ImporterAction::Apply { file } => return declared::apply(&client, &file).await,
        ImporterAction::Export => return declared::export(&client).await,
        ImporterAction::List => client.call(Method::GET, "", None).await?,
        ImporterAction::Get { importer } => {
            let id = admin::resolve(&client, &importer).await?;
            client.call(Method::GET, &format!("/{id}"), None).await?
        }
        ImporterAction::Create { body } => {
            client.call(Method::POST, "", Some(body_arg(body)?)).await?
        }
        ImporterAction::Update { importer, body } => {
            let body = body_arg(body)?;
            let id = admin::resolve(&client, &importer).await?;
            client
                .call(Method::PUT, &format!("/{id}"), Some(body))
                .await?
        }
        ImporterAction::Trigger {
            importer,
            wait,
            timeout,
        } => {
            let id = admin::resolve(&client, &importer).await?;
            let timeout = std::time::Duration::from_secs(timeout);
            return admin::trigger(&client, &id, wait, timeout, output).await;
        }
        ImporterAction::Runs { importer, limit } => {
            let id = admin::resolve(&client, &importer).await?;
            client
                .call(Method::GET, &format!("/{id}/runs?limit={limit}"), None)
                .await?
        }
        ImporterAction::Check { importer } => {
            let id = admin::resolve(&client, &importer).await?;
            let result = client
                .call(Method::POST, &format!("/{id}/check"), None)
                .await?;
            admin::print(&result, output)?;
            if result["ok"] != true {
                anyhow::bail!(
                    "the check failed: {}",
                    result["message"].as_str().unwrap_or("no message")
                );
            }
            return Ok(());
        }
        ImporterAction::Delete { importer } => {
            let id = admin::resolve(&client, &importer).await?;
            client.call(Method::DELETE, &format!("/{id}"), None).await?
        }
    };
    admin::print(&out, output)
}
