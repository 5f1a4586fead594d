-- Report aggregates (issue 5): see the SQLite migration of the same number.
-- The nil UUID stands for "uncategorised" so the key has no NULL.
CREATE TABLE monthly_category_totals (
    book_id     UUID    NOT NULL,
    month       TEXT    NOT NULL, -- YYYY-MM
    account_id  UUID    NOT NULL,
    category_id UUID    NOT NULL,
    currency    TEXT    NOT NULL,
    amount      NUMERIC NOT NULL,
    PRIMARY KEY (book_id, month, account_id, category_id, currency)
);

CREATE TABLE monthly_counterparty_totals (
    book_id      UUID    NOT NULL,
    month        TEXT    NOT NULL,
    counterparty TEXT    NOT NULL,
    category_id  UUID    NOT NULL,
    currency     TEXT    NOT NULL,
    amount       NUMERIC NOT NULL,
    PRIMARY KEY (book_id, month, counterparty, category_id, currency)
);

CREATE TABLE fx_rates (
    book_id UUID    NOT NULL,
    base    TEXT    NOT NULL,
    quote   TEXT    NOT NULL,
    date    DATE    NOT NULL,
    rate    NUMERIC NOT NULL,
    PRIMARY KEY (book_id, base, quote, date)
);

INSERT INTO monthly_category_totals
SELECT t.book_id, to_char(p.date, 'YYYY-MM'), p.account_id,
       COALESCE(t.category_id, '00000000-0000-0000-0000-000000000000'::uuid), p.currency, SUM(p.amount)
  FROM transactions t JOIN postings p ON p.tx_id = t.id
 WHERE NOT t.is_transfer AND p.leg = 'account'
 GROUP BY 1, 2, 3, 4, 5 HAVING SUM(p.amount) <> 0;

INSERT INTO monthly_counterparty_totals
SELECT t.book_id, to_char(p.date, 'YYYY-MM'), t.counterparty,
       COALESCE(t.category_id, '00000000-0000-0000-0000-000000000000'::uuid), p.currency, SUM(p.amount)
  FROM transactions t JOIN postings p ON p.tx_id = t.id
 WHERE NOT t.is_transfer AND p.leg = 'account' AND t.counterparty IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5 HAVING SUM(p.amount) <> 0;
