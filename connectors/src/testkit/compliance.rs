//! What every HTTP connector must do, checked against its platform on a
//! [`ContractServer`]: list over at least three pages; wait what `Retry-After: 1`
//! says on a 429; retry a 5xx up to its limit, then report it; turn a refusal of its
//! credentials into an auth error that names the platform and the call and holds no
//! secret; stop a listing within a second of a cancellation; give the same keys
//! (and, where the platform has them, the same revisions) for the same source, with
//! no download while listing; and download every listed document.
//!
//! A connector's tests implement [`Subject`] and call [`run`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::server::{ContractServer, Fault, Recorded};
use crate::connector::{Connector, Context, Item, list_all};
use crate::error::ErrorKind;

#[async_trait]
pub trait Subject: Send + Sync {
    /// The platform's name as the connector's messages say it ("AWS", "Kong").
    fn platform(&self) -> &str;
    /// A secret in the connector's parameters: it must appear in no message.
    fn secret(&self) -> &str;
    /// The platform with `apis` APIs, listed over at least three pages.
    async fn start(&self, apis: usize) -> ContractServer;
    /// The connector pointed at `server`, retrying a 5xx [`Subject::attempts`]
    /// times in all.
    fn connector(&self, server: &ContractServer) -> Box<dyn Connector>;
    /// How many items a platform with `apis` APIs lists.
    fn items(&self, apis: usize) -> usize {
        apis
    }
    /// Path of the first listing call: faults are scripted on the requests whose
    /// path starts with it (the first of which is that call), pages counted on it.
    fn listing_path(&self) -> &str;
    /// The call named in messages about that path ("GetRestApis", "GET /services").
    fn call(&self) -> &str;
    /// Whether a request is a document download (not part of the listing).
    fn is_download(&self, r: &Recorded) -> bool;
    /// Attempts the connector makes on a 5xx before it reports it.
    fn attempts(&self) -> usize;
    /// How the platform refuses credentials.
    fn refusal(&self) -> Fault {
        Fault::status(401, "{\"message\": \"Unauthorized\"}")
            .header("content-type", "application/json")
    }
    /// Whether the platform gives source revisions.
    fn has_revisions(&self) -> bool {
        true
    }
}

fn cx() -> Context {
    Context::new("compliance", "compliance")
}

/// Runs every check; panics with what failed.
pub async fn run(s: &dyn Subject) {
    let apis = 7;
    let server = s.start(apis).await;
    let c = s.connector(&server);
    let platform = s.platform();

    // Pages, stable keys and revisions, no downloads while listing.
    let first = list_all(c.as_ref(), &cx())
        .await
        .unwrap_or_else(|e| panic!("{platform}: listing failed: {e}"));
    let pages = server.count(s.listing_path());
    assert!(
        pages >= 3,
        "{platform}: {pages} listing pages; the suite needs at least 3"
    );
    assert_eq!(
        first.len(),
        s.items(apis),
        "{platform}: listed {:?}",
        keys(&first)
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| s.is_download(r))
            .count(),
        0,
        "{platform}: the listing downloaded documents"
    );
    let state = |items: &[crate::connector::Listed]| -> BTreeMap<String, Option<String>> {
        items
            .iter()
            .map(|l| (l.external_key.clone(), l.revision.clone()))
            .collect()
    };
    let before = state(&first);
    assert_eq!(
        before.len(),
        first.len(),
        "{platform}: keys repeat: {:?}",
        keys(&first)
    );
    if s.has_revisions() {
        assert!(
            before.values().all(Option::is_some),
            "{platform}: items without a revision: {before:?}"
        );
    }

    // Every listed document downloads.
    let mut downloaded = 0;
    for l in first {
        if let Item::Fetch(f) = l.item {
            let doc = f().await.unwrap_or_else(|e| {
                panic!("{platform}: {} failed to download: {e}", l.external_key)
            });
            assert!(
                !doc.bytes.is_empty(),
                "{platform}: {} downloaded empty",
                l.external_key
            );
            downloaded += 1;
        }
    }
    assert!(downloaded > 0, "{platform}: nothing to download");
    server.clear_requests();
    let again = list_all(c.as_ref(), &cx())
        .await
        .unwrap_or_else(|e| panic!("{platform}: second listing failed: {e}"));
    assert_eq!(
        state(&again),
        before,
        "{platform}: the same source gave other keys or revisions"
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| s.is_download(r))
            .count(),
        0,
        "{platform}: an unchanged listing downloaded documents"
    );

    // A 429 with `Retry-After: 1` is waited for.
    server.clear_requests();
    server.fault(s.listing_path(), Fault::throttled(1), 1);
    list_all(c.as_ref(), &cx())
        .await
        .unwrap_or_else(|e| panic!("{platform}: a 429 failed the listing: {e}"));
    let hits: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == s.listing_path())
        .collect();
    assert!(
        hits.len() >= 2 && hits[0].status == 429,
        "{platform}: {hits:?}"
    );
    let waited = hits[1].at - hits[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "{platform}: Retry-After: 1 was not waited for ({waited:?})"
    );

    // A 5xx is retried up to the limit, then reported.
    server.clear_requests();
    server.fault(
        s.listing_path(),
        Fault::status(503, "{\"message\": \"unavailable\"}"),
        1000,
    );
    let err = list_all(c.as_ref(), &cx())
        .await
        .expect_err("a platform that stays down fails the listing");
    server.clear_faults();
    assert_eq!(err.kind, ErrorKind::Transient, "{platform}: {err}");
    assert_eq!(
        server.count(s.listing_path()),
        s.attempts(),
        "{platform}: attempts on a 503"
    );
    assert!(
        err.message.contains("503") || err.message.to_lowercase().contains("unavailable"),
        "{platform}: {err}"
    );

    // Refused credentials: an auth error naming the platform and the call, no secret.
    server.fault(s.listing_path(), s.refusal(), 1000);
    let err = list_all(c.as_ref(), &cx())
        .await
        .expect_err("refused credentials fail the listing");
    server.clear_faults();
    assert_eq!(err.kind, ErrorKind::Auth, "{platform}: {err}");
    assert!(
        err.message.contains(platform),
        "{platform} not named: {err}"
    );
    assert!(
        err.message.contains(s.call()),
        "{} not named: {err}",
        s.call()
    );
    assert!(
        !err.message.contains(s.secret()),
        "{platform}: a secret is in the message: {err}"
    );
    assert!(
        !format!("{:?}", err.detail).contains(s.secret()),
        "{platform}: a secret is in the detail"
    );

    // A cancelled run stops the listing within a second.
    server.fault(s.listing_path(), Fault::Slow(Duration::from_secs(10)), 1);
    let run = cx();
    let stop = run.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.cancel();
    });
    let started = Instant::now();
    let result = list_all(c.as_ref(), &run).await;
    server.clear_faults();
    assert!(
        result.is_err(),
        "{platform}: a cancelled listing reported success"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{platform}: cancellation took {:?}",
        started.elapsed()
    );
}

fn keys(items: &[crate::connector::Listed]) -> Vec<&str> {
    items.iter().map(|l| l.external_key.as_str()).collect()
}
