-- Instruments (issue 16): what a book's trades buy and sell, one row per
-- key (`instrument`: the ISIN when a trade gives one, else the ticker,
-- upper-cased — what positions and prices are keyed by). Trades create
-- them (symbol, ISIN, currency of the first trade, the first name a file
-- gives); `instrument_set` names them and gives their kind. `kind` is NULL
-- while nobody said (shown as "other"), so an import may still fill it in
-- but never overwrites a kind somebody set. An undone import leaves its
-- instruments: what the user said about them survives a re-import.
CREATE TABLE instruments (
    book_id    {uuid} NOT NULL,
    instrument TEXT   NOT NULL,
    isin       TEXT,
    symbol     TEXT,
    name       TEXT,
    currency   TEXT   NOT NULL,
    kind       TEXT,
    PRIMARY KEY (book_id, instrument)
){without_rowid};

-- The instruments of trades stored before this table existed. `kassa
-- rebuild` gives the same rows, except that it takes the first name a
-- trade gave where this takes the least.
INSERT INTO instruments (book_id, instrument, isin, symbol, name, currency)
SELECT book_id, UPPER(TRIM(COALESCE(isin, symbol))), MIN(UPPER(TRIM(isin))), MIN(symbol), MIN(name), MIN(currency)
  FROM trades
 WHERE TRIM(COALESCE(isin, symbol, '')) <> ''
 GROUP BY book_id, UPPER(TRIM(COALESCE(isin, symbol)));
