-- Import projections (issue 4); see crates/store/src/postgres/import.rs.
CREATE TABLE import_batches (
    id          UUID    PRIMARY KEY,
    book_id     UUID    NOT NULL,
    file_name   TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    format      TEXT    NOT NULL,
    counts      JSONB   NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    position    BIGINT  NOT NULL,
    undone      BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE import_index (
    account_id  UUID    NOT NULL,
    fingerprint BYTEA   NOT NULL,
    tx_id       UUID    NOT NULL,
    batch_id    UUID    NOT NULL,
    date        DATE    NOT NULL,
    external_id TEXT,
    pending     BOOLEAN NOT NULL,
    created     BOOLEAN NOT NULL,
    deleted     BOOLEAN NOT NULL DEFAULT false
);
-- Imports of one book serialise on the stream row lock taken before any lookup.
CREATE INDEX import_index_fp ON import_index (account_id, fingerprint);
CREATE INDEX import_index_ext ON import_index (account_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX import_index_tx ON import_index (tx_id);

CREATE TABLE import_review (
    id       UUID   PRIMARY KEY,
    book_id  UUID   NOT NULL,
    batch_id UUID   NOT NULL,
    item     JSONB  NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE trades (
    batch_id    UUID    NOT NULL,
    seq         BIGINT  NOT NULL,
    book_id     UUID    NOT NULL,
    account_id  UUID    NOT NULL,
    trade_time  TEXT    NOT NULL,
    date        DATE    NOT NULL,
    symbol      TEXT,
    isin        TEXT,
    side        TEXT    NOT NULL,
    quantity    NUMERIC NOT NULL,
    price       NUMERIC NOT NULL,
    fees        NUMERIC NOT NULL,
    currency    TEXT    NOT NULL,
    external_id TEXT,
    PRIMARY KEY (batch_id, seq)
);

CREATE TABLE import_profiles (
    book_id UUID NOT NULL,
    name    TEXT NOT NULL,
    toml    TEXT NOT NULL,
    PRIMARY KEY (book_id, name)
);
