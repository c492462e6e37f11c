//! The web console over HTTP: sign-in with a token and the session cookie's
//! attributes, CSRF on every state-changing form, the Content-Security-Policy,
//! secrets masked as the API masks them, and the pages showing what the API has
//! (the browser tests in `tests/browser` drive the same pages in Chromium).

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::{IMPORTERS, TestApp, spawn_app, spawn_with};

const TOKEN: &str = "console-token-0123456789abcdef";
const AGENT_SECRET: &str = "agent-secret-never-shown-0123456789";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Page {
    let mut req = browser().get(app.url(path));
    if let Some(c) = cookie {
        req = req.header("Cookie", format!("apihub_session={c}"));
    }
    page(req).await
}

async fn post(app: &TestApp, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Page {
    let mut req = browser().post(app.url(path)).form(form);
    if let Some(c) = cookie {
        req = req.header("Cookie", format!("apihub_session={c}"));
    }
    page(req).await
}

async fn page(req: reqwest::RequestBuilder) -> Page {
    let resp = req.send().await.expect("send");
    Page {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.expect("body"),
    }
}

/// The session cookie a response sets: its value and its attributes.
fn session_cookie(p: &Page) -> Option<(String, String)> {
    p.headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("apihub_session="))
        .map(|v| {
            let value = v["apihub_session=".len()..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned();
            (value, v.to_owned())
        })
}

/// The console page of a target's (as the API shows it) first definition.
fn definition_page(target: &serde_json::Value) -> String {
    format!(
        "/inventory/{}/definitions/{}",
        target["id"].as_str().expect("id"),
        target["definitions"][0]["id"]
            .as_str()
            .expect("definition id")
    )
}

fn csrf_of(body: &str) -> String {
    let at = body
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF field")
        + 19;
    body[at..].split('"').next().unwrap_or("").to_owned()
}

#[tokio::test]
async fn signing_in_takes_a_token_and_sets_a_strict_http_only_session() {
    let app = spawn_with(|s| s.server.auth_tokens = vec![TOKEN.into()]).await;

    // No session: to the sign-in form, remembering the page.
    let p = get(&app, "/importers", None).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.headers[LOCATION], "/login?next=%2Fimporters");
    let form = get(&app, "/login?next=%2Fimporters", None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"token\""), "{}", form.body);

    // A wrong token: the form again, with the reason, and no session.
    let wrong = post(
        &app,
        "/login",
        None,
        &[("token", "not-the-token-at-all"), ("next", "/importers")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("not accepted"), "{}", wrong.body);
    assert!(session_cookie(&wrong).is_none());

    // The right one: a session cookie, and back to the page asked for.
    let ok = post(
        &app,
        "/login",
        None,
        &[("token", TOKEN), ("next", "/importers")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.headers[LOCATION], "/importers");
    let (session, attributes) = session_cookie(&ok).expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(attributes.contains(attr), "{attr} missing: {attributes}");
    }
    assert!(!attributes.contains("Secure"), "plain HTTP: {attributes}");
    assert!(!session.contains(TOKEN) && session.len() >= 40);
    let p = get(&app, "/importers", Some(&session)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Sign out"));

    // Behind a TLS proxy the cookie is `Secure`; a `next` off this site is not followed.
    let tls = page(
        browser()
            .post(app.url("/login"))
            .header("X-Forwarded-Proto", "https")
            .form(&[("token", TOKEN), ("next", "//evil.example.com/")]),
    )
    .await;
    assert_eq!(tls.headers[LOCATION], "/");
    assert!(session_cookie(&tls).expect("cookie").1.contains("Secure"));

    // `/logout` in the address bar asks; signing out needs the form's CSRF
    // token, ends the session and clears the cookie.
    let ask = get(&app, "/logout", Some(&session)).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("action=\"/logout\"") && ask.body.contains("method=\"post\""));
    assert_eq!(
        get(&app, "/importers", Some(&session)).await.status,
        StatusCode::OK
    );
    let refused = post(&app, "/logout", Some(&session), &[("csrf", "forged")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, "/importers", Some(&session)).await.status,
        StatusCode::OK
    );
    let out = post(
        &app,
        "/logout",
        Some(&session),
        &[("csrf", &csrf_of(&p.body))],
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.headers[LOCATION], "/login");
    assert!(
        session_cookie(&out)
            .expect("cleared")
            .1
            .contains("Max-Age=0")
    );
    assert_eq!(
        get(&app, "/importers", Some(&session)).await.status,
        StatusCode::SEE_OTHER
    );
    // The API itself still wants its header; a session cookie is not a token.
    let api = browser()
        .get(app.url(IMPORTERS))
        .header("Cookie", format!("apihub_session={session}"))
        .send()
        .await
        .expect("send");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_attempts_are_throttled_after_ten() {
    let app = spawn_with(|s| s.server.auth_tokens = vec![TOKEN.into()]).await;
    for i in 0..10 {
        let p = post(&app, "/login", None, &[("token", "wrong-token-0123456789")]).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The eleventh, even with the right token, waits; the API is not affected.
    let p = post(&app, "/login", None, &[("token", TOKEN)]).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(p.headers["retry-after"], "6");
    assert!(p.body.contains("Too many sign-in attempts"), "{}", p.body);
    assert!(session_cookie(&p).is_none());
    let (status, _) = app.get(IMPORTERS).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn buttons_are_posts_that_need_the_session_csrf_token() {
    let app = spawn_app().await;
    std::fs::create_dir_all(app.dir.path().join("specs")).expect("specs");
    let id = app
        .create_importer(&json!({"name": "Docs", "type": "directory", "status": "inactive",
                                  "parameters": {"path": app.dir.path().join("specs").display().to_string()}}))
        .await;
    // Without tokens the first visit makes a session (it carries the CSRF token).
    let first = get(&app, &format!("/importers/{id}"), None).await;
    assert_eq!(first.status, StatusCode::OK);
    let (session, _) = session_cookie(&first).expect("a session");
    let csrf = csrf_of(&first.body);

    // Every answer forbids inline script and framing.
    let csp = first.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(!first.body.contains("<script>") && !first.body.contains(" style="));

    let trigger = format!("/importers/{id}/trigger");
    for (cookie, token) in [
        (None, csrf.as_str()),
        (Some(session.as_str()), "forged"),
        (Some(session.as_str()), ""),
    ] {
        let p = post(&app, &trigger, cookie, &[("csrf", token)]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{cookie:?} {token:?}");
    }
    let (_, importer) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(
        importer["extras"]["triggerPending"], false,
        "a refused form did something"
    );

    let ok = post(&app, &trigger, Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ok.headers[LOCATION].to_str().expect("location"),
        format!("/importers/{id}?triggered=1")
    );
    let run = app
        .wait_for_runs(&id, |runs| runs["runs"][0]["status"] == "Completed")
        .await;
    assert_eq!(run["runs"][0]["trigger"], "manual", "{run}");
    let after = get(
        &app,
        &format!("/importers/{id}?triggered=1"),
        Some(&session),
    )
    .await;
    assert!(after.body.contains("Run requested"));
    assert!(after.body.contains("1 in the history"), "{}", after.body);

    // Check answers on the importer's page.
    let checked = post(
        &app,
        &format!("/importers/{id}/check"),
        Some(&session),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(checked.status, StatusCode::OK);
    assert!(
        checked.body.contains("Connection check passed"),
        "{}",
        checked.body
    );

    // A GET never changes anything: there is no GET route for the buttons.
    let g = get(&app, &trigger, Some(&session)).await;
    assert_eq!(g.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn pages_show_what_the_api_has_with_secrets_masked() {
    let app = spawn_app().await;
    let agent = app
        .create_importer(
            &json!({"name": "Edge <agent>", "type": "invicti_nad_agent", "status": "inactive",
                                  "parameters": {"registrationToken": AGENT_SECRET}}),
        )
        .await;
    for name in ["Alpha orders", "Beta billing", "Gamma pets"] {
        let doc = json!({"openapi": "3.0.3", "info": {"title": name, "version": "1"},
                         "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}});
        let (status, _) = app
            .send(
                app.request(reqwest::Method::POST,
                    "/api/apihub/v1/inventory/api-targets/create-from-definition?format=openapi3&mode=provided&origin=manual-upload")
                    .body(doc.to_string()),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let wsdl = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("connectors/tests/fixtures/normalize/service-1.1.wsdl"),
    )
    .expect("fixture");
    let (status, soap) = app
        .send(
            app.request(reqwest::Method::POST,
                "/api/apihub/v1/inventory/api-targets/create-from-definition?format=wsdl&mode=provided&origin=manual-upload")
                .body(wsdl),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{soap}");

    let overview = get(&app, "/", None).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(
        overview.headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    assert!(
        overview.body.contains("4</div><div>API targets"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("Openapi3") && overview.body.contains("Wsdl"));
    // Names are text, never markup.
    assert!(!overview.body.contains("Edge <agent>"));

    let agent_page = get(&app, &format!("/importers/{agent}"), None).await;
    assert!(agent_page.body.contains("Edge &lt;agent&gt;"));
    assert!(agent_page.body.contains("********"), "{}", agent_page.body);
    assert!(!agent_page.body.contains(AGENT_SECRET));
    let list = get(&app, "/importers", None).await;
    assert!(!list.body.contains(AGENT_SECRET) && list.body.contains("Edge &lt;agent&gt;"));

    // Search and sort are the API's own: "billing" finds one name, `-name` reverses.
    let found = get(&app, "/inventory?search=billing", None).await;
    assert!(
        found.body.contains("Beta billing") && !found.body.contains("Gamma pets"),
        "{}",
        found.body
    );
    let sorted = get(&app, "/inventory?sort=-name", None).await;
    let (g, a) = (
        sorted.body.find("Gamma pets"),
        sorted.body.find("Alpha orders"),
    );
    assert!(g.is_some() && a.is_some() && g < a, "descending by name");
    let bad = get(&app, "/inventory?sort=colour", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("sort"), "{}", bad.body);

    // A target, its OpenAPI definition in the viewer, the WSDL as escaped text.
    let (_, page1) = app
        .get("/api/apihub/v1/inventory/api-targets?sort=name")
        .await;
    let alpha = &page1["targets"][0];
    let target = get(
        &app,
        &format!("/inventory/{}", alpha["id"].as_str().expect("id")),
        None,
    )
    .await;
    assert!(
        target.body.contains("Alpha orders") && target.body.contains("<code>/a</code>"),
        "{}",
        target.body
    );
    let def_path = definition_page(alpha);
    let def = get(&app, &def_path, None).await;
    assert!(
        def.body.contains("id=\"definition-viewer\"")
            && def.body.contains("/docs/swagger-ui-bundle.js")
    );
    let download = get(&app, &format!("{def_path}/download"), None).await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(
        download.headers["content-disposition"]
            .to_str()
            .expect("cd")
            .starts_with("attachment")
    );
    assert!(download.body.contains("\"Alpha orders\""));
    let soap_def = definition_page(&soap);
    let soap_page = get(&app, &soap_def, None).await;
    assert!(
        soap_page
            .body
            .contains("&lt;<span class=\"hl-tag\">definitions</span>"),
        "{}",
        soap_page.body
    );
    assert!(!soap_page.body.contains("definition-viewer"));

    assert_eq!(
        get(&app, "/inventory/no-such-target", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&app, "/shadow-apis", None).await.status, StatusCode::OK);
    let css = get(&app, "/console/assets/console.css", None).await;
    assert!(
        css.headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/css")
    );
}
