-- Register pages of the API (issue 7).

-- One account, newest first: (account_id, date, tx_id, seq) is the page
-- order, and amount and currency ride along, so a page reads this index and
-- never the posting rows (on PostgreSQL an index-only scan once the
-- visibility map is set). It replaces 0001's postings_account_date (and on
-- PostgreSQL 0004's postings_account_page), whose columns it starts with,
-- so the queries that used those use this one.
DROP INDEX postings_account_date;
@sqlite CREATE INDEX postings_account_page ON postings (account_id, date, tx_id, seq, amount_minor, currency)
@postgres DROP INDEX postings_account_page;
@postgres CREATE INDEX postings_account_page ON postings (account_id, date, tx_id, seq) INCLUDE (amount, currency)
    WHERE account_id IS NOT NULL;

-- The whole book, newest first: without it the first page of a register
-- with no account filter sorted every posting of the book.
CREATE INDEX postings_book_page ON postings (book_id, date, tx_id, seq) WHERE account_id IS NOT NULL;

-- A password reset revokes every token of the user.
CREATE INDEX tokens_user ON tokens (user_id);
