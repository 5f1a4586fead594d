//! The import service: a bank file in, one atomic batch of ledger commands
//! out. Parsing is `kassa-import`'s job and matching is `kassa-core`'s
//! ([`kassa_core::import::Matcher`]); this module resolves accounts and
//! categories, asks the store what it already knows, pairs transfer legs and
//! feeds the commands to [`kassa_store::Store::import`] chunk by chunk, inside one
//! database transaction, so memory stays flat and a failed batch writes
//! nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use jiff::civil::Date;
use kassa_core::categorize::normalize_merchant;
use kassa_core::import::{
    BatchUndone, Fingerprint, ImportBatch, ImportCounts, ImportReviews, ImportRows, ImportedRow, ImportedTrade,
    Matcher, Occurrences, ReviewItem, ReviewKind, ReviewOutcome, ReviewResolved, TradeExtra, TradesImported, Verdict,
};
use kassa_core::{
    AccountId, AccountKind, AccountRef, Amount, BatchId, BookId, CategoryId, CategoryName, CategorySource, Command,
    Currency, Iban, Ledger, LedgerDate, LedgerError, Money, NewAccount, NewTransaction, NewTransfer, ReviewId, Section,
    Status, TxId,
};
use kassa_import::profile::Profile;
use kassa_import::{AccountHint, Diagnostic, Format, RowStatus, Severity, StatementRow, TradeRow, TradeSide};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::categorize;
use crate::clock::{Clock, new_id};
use crate::instruments::KindsLearned;
use crate::portfolio::TradeGate;
use kassa_store::Store;
use kassa_store::import::{ImportFeed, ImportLookup};
use kassa_store::{Result, StoreError};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Every row goes to this account (by name).
    pub account: Option<String>,
    /// `None`: detect from the content.
    pub format: Option<Format>,
    pub profile: Option<Profile>,
    /// Open accounts the file names that the book does not have.
    pub create_accounts: bool,
    /// Do everything, report, and roll back.
    pub dry_run: bool,
    /// Store the good rows of a file with bad ones.
    pub skip_bad_rows: bool,
    /// Re-import rows whose transaction was deleted.
    pub include_deleted: bool,
    /// ± days for fuzzy duplicate candidates.
    pub fuzzy_days: i64,
    /// ± days for proposed transfers.
    pub transfer_days: i64,
    /// Rows per chunk (per append inside the one transaction).
    pub chunk: usize,
    /// The currency of rows and accounts the file does not give one for.
    pub currency: Option<Currency>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            account: None,
            format: None,
            profile: None,
            create_accounts: false,
            dry_run: false,
            skip_bad_rows: false,
            include_deleted: false,
            fuzzy_days: 3,
            transfer_days: 3,
            chunk: 20_000,
            currency: None,
        }
    }
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub format: String,
    /// The batch id; `None` when nothing was stored (dry run).
    pub batch: Option<String>,
    pub dry_run: bool,
    pub rows: u64,
    pub new: u64,
    pub duplicates: u64,
    pub needs_review: u64,
    /// Rows whose transaction had been deleted (not re-imported).
    pub deleted: u64,
    pub transfers: u64,
    pub proposed_transfers: u64,
    pub trades: u64,
    /// Bad rows as `file:line:field: message` (the first 100).
    pub errors: Vec<String>,
    /// The same rows with line and field apart, for callers that show them
    /// in a table (the API); not serialised, `errors` already says it.
    #[serde(skip)]
    pub bad_rows: Vec<Diagnostic>,
    pub error_count: u64,
    pub warnings: u64,
    pub accounts_created: Vec<String>,
    pub categories_created: Vec<String>,
    pub sha256: String,
    /// New rows the book's rules categorised.
    pub categorized_by_rules: u64,
    /// New rows the model categorised above its threshold.
    pub categorized_by_model: u64,
    /// New rows left with a suggestion for review.
    pub suggested: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error(
        "{file}: {count} bad row(s), nothing stored (--skip-bad-rows stores the rest, unless a trade does not book): {}{}",
        .first.join("; "),
        if *.count as usize > .first.len() { format!("; and {} more", *.count as usize - .first.len()) } else { String::new() }
    )]
    BadRows { file: String, count: u64, first: Vec<String>, report: Box<ImportReport> },
    #[error(
        "{file}: unknown account(s) {}; nothing stored (add them, pass --account NAME or --create-accounts)",
        .names.join(", ")
    )]
    UnknownAccounts { file: String, names: Vec<String> },
}

/// A file to import: bytes in memory, or a path (kassa's own CSVs are then
/// streamed, so a million rows never sit in memory at once).
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Bytes { name: &'a str, bytes: &'a [u8] },
    File(&'a Path),
}

/// Per account in a chunk: fingerprints, bank ids, first and last date.
type AccountRows<'a> = (Vec<Fingerprint>, Vec<&'a str>, Date, Date);

type Rows<'a> = Box<dyn Iterator<Item = std::result::Result<StatementRow, Diagnostic>> + 'a>;
type Trades<'a> = Box<dyn Iterator<Item = std::result::Result<TradeRow, Diagnostic>> + 'a>;

/// Imports one file into `book` as one batch. `progress` hears the number
/// of rows read so far.
pub fn import_file<'a>(
    store: &dyn Store,
    clock: &dyn Clock,
    book: BookId,
    actor: &str,
    input: Input<'a>,
    opts: &'a ImportOptions,
    progress: Option<&'a mut dyn FnMut(u64)>,
) -> std::result::Result<ImportReport, ImportError> {
    // Timed for `/metrics` (issue 19); outside `kassa serve` no recorder
    // is installed and these cost a branch.
    let started = clock.instant();
    let result = import_file_untimed(store, clock, book, actor, input, opts, progress);
    let outcome = match &result {
        Ok(r) if r.dry_run => "dry_run",
        Ok(_) => "stored",
        Err(_) => "refused",
    };
    metrics::histogram!("kassa_import_duration_seconds", "outcome" => outcome)
        .record(clock.instant().duration_since(started).as_secs_f64());
    if let Ok(report) = &result {
        metrics::counter!("kassa_import_rows_total", "outcome" => outcome).increment(report.rows);
    }
    result
}

/// [`import_file`] without the timing.
fn import_file_untimed<'a>(
    store: &dyn Store,
    clock: &dyn Clock,
    book: BookId,
    actor: &str,
    input: Input<'a>,
    opts: &'a ImportOptions,
    progress: Option<&'a mut dyn FnMut(u64)>,
) -> std::result::Result<ImportReport, ImportError> {
    let (name, sha256): (String, String) = match input {
        Input::Bytes { name, bytes } => (name.to_string(), hex::encode(Sha256::digest(bytes))),
        Input::File(path) => {
            let name = path.display().to_string();
            let unreadable = |e: std::io::Error| ImportError::Unreadable { file: name.clone(), reason: e.to_string() };
            let mut f = std::fs::File::open(path).map_err(unreadable)?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = f.read(&mut buf).map_err(unreadable)?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            (name, hex::encode(h.finalize()))
        }
    };
    let head: Vec<u8> = match input {
        Input::Bytes { bytes, .. } => bytes[..bytes.len().min(64 * 1024)].to_vec(),
        Input::File(path) => {
            let mut f = std::fs::File::open(path)
                .map_err(|e| ImportError::Unreadable { file: name.clone(), reason: e.to_string() })?;
            let mut head = Vec::with_capacity(64 * 1024);
            f.by_ref()
                .take(64 * 1024)
                .read_to_end(&mut head)
                .map_err(|e| ImportError::Unreadable { file: name.clone(), reason: e.to_string() })?;
            head
        }
    };
    let format = match opts.format.or_else(|| kassa_import::detect::detect(&head)) {
        Some(f) => f,
        None => {
            return Err(ImportError::Unreadable {
                file: name,
                reason:
                    "1: not a format kassa reads (CSV, OFX/QFX, QIF, camt.05x, MT940, kassa transactions/trades CSV)"
                        .into(),
            });
        }
    };
    let streamed = matches!(format, Format::KassaCsv | Format::Trades);
    // Errors and warnings a parser counted but did not list (over its cap).
    let mut uncounted = (0, 0);
    let (rows, trades): (Rows<'a>, Trades<'a>) = match (input, streamed) {
        (Input::File(path), true) => {
            let f = std::fs::File::open(path)
                .map_err(|e| ImportError::Unreadable { file: name.clone(), reason: e.to_string() })?;
            let r = std::io::BufReader::with_capacity(1 << 20, f);
            if format == Format::KassaCsv {
                (Box::new(kassa_import::native::TransactionsReader::new(r)), Box::new(std::iter::empty()))
            } else {
                (Box::new(std::iter::empty()), Box::new(kassa_import::native::TradesReader::new(r)))
            }
        }
        (Input::Bytes { bytes, .. }, true) => {
            if format == Format::KassaCsv {
                (Box::new(kassa_import::native::TransactionsReader::new(bytes)), Box::new(std::iter::empty()))
            } else {
                (Box::new(std::iter::empty()), Box::new(kassa_import::native::TradesReader::new(bytes)))
            }
        }
        (_, false) => {
            // An upload is parsed where it lies: a copy of it was one more
            // file-sized allocation per concurrent import (issue 14).
            let bytes: std::borrow::Cow<'_, [u8]> = match input {
                Input::Bytes { bytes, .. } => bytes.into(),
                Input::File(path) => std::fs::read(path)
                    .map_err(|e| ImportError::Unreadable { file: name.clone(), reason: e.to_string() })?
                    .into(),
            };
            let parsed = kassa_import::parse(&bytes, Some(format), opts.profile.as_ref());
            uncounted = parsed.diagnostics.uncounted();
            let diags = parsed.diagnostics.into_iter().map(Err);
            let trades: Vec<_> = parsed.trades.into_iter().map(Ok).collect();
            (Box::new(diags.chain(parsed.rows.into_iter().map(Ok))), Box::new(trades.into_iter()))
        }
    };
    let short_name = match input {
        Input::Bytes { name, .. } => name.to_string(),
        Input::File(p) => p.file_name().map_or(name.clone(), |n| n.to_string_lossy().to_string()),
    };
    let batch = BatchId(new_id());
    // Trades meet the book's trades (re-import, oversell); only files that
    // can hold trades read them.
    let trades_possible = matches!(format, Format::Trades | Format::Ofx) || !streamed;
    let gate = if trades_possible { TradeGate::new(store.trades(book)?) } else { TradeGate::default() };
    let kinds = if trades_possible { KindsLearned::new(store.instruments(book)?) } else { KindsLearned::default() };
    let mut feed = Feed {
        opts,
        file: short_name,
        batch,
        format,
        sha256: sha256.clone(),
        rows,
        trades,
        gate,
        kinds,
        occ: Occurrences::new(),
        matcher: Matcher::new(opts.fuzzy_days, opts.include_deleted),
        report: ImportReport {
            file: name.clone(),
            format: format.as_str().to_string(),
            dry_run: opts.dry_run,
            sha256,
            ..ImportReport::default()
        },
        unknown: BTreeSet::new(),
        unbookable: false,
        history: HashMap::new(),
        resolved: HashMap::new(),
        new_accounts: Vec::new(),
        new_categories: HashMap::new(),
        groups: HashMap::new(),
        singles: vec![],
        stage: Stage::Rows,
        progress,
    };
    store.import(book, actor, &mut feed)?;
    let mut report = feed.report;
    report.error_count += uncounted.0 as u64;
    report.warnings += uncounted.1 as u64;
    if !feed.unknown.is_empty() {
        return Err(ImportError::UnknownAccounts { file: name, names: feed.unknown.into_iter().collect() });
    }
    if report.error_count > 0 && (!opts.skip_bad_rows || feed.unbookable) {
        let first = report.errors.iter().take(10).cloned().collect();
        return Err(ImportError::BadRows { file: name, count: report.error_count, first, report: Box::new(report) });
    }
    if !opts.dry_run {
        report.batch = Some(batch.to_string());
        // New rows meet the book's rules, then its model, as they arrive.
        let ids: HashSet<String> =
            store.import_batch_transactions(book, batch)?.into_iter().map(|t| t.to_string()).collect();
        if !ids.is_empty() {
            let run = categorize::run(
                store,
                clock,
                book,
                actor,
                categorize::Scope { only: Some(&ids), ..Default::default() },
                false,
            )?;
            report.categorized_by_rules = run.changes.iter().filter(|c| c.by == "rule").count() as u64;
            report.categorized_by_model = run.changes.iter().filter(|c| c.by == "model").count() as u64;
            report.suggested = run.changes.iter().filter(|c| c.by == "suggestion").count() as u64;
        }
    }
    Ok(report)
}

/// Every file of one command, tried as a dry run, in order: one import
/// command is all-or-nothing, so a caller stores the files only when none
/// of these is an error, and otherwise reports each file's result. Each
/// file is checked on its own (its duplicates against the book, not
/// against the other files), which is what decides bad rows and unknown
/// accounts.
pub fn check_files(
    store: &dyn Store,
    clock: &dyn Clock,
    book: BookId,
    actor: &str,
    files: &[&Path],
    opts: &ImportOptions,
) -> Vec<std::result::Result<ImportReport, ImportError>> {
    let dry = ImportOptions { dry_run: true, ..opts.clone() };
    files.iter().map(|f| import_file(store, clock, book, actor, Input::File(f), &dry, None)).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Rows,
    Trades,
    Finish,
    Done,
}

/// A row on its resolved account, with its fingerprint.
#[derive(Debug, Clone)]
struct Prep {
    row: StatementRow,
    /// The row's date and amount, checked against kassa's range.
    date: LedgerDate,
    amount: Amount,
    account: AccountId,
    currency: Currency,
    fp: Fingerprint,
}

/// An account this import opened: what later rows match it by.
#[derive(Debug, Clone)]
struct Opened {
    name: String,
    /// Normalised (see [`norm`]).
    number: Option<String>,
    institution: Option<String>,
    id: AccountId,
    currency: Currency,
}

/// An account number as compared: no spaces, upper case.
fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()
}

/// Whether an account's stored institution and a file's bank facts may be
/// the same bank: yes when either side does not say.
fn same_bank(stored: Option<&str>, hint: &AccountHint) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let Some(stored) = stored.map(squash) else { return true };
    let theirs: Vec<String> = [&hint.bank, &hint.institution].into_iter().flatten().map(|s| squash(s)).collect();
    theirs.is_empty() || theirs.contains(&stored)
}

/// A new account's name from what the file says, never a bare number:
/// "{bank} ··{last 4}" or "{bank} {CUR}" (the account's own name after the
/// bank when the file gives one), "{kind} ··{last 4}" when only the number
/// is known, else the file's name without its extension.
fn new_name(
    hint: &AccountHint,
    number: Option<&str>,
    kind: AccountKind,
    currency: Option<Currency>,
    file: &str,
) -> String {
    let bank = hint.bank.as_deref().or(hint.institution.as_deref().filter(|i| i.chars().any(char::is_alphabetic)));
    let mut who: Vec<&str> = bank.into_iter().map(str::trim).filter(|b| !b.is_empty()).collect();
    if let Some(n) = hint.name.as_deref().map(str::trim).filter(|n| !n.is_empty())
        && !who.iter().any(|b| n.to_lowercase().contains(&b.to_lowercase()))
    {
        who.push(n);
    }
    let who = who.join(" ");
    let last4 = number
        .map(|n| {
            let tail: Vec<char> = n.chars().filter(char::is_ascii_alphanumeric).collect();
            tail[tail.len().saturating_sub(4)..].iter().collect::<String>()
        })
        // A "number" without a digit is a placeholder ("bank account"), not a tail to show.
        .filter(|t| !t.is_empty() && number.is_some_and(|n| n.chars().any(|c| c.is_ascii_digit())));
    match (who.is_empty(), last4, currency) {
        (false, Some(l), _) => format!("{who} ··{l}"),
        (false, None, Some(c)) => format!("{who} {c}"),
        (false, None, None) => who,
        (true, Some(l), _) => format!("{} ··{l}", kind_label(kind)),
        (true, None, _) => {
            Path::new(file).file_stem().map_or_else(|| file.to_string(), |s| s.to_string_lossy().to_string())
        }
    }
}

fn kind_label(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Checking => "Checking",
        AccountKind::Savings => "Savings",
        AccountKind::Cash => "Cash",
        AccountKind::CreditCard => "Credit card",
        AccountKind::Loan => "Loan",
        AccountKind::Brokerage => "Brokerage",
    }
}

/// A new, uncategorised row: a possible leg of an undeclared transfer.
#[derive(Debug, Clone)]
struct Single {
    tx_id: TxId,
    account: AccountId,
    currency: Currency,
    date: Date,
    amount: Decimal,
    description: String,
    fp: Fingerprint,
    line: usize,
}

struct Feed<'a> {
    opts: &'a ImportOptions,
    file: String,
    batch: BatchId,
    format: Format,
    sha256: String,
    rows: Rows<'a>,
    trades: Trades<'a>,
    gate: TradeGate,
    /// The instrument kinds the file states that the book does not know.
    kinds: KindsLearned,
    occ: Occurrences,
    matcher: Matcher,
    report: ImportReport,
    unknown: BTreeSet<String>,
    /// A new trade does not book against the account's positions (a sale of
    /// more than is held). Its trades are already on their way into the
    /// import's transaction, so `--skip-bad-rows` cannot leave it out: the
    /// whole import is refused.
    unbookable: bool,
    /// Per account: (had index lines, had postings) before this import.
    history: HashMap<AccountId, (bool, bool)>,
    /// Resolution cache: hint key → account (None: unresolvable, reported).
    resolved: HashMap<String, Option<(AccountId, Currency)>>,
    /// Accounts opened by this import (the ledger has them only from the
    /// next chunk on).
    new_accounts: Vec<Opened>,
    /// Categories this import adds, by lower-cased name, with their section.
    new_categories: HashMap<String, Section>,
    /// Transfer legs waiting for their partner, by `transfer_group_id`.
    groups: HashMap<String, (Prep, Verdict)>,
    singles: Vec<Single>,
    stage: Stage,
    progress: Option<&'a mut dyn FnMut(u64)>,
}

impl ImportFeed for Feed<'_> {
    fn next_chunk(&mut self, ledger: &Ledger, lookup: &mut dyn ImportLookup) -> Result<Option<Vec<Command>>> {
        match self.stage {
            Stage::Rows => {
                let mut chunk = Vec::with_capacity(self.opts.chunk.min(100_000));
                while chunk.len() < self.opts.chunk.max(1) {
                    match self.rows.next() {
                        None => {
                            self.stage = Stage::Trades;
                            break;
                        }
                        Some(Err(d)) => self.diagnostic(&d),
                        Some(Ok(r)) => {
                            self.report.rows += 1;
                            chunk.push(r);
                        }
                    }
                }
                if let Some(p) = self.progress.as_mut() {
                    p(self.report.rows);
                }
                self.rows_chunk(chunk, ledger, lookup).map(Some)
            }
            Stage::Trades => {
                let mut trades = vec![];
                let mut moves = vec![];
                let mut cmds = vec![];
                let mut kinds = vec![];
                while trades.len() < self.opts.chunk.max(1) {
                    match self.trades.next() {
                        None => {
                            self.stage = Stage::Finish;
                            for (line, field, message) in self.gate.check() {
                                self.unbookable = true;
                                self.bad(line, Some(field), &message);
                            }
                            break;
                        }
                        Some(Err(d)) => self.diagnostic(&d),
                        Some(Ok(t)) => {
                            if let Err((field, message)) = crate::portfolio::check_row(&t) {
                                self.bad(t.line, Some(field), &message);
                                continue;
                            }
                            let date = match LedgerDate::new(t.date) {
                                Ok(d) => d,
                                Err(e) => {
                                    self.bad(t.line, Some("date"), &e.to_string());
                                    continue;
                                }
                            };
                            let Some((account, currency)) =
                                self.resolve(&t.account, t.currency, date, t.line, ledger, &mut cmds)
                            else {
                                continue;
                            };
                            let (cash, cash_currency) = trade_cash(&t, currency);
                            let cash_account = if cash.is_zero() {
                                None
                            } else {
                                match self.cash_account((account, currency), cash_currency, ledger) {
                                    Some(a) => Some(a),
                                    None => {
                                        self.report.warnings += 1;
                                        None
                                    }
                                }
                            };
                            let cash = match cash_account.map(|a| (a, round_to(cash, cash_currency))) {
                                None => None,
                                Some((a, c)) => match Amount::new(c) {
                                    Ok(c) => Some((a, c)),
                                    Err(e) => {
                                        self.bad(t.line, Some("amount"), &e.to_string());
                                        continue;
                                    }
                                },
                            };
                            let description = trade_description(&t);
                            let trade = ImportedTrade {
                                account_id: account,
                                trade_time: t.trade_time,
                                date: t.date,
                                symbol: t.symbol,
                                isin: t.isin,
                                side: t.side.as_str().into(),
                                quantity: t.quantity,
                                price: t.price,
                                fees: t.fees,
                                currency: t.currency.unwrap_or(currency),
                                external_id: t.external_id,
                                extra: TradeExtra {
                                    name: t.detail.name,
                                    amount: t.detail.amount,
                                    withholding_tax: Some(t.detail.withholding_tax).filter(|w| !w.is_zero()),
                                    ratio: t.detail.ratio,
                                    cost_basis: t.detail.cost_basis,
                                },
                            };
                            if self.gate.is_duplicate(&trade) {
                                self.report.duplicates += 1;
                                continue;
                            }
                            self.gate.admit(t.line, trade.clone());
                            kinds.extend(self.kinds.learn(&trade, t.detail.kind));
                            if let Some((account, amount)) = cash.filter(|(_, c)| !c.get().is_zero()) {
                                moves.push(TradeCash {
                                    account,
                                    date,
                                    amount,
                                    side: t.side,
                                    description,
                                    external_id: trade.external_id.clone(),
                                });
                            }
                            trades.push(trade);
                        }
                    }
                }
                self.report.trades += trades.len() as u64;
                if !trades.is_empty() {
                    cmds.push(Command::ImportTrades(TradesImported { batch_id: self.batch, trades }));
                }
                // After the trades that create their instruments.
                cmds.extend(kinds);
                self.book_trade_cash(moves, ledger, &mut cmds);
                Ok(Some(cmds))
            }
            Stage::Finish => {
                self.stage = Stage::Done;
                self.finish(ledger).map(Some)
            }
            Stage::Done => Ok(None),
        }
    }

    fn commit(&self) -> bool {
        !self.opts.dry_run
            && self.unknown.is_empty()
            && !self.unbookable
            && (self.report.error_count == 0 || self.opts.skip_bad_rows)
    }
}

/// The cash a new trade moves in its brokerage account: a transaction of
/// its own, so the account's balance is its cash (issue 16).
struct TradeCash {
    account: AccountId,
    date: LedgerDate,
    amount: Amount,
    side: TradeSide,
    description: String,
    external_id: Option<String>,
}

/// The category a trade's cash books to, and its section. Buying and
/// selling only turn cash into securities and back, so they are neutral
/// (a transfer-section category, like a move between own accounts); what
/// a sale gained or lost is the lot engine's realized P&L, not a flow.
/// Dividends and interest are income, fees an expense.
fn trade_category(side: TradeSide) -> (&'static str, Section) {
    match side {
        TradeSide::Dividend => ("Dividends", Section::Income),
        TradeSide::Interest => ("Interest", Section::Income),
        TradeSide::Fee => ("Investment fees", Section::Expense),
        TradeSide::Buy | TradeSide::Sell | TradeSide::Split | TradeSide::TransferIn | TradeSide::TransferOut => {
            ("Securities", Section::Transfer)
        }
    }
}

/// What a trade moves in cash, signed, and in which currency: the broker's
/// booked cash when the file has it, else `qty*price ± fee`. Cash in
/// another currency than the account's is converted at the rate the
/// broker applied (`fx_rate`) when the file gives one; otherwise it stays
/// in its own currency (a multi-currency broker account), for
/// [`Feed::cash_account`] to place.
fn trade_cash(t: &TradeRow, account_currency: Currency) -> (Decimal, Currency) {
    let effect = t.cash_effect();
    let cash_currency = t.detail.cash_currency.or(t.currency).unwrap_or(account_currency);
    match t.detail.fx_rate {
        Some(rate) if cash_currency != account_currency => (effect * rate, account_currency),
        _ => (effect, cash_currency),
    }
}

/// "Buy 10 AAPL @ 150.00" — what the register shows for a trade's cash.
fn trade_description(t: &TradeRow) -> String {
    let what = t.symbol.as_deref().or(t.isin.as_deref()).or(t.detail.name.as_deref()).unwrap_or("");
    let side = match t.side {
        TradeSide::Buy => "Buy",
        TradeSide::Sell => "Sell",
        TradeSide::Dividend => "Dividend",
        TradeSide::Interest => "Interest",
        TradeSide::Fee => "Fee",
        TradeSide::Split => "Split",
        TradeSide::TransferIn => "Transfer in",
        TradeSide::TransferOut => "Transfer out",
    };
    match t.side {
        TradeSide::Buy | TradeSide::Sell => {
            format!("{side} {} {what} @ {}", t.quantity.normalize(), t.price.normalize())
        }
        _ => format!("{side} {what}").trim_end().to_string(),
    }
}

/// `amount` rounded half-even to `currency`'s minor units.
fn round_to(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(currency.minor_units(), rust_decimal::RoundingStrategy::MidpointNearestEven)
}

impl Feed<'_> {
    /// The account a trade's cash in `currency` goes to: the trade's own
    /// account when it is in that currency, else the book's account named
    /// after it and the currency ("Depot USD"), the way a single-currency
    /// ledger keeps a multi-currency broker account. `None` when there is
    /// none: the trade is kept, its cash is not booked, and the import
    /// counts a warning.
    fn cash_account(&self, account: (AccountId, Currency), currency: Currency, ledger: &Ledger) -> Option<AccountId> {
        if account.1 == currency {
            return Some(account.0);
        }
        let name = ledger.account(account.0)?.name.as_str();
        let sibling = format!("{name} {currency}");
        ledger.accounts().find(|a| a.currency == currency && a.name.eq_ignore_ascii_case(&sibling)).map(|a| a.id)
    }

    /// Records the cash of a chunk's new trades, each with an index line so
    /// that undoing the batch takes it back with the trades.
    fn book_trade_cash(&mut self, moves: Vec<TradeCash>, ledger: &Ledger, cmds: &mut Vec<Command>) {
        if moves.is_empty() {
            return;
        }
        let mut index = Vec::with_capacity(moves.len());
        let mut txs = Vec::with_capacity(moves.len());
        for m in moves {
            let (name, section) = trade_category(m.side);
            let lower = name.to_lowercase();
            if ledger.resolve_category(name).is_err() && !self.new_categories.contains_key(&lower) {
                let Ok(category) = CategoryName::parse(name) else { continue };
                cmds.push(Command::AddCategory { category_id: CategoryId(new_id()), name: category, section });
                self.new_categories.insert(lower, section);
                self.report.categories_created.push(name.to_string());
            }
            let tx_id = TxId(new_id());
            let date: Date = m.date.into();
            index.push(ImportedRow {
                tx_id,
                account_id: m.account,
                date,
                fingerprint: self.occ.fingerprint(m.account, date, m.amount.get(), &m.description),
                external_id: None,
                pending: false,
            });
            txs.push(Command::RecordTransaction(NewTransaction {
                tx_id,
                account: AccountRef::Id(m.account),
                date: m.date,
                amount: m.amount,
                description: m.description,
                category: Some(name.to_string()),
                category_source: Some(CategorySource::Import),
                counterparty: None,
                tags: vec![],
                notes: None,
                external_id: m.external_id,
                status: Status::Booked,
            }));
        }
        cmds.extend(txs);
        cmds.push(Command::RecordImportRows(ImportRows { batch_id: self.batch, rows: index }));
    }

    fn diagnostic(&mut self, d: &Diagnostic) {
        if d.severity == Severity::Warning {
            self.report.warnings += 1;
        } else {
            self.bad(d.line, d.field.as_deref(), &d.message);
        }
    }

    fn bad(&mut self, line: usize, field: Option<&str>, message: &str) {
        self.report.error_count += 1;
        if self.report.errors.len() < 100 {
            self.report.bad_rows.push(Diagnostic::error(line, field, message));
            let field = field.map(|f| format!("{f}: ")).unwrap_or_default();
            self.report.errors.push(format!("{}:{line}: {field}{message}", self.file));
        }
    }

    /// The account a row (or trade) belongs to, opening it when asked to.
    fn resolve(
        &mut self,
        hint: &AccountHint,
        row_currency: Option<Currency>,
        date: LedgerDate,
        line: usize,
        ledger: &Ledger,
        cmds: &mut Vec<Command>,
    ) -> Option<(AccountId, Currency)> {
        let currency = row_currency.or(hint.currency).or(self.opts.currency);
        let key = match &self.opts.account {
            Some(a) => format!("forced\0{a}"),
            // Every fact that tells two accounts apart.
            None => format!(
                "{:?}",
                (
                    &hint.account_ref,
                    hint.number.as_deref().map(norm),
                    &hint.institution,
                    &hint.bank,
                    &hint.name,
                    hint.kind,
                    currency
                )
            ),
        };
        if let Some(hit) = self.resolved.get(&key) {
            return *hit;
        }
        let found = if let Some(a) = &self.opts.account {
            let f = self.by_name(a, None, ledger);
            if f.is_none() {
                self.unknown.insert(a.clone());
            }
            f
        } else if let Some(r) = &hint.account_ref {
            match self.by_name(r, None, ledger) {
                Some(f) => Some(f),
                None if self.opts.create_accounts => {
                    self.open(r.trim().to_string(), hint, None, currency, date, line, ledger, cmds)
                }
                None => {
                    self.unknown.insert(r.clone());
                    None
                }
            }
        } else if let Some(n) = &hint.number {
            let want = norm(n);
            match self.by_number(&want, hint, currency, ledger) {
                Some(f) => Some(f),
                None if self.opts.create_accounts => {
                    let name = new_name(hint, Some(&want), self.kind_of(hint), currency, &self.file);
                    self.open(name, hint, Some(&want), currency, date, line, ledger, cmds)
                }
                None => {
                    self.unknown.insert(n.clone());
                    None
                }
            }
        } else if self.opts.create_accounts {
            // No number: the name is the account's identity, so next
            // month's file from the same bank lands on the same account.
            let name = new_name(hint, None, self.kind_of(hint), currency, &self.file);
            match self.by_name(&name, currency, ledger) {
                Some(f) => Some(f),
                None => self.open(name, hint, None, currency, date, line, ledger, cmds),
            }
        } else {
            self.bad(
                line,
                Some("account"),
                "the file does not say which account this row is on; pass --account NAME or --create-accounts",
            );
            return None;
        };
        self.resolved.insert(key, found);
        found
    }

    /// An account of the book (or of this import) by name, in `currency`
    /// when one is given.
    fn by_name(&self, name: &str, currency: Option<Currency>, ledger: &Ledger) -> Option<(AccountId, Currency)> {
        let name = name.trim();
        let fits = |c: Currency| currency.is_none_or(|want| want == c);
        ledger
            .accounts()
            .filter(|a| a.name.eq_ignore_ascii_case(name) && fits(a.currency))
            .map(|a| (a.id, a.currency))
            .chain(
                self.new_accounts
                    .iter()
                    .filter(|o| o.name.eq_ignore_ascii_case(name) && fits(o.currency))
                    .map(|o| (o.id, o.currency)),
            )
            .next()
    }

    /// The account with this IBAN, or this number at the same bank: an IBAN
    /// is unique worldwide, a bare number only within its bank (issue 15: an
    /// OFX file's 12345678 in AUD is not LiveBank's 12345678 in EUR). The
    /// bank agrees when either side does not say, when both say the same,
    /// or — since one side may write a name ("Commerzbank") where the other
    /// writes a code (BLZ 20040000) — when the currency agrees. Of several,
    /// the one in the row's currency; one in another currency is still the
    /// account when no other fits (a trade may be priced in a currency
    /// other than its account's; a statement row's own is checked later).
    /// Without `--create-accounts` any account of the number is taken, as
    /// nothing else could be: its currency then names the bad row.
    fn by_number(
        &self,
        want: &str,
        hint: &AccountHint,
        currency: Option<Currency>,
        ledger: &Ledger,
    ) -> Option<(AccountId, Currency)> {
        let iban = Iban::parse(want).is_ok();
        // (account, its currency, whether its bank agrees).
        let hits: Vec<(AccountId, Currency, bool)> = ledger
            .accounts()
            .filter(|a| {
                a.iban.as_ref().is_some_and(|i| norm(i.as_str()) == want)
                    || a.number.as_deref().is_some_and(|x| norm(x) == want)
            })
            .map(|a| (a.id, a.currency, a.institution.as_deref()))
            .chain(
                self.new_accounts
                    .iter()
                    .filter(|o| o.number.as_deref() == Some(want))
                    .map(|o| (o.id, o.currency, o.institution.as_deref())),
            )
            .map(|(id, c, institution)| (id, c, iban || same_bank(institution, hint) || Some(c) == currency))
            .collect();
        let fitting = hits.iter().filter(|h| h.2);
        let pick = fitting.clone().find(|h| Some(h.1) == currency).or_else(|| fitting.clone().next());
        let pick = if self.opts.create_accounts { pick } else { pick.or(hits.first()) };
        pick.map(|h| (h.0, h.1))
    }

    /// The kind a new account gets: the file's word, else brokerage for a
    /// broker's or trades file, else checking.
    fn kind_of(&self, hint: &AccountHint) -> AccountKind {
        hint.kind.unwrap_or(if matches!(self.format, Format::Trades | Format::Broker) {
            AccountKind::Brokerage
        } else {
            AccountKind::Checking
        })
    }

    /// `name`, or when the book (or this import) has an account of that
    /// name, the first free of "name CUR" (when that one is in another
    /// currency), "name 2", "name 3"…
    fn unique(&self, name: String, currency: Currency, ledger: &Ledger) -> String {
        let holder = |n: &str| {
            ledger
                .accounts()
                .find(|a| a.name.eq_ignore_ascii_case(n))
                .map(|a| a.currency)
                .or_else(|| self.new_accounts.iter().find(|o| o.name.eq_ignore_ascii_case(n)).map(|o| o.currency))
        };
        match holder(&name) {
            None => return name,
            Some(c) if c != currency => {
                let with_currency = format!("{name} {currency}");
                if holder(&with_currency).is_none() {
                    return with_currency;
                }
            }
            Some(_) => {}
        }
        let mut i = 2;
        loop {
            let candidate = format!("{name} {i}");
            if holder(&candidate).is_none() {
                return candidate;
            }
            i += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        name: String,
        hint: &AccountHint,
        number: Option<&str>,
        currency: Option<Currency>,
        date: LedgerDate,
        line: usize,
        ledger: &Ledger,
        cmds: &mut Vec<Command>,
    ) -> Option<(AccountId, Currency)> {
        let Some(currency) = currency else {
            self.bad(
                line,
                Some("currency"),
                &format!("cannot open account '{name}': the file does not say its currency; pass --currency CUR or --account NAME"),
            );
            return None;
        };
        let name = self.unique(name, currency, ledger);
        let id = AccountId(new_id());
        let iban = number.and_then(|n| Iban::parse(n).ok());
        let institution = hint.bank.clone().or_else(|| hint.institution.clone());
        cmds.push(Command::OpenAccount(NewAccount {
            account_id: id,
            name: name.clone(),
            kind: self.kind_of(hint),
            currency,
            number: if iban.is_none() { number.map(str::to_string) } else { None },
            iban,
            institution: institution.clone(),
            location: None,
            opened_on: date,
        }));
        self.report.accounts_created.push(name.clone());
        self.new_accounts.push(Opened { name, number: number.map(str::to_string), institution, id, currency });
        Some((id, currency))
    }

    fn rows_chunk(
        &mut self,
        rows: Vec<StatementRow>,
        ledger: &Ledger,
        lookup: &mut dyn ImportLookup,
    ) -> Result<Vec<Command>> {
        let mut cmds = vec![];
        let mut prepared = Vec::with_capacity(rows.len());
        for r in rows {
            // The row's own values first: a date or an amount outside
            // kassa's range is a bad row like any unreadable one.
            let (date, amount) = match (LedgerDate::new(r.date), Amount::new(r.amount)) {
                (Ok(d), Ok(a)) => (d, a),
                (Err(e), _) => {
                    self.bad(r.line, Some("date"), &e.to_string());
                    continue;
                }
                (_, Err(e)) => {
                    self.bad(r.line, Some("amount"), &e.to_string());
                    continue;
                }
            };
            let Some((account, currency)) = self.resolve(&r.account, r.currency, date, r.line, ledger, &mut cmds)
            else {
                continue;
            };
            if let Some(c) = r.currency
                && c != currency
            {
                self.bad(r.line, Some("currency"), &format!("{c}, but the account is in {currency}"));
                continue;
            }
            if let Err(e) = Money::new(r.amount, currency) {
                self.bad(r.line, Some("amount"), &e.to_string());
                continue;
            }
            if r.amount.is_zero() {
                // A zero amount moves no money: not a transaction (card holds).
                self.report.warnings += 1;
                continue;
            }
            let fp = self.occ.fingerprint(account, r.date, r.amount, &r.description);
            prepared.push(Prep { row: r, date, amount, account, currency, fp });
        }

        // What the store knows about these rows, per account.
        self.matcher.clear_loaded();
        let mut per_account: BTreeMap<AccountId, AccountRows<'_>> = BTreeMap::new();
        for p in &prepared {
            let e = per_account.entry(p.account).or_insert((vec![], vec![], p.row.date, p.row.date));
            e.0.push(p.fp);
            if let Some(x) = &p.row.external_id {
                e.1.push(x);
            }
            e.2 = e.2.min(p.row.date);
            e.3 = e.3.max(p.row.date);
        }
        for (account, (fps, ids, from, to)) in per_account {
            let (imports, txs) = match self.history.get(&account) {
                Some(h) => *h,
                None => {
                    let h = lookup.history(account)?;
                    self.history.insert(account, h);
                    h
                }
            };
            if imports {
                for k in lookup.known(account, self.batch, &fps, &ids)? {
                    self.matcher.add_known(k);
                }
            }
            if imports || txs {
                let days = jiff::Span::new().days(self.opts.fuzzy_days.max(0));
                let from = from.checked_sub(days).unwrap_or(from);
                let to = to.checked_add(days).unwrap_or(to);
                for c in lookup.candidates(account, self.batch, from, to)? {
                    self.matcher.add_candidate(c);
                }
            }
        }

        let mut index = vec![];
        let mut held = vec![];
        for p in prepared {
            let pending = p.row.status == RowStatus::Pending;
            let verdict =
                self.matcher.classify(p.account, p.row.date, p.row.amount, p.row.external_id.as_deref(), pending, p.fp);
            if let Some(g) = p.row.transfer_group.clone() {
                match self.groups.remove(&g) {
                    None => {
                        self.groups.insert(g, (p, verdict));
                    }
                    Some((first, v1)) => self.pair(g, first, v1, p, verdict, &mut cmds, &mut index),
                }
                continue;
            }
            match verdict {
                Verdict::New => self.record(p, ledger, &mut cmds, &mut index),
                Verdict::Duplicate { .. } => self.report.duplicates += 1,
                Verdict::Deleted { .. } => self.report.deleted += 1,
                Verdict::Review { kind, of } => {
                    self.report.needs_review += 1;
                    held.push(self.item(&p, kind, vec![of]));
                }
            }
        }
        if !index.is_empty() {
            cmds.push(Command::RecordImportRows(ImportRows { batch_id: self.batch, rows: index }));
        }
        if !held.is_empty() {
            cmds.push(Command::HoldForReview(ImportReviews { batch_id: self.batch, items: held }));
        }
        Ok(cmds)
    }

    fn item(&self, p: &Prep, kind: ReviewKind, matched: Vec<TxId>) -> ReviewItem {
        ReviewItem {
            review_id: ReviewId(new_id()),
            kind,
            account_id: p.account,
            date: p.row.date,
            amount: p.row.amount,
            description: p.row.description.clone(),
            counterparty: p.row.counterparty.clone(),
            external_id: p.row.external_id.clone(),
            category: p.row.category.clone(),
            pending: p.row.status == RowStatus::Pending,
            fingerprint: p.fp,
            matched,
            to_account: None,
            to_amount: None,
            source: format!("{}:{}", self.file, p.row.line),
        }
    }

    /// The category a row names, added to the book on first sight.
    fn category(&mut self, p: &Prep, ledger: &Ledger, cmds: &mut Vec<Command>) -> Option<Option<String>> {
        let Some(c) = p.row.category.as_deref().filter(|c| !c.trim().is_empty()) else { return Some(None) };
        if p.row.section.as_deref() == Some("transfer") {
            return Some(None);
        }
        let name = match CategoryName::parse(c) {
            Ok(n) => n,
            Err(e) => {
                self.bad(p.row.line, Some("category"), &e.to_string());
                return None;
            }
        };
        let lower = name.as_str().to_lowercase();
        let wanted = p.row.section.as_deref().and_then(|s| s.parse::<Section>().ok());
        let have = match ledger.resolve_category(name.as_str()) {
            Ok(id) => ledger.category(id).map(|c| c.section),
            Err(_) => self.new_categories.get(&lower).copied(),
        };
        match (have, wanted) {
            // A category is one section's: booking an income row into the
            // expense "Gifts" would move it silently, so it is a bad row.
            (Some(have), Some(wanted)) if have != wanted => {
                self.bad(
                    p.row.line,
                    Some("section"),
                    &format!(
                        "category '{name}' is an {have} category but the row says {wanted}; \
                         use a category of the {wanted} section (e.g. '{name} ({wanted})')"
                    ),
                );
                return None;
            }
            (Some(_), _) => {}
            (None, _) => {
                let section = match wanted {
                    Some(s) => s,
                    None if p.row.amount > Decimal::ZERO => Section::Income,
                    None => Section::Expense,
                };
                cmds.push(Command::AddCategory { category_id: CategoryId(new_id()), name: name.clone(), section });
                self.new_categories.insert(lower, section);
                self.report.categories_created.push(name.to_string());
            }
        }
        Some(Some(name.to_string()))
    }

    fn record(&mut self, p: Prep, ledger: &Ledger, cmds: &mut Vec<Command>, index: &mut Vec<ImportedRow>) {
        let Some(category) = self.category(&p, ledger, cmds) else { return };
        let tx_id = TxId(new_id());
        let pending = p.row.status == RowStatus::Pending;
        if category.is_none() && p.row.section.is_none() && p.row.transfer_group.is_none() {
            self.singles.push(Single {
                tx_id,
                account: p.account,
                currency: p.currency,
                date: p.row.date,
                amount: p.row.amount,
                description: p.row.description.clone(),
                fp: p.fp,
                line: p.row.line,
            });
        }
        index.push(ImportedRow {
            tx_id,
            account_id: p.account,
            date: p.row.date,
            fingerprint: p.fp,
            external_id: p.row.external_id.clone(),
            pending,
        });
        // The merchant, cleaned of card prefixes, store numbers and cities,
        // when the bank gives no payee of its own; the raw text stays the description.
        let counterparty = p.row.counterparty.or_else(|| normalize_merchant(&p.row.description));
        cmds.push(Command::RecordTransaction(NewTransaction {
            tx_id,
            account: AccountRef::Id(p.account),
            date: p.date,
            amount: p.amount,
            description: p.row.description,
            category_source: category.as_ref().map(|_| CategorySource::Import),
            category,
            counterparty,
            tags: vec![],
            notes: None,
            external_id: p.row.external_id,
            status: if pending { Status::Pending } else { Status::Booked },
        }));
        self.report.new += 1;
    }

    /// Two legs of one `transfer_group_id`: one transfer when both are new.
    #[allow(clippy::too_many_arguments)]
    fn pair(
        &mut self,
        group: String,
        a: Prep,
        va: Verdict,
        b: Prep,
        vb: Verdict,
        cmds: &mut Vec<Command>,
        index: &mut Vec<ImportedRow>,
    ) {
        if va != Verdict::New || vb != Verdict::New {
            // Already imported (or deleted): the pair counts as one known transfer.
            match (&va, &vb) {
                (Verdict::Deleted { .. }, _) | (_, Verdict::Deleted { .. }) => self.report.deleted += 2,
                _ => self.report.duplicates += 2,
            }
            return;
        }
        let (out, inn) = if a.row.amount < Decimal::ZERO { (a, b) } else { (b, a) };
        let problem = if out.row.amount >= Decimal::ZERO || inn.row.amount <= Decimal::ZERO {
            Some("legs must have opposite signs".to_string())
        } else if out.account == inn.account {
            Some("both legs are on the same account".to_string())
        } else if out.currency == inn.currency && -out.row.amount != inn.row.amount {
            Some(format!("legs {} and {} do not balance", out.row.amount, inn.row.amount))
        } else {
            None
        };
        if let Some(msg) = problem {
            self.bad(inn.row.line, Some("transfer_group_id"), &format!("{group}: {msg}"));
            return;
        }
        let tx_id = TxId(new_id());
        for leg in [&out, &inn] {
            index.push(ImportedRow {
                tx_id,
                account_id: leg.account,
                date: leg.row.date,
                fingerprint: leg.fp,
                external_id: leg.row.external_id.clone(),
                pending: false,
            });
        }
        let description =
            if out.row.description.is_empty() { inn.row.description.clone() } else { out.row.description.clone() };
        cmds.push(Command::Transfer(NewTransfer {
            tx_id,
            from: AccountRef::Id(out.account),
            to: AccountRef::Id(inn.account),
            date: out.date,
            amount: out.amount.negated(),
            to_amount: (out.currency != inn.currency).then_some(inn.amount),
            description,
            external_id: out.row.external_id.clone(),
        }));
        self.report.new += 2;
        self.report.transfers += 1;
    }

    /// End of the file: lone transfer legs, proposed transfers, the batch record.
    fn finish(&mut self, ledger: &Ledger) -> Result<Vec<Command>> {
        let mut cmds = vec![];
        let mut index = vec![];
        let mut lone: Vec<(Prep, Verdict)> = self.groups.drain().map(|(_, v)| v).collect();
        lone.sort_by_key(|(p, _)| p.row.line);
        for (p, v) in lone {
            self.report.warnings += 1;
            match v {
                Verdict::New => self.record(p, ledger, &mut cmds, &mut index),
                Verdict::Duplicate { .. } => self.report.duplicates += 1,
                Verdict::Deleted { .. } => self.report.deleted += 1,
                Verdict::Review { .. } => self.report.duplicates += 1,
            }
        }
        if !index.is_empty() {
            cmds.push(Command::RecordImportRows(ImportRows { batch_id: self.batch, rows: index }));
        }
        let proposals = self.propose_transfers();
        if !proposals.is_empty() {
            self.report.proposed_transfers = proposals.len() as u64;
            self.report.needs_review += proposals.len() as u64;
            cmds.push(Command::HoldForReview(ImportReviews { batch_id: self.batch, items: proposals }));
        }
        let r = &self.report;
        cmds.push(Command::FinishImport(ImportBatch {
            batch_id: self.batch,
            file_name: self.file.clone(),
            sha256: self.sha256.clone(),
            format: self.format.as_str().to_string(),
            counts: ImportCounts {
                rows: r.rows,
                new: r.new,
                duplicates: r.duplicates,
                needs_review: r.needs_review,
                deleted: r.deleted,
                errors: r.error_count,
                transfers: r.transfers,
                trades: r.trades,
            },
        }));
        Ok(cmds)
    }

    /// Opposite amounts in one currency on two accounts within a few days,
    /// each row used once, nearest dates first. Both stay as they are until
    /// a person accepts the transfer in review.
    fn propose_transfers(&mut self) -> Vec<ReviewItem> {
        let mut by_amount: HashMap<(Currency, Decimal), Vec<usize>> = HashMap::new();
        for (i, s) in self.singles.iter().enumerate() {
            by_amount.entry((s.currency, s.amount.abs().normalize())).or_default().push(i);
        }
        let mut used = vec![false; self.singles.len()];
        let mut out = vec![];
        let mut keys: Vec<_> = by_amount.keys().copied().collect();
        keys.sort();
        for key in keys {
            let idx = &by_amount[&key];
            let mut pairs = vec![];
            for &o in idx.iter().filter(|&&i| self.singles[i].amount < Decimal::ZERO) {
                for &n in idx.iter().filter(|&&i| self.singles[i].amount > Decimal::ZERO) {
                    let (so, sn) = (&self.singles[o], &self.singles[n]);
                    let gap = i64::from((so.date - sn.date).get_days().abs());
                    if so.account != sn.account && gap <= self.opts.transfer_days {
                        pairs.push((gap, so.line, sn.line, o, n));
                    }
                }
            }
            pairs.sort();
            for (_, _, _, o, n) in pairs {
                if used[o] || used[n] {
                    continue;
                }
                used[o] = true;
                used[n] = true;
                let (so, sn) = (&self.singles[o], &self.singles[n]);
                out.push(ReviewItem {
                    review_id: ReviewId(new_id()),
                    kind: ReviewKind::Transfer,
                    account_id: so.account,
                    date: so.date,
                    amount: -so.amount,
                    description: so.description.clone(),
                    counterparty: None,
                    external_id: None,
                    category: None,
                    pending: false,
                    fingerprint: so.fp,
                    matched: vec![so.tx_id, sn.tx_id],
                    to_account: Some(sn.account),
                    to_amount: Some(sn.amount),
                    source: format!("{}:{}+{}", self.file, so.line, sn.line),
                });
            }
        }
        self.singles.clear();
        out
    }
}

/// How a person settles a review item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Record the row (a pending one it matched is replaced; a proposed
    /// transfer replaces its two transactions with one transfer).
    Accept,
    /// The row is the matched transaction (for a transfer: it is not one).
    Duplicate,
}

/// Settles one review item in one `execute`. Returns the new transaction, if any.
pub fn resolve_review(
    store: &dyn Store,
    book: BookId,
    actor: &str,
    review: ReviewId,
    how: Resolution,
) -> Result<Option<TxId>> {
    let row =
        store.import_review(book, review)?.ok_or_else(|| StoreError::NotFound(format!("review item {review}")))?;
    let item = row.item;
    let mut cmds = vec![];
    let resolution = match (how, item.kind) {
        (Resolution::Duplicate, ReviewKind::Transfer) => ReviewOutcome::Dismissed,
        (Resolution::Duplicate, _) => ReviewOutcome::Duplicate {
            of: *item.matched.first().ok_or_else(|| StoreError::Corrupt("no match".into()))?,
        },
        (Resolution::Accept, kind) => {
            let tx_id = TxId(new_id());
            // Held by an import that checked them; an item held before kassa
            // had a range is refused as the ledger would refuse it.
            let date = LedgerDate::new(item.date).map_err(LedgerError::from)?;
            let amount = Amount::new(item.amount).map_err(LedgerError::from)?;
            if kind != ReviewKind::PossibleDuplicate {
                // A posted pending row, or the two halves of a transfer, give way.
                let mut live = vec![];
                for account in std::iter::once(item.account_id).chain(item.to_account) {
                    let filter = kassa_store::TxFilter { account: Some(account), ..kassa_store::TxFilter::default() };
                    live.extend(store.transactions(book, &filter)?.into_iter().map(|t| t.id));
                }
                for m in &item.matched {
                    if live.contains(&m.to_string()) {
                        cmds.push(Command::DeleteTransaction { tx_id: *m });
                    }
                }
            }
            if kind == ReviewKind::Transfer {
                let to = item.to_account.ok_or_else(|| StoreError::Corrupt("transfer without target".into()))?;
                let ledger = store.ledger(book)?;
                let same =
                    ledger.account(to).map(|a| a.currency) == ledger.account(item.account_id).map(|a| a.currency);
                cmds.push(Command::Transfer(NewTransfer {
                    tx_id,
                    from: AccountRef::Id(item.account_id),
                    to: AccountRef::Id(to),
                    date,
                    amount,
                    to_amount: if same {
                        None
                    } else {
                        item.to_amount.map(Amount::new).transpose().map_err(LedgerError::from)?
                    },
                    description: item.description.clone(),
                    external_id: None,
                }));
            } else {
                cmds.push(Command::RecordTransaction(NewTransaction {
                    tx_id,
                    account: AccountRef::Id(item.account_id),
                    date,
                    amount,
                    description: item.description.clone(),
                    category: item.category.clone(),
                    category_source: item.category.as_ref().map(|_| CategorySource::Import),
                    counterparty: item.counterparty.clone(),
                    tags: vec![],
                    notes: None,
                    external_id: item.external_id.clone(),
                    status: if item.pending { Status::Pending } else { Status::Booked },
                }));
            }
            ReviewOutcome::Recorded { tx_id }
        }
    };
    let new = match resolution {
        ReviewOutcome::Recorded { tx_id } => Some(tx_id),
        _ => None,
    };
    cmds.push(Command::ResolveReview(ReviewResolved { review_id: review, batch_id: row.batch_id, item, resolution }));
    store.execute(book, actor, &cmds)?;
    Ok(new)
}

/// Deletes exactly the transactions `batch` recorded (as events) and drops
/// its index lines, review items and trades. Returns how many were deleted.
pub fn undo(store: &dyn Store, book: BookId, actor: &str, batch: BatchId) -> Result<usize> {
    let batches = store.import_batches(book)?;
    let Some(b) = batches.iter().find(|b| b.batch == batch.to_string()) else {
        return Err(StoreError::NotFound(format!("import batch {batch}")));
    };
    if b.undone {
        return Err(StoreError::NotFound(format!("import batch {batch} (already undone)")));
    }
    let txs = store.import_batch_transactions(book, batch)?;
    let mut cmds: Vec<Command> = txs.iter().map(|t| Command::DeleteTransaction { tx_id: *t }).collect();
    cmds.push(Command::UndoImport(BatchUndone { batch_id: batch }));
    store.execute(book, actor, &cmds)?;
    Ok(txs.len())
}
