//! `Idempotency-Key` across processes: the request's first write claims
//! the key in its own database transaction (`Store::claimed_write`), so of
//! two requests with one key — on one server or on two — exactly one writes;
//! the other's write finds the key claimed, writes nothing, and its caller
//! replays the first one's reply once it is stored.
//!
//! The application does not know which of its store calls a use case's
//! first write is, and use cases call free functions over `&dyn Store`
//! (imports, categorisation), so the claim rides in a [`Store`] that wraps
//! the real one for the length of one request: [`App::with_claim`].

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::civil::Date;
use kassa_core::access::Principal;
use kassa_core::report::fx::FxRate;
use kassa_core::report::{ReportFacts, Wanted};
use kassa_core::{BatchId, Book, BookId, Command, Ledger, OrgId, RecordedEvent, ReviewId, TxId, UserId};
use kassa_store::state::{Claim, Write, Written};
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
    /// Its first write claimed the key: its reply is the key's.
    Claimed,
    /// Another request holds the key; this one wrote nothing and must
    /// answer with the other's reply.
    Lost,
}

/// One request's claim on its key.
#[derive(Debug)]
pub struct IdempotentRequest {
    pub claim: Claim,
    outcome: Mutex<ClaimOutcome>,
}

impl IdempotentRequest {
    pub fn new(claim: Claim) -> IdempotentRequest {
        IdempotentRequest { claim, outcome: Mutex::new(ClaimOutcome::Unclaimed) }
    }

    pub fn outcome(&self) -> ClaimOutcome {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `claimed_write` if this is the request's first write (`None`
    /// otherwise: later writes go the plain way), recording how it went.
    /// Held across the write, so two writes of one request cannot both claim.
    fn first_write(&self, claimed_write: impl FnOnce(&Claim) -> Result<Written>) -> Option<Result<Written>> {
        let mut outcome = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        if *outcome != ClaimOutcome::Unclaimed {
            return None;
        }
        let written = claimed_write(&self.claim);
        match &written {
            Ok(_) => *outcome = ClaimOutcome::Claimed,
            Err(StoreError::Claimed) => *outcome = ClaimOutcome::Lost,
            // Nothing was written: a later write may still claim.
            Err(_) => {}
        }
        Some(written)
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

/// The store as one idempotent request sees it: its first write claims the key.
struct ClaimingStore {
    inner: Arc<dyn Store>,
    request: Arc<IdempotentRequest>,
}

// Everything but the three write paths is the inner store's.
impl Store for ClaimingStore {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    fn connections(&self) -> usize {
        self.inner.connections()
    }

    fn migrate(&self) -> Result<Vec<String>> {
        self.inner.migrate()
    }

    fn execute(&self, book: BookId, actor: &str, cmds: &[Command]) -> Result<Vec<RecordedEvent>> {
        match self.request.first_write(|claim| self.inner.claimed_write(claim, Write::Book { book, actor, cmds })) {
            Some(written) => events(written?),
            None => self.inner.execute(book, actor, cmds),
        }
    }

    fn append(&self, stream: &str, expected: i64, events: &[NewEvent]) -> Result<Vec<RecordedEvent>> {
        self.inner.append(stream, expected, events)
    }

    fn read_stream(&self, stream: &str) -> Result<Vec<RecordedEvent>> {
        self.inner.read_stream(stream)
    }

    fn read_log(&self, after_position: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.inner.read_log(after_position, limit)
    }

    fn tail(&self, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.inner.tail(limit)
    }

    fn books(&self) -> Result<Vec<Book>> {
        self.inner.books()
    }

    fn ledger(&self, book: BookId) -> Result<Ledger> {
        self.inner.ledger(book)
    }

    fn transactions(&self, book: BookId, filter: &TxFilter) -> Result<Vec<TxRow>> {
        self.inner.transactions(book, filter)
    }

    fn balances(&self, book: BookId, as_of: Option<Date>) -> Result<Vec<BalanceRow>> {
        self.inner.balances(book, as_of)
    }

    fn rebuild(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<RebuildStats> {
        self.inner.rebuild(progress)
    }

    fn projection_dump(&self) -> Result<String> {
        self.inner.projection_dump()
    }

    fn save_model(&self, book: BookId, model: &StoredModel) -> Result<()> {
        self.inner.save_model(book, model)
    }

    fn load_model(&self, book: BookId) -> Result<Option<StoredModel>> {
        self.inner.load_model(book)
    }

    fn import(&self, book: BookId, actor: &str, feed: &mut dyn import::ImportFeed) -> Result<u64> {
        match self
            .request
            .first_write(|claim| self.inner.claimed_write(claim, Write::Import { book, actor, feed: &mut *feed }))
        {
            Some(written) => match written? {
                Written::Imported(n) => Ok(n),
                Written::Events(e) => Ok(e.len() as u64),
            },
            None => self.inner.import(book, actor, feed),
        }
    }

    fn import_batches(&self, book: BookId) -> Result<Vec<import::BatchRow>> {
        self.inner.import_batches(book)
    }

    fn import_batch_transactions(&self, book: BookId, batch: BatchId) -> Result<Vec<TxId>> {
        self.inner.import_batch_transactions(book, batch)
    }

    fn import_reviews(&self, book: BookId) -> Result<Vec<import::ReviewRow>> {
        self.inner.import_reviews(book)
    }

    fn import_review(&self, book: BookId, id: ReviewId) -> Result<Option<import::ReviewRow>> {
        self.inner.import_review(book, id)
    }

    fn import_profiles(&self, book: BookId) -> Result<Vec<import::ProfileRow>> {
        self.inner.import_profiles(book)
    }

    fn report_facts(&self, book: BookId, as_of: Option<Date>, want: Wanted) -> Result<ReportFacts> {
        self.inner.report_facts(book, as_of, want)
    }

    fn fx_rates(&self, book: BookId) -> Result<Vec<FxRate>> {
        self.inner.fx_rates(book)
    }

    fn execute_stream(&self, stream: &str, actor: &str, decide: access::Decide<'_>) -> Result<Vec<RecordedEvent>> {
        match self.request.first_write(|claim| self.inner.claimed_write(claim, Write::Stream { stream, actor, decide }))
        {
            Some(written) => events(written?),
            None => self.inner.execute_stream(stream, actor, decide),
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
        self.inner.create_user(actor, expect, writes)
    }

    fn user(&self, id: UserId) -> Result<Option<access::UserRow>> {
        self.inner.user(id)
    }

    fn user_by_email(&self, email: &str) -> Result<Option<access::UserRow>> {
        self.inner.user_by_email(email)
    }

    fn users(&self) -> Result<Vec<access::UserRow>> {
        self.inner.users()
    }

    fn token_by_hash(&self, token_hash: &str) -> Result<Option<access::TokenRow>> {
        self.inner.token_by_hash(token_hash)
    }

    fn user_tokens(&self, user: UserId) -> Result<Vec<access::TokenRow>> {
        self.inner.user_tokens(user)
    }

    fn orgs(&self) -> Result<Vec<access::OrgRow>> {
        self.inner.orgs()
    }

    fn org_members(&self, org: Option<OrgId>, user: Option<UserId>) -> Result<Vec<access::OrgMemberRow>> {
        self.inner.org_members(org, user)
    }

    fn book(&self, id: BookId) -> Result<Option<Book>> {
        self.inner.book(id)
    }

    fn book_grants(&self, book: Option<BookId>, principals: &[Principal]) -> Result<Vec<access::GrantRow>> {
        self.inner.book_grants(book, principals)
    }

    fn tx_page(&self, book: BookId, q: &access::TxPageQuery) -> Result<Vec<access::TxItem>> {
        self.inner.tx_page(book, q)
    }

    fn read_stream_page(&self, stream: &str, after: i64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.inner.read_stream_page(stream, after, limit)
    }

    fn admin_overview(&self) -> Result<access::Overview> {
        self.inner.admin_overview()
    }

    fn idempotent_get(&self, scope: &str, key: &str) -> Result<Option<access::StoredResponse>> {
        self.inner.idempotent_get(scope, key)
    }

    fn idempotent_put(&self, scope: &str, key: &str, reply: &access::StoredResponse) -> Result<()> {
        self.inner.idempotent_put(scope, key, reply)
    }

    fn claimed_write(&self, claim: &Claim, write: Write<'_>) -> Result<Written> {
        self.inner.claimed_write(claim, write)
    }

    fn idempotent_reply(&self, claim: &Claim, status: u16, body: &str) -> Result<()> {
        self.inner.idempotent_reply(claim, status, body)
    }

    fn count_attempt(&self, key: &str, now: Timestamp, window: std::time::Duration) -> Result<state::Attempts> {
        self.inner.count_attempt(key, now, window)
    }

    fn attempts(&self, key: &str) -> Result<Option<state::Attempts>> {
        self.inner.attempts(key)
    }

    fn forget_attempts(&self, key: &str) -> Result<()> {
        self.inner.forget_attempts(key)
    }

    fn take_turn(&self, key: &str, now: Timestamp, backoff: &state::Backoff) -> Result<state::Turn> {
        self.inner.take_turn(key, now, backoff)
    }

    fn refund_attempt(&self, key: &str) -> Result<()> {
        self.inner.refund_attempt(key)
    }

    fn access_epoch(&self) -> Result<i64> {
        self.inner.access_epoch()
    }

    fn stash_put(&self, entry: &state::StashEntry, bounds: &state::StashBounds) -> Result<bool> {
        self.inner.stash_put(entry, bounds)
    }

    fn stash_get(&self, id: Uuid, user: UserId, live_after: Timestamp) -> Result<Option<state::StashEntry>> {
        self.inner.stash_get(id, user, live_after)
    }

    fn stash_move(&self, change: &state::StashMove, detail: &str) -> Result<bool> {
        self.inner.stash_move(change, detail)
    }

    fn stash_remove(&self, id: Uuid, user: UserId) -> Result<()> {
        self.inner.stash_remove(id, user)
    }
}
