use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(apihub_importer::cli::run(apihub_importer::cli::Cli::parse()));
    // A file read stuck in the kernel (a hung mount) keeps its blocking thread;
    // it must not keep the process from exiting after a clean shutdown.
    runtime.shutdown_timeout(Duration::from_secs(2));
    code
}
