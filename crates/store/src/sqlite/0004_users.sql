-- Users, tokens, organisations and book roles (ADR 004): projections of the
-- user-/token-/org-/book-acl- streams, rebuilt by `kassa rebuild`.
CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,   -- lower-cased
    password_hash  TEXT    NOT NULL,          -- Argon2id PHC string
    platform_admin INTEGER NOT NULL,
    disabled       INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         BLOB PRIMARY KEY,
    user_id    BLOB    NOT NULL,
    kind       TEXT    NOT NULL,              -- session | invite
    token_hash TEXT    NOT NULL UNIQUE,       -- SHA-256 of the secret, hex
    expires_at TEXT    NOT NULL,              -- RFC 3339, UTC
    revoked    INTEGER NOT NULL
);

CREATE TABLE orgs (
    id   BLOB PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE org_members (
    org_id  BLOB NOT NULL,
    user_id BLOB NOT NULL,
    role    TEXT NOT NULL,                    -- admin | member
    PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE book_grants (
    book_id        BLOB NOT NULL,
    principal_kind TEXT NOT NULL,             -- user | organisation
    principal_id   BLOB NOT NULL,
    role           TEXT NOT NULL,             -- owner | editor | viewer | spender
    account_id     BLOB,                      -- the spender's account
    PRIMARY KEY (book_id, principal_kind, principal_id)
) WITHOUT ROWID;
CREATE INDEX book_grants_principal ON book_grants (principal_id);

-- Not a projection: replies to creates kept for Idempotency-Key, never rebuilt.
CREATE TABLE idempotency_keys (
    scope       TEXT    NOT NULL,             -- the caller (user id)
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,             -- method, path and body hash
    status      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

