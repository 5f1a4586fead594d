-- Where each transaction's category came from (manual | import | rule | model).
ALTER TABLE transactions ADD COLUMN category_source TEXT;

-- Categorisation rules of a book, as last saved (projection of rule events).
CREATE TABLE rules (
    book_id  BLOB    NOT NULL,
    id       TEXT    NOT NULL,
    position INTEGER NOT NULL,
    data     TEXT    NOT NULL,   -- the rule as JSON
    PRIMARY KEY (book_id, id)
) WITHOUT ROWID;

-- The model's open suggestions (projection of category_suggested events;
-- removed when the transaction is categorised or deleted).
CREATE TABLE suggestions (
    tx_id               BLOB    PRIMARY KEY,
    book_id             BLOB    NOT NULL,
    category_id         BLOB    NOT NULL,
    confidence_permille INTEGER NOT NULL
) WITHOUT ROWID;

-- The trained categoriser per book. A cache, not a projection: training is
-- deterministic from the book's history, so rebuild leaves it alone.
CREATE TABLE categorizer_models (
    book_id            BLOB    PRIMARY KEY,
    trained_at         TEXT    NOT NULL,
    examples           INTEGER NOT NULL,
    threshold_permille INTEGER NOT NULL,
    model              TEXT    NOT NULL
);
