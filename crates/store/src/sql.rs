//! SQL texts both backends run as they are, written once. The common
//! dialect: `?1`, `?2`… placeholders (PostgreSQL's copy turns each `?` into
//! `$` at compile time, so no text is built at run time) and `TRUE` /
//! `FALSE` for flags (SQLite reads them as 1 and 0, its stored flags).
//! What the dialects write differently — `UNNEST` batches and `= ANY` on
//! PostgreSQL, minor units beside the currency on SQLite — stays in the
//! backend's own file.

/// One statement in each backend's placeholder syntax.
pub(crate) struct Sql {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// `text` with every `?N` placeholder written `$N`; refuses (at compile
/// time) a `?` that is not followed by a digit.
pub(crate) const fn dollars<const N: usize>(text: &str) -> [u8; N] {
    let b = text.as_bytes();
    assert!(b.len() == N);
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = b[i];
        if b[i] == b'?' {
            assert!(i + 1 < N && b[i + 1].is_ascii_digit(), "a `?` that is not a placeholder");
            out[i] = b'$';
        }
        i += 1;
    }
    out
}

macro_rules! sql {
    ($($(#[doc = $doc:literal])* $name:ident = $text:literal;)*) => {$(
        $(#[doc = $doc])*
        pub(crate) static $name: Sql = {
            static PG: [u8; $text.len()] = dollars($text);
            Sql {
                sqlite: $text,
                postgres: match std::str::from_utf8(&PG) {
                    Ok(s) => s,
                    Err(_) => panic!("placeholders are ASCII"),
                },
            }
        };
    )*};
}
// For statement lists kept beside their module (`jobs`).
pub(crate) use sql;

// The import projections (`sqlite/import.rs`, `postgres/import.rs`).
sql! {
    INSERT_BATCH = "INSERT INTO import_batches (id, book_id, file_name, sha256, format, counts, recorded_at, position)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    INSERT_REVIEW = "INSERT INTO import_review (id, book_id, batch_id, item, position) VALUES (?1, ?2, ?3, ?4, ?5)";
    DELETE_REVIEW = "DELETE FROM import_review WHERE id = ?1";
    /// A transfer made of reviewed rows: the legs' index lines point at it
    /// and are live again.
    RELINK_INDEX_LINES = "UPDATE import_index SET tx_id = ?1, deleted = FALSE WHERE tx_id = ?2 AND created = TRUE";
    /// An index line for a reviewed row, unless a live line already has its
    /// fingerprint (a pending row matched by fingerprint keeps its own).
    INSERT_INDEX_LINE_UNLESS_LIVE =
        "INSERT INTO import_index (account_id, fingerprint, tx_id, batch_id, date, external_id, pending, created)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
          WHERE NOT EXISTS (SELECT 1 FROM import_index WHERE account_id = ?1 AND fingerprint = ?2 AND deleted = FALSE)";
    DELETE_BATCH_INDEX = "DELETE FROM import_index WHERE batch_id = ?1";
    DELETE_BATCH_REVIEWS = "DELETE FROM import_review WHERE batch_id = ?1";
    DELETE_BATCH_TRADES = "DELETE FROM trades WHERE batch_id = ?1";
    MARK_BATCH_UNDONE = "UPDATE import_batches SET undone = TRUE WHERE id = ?1";
    INSERT_TRADE = "INSERT INTO trades (batch_id, seq, book_id, account_id, trade_time, date, symbol, isin, side, quantity,
                                        price, fees, currency, external_id, name, amount, withholding_tax, ratio,
                                        cost_basis)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";
    /// A book's trades in the order they were recorded (batch, then row).
    BOOK_TRADES = "SELECT t.account_id, t.trade_time, t.date, t.symbol, t.isin, t.side, t.quantity, t.price, t.fees,
                          t.currency, t.external_id, t.name, t.amount, t.withholding_tax, t.ratio, t.cost_basis
                     FROM trades t JOIN import_batches b ON b.id = t.batch_id
                    WHERE t.book_id = ?1
                    ORDER BY b.position, t.seq";
    UPSERT_PROFILE = "INSERT INTO import_profiles (book_id, name, toml) VALUES (?1, ?2, ?3)
                      ON CONFLICT (book_id, name) DO UPDATE SET toml = excluded.toml";
    /// A deleted transaction leaves its index lines as tombstones.
    TOMBSTONE_INDEX_LINES = "UPDATE import_index SET deleted = TRUE WHERE tx_id = ?1";
    /// Whether the account had import index lines / any postings before.
    IMPORT_HISTORY = "SELECT EXISTS (SELECT 1 FROM import_index WHERE account_id = ?1),
                             EXISTS (SELECT 1 FROM register WHERE account_id = ?1)";
    IMPORT_BATCHES = "SELECT id, file_name, sha256, format, counts, recorded_at, undone FROM import_batches
                       WHERE book_id = ?1 ORDER BY position";
    BATCH_TRANSACTIONS = "SELECT DISTINCT i.tx_id FROM import_index i JOIN transactions t ON t.id = i.tx_id
                           WHERE i.batch_id = ?1 AND i.created = TRUE AND t.book_id = ?2 ORDER BY i.tx_id";
    IMPORT_REVIEWS = "SELECT batch_id, item FROM import_review WHERE book_id = ?1 ORDER BY position, id";
    IMPORT_REVIEW = "SELECT batch_id, item FROM import_review WHERE book_id = ?1 AND id = ?2";
    IMPORT_PROFILES = "SELECT name, toml FROM import_profiles WHERE book_id = ?1 ORDER BY name";
}

/// What undoing a batch runs, each with the batch id as `?1`.
pub(crate) static UNDO_BATCH: [&Sql; 4] =
    [&DELETE_BATCH_INDEX, &DELETE_BATCH_REVIEWS, &DELETE_BATCH_TRADES, &MARK_BATCH_UNDONE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_texts_differ_only_in_placeholders() {
        assert_eq!(INSERT_TRADE.postgres.matches('$').count(), 19);
        assert!(!INSERT_TRADE.postgres.contains('?'));
        assert_eq!(INSERT_TRADE.sqlite.replace('?', "$"), INSERT_TRADE.postgres);
        assert!(INSERT_TRADE.postgres.contains("$10, $11"));
    }
}
