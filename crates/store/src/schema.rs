//! The migrations, one text per version for both backends (`schema/`).
//! Where the dialects agree a line is written once; where they differ:
//!
//! - a `{name}` placeholder stands for one of the [`PLACEHOLDERS`], such as
//!   `{uuid}` (a 16-byte `BLOB` on SQLite, `UUID` on PostgreSQL) or
//!   `{money}` with `{minor}` (SQLite keeps integer minor units in
//!   `amount_minor INTEGER`, PostgreSQL `amount NUMERIC`);
//! - a line that starts with `@sqlite ` or `@postgres ` is only that
//!   backend's (triggers, identity columns, `WITHOUT ROWID`…).
//!
//! An applied migration is never edited: its rendering is pinned by the
//! schema snapshots in `tests/it/schema.rs`.

use crate::error::{Result, StoreError};
use crate::types::Backend;

/// Version, name, template.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("schema/0001_init.sql")),
    (2, "import", include_str!("schema/0002_import.sql")),
    (3, "reports", include_str!("schema/0003_reports.sql")),
    (4, "users", include_str!("schema/0004_users.sql")),
    (5, "categorize", include_str!("schema/0005_categorize.sql")),
    (6, "register_pages", include_str!("schema/0006_register_pages.sql")),
    (7, "register", include_str!("schema/0007_register.sql")),
    (8, "state", include_str!("schema/0008_state.sql")),
    (9, "idempotency_ttl", include_str!("schema/0009_idempotency_ttl.sql")),
    (10, "budgets", include_str!("schema/0010_budgets.sql")),
    (11, "recurring", include_str!("schema/0011_recurring.sql")),
    (12, "jobs", include_str!("schema/0012_jobs.sql")),
    (13, "trades_detail", include_str!("schema/0013_trades_detail.sql")),
    (16, "loans_plans", include_str!("schema/0016_loans_plans.sql")),
    (17, "instruments", include_str!("schema/0017_instruments.sql")),
    (20, "search", include_str!("schema/0020_search.sql")),
];

/// The migrations not among the `done` versions, named as `migrate` names
/// those it applies.
pub(crate) fn pending(done: &[i64]) -> Vec<String> {
    MIGRATIONS.iter().filter(|(v, ..)| !done.contains(v)).map(|(v, name, _)| format!("{v:04}_{name}")).collect()
}

/// Placeholder, SQLite text, PostgreSQL text.
pub(crate) const PLACEHOLDERS: &[(&str, &str, &str)] = &[
    ("uuid", "BLOB", "UUID"),
    ("int", "INTEGER", "BIGINT"),
    ("date", "TEXT", "DATE"),
    ("ts", "TEXT", "TIMESTAMPTZ"),
    ("bool", "INTEGER", "BOOLEAN"),
    ("true", "1", "true"),
    ("false", "0", "false"),
    ("json", "TEXT", "JSONB"),
    ("bytes", "BLOB", "BYTEA"),
    ("small", "INTEGER", "SMALLINT"),
    // Exact decimals that are not money (rates, quantities, prices):
    // canonical decimal text on SQLite, never REAL.
    ("decimal", "TEXT", "NUMERIC"),
    ("money", "INTEGER", "NUMERIC"),
    ("minor", "_minor", ""),
    ("without_rowid", " WITHOUT ROWID", ""),
];

/// The backend's SQL of one migration template.
pub(crate) fn render(template: &str, backend: Backend) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    for line in template.lines() {
        let line = match (line.strip_prefix("@sqlite"), line.strip_prefix("@postgres")) {
            (Some(rest), _) if backend == Backend::Sqlite => rest.strip_prefix(' ').unwrap_or(rest),
            (_, Some(rest)) if backend == Backend::Postgres => rest.strip_prefix(' ').unwrap_or(rest),
            (Some(_), _) | (_, Some(_)) => continue,
            (None, None) => line,
        };
        let mut rest = line;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').ok_or_else(|| unknown(&rest[open..]))? + open;
            let name = &rest[open + 1..close];
            let &(_, sqlite, postgres) = PLACEHOLDERS.iter().find(|(n, ..)| *n == name).ok_or_else(|| unknown(name))?;
            out.push_str(if backend == Backend::Sqlite { sqlite } else { postgres });
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    Ok(out)
}

fn unknown(placeholder: &str) -> StoreError {
    StoreError::Corrupt(format!("migration template: no placeholder {placeholder:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_on_both_backends() {
        for (version, name, template) in MIGRATIONS {
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let sql = render(template, backend).unwrap_or_else(|e| panic!("{version:04}_{name}: {e}"));
                assert!(!sql.contains('{') && !sql.contains("@sqlite") && !sql.contains("@postgres"), "{name}");
            }
        }
    }

    #[test]
    fn dialect_lines_and_placeholders() {
        let t = "CREATE TABLE t (\n    id {uuid} PRIMARY KEY,\n    amount{minor} {money}\n@sqlite ){without_rowid};\n@postgres );\n";
        assert_eq!(
            render(t, Backend::Sqlite).unwrap(),
            "CREATE TABLE t (\n    id BLOB PRIMARY KEY,\n    amount_minor INTEGER\n) WITHOUT ROWID;\n"
        );
        assert_eq!(
            render(t, Backend::Postgres).unwrap(),
            "CREATE TABLE t (\n    id UUID PRIMARY KEY,\n    amount NUMERIC\n);\n"
        );
        assert!(render("x {nope}", Backend::Sqlite).is_err());
    }
}
