-- Users, tokens, organisations and book roles (ADR 004): projections of the
-- user-/token-/org-/book-acl- streams, rebuilt by `kassa rebuild`.
CREATE TABLE users (
    id             UUID PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    platform_admin BOOLEAN NOT NULL,
    disabled       BOOLEAN NOT NULL
);

CREATE TABLE tokens (
    id         UUID PRIMARY KEY,
    user_id    UUID        NOT NULL,
    kind       TEXT        NOT NULL,
    token_hash TEXT        NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked    BOOLEAN     NOT NULL
);

CREATE TABLE orgs (
    id   UUID PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE org_members (
    org_id  UUID NOT NULL,
    user_id UUID NOT NULL,
    role    TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE book_grants (
    book_id        UUID NOT NULL,
    principal_kind TEXT NOT NULL,
    principal_id   UUID NOT NULL,
    role           TEXT NOT NULL,
    account_id     UUID,
    PRIMARY KEY (book_id, principal_kind, principal_id)
);
CREATE INDEX book_grants_principal ON book_grants (principal_id);

-- Not a projection: replies to creates kept for Idempotency-Key, never rebuilt.
CREATE TABLE idempotency_keys (
    scope       TEXT        NOT NULL,
    key         TEXT        NOT NULL,
    fingerprint TEXT        NOT NULL,
    status      INTEGER     NOT NULL,
    body        TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- Register pages of the API: one account, newest first, a range scan.
CREATE INDEX postings_account_page ON postings (account_id, date, tx_id, seq) WHERE account_id IS NOT NULL;
