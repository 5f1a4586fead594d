-- Where each transaction's category came from (manual | import | rule | model).
ALTER TABLE transactions ADD COLUMN category_source TEXT;

-- Categorisation rules of a book, as last saved (projection of rule events).
CREATE TABLE rules (
    book_id  {uuid} NOT NULL,
    id       TEXT   NOT NULL,
    position {int}  NOT NULL,
    data     {json} NOT NULL, -- the rule
    PRIMARY KEY (book_id, id)
){without_rowid};

-- The model's open suggestions (projection of category_suggested events;
-- removed when the transaction is categorised or deleted).
CREATE TABLE suggestions (
    tx_id               {uuid}  PRIMARY KEY,
    book_id             {uuid}  NOT NULL,
    category_id         {uuid}  NOT NULL,
    confidence_permille {small} NOT NULL
){without_rowid};

-- The trained categoriser per book. A cache, not a projection: training is
-- deterministic from the book's history, so rebuild leaves it alone.
CREATE TABLE categorizer_models (
    book_id            {uuid}  PRIMARY KEY,
    trained_at         {ts}    NOT NULL,
    examples           {int}   NOT NULL,
    threshold_permille {small} NOT NULL,
    model              TEXT    NOT NULL
);
