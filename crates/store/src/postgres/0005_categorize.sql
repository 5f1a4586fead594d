-- Where each transaction's category came from (manual | import | rule | model).
ALTER TABLE transactions ADD COLUMN category_source TEXT;

-- Categorisation rules of a book, as last saved (projection of rule events).
CREATE TABLE rules (
    book_id  UUID    NOT NULL,
    id       TEXT    NOT NULL,
    position BIGINT  NOT NULL,
    data     JSONB   NOT NULL,
    PRIMARY KEY (book_id, id)
);

-- The model's open suggestions (projection of category_suggested events).
CREATE TABLE suggestions (
    tx_id               UUID     PRIMARY KEY,
    book_id             UUID     NOT NULL,
    category_id         UUID     NOT NULL,
    confidence_permille SMALLINT NOT NULL
);

-- The trained categoriser per book: a cache, rebuilt by training, not by replay.
CREATE TABLE categorizer_models (
    book_id            UUID        PRIMARY KEY,
    trained_at         TIMESTAMPTZ NOT NULL,
    examples           BIGINT      NOT NULL,
    threshold_permille SMALLINT    NOT NULL,
    model              TEXT        NOT NULL
);
