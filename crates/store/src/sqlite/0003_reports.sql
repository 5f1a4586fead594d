-- Report aggregates (issue 5). Kept by `project` in the same transaction as
-- the events, refilled by `rebuild`; filled here from the postings so an
-- existing database has them without a rebuild.

-- What non-transfer transactions did to each own account, per month and
-- category. The nil UUID (16 zero bytes) stands for "uncategorised", so the
-- key has no NULL and upserts find their row.
CREATE TABLE monthly_category_totals (
    book_id      BLOB    NOT NULL,
    month        TEXT    NOT NULL, -- YYYY-MM
    account_id   BLOB    NOT NULL,
    category_id  BLOB    NOT NULL,
    currency     TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (book_id, month, account_id, category_id, currency)
) WITHOUT ROWID;

CREATE TABLE monthly_counterparty_totals (
    book_id      BLOB    NOT NULL,
    month        TEXT    NOT NULL,
    counterparty TEXT    NOT NULL,
    category_id  BLOB    NOT NULL, -- nil UUID: uncategorised
    currency     TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (book_id, month, counterparty, category_id, currency)
) WITHOUT ROWID;

-- 1 base = rate quote on date. Rates are not money: exact decimal text.
CREATE TABLE fx_rates (
    book_id BLOB NOT NULL,
    base    TEXT NOT NULL,
    quote   TEXT NOT NULL,
    date    TEXT NOT NULL,
    rate    TEXT NOT NULL,
    PRIMARY KEY (book_id, base, quote, date)
) WITHOUT ROWID;

INSERT INTO monthly_category_totals
SELECT t.book_id, substr(p.date, 1, 7), p.account_id, COALESCE(t.category_id, zeroblob(16)), p.currency,
       SUM(p.amount_minor)
  FROM transactions t JOIN postings p ON p.tx_id = t.id
 WHERE t.is_transfer = 0 AND p.leg = 'account'
 GROUP BY 1, 2, 3, 4, 5 HAVING SUM(p.amount_minor) <> 0;

INSERT INTO monthly_counterparty_totals
SELECT t.book_id, substr(p.date, 1, 7), t.counterparty, COALESCE(t.category_id, zeroblob(16)), p.currency,
       SUM(p.amount_minor)
  FROM transactions t JOIN postings p ON p.tx_id = t.id
 WHERE t.is_transfer = 0 AND p.leg = 'account' AND t.counterparty IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5 HAVING SUM(p.amount_minor) <> 0;
