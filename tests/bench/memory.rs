//! Memory benchmark (issue 11.6): what a `directory` sync of many large definitions
//! costs a release daemon, and whether that memory comes back.
//!
//! For each file count (default 500 and 2,000 files of ~1 MB): a fresh daemon, its
//! idle RSS, the peak RSS of the first sync (the kernel's high-water mark), then the
//! idle RSS after that sync and after ten re-syncs that re-read every file (each
//! file's mtime moves, so its revision changes and it is downloaded and normalized
//! again; its content does not, so nothing is written). Each case runs twice in the
//! same run: with the allocator settings the deployment files ship
//! (`MALLOC_ARENA_MAX=2`, see `src/main.rs`) and, as the baseline, with glibc's
//! defaults. `--baseline <binary>` measures another build instead (an allocator
//! experiment) with the deployed settings.
//!
//! `cargo bench --bench memory [-- --files 500,2000 --size-kb 1024 --resyncs 10 --settle-secs 10 --baseline BIN]`
//!
//! Goals: peak within +150 MiB of idle whatever the number of files; idle after the
//! re-syncs within +50 MiB of idle after the first sync.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

#[path = "daemon.rs"]
mod daemon;

use daemon::{Daemon, rss_kib};

struct Args {
    files: Vec<usize>,
    size_kb: usize,
    resyncs: usize,
    /// How long an idle daemon is left before its RSS is read.
    settle: Duration,
    baseline: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        files: vec![500, 2000],
        size_kb: 1024,
        resyncs: 10,
        settle: Duration::from_secs(10),
        baseline: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--files" => {
                a.files = v()
                    .split(',')
                    .map(|n| n.parse().expect("--files: numbers"))
                    .collect()
            }
            "--size-kb" => a.size_kb = v().parse().expect("--size-kb: a number"),
            "--resyncs" => a.resyncs = v().parse().expect("--resyncs: a number"),
            "--settle-secs" => {
                a.settle = Duration::from_secs(v().parse().expect("--settle-secs: a number"))
            }
            "--baseline" => a.baseline = Some(PathBuf::from(v())),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    a
}

/// An OpenAPI 3.0 document of about `size_kb` KiB, different for each `i`.
fn spec(i: usize, size_kb: usize) -> Vec<u8> {
    let filler = "x".repeat(900);
    let per_path = 1000;
    let n = (size_kb * 1024 / per_path).max(1);
    let paths: Vec<String> = (0..n)
        .map(|k| {
            format!(
                "\"/api{i}/r{k}\":{{\"get\":{{\"description\":\"{filler}\",\"responses\":{{\"200\":{{\"description\":\"ok\"}}}}}}}}"
            )
        })
        .collect();
    format!(
        "{{\"openapi\":\"3.0.3\",\"info\":{{\"title\":\"API {i}\",\"version\":\"1\"}},\"paths\":{{{}}}}}",
        paths.join(",")
    )
    .into_bytes()
}

fn write_specs(dir: &Path, files: usize, size_kb: usize) -> u64 {
    std::fs::create_dir_all(dir).expect("specs dir");
    let mut bytes = 0;
    for i in 0..files {
        let doc = spec(i, size_kb);
        bytes += doc.len() as u64;
        std::fs::write(dir.join(format!("api-{i:05}.json")), doc).expect("write spec");
    }
    bytes
}

/// New modification times, so every file's revision changes.
fn touch_all(dir: &Path, round: usize) {
    let when = SystemTime::now() + Duration::from_secs(round as u64);
    for entry in std::fs::read_dir(dir).expect("read specs") {
        let path = entry.expect("entry").path();
        let f = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        f.set_modified(when).expect("set mtime");
    }
}

/// Idle RSS once the allocator has had time to give memory back (and the
/// runtime's idle blocking threads, kept 10 s, have exited).
async fn settled(pid: u32, settle: Duration) -> u64 {
    tokio::time::sleep(settle).await;
    rss_kib(pid)
}

struct Case {
    files: usize,
    idle: u64,
    peak: u64,
    after_first: u64,
    after_resyncs: Option<u64>,
    first_secs: f64,
}

/// The allocator settings `systemd/apihub-importer.service` and the `Dockerfile` set.
const DEPLOYED: &[(&str, Option<&str>)] = &[("MALLOC_ARENA_MAX", Some("2"))];
/// glibc as it comes.
const DEFAULTS: &[(&str, Option<&str>)] = &[("MALLOC_ARENA_MAX", None)];

async fn case(
    bin: &Path,
    env: &[(&str, Option<&str>)],
    files: usize,
    a: &Args,
    resync: bool,
) -> Case {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = dir.path().join("specs");
    let bytes = write_specs(&specs, files, a.size_kb);
    let extra = format!("importers:\n  directory_roots: [{}]\n", specs.display());
    let d = Daemon::start_with_env(bin, dir.path(), &extra, env);
    let http = reqwest::Client::new();
    let idle = settled(d.pid(), a.settle).await;
    let (id, first_secs) = d.first_directory_sync(&http, &specs, files).await;
    let peak = d.peak_rss_kib();
    let after_first = settled(d.pid(), a.settle).await;
    eprintln!(
        "  {files} files ({:.0} MB): first sync {first_secs:.1} s",
        bytes as f64 / 1e6
    );
    let mut after_resyncs = None;
    if resync {
        for round in 1..=a.resyncs {
            touch_all(&specs, round);
            d.unchanged_resync(&http, &id, round + 1, files).await;
        }
        after_resyncs = Some(settled(d.pid(), a.settle).await);
    }
    Case {
        files,
        idle,
        peak,
        after_first,
        after_resyncs,
        first_secs,
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn report(label: &str, cases: &[Case]) {
    println!("\n{label}");
    println!(
        "{:>6} {:>10} {:>10} {:>12} {:>14} {:>16} {:>9}",
        "files", "idle MiB", "peak MiB", "peak - idle", "idle after 1", "after re-syncs", "sync s"
    );
    for c in cases {
        let resynced = c
            .after_resyncs
            .map(|r| format!("{:.1} ({:+.1})", mib(r), mib(r) - mib(c.after_first)))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:>6} {:>10.1} {:>10.1} {:>+12.1} {:>14.1} {:>16} {:>9.1}",
            c.files,
            mib(c.idle),
            mib(c.peak),
            mib(c.peak) - mib(c.idle),
            mib(c.after_first),
            resynced,
            c.first_secs
        );
    }
    let growth = |c: &Case| mib(c.peak) - mib(c.idle);
    if let (Some(small), Some(large)) = (cases.first(), cases.last())
        && cases.len() > 1
    {
        println!(
            "peak growth, {} vs {} files: {:.2}x (files: {:.1}x)",
            large.files,
            small.files,
            growth(large) / growth(small).max(1.0),
            large.files as f64 / small.files as f64
        );
    }
}

async fn measure(label: &str, bin: &Path, env: &[(&str, Option<&str>)], a: &Args) -> Vec<Case> {
    eprintln!("{label}: {}", bin.display());
    let mut cases = Vec::new();
    for (k, files) in a.files.iter().enumerate() {
        // Re-syncs on the smallest case: they re-read every file ten times.
        cases.push(case(bin, env, *files, a, k == 0).await);
    }
    report(label, &cases);
    cases
}

#[tokio::main]
async fn main() {
    let a = args();
    let this = Path::new(env!("CARGO_BIN_EXE_apihub-importer"));
    let ours = measure("deployed settings (MALLOC_ARENA_MAX=2)", this, DEPLOYED, &a).await;
    let theirs = match &a.baseline {
        Some(base) => measure("baseline build", base, DEPLOYED, &a).await,
        None => measure("baseline: glibc defaults", this, DEFAULTS, &a).await,
    };
    println!("\ndeployed / baseline");
    for (o, t) in ours.iter().zip(&theirs) {
        let ratio = |x: u64, y: u64| x as f64 / (y as f64).max(1.0);
        print!(
            "{:>6} files: peak {:.2}x, idle after the first sync {:.2}x",
            o.files,
            ratio(o.peak, t.peak),
            ratio(o.after_first, t.after_first)
        );
        if let (Some(x), Some(y)) = (o.after_resyncs, t.after_resyncs) {
            print!(", idle after re-syncs {:.2}x", ratio(x, y));
        }
        println!();
    }
    let mut ok = true;
    for c in &ours {
        if mib(c.peak) - mib(c.idle) > 150.0 {
            println!(
                "goal missed: {} files peak +{:.1} MiB over idle",
                c.files,
                mib(c.peak) - mib(c.idle)
            );
            ok = false;
        }
        if let Some(r) = c.after_resyncs
            && mib(r) - mib(c.after_first) > 50.0
        {
            println!(
                "goal missed: idle after re-syncs +{:.1} MiB",
                mib(r) - mib(c.after_first)
            );
            ok = false;
        }
    }
    println!(
        "\ngoals (peak <= idle + 150 MiB, re-synced idle <= first idle + 50 MiB): {}",
        if ok { "met" } else { "NOT met" }
    );
}
