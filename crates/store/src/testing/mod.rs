//! Fresh databases for tests, on both backends. Every crate's integration
//! tests use this, so the rules live in one place:
//!
//! - SQLite: a new file in a temporary directory, removed when dropped.
//! - PostgreSQL: when `KASSA_TEST_PG` holds a server URL, a new database
//!   `kassa_test_<uuid>` on it, dropped when the guard is dropped. When the
//!   variable is unset the PostgreSQL half is skipped with a loud line on
//!   stderr — unless `KASSA_REQUIRE_PG=1`, under which that is a failure.

pub mod commands;

use crate::{Store, StoreError};

/// A migrated store plus whatever must be cleaned up after it.
pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    pub store: Box<dyn Store>,
    cleanup: Cleanup,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDb({}, {})", self.name, self.url)
    }
}

enum Cleanup {
    /// Held only so the directory outlives the store and is removed after it.
    Dir(#[allow(dead_code)] TempDir),
    Pg {
        admin: String,
        database: String,
    },
}

/// A directory removed on drop; `tempfile` is only a dev-dependency, and this
/// module ships in the library so other crates' tests can use it.
#[derive(Debug)]
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("kassa-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Default for TempDir {
    fn default() -> Self {
        TempDir::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Pg { admin, database } = &self.cleanup
            && let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"));
        }
    }
}

/// A fresh, migrated SQLite store.
pub fn sqlite() -> TestDb {
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.path().join("kassa.db").display());
    let store = crate::open(&url).expect("open sqlite");
    store.migrate().expect("migrate sqlite");
    TestDb { name: "sqlite", url, store, cleanup: Cleanup::Dir(dir) }
}

/// A fresh, migrated PostgreSQL store, or `None` (said loudly) when
/// `KASSA_TEST_PG` is unset. Panics when the server is required but absent.
pub fn postgres() -> Option<TestDb> {
    let required = std::env::var("KASSA_REQUIRE_PG").is_ok_and(|v| v == "1");
    let Ok(admin) = std::env::var("KASSA_TEST_PG") else {
        assert!(!required, "KASSA_REQUIRE_PG=1 but KASSA_TEST_PG is unset");
        eprintln!(
            "SKIPPING PostgreSQL half of this test: set KASSA_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres"
        );
        return None;
    };
    let database = format!("kassa_test_{}", uuid::Uuid::now_v7().simple());
    let created = postgres::Client::connect(&admin, postgres::NoTls)
        .and_then(|mut c| c.batch_execute(&format!("CREATE DATABASE \"{database}\"")));
    if let Err(e) = created {
        assert!(!required, "KASSA_REQUIRE_PG=1 but PostgreSQL at {admin} is unusable: {e}");
        eprintln!("SKIPPING PostgreSQL half of this test: {admin} is unusable: {e}");
        return None;
    }
    let url = with_database(&admin, &database);
    let store = crate::open(&url).unwrap_or_else(|e: StoreError| panic!("open {url}: {e}"));
    store.migrate().expect("migrate postgres");
    Some(TestDb { name: "postgres", url, store, cleanup: Cleanup::Pg { admin, database } })
}

/// SQLite always, PostgreSQL when configured: the shared test story.
pub fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    dbs.extend(postgres());
    dbs
}

/// `postgres://u@h:p/old?x` → `postgres://u@h:p/new?x`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_in_a_url() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(super::with_database("postgresql://h/db?sslmode=disable", "x"), "postgresql://h/x?sslmode=disable");
    }
}
