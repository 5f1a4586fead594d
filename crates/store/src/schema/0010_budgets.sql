-- Envelope budgets (issue 17): the projection of the budget_* events that
-- `kassa_core::budget::Plan` is read from. One row per (kind, category,
-- month, currency):
--   budget    — a category's budget of a month (amount) and its carry cap;
--   carryover — a category's carryover setting from a month on (flag = on, cap);
--   held      — money held back in a month (amount; nil category);
--   mode      — the book's budget mode (flag = tracking; nil category, month '').
-- Amounts carry their currency, so a move adds exactly in SQL; a currency of ''
-- marks a row without one (mode, an uncapped carryover).
CREATE TABLE budgets (
    book_id       {uuid}  NOT NULL,
    kind          TEXT    NOT NULL,
    category_id   {uuid}  NOT NULL,
    month         TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    amount{minor} {money} NOT NULL,
    cap{minor}    {money},
    flag          {bool}  NOT NULL,
    PRIMARY KEY (book_id, kind, category_id, month, currency)
){without_rowid};
