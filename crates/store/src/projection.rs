//! Backend-neutral pieces of the projections: which rows a transaction
//! becomes, and balance changes summed per account and day so a batch of
//! thousands of transactions touches each (account, day) row once.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kassa_core::categorize::Rule;
use kassa_core::money::TotalRange;
use kassa_core::report::Month;
use kassa_core::{Account, AccountId, Book, BookId, Category, Event, Ledger, LedgerError, Leg, Money, Transaction};

use crate::{Result, StoreError};

/// Every projection table with the key it is dumped in, on both backends:
/// what `rebuild` empties and refills and `projection_dump` lists, so a table
/// missing here would be neither rebuilt nor checked by the replay tests
/// (the test below holds it to the migrations).
pub(crate) const PROJECTIONS: [(&str, &str); 29] = [
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
    ("budgets", "book_id, kind, category_id, month, currency"),
    ("users", "id"),
    ("tokens", "id"),
    ("orgs", "id"),
    ("org_members", "org_id, user_id"),
    ("book_grants", "book_id, principal_kind, principal_id"),
    ("recurring_series", "book_id, series_id"),
    ("prices", "book_id, symbol, date"),
    ("cost_methods", "book_id, account_id"),
    ("instruments", "book_id, instrument"),
    ("loans", "book_id, position"),
    ("plan_events", "book_id, position"),
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
/// A row that does not decode is named by its position in the log, so an
/// event written before a check existed (an amount outside kassa's range)
/// can be found: rebuild stops there with this error rather than panicking.
pub(crate) fn decode_event(position: i64, event_type: &str, schema_version: u32, data: &str) -> Result<Event> {
    Event::from_stored(event_type, schema_version, data)
        .map_err(|e| StoreError::Corrupt(format!("event at position {position}: {e}")))
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
    pub fn add(&mut self, tx: &Transaction, sign: i64) -> Result<()> {
        for (acc, m) in tx.postings.accounts() {
            let m = if sign < 0 { m.negated() } else { m };
            add_to(self.daily.entry((acc, tx.date)).or_insert(Money::zero(m.currency)), m)?;
            add_to(self.totals.entry(acc).or_insert(Money::zero(m.currency)), m)?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.daily.is_empty()
    }
}

/// Adds one posting to a batch's change. `Decimal` holds 10^10 amounts of
/// the largest size and a batch is far fewer, so this cannot fail on what
/// the ledger decided; it is checked all the same, so folding never panics.
fn add_to(acc: &mut Money, m: Money) -> Result<()> {
    *acc = acc.checked_add(m).ok_or_else(|| StoreError::Corrupt(format!("a batch's change overflows adding {m}")))?;
    Ok(())
}

/// A total the projections keep, named for a refusal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Total<'a> {
    /// An account's current balance.
    Balance(AccountId),
    /// An account's net change on a day (`daily_balances`).
    Day(AccountId, Date),
    /// An account's total in a category in a month (`monthly_category_totals`).
    Month(Month, AccountId),
    /// A counterparty's total in a category in a month (`monthly_counterparty_totals`).
    Counterparty(Month, &'a str),
    /// A category's budget in a month (`budgets`), by its month's text.
    Budget(&'a str),
}

impl Total<'_> {
    fn range(self) -> TotalRange {
        match self {
            // A budget is an amount assigned, so it keeps an amount's range.
            Total::Balance(_) | Total::Budget(_) => TotalRange::Balance,
            Total::Day(..) | Total::Month(..) | Total::Counterparty(..) => TotalRange::Stored,
        }
    }
}

/// The total `old + change` a write leaves, with its minor units, when the
/// total's range holds it; else the refusal naming it (the account's name is
/// looked up through `name`, on that path only). Both backends compute every
/// total they keep here, in `Decimal`, and write the result: SQL never adds
/// to a stored total, so nothing is capped at 64 bits or turns into a float.
pub(crate) fn next_total(
    old: Money,
    change: Money,
    total: Total<'_>,
    name: &mut dyn FnMut(AccountId) -> Result<String>,
) -> Result<(Money, i64)> {
    let next = old.checked_add(change);
    if let Some(n) = next.filter(|n| total.range().holds(*n))
        && let Some(minor) = n.minor_units()
    {
        return Ok((n, minor));
    }
    let what = match total {
        Total::Balance(a) => format!("the balance of account '{}'", name(a)?),
        Total::Day(a, d) => format!("the change of account '{}' on {d}", name(a)?),
        Total::Month(m, a) => format!("the {m} total of a category on account '{}'", name(a)?),
        Total::Counterparty(m, c) => format!("the {m} total of counterparty '{c}'"),
        Total::Budget(m) => format!("the {m} budget of a category"),
    };
    let value = next.map_or_else(|| format!("{} + {change}", old), |n| n.to_string());
    Err(LedgerError::OutOfRange { what, value, limit: total.range().describe() }.into())
}

#[cfg(test)]
mod tests {
    use super::PROJECTIONS;
    use crate::testing;

    /// Tables the migrations create that are not read models: the log, the
    /// migration ledger, the categoriser cache, the idempotent replies and
    /// the state server processes share (migration 0008) and the background
    /// jobs (0012).
    const NOT_PROJECTIONS: [&str; 9] = [
        "events",
        "streams",
        "kassa_migrations",
        "categorizer_models",
        "idempotency_keys",
        "login_limits",
        "access_epoch",
        "import_stash",
        "jobs",
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
            // SQLite's search index (migration 0020) and its FTS5 shadow
            // tables are an index kept by triggers, checked through the
            // searches it answers (tests/it/search.rs).
            tables.retain(|t| !NOT_PROJECTIONS.contains(&t.as_str()) && !t.starts_with("tx_search"));
            tables.sort();
            let mut listed: Vec<String> = PROJECTIONS.iter().map(|(t, _)| t.to_string()).collect();
            listed.sort();
            assert_eq!(tables, listed, "{}", db.name);
        }
    }
}
