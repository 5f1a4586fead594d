//! `kassa backup` and `kassa restore` (issue 19): the event log as a kassa
//! archive (`kassa_store::backup`), taken online from either backend and
//! restored into an empty database of either backend.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kassa_store::Store;

use crate::export::write_private;
use crate::secret::DatabaseUrl;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (0600; replaced only once it is complete)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// An archive `kassa backup` wrote; the target is --db, which must hold no events
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Online: the store reads the log in one read transaction while others
/// write, and the file appears at `--out` only when it is whole and synced.
pub fn backup(store: &dyn Store, url: &DatabaseUrl, args: &BackupArgs, quiet: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let manifest = write_private(&args.out, |file| {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        let manifest = store.backup_log(&mut out).with_context(|| format!("cannot back up {url}"))?;
        std::io::Write::flush(&mut out).with_context(|| format!("cannot write {}", args.out.display()))?;
        Ok(manifest)
    })?;
    if !quiet {
        eprintln!(
            "backed up {} events of {} streams to {} in {:.2?} (sha256 {})",
            manifest.events,
            manifest.streams,
            args.out.display(),
            started.elapsed(),
            manifest.sha256
        );
    }
    Ok(())
}

/// The target was migrated by the caller (restore may create a database);
/// the store checks the archive, refuses a target with events, and writes
/// everything or nothing.
pub fn restore(store: &dyn Store, url: &DatabaseUrl, args: &RestoreArgs, quiet: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut file = std::fs::File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let bar = kassa_bench::progress_bar("restoring events");
    let restored = store
        .restore_log(&mut file, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .with_context(|| format!("cannot restore {} into {url}; nothing was restored", args.file.display()))?;
    bar.finish_and_clear();
    if !quiet {
        eprintln!(
            "restored {} events of {} streams ({} transactions) from {} into {url} in {:.2?}; all {} projections \
             equal a fresh replay",
            restored.events,
            restored.streams,
            restored.transactions,
            args.file.display(),
            started.elapsed(),
            restored.projections
        );
    }
    Ok(())
}
