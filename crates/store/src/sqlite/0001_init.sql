-- Ids are 16-byte UUID BLOBs, dates are ISO text, money is integer minor
-- units (never REAL). Every byte here is written for every transaction, so
-- rows are kept narrow: that is most of the write speed.

-- Streams, with the current version: the optimistic-concurrency check.
CREATE TABLE streams (
    id      INTEGER PRIMARY KEY,
    name    TEXT    NOT NULL UNIQUE,
    version INTEGER NOT NULL
);

-- The event log: append-only. Triggers refuse every UPDATE and DELETE.
CREATE TABLE events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: positions are never reused
    stream         INTEGER NOT NULL,                  -- streams.id
    version        INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,                  -- JSON
    actor          TEXT    NOT NULL,
    occurred_at    TEXT    NOT NULL,                  -- business date, YYYY-MM-DD
    recorded_at    TEXT    NOT NULL,                  -- RFC 3339, UTC, microseconds
    UNIQUE (stream, version)
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Projections: rebuilt from the log by `kassa rebuild`.
CREATE TABLE books (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    owner_kind TEXT NOT NULL,
    owner_id   BLOB
);

CREATE TABLE accounts (
    id            BLOB PRIMARY KEY,
    book_id       BLOB NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    iban          TEXT,
    number        TEXT,
    institution   TEXT,
    location      TEXT,
    opened_on     TEXT NOT NULL,
    balance_minor INTEGER NOT NULL DEFAULT 0,
    UNIQUE (book_id, name)
);

CREATE TABLE categories (
    id      BLOB PRIMARY KEY,
    book_id BLOB NOT NULL,
    name    TEXT NOT NULL,
    section TEXT NOT NULL,
    UNIQUE (book_id, name)
);

CREATE TABLE transactions (
    id           BLOB PRIMARY KEY,
    book_id      BLOB    NOT NULL,
    date         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    category_id  BLOB,
    counterparty TEXT,
    tags         TEXT,                 -- JSON array, NULL when empty
    notes        TEXT,
    external_id  TEXT,
    status       TEXT    NOT NULL,
    is_transfer  INTEGER NOT NULL,
    position     INTEGER NOT NULL      -- log position of the recording event
) WITHOUT ROWID;
CREATE INDEX transactions_book_date ON transactions (book_id, date, position);

CREATE TABLE postings (
    tx_id        BLOB    NOT NULL,
    seq          INTEGER NOT NULL,
    book_id      BLOB    NOT NULL,
    date         TEXT    NOT NULL,
    leg          TEXT    NOT NULL,     -- account | category | uncategorized | conversion
    account_id   BLOB,
    category_id  BLOB,
    currency     TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (tx_id, seq)
) WITHOUT ROWID;
CREATE INDEX postings_account_date ON postings (account_id, date) WHERE account_id IS NOT NULL;

-- Net change per account and day; a balance as of D is the sum up to D.
CREATE TABLE daily_balances (
    account_id  BLOB    NOT NULL,
    date        TEXT    NOT NULL,
    delta_minor INTEGER NOT NULL,
    PRIMARY KEY (account_id, date)
) WITHOUT ROWID;
