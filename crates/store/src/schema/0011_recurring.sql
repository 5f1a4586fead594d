-- The user's word on detected recurring series (issue 17): confirmed,
-- dismissed, renamed. The series themselves are detected from the register
-- on every read (pure, in kassa-core); only what the user said is kept, by
-- the series' stable id, so it survives re-detection. Projection of the
-- recurring_confirmed / _dismissed / _renamed events.
CREATE TABLE recurring_series (
    book_id   {uuid} NOT NULL,
    series_id TEXT   NOT NULL,
    confirmed {bool} NOT NULL,
    dismissed {bool} NOT NULL,
    name      TEXT,
    PRIMARY KEY (book_id, series_id)
){without_rowid};
