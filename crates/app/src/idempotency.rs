//! `Idempotency-Key` across processes: the request's first write claims
//! the key in a database transaction of its own (`Store::claim_open`) that
//! stays open for the rest of the request, and commits only together with
//! the reply (`IdempotentRequest::finish`). So of two requests with one key
//! — on one server or on two — exactly one writes; the other's write waits
//! for that commit, finds the key claimed, writes nothing, and its caller
//! replays the reply that is now there. A request that dies before its reply
//! is stored leaves nothing behind: its write rolls back with its claim.
//!
//! The application does not know which of its store calls a use case's
//! first write is, and use cases call free functions over `&dyn Store`
//! (imports, categorisation), so the claim rides in a [`Store`] that wraps
//! the real one for the length of one request: [`App::with_claim`]. After
//! the first write, every call of the request goes to the claim's open
//! transaction, so the request reads what it wrote.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::access::Principal;
use kassa_core::report::fx::FxRate;
use kassa_core::report::{ReportFacts, Wanted};
use kassa_core::{BatchId, Book, BookId, Command, Ledger, OrgId, RecordedEvent, ReviewId, TxId, UserId};
use kassa_store::state::{Claim, OpenClaim, Opened, Write, Written};
use kassa_store::{
    Backend, BalanceRow, NewEvent, RebuildStats, Result, Store, StoreError, StoredModel, TxFilter, TxRow, access,
    import, state,
};
use uuid::Uuid;

use crate::App;

/// Where a request with an `Idempotency-Key` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// It has not written (yet): its reply may be kept if nobody else's is.
    Unclaimed,
    /// Its first write claimed the key: its reply is the key's, and its
    /// writes commit with it ([`IdempotentRequest::finish`]).
    Claimed,
    /// Another request holds the key; this one wrote nothing and must
    /// answer with the other's reply.
    Lost,
}

/// One request's claim on its key.
#[allow(missing_debug_implementations)]
pub struct IdempotentRequest {
    pub claim: Claim,
    state: Mutex<(ClaimOutcome, Option<Arc<dyn OpenClaim>>)>,
}

impl IdempotentRequest {
    pub fn new(claim: Claim) -> IdempotentRequest {
        IdempotentRequest { claim, state: Mutex::new((ClaimOutcome::Unclaimed, None)) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, (ClaimOutcome, Option<Arc<dyn OpenClaim>>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn outcome(&self) -> ClaimOutcome {
        self.state().0
    }

    /// Stores the reply and commits everything the request wrote. An error
    /// means none of it is stored: the request must answer with a failure.
    pub fn finish(&self, status: u16, body: &str) -> Result<()> {
        let open = self.state().1.take();
        open.ok_or_else(|| StoreError::Corrupt("the request holds no open claim".into()))?.finish(status, body)
    }

    /// The open claim's store once the request has claimed.
    fn open(&self) -> Option<Arc<dyn OpenClaim>> {
        self.state().1.clone()
    }

    /// Runs `claim_open` if this is the request's first write (`None`
    /// otherwise: later writes go the plain way, inside the open claim),
    /// recording how it went. Held across the write, so two writes of one
    /// request cannot both claim.
    fn first_write(&self, claim_open: impl FnOnce(&Claim) -> Result<Opened>) -> Option<Result<Written>> {
        let mut state = self.state();
        if state.0 != ClaimOutcome::Unclaimed {
            return None;
        }
        Some(match claim_open(&self.claim) {
            Ok(Opened { claim: Some(open), written }) => {
                *state = (ClaimOutcome::Claimed, Some(open));
                Ok(written)
            }
            // Rolled back, claim and all: a later write may still claim.
            Ok(Opened { claim: None, written }) => Ok(written),
            Err(StoreError::Claimed) => {
                state.0 = ClaimOutcome::Lost;
                Err(StoreError::Claimed)
            }
            // Nothing was written: a later write may still claim.
            Err(e) => Err(e),
        })
    }
}

impl App {
    /// This application for one request under an `Idempotency-Key`.
    pub fn with_claim(&self, request: Arc<IdempotentRequest>) -> App {
        App { store: Arc::new(ClaimingStore { inner: self.store.clone(), request }), ..self.clone() }
    }
}

fn events(written: Written) -> Result<Vec<RecordedEvent>> {
    match written {
        Written::Events(e) => Ok(e),
        Written::Imported(_) => Err(StoreError::Corrupt("an import answered a plain write".into())),
    }
}

/// The store as one idempotent request sees it: its first write claims the
/// key; from then on every call runs in the claim's open transaction.
struct ClaimingStore {
    inner: Arc<dyn Store>,
    request: Arc<IdempotentRequest>,
}

impl ClaimingStore {
    fn target(&self) -> Arc<dyn Store> {
        match self.request.open() {
            Some(open) => open,
            None => self.inner.clone(),
        }
    }
}

// The three write paths claim on the first write; everything else is the
// target's: the inner store, or the open claim once there is one.
impl Store for ClaimingStore {
    fn backend(&self) -> Backend {
        self.target().backend()
    }

    fn connections(&self) -> usize {
        self.target().connections()
    }

    fn migrate(&self) -> Result<Vec<String>> {
        self.target().migrate()
    }

    fn pending_migrations(&self) -> Result<Vec<String>> {
        self.target().pending_migrations()
    }

    fn execute(&self, book: BookId, actor: &str, cmds: &[Command]) -> Result<Vec<RecordedEvent>> {
        match self.request.first_write(|claim| self.inner.claim_open(claim, Write::Book { book, actor, cmds })) {
            Some(written) => events(written?),
            None => self.target().execute(book, actor, cmds),
        }
    }

    fn append(&self, stream: &str, expected: i64, events: &[NewEvent]) -> Result<Vec<RecordedEvent>> {
        self.target().append(stream, expected, events)
    }

    fn read_stream(&self, stream: &str) -> Result<Vec<RecordedEvent>> {
        self.target().read_stream(stream)
    }

    fn read_log(&self, after_position: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.target().read_log(after_position, limit)
    }

    fn tail(&self, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.target().tail(limit)
    }

    fn books(&self) -> Result<Vec<Book>> {
        self.target().books()
    }

    fn ledger(&self, book: BookId) -> Result<Ledger> {
        self.target().ledger(book)
    }

    fn transactions(&self, book: BookId, filter: &TxFilter) -> Result<Vec<TxRow>> {
        self.target().transactions(book, filter)
    }

    fn balances(&self, book: BookId, as_of: Option<Date>) -> Result<Vec<BalanceRow>> {
        self.target().balances(book, as_of)
    }

    fn rebuild(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
        self.target().rebuild(progress)
    }

    fn projection_dump(&self) -> Result<String> {
        self.target().projection_dump()
    }

    fn backup_log(&self, out: &mut dyn std::io::Write) -> Result<kassa_store::backup::Manifest> {
        self.target().backup_log(out)
    }

    fn restore_log(
        &self,
        archive: &mut dyn kassa_store::backup::Archive,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<kassa_store::backup::Restored> {
        self.target().restore_log(archive, progress)
    }

    fn save_model(&self, book: BookId, model: &StoredModel) -> Result<()> {
        self.target().save_model(book, model)
    }

    fn load_model(&self, book: BookId) -> Result<Option<StoredModel>> {
        self.target().load_model(book)
    }

    fn import(&self, book: BookId, actor: &str, feed: &mut dyn import::ImportFeed) -> Result<u64> {
        match self
            .request
            .first_write(|claim| self.inner.claim_open(claim, Write::Import { book, actor, feed: &mut *feed }))
        {
            Some(written) => match written? {
                Written::Imported(n) => Ok(n),
                Written::Events(e) => Ok(e.len() as u64),
            },
            None => self.target().import(book, actor, feed),
        }
    }

    fn import_batches(&self, book: BookId) -> Result<Vec<import::BatchRow>> {
        self.target().import_batches(book)
    }

    fn import_batch_transactions(&self, book: BookId, batch: BatchId) -> Result<Vec<TxId>> {
        self.target().import_batch_transactions(book, batch)
    }

    fn import_reviews(&self, book: BookId) -> Result<Vec<import::ReviewRow>> {
        self.target().import_reviews(book)
    }

    fn import_review(&self, book: BookId, id: ReviewId) -> Result<Option<import::ReviewRow>> {
        self.target().import_review(book, id)
    }

    fn import_profiles(&self, book: BookId) -> Result<Vec<import::ProfileRow>> {
        self.target().import_profiles(book)
    }

    fn trades(&self, book: BookId) -> Result<Vec<kassa_core::import::ImportedTrade>> {
        self.target().trades(book)
    }

    fn prices(&self, book: BookId) -> Result<Vec<kassa_core::portfolio::events::PricePoint>> {
        self.target().prices(book)
    }

    fn prices_as_of(&self, book: BookId, date: Date) -> Result<Vec<kassa_core::portfolio::events::PricePoint>> {
        self.target().prices_as_of(book, date)
    }

    fn cost_methods(&self, book: BookId) -> Result<Vec<(kassa_core::AccountId, kassa_core::portfolio::CostMethod)>> {
        self.target().cost_methods(book)
    }

    fn instruments(&self, book: BookId) -> Result<Vec<kassa_store::InstrumentRow>> {
        self.target().instruments(book)
    }

    fn report_facts(&self, book: BookId, as_of: Option<Date>, want: Wanted) -> Result<ReportFacts> {
        self.target().report_facts(book, as_of, want)
    }

    fn fx_rates(&self, book: BookId) -> Result<Vec<FxRate>> {
        self.target().fx_rates(book)
    }

    fn budget_plan(&self, book: BookId) -> Result<Vec<kassa_core::budget::PlanRow>> {
        self.target().budget_plan(book)
    }

    fn recurring_history(&self, book: BookId, as_of: Date) -> Result<Vec<kassa_store::recurring::RecurringRow>> {
        self.target().recurring_history(book, as_of)
    }

    fn recurring_marks(&self, book: BookId) -> Result<Vec<kassa_store::recurring::RecurringMark>> {
        self.target().recurring_marks(book)
    }

    fn loan_rows(&self, book: BookId) -> Result<Vec<kassa_store::loans::LoanRow>> {
        self.target().loan_rows(book)
    }

    fn plan_events(&self, book: BookId) -> Result<Vec<kassa_core::Event>> {
        self.target().plan_events(book)
    }

    fn execute_stream(&self, stream: &str, actor: &str, decide: access::Decide<'_>) -> Result<Vec<RecordedEvent>> {
        match self.request.first_write(|claim| self.inner.claim_open(claim, Write::Stream { stream, actor, decide })) {
            Some(written) => events(written?),
            None => self.target().execute_stream(stream, actor, decide),
        }
    }

    // Not a claiming write: registration's first write under a key is then
    // its book's (`open_book`), which claims it.
    fn create_user(
        &self,
        actor: &str,
        expect: &access::UserExpect,
        writes: &[access::StreamWrite<'_>],
    ) -> Result<Vec<RecordedEvent>> {
        self.target().create_user(actor, expect, writes)
    }

    fn user(&self, id: UserId) -> Result<Option<access::UserRow>> {
        self.target().user(id)
    }

    fn user_by_email(&self, email: &str) -> Result<Option<access::UserRow>> {
        self.target().user_by_email(email)
    }

    fn users(&self) -> Result<Vec<access::UserRow>> {
        self.target().users()
    }

    fn token_by_hash(&self, token_hash: &str) -> Result<Option<access::TokenRow>> {
        self.target().token_by_hash(token_hash)
    }

    fn user_tokens(&self, user: UserId) -> Result<Vec<access::TokenRow>> {
        self.target().user_tokens(user)
    }

    fn orgs(&self) -> Result<Vec<access::OrgRow>> {
        self.target().orgs()
    }

    fn org_members(&self, org: Option<OrgId>, user: Option<UserId>) -> Result<Vec<access::OrgMemberRow>> {
        self.target().org_members(org, user)
    }

    fn book(&self, id: BookId) -> Result<Option<Book>> {
        self.target().book(id)
    }

    fn book_grants(&self, book: Option<BookId>, principals: &[Principal]) -> Result<Vec<access::GrantRow>> {
        self.target().book_grants(book, principals)
    }

    fn tx_page(&self, book: BookId, q: &access::TxPageQuery) -> Result<Vec<access::TxItem>> {
        self.target().tx_page(book, q)
    }

    fn read_stream_page(&self, stream: &str, after: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.target().read_stream_page(stream, after, limit)
    }

    fn event_log(&self, q: &access::EventLogQuery) -> Result<Vec<RecordedEvent>> {
        self.target().event_log(q)
    }

    fn stream_versions(&self, names: Option<&[String]>) -> Result<Vec<(String, i64)>> {
        self.target().stream_versions(names)
    }

    fn admin_overview(&self) -> Result<access::Overview> {
        self.target().admin_overview()
    }

    fn idempotent_get(&self, scope: &str, key: &str) -> Result<Option<access::StoredResponse>> {
        self.target().idempotent_get(scope, key)
    }

    fn claim_open(&self, claim: &Claim, write: Write<'_>) -> Result<Opened> {
        self.target().claim_open(claim, write)
    }

    fn count_attempt(&self, key: &str, now: Timestamp, window: std::time::Duration) -> Result<state::Attempts> {
        self.target().count_attempt(key, now, window)
    }

    fn attempts(&self, key: &str) -> Result<Option<state::Attempts>> {
        self.target().attempts(key)
    }

    fn forget_attempts(&self, key: &str) -> Result<()> {
        self.target().forget_attempts(key)
    }

    fn take_turn(&self, key: &str, now: Timestamp, backoff: &state::Backoff) -> Result<state::Turn> {
        self.target().take_turn(key, now, backoff)
    }

    fn refund_attempt(&self, key: &str) -> Result<()> {
        self.target().refund_attempt(key)
    }

    fn access_epoch(&self) -> Result<i64> {
        self.target().access_epoch()
    }

    fn stash_put(&self, entry: &state::StashEntry, bounds: &state::StashBounds) -> Result<state::StashPut> {
        self.target().stash_put(entry, bounds)
    }

    fn stash_get(&self, id: Uuid, user: UserId, live_after: Timestamp) -> Result<Option<state::StashEntry>> {
        self.target().stash_get(id, user, live_after)
    }

    fn stash_move(&self, change: &state::StashMove, detail: &str) -> Result<bool> {
        self.target().stash_move(change, detail)
    }

    fn stash_remove(&self, id: Uuid, user: UserId) -> Result<()> {
        self.target().stash_remove(id, user)
    }

    fn job_create(&self, job: &kassa_store::jobs::JobRow) -> Result<()> {
        self.target().job_create(job)
    }

    fn job_start(&self, id: Uuid, now: Timestamp) -> Result<bool> {
        self.target().job_start(id, now)
    }

    fn job_progress(&self, id: Uuid, rows_done: u64, now: Timestamp) -> Result<()> {
        self.target().job_progress(id, rows_done, now)
    }

    fn job_finish(
        &self,
        id: Uuid,
        state: kassa_store::jobs::JobState,
        rows_done: u64,
        result: &str,
        now: Timestamp,
    ) -> Result<bool> {
        self.target().job_finish(id, state, rows_done, result, now)
    }

    fn job(&self, id: Uuid, user: UserId) -> Result<Option<kassa_store::jobs::JobRow>> {
        self.target().job(id, user)
    }

    fn jobs(&self, user: UserId, limit: usize) -> Result<Vec<kassa_store::jobs::JobRow>> {
        self.target().jobs(user, limit)
    }

    fn fail_stale_jobs(&self, beat_before: Timestamp, reason: &str, now: Timestamp) -> Result<u64> {
        self.target().fail_stale_jobs(beat_before, reason, now)
    }
}
