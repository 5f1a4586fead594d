-- The event log: append-only. A trigger refuses every UPDATE and DELETE.
CREATE TABLE events (
    position       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id      TEXT        NOT NULL,
    version        BIGINT      NOT NULL,
    event_type     TEXT        NOT NULL,
    schema_version INTEGER     NOT NULL,
    data           JSONB       NOT NULL,
    actor          TEXT        NOT NULL,
    occurred_at    DATE        NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX events_recorded_at ON events (recorded_at);
CREATE FUNCTION kassa_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'events are append-only'; END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION kassa_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION kassa_events_append_only();

-- Current version of each stream: the optimistic-concurrency check. The row
-- lock taken by the UPDATE makes a second writer wait, then see the new version.
CREATE TABLE streams (
    stream_id TEXT PRIMARY KEY,
    version   BIGINT NOT NULL
);

-- Projections: rebuilt from the log by `kassa rebuild`. Money is NUMERIC.
CREATE TABLE books (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    owner_kind TEXT NOT NULL,
    owner_id   UUID
);

CREATE TABLE accounts (
    id          UUID PRIMARY KEY,
    book_id     UUID NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    iban        TEXT,
    number      TEXT,
    institution TEXT,
    location    TEXT,
    opened_on   DATE NOT NULL,
    balance     NUMERIC NOT NULL DEFAULT 0,
    UNIQUE (book_id, name)
);

CREATE TABLE categories (
    id      UUID PRIMARY KEY,
    book_id UUID NOT NULL,
    name    TEXT NOT NULL,
    section TEXT NOT NULL,
    UNIQUE (book_id, name)
);

CREATE TABLE transactions (
    id           UUID PRIMARY KEY,
    book_id      UUID    NOT NULL,
    date         DATE    NOT NULL,
    description  TEXT    NOT NULL,
    category_id  UUID,
    counterparty TEXT,
    tags         JSONB,
    notes        TEXT,
    external_id  TEXT,
    status       TEXT    NOT NULL,
    is_transfer  BOOLEAN NOT NULL,
    position     BIGINT  NOT NULL
);
CREATE INDEX transactions_book_date ON transactions (book_id, date, position);

CREATE TABLE postings (
    tx_id       UUID    NOT NULL,
    seq         INTEGER NOT NULL,
    book_id     UUID    NOT NULL,
    date        DATE    NOT NULL,
    leg         TEXT    NOT NULL,
    account_id  UUID,
    category_id UUID,
    currency    TEXT    NOT NULL,
    amount      NUMERIC NOT NULL,
    PRIMARY KEY (tx_id, seq)
);
CREATE INDEX postings_account_date ON postings (account_id, date) WHERE account_id IS NOT NULL;

CREATE TABLE daily_balances (
    account_id UUID    NOT NULL,
    date       DATE    NOT NULL,
    delta      NUMERIC NOT NULL,
    PRIMARY KEY (account_id, date)
);
