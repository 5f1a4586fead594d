//! Exports: the whole book (or a date range), as it is or as it was
//! recorded at a moment, written as one row per posting in JSON, CSV or
//! Parquet, as an hledger journal or as a beancount file.

use std::io::Write;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::BookId;
use kassa_core::report::export::{PostingRow, beancount, hledger_journal, posting_rows};
use kassa_store::Store;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use rust_decimal::Decimal;

use crate::csv::CsvWriter;
use crate::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
    Ledger,
    Beancount,
    Parquet,
}

/// What one export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub transactions: usize,
    /// Rows written, one per posting; 0 for the journal formats.
    pub postings: usize,
}

/// The range and the moment an export covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportScope {
    /// First and last business date to include.
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// The book as it was recorded at this moment.
    pub known_at: Option<Timestamp>,
}

/// Writes `book` in `format` to `out`. The caller owns the file: `kassa
/// export` writes into a temporary one and renames it into place.
pub fn export<W: Write + Send>(
    store: &dyn Store,
    book: BookId,
    format: ExportFormat,
    scope: ExportScope,
    mut out: W,
) -> AppResult<Exported> {
    let (ledger, _) = crate::reports::replay(store, book, scope.known_at)?;
    let (from, to) = (scope.from, scope.to);
    let mut postings = 0;
    match format {
        ExportFormat::Ledger => out.write_all(hledger_journal(&ledger, from, to).as_bytes()).map_err(cannot_write)?,
        ExportFormat::Beancount => out.write_all(beancount(&ledger, from, to).as_bytes()).map_err(cannot_write)?,
        ExportFormat::Json => {
            let rows = posting_rows(&ledger, from, to);
            postings = rows.len();
            serde_json::to_writer_pretty(&mut out, &rows).map_err(cannot_write)?;
            out.write_all(b"\n").map_err(cannot_write)?;
        }
        ExportFormat::Csv => {
            let rows = posting_rows(&ledger, from, to);
            postings = rows.len();
            let mut w = CsvWriter::new(&mut out);
            w.record(POSTING_COLUMNS).map_err(cannot_write)?;
            for p in &rows {
                w.values(&serde_json::to_value(p).map_err(cannot_write)?, &POSTING_COLUMNS).map_err(cannot_write)?;
            }
            w.into_inner().map_err(cannot_write)?;
        }
        ExportFormat::Parquet => {
            let rows = posting_rows(&ledger, from, to);
            postings = rows.len();
            write_parquet(out, &rows).map_err(cannot_write)?;
        }
    }
    let transactions =
        ledger.transactions().filter(|t| from.is_none_or(|d| t.date >= d) && to.is_none_or(|d| t.date <= d)).count();
    Ok(Exported { transactions, postings })
}

/// The CSV export's columns: `PostingRow`'s fields, in their order.
const POSTING_COLUMNS: [&str; 13] = [
    "tx_id",
    "date",
    "description",
    "counterparty",
    "status",
    "leg",
    "name",
    "section",
    "currency",
    "amount",
    "amount_minor",
    "tags",
    "external_id",
];

fn cannot_write(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("cannot write the export: {e}"))
}

/// One row per posting; amounts as DECIMAL(18,3), exact for every currency
/// (none has more than three minor digits), and as integer minor units.
const PARQUET_SCHEMA: &str = "message posting {
    REQUIRED BYTE_ARRAY tx_id (STRING);
    REQUIRED INT32 date (DATE);
    REQUIRED BYTE_ARRAY description (STRING);
    OPTIONAL BYTE_ARRAY counterparty (STRING);
    REQUIRED BYTE_ARRAY status (STRING);
    REQUIRED BYTE_ARRAY leg (STRING);
    REQUIRED BYTE_ARRAY name (STRING);
    OPTIONAL BYTE_ARRAY section (STRING);
    REQUIRED BYTE_ARRAY currency (STRING);
    REQUIRED INT64 amount (DECIMAL(18, 3));
    REQUIRED INT64 amount_minor;
    REQUIRED BYTE_ARRAY tags (STRING);
    OPTIONAL BYTE_ARRAY external_id (STRING);
}";

fn write_parquet<W: Write + Send>(out: W, rows: &[PostingRow]) -> Result<(), ParquetError> {
    let schema = Arc::new(parse_message_type(PARQUET_SCHEMA)?);
    let props = Arc::new(WriterProperties::builder().set_compression(Compression::UNCOMPRESSED).build());
    let mut w = SerializedFileWriter::new(out, schema, props)?;
    let epoch = jiff::civil::date(1970, 1, 1);
    for chunk in rows.chunks(1 << 20) {
        let mut rg = w.next_row_group()?;
        let mut i = 0;
        while let Some(mut col) = rg.next_column()? {
            let req = |f: &dyn Fn(&PostingRow) -> &str| -> Vec<ByteArray> {
                chunk.iter().map(|r| ByteArray::from(f(r).as_bytes().to_vec())).collect()
            };
            let opt = |f: &dyn Fn(&PostingRow) -> Option<&str>| -> (Vec<ByteArray>, Vec<i16>) {
                let values =
                    chunk.iter().filter_map(|r| f(r).map(|s| ByteArray::from(s.as_bytes().to_vec()))).collect();
                (values, chunk.iter().map(|r| i16::from(f(r).is_some())).collect())
            };
            match i {
                0 => col.typed::<ByteArrayType>().write_batch(&req(&|r| &r.tx_id), None, None)?,
                1 => {
                    let days: Vec<i32> =
                        chunk.iter().map(|r| epoch.until(r.date).map(|s| s.get_days()).unwrap_or_default()).collect();
                    col.typed::<Int32Type>().write_batch(&days, None, None)?
                }
                2 => col.typed::<ByteArrayType>().write_batch(&req(&|r| &r.description), None, None)?,
                3 => {
                    let (v, d) = opt(&|r| r.counterparty.as_deref());
                    col.typed::<ByteArrayType>().write_batch(&v, Some(&d), None)?
                }
                4 => col.typed::<ByteArrayType>().write_batch(&req(&|r| &r.status), None, None)?,
                5 => col.typed::<ByteArrayType>().write_batch(&req(&|r| &r.leg), None, None)?,
                6 => col.typed::<ByteArrayType>().write_batch(&req(&|r| &r.name), None, None)?,
                7 => {
                    let (v, d) = opt(&|r| r.section.as_deref());
                    col.typed::<ByteArrayType>().write_batch(&v, Some(&d), None)?
                }
                8 => col.typed::<ByteArrayType>().write_batch(&req(&|r| r.currency.code()), None, None)?,
                9 => {
                    let thousandths: Vec<i64> = chunk
                        .iter()
                        .map(|r| i64::try_from((r.amount * Decimal::from(1000)).trunc()).unwrap_or_default())
                        .collect();
                    col.typed::<Int64Type>().write_batch(&thousandths, None, None)?
                }
                10 => {
                    let minor: Vec<i64> = chunk.iter().map(|r| r.amount_minor).collect();
                    col.typed::<Int64Type>().write_batch(&minor, None, None)?
                }
                11 => col.typed::<ByteArrayType>().write_batch(&req(&|r| &r.tags), None, None)?,
                12 => {
                    let (v, d) = opt(&|r| r.external_id.as_deref());
                    col.typed::<ByteArrayType>().write_batch(&v, Some(&d), None)?
                }
                _ => return Err(ParquetError::General("the schema has more columns than the writer".into())),
            };
            col.close()?;
            i += 1;
        }
        rg.close()?;
    }
    w.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_columns_are_every_field_of_a_posting_row() {
        let row = PostingRow {
            tx_id: "t".into(),
            date: jiff::civil::date(2024, 1, 2),
            description: "d".into(),
            counterparty: None,
            status: "booked".into(),
            leg: "account".into(),
            name: "n".into(),
            section: None,
            currency: kassa_core::Currency::EUR,
            amount: Decimal::new(-1250, 2),
            amount_minor: -1250,
            tags: String::new(),
            external_id: None,
        };
        let serde_json::Value::Object(fields) = serde_json::to_value(&row).expect("json") else { panic!("an object") };
        let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut columns = POSTING_COLUMNS.to_vec();
        names.sort_unstable();
        columns.sort_unstable();
        assert_eq!(names, columns);
    }
}
