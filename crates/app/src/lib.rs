//! The application layer: every use case of the API and of the `kassa user`
//! commands, as plain synchronous functions over the store. Handlers and CLI
//! commands only translate their input into these calls, so no business rule
//! (who may do what, what a field must look like) lives in either.
//!
//! This is an edge: it reads the clock, draws random tokens and hashes
//! passwords. The rules themselves are decided in `kassa_core`.

pub mod account;
pub mod books;
pub mod buckets;
pub mod budgets;
mod cache;
pub mod categorize;
pub mod clock;
pub mod csv;
pub mod dashboard;
pub mod dates;
pub mod events;
pub mod export;
pub mod goals;
pub mod health;
mod idempotency;
pub mod import;
pub mod imports;
pub mod instruments;
pub mod jobs;
pub mod loans;
pub mod local;
pub mod mapping;
pub mod orgs;
pub mod portfolio;
pub mod recurring;
pub mod reports;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use kassa_core::access::AccessError;
use kassa_core::{LedgerError, RecordedEvent, UserId};
use kassa_store::access::{Decide, StreamWrite, UserExpect};
use kassa_store::{Store, StoreError};

// The stored rows the HTTP edge maps to its replies, so it needs no store.
pub use kassa_store::Backend;
pub use kassa_store::access::{StoredResponse, UserRow};

/// What a write that found SQLite's lock taken past its busy timeout
/// suggests waiting: the timeout was long already, so a few seconds more.
const BUSY_RETRY_SECS: u64 = 5;
use kassa_store::state::{Backoff, Turn};
pub use kassa_store::state::{Claim, StashBounds, StashEntry, StashMove, StashPut, StashState};

pub use self::idempotency::{ClaimOutcome, IdempotentRequest};

use self::cache::AccessCache;
pub(crate) use self::clock::new_id;
pub use self::clock::{Clock, SystemClock};
/// Cancellable parsing, for the server's blocking calls.
pub use kassa_import::work;

/// Who may register without the CLI. Configured as `open`, `invite` or `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    /// With a code a platform admin issued.
    Invite,
    Closed,
}

impl std::str::FromStr for Registration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Registration::Open),
            "invite" => Ok(Registration::Invite),
            "closed" => Ok(Registration::Closed),
            _ => Err(format!("unknown registration policy '{s}' (expected open, invite or closed)")),
        }
    }
}

/// Argon2id cost. The default is the OWASP minimum; tests turn it down.
#[derive(Debug, Clone, Copy)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost { memory_kib: 19_456, iterations: 2 }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub registration: Registration,
    /// How long a login token lives.
    pub token_ttl: Duration,
    pub password_cost: PasswordCost,
    /// Shortest password a user may choose. `kassa demo` lowers it for its
    /// published logins; everything else keeps the default.
    pub min_password_chars: usize,
    /// Failed logins to one account in a row that cost nothing; from then
    /// on each failure makes the account's next attempt wait, 1 s doubling
    /// per further failure up to `login_backoff_max` (never a lockout).
    pub login_failures_per_account: u32,
    /// The longest an account's next login attempt waits.
    pub login_backoff_max: Duration,
    /// Failed login attempts per client address in `login_window`.
    pub login_attempts_per_ip: u32,
    /// The window of the per-address limit; an account whose backoff has
    /// been over this long starts over.
    pub login_window: Duration,
    /// How long a token's holder and their role on a book are remembered
    /// between requests (zero: not at all). Access writes through this
    /// process forget them at once; this bounds how late one made by another
    /// process is seen unless the access epoch shows it first.
    pub access_cache_ttl: Duration,
    /// How often the access cache asks the store whether another process
    /// changed who may do what (the access epoch): the bound on how late
    /// such a change is seen.
    pub access_epoch_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            registration: Registration::Closed,
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            password_cost: PasswordCost::default(),
            min_password_chars: 8,
            login_failures_per_account: 5,
            login_backoff_max: Duration::from_secs(300),
            login_attempts_per_ip: 30,
            login_window: Duration::from_secs(15 * 60),
            access_cache_ttl: Duration::from_secs(2),
            access_epoch_interval: Duration::from_millis(100),
        }
    }
}

/// The store plus the access cache, the one thing that lives only in this
/// process (and follows other processes' writes through the access epoch).
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    cache: Arc<AccessCache>,
    /// The background jobs this process runs.
    jobs: Arc<jobs::Jobs>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("backend", &self.store.backend()).field("config", &self.config).finish()
    }
}

/// The authenticated caller of a use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub platform_admin: bool,
    /// The token the request came with (logout revokes it); `None` from the CLI.
    pub token_id: Option<uuid::Uuid>,
}

impl Actor {
    /// The `actor` recorded on the events this caller causes.
    pub fn tag(&self) -> String {
        format!("user:{}", self.user_id)
    }
}

impl App {
    pub fn new(store: Arc<dyn Store>, config: Config) -> App {
        App::with_clock(store, config, Arc::new(SystemClock))
    }

    /// An application whose "now" comes from `clock` (tests fix it).
    pub fn with_clock(store: Arc<dyn Store>, config: Config, clock: Arc<dyn Clock>) -> App {
        let cache = Arc::new(AccessCache::new(&config, clock.clone(), store.clone()));
        App { store, config, clock, cache, jobs: Arc::default() }
    }

    /// The store's engine: the server queues writers only on SQLite.
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Writes to a user, token, organisation or book-role stream: the only
    /// way the application changes who may do what, so the access cache is
    /// emptied here, after the commit.
    pub(crate) fn write_access(&self, stream: &str, actor: &str, decide: Decide<'_>) -> AppResult<Vec<RecordedEvent>> {
        let written = self.store.execute_stream(stream, actor, decide);
        self.cache.invalidate();
        Ok(written?)
    }

    /// `write_access` for a new user, with the invitation it uses up: one
    /// transaction under the store's user-creation lock, in which `expect`
    /// is checked again (`Store::create_user`). A `StoreError::Stale` is
    /// handed back as it is, for the caller to decide again.
    pub(crate) fn write_new_user(
        &self,
        actor: &str,
        expect: &UserExpect,
        writes: &[StreamWrite<'_>],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let written = self.store.create_user(actor, expect, writes);
        self.cache.invalidate();
        written
    }

    /// Counts one attempt against `key` in the store, so every server
    /// process counts together; `Some(seconds to wait)` when it is over
    /// `limit` in the window (it is counted all the same).
    fn count(&self, key: &str, limit: u32) -> AppResult<Option<u64>> {
        let a = self.store.count_attempt(key, self.clock.now(), self.config.login_window)?;
        Ok((a.count > limit).then(|| self.retry_after(a.window_start)))
    }

    /// One attempt on an account's backoff: counted as a failure until
    /// `forget` clears it, or refused with how long to wait.
    fn take_turn(&self, key: &str) -> AppResult<()> {
        let backoff = Backoff {
            free: self.config.login_failures_per_account,
            base: LOGIN_BACKOFF_BASE,
            max: self.config.login_backoff_max,
            forget_after: self.config.login_window,
        };
        let now = self.clock.now();
        match self.store.take_turn(key, now, &backoff)? {
            Turn::Go => Ok(()),
            Turn::Wait(at) => {
                let wait = Duration::try_from(at.duration_since(now)).unwrap_or_default();
                // Whole seconds for Retry-After, rounded up: never early.
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(AppError::RateLimited { retry_after: secs.max(1) })
            }
        }
    }

    fn forget(&self, key: &str) -> AppResult<()> {
        Ok(self.store.forget_attempts(key)?)
    }

    fn elapsed_since(&self, start: jiff::Timestamp) -> Duration {
        Duration::try_from(self.clock.now().duration_since(start)).unwrap_or_default()
    }

    fn retry_after(&self, window_start: jiff::Timestamp) -> u64 {
        self.config.login_window.saturating_sub(self.elapsed_since(window_start)).as_secs().max(1)
    }
}

/// An account's first wait once its free failures are used up.
const LOGIN_BACKOFF_BASE: Duration = Duration::from_secs(1);

/// Why a use case did not happen. Each has a stable `code` for API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// A field of the input is malformed or out of range.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A well-formed request the ledger refuses (unknown category, …).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// Input the use case cannot take, with what a client needs to show
    /// why (an import's bad rows by line and field, its unknown accounts).
    #[error("{message}")]
    Rejected { code: &'static str, message: String, details: serde_json::Value },
    #[error("too many attempts; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// SQLite's one writer is busy (a large import): the same request can
    /// succeed later, so the API answers 503 with `Retry-After`.
    #[error("busy, retry in {retry_after} s: another write holds the database")]
    Busy { retry_after: u64 },
    #[error("registration is {0}")]
    RegistrationClosed(&'static str),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> AppError {
        AppError::Invalid { field: field.to_string(), message: message.to_string() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid_field",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Refused { code, .. } | AppError::Rejected { code, .. } => code,
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Busy { .. } => "busy",
            AppError::RegistrationClosed(_) => "registration_closed",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unique_violation() {
            return AppError::Conflict("a resource with that name already exists".into());
        }
        if e.is_busy() {
            return AppError::Busy { retry_after: BUSY_RETRY_SECS };
        }
        match e {
            StoreError::Ledger(l) => l.into(),
            StoreError::Access(a) => a.into(),
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict { .. } => AppError::Conflict(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> Self {
        let message = e.to_string();
        match e {
            LedgerError::UnknownTransaction(_) => AppError::NotFound("transaction".into()),
            LedgerError::NoBook => AppError::NotFound("book".into()),
            LedgerError::DuplicateAccount(_)
            | LedgerError::DuplicateCategory(_)
            | LedgerError::DuplicateTransaction(_) => AppError::Conflict(message),
            LedgerError::BookExists => AppError::Conflict(message),
            LedgerError::UnknownAccount { .. } => AppError::Refused { code: "unknown_account", message },
            LedgerError::UnknownCategory { .. } => AppError::Refused { code: "unknown_category", message },
            LedgerError::Parse(p) => AppError::Refused { code: "invalid_value", message: p.to_string() },
            LedgerError::BadBudget { field, reason } => AppError::invalid(field, reason),
            _ => AppError::Refused { code: "refused", message },
        }
    }
}

impl From<AccessError> for AppError {
    fn from(e: AccessError) -> Self {
        let message = e.to_string();
        match e {
            AccessError::InvalidEmail(_) => AppError::invalid("email", message),
            AccessError::EmptyName(_) => AppError::invalid("name", message),
            AccessError::SpenderAccount => AppError::invalid("account_id", message),
            AccessError::UserExists | AccessError::TokenExists | AccessError::OrgExists => AppError::Conflict(message),
            AccessError::UnknownUser => AppError::NotFound("user".into()),
            AccessError::UnknownToken => AppError::NotFound("token".into()),
            AccessError::UnknownOrg => AppError::NotFound("organisation".into()),
            AccessError::NotMember => AppError::NotFound("member".into()),
            AccessError::LastAdmin => AppError::Refused { code: "last_admin", message },
            AccessError::UserDisabled => AppError::Forbidden(message),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
