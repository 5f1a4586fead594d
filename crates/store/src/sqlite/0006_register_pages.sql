-- Register pages of the API (issue 7).

-- One account, newest first: (account_id, date, tx_id, seq) is the page
-- order, and amount and currency ride along, so a page reads this index and
-- never the posting rows. It replaces postings_account_date, whose columns
-- it starts with, so the queries that used that one use this one.
DROP INDEX postings_account_date;
CREATE INDEX postings_account_page ON postings (account_id, date, tx_id, seq, amount_minor, currency)
    WHERE account_id IS NOT NULL;

-- The whole book, newest first: without it the first page of a register
-- with no account filter sorted every posting of the book.
CREATE INDEX postings_book_page ON postings (book_id, date, tx_id, seq) WHERE account_id IS NOT NULL;

-- A password reset revokes every token of the user.
CREATE INDEX tokens_user ON tokens (user_id);
