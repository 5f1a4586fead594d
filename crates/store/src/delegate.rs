//! The [`crate::Store`] methods that are the same on every backend: a read
//! handed to the backend's own SQL function with a pooled connection, or a
//! write run inside the backend's unit of work. Written once, as a macro,
//! so that SQLite and PostgreSQL keep only what truly differs (ADR 006).
//!
//! `store_delegates!` is expanded inside each backend's `impl Store`, and
//! `open_claim!` beside it, where these must be in
//! scope: `self.conn()` (a pooled connection that dereferences to the
//! backend's client), `self.write(retry, f)` (runs `f` on a `Uow` in one
//! database transaction, committing when `f` says so, retrying on a
//! conflict when `retry`), the free function `read_log`, and the modules
//! `access`, `import`, `jobs`, `reports` and `state` with one function per read.

macro_rules! store_delegates {
    () => {
        fn execute(
            &self,
            book: kassa_core::BookId,
            actor: &str,
            cmds: &[kassa_core::Command],
        ) -> crate::Result<Vec<kassa_core::RecordedEvent>> {
            self.write(true, &mut |uow| Ok((crate::unit::execute(uow, book, actor, cmds)?, true)))
        }

        fn execute_stream(
            &self,
            stream: &str,
            actor: &str,
            decide: crate::access::Decide<'_>,
        ) -> crate::Result<Vec<kassa_core::RecordedEvent>> {
            self.write(true, &mut |uow| Ok((crate::access::execute_stream(uow, stream, actor, decide)?, true)))
        }

        fn append(
            &self,
            stream: &str,
            expected: i64,
            events: &[crate::NewEvent],
        ) -> crate::Result<Vec<kassa_core::RecordedEvent>> {
            self.write(false, &mut |uow| Ok((uow.append(stream, expected, events, crate::unit::clock().0)?, true)))
        }

        fn import(
            &self,
            book: kassa_core::BookId,
            actor: &str,
            feed: &mut dyn crate::import::ImportFeed,
        ) -> crate::Result<u64> {
            // Not retried: the feed has been read once.
            self.write(false, &mut |uow| {
                let n = crate::unit::import(uow, book, actor, feed)?;
                Ok((n, feed.commit()))
            })
        }

        fn create_user(
            &self,
            actor: &str,
            expect: &crate::access::UserExpect,
            writes: &[crate::access::StreamWrite<'_>],
        ) -> crate::Result<Vec<kassa_core::RecordedEvent>> {
            self.write(true, &mut |uow| Ok((crate::access::create_user(uow, actor, expect, writes)?, true)))
        }

        fn claim_open(
            &self,
            claim: &crate::state::Claim,
            write: crate::state::Write<'_>,
        ) -> crate::Result<crate::state::Opened> {
            state::claim_open(self, claim, write)
        }

        fn read_log(&self, after_position: i64, limit: usize) -> crate::Result<Vec<kassa_core::RecordedEvent>> {
            read_log(&mut *self.conn()?, after_position, limit)
        }

        fn user(&self, id: kassa_core::UserId) -> crate::Result<Option<crate::access::UserRow>> {
            access::user(&mut *self.conn()?, id)
        }

        fn user_by_email(&self, email: &str) -> crate::Result<Option<crate::access::UserRow>> {
            access::user_by_email(&mut *self.conn()?, email)
        }

        fn users(&self) -> crate::Result<Vec<crate::access::UserRow>> {
            access::users(&mut *self.conn()?)
        }

        fn token_by_hash(&self, token_hash: &str) -> crate::Result<Option<crate::access::TokenRow>> {
            access::token_by_hash(&mut *self.conn()?, token_hash)
        }

        fn user_tokens(&self, user: kassa_core::UserId) -> crate::Result<Vec<crate::access::TokenRow>> {
            access::user_tokens(&mut *self.conn()?, user)
        }

        fn orgs(&self) -> crate::Result<Vec<crate::access::OrgRow>> {
            access::orgs(&mut *self.conn()?)
        }

        fn org_members(
            &self,
            org: Option<kassa_core::OrgId>,
            user: Option<kassa_core::UserId>,
        ) -> crate::Result<Vec<crate::access::OrgMemberRow>> {
            access::org_members(&mut *self.conn()?, org, user)
        }

        fn book(&self, id: kassa_core::BookId) -> crate::Result<Option<kassa_core::Book>> {
            access::book(&mut *self.conn()?, id)
        }

        fn book_grants(
            &self,
            book: Option<kassa_core::BookId>,
            principals: &[kassa_core::access::Principal],
        ) -> crate::Result<Vec<crate::access::GrantRow>> {
            access::book_grants(&mut *self.conn()?, book, principals)
        }

        fn tx_page(
            &self,
            book: kassa_core::BookId,
            q: &crate::access::TxPageQuery,
        ) -> crate::Result<Vec<crate::access::TxItem>> {
            // The pooled connection itself: PostgreSQL keeps its prepared
            // register statements on it.
            let mut conn = self.conn()?;
            access::tx_page(&mut conn, book, q)
        }

        fn read_stream_page(
            &self,
            stream: &str,
            after: i64,
            limit: usize,
        ) -> crate::Result<Vec<kassa_core::RecordedEvent>> {
            access::read_stream_page(&mut *self.conn()?, stream, after, limit)
        }

        fn event_log(&self, q: &crate::access::EventLogQuery) -> crate::Result<Vec<kassa_core::RecordedEvent>> {
            access::event_log(&mut *self.conn()?, q)
        }

        fn stream_versions(&self, names: Option<&[String]>) -> crate::Result<Vec<(String, i64)>> {
            access::stream_versions(&mut *self.conn()?, names)
        }

        fn admin_overview(&self) -> crate::Result<crate::access::Overview> {
            crate::access::overview(&mut access::OverviewSql(&mut *self.conn()?))
        }

        fn idempotent_get(&self, scope: &str, key: &str) -> crate::Result<Option<crate::access::StoredResponse>> {
            access::idempotent_get(&mut *self.conn()?, scope, key)
        }

        fn count_attempt(
            &self,
            key: &str,
            now: jiff::Timestamp,
            window: std::time::Duration,
        ) -> crate::Result<crate::state::Attempts> {
            state::count_attempt(&mut *self.conn()?, key, now, window)
        }

        fn attempts(&self, key: &str) -> crate::Result<Option<crate::state::Attempts>> {
            state::attempts_of(&mut *self.conn()?, key)
        }

        fn forget_attempts(&self, key: &str) -> crate::Result<()> {
            state::forget_attempts(&mut *self.conn()?, key)
        }

        fn take_turn(
            &self,
            key: &str,
            now: jiff::Timestamp,
            backoff: &crate::state::Backoff,
        ) -> crate::Result<crate::state::Turn> {
            state::take_turn(&mut *self.conn()?, key, now, backoff)
        }

        fn refund_attempt(&self, key: &str) -> crate::Result<()> {
            state::refund_attempt(&mut *self.conn()?, key)
        }

        fn access_epoch(&self) -> crate::Result<i64> {
            state::access_epoch(&mut *self.conn()?)
        }

        fn stash_put(
            &self,
            entry: &crate::state::StashEntry,
            bounds: &crate::state::StashBounds,
        ) -> crate::Result<crate::state::StashPut> {
            state::stash_put(&mut *self.conn()?, entry, bounds)
        }

        fn stash_get(
            &self,
            id: uuid::Uuid,
            user: kassa_core::UserId,
            live_after: jiff::Timestamp,
        ) -> crate::Result<Option<crate::state::StashEntry>> {
            state::stash_get(&mut *self.conn()?, id, user, live_after)
        }

        fn stash_move(&self, change: &crate::state::StashMove, detail: &str) -> crate::Result<bool> {
            state::stash_move(&mut *self.conn()?, change, detail)
        }

        fn stash_remove(&self, id: uuid::Uuid, user: kassa_core::UserId) -> crate::Result<()> {
            state::stash_remove(&mut *self.conn()?, id, user)
        }

        fn job_create(&self, job: &crate::jobs::JobRow) -> crate::Result<()> {
            jobs::create(&mut *self.conn()?, job)
        }

        fn job_start(&self, id: uuid::Uuid, now: jiff::Timestamp) -> crate::Result<bool> {
            jobs::start(&mut *self.conn()?, id, now)
        }

        fn job_progress(&self, id: uuid::Uuid, rows_done: u64, now: jiff::Timestamp) -> crate::Result<()> {
            jobs::progress(&mut *self.conn()?, id, rows_done, now)
        }

        fn job_finish(
            &self,
            id: uuid::Uuid,
            state: crate::jobs::JobState,
            rows_done: u64,
            result: &str,
            now: jiff::Timestamp,
        ) -> crate::Result<bool> {
            jobs::finish(&mut *self.conn()?, id, state, rows_done, result, now)
        }

        fn job(&self, id: uuid::Uuid, user: kassa_core::UserId) -> crate::Result<Option<crate::jobs::JobRow>> {
            jobs::get(&mut *self.conn()?, id, user)
        }

        fn jobs(&self, user: kassa_core::UserId, limit: usize) -> crate::Result<Vec<crate::jobs::JobRow>> {
            jobs::of_user(&mut *self.conn()?, user, limit)
        }

        fn fail_stale_jobs(
            &self,
            beat_before: jiff::Timestamp,
            reason: &str,
            now: jiff::Timestamp,
        ) -> crate::Result<u64> {
            jobs::fail_stale(&mut *self.conn()?, beat_before, reason, now)
        }

        fn fx_rates(&self, book: kassa_core::BookId) -> crate::Result<Vec<kassa_core::report::fx::FxRate>> {
            reports::fx_rates(&mut *self.conn()?, book)
        }

        fn budget_plan(&self, book: kassa_core::BookId) -> crate::Result<Vec<kassa_core::budget::PlanRow>> {
            budgets::plan(&mut *self.conn()?, book)
        }

        fn import_batches(&self, book: kassa_core::BookId) -> crate::Result<Vec<crate::import::BatchRow>> {
            import::batches(&mut *self.conn()?, book)
        }

        fn import_batch_transactions(
            &self,
            book: kassa_core::BookId,
            batch: kassa_core::BatchId,
        ) -> crate::Result<Vec<kassa_core::TxId>> {
            import::batch_transactions(&mut *self.conn()?, book, batch)
        }

        fn import_reviews(&self, book: kassa_core::BookId) -> crate::Result<Vec<crate::import::ReviewRow>> {
            import::reviews(&mut *self.conn()?, book)
        }

        fn import_review(
            &self,
            book: kassa_core::BookId,
            id: kassa_core::ReviewId,
        ) -> crate::Result<Option<crate::import::ReviewRow>> {
            import::review(&mut *self.conn()?, book, id)
        }

        fn import_profiles(&self, book: kassa_core::BookId) -> crate::Result<Vec<crate::import::ProfileRow>> {
            import::profiles(&mut *self.conn()?, book)
        }

        fn trades(&self, book: kassa_core::BookId) -> crate::Result<Vec<kassa_core::import::ImportedTrade>> {
            import::trades(&mut *self.conn()?, book)
        }
    };
}

/// The open claim of a backend store whose `pinned` connection holds one.
macro_rules! open_claim {
    ($store:ty) => {
        impl crate::state::OpenClaim for $store {
            fn finish(&self, status: u16, body: &str) -> crate::Result<()> {
                let pinned = self.pinned.as_ref().ok_or_else(|| crate::StoreError::Corrupt("no open claim".into()))?;
                pinned.commit_with(|conn, claim| state::idempotent_reply(conn, claim, status, body))
            }
        }
    };
}

pub(crate) use {open_claim, store_delegates};
