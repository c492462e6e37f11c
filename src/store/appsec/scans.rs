//! Scan results on the API Hub inventory (seed 001): an API target linked to a
//! DAST target (`POST /links`, `baseUrl`) shows the findings of the `Target`
//! asset at that URL. Its `vulnerabilityCounts` count the findings still to act
//! on (`open`, `reDiscovered`, `fixedUnconfirmed`, `notChecked`), `lastScanned` is
//! the latest scan that reported any of them and `lastScanStatus` `Completed`;
//! an operation gets the counts of the findings whose method and URL (below the
//! link's base URL) match it. Recomputed in the transaction that changes a link
//! or a finding, so lists and sorts read stored columns.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, Transaction, params};

use crate::appsec::rules::url_key;
use crate::store::StoreError;

const ACTIVE: &[&str] = &["open", "reDiscovered", "fixedUnconfirmed", "notChecked"];

/// The live Target asset at `base_url`, created (named `name`) when none is.
pub(crate) fn asset_for_link(
    tx: &Transaction<'_>,
    base_url: &str,
    name: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let Some(key) = url_key(base_url) else {
        return Ok(None);
    };
    let found: Option<String> = tx
        .query_row(
            "SELECT id FROM appsec_assets WHERE url_key = ?1 AND asset_type = 'Target' AND deleted = 0",
            [&key],
            |r| r.get(0),
        )
        .optional()?;
    if found.is_some() {
        return Ok(found);
    }
    super::assets::insert_target(tx, name, base_url.trim(), now).map(Some)
}

/// Path segments of a URL below `base` (`None` when it is not below it).
fn below(url: &str, base: &str) -> Option<Vec<String>> {
    let (u, b) = (url::Url::parse(url).ok()?, url::Url::parse(base).ok()?);
    if u.origin() != b.origin() {
        return None;
    }
    let segs = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (full, prefix) = (segs(u.path()), segs(b.path()));
    full.starts_with(&prefix)
        .then(|| full[prefix.len()..].to_vec())
}

/// Whether an operation's endpoint (`/pets/{petId}`) matches path segments.
fn matches(endpoint: &str, path: &[String]) -> bool {
    let template: Vec<&str> = endpoint.split('/').filter(|s| !s.is_empty()).collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(path)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || *t == p)
}

struct Found {
    url: Option<String>,
    method: Option<String>,
    severity: String,
    active: bool,
    last_seen: i64,
}

type Counts = [i64; 5];

fn add(counts: &mut Counts, severity: &str) {
    let i = match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    };
    counts[i] += 1;
}

/// Recomputes the scan fields of one API target and its operations.
pub(crate) fn refresh_target(tx: &Transaction<'_>, target_id: &str) -> Result<(), StoreError> {
    let bases: Vec<String> = tx
        .prepare_cached("SELECT base_url FROM links WHERE target_id = ?1")?
        .query_map([target_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut found: Vec<(String, Found)> = Vec::new();
    let mut seen_assets = BTreeSet::new();
    let mut stmt = tx.prepare_cached(
        "SELECT v.dast_url, v.dast_method, v.severity, v.status, v.last_seen FROM appsec_vulnerabilities v \
         JOIN appsec_assets a ON a.id = v.asset_id \
         WHERE a.url_key = ?1 AND a.asset_type = 'Target' AND a.deleted = 0",
    )?;
    for base in &bases {
        let Some(key) = url_key(base) else { continue };
        if !seen_assets.insert(key.clone()) {
            continue;
        }
        let rows = stmt.query_map([&key], |r| {
            let status: String = r.get(3)?;
            Ok(Found {
                url: r.get(0)?,
                method: r.get(1)?,
                severity: r.get(2)?,
                active: ACTIVE.contains(&status.as_str()),
                last_seen: r.get(4)?,
            })
        })?;
        for f in rows {
            found.push((base.clone(), f?));
        }
    }
    let total = |items: &mut dyn Iterator<Item = &Found>| -> Option<(Counts, i64)> {
        let mut counts: Counts = [0; 5];
        let mut last = None;
        for f in items {
            if f.active {
                add(&mut counts, &f.severity);
            }
            last = Some(last.map_or(f.last_seen, |l: i64| l.max(f.last_seen)));
        }
        last.map(|l| (counts, l))
    };
    let scanned = total(&mut found.iter().map(|(_, f)| f));
    let (c, last, status) = match scanned {
        Some((c, l)) => (Some(c), Some(l), Some("Completed")),
        None => (None, None, None),
    };
    tx.execute(
        "UPDATE api_targets SET vuln_critical = ?2, vuln_high = ?3, vuln_medium = ?4, vuln_low = ?5, vuln_info = ?6, \
         last_scanned = ?7, last_scan_status = ?8 WHERE id = ?1",
        params![
            target_id,
            c.map(|c| c[0]),
            c.map(|c| c[1]),
            c.map(|c| c[2]),
            c.map(|c| c[3]),
            c.map(|c| c[4]),
            last,
            status
        ],
    )?;
    let ops: Vec<(String, String, String)> = tx
        .prepare_cached("SELECT id, type, endpoint FROM operations WHERE target_id = ?1")?
        .query_map([target_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare_cached(
        "UPDATE operations SET vuln_critical = ?2, vuln_high = ?3, vuln_medium = ?4, vuln_low = ?5, vuln_info = ?6, \
         last_scanned = ?7 WHERE id = ?1",
    )?;
    for (id, method, endpoint) in ops {
        let mut hits = found.iter().filter_map(|(base, f)| {
            let same_method = f
                .method
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(&method));
            let path = f.url.as_deref().and_then(|u| below(u, base));
            (same_method && path.is_some_and(|p| matches(&endpoint, &p))).then_some(f)
        });
        let op = total(&mut hits);
        let (c, last) = match op {
            Some((c, l)) => (Some(c), Some(l)),
            None => (None, None),
        };
        update.execute(params![
            id,
            c.map(|c| c[0]),
            c.map(|c| c[1]),
            c.map(|c| c[2]),
            c.map(|c| c[3]),
            c.map(|c| c[4]),
            last
        ])?;
    }
    Ok(())
}

/// Recomputes every API target linked to one of `assets`.
pub(crate) fn refresh_for_assets(
    tx: &Transaction<'_>,
    assets: &BTreeSet<String>,
) -> Result<(), StoreError> {
    let mut key_of = tx.prepare_cached("SELECT url_key FROM appsec_assets WHERE id = ?1")?;
    let mut keys = BTreeSet::new();
    for a in assets {
        if let Some(Some(k)) = key_of
            .query_row([a], |r| r.get::<_, Option<String>>(0))
            .optional()?
        {
            keys.insert(k);
        }
    }
    refresh_for_urls(tx, &keys)
}

/// Recomputes every API target linked to one of the URL keys.
pub(crate) fn refresh_for_urls(
    tx: &Transaction<'_>,
    keys: &BTreeSet<String>,
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut targets = BTreeSet::new();
    let mut links = tx.prepare_cached("SELECT target_id, base_url FROM links")?;
    let rows = links.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (target, base) = row?;
        if url_key(&base).is_some_and(|k| keys.contains(&k)) {
            targets.insert(target);
        }
    }
    for t in targets {
        refresh_target(tx, &t)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_match_operations_below_the_link() {
        let p = below(
            "https://api.example.com/v1/pets/42?x=1",
            "https://api.example.com/v1/",
        );
        assert_eq!(p, Some(vec!["pets".to_owned(), "42".to_owned()]));
        assert!(
            below(
                "https://other.example.com/v1/pets",
                "https://api.example.com/v1"
            )
            .is_none()
        );
        assert!(
            below(
                "https://api.example.com/v2/pets",
                "https://api.example.com/v1"
            )
            .is_none()
        );
        let path = vec!["pets".to_owned(), "42".to_owned()];
        assert!(matches("/pets/{petId}", &path));
        assert!(!matches("/pets", &path));
        assert!(!matches("/owners/{id}", &path));
    }
}
