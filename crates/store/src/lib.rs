//! kassa-store: the event store and the read models (projections) kept from
//! it, on embedded SQLite or on PostgreSQL, chosen by the URL scheme.
//!
//! Writes go through [`Store::execute`]: in one database transaction it
//! loads the book's state, lets the core decide, appends the events with an
//! optimistic-concurrency check and updates the projections. Reads come from
//! the projections; [`Store::rebuild`] replays the log into empty ones.

pub mod access;
pub mod backup;
mod budgets;
mod delegate;
mod error;
pub mod import;
pub mod jobs;
pub mod loans;
mod plans;
mod portfolio;
pub mod postgres;
mod projection;
mod projector;
pub mod recurring;
mod register;
mod reports;
mod schema;
mod sql;
pub mod sqlite;
pub mod state;
pub mod testing;
mod txn;
mod types;
mod unit;

use jiff::civil::Date;
use kassa_core::access::Principal;
use kassa_core::report::fx::FxRate;
use kassa_core::report::{ReportFacts, Wanted};
use kassa_core::{BatchId, Book, BookId, Command, Ledger, OrgId, RecordedEvent, ReviewId, TxId, UserId};

pub use error::{Result, StoreError, redact_url};
pub use portfolio::InstrumentRow;
pub use types::{Backend, BalanceRow, NewEvent, RebuildStats, StoredModel, Suggestion, TxFilter, TxRow};

/// Everything kassa asks of a database. Object-safe, so the binary holds a
/// `Box<dyn Store>` whichever backend the URL picked.
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    /// How many connections the store's pool holds: more threads than this
    /// calling it at once only queue for a connection.
    fn connections(&self) -> usize;

    /// Creates or upgrades the schema; returns the migrations it applied.
    fn migrate(&self) -> Result<Vec<String>>;

    /// The migrations `migrate` would apply, without applying them: all of
    /// them on a database kassa never initialised.
    fn pending_migrations(&self) -> Result<Vec<String>>;

    /// Decides `cmds` against the book's current state and, if all are
    /// accepted, appends their events and updates the projections — all in
    /// one database transaction, retried when another writer got in first.
    fn execute(&self, book: BookId, actor: &str, cmds: &[Command]) -> Result<Vec<RecordedEvent>>;

    /// Appends raw events to a stream whose current version must be
    /// `expected` (0 for a new stream). Projections are not touched: this is
    /// the log primitive, for streams that have no read model.
    fn append(&self, stream: &str, expected: i64, events: &[NewEvent]) -> Result<Vec<RecordedEvent>>;

    /// One stream, in version order.
    fn read_stream(&self, stream: &str) -> Result<Vec<RecordedEvent>>;

    /// The whole log after `after_position`, at most `limit` events.
    fn read_log(&self, after_position: i64, limit: usize) -> Result<Vec<RecordedEvent>>;

    /// The last `limit` events of the log, oldest first.
    fn tail(&self, limit: usize) -> Result<Vec<RecordedEvent>>;

    fn books(&self) -> Result<Vec<Book>>;

    /// The book's state for deciding commands: book, accounts, categories.
    fn ledger(&self, book: BookId) -> Result<Ledger>;

    fn transactions(&self, book: BookId, filter: &TxFilter) -> Result<Vec<TxRow>>;

    /// Balance of every account of the book, as of the end of `as_of`.
    fn balances(&self, book: BookId, as_of: Option<Date>) -> Result<Vec<BalanceRow>>;

    /// Empties the projections and replays the whole log into them.
    fn rebuild(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats>;

    /// Every projection row as canonical text, sorted: two stores with the
    /// same log give the same dump, which is how rebuild is tested.
    fn projection_dump(&self) -> Result<String>;

    // --- backup (issue 19) ---

    /// Writes the whole event log as a backup archive ([`backup`]) from one
    /// read transaction, so it is consistent while others write.
    fn backup_log(&self, out: &mut dyn std::io::Write) -> Result<backup::Manifest>;

    /// Restores an archive into this store, which must hold no events: checks
    /// the checksum first, then in one transaction inserts the log as it was,
    /// rebuilds every projection by replay and compares it with the fold of
    /// the original writes. On any error nothing is written.
    fn restore_log(
        &self,
        archive: &mut dyn backup::Archive,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<backup::Restored>;

    // --- categorisation ---

    /// Replaces the book's trained categoriser (a cache beside the log).
    fn save_model(&self, book: BookId, model: &StoredModel) -> Result<()>;

    fn load_model(&self, book: BookId) -> Result<Option<StoredModel>>;
    // --- import ---
    /// Runs one import as ONE database transaction, pulling commands from
    /// `feed` chunk by chunk (lookups see the import's own writes); commits
    /// only when `feed.commit()` is true at the end, else rolls back.
    /// Returns the number of events appended.
    fn import(&self, book: BookId, actor: &str, feed: &mut dyn import::ImportFeed) -> Result<u64>;

    /// The book's import batches, oldest first.
    fn import_batches(&self, book: BookId) -> Result<Vec<import::BatchRow>>;

    /// Live transactions a batch recorded (what `import undo` deletes).
    fn import_batch_transactions(&self, book: BookId, batch: BatchId) -> Result<Vec<TxId>>;

    /// Rows held for review, oldest first.
    fn import_reviews(&self, book: BookId) -> Result<Vec<import::ReviewRow>>;

    fn import_review(&self, book: BookId, id: ReviewId) -> Result<Option<import::ReviewRow>>;

    /// Users' saved CSV profiles.
    fn import_profiles(&self, book: BookId) -> Result<Vec<import::ProfileRow>>;

    /// The book's trades in the order they were recorded (batch, then row).
    fn trades(&self, book: BookId) -> Result<Vec<kassa_core::import::ImportedTrade>>;

    /// Imported instrument prices, by symbol and date.
    fn prices(&self, book: BookId) -> Result<Vec<kassa_core::portfolio::events::PricePoint>>;

    /// Each symbol's latest imported price dated on or before `date`, by symbol.
    fn prices_as_of(&self, book: BookId, date: Date) -> Result<Vec<kassa_core::portfolio::events::PricePoint>>;

    /// The accounts whose cost method was set (the others are FIFO).
    fn cost_methods(&self, book: BookId) -> Result<Vec<(kassa_core::AccountId, kassa_core::portfolio::CostMethod)>>;

    /// The instruments the book's trades have named, by key.
    fn instruments(&self, book: BookId) -> Result<Vec<InstrumentRow>>;

    // --- reports ---
    /// What reports read, from the projections: the chart, the monthly
    /// aggregates and the daily balance changes, as of the end of `as_of`
    /// (a business date; the as-of month is summed from its postings).
    /// Only the aggregates `want` names are read; the others stay empty.
    fn report_facts(&self, book: BookId, as_of: Option<Date>, want: Wanted) -> Result<ReportFacts>;

    /// The book's exchange rates, one per (pair, date).
    fn fx_rates(&self, book: BookId) -> Result<Vec<FxRate>>;

    /// The book's budget projection (`kassa_core::budget`), amounts in the
    /// currency each was set in.
    fn budget_plan(&self, book: BookId) -> Result<Vec<kassa_core::budget::PlanRow>>;
    // --- recurring payments (issue 17) ---
    /// The register rows up to `as_of` that recurring detection reads:
    /// every posting on an account, transfers between own accounts left out.
    fn recurring_history(&self, book: BookId, as_of: Date) -> Result<Vec<recurring::RecurringRow>>;
    /// What the user said about the book's series (confirm, dismiss, rename).
    fn recurring_marks(&self, book: BookId) -> Result<Vec<recurring::RecurringMark>>;
    /// The book's loan events in log order, each with its transaction's
    /// moves on our accounts (the `loans` projection joined to `postings`).
    fn loan_rows(&self, book: BookId) -> Result<Vec<loans::LoanRow>>;
    /// The book's bucket and goal events in log order (the `plan_events`
    /// projection), what `Buckets` and `goals` fold.
    fn plan_events(&self, book: BookId) -> Result<Vec<kassa_core::Event>>;

    // --- access (issue 7): users, tokens, organisations, book roles, API reads ---

    /// The write path for aggregates that are not a book (`user-…`, `token-…`,
    /// `org-…`, `book-acl-…`): in one database transaction, reads the stream,
    /// lets `decide` turn its history into new events, appends them with the
    /// expected version and projects them; retried on a conflict.
    fn execute_stream(&self, stream: &str, actor: &str, decide: access::Decide<'_>) -> Result<Vec<RecordedEvent>>;
    /// Creates a user: runs `writes` (the new user's stream, and the token
    /// stream of an invitation it uses up) in one transaction that first
    /// takes the lock every user creation takes and checks `expect` under
    /// it, so "the first user is the admin" and "an invitation is used
    /// once" hold across processes. When `expect` no longer holds nothing is
    /// written and the answer is `StoreError::Stale`.
    fn create_user(
        &self,
        actor: &str,
        expect: &access::UserExpect,
        writes: &[access::StreamWrite<'_>],
    ) -> Result<Vec<RecordedEvent>>;
    fn user(&self, id: UserId) -> Result<Option<access::UserRow>>;
    fn user_by_email(&self, email: &str) -> Result<Option<access::UserRow>>;
    fn users(&self) -> Result<Vec<access::UserRow>>;
    fn token_by_hash(&self, token_hash: &str) -> Result<Option<access::TokenRow>>;
    /// Every token issued to the user, revoked and expired ones included.
    fn user_tokens(&self, user: UserId) -> Result<Vec<access::TokenRow>>;
    fn orgs(&self) -> Result<Vec<access::OrgRow>>;
    /// Members of one organisation, or the memberships of one user.
    fn org_members(&self, org: Option<OrgId>, user: Option<UserId>) -> Result<Vec<access::OrgMemberRow>>;
    /// An open book by id (closed books are gone from the projection).
    fn book(&self, id: BookId) -> Result<Option<Book>>;
    /// Grants on one book, or every grant to the given principals.
    fn book_grants(&self, book: Option<BookId>, principals: &[Principal]) -> Result<Vec<access::GrantRow>>;
    /// One page of a book's register, newest first.
    fn tx_page(&self, book: BookId, q: &access::TxPageQuery) -> Result<Vec<access::TxItem>>;
    /// Events of one stream with version > `after`, at most `limit`.
    fn read_stream_page(&self, stream: &str, after: i64, limit: usize) -> Result<Vec<RecordedEvent>>;
    /// One page of the event log, newest first (the audit trail).
    fn event_log(&self, q: &access::EventLogQuery) -> Result<Vec<RecordedEvent>>;
    /// Each stream with its current version, by name; `None` is every stream.
    fn stream_versions(&self, names: Option<&[String]>) -> Result<Vec<(String, i64)>>;
    fn admin_overview(&self) -> Result<access::Overview>;
    /// The reply a write under an `Idempotency-Key` committed with (not a
    /// projection: never rebuilt; kept for [`state::IDEMPOTENCY_TTL`]).
    fn idempotent_get(&self, scope: &str, key: &str) -> Result<Option<access::StoredResponse>>;

    // --- state shared by server processes (issue 13; `state`) ---

    /// Runs `write` in a database transaction that first claims the key, and
    /// leaves it open: the rest of the request goes on in it through the
    /// returned [`state::OpenClaim`], which commits it with the reply.
    /// `Err(StoreError::Claimed)`, with nothing written, when another
    /// request claimed the key first; that answer waits until the other's
    /// transaction ends, so its reply is there to read.
    fn claim_open(&self, claim: &state::Claim, write: state::Write<'_>) -> Result<state::Opened>;

    /// Counts one attempt against a login limiter key, in the window that
    /// holds `now` (a new one when the last began `window` or longer ago),
    /// atomically across processes; expired windows of every key go.
    fn count_attempt(&self, key: &str, now: jiff::Timestamp, window: std::time::Duration) -> Result<state::Attempts>;
    /// The key's current count, if it has one.
    fn attempts(&self, key: &str) -> Result<Option<state::Attempts>>;
    fn forget_attempts(&self, key: &str) -> Result<()>;
    /// One login attempt against a per-account `backoff`, decided and
    /// counted in one transaction (see `state::Turn`), so every process and
    /// every parallel request takes its turn in order.
    fn take_turn(&self, key: &str, now: jiff::Timestamp, backoff: &state::Backoff) -> Result<state::Turn>;
    /// Takes back one attempt `count_attempt` counted on `key` (a login that
    /// succeeded), so only failures use up a fixed window.
    fn refund_attempt(&self, key: &str) -> Result<()>;

    /// A counter every access write bumps in its own transaction (database
    /// triggers on the access projections): when it moved, a process's
    /// cached access answers may be stale.
    fn access_epoch(&self) -> Result<i64>;

    /// Keeps a web import stash entry within `bounds` (pruning expired
    /// entries and the user's oldest beyond their count), unless the files
    /// do not fit the user's share or the total.
    fn stash_put(&self, entry: &state::StashEntry, bounds: &state::StashBounds) -> Result<state::StashPut>;
    /// The user's entry, if it was created after `live_after`.
    fn stash_get(&self, id: uuid::Uuid, user: UserId, live_after: jiff::Timestamp)
    -> Result<Option<state::StashEntry>>;
    /// Moves the user's live entry from state `from` to `to` with a new
    /// detail (a move to `Done` drops the files); `false` if it was not in
    /// `from` (or is gone), which makes a double confirm a no-op.
    fn stash_move(&self, change: &state::StashMove, detail: &str) -> Result<bool>;
    fn stash_remove(&self, id: uuid::Uuid, user: UserId) -> Result<()>;

    /// Stores a new background job (`jobs`, migration 0012).
    fn job_create(&self, job: &jobs::JobRow) -> Result<()>;
    /// Moves a queued job to running at `now`; `false` if it was not queued.
    fn job_start(&self, id: uuid::Uuid, now: jiff::Timestamp) -> Result<bool>;
    /// A running job's rows so far, which is also its heartbeat.
    fn job_progress(&self, id: uuid::Uuid, rows_done: u64, now: jiff::Timestamp) -> Result<()>;
    /// Ends an unfinished job as `state` (done or failed) with its result
    /// JSON; `false` if it had ended already.
    fn job_finish(
        &self,
        id: uuid::Uuid,
        state: jobs::JobState,
        rows_done: u64,
        result: &str,
        now: jiff::Timestamp,
    ) -> Result<bool>;
    /// The user's job `id`: another user's is `None`.
    fn job(&self, id: uuid::Uuid, user: UserId) -> Result<Option<jobs::JobRow>>;
    /// The user's newest `limit` jobs, newest first.
    fn jobs(&self, user: UserId, limit: usize) -> Result<Vec<jobs::JobRow>>;
    /// Fails every queued or running job whose heartbeat is older than
    /// `beat_before` with `reason` (the result JSON): jobs of a process that
    /// died. Returns how many.
    fn fail_stale_jobs(&self, beat_before: jiff::Timestamp, reason: &str, now: jiff::Timestamp) -> Result<u64>;
}

/// How many connections a store keeps, and how long a PostgreSQL
/// connection may take to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// At least 1; an in-memory SQLite database always has one (it exists
    /// once per connection).
    pub size: u32,
    pub connect_timeout: std::time::Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { size: 8, connect_timeout: std::time::Duration::from_secs(10) }
    }
}

/// Opens the database a URL names: `sqlite:///abs/path.db`, `sqlite:rel.db`,
/// `sqlite::memory:`, or `postgres://…` / `postgresql://…`.
pub fn open(url: &str) -> Result<Box<dyn Store>> {
    open_with(url, PoolOptions::default())
}

/// [`open`] with pool options other than the defaults.
pub fn open_with(url: &str, pool: PoolOptions) -> Result<Box<dyn Store>> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(StoreError::BadUrl(url.to_string()));
        }
        Ok(Box::new(sqlite::SqliteStore::open(path, pool)?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // Kept masked even in `Debug`, which does not redact.
        let store = postgres::PgStore::open(url, pool).map_err(|e| match e {
            StoreError::BadUrl(_) => StoreError::BadUrl(redact_url(url)),
            e => e,
        })?;
        Ok(Box::new(store))
    } else {
        Err(StoreError::BadUrl(redact_url(url)))
    }
}
