-- State several server processes share (issue 13): not projections, never
-- rebuilt. Times are microseconds since the epoch, from the caller's clock.

CREATE TABLE login_limits (
    key          TEXT   PRIMARY KEY,           -- 'acct:<email>' or 'ip:<address>'
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL
);
CREATE INDEX login_limits_window ON login_limits (window_start);

-- Bumped in the transaction of every access write that can make a cached
-- answer (a token's holder, a role on a book) wrong; inserts of users and
-- tokens cannot, since a lookup that fails is never cached.
CREATE TABLE access_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT  NOT NULL
);
INSERT INTO access_epoch (id, epoch) VALUES (1, 0);
CREATE FUNCTION kassa_bump_access_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_epoch SET epoch = epoch + 1;
    RETURN NULL;
END $$;
-- Per statement: one bump however many rows (rebuild truncates them all).
CREATE TRIGGER access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
CREATE TRIGGER access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
CREATE TRIGGER access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON org_members
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
CREATE TRIGGER access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON book_grants
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
CREATE TRIGGER access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON books
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();

-- The web import's uploads between preview and confirm.
CREATE TABLE import_stash (
    id         UUID   PRIMARY KEY,
    user_id    UUID   NOT NULL,
    book_id    UUID   NOT NULL,
    created_at BIGINT NOT NULL,
    state      TEXT   NOT NULL CHECK (state IN ('pending', 'running', 'done')),
    size       BIGINT NOT NULL,                -- bytes of `files`
    files      BYTEA  NOT NULL,
    detail     TEXT   NOT NULL                 -- the options, or the result
);
CREATE INDEX import_stash_user ON import_stash (user_id, created_at);
CREATE INDEX import_stash_created ON import_stash (created_at);
