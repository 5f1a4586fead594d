-- Import projections (issue 4). Rebuilt from the import events like every
-- other projection; see the backends' import.rs.

-- One row per import batch.
CREATE TABLE import_batches (
    id          {uuid} PRIMARY KEY,
    book_id     {uuid} NOT NULL,
    file_name   TEXT   NOT NULL,
    sha256      TEXT   NOT NULL,
    format      TEXT   NOT NULL,
    counts      {json} NOT NULL, -- ImportCounts
    recorded_at {ts}   NOT NULL,
    position    {int}  NOT NULL,
    undone      {bool} NOT NULL DEFAULT {false}
);

-- How an imported row is recognised next time: bank id and fingerprint per
-- account. `created` = the batch recorded the transaction (undo deletes
-- those); `deleted` = the transaction was deleted later (a tombstone).
CREATE TABLE import_index (
    account_id  {uuid}  NOT NULL,
    fingerprint {bytes} NOT NULL, -- 16 bytes
    tx_id       {uuid}  NOT NULL,
    batch_id    {uuid}  NOT NULL,
    date        {date}  NOT NULL,
    external_id TEXT,
    pending     {bool}  NOT NULL,
    created     {bool}  NOT NULL,
    deleted     {bool}  NOT NULL DEFAULT {false}
);
-- Not partial: lookups must find tombstones too. Two imports cannot race
-- past each other: an import holds the write lock (SQLite: BEGIN IMMEDIATE;
-- PostgreSQL: the stream's row lock) before its first lookup.
CREATE INDEX import_index_fp ON import_index (account_id, fingerprint);
CREATE INDEX import_index_ext ON import_index (account_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX import_index_tx ON import_index (tx_id);

-- Rows held back for a person (`kassa import review`).
CREATE TABLE import_review (
    id       {uuid} PRIMARY KEY,
    book_id  {uuid} NOT NULL,
    batch_id {uuid} NOT NULL,
    item     {json} NOT NULL, -- ReviewItem
    position {int}  NOT NULL
);

-- trades.csv rows, kept for the investments issue. Quantities and prices
-- have any number of decimals: exact decimals, never REAL.
CREATE TABLE trades (
    batch_id    {uuid}    NOT NULL,
    seq         {int}     NOT NULL,
    book_id     {uuid}    NOT NULL,
    account_id  {uuid}    NOT NULL,
    trade_time  TEXT      NOT NULL,
    date        {date}    NOT NULL,
    symbol      TEXT,
    isin        TEXT,
    side        TEXT      NOT NULL,
    quantity    {decimal} NOT NULL,
    price       {decimal} NOT NULL,
    fees        {decimal} NOT NULL,
    currency    TEXT      NOT NULL,
    external_id TEXT,
    PRIMARY KEY (batch_id, seq)
){without_rowid};

-- Users' CSV profiles (TOML), by name.
CREATE TABLE import_profiles (
    book_id {uuid} NOT NULL,
    name    TEXT   NOT NULL,
    toml    TEXT   NOT NULL,
    PRIMARY KEY (book_id, name)
){without_rowid};
