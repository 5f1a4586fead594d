//! The schema the migrations build, pinned per backend. The migrations are
//! rendered from one text per version (`src/schema/`), so a change to that
//! text or to its rendering shows here as a changed snapshot: a database
//! migrated yesterday and one migrated today must have the same tables,
//! columns, types, defaults, constraints, indexes and triggers.

use kassa_store::testing;

/// SQLite's own record of each object, its SQL with comments and layout
/// taken out (they are not schema).
fn sqlite_schema(path: &str) -> String {
    let conn = rusqlite::Connection::open(path).expect("open the test database");
    let mut st = conn
        .prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_master
              WHERE name NOT LIKE 'sqlite_%' AND name <> 'kassa_migrations' ORDER BY type, name",
        )
        .expect("read sqlite_master");
    let rows = st
        .query_map([], |r| {
            Ok(format!(
                "{} {} on {}: {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                normalize(&r.get::<_, Option<String>>(3)?.unwrap_or_default())
            ))
        })
        .expect("read sqlite_master");
    rows.map(|r| r.expect("a row")).collect::<Vec<_>>().join("\n")
}

/// PostgreSQL's catalog: columns in order with type, nullability and
/// default; every constraint, index, trigger and function as the server
/// prints it back.
fn postgres_schema(url: &str) -> String {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let mut out = vec![];
    for r in c
        .query(
            "SELECT table_name, column_name, data_type, is_nullable, COALESCE(column_default, ''),
                    COALESCE(is_identity, ''), COALESCE(identity_generation, '')
               FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name <> 'kassa_migrations'
              ORDER BY table_name, ordinal_position",
            &[],
        )
        .expect("columns")
    {
        let f = |i| r.get::<_, String>(i);
        out.push(format!(
            "column {}.{}: {} null={} default={} identity={}{}",
            f(0),
            f(1),
            f(2),
            f(3),
            f(4),
            f(5),
            f(6)
        ));
    }
    for (what, sql) in [
        (
            "constraint",
            "SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
              WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text <> 'kassa_migrations'",
        ),
        (
            "index",
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename <> 'kassa_migrations'",
        ),
        ("trigger", "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"),
        (
            "function",
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace",
        ),
    ] {
        let mut rows: Vec<String> = c
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .iter()
            .map(|r| format!("{what} {}", normalize(r.get::<_, &str>(0))))
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out.join("\n")
}

/// SQL without `--` comments and with every run of white space one space.
fn normalize(sql: &str) -> String {
    let uncommented: Vec<&str> = sql.lines().map(|l| l.split_once("--").map_or(l, |(code, _)| code)).collect();
    uncommented.join(" ").split_whitespace().collect::<Vec<_>>().join(" ").replace("( ", "(").replace(" )", ")")
}

#[test]
fn sqlite_schema_is_pinned() {
    let db = testing::sqlite();
    let path = db.url.strip_prefix("sqlite://").expect("a sqlite url");
    insta::assert_snapshot!(sqlite_schema(path));
}

#[test]
fn postgres_schema_is_pinned() {
    let Some(db) = testing::postgres() else { return };
    insta::assert_snapshot!(postgres_schema(&db.url));
}
