//! SQLite side of imports: the import projections (batches, the index of
//! fingerprints and bank ids, review items, trades, profiles) and the
//! lookups the duplicate matcher makes inside the import's own transaction.

use jiff::civil::Date;
use kassa_core::import::{
    Candidate, Fingerprint, ImportBatch, ImportCounts, ImportReviews, ImportRows, Known, ReviewItem, ReviewKind,
    ReviewOutcome, ReviewResolved, TradesImported,
};
use kassa_core::{AccountId, BatchId, BookId, Currency, Money, ReviewId, TxId};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::import::{BatchRow, ImportLookup, ProfileRow, ReviewRow};
use crate::projector::ImportOp;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Folds one import event into the import projections.
pub(super) fn apply(
    tx: &rusqlite::Transaction<'_>,
    book: BookId,
    position: i64,
    recorded_at: jiff::Timestamp,
    op: ImportOp<'_>,
) -> Result<()> {
    match op {
        ImportOp::InsertBatch(ImportBatch { batch_id, file_name, sha256, format, counts }) => {
            tx.prepare_cached(
                "INSERT INTO import_batches (id, book_id, file_name, sha256, format, counts, recorded_at, position)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                batch_id.0,
                book.0,
                file_name,
                sha256,
                format,
                serde_json::to_string(counts).map_err(corrupt)?,
                recorded_at.to_string(),
                position
            ])?;
        }
        ImportOp::InsertIndexLines(ImportRows { batch_id, rows }) => {
            let mut st = tx.prepare_cached(
                "INSERT INTO import_index (account_id, fingerprint, tx_id, batch_id, date, external_id, pending, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
            )?;
            for r in rows {
                st.execute(params![
                    r.account_id.0,
                    &r.fingerprint.0[..],
                    r.tx_id.0,
                    batch_id.0,
                    r.date,
                    r.external_id,
                    r.pending
                ])?;
            }
        }
        ImportOp::InsertReviews(ImportReviews { batch_id, items }) => {
            let mut st = tx.prepare_cached(
                "INSERT INTO import_review (id, book_id, batch_id, item, position) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for item in items {
                st.execute(params![
                    item.review_id.0,
                    book.0,
                    batch_id.0,
                    serde_json::to_string(item).map_err(corrupt)?,
                    position
                ])?;
            }
        }
        ImportOp::ResolveReview(ReviewResolved { review_id, batch_id, item, resolution }) => {
            let gone = tx.prepare_cached("DELETE FROM import_review WHERE id = ?1")?.execute([review_id.0])?;
            if gone == 0 {
                return Err(StoreError::NotFound(format!("review item {review_id}")));
            }
            match resolution {
                ReviewOutcome::Recorded { tx_id } if item.kind == ReviewKind::Transfer => {
                    // The two transactions became one transfer: their index
                    // lines now point at it and are live again.
                    let mut st = tx.prepare_cached(
                        "UPDATE import_index SET tx_id = ?1, deleted = 0 WHERE tx_id = ?2 AND created = 1",
                    )?;
                    for m in &item.matched {
                        st.execute(params![tx_id.0, m.0])?;
                    }
                }
                ReviewOutcome::Recorded { tx_id } => index_line(tx, *batch_id, item, *tx_id, true)?,
                ReviewOutcome::Duplicate { of } => index_line(tx, *batch_id, item, *of, false)?,
                ReviewOutcome::Dismissed => {}
            }
        }
        ImportOp::UndoBatch(u) => {
            for sql in [
                "DELETE FROM import_index WHERE batch_id = ?1",
                "DELETE FROM import_review WHERE batch_id = ?1",
                "DELETE FROM trades WHERE batch_id = ?1",
                "UPDATE import_batches SET undone = 1 WHERE id = ?1",
            ] {
                tx.prepare_cached(sql)?.execute([u.batch_id.0])?;
            }
        }
        ImportOp::InsertTrades(TradesImported { batch_id, trades }) => {
            let mut st = tx.prepare_cached(
                "INSERT INTO trades (batch_id, seq, book_id, account_id, trade_time, date, symbol, isin, side, quantity,
                                     price, fees, currency, external_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for (i, t) in trades.iter().enumerate() {
                st.execute(params![
                    batch_id.0,
                    position * 1_000_000 + i as i64,
                    book.0,
                    t.account_id.0,
                    t.trade_time,
                    t.date,
                    t.symbol,
                    t.isin,
                    t.side,
                    t.quantity.to_string(),
                    t.price.to_string(),
                    t.fees.to_string(),
                    t.currency.code(),
                    t.external_id
                ])?;
            }
        }
        ImportOp::UpsertProfile(p) => {
            tx.prepare_cached(
                "INSERT INTO import_profiles (book_id, name, toml) VALUES (?1, ?2, ?3)
                 ON CONFLICT (book_id, name) DO UPDATE SET toml = excluded.toml",
            )?
            .execute(params![book.0, p.name, p.toml])?;
        }
    }
    Ok(())
}

/// An index line for a reviewed row, unless a live line already has its
/// fingerprint (a pending row matched by fingerprint keeps its own).
fn index_line(
    tx: &rusqlite::Transaction<'_>,
    batch: BatchId,
    item: &ReviewItem,
    to: TxId,
    created: bool,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO import_index (account_id, fingerprint, tx_id, batch_id, date, external_id, pending, created)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
          WHERE NOT EXISTS (SELECT 1 FROM import_index WHERE account_id = ?1 AND fingerprint = ?2 AND deleted = 0)",
    )?
    .execute(params![
        item.account_id.0,
        &item.fingerprint.0[..],
        to.0,
        batch.0,
        item.date,
        item.external_id,
        item.pending,
        created
    ])?;
    Ok(())
}

/// A deleted transaction leaves its index lines as tombstones.
pub(super) fn tombstone(tx: &rusqlite::Transaction<'_>, tx_id: TxId) -> Result<()> {
    tx.prepare_cached("UPDATE import_index SET deleted = 1 WHERE tx_id = ?1")?.execute([tx_id.0])?;
    Ok(())
}

/// tx_id, fingerprint, external_id, pending, deleted.
type KnownRow = (Uuid, Vec<u8>, Option<String>, bool, bool);

pub(super) struct Lookup<'a> {
    pub tx: &'a rusqlite::Transaction<'a>,
}

impl ImportLookup for Lookup<'_> {
    fn history(&mut self, account: AccountId) -> Result<(bool, bool)> {
        let imports: bool = self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM import_index WHERE account_id = ?1)")?
            .query_row([account.0], |r| r.get(0))?;
        let txs: bool = self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM register WHERE account_id = ?1)")?
            .query_row([account.0], |r| r.get(0))?;
        Ok((imports, txs))
    }

    fn known(
        &mut self,
        account: AccountId,
        batch: BatchId,
        fingerprints: &[Fingerprint],
        external_ids: &[&str],
    ) -> Result<Vec<Known>> {
        let mut out = vec![];
        let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<KnownRow> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        };
        let mut push = |v: KnownRow| -> Result<()> {
            out.push(Known {
                tx_id: TxId(v.0),
                account_id: account,
                fingerprint: Fingerprint::from_slice(&v.1).ok_or_else(|| corrupt("fingerprint length"))?,
                external_id: v.2,
                pending: v.3,
                deleted: v.4,
            });
            Ok(())
        };
        let mut st = self.tx.prepare_cached(
            "SELECT tx_id, fingerprint, external_id, pending, deleted FROM import_index
              WHERE account_id = ?1 AND fingerprint = ?2 AND batch_id <> ?3",
        )?;
        for fp in fingerprints {
            let mut rows = st.query(params![account.0, &fp.0[..], batch.0])?;
            while let Some(r) = rows.next()? {
                push(row(r)?)?;
            }
        }
        let mut st = self.tx.prepare_cached(
            "SELECT tx_id, fingerprint, external_id, pending, deleted FROM import_index
              WHERE account_id = ?1 AND external_id = ?2 AND batch_id <> ?3",
        )?;
        for e in external_ids {
            let mut rows = st.query(params![account.0, e, batch.0])?;
            while let Some(r) = rows.next()? {
                push(row(r)?)?;
            }
        }
        Ok(out)
    }

    fn candidates(&mut self, account: AccountId, batch: BatchId, from: Date, to: Date) -> Result<Vec<Candidate>> {
        let mut st = self.tx.prepare_cached(
            "SELECT p.tx_id, p.date, p.amount_minor, p.currency, p.status,
                    EXISTS (SELECT 1 FROM import_index i WHERE i.tx_id = p.tx_id AND i.created = 1)
               FROM register p
              WHERE p.account_id = ?1 AND p.date BETWEEN ?2 AND ?3 AND p.is_transfer = 0
                AND (p.status = 'pending' OR NOT EXISTS (SELECT 1 FROM import_index i WHERE i.tx_id = p.tx_id AND i.created = 1))
                AND NOT EXISTS (SELECT 1 FROM import_index i WHERE i.tx_id = p.tx_id AND i.batch_id = ?4)",
        )?;
        let mut rows = st.query(params![account.0, from, to, batch.0])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let cur = Currency::parse(&r.get::<_, String>(3)?).map_err(corrupt)?;
            let pending = r.get::<_, String>(4)? == "pending";
            let imported: bool = r.get(5)?;
            if imported && !pending {
                continue;
            }
            out.push(Candidate {
                tx_id: TxId(r.get(0)?),
                account_id: account,
                date: r.get(1)?,
                amount: Money::from_minor_units(r.get(2)?, cur).amount,
                pending,
                imported,
            });
        }
        Ok(out)
    }
}

pub(super) fn batches(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<BatchRow>> {
    let mut st = conn.prepare_cached(
        "SELECT id, file_name, sha256, format, counts, recorded_at, undone FROM import_batches
          WHERE book_id = ?1 ORDER BY position",
    )?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let counts: ImportCounts = serde_json::from_str(&r.get::<_, String>(4)?).map_err(corrupt)?;
        out.push(BatchRow {
            batch: r.get::<_, Uuid>(0)?.to_string(),
            file: r.get(1)?,
            sha256: r.get(2)?,
            format: r.get(3)?,
            recorded_at: r.get(5)?,
            undone: r.get(6)?,
            counts,
        });
    }
    Ok(out)
}

pub(super) fn batch_transactions(conn: &rusqlite::Connection, book: BookId, batch: BatchId) -> Result<Vec<TxId>> {
    let mut st = conn.prepare_cached(
        "SELECT DISTINCT i.tx_id FROM import_index i JOIN transactions t ON t.id = i.tx_id
          WHERE i.batch_id = ?1 AND i.created = 1 AND t.book_id = ?2 ORDER BY i.tx_id",
    )?;
    let rows = st.query_map(params![batch.0, book.0], |r| r.get::<_, Uuid>(0))?;
    rows.map(|r| Ok(TxId(r?))).collect()
}

pub(super) fn reviews(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<ReviewRow>> {
    let mut st =
        conn.prepare_cached("SELECT batch_id, item FROM import_review WHERE book_id = ?1 ORDER BY position, id")?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let item: ReviewItem = serde_json::from_str(&r.get::<_, String>(1)?).map_err(corrupt)?;
        out.push(ReviewRow { batch_id: BatchId(r.get(0)?), item });
    }
    Ok(out)
}

pub(super) fn review(conn: &rusqlite::Connection, book: BookId, id: ReviewId) -> Result<Option<ReviewRow>> {
    let found = conn
        .prepare_cached("SELECT batch_id, item FROM import_review WHERE book_id = ?1 AND id = ?2")?
        .query_row(params![book.0, id.0], |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?)))
        .optional()?;
    found
        .map(|(b, item)| Ok(ReviewRow { batch_id: BatchId(b), item: serde_json::from_str(&item).map_err(corrupt)? }))
        .transpose()
}

pub(super) fn profiles(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<ProfileRow>> {
    let mut st = conn.prepare_cached("SELECT name, toml FROM import_profiles WHERE book_id = ?1 ORDER BY name")?;
    let rows = st.query_map([book.0], |r| Ok(ProfileRow { name: r.get(0)?, toml: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
