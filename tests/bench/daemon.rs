//! A release daemon in its own process for the benchmarks: started on a free
//! loopback port with a config of the bench's choosing, killed when dropped, and
//! measured from `/proc` the way an operator's `ps` or a cgroup would see it.

// Shared by the benches; each uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Daemon {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// Starts `bin serve` with its store in `dir` and `extra` appended to the
    /// config (YAML sections other than `server`, `store` and `log`).
    pub fn start(bin: &Path, dir: &Path, extra: &str) -> Daemon {
        Daemon::start_with_env(bin, dir, extra, &[])
    }

    /// [`Daemon::start`] with environment changes: `Some` sets a variable, `None`
    /// removes it.
    pub fn start_with_env(
        bin: &Path,
        dir: &Path,
        extra: &str,
        env: &[(&str, Option<&str>)],
    ) -> Daemon {
        let cfg = dir.join("c.yaml");
        let yaml = format!(
            "server:\n  bind: 127.0.0.1:0\nstore:\n  path: {}\nlog:\n  format: json\n  level: warn,apihub_importer::app=info\n{extra}",
            dir.join("apihub.db").display()
        );
        std::fs::write(&cfg, yaml).expect("config");
        let log = dir.join("daemon.log");
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--config"])
            .arg(&cfg)
            .env("RUST_LOG", "warn,apihub_importer::app=info")
            .stderr(std::fs::File::create(&log).expect("log"))
            .stdout(Stdio::null());
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let child = cmd.spawn().expect("spawn");
        let mut d = Daemon {
            child,
            base: String::new(),
        };
        for _ in 0..600 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find_map(|v| v["addr"].as_str().map(str::to_owned))
            {
                d.base = format!("http://{addr}");
                return d;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("daemon did not start; see {}", log.display());
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The largest resident set size so far (the kernel's high-water mark), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        status_kib(self.pid(), "VmHWM:")
    }
}

const IMPORTERS: &str = "/api/apihub/v1/importers";

impl Daemon {
    /// Creates an importer; returns its id.
    pub async fn create_importer(&self, http: &reqwest::Client, body: &Value) -> String {
        let created: Value = http
            .post(format!("{}{IMPORTERS}", self.base))
            .json(body)
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("create json");
        created["importerId"]
            .as_str()
            .unwrap_or_else(|| panic!("no importerId in {created}"))
            .to_owned()
    }

    /// Triggers a run of importer `id`.
    /// Creates an active `directory` importer on `specs`, waits for its first run
    /// and checks that it created `files` targets: the importer's id and the
    /// seconds from the create call to the run's end.
    pub async fn first_directory_sync(
        &self,
        http: &reqwest::Client,
        specs: &Path,
        files: usize,
    ) -> (String, f64) {
        let t = Instant::now();
        let id = self
            .create_importer(
                http,
                &serde_json::json!({"name": "bench", "type": "directory", "status": "active",
                    "parameters": {"path": specs.display().to_string()}}),
            )
            .await;
        let run = self.finished(http, &id, 1).await;
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(
            run["counts"]["created"].as_u64(),
            Some(files as u64),
            "first sync: {}",
            run["counts"]
        );
        (id, secs)
    }

    /// Triggers run `n` of `id`, waits for it and checks that all `files` were
    /// unchanged: its seconds.
    pub async fn unchanged_resync(
        &self,
        http: &reqwest::Client,
        id: &str,
        n: usize,
        files: usize,
    ) -> f64 {
        let t = Instant::now();
        self.trigger(http, id).await;
        let run = self.finished(http, id, n).await;
        assert_eq!(
            run["counts"]["unchanged"].as_u64(),
            Some(files as u64),
            "re-sync {n}: {}",
            run["counts"]
        );
        t.elapsed().as_secs_f64()
    }

    pub async fn trigger(&self, http: &reqwest::Client, id: &str) {
        let resp = http
            .post(format!("{}{IMPORTERS}/{id}/trigger", self.base))
            .send()
            .await
            .expect("trigger");
        assert!(resp.status().is_success(), "trigger: {}", resp.status());
    }

    /// Waits until `n` runs of importer `id` have finished; returns the newest.
    pub async fn finished(&self, http: &reqwest::Client, id: &str, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(3600);
        loop {
            let page: Value = http
                .get(format!("{}{IMPORTERS}/{id}/runs?limit=100", self.base))
                .send()
                .await
                .expect("runs")
                .json()
                .await
                .expect("runs json");
            let ended: Vec<&Value> = page["runs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| !r["finishedAt"].is_null())
                .collect();
            if ended.len() >= n {
                return ended[0].clone();
            }
            assert!(Instant::now() < deadline, "run {n} did not finish");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Resident set size of `pid` now, in KiB (read from a sampler thread too).
/// Runs `work` while sampling the daemon's RSS every 5 ms; the peak in KiB.
pub async fn peak_rss<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, u64) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid));
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let out = work.await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    (out, sampler.join().expect("sampler"))
}

pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The value at fraction `p` of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// p50 and p99 (ms) of `n` GETs of `url`, each read to its end.
pub async fn measure(http: &reqwest::Client, url: &str, n: usize) -> (f64, f64) {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let resp = http.get(url).send().await.expect("send");
        assert!(resp.status().is_success(), "{url}: {}", resp.status());
        resp.bytes().await.expect("body");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.99))
}
