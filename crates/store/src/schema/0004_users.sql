-- Users, tokens, organisations and book roles (ADR 004): projections of the
-- user-/token-/org-/book-acl- streams, rebuilt by `kassa rebuild`.
CREATE TABLE users (
    id             {uuid} PRIMARY KEY,
    email          TEXT   NOT NULL UNIQUE, -- lower-cased
    password_hash  TEXT   NOT NULL,        -- Argon2id PHC string
    platform_admin {bool} NOT NULL,
    disabled       {bool} NOT NULL
);

CREATE TABLE tokens (
    id         {uuid} PRIMARY KEY,
    user_id    {uuid} NOT NULL,
    kind       TEXT   NOT NULL,        -- session | invite
    token_hash TEXT   NOT NULL UNIQUE, -- SHA-256 of the secret, hex
    expires_at {ts}   NOT NULL,        -- UTC
    revoked    {bool} NOT NULL
);

CREATE TABLE orgs (
    id   {uuid} PRIMARY KEY,
    name TEXT   NOT NULL
);

CREATE TABLE org_members (
    org_id  {uuid} NOT NULL,
    user_id {uuid} NOT NULL,
    role    TEXT   NOT NULL, -- admin | member
    PRIMARY KEY (org_id, user_id)
){without_rowid};
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE book_grants (
    book_id        {uuid} NOT NULL,
    principal_kind TEXT   NOT NULL, -- user | organisation
    principal_id   {uuid} NOT NULL,
    role           TEXT   NOT NULL, -- owner | editor | viewer | spender
    account_id     {uuid}, -- the spender's account
    PRIMARY KEY (book_id, principal_kind, principal_id)
){without_rowid};
CREATE INDEX book_grants_principal ON book_grants (principal_id);

-- Not a projection: replies to creates kept for Idempotency-Key, never rebuilt.
CREATE TABLE idempotency_keys (
    scope       TEXT    NOT NULL, -- the caller (user id)
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL, -- method, path and body hash
    status      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
@sqlite     created_at  TEXT    NOT NULL,
@postgres     created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
){without_rowid};

@postgres -- Register pages of the API: one account, newest first, a range scan.
@postgres CREATE INDEX postings_account_page ON postings (account_id, date, tx_id, seq) WHERE account_id IS NOT NULL;
