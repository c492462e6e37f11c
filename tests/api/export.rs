//! `POST /export`: 3 formats × 2 types, filters applied, each file parsed back and
//! compared with what the list and get endpoints say.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::inventory::{INVENTORY, fixture, upload};

async fn all_targets(app: &TestApp) -> Vec<Value> {
    let (_, page) = app.get(&format!("{INVENTORY}/api-targets?limit=500")).await;
    page["targets"].as_array().expect("targets").clone()
}

async fn export(
    app: &TestApp,
    query: &str,
    kind: &str,
    format: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let resp = app
        .request(Method::POST, &format!("{INVENTORY}/export{query}"))
        .json(&json!({"exportType": kind, "format": format}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    (headers, resp.bytes().await.expect("body").to_vec())
}

fn ids_from(format: &str, kind: &str, body: &[u8]) -> BTreeSet<String> {
    let id_col = "id";
    match format {
        "csv" => {
            let mut r = csv::Reader::from_reader(body);
            let headers = r.headers().expect("header").clone();
            let col = headers.iter().position(|h| h == id_col).expect("id column");
            r.records()
                .map(|rec| rec.expect("csv row")[col].to_owned())
                .collect()
        }
        "json" => {
            let v: Value = serde_json::from_slice(body).expect("json round-trips");
            v.as_array()
                .expect("array")
                .iter()
                .map(|t| t["id"].as_str().expect("id").to_owned())
                .collect()
        }
        _ => {
            let text = std::str::from_utf8(body).expect("utf8");
            let doc = roxmltree::Document::parse(text).expect("well-formed XML");
            let item = if kind == "targets" {
                "target"
            } else {
                "operation"
            };
            assert_eq!(doc.root_element().tag_name().name(), kind);
            doc.root_element()
                .children()
                .filter(|n| n.has_tag_name(item))
                .map(|n| {
                    n.children()
                        .find(|c| c.has_tag_name("id"))
                        .and_then(|c| c.text())
                        .expect("id")
                        .to_owned()
                })
                .collect()
        }
    }
}

#[tokio::test]
async fn three_formats_two_types_with_filters_match_the_list() {
    let app = spawn_app().await;
    for (file, format) in [
        ("petstore-3.0.json", "openapi3"),
        ("swagger-2.0.json", "openapi2"),
        ("schema.graphql", "graphql"),
        ("services.proto", "grpc"),
        ("empty-3.0.json", "openapi3"),
        ("service-1.1.wsdl", "wsdl"),
        ("traffic.har", "genericapi"),
    ] {
        for _ in 0..3 {
            let (status, t) = upload(&app, format, "provided", "export-test", fixture(file)).await;
            assert_eq!(status, 200, "{t}");
        }
    }
    // A name that needs quoting in CSV and escaping in XML.
    let any = all_targets(&app).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _) = app
        .send(
            app.request(Method::PATCH, &format!("{INVENTORY}/api-targets/{any}"))
                .json(&json!({"name": "Tricky, \"quoted\" <&> name"})),
        )
        .await;
    assert_eq!(status, 200);
    let targets = all_targets(&app).await;
    assert_eq!(targets.len(), 21);

    type Keep = Box<dyn Fn(&Value) -> bool>;
    let filters: [(&str, Keep); 4] = [
        ("", Box::new(|_| true)),
        (
            "?definitionFormat=openapi3,Graphql",
            Box::new(|t| {
                ["Openapi3", "Graphql"].contains(&t["definitionFormat"].as_str().unwrap_or(""))
            }),
        ),
        (
            "?operationsCount=%3E%3D4",
            Box::new(|t| t["operationsCount"].as_u64().unwrap_or(0) >= 4),
        ),
        (
            "?operationsCount=1..3&createdAt=%3E%3D2000-01-01",
            Box::new(|t| (1..=3).contains(&t["operationsCount"].as_u64().unwrap_or(0))),
        ),
    ];
    for (query, keep) in &filters {
        let expected_targets: Vec<&Value> = targets.iter().filter(|t| keep(t)).collect();
        let target_ids: BTreeSet<String> = expected_targets
            .iter()
            .map(|t| t["id"].as_str().expect("id").to_owned())
            .collect();
        let mut op_ids = BTreeSet::new();
        for t in &expected_targets {
            let (_, d) = app
                .get(&format!(
                    "{INVENTORY}/api-targets/{}",
                    t["id"].as_str().expect("id")
                ))
                .await;
            op_ids.extend(
                d["operations"]
                    .as_array()
                    .expect("ops")
                    .iter()
                    .map(|o| o["id"].as_str().expect("op id").to_owned()),
            );
        }
        for format in ["csv", "json", "xml"] {
            for (kind, expected) in [("targets", &target_ids), ("operations", &op_ids)] {
                let (headers, body) = export(&app, query, kind, format).await;
                let disposition = headers["content-disposition"].to_str().expect("header");
                assert!(
                    disposition.starts_with("attachment; filename=\"")
                        && disposition.ends_with(&format!(".{format}\"")),
                    "{disposition}"
                );
                assert_eq!(
                    &ids_from(format, kind, &body),
                    expected,
                    "{kind} {format} {query}"
                );
            }
        }
    }
    // JSON targets round-trip to exactly what the list shows.
    let (_, body) = export(&app, "", "targets", "json").await;
    let exported: Vec<Value> = serde_json::from_slice(&body).expect("json");
    assert_eq!(exported, targets);
    // CSV keeps the awkward name intact.
    let (_, body) = export(&app, "", "targets", "csv").await;
    let mut r = csv::Reader::from_reader(body.as_slice());
    let names: Vec<String> = r
        .records()
        .map(|rec| rec.expect("row")[1].to_owned())
        .collect();
    assert!(names.contains(&"Tricky, \"quoted\" <&> name".to_owned()));
    let (_, body) = export(&app, "", "targets", "xml").await;
    let text = String::from_utf8(body).expect("utf8");
    let doc = roxmltree::Document::parse(&text).expect("xml");
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("name") && n.text() == Some("Tricky, \"quoted\" <&> name"))
    );
}
