//! `kassa import` (files, list, undo, review) and `kassa profile`: thin
//! wrappers over the store's import service.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kassa_app::SystemClock;
use kassa_app::import::{ImportError, ImportOptions, ImportReport, Input, Resolution};
use kassa_core::import::ReviewKind;
use kassa_core::{AccountRef, BatchId, Currency, ReviewId};
use kassa_import::Format as FileFormat;
use kassa_import::profile::Profile;
use serde::Serialize;

use crate::ledger::Ctx;
use crate::output::{self, Format};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    cmd: Option<ImportCmd>,
    /// Bank files: CSV, OFX/QFX, QIF, camt.05x, MT940, kassa transactions.csv / trades.csv, broker exports
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Put every row on this account
    #[arg(long)]
    account: Option<String>,
    /// auto (from the content), csv, ofx, qif, camt, mt940, kassa-csv, trades or broker
    #[arg(long, default_value = "auto")]
    format: String,
    /// CSV profile by name (saved or built in)
    #[arg(long)]
    profile: Option<String>,
    /// Save the profile used (or the proposed mapping) under --profile NAME
    #[arg(long, requires = "profile")]
    save_profile: bool,
    /// Open accounts the file names that the book lacks
    #[arg(long)]
    create_accounts: bool,
    /// Currency (ISO 4217) of the rows and new accounts of a file that gives none
    #[arg(long, value_name = "CUR")]
    currency: Option<String>,
    /// Show what would happen; store nothing
    #[arg(long)]
    dry_run: bool,
    /// Store the good rows of a file that has bad ones, and report the rest
    #[arg(long)]
    skip_bad_rows: bool,
    /// Import rows again whose transaction was deleted
    #[arg(long)]
    include_deleted: bool,
}

impl ImportArgs {
    /// What the command needs on its book: listing, reviewing and a dry run
    /// only read it.
    pub fn needs(&self) -> kassa_core::access::BookRole {
        use kassa_core::access::BookRole::{Editor, Viewer};
        match &self.cmd {
            Some(ImportCmd::List) | Some(ImportCmd::Review { accept: None, duplicate: None }) => Viewer,
            Some(_) => Editor,
            None if self.dry_run => Viewer,
            None => Editor,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Import batches, oldest first
    List,
    /// Remove exactly the transactions a batch recorded
    Undo { batch: String },
    /// Rows held for review; settle one with --accept or --duplicate
    Review {
        /// Record it as a new transaction (a proposed transfer: make it one)
        #[arg(long, conflicts_with = "duplicate")]
        accept: Option<String>,
        /// It is the transaction it matched (a proposed transfer: it is not one)
        #[arg(long)]
        duplicate: Option<String>,
    },
}

pub fn run(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match a.cmd {
        Some(ImportCmd::List) => output::print(&ctx.store.import_batches(book.id)?, ctx.output),
        Some(ImportCmd::Undo { batch }) => {
            let id: BatchId = batch.trim().parse().map_err(|_| anyhow::anyhow!("'{batch}' is not a batch id"))?;
            let n = kassa_app::import::undo(ctx.store, book.id, &ctx.actor, id)?;
            eprintln!("undid batch {id}: {n} transaction(s) deleted");
            Ok(())
        }
        Some(ImportCmd::Review { accept, duplicate }) => review(ctx, book.id, accept, duplicate),
        None => import_files(ctx, book.id, a),
    }
}

fn review(ctx: &Ctx, book: kassa_core::BookId, accept: Option<String>, dup: Option<String>) -> anyhow::Result<()> {
    let (id, how) = match (accept, dup) {
        (Some(id), _) => (id, Resolution::Accept),
        (None, Some(id)) => (id, Resolution::Duplicate),
        (None, None) => {
            #[derive(Serialize)]
            struct Row {
                id: String,
                kind: &'static str,
                account: String,
                date: jiff::civil::Date,
                amount: String,
                description: String,
                matched: String,
                source: String,
            }
            let ledger = ctx.store.ledger(book)?;
            let rows: Vec<Row> = ctx
                .store
                .import_reviews(book)?
                .into_iter()
                .map(|r| Row {
                    id: r.item.review_id.to_string(),
                    kind: r.item.kind.as_str(),
                    account: ledger.account(r.item.account_id).map(|a| a.name.clone()).unwrap_or_default(),
                    date: r.item.date,
                    // A proposed transfer's amount is what it moves; on the
                    // account it leaves, the row took that much out.
                    amount: match r.item.kind {
                        ReviewKind::Transfer => (-r.item.amount).to_string(),
                        _ => r.item.amount.to_string(),
                    },
                    description: r.item.description,
                    matched: r.item.matched.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" "),
                    source: r.item.source,
                })
                .collect();
            return output::print(&rows, ctx.output);
        }
    };
    let rid: ReviewId = id.trim().parse().map_err(|_| anyhow::anyhow!("'{id}' is not a review id"))?;
    let tx = kassa_app::import::resolve_review(ctx.store, book, &ctx.actor, rid, how)?;
    match tx {
        Some(t) => println!("{t}"),
        None => eprintln!("review item {rid} settled"),
    }
    Ok(())
}

fn find_profile(ctx: &Ctx, book: kassa_core::BookId, name: &str) -> anyhow::Result<Option<Profile>> {
    Ok(kassa_app::imports::find_profile(ctx.store, book, name)?)
}

fn import_files(ctx: &Ctx, book: kassa_core::BookId, a: ImportArgs) -> anyhow::Result<()> {
    let format = match a.format.as_str() {
        "auto" => None,
        f => Some(f.parse::<FileFormat>().map_err(|e| anyhow::anyhow!(e))?),
    };
    if let Some(name) = &a.account {
        ctx.store.ledger(book)?.resolve_account(&AccountRef::Name(name.clone()))?;
    }
    let mut profile = match &a.profile {
        Some(name) => match find_profile(ctx, book, name)? {
            Some(p) => Some(p),
            None if a.save_profile => None,
            None => bail!("unknown profile '{name}' (see `kassa profile list`; --save-profile saves a proposed one)"),
        },
        None => None,
    };
    if a.save_profile
        && let Some(name) = &a.profile
    {
        let mut p = match profile.take() {
            Some(p) => p,
            None => {
                let first = a.files.first().context("no file")?;
                let bytes = std::fs::read(first).with_context(|| format!("{}", first.display()))?;
                kassa_import::csv_bank::propose(&bytes).0
            }
        };
        p.name = name.clone();
        kassa_app::imports::save_profile(ctx.store, book, &ctx.actor, &p)?;
        eprintln!("saved profile '{name}'");
        profile = Some(p);
    }
    let currency = a
        .currency
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase().parse::<Currency>())
        .transpose()
        .map_err(|e| anyhow::anyhow!("--currency: {e}"))?;
    let opts = ImportOptions {
        account: a.account.clone(),
        currency,
        format: format.or(profile.as_ref().map(|_| FileFormat::Csv)),
        profile,
        create_accounts: a.create_accounts,
        dry_run: a.dry_run,
        skip_bad_rows: a.skip_bad_rows,
        include_deleted: a.include_deleted,
        ..ImportOptions::default()
    };
    // One command is all-or-nothing: with several files, every file is
    // checked (a dry run) before any is stored, so `import good.csv
    // bad.csv` stores neither and says how each file fared.
    if a.files.len() > 1 && !a.dry_run {
        let paths: Vec<&std::path::Path> = a.files.iter().map(PathBuf::as_path).collect();
        let checked = kassa_app::import::check_files(ctx.store, &SystemClock, book, &ctx.actor, &paths, &opts);
        let bad = checked.iter().filter(|r| r.is_err()).count();
        if bad > 0 {
            for r in &checked {
                match r {
                    Ok(r) => {
                        eprintln!("{}: fine ({} new row(s)), not stored because another file failed", r.file, r.new)
                    }
                    Err(e) => eprintln!("error: {e}"),
                }
            }
            bail!(
                "{bad} of {} files have errors; nothing stored (fix them, or import the good files alone)",
                paths.len()
            );
        }
    }
    let mut reports = vec![];
    let mut failed = 0;
    for path in &a.files {
        let lines = count_lines(path);
        let bar = (lines > 5_000).then(|| {
            let b = kassa_bench::progress_bar(&format!("importing {}", path.display()));
            b.set_length(lines);
            b
        });
        let mut tick = |n: u64| {
            if let Some(b) = &bar {
                b.set_position(n);
            }
        };
        let result = kassa_app::import::import_file(
            ctx.store,
            &SystemClock,
            book,
            &ctx.actor,
            Input::File(path),
            &opts,
            Some(&mut tick),
        );
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        match result {
            Ok(r) => reports.push(r),
            // A dry run goes on to the next file so every file's problems
            // show at once, then fails the command.
            Err(ImportError::BadRows { file, count, first, report }) if a.dry_run => {
                eprintln!("{file}: {count} bad row(s): {}", first.join("; "));
                failed += 1;
                reports.push(*report);
            }
            Err(e) if a.dry_run => {
                eprintln!("error: {e}");
                failed += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    print_reports(&reports, ctx.output)?;
    if failed > 0 {
        bail!("dry run: {failed} of {} file(s) have errors", a.files.len());
    }
    Ok(())
}

fn count_lines(path: &std::path::Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > 256 * 1024 => {
            std::fs::read(path).map(|b| b.iter().filter(|c| **c == b'\n').count() as u64).unwrap_or(0)
        }
        _ => 0,
    }
}

fn print_reports(reports: &[ImportReport], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        let sum = |f: fn(&ImportReport) -> u64| reports.iter().map(f).sum::<u64>();
        let batch = match reports {
            [one] => serde_json::json!(one.batch),
            many => serde_json::json!(many.iter().map(|r| r.batch.clone()).collect::<Vec<_>>()),
        };
        let out = serde_json::json!({
            "new": sum(|r| r.new),
            "duplicates": sum(|r| r.duplicates),
            "needs_review": sum(|r| r.needs_review),
            "deleted": sum(|r| r.deleted),
            "transfers": sum(|r| r.transfers),
            "proposed_transfers": sum(|r| r.proposed_transfers),
            "trades": sum(|r| r.trades),
            "categorized_by_rules": sum(|r| r.categorized_by_rules),
            "categorized_by_model": sum(|r| r.categorized_by_model),
            "suggested": sum(|r| r.suggested),
            "errors": reports.iter().flat_map(|r| r.errors.iter().cloned()).collect::<Vec<_>>(),
            "error_count": sum(|r| r.error_count),
            "dry_run": reports.first().is_some_and(|r| r.dry_run),
            "batch": batch,
            "files": reports,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    #[derive(Serialize)]
    struct Row<'a> {
        file: &'a str,
        format: &'a str,
        new: u64,
        duplicates: u64,
        needs_review: u64,
        deleted: u64,
        transfers: u64,
        trades: u64,
        /// Categorised on arrival by rules or the model.
        categorized: u64,
        suggested: u64,
        errors: u64,
        batch: String,
    }
    let rows: Vec<Row> = reports
        .iter()
        .map(|r| Row {
            file: &r.file,
            format: &r.format,
            new: r.new,
            duplicates: r.duplicates,
            needs_review: r.needs_review,
            deleted: r.deleted,
            transfers: r.transfers,
            trades: r.trades,
            categorized: r.categorized_by_rules + r.categorized_by_model,
            suggested: r.suggested,
            errors: r.error_count,
            batch: r.batch.clone().unwrap_or_else(|| "(dry run)".into()),
        })
        .collect();
    for r in reports {
        for e in &r.errors {
            eprintln!("skipped: {e}");
        }
    }
    output::print(&rows, format)
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Saved and built-in CSV profiles
    List,
    /// A profile's TOML
    Show { name: String },
    /// Save a profile from a TOML file (its `name` names it)
    Add { file: PathBuf },
}

pub fn profile(ctx: &Ctx, cmd: ProfileCmd) -> anyhow::Result<()> {
    let book = ctx.book()?;
    match cmd {
        ProfileCmd::List => output::print(&kassa_app::imports::profiles(ctx.store, book.id)?, ctx.output),
        ProfileCmd::Show { name } => {
            let p = find_profile(ctx, book.id, &name)?.with_context(|| format!("unknown profile '{name}'"))?;
            print!("{}", p.to_toml());
            Ok(())
        }
        ProfileCmd::Add { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("{}", file.display()))?;
            let p = Profile::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            kassa_app::imports::save_profile(ctx.store, book.id, &ctx.actor, &p)?;
            eprintln!("saved profile '{}'", p.name);
            Ok(())
        }
    }
}
