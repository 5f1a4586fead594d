//! Bank-file imports for the API and the web page: upload (or preview with
//! a dry run), the batches, undo, and the review queue. The import itself is
//! `kassa_store::import`, the same engine as `kassa import`; this module
//! adds who may do it and turns its failures into errors a client can show
//! row by row.

use crate::import::{ImportError, ImportOptions, ImportReport, Input, Resolution};
use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::import::ProfileSaved;
use kassa_core::{AccountRef, BatchId, BookId, Command, Currency, ReviewId};
use kassa_import::Format;
use kassa_import::profile::{Profile, builtin_profiles};
use kassa_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Actor, App, AppError, AppResult};

/// One uploaded file: its name (as the client sent it) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// How to import: the options of `kassa import`, as a client sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Put every row on this account (by name)
    #[serde(default)]
    pub account: Option<String>,
    /// auto (from the content; the default), csv, ofx, qif, camt, mt940, kassa-csv, trades or broker
    #[serde(default)]
    pub format: Option<String>,
    /// A CSV profile by name: the book's saved ones, then the built-in ones
    #[serde(default)]
    pub profile: Option<String>,
    /// Open accounts the file names that the book lacks
    #[serde(default)]
    pub create_accounts: bool,
    /// ISO 4217 currency of the rows and new accounts of a file that gives none
    #[serde(default)]
    pub currency: Option<String>,
    /// Do everything, report, store nothing: the preview
    #[serde(default)]
    pub dry_run: bool,
    /// Store the good rows of a file that has bad ones, and report the rest
    #[serde(default)]
    pub skip_bad_rows: bool,
}

/// A bad row: where it is and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub file: String,
    pub line: u64,
    /// The column or element, when the problem is in one.
    pub field: Option<String>,
    pub message: String,
}

/// What one file's import did (or, for a dry run, would do).
// Deserialize: the web import's stash keeps results as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportView {
    pub file: String,
    /// The format read: csv, ofx, qif, camt, mt940, kassa-csv, trades or broker.
    pub format: String,
    /// The batch id (for undo); absent on a dry run.
    pub batch: Option<String>,
    pub dry_run: bool,
    /// Statement rows read.
    pub rows: u64,
    pub new: u64,
    pub duplicates: u64,
    /// Rows held for review (possible duplicates, pending postings, transfers).
    pub needs_review: u64,
    /// Rows whose transaction had been deleted, not imported again.
    pub deleted: u64,
    pub transfers: u64,
    pub proposed_transfers: u64,
    pub trades: u64,
    /// Bad rows (the first 100); `error_count` counts them all.
    pub errors: Vec<RowError>,
    pub error_count: u64,
    pub warnings: u64,
    pub accounts_created: Vec<String>,
    pub categories_created: Vec<String>,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    pub categorized_by_rules: u64,
    pub categorized_by_model: u64,
    /// New rows left with a category suggestion.
    pub suggested: u64,
}

impl From<ImportReport> for ImportView {
    fn from(r: ImportReport) -> ImportView {
        let errors = row_errors(&r);
        ImportView {
            file: r.file,
            format: r.format,
            batch: r.batch,
            dry_run: r.dry_run,
            rows: r.rows,
            new: r.new,
            duplicates: r.duplicates,
            needs_review: r.needs_review,
            deleted: r.deleted,
            transfers: r.transfers,
            proposed_transfers: r.proposed_transfers,
            trades: r.trades,
            errors,
            error_count: r.error_count,
            warnings: r.warnings,
            accounts_created: r.accounts_created,
            categories_created: r.categories_created,
            sha256: r.sha256,
            categorized_by_rules: r.categorized_by_rules,
            categorized_by_model: r.categorized_by_model,
            suggested: r.suggested,
        }
    }
}

fn row_errors(r: &ImportReport) -> Vec<RowError> {
    r.bad_rows
        .iter()
        .map(|d| RowError {
            file: r.file.clone(),
            line: d.line as u64,
            field: d.field.clone(),
            message: d.message.clone(),
        })
        .collect()
}

/// One import batch, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchView {
    pub id: String,
    pub file: String,
    pub format: String,
    /// RFC 3339
    pub recorded_at: String,
    pub undone: bool,
    pub rows: u64,
    pub new: u64,
    pub duplicates: u64,
    pub needs_review: u64,
    pub deleted: u64,
    pub errors: u64,
    pub transfers: u64,
    pub trades: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UndoView {
    pub batch: String,
    /// Transactions the undo deleted.
    pub deleted: u64,
}

/// A row held for a person to settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewView {
    pub id: String,
    pub batch: String,
    /// possible_duplicate, pending_posted or transfer
    pub kind: String,
    pub account_id: uuid::Uuid,
    pub account: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    /// Signed decimal string.
    pub amount: String,
    pub description: String,
    pub counterparty: Option<String>,
    /// The transactions it may be (two for a proposed transfer).
    pub matched: Vec<uuid::Uuid>,
    /// For a proposed transfer: the receiving account.
    pub to_account_id: Option<uuid::Uuid>,
    /// `file:line` it came from.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveReview {
    /// `accept`: record it as a new transaction (a proposed transfer: make it
    /// one); `duplicate`: it is the transaction it matched (a proposed
    /// transfer: it is not one).
    pub resolution: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolvedView {
    pub id: String,
    /// The transaction recorded, when the item was accepted.
    pub transaction_id: Option<uuid::Uuid>,
}

/// A CSV profile the book can import with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileView {
    pub name: String,
    /// `saved` (the book's) or `built-in`
    pub source: String,
}

/// A profile by name: the book's saved ones first, then the built-in ones.
/// `kassa import --profile` and the API both look here.
pub fn find_profile(store: &dyn Store, book: BookId, name: &str) -> AppResult<Option<Profile>> {
    if let Some(p) = store.import_profiles(book)?.into_iter().find(|p| p.name.eq_ignore_ascii_case(name)) {
        return Profile::from_toml(&p.toml)
            .map(Some)
            .map_err(|e| AppError::Refused { code: "bad_profile", message: format!("saved profile {name}: {e}") });
    }
    Ok(builtin_profiles().into_iter().find(|p| p.name.eq_ignore_ascii_case(name)))
}

/// The book's saved CSV profiles, then the built-in ones.
pub fn profiles(store: &dyn Store, book: BookId) -> AppResult<Vec<ProfileView>> {
    let saved = store.import_profiles(book)?.into_iter().map(|p| ProfileView { name: p.name, source: "saved".into() });
    let builtin = builtin_profiles().into_iter().map(|p| ProfileView { name: p.name, source: "built-in".into() });
    Ok(saved.chain(builtin).collect())
}

/// Saves `profile` in the book under its name (replacing one of that name).
pub fn save_profile(store: &dyn Store, book: BookId, actor: &str, profile: &Profile) -> AppResult<()> {
    let saved = ProfileSaved { name: profile.name.clone(), toml: profile.to_toml() };
    store.execute(book, actor, &[Command::SaveProfile(saved)])?;
    Ok(())
}

/// An import failure as the client sees it: 422 naming the file and, for bad
/// rows, each row's line and field. The store has rolled the batch back.
impl From<ImportError> for AppError {
    fn from(e: ImportError) -> AppError {
        let message = api_words(&e.to_string());
        match e {
            ImportError::Store(s) => s.into(),
            ImportError::Unreadable { file, reason } => AppError::Rejected {
                code: "unreadable_file",
                message,
                details: json!({ "file": file, "reason": reason }),
            },
            ImportError::UnknownAccounts { file, names } => AppError::Rejected {
                code: "unknown_accounts",
                message,
                details: json!({ "file": file, "accounts": names }),
            },
            ImportError::BadRows { file, count, report, .. } => AppError::Rejected {
                code: "bad_rows",
                message,
                details: json!({ "file": file, "count": count, "rows": row_errors(&report) }),
            },
        }
    }
}

/// The import's refusals name the CLI's flags (the CLI prints them as they
/// are); an API caller reads the query parameters that do the same.
fn api_words(message: &str) -> String {
    const FLAGS: &[(&str, &str)] = &[
        ("--skip-bad-rows", "skip_bad_rows=true"),
        ("--create-accounts", "create_accounts=true"),
        ("--account NAME", "account=NAME"),
        ("--currency CUR", "currency=CUR"),
    ];
    FLAGS.iter().fold(message.to_string(), |m, (flag, param)| m.replace(flag, param))
}

impl App {
    /// Whether the caller may import into `book` (owners and editors): asked
    /// before an upload is read, so a large body is not taken in vain.
    pub fn may_import(&self, actor: &Actor, book: BookId) -> AppResult<()> {
        self.access(actor, book)?.require(BookRole::Editor)
    }

    /// Imports `files` into `book` with the same engine as `kassa import`
    /// (owners and editors). Each file is one batch. With several files a
    /// failure stores none of them: they are all dry-run first. A dry run
    /// reports bad rows instead of failing, so a preview can show them.
    pub fn import(
        &self,
        actor: &Actor,
        book: BookId,
        files: &[Upload],
        req: &ImportRequest,
    ) -> AppResult<Vec<ImportView>> {
        self.import_reporting(actor, book, files, req, &mut |_| {})
    }

    /// `import`, telling `progress` the rows read so far of the file being
    /// imported (counting from 0 again with each file and pass): a
    /// background job's progress.
    pub fn import_reporting(
        &self,
        actor: &Actor,
        book: BookId,
        files: &[Upload],
        req: &ImportRequest,
        progress: &mut dyn FnMut(u64),
    ) -> AppResult<Vec<ImportView>> {
        self.may_import(actor, book)?;
        if files.is_empty() {
            return Err(AppError::invalid("file", "no file uploaded"));
        }
        if files.iter().any(|f| f.name.trim().is_empty()) {
            return Err(AppError::invalid("file", "every file needs a name"));
        }
        let opts = self.import_options(book, req)?;
        if files.len() > 1 && !opts.dry_run {
            let dry = ImportOptions { dry_run: true, ..opts.clone() };
            for f in files {
                self.import_one(actor, book, f, &dry, progress)?;
            }
        }
        files
            .iter()
            .map(|f| match self.import_one(actor, book, f, &opts, progress) {
                Ok(r) => Ok(r.into()),
                Err(ImportError::BadRows { report, .. }) if opts.dry_run => Ok((*report).into()),
                Err(e) => Err(e.into()),
            })
            .collect()
    }

    fn import_one(
        &self,
        actor: &Actor,
        book: BookId,
        f: &Upload,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, ImportError> {
        let input = Input::Bytes { name: f.name.trim(), bytes: &f.bytes };
        crate::import::import_file(
            self.store.as_ref(),
            self.clock.as_ref(),
            book,
            &actor.tag(),
            input,
            opts,
            Some(progress),
        )
    }

    fn import_options(&self, book: BookId, req: &ImportRequest) -> AppResult<ImportOptions> {
        let format = match req.format.as_deref().map(str::trim) {
            None | Some("" | "auto") => None,
            Some(f) => Some(f.parse::<Format>().map_err(|e| AppError::invalid("format", e))?),
        };
        let account = req.account.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
        if let Some(name) = &account {
            self.store
                .ledger(book)?
                .resolve_account(&AccountRef::Name(name.clone()))
                .map_err(|e| AppError::invalid("account", e))?;
        }
        let profile = match req.profile.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(name) => Some(
                find_profile(self.store.as_ref(), book, name)?
                    .ok_or_else(|| AppError::invalid("profile", format!("unknown profile '{name}'")))?,
            ),
            None => None,
        };
        let currency = match req.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(Currency::parse(&c.to_ascii_uppercase()).map_err(|e| AppError::invalid("currency", e))?),
            None => None,
        };
        Ok(ImportOptions {
            account,
            currency,
            // A profile describes a bank CSV.
            format: format.or(profile.as_ref().map(|_| Format::Csv)),
            profile,
            create_accounts: req.create_accounts,
            dry_run: req.dry_run,
            skip_bad_rows: req.skip_bad_rows,
            ..ImportOptions::default()
        })
    }

    /// The book's import batches, oldest first (viewers and up).
    pub fn import_batches(&self, actor: &Actor, book: BookId) -> AppResult<Vec<BatchView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        Ok(self
            .store
            .import_batches(book)?
            .into_iter()
            .map(|b| BatchView {
                id: b.batch,
                file: b.file,
                format: b.format,
                recorded_at: b.recorded_at,
                undone: b.undone,
                rows: b.counts.rows,
                new: b.counts.new,
                duplicates: b.counts.duplicates,
                needs_review: b.counts.needs_review,
                deleted: b.counts.deleted,
                errors: b.counts.errors,
                transfers: b.counts.transfers,
                trades: b.counts.trades,
                sha256: b.sha256,
            })
            .collect())
    }

    /// Deletes exactly the transactions a batch recorded (owners and editors).
    pub fn undo_import(&self, actor: &Actor, book: BookId, batch: BatchId) -> AppResult<UndoView> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        let n = crate::import::undo(self.store.as_ref(), book, &actor.tag(), batch)?;
        Ok(UndoView { batch: batch.to_string(), deleted: n as u64 })
    }

    /// Rows held for review (viewers and up).
    pub fn import_reviews(&self, actor: &Actor, book: BookId) -> AppResult<Vec<ReviewView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        let ledger = self.store.ledger(book)?;
        Ok(self
            .store
            .import_reviews(book)?
            .into_iter()
            .map(|r| {
                let i = r.item;
                ReviewView {
                    id: i.review_id.to_string(),
                    batch: r.batch_id.to_string(),
                    kind: i.kind.as_str().into(),
                    account_id: i.account_id.0,
                    account: ledger.account(i.account_id).map(|a| a.name.clone()).unwrap_or_default(),
                    date: i.date,
                    amount: i.amount.to_string(),
                    description: i.description,
                    counterparty: i.counterparty,
                    matched: i.matched.iter().map(|t| t.0).collect(),
                    to_account_id: i.to_account.map(|a| a.0),
                    source: i.source,
                }
            })
            .collect())
    }

    /// Settles one review item (owners and editors).
    pub fn resolve_review(
        &self,
        actor: &Actor,
        book: BookId,
        review: ReviewId,
        input: &ResolveReview,
    ) -> AppResult<ResolvedView> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        let how = match input.resolution.trim() {
            "accept" => Resolution::Accept,
            "duplicate" => Resolution::Duplicate,
            _ => return Err(AppError::invalid("resolution", "expected accept or duplicate")),
        };
        let tx = crate::import::resolve_review(self.store.as_ref(), book, &actor.tag(), review, how)?;
        Ok(ResolvedView { id: review.to_string(), transaction_id: tx.map(|t| t.0) })
    }

    /// The CSV profiles an import can name (viewers and up).
    pub fn import_profiles(&self, actor: &Actor, book: BookId) -> AppResult<Vec<ProfileView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        profiles(self.store.as_ref(), book)
    }
}
