//! Backend-neutral pieces of the projections: which rows a transaction
//! becomes, and balance changes summed per account and day so a batch of
//! thousands of transactions touches each (account, day) row once.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kassa_core::categorize::Rule;
use kassa_core::{Account, AccountId, Book, BookId, Category, Event, Ledger, Leg, Money, Transaction};

/// Every projection table with the key it is dumped in, on both backends:
/// what `rebuild` empties and refills and `projection_dump` lists, so a table
/// missing here would be neither rebuilt nor checked by the replay tests
/// (the test below holds it to the migrations).
pub(crate) const PROJECTIONS: [(&str, &str); 23] = [
    ("books", "id"),
    ("accounts", "id"),
    ("categories", "id"),
    ("transactions", "id"),
    ("postings", "tx_id, seq"),
    ("register", "account_id, date, tx_id, seq"),
    ("daily_balances", "account_id, date"),
    ("rules", "book_id, id"),
    ("suggestions", "tx_id"),
    ("import_batches", "id"),
    ("import_index", "account_id, fingerprint, tx_id, deleted"),
    ("import_review", "id"),
    ("trades", "batch_id, seq"),
    ("import_profiles", "book_id, name"),
    ("monthly_category_totals", "book_id, month, account_id, category_id, currency"),
    ("monthly_counterparty_totals", "book_id, month, counterparty, category_id, currency"),
    ("fx_rates", "book_id, base, quote, date"),
    ("users", "id"),
    ("tokens", "id"),
    ("orgs", "id"),
    ("org_members", "org_id, user_id"),
    ("book_grants", "book_id, principal_kind, principal_id"),
    ("recurring_series", "book_id, series_id"),
];

/// A book's state as its projections hold it, read back by a backend for
/// deciding commands: the ledger is rebuilt from it as if from the events.
pub(crate) struct BookState {
    pub book: Book,
    pub accounts: Vec<Account>,
    pub categories: Vec<Category>,
    pub rules: Vec<Rule>,
}

impl BookState {
    pub fn into_ledger(self) -> Ledger {
        let events: Vec<Event> = std::iter::once(Event::BookOpened(self.book))
            .chain(self.accounts.into_iter().map(Event::AccountOpened))
            .chain(self.categories.into_iter().map(Event::CategoryAdded))
            .chain(self.rules.into_iter().map(Event::RuleSaved))
            .collect();
        Ledger::from_events(&events)
    }
}

/// An events row's type, schema version and JSON as the event, the one
/// upcasting point (`Event::from_stored`) for both backends.
pub(crate) fn decode_event(event_type: &str, schema_version: u32, data: &str) -> crate::Result<Event> {
    Ok(Event::from_stored(event_type, schema_version, data)?)
}

/// The book a stream belongs to, for `book-<uuid>` streams.
pub(crate) fn book_of(stream: &str) -> Option<BookId> {
    stream.strip_prefix("book-")?.parse().ok()
}

/// The register rows of one transaction, by primary key: the register is
/// keyed by account first, so `tx_id = ?` alone would scan all of it. The
/// same SQL on both backends; `alias` qualifies the register's columns
/// (`"r."`, or `""`) and `param` is the placeholder (`?2`, `$1`).
pub(crate) fn register_rows_of_tx(alias: &str, param: &str) -> String {
    format!(
        "({alias}account_id, {alias}date, {alias}tx_id, {alias}seq) IN
           (SELECT account_id, date, tx_id, seq FROM postings WHERE tx_id = {param} AND account_id IS NOT NULL)"
    )
}

pub(crate) fn leg_name(leg: &Leg) -> &'static str {
    match leg {
        Leg::Account(_) => "account",
        Leg::Category(_) => "category",
        Leg::Uncategorized => "uncategorized",
        Leg::Conversion => "conversion",
    }
}

/// Net change per (account, day), and per account in total.
#[derive(Debug, Default)]
pub(crate) struct BalanceDeltas {
    pub daily: BTreeMap<(AccountId, Date), Money>,
    pub totals: BTreeMap<AccountId, Money>,
}

impl BalanceDeltas {
    /// Adds the account postings of `tx`, negated when `sign` is -1 (a deletion).
    pub fn add(&mut self, tx: &Transaction, sign: i64) {
        for (acc, m) in tx.postings.accounts() {
            let m = if sign < 0 { m.negated() } else { m };
            add_to(self.daily.entry((acc, tx.date)).or_insert(Money::zero(m.currency)), m);
            add_to(self.totals.entry(acc).or_insert(Money::zero(m.currency)), m);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.daily.is_empty()
    }
}

fn add_to(acc: &mut Money, m: Money) {
    acc.amount += m.amount;
}

#[cfg(test)]
mod tests {
    use super::PROJECTIONS;
    use crate::testing;

    /// Tables the migrations create that are not read models: the log, the
    /// migration ledger, the categoriser cache, the idempotent replies and
    /// the state server processes share (migration 0008).
    const NOT_PROJECTIONS: [&str; 8] = [
        "events",
        "streams",
        "kassa_migrations",
        "categorizer_models",
        "idempotency_keys",
        "login_limits",
        "access_epoch",
        "import_stash",
    ];

    #[test]
    fn every_table_of_the_migrations_is_a_projection_or_said_not_to_be() {
        for db in testing::all() {
            let mut tables: Vec<String> = if db.name == "sqlite" {
                let path = db.url.strip_prefix("sqlite://").unwrap();
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut st = conn
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                    .unwrap();
                st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
            } else {
                let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
                c.query("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()", &[])
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
            };
            tables.retain(|t| !NOT_PROJECTIONS.contains(&t.as_str()));
            tables.sort();
            let mut listed: Vec<String> = PROJECTIONS.iter().map(|(t, _)| t.to_string()).collect();
            listed.sort();
            assert_eq!(tables, listed, "{}", db.name);
        }
    }
}
