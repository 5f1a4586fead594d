-- Import projections (issue 4). Rebuilt from the import events like every
-- other projection; see crates/store/src/sqlite/import.rs.

-- One row per import batch.
CREATE TABLE import_batches (
    id          BLOB    PRIMARY KEY,
    book_id     BLOB    NOT NULL,
    file_name   TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    format      TEXT    NOT NULL,
    counts      TEXT    NOT NULL,              -- JSON ImportCounts
    recorded_at TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    undone      INTEGER NOT NULL DEFAULT 0
);

-- How an imported row is recognised next time: bank id and fingerprint per
-- account. `created` = the batch recorded the transaction (undo deletes
-- those); `deleted` = the transaction was deleted later (a tombstone).
CREATE TABLE import_index (
    account_id  BLOB    NOT NULL,
    fingerprint BLOB    NOT NULL,              -- 16 bytes
    tx_id       BLOB    NOT NULL,
    batch_id    BLOB    NOT NULL,
    date        TEXT    NOT NULL,
    external_id TEXT,
    pending     INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
);
-- Not partial: lookups must find tombstones too. Two imports cannot race
-- past each other: an import holds the write lock (BEGIN IMMEDIATE) before
-- its first lookup.
CREATE INDEX import_index_fp ON import_index (account_id, fingerprint);
CREATE INDEX import_index_ext ON import_index (account_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX import_index_tx ON import_index (tx_id);

-- Rows held back for a person (`kassa import review`).
CREATE TABLE import_review (
    id       BLOB    PRIMARY KEY,
    book_id  BLOB    NOT NULL,
    batch_id BLOB    NOT NULL,
    item     TEXT    NOT NULL,                 -- JSON ReviewItem
    position INTEGER NOT NULL
);

-- trades.csv rows, kept for the investments issue. Quantities and prices
-- have any number of decimals, so they are canonical decimal TEXT (never REAL).
CREATE TABLE trades (
    batch_id    BLOB    NOT NULL,
    seq         INTEGER NOT NULL,
    book_id     BLOB    NOT NULL,
    account_id  BLOB    NOT NULL,
    trade_time  TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    symbol      TEXT,
    isin        TEXT,
    side        TEXT    NOT NULL,
    quantity    TEXT    NOT NULL,
    price       TEXT    NOT NULL,
    fees        TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    external_id TEXT,
    PRIMARY KEY (batch_id, seq)
) WITHOUT ROWID;

-- Users' CSV profiles (TOML), by name.
CREATE TABLE import_profiles (
    book_id BLOB NOT NULL,
    name    TEXT NOT NULL,
    toml    TEXT NOT NULL,
    PRIMARY KEY (book_id, name)
) WITHOUT ROWID;
