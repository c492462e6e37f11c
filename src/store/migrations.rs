//! Schema migrations, applied in order at start. Never edit a released migration;
//! add a new one.

use rusqlite::{Transaction, params};
use rusqlite_migration::{HookResult, M, Migrations};

use crate::text::name_key;

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/001_importers.sql")),
        M::up(include_str!("migrations/002_inventory.sql")),
        M::up(include_str!("migrations/003_sync.sql")),
        M::up_with_hook(include_str!("migrations/004_name_keys.sql"), fill_name_keys),
        M::up(include_str!("migrations/005_idempotency.sql")),
        M::up(include_str!("migrations/006_source_revisions.sql")),
        M::up(include_str!("migrations/007_source_annotations.sql")),
        M::up(include_str!("migrations/008_traffic.sql")),
        M::up(include_str!("migrations/009_appsec.sql")),
        M::up(include_str!("migrations/010_appsec_filters.sql")),
        M::up(include_str!("migrations/011_declared_importers.sql")),
        M::up(include_str!("migrations/012_last_success.sql")),
        M::up(include_str!("migrations/013_recent_runs.sql")),
    ])
}

/// Computes the name keys SQL cannot (Unicode case folding). Importers whose names
/// collide under the new key (`Straße` and `STRASSE`) get a suffix rather than
/// stopping the upgrade, and the log says which.
fn fill_name_keys(tx: &Transaction<'_>) -> HookResult {
    let importers: Vec<(String, String)> = tx
        .prepare("SELECT id, name FROM importers ORDER BY created_at, id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut taken = std::collections::HashSet::new();
    for (id, name) in importers {
        let mut chosen = name.clone();
        let mut n = 2;
        while !taken.insert(name_key(&chosen)) {
            chosen = format!("{name} ({n})");
            n += 1;
        }
        if chosen != name {
            tracing::warn!(importer = %id, old = %name, new = %chosen, "Importer renamed: its name equals another's after case folding.");
        }
        tx.execute(
            "UPDATE importers SET name = ?2, name_key = ?3 WHERE id = ?1",
            params![id, chosen, name_key(&chosen)],
        )?;
    }
    tx.execute_batch("CREATE UNIQUE INDEX importers_by_name_key ON importers (name_key)")?;
    let targets: Vec<(String, String)> = tx
        .prepare("SELECT id, name FROM api_targets")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare("UPDATE api_targets SET name_key = ?2 WHERE id = ?1")?;
    for (id, name) in targets {
        update.execute(params![id, name_key(&name)])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().expect("valid migrations");
    }

    /// An upgrade over importers whose names collide after case folding renames
    /// the later one instead of failing.
    #[test]
    fn colliding_names_are_renamed_on_upgrade() {
        let mut conn = Connection::open_in_memory().expect("db");
        let m = super::migrations();
        m.to_version(&mut conn, 3).expect("v3");
        for (id, name, at) in [("a", "Straße", 1), ("b", "STRASSE", 2)] {
            conn.execute(
                "INSERT INTO importers (id, name, status, created_at, updated_at) VALUES (?1, ?2, 'Pending', ?3, ?3)",
                rusqlite::params![id, name, at],
            )
            .expect("insert");
        }
        m.to_latest(&mut conn).expect("upgrade");
        let names: Vec<String> = conn
            .prepare("SELECT name FROM importers ORDER BY id")
            .expect("stmt")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(names, ["Straße", "STRASSE (2)"]);
    }
}
