//! `kassa export` and `kassa fx import`: the whole book (or a date range) in
//! JSON, CSV, hledger journal, beancount or Parquet, written by kassa-app
//! into a file here; and exchange rates in.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;
use kassa_app::export::{ExportFormat, ExportScope};

use crate::ledger::Ctx;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Json,
    Csv,
    Ledger,
    Beancount,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    format: FormatArg,
    /// The file to write
    out: PathBuf,
    /// First business date to include
    #[arg(long, value_parser = crate::ledger::parse_date)]
    from: Option<Date>,
    /// Last business date to include
    #[arg(long, value_parser = crate::ledger::parse_end)]
    to: Option<Date>,
    /// The book as it was recorded at this moment (RFC 3339), or at the end of a day, month or year (UTC)
    #[arg(long, value_parser = kassa_app::dates::moment)]
    known_at: Option<Timestamp>,
}

/// Writes `out` through a temporary file beside it, readable by its owner
/// only (0600), synced and renamed into place at the end: a failed or
/// killed writer leaves nothing at `out` (exports, backups).
pub fn write_private<T>(out: &Path, write: impl FnOnce(&mut std::fs::File) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".kassa-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let written = write(tmp.as_file_mut())?;
    tmp.as_file_mut().sync_all().with_context(|| format!("cannot write {}", out.display()))?;
    tmp.persist(out).with_context(|| format!("cannot write {}", out.display()))?;
    // The rename is durable once the directory is synced too.
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("cannot sync {}", dir.display()))?;
    Ok(written)
}

/// Exports are written through [`write_private`]: a failed export leaves nothing.
pub fn export(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<()> {
    let book = ctx.book()?;
    let format = match a.format {
        FormatArg::Json => ExportFormat::Json,
        FormatArg::Csv => ExportFormat::Csv,
        FormatArg::Ledger => ExportFormat::Ledger,
        FormatArg::Beancount => ExportFormat::Beancount,
        FormatArg::Parquet => ExportFormat::Parquet,
    };
    let scope = ExportScope { from: a.from, to: a.to, known_at: a.known_at };
    // An export is the whole book: it stays private to its owner.
    let written =
        write_private(&a.out, |file| Ok(kassa_app::export::export(ctx.store, book.id, format, scope, file)?))?;
    let rows = written.postings;
    eprintln!(
        "wrote {} ({} transactions{})",
        a.out.display(),
        written.transactions,
        if rows > 0 { format!(", {rows} postings") } else { String::new() }
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum FxCmd {
    /// Import exchange rates from a CSV: `date,base,quote,rate`, or the ECB
    /// reference rates (`Date,USD,JPY,…`, each against EUR)
    Import { file: PathBuf },
}

pub fn fx(ctx: &Ctx, cmd: FxCmd) -> anyhow::Result<()> {
    match cmd {
        FxCmd::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let book = ctx.book()?;
            let n = kassa_app::reports::import_fx_rates(ctx.store, book.id, &ctx.actor, &text)
                .with_context(|| file.display().to_string())?;
            eprintln!("imported {n} exchange rates from {}", file.display());
            Ok(())
        }
    }
}
