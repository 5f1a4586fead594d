-- Report aggregates (issue 5). Kept by the projector in the same transaction
-- as the events, refilled by `rebuild`; filled here from the postings so an
-- existing database has them without a rebuild.

-- What non-transfer transactions did to each own account, per month and
-- category. The nil UUID stands for "uncategorised", so the key has no NULL
-- and upserts find their row.
CREATE TABLE monthly_category_totals (
    book_id       {uuid}  NOT NULL,
    month         TEXT    NOT NULL, -- YYYY-MM
    account_id    {uuid}  NOT NULL,
    category_id   {uuid}  NOT NULL,
    currency      TEXT    NOT NULL,
    amount{minor} {money} NOT NULL,
    PRIMARY KEY (book_id, month, account_id, category_id, currency)
){without_rowid};

CREATE TABLE monthly_counterparty_totals (
    book_id       {uuid}  NOT NULL,
    month         TEXT    NOT NULL,
    counterparty  TEXT    NOT NULL,
    category_id   {uuid}  NOT NULL, -- nil UUID: uncategorised
    currency      TEXT    NOT NULL,
    amount{minor} {money} NOT NULL,
    PRIMARY KEY (book_id, month, counterparty, category_id, currency)
){without_rowid};

-- 1 base = rate quote on date. Rates are not money: exact decimals.
CREATE TABLE fx_rates (
    book_id {uuid}    NOT NULL,
    base    TEXT      NOT NULL,
    quote   TEXT      NOT NULL,
    date    {date}    NOT NULL,
    rate    {decimal} NOT NULL,
    PRIMARY KEY (book_id, base, quote, date)
){without_rowid};

INSERT INTO monthly_category_totals
@sqlite SELECT t.book_id, substr(p.date, 1, 7), p.account_id, COALESCE(t.category_id, zeroblob(16)), p.currency,
@sqlite        SUM(p.amount_minor)
@postgres SELECT t.book_id, to_char(p.date, 'YYYY-MM'), p.account_id,
@postgres        COALESCE(t.category_id, '00000000-0000-0000-0000-000000000000'::uuid), p.currency, SUM(p.amount)
  FROM transactions t JOIN postings p ON p.tx_id = t.id
 WHERE t.is_transfer = {false} AND p.leg = 'account'
 GROUP BY 1, 2, 3, 4, 5 HAVING SUM(p.amount{minor}) <> 0;

INSERT INTO monthly_counterparty_totals
@sqlite SELECT t.book_id, substr(p.date, 1, 7), t.counterparty, COALESCE(t.category_id, zeroblob(16)), p.currency,
@sqlite        SUM(p.amount_minor)
@postgres SELECT t.book_id, to_char(p.date, 'YYYY-MM'), t.counterparty,
@postgres        COALESCE(t.category_id, '00000000-0000-0000-0000-000000000000'::uuid), p.currency, SUM(p.amount)
  FROM transactions t JOIN postings p ON p.tx_id = t.id
 WHERE t.is_transfer = {false} AND p.leg = 'account' AND t.counterparty IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5 HAVING SUM(p.amount{minor}) <> 0;
