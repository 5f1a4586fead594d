-- Investments (issue 16): what trade kinds other than a plain buy or sell
-- carry (`ImportedTrade::extra`), so the portfolio engine reads every trade
-- back whole. Exact decimals, never REAL; NULL where the kind has none.
ALTER TABLE trades ADD COLUMN name TEXT;
ALTER TABLE trades ADD COLUMN amount {decimal};
ALTER TABLE trades ADD COLUMN withholding_tax {decimal};
ALTER TABLE trades ADD COLUMN ratio {decimal};
ALTER TABLE trades ADD COLUMN cost_basis {decimal};
-- The portfolio reads one book's trades at a time.
CREATE INDEX trades_book ON trades (book_id);

-- Instrument prices by the symbol (ticker or ISIN) a price file names; a
-- later price for the same symbol and day replaces the earlier one.
CREATE TABLE prices (
    book_id  {uuid}    NOT NULL,
    symbol   TEXT      NOT NULL,
    date     {date}    NOT NULL,
    price    {decimal} NOT NULL,
    currency TEXT      NOT NULL,
    PRIMARY KEY (book_id, symbol, date)
){without_rowid};

-- Each brokerage account's cost-basis method, when it is not FIFO.
CREATE TABLE cost_methods (
    book_id    {uuid} NOT NULL,
    account_id {uuid} NOT NULL,
    method     TEXT   NOT NULL,
    PRIMARY KEY (book_id, account_id)
){without_rowid};
