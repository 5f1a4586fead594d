//! SQLite side of imports: the import projections (batches, the index of
//! fingerprints and bank ids, review items, trades, profiles) and the
//! lookups the duplicate matcher makes inside the import's own transaction.

use jiff::civil::Date;
use kassa_core::import::{
    Candidate, Fingerprint, ImportBatch, ImportCounts, ImportReviews, ImportRows, ImportedTrade, Known, ReviewItem,
    TradesImported,
};
use kassa_core::{AccountId, BatchId, BookId, Currency, Money, ReviewId, TxId};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::import::{BatchRow, ImportLookup, IndexChange, ProfileRow, ReviewRow, TradeCols, trade_of, trade_seq};
use crate::projector::{ImportOp, ImportRow};
use crate::sql;

/// Folds one import event into the import projections.
pub(super) fn apply(tx: &rusqlite::Connection, row: ImportRow<'_>) -> Result<()> {
    let ImportRow { book, position, recorded_at, op } = row;
    match op {
        ImportOp::InsertBatch(ImportBatch { batch_id, file_name, sha256, format, counts }) => {
            tx.prepare_cached(sql::INSERT_BATCH.sqlite)?.execute(params![
                batch_id.0,
                book.0,
                file_name,
                sha256,
                format,
                serde_json::to_string(counts).map_err(StoreError::corrupt)?,
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
            let mut st = tx.prepare_cached(sql::INSERT_REVIEW.sqlite)?;
            for item in items {
                st.execute(params![
                    item.review_id.0,
                    book.0,
                    batch_id.0,
                    serde_json::to_string(item).map_err(StoreError::corrupt)?,
                    position
                ])?;
            }
        }
        ImportOp::ResolveReview(r) => {
            if tx.prepare_cached(sql::DELETE_REVIEW.sqlite)?.execute([r.review_id.0])? == 0 {
                return Err(StoreError::NotFound(format!("review item {}", r.review_id)));
            }
            match IndexChange::of(r) {
                IndexChange::Relink { to, legs } => {
                    let mut st = tx.prepare_cached(sql::RELINK_INDEX_LINES.sqlite)?;
                    for leg in legs {
                        st.execute(params![to.0, leg.0])?;
                    }
                }
                IndexChange::Line { batch, item, to, created } => index_line(tx, batch, item, to, created)?,
                IndexChange::Nothing => {}
            }
        }
        ImportOp::UndoBatch(u) => {
            for sql in sql::UNDO_BATCH {
                tx.prepare_cached(sql.sqlite)?.execute([u.batch_id.0])?;
            }
        }
        ImportOp::InsertTrades(TradesImported { batch_id, trades }) => {
            let mut st = tx.prepare_cached(sql::INSERT_TRADE.sqlite)?;
            for (i, t) in trades.iter().enumerate() {
                st.execute(params![
                    batch_id.0,
                    trade_seq(position, i),
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
                    t.external_id,
                    t.extra.name,
                    t.extra.amount.map(|d| d.to_string()),
                    t.extra.withholding_tax.map(|d| d.to_string()),
                    t.extra.ratio.map(|d| d.to_string()),
                    t.extra.cost_basis.map(|d| d.to_string())
                ])?;
            }
        }
        ImportOp::UpsertProfile(p) => {
            tx.prepare_cached(sql::UPSERT_PROFILE.sqlite)?.execute(params![book.0, p.name, p.toml])?;
        }
    }
    Ok(())
}

fn index_line(tx: &rusqlite::Connection, batch: BatchId, item: &ReviewItem, to: TxId, created: bool) -> Result<()> {
    tx.prepare_cached(sql::INSERT_INDEX_LINE_UNLESS_LIVE.sqlite)?.execute(params![
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

pub(super) fn tombstone(tx: &rusqlite::Connection, tx_id: TxId) -> Result<()> {
    tx.prepare_cached(sql::TOMBSTONE_INDEX_LINES.sqlite)?.execute([tx_id.0])?;
    Ok(())
}

/// tx_id, fingerprint, external_id, pending, deleted.
type KnownRow = (Uuid, Vec<u8>, Option<String>, bool, bool);

impl ImportLookup for super::Uow<'_> {
    fn history(&mut self, account: AccountId) -> Result<(bool, bool)> {
        let mut st = self.tx.prepare_cached(sql::IMPORT_HISTORY.sqlite)?;
        Ok(st.query_row([account.0], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    fn known(&mut self, account: AccountId, batch: BatchId, fps: &[Fingerprint], ids: &[&str]) -> Result<Vec<Known>> {
        let mut out = vec![];
        let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<KnownRow> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        };
        let mut push = |v: KnownRow| -> Result<()> {
            out.push(Known {
                tx_id: TxId(v.0),
                account_id: account,
                fingerprint: Fingerprint::from_slice(&v.1).ok_or_else(|| StoreError::corrupt("fingerprint length"))?,
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
        for fp in fps {
            let mut rows = st.query(params![account.0, &fp.0[..], batch.0])?;
            while let Some(r) = rows.next()? {
                push(row(r)?)?;
            }
        }
        let mut st = self.tx.prepare_cached(
            "SELECT tx_id, fingerprint, external_id, pending, deleted FROM import_index
              WHERE account_id = ?1 AND external_id = ?2 AND batch_id <> ?3",
        )?;
        for e in ids {
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
            let cur = Currency::parse(&r.get::<_, String>(3)?).map_err(StoreError::corrupt)?;
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
    let mut st = conn.prepare_cached(sql::IMPORT_BATCHES.sqlite)?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let counts: ImportCounts = serde_json::from_str(&r.get::<_, String>(4)?).map_err(StoreError::corrupt)?;
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
    let mut st = conn.prepare_cached(sql::BATCH_TRANSACTIONS.sqlite)?;
    let rows = st.query_map(params![batch.0, book.0], |r| r.get::<_, Uuid>(0))?;
    rows.map(|r| Ok(TxId(r?))).collect()
}

pub(super) fn reviews(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<ReviewRow>> {
    let mut st = conn.prepare_cached(sql::IMPORT_REVIEWS.sqlite)?;
    let mut rows = st.query([book.0])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let item: ReviewItem = serde_json::from_str(&r.get::<_, String>(1)?).map_err(StoreError::corrupt)?;
        out.push(ReviewRow { batch_id: BatchId(r.get(0)?), item });
    }
    Ok(out)
}

pub(super) fn review(conn: &rusqlite::Connection, book: BookId, id: ReviewId) -> Result<Option<ReviewRow>> {
    let found = conn
        .prepare_cached(sql::IMPORT_REVIEW.sqlite)?
        .query_row(params![book.0, id.0], |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?)))
        .optional()?;
    found
        .map(|(b, item)| {
            Ok(ReviewRow { batch_id: BatchId(b), item: serde_json::from_str(&item).map_err(StoreError::corrupt)? })
        })
        .transpose()
}

pub(super) fn trades(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<ImportedTrade>> {
    let mut st = conn.prepare_cached(sql::BOOK_TRADES.sqlite)?;
    let mut rows = st.query([book.0])?;
    // Decimals are parsed from the row's own text, not from a String
    // copied out of it: 100,000 trades have up to 700 of them per 100 rows
    // (`kassa bench portfolio`).
    let dec = |r: &rusqlite::Row<'_>, i: usize| -> Result<rust_decimal::Decimal> {
        super::parse_field(r.get_ref(i)?.as_str().map_err(rusqlite::Error::from)?)
    };
    let opt = |r: &rusqlite::Row<'_>, i: usize| -> Result<Option<rust_decimal::Decimal>> {
        r.get_ref(i)?.as_str_or_null().map_err(rusqlite::Error::from)?.map(super::parse_field).transpose()
    };
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push(trade_of(TradeCols {
            account: r.get(0)?,
            trade_time: r.get(1)?,
            date: r.get(2)?,
            symbol: r.get(3)?,
            isin: r.get(4)?,
            side: r.get(5)?,
            quantity: dec(r, 6)?,
            price: dec(r, 7)?,
            fees: dec(r, 8)?,
            currency: r.get(9)?,
            external_id: r.get(10)?,
            name: r.get(11)?,
            amount: opt(r, 12)?,
            withholding_tax: opt(r, 13)?,
            ratio: opt(r, 14)?,
            cost_basis: opt(r, 15)?,
        })?);
    }
    Ok(out)
}

pub(super) fn profiles(conn: &rusqlite::Connection, book: BookId) -> Result<Vec<ProfileRow>> {
    let mut st = conn.prepare_cached(sql::IMPORT_PROFILES.sqlite)?;
    let rows = st.query_map([book.0], |r| Ok(ProfileRow { name: r.get(0)?, toml: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
