//! The web console in a real browser: Debian's Chromium driven through
//! ChromeDriver (both installed by `tests/run.sh`) against the real binary. A
//! person signs in (a wrong token first), sees an importer made through the API,
//! triggers it from its page, sees the run finish with its counts and per-item
//! outcomes, searches the inventory, opens a target and its OpenAPI definition
//! (rendered by the bundled Swagger UI under the console's CSP) and signs out.
//! axe-core (npm) runs in every page: no serious or critical violation. Each step
//! leaves a screenshot in `target/tmp/console-screenshots/`; a failing step leaves
//! `FAILED-<step>.png`. Skipped locally when Chromium is missing; fails under `CI=true`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apihub_connectors::testkit::peers::peer;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::Daemon;

const TOKEN: &str = "browser-console-token-0123456789";

/// ChromeDriver on a free loopback port, in a process group of its own with
/// the browsers it starts: a failing test (which never closes its session) still
/// leaves no Chromium behind.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_driver(bin: &Path) -> Driver {
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver(child, port)
}

struct Steps {
    browser: Client,
    shots: PathBuf,
    axe: String,
    base: String,
}

impl Steps {
    async fn shot(&self, name: &str) {
        if let Ok(png) = self.browser.screenshot().await {
            let _ = std::fs::write(self.shots.join(format!("{name}.png")), png);
        }
    }

    /// Fails the test after keeping a screenshot of the page it failed on.
    async fn check(&self, step: &str, ok: bool, why: impl std::fmt::Display) {
        if !ok {
            self.shot(&format!("FAILED-{step}")).await;
            let source = self.browser.source().await.unwrap_or_default();
            let _ = std::fs::write(self.shots.join(format!("FAILED-{step}.html")), &source);
            let url = self
                .browser
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            panic!(
                "{step}: {why}\n(at {url}; the page is in {}/FAILED-{step}.html)",
                self.shots.display()
            );
        }
    }

    /// Clicks what `locator` finds (a failure keeps its screenshot).
    async fn click(&self, what: &str, locator: Locator<'_>) {
        let clicked = match self.browser.find(locator).await {
            Ok(el) => el.click().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = clicked {
            self.check(what, false, format!("cannot click it: {e}"))
                .await;
        }
    }

    /// Types `text` into the field `locator` finds.
    async fn type_into(&self, what: &str, locator: Locator<'_>, text: &str) {
        let typed = match self.browser.find(locator).await {
            Ok(el) => el.send_keys(text).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = typed {
            self.check(what, false, format!("cannot type into it: {e}"))
                .await;
        }
    }

    async fn go(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    async fn text(&self) -> String {
        match self.browser.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's text contains `needle`, reloading every half second.
    async fn until_text(&self, step: &str, needle: &str, reload: bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                self.check(step, false, format!("`{needle}` never appeared"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            if reload {
                let _ = self.browser.refresh().await;
            }
        }
    }

    /// axe-core in the page: every serious or critical violation, described.
    async fn accessible(&self, step: &str) {
        self.shot(step).await;
        self.browser
            .execute(&self.axe, vec![])
            .await
            .expect("load axe-core");
        let result = self
            .browser
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']})\
                   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,\
                       help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))\
                   .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let bad: Vec<&Value> = result
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        self.check(
            step,
            bad.is_empty(),
            format!(
                "axe-core: {}",
                serde_json::to_string_pretty(&bad).unwrap_or_default()
            ),
        )
        .await;
    }
}

#[tokio::test]
async fn a_person_signs_in_triggers_an_importer_and_browses_the_inventory() {
    // Debian's packages install system-wide (an absolute path is taken as is).
    let Some(driver_bin) = peer("APIHUB_CHROMEDRIVER", "/usr/bin/chromedriver") else {
        return;
    };
    let Some(axe) = peer(
        "APIHUB_AXE",
        "axe-core-4.14.1/node_modules/axe-core/axe.min.js",
    ) else {
        return;
    };
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("screenshot folder");

    let dir = tempfile::tempdir().expect("tempdir");
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).expect("specs");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors/tests/fixtures/normalize");
    for f in ["petstore-3.0.json", "service-1.1.wsdl"] {
        std::fs::copy(fixtures.join(f), specs.join(f)).expect("fixture");
    }
    let daemon = Daemon::start_env(
        dir.path(),
        &format!("importers:\n  directory_roots: [{}]\n", specs.display()),
        &[("APIHUB_SERVER__AUTH_TOKENS", TOKEN)],
    );
    let driver = start_driver(&driver_bin);
    let mut caps = serde_json::Map::new();
    let mut chrome = json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                     "--disable-dev-shm-usage", "--window-size=1280,1000"]});
    if let Ok(bin) = std::env::var("APIHUB_CHROMIUM") {
        chrome["binary"] = json!(bin);
    }
    caps.insert("goog:chromeOptions".into(), chrome);
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a Chromium session");
    let s = Steps {
        browser,
        shots,
        axe: std::fs::read_to_string(&axe).expect("axe-core"),
        base: daemon.base.clone(),
    };

    // Signing in: a wrong token is refused with the reason, the right one lands.
    s.go("/").await;
    let url = s.browser.current_url().await.expect("url");
    s.check("login", url.path() == "/login", format!("at {url}"))
        .await;
    s.accessible("01-login").await;
    s.type_into(
        "token field",
        Locator::Css("input[name=token]"),
        "a-wrong-token-0123456789",
    )
    .await;
    s.click("Sign in", Locator::Css("button[type=submit]"))
        .await;
    s.until_text("wrong-token", "not accepted", false).await;
    s.accessible("02-login-refused").await;
    s.type_into("token field", Locator::Css("input[name=token]"), TOKEN)
        .await;
    s.click("Sign in", Locator::Css("button[type=submit]"))
        .await;
    s.until_text("signed-in", "Failing importers", false).await;
    s.accessible("03-overview").await;

    // An importer made through the API shows up, and is triggered from its page.
    let made: Value = reqwest::Client::new()
        .post(format!("{}/api/apihub/v1/importers", daemon.base))
        .header("X-Auth", TOKEN)
        .json(
            &json!({"name": "Specs in git", "type": "directory", "status": "inactive",
                      "parameters": {"path": specs.display().to_string()}}),
        )
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = made["importerId"].as_str().expect("id").to_owned();
    s.go("/importers").await;
    s.until_text("importers", "Specs in git", false).await;
    s.accessible("04-importers").await;
    s.click("link", Locator::LinkText("Specs in git")).await;
    s.until_text("importer", "No runs yet", false).await;
    let url = s.browser.current_url().await.expect("url");
    s.check(
        "importer-page",
        url.path() == format!("/importers/{id}"),
        url,
    )
    .await;
    s.click(
        "Trigger",
        Locator::Css(&format!("form[action='/importers/{id}/trigger'] button")),
    )
    .await;
    s.until_text("triggered", "Run requested", false).await;
    let text = s.until_text("run-finished", "2 created", true).await;
    s.check("run-counts", text.contains("Completed"), "no completed run")
        .await;
    s.click("a run", Locator::Css("details.run summary")).await;
    let text = s.until_text("run-items", "service-1.1.wsdl", false).await;
    s.check(
        "run-items",
        text.contains("created"),
        "items without outcomes",
    )
    .await;
    s.accessible("05-importer-run").await;

    // The inventory: search, a target, its OpenAPI definition in Swagger UI.
    s.go("/inventory").await;
    s.type_into("search", Locator::Css("input[name=search]"), "pet")
        .await;
    s.click("Search", Locator::Css("form[role=search] button"))
        .await;
    let text = s
        .until_text("search", "1 API target matches “pet”", false)
        .await;
    s.check(
        "search",
        text.contains("Petstore") && !text.contains("StockQuote"),
        "wrong matches",
    )
    .await;
    s.accessible("06-inventory-search").await;
    s.click("target", Locator::LinkText("Petstore")).await;
    s.until_text("target", "Operations", false).await;
    s.accessible("07-target").await;
    s.click("definition link", Locator::Css("a[href*='/definitions/']"))
        .await;
    let rendered = s
        .browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#definition-viewer .info .title"))
        .await;
    s.check(
        "swagger-ui",
        rendered.is_ok(),
        "Swagger UI did not render the definition",
    )
    .await;
    let title = rendered.expect("title").text().await.unwrap_or_default();
    s.check("swagger-ui-title", title.contains("Petstore"), &title)
        .await;
    // Read-only: an opened operation offers no "Try it out".
    s.click(
        "an operation",
        Locator::Css("#definition-viewer .opblock-summary"),
    )
    .await;
    s.until_text("operation-open", "Responses", false).await;
    let try_it = s
        .browser
        .find_all(Locator::Css(".try-out__btn"))
        .await
        .unwrap_or_default();
    s.check("read-only", try_it.is_empty(), "Try it out is offered")
        .await;
    s.accessible("08-definition").await;

    // Other formats are coloured text (under the same contrast rules).
    s.go("/inventory?search=StockQuote").await;
    s.click("the WSDL target", Locator::LinkText("StockQuote"))
        .await;
    s.click("definition link", Locator::Css("a[href*='/definitions/']"))
        .await;
    let tags = s
        .browser
        .find_all(Locator::Css("pre.source .hl-tag"))
        .await
        .unwrap_or_default();
    s.check(
        "wsdl-source",
        !tags.is_empty(),
        "the WSDL is not highlighted",
    )
    .await;
    s.accessible("09-definition-wsdl").await;

    // Signing out ends the session: the console asks for a token again.
    s.click("Sign out", Locator::Css("form[action='/logout'] button"))
        .await;
    s.until_text("signed-out", "Sign in to apihub-importer", false)
        .await;
    s.go("/importers").await;
    let url = s.browser.current_url().await.expect("url");
    s.check("signed-out", url.path() == "/login", url).await;
    s.shot("10-signed-out").await;
    let _ = s.browser.close().await;
}
