//! PostgreSQL side of imports: the import projections and the matcher's
//! lookups (arrays and `= ANY`, one round trip per account and chunk).

use jiff::civil::Date;
use kassa_core::import::{
    Candidate, Fingerprint, ImportBatch, ImportCounts, ImportReviews, ImportRows, ImportedTrade, Known, ReviewItem,
    TradesImported,
};
use kassa_core::{AccountId, BatchId, BookId, ReviewId, TxId};
use postgres::Client;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::import::{BatchRow, ImportLookup, IndexChange, ProfileRow, ReviewRow, TradeCols, trade_of, trade_seq};
use crate::projector::{ImportOp, ImportRow};
use crate::sql;

fn json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(StoreError::corrupt)
}

/// Folds one import event into the import projections.
pub(super) fn apply(tx: &mut Client, row: ImportRow<'_>) -> Result<()> {
    let ImportRow { book, position, recorded_at, op } = row;
    match op {
        ImportOp::InsertBatch(ImportBatch { batch_id, file_name, sha256, format, counts }) => {
            tx.execute(
                sql::INSERT_BATCH.postgres,
                &[&batch_id.0, &book.0, file_name, sha256, format, &json(counts)?, &recorded_at, &position],
            )?;
        }
        ImportOp::InsertIndexLines(ImportRows { batch_id, rows }) => {
            let accounts: Vec<Uuid> = rows.iter().map(|r| r.account_id.0).collect();
            let fps: Vec<&[u8]> = rows.iter().map(|r| &r.fingerprint.0[..]).collect();
            let txs: Vec<Uuid> = rows.iter().map(|r| r.tx_id.0).collect();
            let dates: Vec<Date> = rows.iter().map(|r| r.date).collect();
            let ext: Vec<Option<&str>> = rows.iter().map(|r| r.external_id.as_deref()).collect();
            let pending: Vec<bool> = rows.iter().map(|r| r.pending).collect();
            tx.execute(
                "INSERT INTO import_index (account_id, fingerprint, tx_id, batch_id, date, external_id, pending, created)
                 SELECT a, f, t, $4, d, e, p, true
                   FROM UNNEST($1::uuid[], $2::bytea[], $3::uuid[], $5::date[], $6::text[], $7::bool[]) AS u(a, f, t, d, e, p)",
                &[&accounts, &fps, &txs, &batch_id.0, &dates, &ext, &pending],
            )?;
        }
        ImportOp::InsertReviews(ImportReviews { batch_id, items }) => {
            for item in items {
                tx.execute(
                    sql::INSERT_REVIEW.postgres,
                    &[&item.review_id.0, &book.0, &batch_id.0, &json(item)?, &position],
                )?;
            }
        }
        ImportOp::ResolveReview(r) => {
            if tx.execute(sql::DELETE_REVIEW.postgres, &[&r.review_id.0])? == 0 {
                return Err(StoreError::NotFound(format!("review item {}", r.review_id)));
            }
            match IndexChange::of(r) {
                IndexChange::Relink { to, legs } => {
                    for leg in legs {
                        tx.execute(sql::RELINK_INDEX_LINES.postgres, &[&to.0, &leg.0])?;
                    }
                }
                IndexChange::Line { batch, item, to, created } => index_line(tx, batch, item, to, created)?,
                IndexChange::Nothing => {}
            }
        }
        ImportOp::UndoBatch(u) => {
            for sql in sql::UNDO_BATCH {
                tx.execute(sql.postgres, &[&u.batch_id.0])?;
            }
        }
        ImportOp::InsertTrades(TradesImported { batch_id, trades }) => {
            for (i, t) in trades.iter().enumerate() {
                tx.execute(
                    sql::INSERT_TRADE.postgres,
                    &[
                        &batch_id.0,
                        &trade_seq(position, i),
                        &book.0,
                        &t.account_id.0,
                        &t.trade_time,
                        &t.date,
                        &t.symbol,
                        &t.isin,
                        &t.side,
                        &t.quantity,
                        &t.price,
                        &t.fees,
                        &t.currency.code(),
                        &t.external_id,
                        &t.extra.name,
                        &t.extra.amount,
                        &t.extra.withholding_tax,
                        &t.extra.ratio,
                        &t.extra.cost_basis,
                    ],
                )?;
            }
        }
        ImportOp::UpsertProfile(p) => {
            tx.execute(sql::UPSERT_PROFILE.postgres, &[&book.0, &p.name, &p.toml])?;
        }
    }
    Ok(())
}

fn index_line(tx: &mut Client, batch: BatchId, item: &ReviewItem, to: TxId, created: bool) -> Result<()> {
    tx.execute(
        sql::INSERT_INDEX_LINE_UNLESS_LIVE.postgres,
        &[
            &item.account_id.0,
            &&item.fingerprint.0[..],
            &to.0,
            &batch.0,
            &item.date,
            &item.external_id,
            &item.pending,
            &created,
        ],
    )?;
    Ok(())
}

pub(super) fn tombstone(tx: &mut Client, tx_id: TxId) -> Result<()> {
    tx.execute(sql::TOMBSTONE_INDEX_LINES.postgres, &[&tx_id.0])?;
    Ok(())
}

impl ImportLookup for super::Uow<'_> {
    fn history(&mut self, account: AccountId) -> Result<(bool, bool)> {
        let r = self.tx.query_one(sql::IMPORT_HISTORY.postgres, &[&account.0])?;
        Ok((r.get(0), r.get(1)))
    }

    fn known(&mut self, account: AccountId, batch: BatchId, fps: &[Fingerprint], ids: &[&str]) -> Result<Vec<Known>> {
        let fps: Vec<&[u8]> = fps.iter().map(|f| &f.0[..]).collect();
        let rows = self.tx.query(
            "SELECT tx_id, fingerprint, external_id, pending, deleted FROM import_index
              WHERE account_id = $1 AND batch_id <> $2
                AND (fingerprint = ANY($3) OR external_id = ANY($4))",
            &[&account.0, &batch.0, &fps, &ids],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Known {
                    tx_id: TxId(r.get(0)),
                    account_id: account,
                    fingerprint: Fingerprint::from_slice(r.get(1))
                        .ok_or_else(|| StoreError::corrupt("fingerprint length"))?,
                    external_id: r.get(2),
                    pending: r.get(3),
                    deleted: r.get(4),
                })
            })
            .collect()
    }

    fn candidates(&mut self, account: AccountId, batch: BatchId, from: Date, to: Date) -> Result<Vec<Candidate>> {
        let rows = self.tx.query(
            "SELECT p.tx_id, p.date, p.amount, p.status = 'pending',
                    EXISTS (SELECT 1 FROM import_index i WHERE i.tx_id = p.tx_id AND i.created)
               FROM register p
              WHERE p.account_id = $1 AND p.date BETWEEN $2 AND $3 AND NOT p.is_transfer
                AND (p.status = 'pending' OR NOT EXISTS (SELECT 1 FROM import_index i WHERE i.tx_id = p.tx_id AND i.created))
                AND NOT EXISTS (SELECT 1 FROM import_index i WHERE i.tx_id = p.tx_id AND i.batch_id = $4)",
            &[&account.0, &from, &to, &batch.0],
        )?;
        Ok(rows
            .iter()
            .filter(|r| !r.get::<_, bool>(4) || r.get::<_, bool>(3))
            .map(|r| Candidate {
                tx_id: TxId(r.get(0)),
                account_id: account,
                date: r.get(1),
                amount: r.get::<_, Decimal>(2),
                pending: r.get(3),
                imported: r.get(4),
            })
            .collect())
    }
}

pub(super) fn batches(conn: &mut Client, book: BookId) -> Result<Vec<BatchRow>> {
    let rows = conn.query(sql::IMPORT_BATCHES.postgres, &[&book.0])?;
    rows.iter()
        .map(|r| {
            let counts: ImportCounts = serde_json::from_value(r.get(4)).map_err(StoreError::corrupt)?;
            let at: jiff::Timestamp = r.get(5);
            Ok(BatchRow {
                batch: r.get::<_, Uuid>(0).to_string(),
                file: r.get(1),
                sha256: r.get(2),
                format: r.get(3),
                recorded_at: at.to_string(),
                undone: r.get(6),
                counts,
            })
        })
        .collect()
}

pub(super) fn batch_transactions(conn: &mut Client, book: BookId, batch: BatchId) -> Result<Vec<TxId>> {
    let rows = conn.query(sql::BATCH_TRANSACTIONS.postgres, &[&batch.0, &book.0])?;
    Ok(rows.iter().map(|r| TxId(r.get(0))).collect())
}

pub(super) fn reviews(conn: &mut Client, book: BookId) -> Result<Vec<ReviewRow>> {
    let rows = conn.query(sql::IMPORT_REVIEWS.postgres, &[&book.0])?;
    rows.iter()
        .map(|r| {
            Ok(ReviewRow {
                batch_id: BatchId(r.get(0)),
                item: serde_json::from_value(r.get(1)).map_err(StoreError::corrupt)?,
            })
        })
        .collect()
}

pub(super) fn review(conn: &mut Client, book: BookId, id: ReviewId) -> Result<Option<ReviewRow>> {
    let row = conn.query_opt(sql::IMPORT_REVIEW.postgres, &[&book.0, &id.0])?;
    row.map(|r| {
        Ok(ReviewRow {
            batch_id: BatchId(r.get(0)),
            item: serde_json::from_value(r.get(1)).map_err(StoreError::corrupt)?,
        })
    })
    .transpose()
}

pub(super) fn trades(conn: &mut Client, book: BookId) -> Result<Vec<ImportedTrade>> {
    let rows = conn.query(sql::BOOK_TRADES.postgres, &[&book.0])?;
    rows.iter()
        .map(|r| {
            trade_of(TradeCols {
                account: r.get(0),
                trade_time: r.get(1),
                date: r.get(2),
                symbol: r.get(3),
                isin: r.get(4),
                side: r.get(5),
                quantity: r.get(6),
                price: r.get(7),
                fees: r.get(8),
                currency: r.get(9),
                external_id: r.get(10),
                name: r.get(11),
                amount: r.get(12),
                withholding_tax: r.get(13),
                ratio: r.get(14),
                cost_basis: r.get(15),
            })
        })
        .collect()
}

pub(super) fn profiles(conn: &mut Client, book: BookId) -> Result<Vec<ProfileRow>> {
    let rows = conn.query(sql::IMPORT_PROFILES.postgres, &[&book.0])?;
    Ok(rows.iter().map(|r| ProfileRow { name: r.get(0), toml: r.get(1) }).collect())
}
