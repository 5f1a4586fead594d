-- State several server processes share (issue 13): not projections, never
-- rebuilt. Times are microseconds since the epoch, from the caller's clock.

CREATE TABLE login_limits (
    key          TEXT  PRIMARY KEY, -- 'acct:<email>' or 'ip:<address>'
    window_start {int} NOT NULL,
    count        {int} NOT NULL
){without_rowid};
CREATE INDEX login_limits_window ON login_limits (window_start);

-- Bumped in the transaction of every access write that can make a cached
-- answer (a token's holder, a role on a book) wrong; inserts of users and
-- tokens cannot, since a lookup that fails is never cached.
CREATE TABLE access_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch {int}  NOT NULL
);
INSERT INTO access_epoch (id, epoch) VALUES (1, 0);
@sqlite CREATE TRIGGER access_epoch_users_u AFTER UPDATE ON users BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_users_d AFTER DELETE ON users BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_tokens_u AFTER UPDATE ON tokens BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_tokens_d AFTER DELETE ON tokens BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_members_i AFTER INSERT ON org_members BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_members_u AFTER UPDATE ON org_members BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_members_d AFTER DELETE ON org_members BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_grants_i AFTER INSERT ON book_grants BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_grants_u AFTER UPDATE ON book_grants BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_grants_d AFTER DELETE ON book_grants BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_books_u AFTER UPDATE ON books BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@sqlite CREATE TRIGGER access_epoch_books_d AFTER DELETE ON books BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;
@postgres CREATE FUNCTION kassa_bump_access_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
@postgres BEGIN
@postgres     UPDATE access_epoch SET epoch = epoch + 1;
@postgres     RETURN NULL;
@postgres END $$;
@postgres -- Per statement: one bump however many rows (rebuild truncates them all).
@postgres CREATE TRIGGER access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON users
@postgres     FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
@postgres CREATE TRIGGER access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON tokens
@postgres     FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
@postgres CREATE TRIGGER access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON org_members
@postgres     FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
@postgres CREATE TRIGGER access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON book_grants
@postgres     FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();
@postgres CREATE TRIGGER access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON books
@postgres     FOR EACH STATEMENT EXECUTE FUNCTION kassa_bump_access_epoch();

-- The web import's uploads between preview and confirm.
CREATE TABLE import_stash (
    id         {uuid}  PRIMARY KEY,
    user_id    {uuid}  NOT NULL,
    book_id    {uuid}  NOT NULL,
    created_at {int}   NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done')),
    size       {int}   NOT NULL, -- bytes of `files`
    files      {bytes} NOT NULL,
    detail     TEXT    NOT NULL  -- the options, or the result
);
CREATE INDEX import_stash_user ON import_stash (user_id, created_at);
CREATE INDEX import_stash_created ON import_stash (created_at);
