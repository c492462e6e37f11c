//! Importers as code, through `POST /importers/apply` (what `importers apply -f`
//! sends; start and `SIGHUP` run the same reconcile, tested on the real binary in
//! `tests/daemon/declared.rs`): create by name, update what changed, delete what a
//! set no longer declares, leave the rest alone (no write, no run); the 409 on API
//! changes of a declared importer; nothing changes when a declaration is invalid.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, envelope, spawn_app, specs_dir};

const IMPORTERS: &str = "/api/apihub/v1/importers";
const FILE: &str = "/etc/apihub-importer/importers.d/team.yaml";
const SOURCE: &str = "apply:/etc/apihub-importer/importers.d";

async fn apply(app: &TestApp, source: &str, importers: &[Value]) -> (StatusCode, Value) {
    let declared: Vec<Value> = importers
        .iter()
        .map(|i| json!({"declaredIn": FILE, "importer": i}))
        .collect();
    app.post(
        &format!("{IMPORTERS}/apply"),
        &json!({"source": source, "importers": declared}),
    )
    .await
}

/// `name → action` of an apply's answer.
fn actions(result: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = result["importers"]
        .as_array()
        .expect("importers")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().expect("name").to_owned(),
                o["action"].as_str().expect("action").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn importers(app: &TestApp) -> Vec<Value> {
    let (status, body) = app.get(IMPORTERS).await;
    assert_eq!(status, StatusCode::OK);
    body["importers"].as_array().expect("importers").clone()
}

async fn by_name(app: &TestApp, name: &str) -> Value {
    importers(app)
        .await
        .into_iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no importer {name}"))
}

#[tokio::test]
async fn declared_importers_are_created_changed_deleted_or_left_alone() {
    let app = spawn_app().await;
    let docs = json!({"name": "docs", "type": "directory", "status": "inactive",
                      "updateFrequency": {"unit": "daily", "value": 1},
                      "parameters": {"path": specs_dir(&app)}});
    let edge = json!({"name": "edge", "type": "invicti_nad_agent", "status": "inactive",
                      "parameters": {"registrationToken": "edge-agent-token-0123456789"}});

    let (status, first) = apply(&app, SOURCE, &[docs.clone(), edge.clone()]).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        actions(&first),
        pairs(&[("docs", "created"), ("edge", "created")])
    );
    let stored = by_name(&app, "edge").await;
    assert_eq!(
        stored["parameters"]["registrationToken"], "********",
        "{stored}"
    );
    let before = importers(&app).await;

    // The same declarations again: nothing is written, nothing is scheduled.
    let (_, again) = apply(&app, SOURCE, &[edge.clone(), docs.clone()]).await;
    assert_eq!(
        actions(&again),
        pairs(&[("docs", "unchanged"), ("edge", "unchanged")])
    );
    assert_eq!(
        importers(&app).await,
        before,
        "modifiedAt and nextRunAt untouched"
    );

    // A new secret, a new frequency (and status): updated, in effect at once.
    let mut docs2 = docs.clone();
    docs2["updateFrequency"] = json!({"unit": "hourly", "value": 6});
    docs2["status"] = json!("active");
    let mut edge2 = edge.clone();
    edge2["parameters"]["registrationToken"] = json!("edge-agent-token-rotated-987654");
    let (_, changed) = apply(&app, SOURCE, &[docs2.clone(), edge2.clone()]).await;
    assert_eq!(
        actions(&changed),
        pairs(&[("docs", "updated"), ("edge", "updated")])
    );
    let now = by_name(&app, "docs").await;
    assert_eq!(
        now["updateFrequency"],
        json!({"unit": "hourly", "value": 6})
    );
    assert_eq!(now["status"], "Active");

    // Declared importers are changed where they are declared, not through the API.
    let id = now["importerId"].as_str().expect("id").to_owned();
    let (status, body) = app.put(&format!("{IMPORTERS}/{id}"), &docs2).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(envelope(&body).0, "conflict");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(FILE)),
        "{body}"
    );
    let (status, _) = app.delete(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // No longer declared: deleted; the others stay.
    let (_, dropped) = apply(&app, SOURCE, &[docs2.clone()]).await;
    assert_eq!(
        actions(&dropped),
        pairs(&[("docs", "unchanged"), ("edge", "deleted")])
    );
    assert_eq!(importers(&app).await.len(), 1);
}

#[tokio::test]
async fn nothing_changes_when_a_declaration_is_wrong() {
    let app = spawn_app().await;
    let docs = json!({"name": "docs", "type": "directory", "status": "inactive",
                      "parameters": {"path": specs_dir(&app)}});
    let (status, _) = apply(&app, SOURCE, std::slice::from_ref(&docs)).await;
    assert_eq!(status, StatusCode::OK);
    let before = importers(&app).await;

    let new = json!({"name": "new", "type": "directory", "status": "inactive",
                     "parameters": {"path": specs_dir(&app)}});
    let cases = [
        (
            json!({"name": "docs", "type": "directory", "updateFrequency": {"unit": "fortnightly", "value": 1}}),
            StatusCode::BAD_REQUEST,
            "fortnightly",
        ),
        (
            json!({"name": "docs", "type": "directory", "parameters": {"path": "/not/a/root"}}),
            StatusCode::BAD_REQUEST,
            "importers[1].importer.parameters",
        ),
        (
            json!({"name": "docs", "tyep": "directory"}),
            StatusCode::BAD_REQUEST,
            "tyep",
        ),
        (
            json!({"name": "edge", "type": "invicti_nad_agent"}),
            StatusCode::BAD_REQUEST,
            "registrationToken",
        ),
        (
            json!({"name": "NEW", "type": "directory", "parameters": {"path": specs_dir(&app)}}),
            StatusCode::CONFLICT,
            "declared twice",
        ),
    ];
    for (bad, code, says) in cases {
        let (status, body) = apply(&app, SOURCE, &[new.clone(), bad.clone()]).await;
        assert_eq!(status, code, "{bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        let field = body["error"]["field"].as_str().unwrap_or_default();
        assert!(
            message.contains(says) || field.contains(says),
            "{bad}: {body}"
        );
        assert!(message.contains(FILE), "names the file: {body}");
        assert_eq!(
            importers(&app).await,
            before,
            "{bad}: nothing created, changed or deleted"
        );
    }
    let (status, body) = app
        .post(
            &format!("{IMPORTERS}/apply"),
            &json!({"source": "config", "importers": []}),
        )
        .await;
    assert_eq!(
        (status, envelope(&body).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("source"))
    );
}

#[tokio::test]
async fn a_name_belongs_to_one_declaration_set_and_api_importers_are_adopted() {
    let app = spawn_app().await;
    let made = json!({"name": "Legacy Docs", "type": "directory", "status": "inactive",
                      "parameters": {"path": specs_dir(&app)}});
    let (status, body) = app.post(IMPORTERS, &made).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["importerId"].as_str().expect("id").to_owned();

    // Declared under the same name (any case): the API's importer becomes declared.
    let mut declared = made.clone();
    declared["name"] = json!("legacy docs");
    let (_, adopted) = apply(&app, SOURCE, &[declared.clone()]).await;
    assert_eq!(actions(&adopted), pairs(&[("legacy docs", "updated")]));
    assert_eq!(
        adopted["importers"][0]["importerId"],
        id.as_str(),
        "the same importer"
    );
    let (status, _) = app.put(&format!("{IMPORTERS}/{id}"), &made).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Another set may not declare it too, and keeps its hands off it.
    let (status, body) = apply(&app, "apply:/srv/other.yaml", &[declared.clone()]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already declared in")),
        "{body}"
    );
    let (_, other) = apply(&app, "apply:/srv/other.yaml", &[]).await;
    assert_eq!(actions(&other), pairs(&[]), "deletes only what it declared");
    assert_eq!(importers(&app).await.len(), 1);
}
