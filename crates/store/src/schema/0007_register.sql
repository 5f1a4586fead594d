-- The register: one row per posting on an account, carrying what a register
-- page shows, stored in page order (issue 7). A page of an account is one
-- range of this table's primary key: before it, each row of a page also
-- looked its transaction up by primary key, and its category: the largest
-- part of SQLite's work on a page, and 430 buffer reads a page on PostgreSQL
-- (docs/BENCHMARKS.md). Kept by the projection beside `postings` and
-- `transactions`; rebuilt by `rebuild` like every projection.
CREATE TABLE register (
    account_id    {uuid}  NOT NULL,
    date          {date}  NOT NULL,
    tx_id         {uuid}  NOT NULL,
    seq           INTEGER NOT NULL,
    book_id       {uuid}  NOT NULL,
    currency      TEXT    NOT NULL,
    amount{minor} {money} NOT NULL,
    description   TEXT    NOT NULL,
    category_id   {uuid},
    counterparty  TEXT,
    status        TEXT    NOT NULL,
    is_transfer   {bool}  NOT NULL,
    PRIMARY KEY (account_id, date, tx_id, seq)
){without_rowid};
-- The whole book, newest first.
CREATE INDEX register_book ON register (book_id, date, tx_id, seq);

INSERT INTO register
SELECT p.account_id, p.date, p.tx_id, p.seq, p.book_id, p.currency, p.amount{minor},
       t.description, t.category_id, t.counterparty, t.status, t.is_transfer
  FROM postings p JOIN transactions t ON t.id = p.tx_id
 WHERE p.account_id IS NOT NULL
 ORDER BY p.account_id, p.date, p.tx_id, p.seq;

-- The register serves every read of an account's postings (pages, import
-- matching, the CLI listing, the admin overview), so the posting indexes
-- that did go: each was one more B-tree insert per posting.
DROP INDEX postings_book_page;
DROP INDEX postings_account_page;
