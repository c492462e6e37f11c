//! The embedded inventory as a sink: the store's upsert, in this process.

use async_trait::async_trait;

use super::{Sink, SinkError, SinkItem, Upsert, merged_urls};
use crate::clock::Clock;
use crate::inventory::{Source, SourceMode};
use crate::store::{NewDefinition, NewTarget, Store, StoreError};

pub struct EmbeddedSink {
    store: Store,
    clock: Clock,
}

impl EmbeddedSink {
    pub fn new(store: Store, clock: Clock) -> Self {
        EmbeddedSink { store, clock }
    }
}

fn sink_error(e: StoreError) -> SinkError {
    SinkError {
        message: format!("inventory write failed: {e}"),
        transient: matches!(e, StoreError::Pool(_)),
    }
}

/// How an imported definition is recorded: `Imported`, origin = importer type,
/// sourceName = importer name (DESIGN "Sync semantics"); NAD agents discover.
pub fn new_target(item: SinkItem) -> NewTarget {
    let urls = merged_urls(&item);
    let mut normalized = item.definition;
    normalized.servers = urls;
    let discovered = item.importer_type == apihub_connectors::ImporterType::InvictiNadAgent;
    let (mode, source_name) = if discovered {
        (
            SourceMode::Discovered,
            format!("{} (reconstructed)", item.importer_name),
        )
    } else {
        (SourceMode::Imported, item.importer_name)
    };
    NewTarget {
        name: item.name,
        description: Some(
            normalized
                .description
                .clone()
                .unwrap_or_else(|| "No description provided".into()),
        ),
        definition: NewDefinition {
            normalized,
            source: Source {
                mode,
                origin: item.importer_type.request_str().into(),
            },
            source_name: Some(source_name),
            url: None,
            synthesized: item.synthesized,
            operation_notes: item.operation_notes,
        },
    }
}

/// Items waiting for the store per download slot: the more wait, the more share
/// one commit (`cargo bench --bench sync`: 8 per slot gave batches of 14 items,
/// 32 gave 46 and 1.3x the files/s).
pub const WRITE_DEPTH: usize = 32;

#[async_trait]
impl Sink for EmbeddedSink {
    fn write_depth(&self) -> usize {
        WRITE_DEPTH
    }

    async fn upsert(&self, item: SinkItem) -> Result<Upsert, SinkError> {
        let (importer, key) = (item.importer_id.clone(), item.external_key.clone());
        let revision = item.revision.clone();
        let annotations = item.source_annotations.clone();
        self.store
            .upsert_imported(
                importer,
                key,
                new_target(item),
                (revision, annotations),
                self.clock.now_ms(),
            )
            .await
            .map_err(sink_error)
    }

    async fn revisions(
        &self,
        importer_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, SinkError> {
        self.store
            .source_revisions(importer_id)
            .await
            .map_err(sink_error)
    }

    async fn mark_missing(
        &self,
        importer_id: &str,
        present: Vec<String>,
    ) -> Result<u32, SinkError> {
        self.store
            .mark_missing(importer_id.to_owned(), present, self.clock.now_ms())
            .await
            .map_err(sink_error)
    }
}

#[cfg(test)]
mod tests {
    use apihub_connectors::ImporterType;
    use apihub_connectors::normalize::{Hints, Limits, normalize};

    use super::*;
    use crate::config::StoreSettings;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = StoreSettings {
            path: dir.path().join("db.sqlite"),
            ..StoreSettings::default()
        };
        let store = Store::open(&settings).await.expect("store");
        (dir, store)
    }

    fn item(key: &str, spec: &str) -> SinkItem {
        SinkItem {
            importer_id: "imp-1".into(),
            importer_name: "Gateway".into(),
            importer_type: ImporterType::Kong,
            external_key: key.into(),
            name: format!("API {key}"),
            definition: normalize(
                spec.as_bytes().to_vec(),
                &Hints::default(),
                &Limits::default(),
            )
            .expect("spec"),
            urls: vec!["https://gw.example.com/x".into()],
            synthesized: None,
            revision: None,
            source_annotations: Vec::new(),
            operation_notes: Vec::new(),
        }
    }

    const V1: &str = r#"{"openapi":"3.0.0","info":{"title":"T","version":"1"},"servers":[{"url":"https://a.example.com"}],
        "paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}},"/b":{"post":{"responses":{"200":{"description":"ok"}}}}}}"#;
    const V1_REORDERED: &str = r#"{"paths":{"/b":{"post":{"responses":{"200":{"description":"ok"}}}},"/a":{"get":{"responses":{"200":{"description":"ok"}}}}},
        "servers":[{"url":"https://a.example.com"}],"info":{"version":"1","title":"T"},"openapi":"3.0.0"}"#;
    const V2: &str = r#"{"openapi":"3.0.0","info":{"title":"T","version":"2"},"paths":{
        "/a":{"get":{"operationId":"getA","responses":{"200":{"description":"ok"}}}},"/c":{"put":{"responses":{"200":{"description":"ok"}}}}}}"#;

    #[tokio::test]
    async fn creates_then_leaves_then_replaces_keeping_operation_rows() {
        let (_dir, store) = store().await;
        let clock = Clock::manual(1_700_000_000_000);
        let sink = EmbeddedSink::new(store.clone(), clock.clone());

        let Upsert::Created(id) = sink.upsert(item("k1", V1)).await.expect("create") else {
            panic!("not created")
        };
        let first = store.get_target(&id).await.expect("read").expect("target");
        assert_eq!(first.target.operations_count, 2);
        assert_eq!(
            first.target.definitions[0].source.mode,
            SourceMode::Imported
        );
        assert_eq!(first.target.definitions[0].source.origin, "kong");
        assert_eq!(
            first.target.definitions[0].source_name.as_deref(),
            Some("Gateway")
        );
        assert_eq!(
            first.target.alternative_urls,
            ["https://a.example.com", "https://gw.example.com/x"]
        );
        assert_eq!(
            (
                first.target.importer_id.as_deref(),
                first.target.external_key.as_deref()
            ),
            (Some("imp-1"), Some("k1"))
        );

        clock.advance(std::time::Duration::from_secs(60));
        assert_eq!(
            sink.upsert(item("k1", V1_REORDERED)).await.expect("same"),
            Upsert::Unchanged(id.clone())
        );
        let same = store.get_target(&id).await.expect("read").expect("target");
        assert_eq!(same, first, "an unchanged definition writes nothing");

        let get_a = first
            .operations
            .iter()
            .find(|o| o.endpoint == "/a")
            .expect("/a")
            .id
            .clone();
        store
            .set_operation_excluded(id.clone(), get_a.clone(), true)
            .await
            .expect("exclude");
        clock.advance(std::time::Duration::from_secs(60));
        assert_eq!(
            sink.upsert(item("k1", V2)).await.expect("changed"),
            Upsert::Updated(id.clone())
        );
        let changed = store.get_target(&id).await.expect("read").expect("target");
        assert_ne!(changed.target.modified_at, first.target.modified_at);
        let mut eps: Vec<_> = changed
            .operations
            .iter()
            .map(|o| format!("{} {}", o.kind, o.endpoint))
            .collect();
        eps.sort();
        assert_eq!(eps, ["GET /a", "PUT /c"]);
        let a = changed
            .operations
            .iter()
            .find(|o| o.endpoint == "/a")
            .expect("/a");
        assert_eq!(a.id, get_a, "an operation that stays keeps its id");
        assert!(a.exclude_operation, "and its excludeOperation");
        assert_eq!(a.name, "getA");
        assert_eq!(changed.target.definitions.len(), 1);
        assert_eq!(
            changed.target.definitions[0].id,
            first.target.definitions[0].id
        );
    }

    #[tokio::test]
    async fn gone_apis_are_marked_not_deleted_and_unmarked_when_back() {
        let (_dir, store) = store().await;
        let sink = EmbeddedSink::new(store.clone(), Clock::System);
        let Upsert::Created(a) = sink.upsert(item("a", V1)).await.expect("a") else {
            panic!()
        };
        let Upsert::Created(b) = sink.upsert(item("b", V2)).await.expect("b") else {
            panic!()
        };
        assert_eq!(
            sink.mark_missing("imp-1", vec!["a".into()])
                .await
                .expect("mark"),
            1
        );
        let gone = store
            .get_target(&b)
            .await
            .expect("read")
            .expect("b still there");
        assert!(gone.target.missing_since.is_some());
        assert_eq!(
            sink.mark_missing("imp-1", vec!["a".into()])
                .await
                .expect("again"),
            1
        );
        assert_eq!(
            sink.mark_missing("other-importer", vec![])
                .await
                .expect("other"),
            0
        );
        assert_eq!(
            sink.upsert(item("b", V2)).await.expect("back"),
            Upsert::Unchanged(b.clone())
        );
        let back = store.get_target(&b).await.expect("read").expect("b");
        assert_eq!(back.target.missing_since, None);
        assert!(store.get_target(&a).await.expect("read").is_some());
    }

    #[tokio::test]
    async fn keys_are_per_importer() {
        let (_dir, store) = store().await;
        let sink = EmbeddedSink::new(store.clone(), Clock::System);
        let mut other = item("k", V1);
        other.importer_id = "imp-2".into();
        let Upsert::Created(x) = sink.upsert(item("k", V1)).await.expect("1") else {
            panic!()
        };
        let Upsert::Created(y) = sink.upsert(other).await.expect("2") else {
            panic!()
        };
        assert_ne!(x, y);
        assert_eq!(store.imported_targets("imp-1").await.expect("map").len(), 1);
    }

    /// What the source says beyond the document (Azure's version set) shows as
    /// `apihub.*` annotations, and follows the source when it changes.
    #[tokio::test]
    async fn source_annotations_show_as_system_annotations() {
        let (_dir, store) = store().await;
        let sink = EmbeddedSink::new(store.clone(), Clock::manual(1_700_000_000_000));
        let mut it = item("k1", V1);
        it.source_annotations = vec![
            ("versionSet".into(), "echo".into()),
            ("apiVersion".into(), "v2".into()),
        ];
        let Upsert::Created(id) = sink.upsert(it.clone()).await.expect("create") else {
            panic!("not created")
        };
        let view = |t: crate::store::TargetWithOperations| -> Vec<(String, String)> {
            crate::inventory::TargetView::from(t.target)
                .annotations
                .into_iter()
                .filter(|a| a.key == "apihub.versionSet" || a.key == "apihub.apiVersion")
                .map(|a| (a.key, a.value))
                .collect()
        };
        let got = view(store.get_target(&id).await.expect("read").expect("target"));
        assert_eq!(
            got,
            [
                ("apihub.versionSet".to_owned(), "echo".to_owned()),
                ("apihub.apiVersion".to_owned(), "v2".to_owned())
            ]
        );
        it.source_annotations = vec![
            ("versionSet".into(), "echo".into()),
            ("apiVersion".into(), "v3".into()),
        ];
        assert_eq!(
            sink.upsert(it).await.expect("same content"),
            Upsert::Unchanged(id.clone())
        );
        let got = view(store.get_target(&id).await.expect("read").expect("target"));
        assert_eq!(
            got[1],
            ("apihub.apiVersion".to_owned(), "v3".to_owned()),
            "follows the source"
        );
    }

    /// Installs SQL on the store's real database file: test-only triggers that
    /// make chosen writes fail.
    fn sql(store: &Store, sql: &str) {
        rusqlite::Connection::open(store.path())
            .and_then(|c| c.execute_batch(sql))
            .expect("install test SQL");
    }

    /// Upserts an item per key while the store's writer turn is held, waits until
    /// all of them are queued behind it, lets it go and returns their results in
    /// key order.
    async fn queued_upserts(store: &Store, keys: &[String]) -> Vec<Result<Upsert, SinkError>> {
        let sink = std::sync::Arc::new(EmbeddedSink::new(store.clone(), Clock::System));
        let turn = store.hold_writer().await;
        let writes: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(n, key)| {
                let (sink, it) = (sink.clone(), item(key, &spec(n)));
                tokio::spawn(async move { sink.upsert(it).await })
            })
            .collect();
        while store.group_queued() < keys.len() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        drop(turn);
        let mut out = Vec::new();
        for w in writes {
            out.push(w.await.expect("join"));
        }
        out
    }

    /// `k0`, `k1`, ... with `special` at position `at`.
    fn keys(n: usize, at: usize, special: &str) -> Vec<String> {
        (0..n)
            .map(|i| {
                if i == at {
                    special.to_owned()
                } else {
                    format!("k{i}")
                }
            })
            .collect()
    }

    fn spec(n: usize) -> String {
        format!(
            r#"{{"openapi":"3.0.0","info":{{"title":"T{n}","version":"1"}},"paths":{{"/p{n}":{{"get":{{"responses":{{"200":{{"description":"ok"}}}}}}}}}}}}"#
        )
    }

    /// Writes that wait together share one transaction, and one that fails inside
    /// it rolls back alone: the others are committed and readable, once each.
    #[tokio::test]
    async fn queued_writes_share_a_transaction_and_a_failing_one_fails_alone() {
        let (_dir, store) = store().await;
        sql(
            &store,
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON api_targets WHEN NEW.name = 'API boom' \
             BEGIN SELECT RAISE(ABORT, 'boom is refused'); END;",
        );
        let mut created = Vec::new();
        for (n, w) in queued_upserts(&store, &keys(20, 7, "boom"))
            .await
            .into_iter()
            .enumerate()
        {
            match w {
                Ok(Upsert::Created(id)) => created.push(id),
                Ok(other) => panic!("write {n}: {other:?}"),
                Err(e) => {
                    assert_eq!(n, 7, "only the refused item fails: {e}");
                    assert!(e.message.contains("boom is refused"), "{e}");
                }
            }
        }
        assert_eq!(created.len(), 19);
        assert_eq!(
            store.group_stats(),
            (2, 20),
            "one attempt for all, rolled back at the refused item, then one with a savepoint each"
        );
        let map = store.imported_targets("imp-1").await.expect("map");
        assert_eq!(map.len(), 19);
        assert!(!map.contains_key("boom"), "the failed item left nothing");
        for id in &created {
            let t = store.get_target(id).await.expect("read").expect("target");
            assert_eq!(t.operations.len(), 1, "with its operations");
        }
    }

    /// Writes queued while another holds the turn are one transaction.
    #[tokio::test]
    async fn queued_writes_are_one_transaction() {
        let (_dir, store) = store().await;
        let keys: Vec<String> = (0..10).map(|n| format!("k{n}")).collect();
        for w in queued_upserts(&store, &keys).await {
            assert!(matches!(w, Ok(Upsert::Created(_))), "{w:?}");
        }
        assert_eq!(store.group_stats(), (1, 10));
        assert_eq!(
            store.imported_targets("imp-1").await.expect("map").len(),
            10
        );
    }

    /// When the commit itself fails, no item of the batch is reported written and
    /// none is stored.
    #[tokio::test]
    async fn a_failed_commit_reports_every_item_of_its_batch_failed() {
        let (_dir, store) = store().await;
        // A deferred foreign key is checked at COMMIT, after every savepoint.
        sql(
            &store,
            "CREATE TABLE late_parent (id TEXT PRIMARY KEY);\
             CREATE TABLE late_child (parent TEXT REFERENCES late_parent(id) DEFERRABLE INITIALLY DEFERRED);\
             CREATE TRIGGER late_failure AFTER INSERT ON api_targets WHEN NEW.name = 'API late' \
             BEGIN INSERT INTO late_child (parent) VALUES ('nobody'); END;",
        );
        for w in queued_upserts(&store, &keys(6, 3, "late")).await {
            let e = w.expect_err("nothing is reported written");
            assert!(e.message.contains("not committed"), "{e}");
            assert!(e.transient, "a failed commit is worth retrying");
        }
        assert_eq!(store.group_stats(), (1, 6), "one batch");
        assert!(
            store
                .imported_targets("imp-1")
                .await
                .expect("map")
                .is_empty()
        );
        // The store goes on: the next write commits.
        let sink = EmbeddedSink::new(store.clone(), Clock::System);
        assert!(matches!(
            sink.upsert(item("k9", &spec(9))).await.expect("next"),
            Upsert::Created(_)
        ));
    }
}
