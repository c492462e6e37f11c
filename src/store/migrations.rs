//! Schema migrations, applied in order at start. Never edit a released migration;
//! add a new one.

use rusqlite_migration::{M, Migrations};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/001_importers.sql")),
    M::up(include_str!("migrations/002_inventory.sql")),
    M::up(include_str!("migrations/003_sync.sql")),
];

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().expect("valid migrations");
    }
}
