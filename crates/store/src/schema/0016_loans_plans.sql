-- Loans between people (issue 17): the projection of `loan_recorded`, one
-- row per event, saying which transaction gives, takes or repays a loan
-- with whom. A loan's money is that transaction's postings, so open
-- balances are these rows joined to `postings` by its key (a deleted
-- transaction has none and counts nothing) and no read replays the log:
-- net worth's receivables and payables, `loan list` and repayment checks.
-- `position` is the event's place in the log: a counterparty keeps the
-- spelling it was first written with.
CREATE TABLE loans (
    book_id      {uuid} NOT NULL,
    position     {int}  NOT NULL,
    tx_id        {uuid} NOT NULL,
    counterparty TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    PRIMARY KEY (book_id, position)
){without_rowid};

-- A database that already holds loans gets their rows from its log.
@sqlite INSERT INTO loans (book_id, position, tx_id, counterparty, kind)
@sqlite SELECT unhex(replace(substr(s.name, 6), '-', '')), e.position,
@sqlite        unhex(replace(json_extract(e.data, '$.tx_id'), '-', '')),
@sqlite        json_extract(e.data, '$.counterparty'), json_extract(e.data, '$.kind')
@sqlite   FROM events e JOIN streams s ON s.id = e.stream
@sqlite  WHERE e.event_type = 'loan_recorded' AND s.name LIKE 'book-%';
@postgres INSERT INTO loans (book_id, position, tx_id, counterparty, kind)
@postgres SELECT substr(stream_id, 6)::uuid, position, (data->>'tx_id')::uuid, data->>'counterparty', data->>'kind'
@postgres   FROM events
@postgres  WHERE event_type = 'loan_recorded' AND stream_id LIKE 'book-%';

-- Buckets and goals (issue 17): their events as stored (`bucket_set`,
-- `bucket_moved`, `bucket_assigned`, `goal_set`), by log position, so the
-- bucket checks of every edit, `tx add --bucket`, a rule's `set_bucket`
-- and the goal definitions read these few rows instead of replaying the
-- book's log. Decoded (and upcast) like the log itself.
CREATE TABLE plan_events (
    book_id        {uuid} NOT NULL,
    position       {int}  NOT NULL,
    event_type     TEXT   NOT NULL,
    schema_version INTEGER NOT NULL,
    data           {json} NOT NULL,
    PRIMARY KEY (book_id, position)
){without_rowid};

@sqlite INSERT INTO plan_events (book_id, position, event_type, schema_version, data)
@sqlite SELECT unhex(replace(substr(s.name, 6), '-', '')), e.position, e.event_type, e.schema_version, e.data
@sqlite   FROM events e JOIN streams s ON s.id = e.stream
@sqlite  WHERE e.event_type IN ('bucket_set', 'bucket_moved', 'bucket_assigned', 'goal_set') AND s.name LIKE 'book-%';
@postgres INSERT INTO plan_events (book_id, position, event_type, schema_version, data)
@postgres SELECT substr(stream_id, 6)::uuid, position, event_type, schema_version, data
@postgres   FROM events
@postgres  WHERE event_type IN ('bucket_set', 'bucket_moved', 'bucket_assigned', 'goal_set') AND stream_id LIKE 'book-%';
