-- Background jobs (issue 14): a large import runs off its request, and its
-- uploader polls the row. Not a read model: `rebuild` leaves it alone. Times
-- are microseconds since the epoch from the application's clock, like the
-- state tables of 0008. `heartbeat_at` is refreshed by the process running
-- the job, so a server starting on PostgreSQL can tell another live
-- process's job from one whose process died.
CREATE TABLE jobs (
    id           {uuid} PRIMARY KEY,
    user_id      {uuid} NOT NULL,
    book_id      {uuid} NOT NULL,
    kind         TEXT   NOT NULL,
    state        TEXT   NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    rows_done    {int}  NOT NULL,
    rows_total   {int},
    result       TEXT,  -- JSON: the summary of a done job, the error of a failed one
    created_at   {int}  NOT NULL,
    started_at   {int},
    finished_at  {int},
    heartbeat_at {int}  NOT NULL
);
CREATE INDEX jobs_user ON jobs (user_id, created_at);
CREATE INDEX jobs_unfinished ON jobs (state, heartbeat_at);
