//! `kassa export` and `kassa fx import`: the whole book (or a date range) in
//! JSON, CSV, hledger journal, beancount or Parquet; and exchange rates in.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::Command;
use kassa_core::report::export::{PostingRow, beancount, hledger_journal, posting_rows};
use kassa_core::report::fx::parse_rates_csv;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use rust_decimal::Decimal;

use crate::ledger::Ctx;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
    Ledger,
    Beancount,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// The file to write
    out: PathBuf,
    /// First business date to include
    #[arg(long, value_parser = date)]
    from: Option<Date>,
    /// Last business date to include
    #[arg(long, value_parser = date)]
    to: Option<Date>,
    /// The book as it was recorded at this moment (RFC 3339)
    #[arg(long)]
    known_at: Option<Timestamp>,
}

fn date(s: &str) -> Result<Date, String> {
    s.trim().parse().map_err(|_| format!("invalid date '{s}' (expected YYYY-MM-DD)"))
}

/// Exports are built in memory and written to a temporary file beside
/// `out`, renamed into place at the end: a failed export leaves nothing.
pub fn export(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<()> {
    let book = ctx.book()?;
    let (ledger, _) = kassa_app::reports::replay(ctx.store, book.id, a.known_at)?;
    let dir = a.out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut rows = 0;
    match a.format {
        ExportFormat::Ledger => tmp.write_all(hledger_journal(&ledger, a.from, a.to).as_bytes())?,
        ExportFormat::Beancount => tmp.write_all(beancount(&ledger, a.from, a.to).as_bytes())?,
        ExportFormat::Json => {
            let postings = posting_rows(&ledger, a.from, a.to);
            rows = postings.len();
            serde_json::to_writer_pretty(&mut tmp, &postings)?;
            tmp.write_all(b"\n")?;
        }
        ExportFormat::Csv => {
            let postings = posting_rows(&ledger, a.from, a.to);
            rows = postings.len();
            let mut w = csv::Writer::from_writer(&mut tmp);
            for p in &postings {
                w.serialize(p)?;
            }
            w.flush()?;
        }
        ExportFormat::Parquet => {
            let postings = posting_rows(&ledger, a.from, a.to);
            rows = postings.len();
            write_parquet(tmp.as_file_mut(), &postings)?;
        }
    }
    tmp.as_file_mut().sync_all()?;
    // Temporary files are private (0600); an export is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(&a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
    let n = ledger
        .transactions()
        .filter(|t| a.from.is_none_or(|d| t.date >= d) && a.to.is_none_or(|d| t.date <= d))
        .count();
    eprintln!(
        "wrote {} ({n} transactions{})",
        a.out.display(),
        if rows > 0 { format!(", {rows} postings") } else { String::new() }
    );
    Ok(())
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

fn write_parquet(file: &mut File, rows: &[PostingRow]) -> anyhow::Result<()> {
    let schema = Arc::new(parse_message_type(PARQUET_SCHEMA)?);
    let props = Arc::new(WriterProperties::builder().set_compression(Compression::UNCOMPRESSED).build());
    let mut w = SerializedFileWriter::new(file, schema, props)?;
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
                _ => bail!("parquet schema has more columns than the writer"),
            };
            col.close()?;
            i += 1;
        }
        rg.close()?;
    }
    w.close()?;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum FxCmd {
    /// Import exchange rates from a CSV: `date,base,quote,rate`, or the ECB
    /// reference rates (`Date,USD,JPY,…`, each against EUR)
    Import { file: PathBuf },
}

/// Rates per event: an ECB history is ~200,000 rates; events stay small.
const RATES_PER_EVENT: usize = 5_000;

pub fn fx(ctx: &Ctx, cmd: FxCmd) -> anyhow::Result<()> {
    match cmd {
        FxCmd::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let rates = parse_rates_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let book = ctx.book()?;
            let cmds: Vec<Command> =
                rates.chunks(RATES_PER_EVENT).map(|c| Command::ImportFxRates { rates: c.to_vec() }).collect();
            ctx.store.execute(book.id, &ctx.actor, &cmds)?;
            eprintln!("imported {} exchange rates from {}", rates.len(), file.display());
            Ok(())
        }
    }
}
