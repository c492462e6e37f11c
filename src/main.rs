use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

// The allocator is glibc's, on purpose; the deployment files (systemd unit,
// Dockerfile, so the Kubernetes manifest too) set `MALLOC_ARENA_MAX=2`. A run holds
// a window of `maxConcurrentFetches` documents, never the estate, so what the
// allocator can keep is bounded by that window times its arenas; glibc makes up to
// 8 arenas per core, and two bound it on a large host. `cargo bench --bench memory`
// measured, for 200 definitions of 2.2 MB and five re-syncs that re-read them all
// (peak over idle; idle growth across the re-syncs):
//   glibc, MALLOC_ARENA_MAX=2   +52 MiB   +25 MiB
//   glibc defaults              +86 MiB   +34 MiB
//   jemalloc 5.3 (tikv)        +133..149 MiB   +1..21 MiB
//   mimalloc 3 (mimalloc 0.1.52) +137 MiB   +57 MiB (over the +50 MiB goal)
// jemalloc returns idle memory best but peaks near the +150 MiB goal and adds a C
// build; mimalloc is worse on both. SQLite allocates through glibc whatever Rust's
// global allocator is, so the arena cap helps either way.
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
