-- Ids are UUIDs (16-byte BLOBs on SQLite), dates are DATE (ISO text on
-- SQLite), money is NUMERIC on PostgreSQL and integer minor units on SQLite
-- (never REAL). Every byte here is written for every transaction, so rows
-- are kept narrow: that is most of the write speed.

-- Current version of each stream: the optimistic-concurrency check. On
-- PostgreSQL the row lock taken by the UPDATE makes a second writer wait,
-- then see the new version.
@sqlite CREATE TABLE streams (
@sqlite     id      INTEGER PRIMARY KEY,
@sqlite     name    TEXT    NOT NULL UNIQUE,
@sqlite     version INTEGER NOT NULL
@sqlite );

-- The event log: append-only. Triggers refuse every UPDATE and DELETE.
CREATE TABLE events (
@sqlite     position       INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: positions are never reused
@sqlite     stream         INTEGER NOT NULL,                  -- streams.id
@postgres     position       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
@postgres     stream_id      TEXT        NOT NULL,
    version        {int}     NOT NULL,
    event_type     TEXT      NOT NULL,
    schema_version INTEGER   NOT NULL,
    data           {json}    NOT NULL,
    actor          TEXT      NOT NULL,
    occurred_at    {date}    NOT NULL, -- the business date
    recorded_at    {ts}      NOT NULL, -- UTC, microseconds (RFC 3339 text on SQLite)
@sqlite     UNIQUE (stream, version)
@postgres     UNIQUE (stream_id, version)
);
@sqlite CREATE TRIGGER events_no_update BEFORE UPDATE ON events
@sqlite BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
@sqlite CREATE TRIGGER events_no_delete BEFORE DELETE ON events
@sqlite BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
@postgres CREATE INDEX events_recorded_at ON events (recorded_at);
@postgres CREATE FUNCTION kassa_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
@postgres BEGIN RAISE EXCEPTION 'events are append-only'; END $$;
@postgres CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
@postgres FOR EACH ROW EXECUTE FUNCTION kassa_events_append_only();
@postgres CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
@postgres FOR EACH STATEMENT EXECUTE FUNCTION kassa_events_append_only();
@postgres CREATE TABLE streams (
@postgres     stream_id TEXT PRIMARY KEY,
@postgres     version   BIGINT NOT NULL
@postgres );

-- Projections: rebuilt from the log by `kassa rebuild`.
CREATE TABLE books (
    id         {uuid} PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    owner_kind TEXT NOT NULL,
    owner_id   {uuid}
);

CREATE TABLE accounts (
    id             {uuid}  PRIMARY KEY,
    book_id        {uuid}  NOT NULL,
    name           TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    iban           TEXT,
    number         TEXT,
    institution    TEXT,
    location       TEXT,
    opened_on      {date}  NOT NULL,
    balance{minor} {money} NOT NULL DEFAULT 0,
    UNIQUE (book_id, name)
);

CREATE TABLE categories (
    id      {uuid} PRIMARY KEY,
    book_id {uuid} NOT NULL,
    name    TEXT   NOT NULL,
    section TEXT   NOT NULL,
    UNIQUE (book_id, name)
);

CREATE TABLE transactions (
    id           {uuid} PRIMARY KEY,
    book_id      {uuid} NOT NULL,
    date         {date} NOT NULL,
    description  TEXT   NOT NULL,
    category_id  {uuid},
    counterparty TEXT,
    tags         {json}, -- a JSON array, NULL when empty
    notes        TEXT,
    external_id  TEXT,
    status       TEXT   NOT NULL,
    is_transfer  {bool} NOT NULL,
    position     {int}  NOT NULL -- log position of the recording event
){without_rowid};
CREATE INDEX transactions_book_date ON transactions (book_id, date, position);

CREATE TABLE postings (
    tx_id         {uuid}  NOT NULL,
    seq           INTEGER NOT NULL,
    book_id       {uuid}  NOT NULL,
    date          {date}  NOT NULL,
    leg           TEXT    NOT NULL, -- account | category | uncategorized | conversion
    account_id    {uuid},
    category_id   {uuid},
    currency      TEXT    NOT NULL,
    amount{minor} {money} NOT NULL,
    PRIMARY KEY (tx_id, seq)
){without_rowid};
CREATE INDEX postings_account_date ON postings (account_id, date) WHERE account_id IS NOT NULL;

-- Net change per account and day; a balance as of D is the sum up to D.
CREATE TABLE daily_balances (
    account_id   {uuid}  NOT NULL,
    date         {date}  NOT NULL,
    delta{minor} {money} NOT NULL,
    PRIMARY KEY (account_id, date)
){without_rowid};
