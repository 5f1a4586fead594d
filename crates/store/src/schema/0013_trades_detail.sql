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
