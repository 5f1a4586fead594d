//! Buckets (issue 17, seed 004): `bucket add`, `bucket move`, `bucket list`
//! and the assignment of a transaction's spending to a bucket, for the CLI
//! (the plain functions, on a book) and the API ([`App`] methods, which
//! check the caller: viewers read, editors and owners write).
//!
//! The figures are `kassa_core::bucket::Buckets::list` over the book's log
//! folded ([`BookLog`]): allocations are not stored, so a recategorised or
//! deleted income takes its share back by construction. Every edit is
//! checked here against that fold before its command is executed (an
//! unknown bucket, percentages over 100 naming the buckets), so a refused
//! edit stores nothing.

use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::bucket::{BucketError, BucketRow, BucketSet, Buckets};
use kassa_core::budget::main_currency;
use kassa_core::categorize::{Action, Rule};
use kassa_core::event::book_stream;
use kassa_core::money::parse_decimal;
use kassa_core::{AccountRef, BookId, Command, Currency, Event, Ledger, LedgerDate, Money, TxId};
use kassa_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError, AppResult};

/// A book's stream folded once: every transaction as it stands (the
/// projections' ledger has none) and the events the folds of buckets,
/// loans and goals read. A replay, O(events), like `--known-at`.
pub(crate) struct BookLog {
    pub ledger: Ledger,
    pub events: Vec<Event>,
}

impl BookLog {
    pub fn read(store: &dyn Store, book: BookId) -> AppResult<BookLog> {
        let events: Vec<Event> = store.read_stream(&book_stream(book))?.into_iter().map(|e| e.event).collect();
        Ok(BookLog { ledger: Ledger::from_events(&events), events })
    }

    pub fn buckets(&self) -> Buckets {
        Buckets::from_events(&self.events)
    }

    /// The book's main currency (its first-opened account's), which
    /// bucket moves and bucket goals are in.
    pub fn main_currency(&self) -> AppResult<Currency> {
        main_currency_of(&self.ledger)
    }
}

/// The main currency of a book's chart (its first-opened account's).
pub(crate) fn main_currency_of(ledger: &Ledger) -> AppResult<Currency> {
    main_currency(ledger.accounts()).ok_or_else(|| AppError::Refused {
        code: "no_accounts",
        message: "the book has no accounts: buckets are in the currency of its first account".into(),
    })
}

/// The book's buckets, moves and assignments without its transactions:
/// the `plan_events` projection folded, a few rows, no replay. What every
/// check of a bucket edit or assignment needs.
pub(crate) fn definitions(store: &dyn Store, book: BookId) -> AppResult<Buckets> {
    Ok(Buckets::from_events(&store.plan_events(book)?))
}

/// One row of `bucket list`: `spent`, `moved_in` and `moved_out` are
/// positive magnitudes; `balance = allocated − spent + moved_in − moved_out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketView {
    pub bucket: String,
    /// The percentage in effect on the as-of date (Unallocated: the rest).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub percent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub allocated: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub spent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub moved_in: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub moved_out: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub balance: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
}

impl From<BucketRow> for BucketView {
    fn from(r: BucketRow) -> BucketView {
        let minor = r.currency.minor_units();
        let scale = |mut d: Decimal| {
            d.rescale(minor);
            d
        };
        BucketView {
            bucket: r.bucket,
            percent: r.percent.normalize(),
            allocated: scale(r.allocated),
            spent: scale(r.spent),
            moved_in: scale(r.moved_in),
            moved_out: scale(r.moved_out),
            balance: scale(r.balance),
            currency: r.currency,
        }
    }
}

/// `bucket add` / `POST …/buckets`: a bucket, or a new percentage for one
/// from a date. Fields are text so a bad one is named in the error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddBucket {
    pub name: String,
    /// 0 to 100, a decimal.
    pub percent: String,
    /// Income categories that feed it (a parent covers its children).
    #[serde(default)]
    pub income_categories: Vec<String>,
    /// Accounts whose incomes feed it (by name). With no categories and no
    /// accounts every income does.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// YYYY-MM-DD the setting applies from: default the beginning of the
    /// book for a new bucket (every income), today for a change.
    #[serde(default)]
    pub from: Option<String>,
}

/// `bucket move` / `POST …/buckets/moves`: a neutral move in the book's
/// main currency.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveBucket {
    pub from: String,
    pub to: String,
    /// Positive decimal.
    pub amount: String,
    /// YYYY-MM-DD
    pub date: String,
}

/// The query of `GET …/buckets`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BucketQuery {
    /// Figures as of the end of this day: YYYY-MM-DD, YYYY-MM or YYYY (default: everything)
    pub as_of: Option<String>,
}

impl BucketQuery {
    pub fn as_of(&self) -> AppResult<Option<Date>> {
        self.as_of.as_deref().map(|s| crate::dates::end(s).map_err(|e| AppError::invalid("as_of", e))).transpose()
    }
}

/// Every bucket of `book` (Unallocated last) as of `as_of`.
pub fn list(store: &dyn Store, book: BookId, as_of: Option<Date>) -> AppResult<Vec<BucketView>> {
    let log = BookLog::read(store, book)?;
    let main = log.main_currency()?;
    Ok(log.buckets().list(&log.ledger, as_of, main).into_iter().map(BucketView::from).collect())
}

/// Adds a bucket or changes its percentage from a date; refused, with
/// nothing stored, for an unknown category or account, or when the
/// percentages in effect on some date would exceed 100.
pub fn add(store: &dyn Store, actor: &str, book: BookId, today: Date, input: &AddBucket) -> AppResult<()> {
    let ledger = store.ledger(book)?;
    let buckets = definitions(store, book)?;
    let percent = parse_decimal(&input.percent).map_err(|e| AppError::invalid("percent", e))?;
    if percent.is_sign_negative() || percent > Decimal::ONE_HUNDRED {
        return Err(AppError::invalid("percent", format!("must be within 0 to 100, got {percent}")));
    }
    let from = match &input.from {
        Some(s) => LedgerDate::parse(s).map_err(|e| AppError::invalid("from", e))?,
        // A new bucket shares every income; a change applies from today.
        None if buckets.name(&input.name).is_none() => LedgerDate::known(1900, 1, 1),
        None => LedgerDate::new(today).map_err(|e| AppError::invalid("from", e))?,
    };
    let setting = BucketSet {
        name: input.name.trim().to_string(),
        percent,
        income_categories: input
            .income_categories
            .iter()
            .map(|c| ledger.resolve_category(c))
            .collect::<Result<_, _>>()?,
        accounts: input
            .accounts
            .iter()
            .map(|a| ledger.resolve_account(&AccountRef::Name(a.clone())).map(|a| a.id))
            .collect::<Result<_, _>>()?,
        from: from.get(),
    };
    buckets.check(&setting).map_err(|e| AppError::invalid("percent", e))?;
    let cmd = Command::SetBucket {
        name: setting.name,
        percent,
        income_categories: input.income_categories.clone(),
        accounts: input.accounts.iter().cloned().map(AccountRef::Name).collect(),
        from,
    };
    store.execute(book, actor, &[cmd])?;
    Ok(())
}

/// A neutral move between two known buckets (Unallocated is one).
pub fn move_between(store: &dyn Store, actor: &str, book: BookId, input: &MoveBucket) -> AppResult<()> {
    let buckets = definitions(store, book)?;
    let from = buckets.known(&input.from).map_err(|e| AppError::invalid("from", e))?;
    let to = buckets.known(&input.to).map_err(|e| AppError::invalid("to", e))?;
    let amount = parse_decimal(&input.amount).map_err(|e| AppError::invalid("amount", e))?;
    let amount =
        Money::new(amount, main_currency_of(&store.ledger(book)?)?).map_err(|e| AppError::invalid("amount", e))?;
    let date = LedgerDate::parse(&input.date).map_err(|e| AppError::invalid("date", e))?;
    store.execute(book, actor, &[Command::MoveBucket { from, to, amount, date }])?;
    Ok(())
}

/// The command that takes transaction `tx_id`'s spending from `bucket`,
/// or why not: the bucket must exist (`field` names where it was given).
pub fn assign(store: &dyn Store, book: BookId, field: &str, tx_id: TxId, bucket: &str) -> AppResult<Command> {
    assign_in(&definitions(store, book)?, tx_id, bucket).map_err(|e| unknown(field, e))
}

/// [`assign`] against buckets already folded: `tx add --bucket`, `tx
/// bucket` and a rule's `set_bucket` action all make their command here.
pub fn assign_in(buckets: &Buckets, tx_id: TxId, bucket: &str) -> Result<Command, BucketError> {
    Ok(Command::AssignBucket { tx_id, bucket: Some(buckets.known(bucket)?) })
}

/// Refuses rules whose `set_bucket` action names a bucket the book does not
/// have, naming the rule and the field; the log is read only when a rule
/// has such an action.
pub fn check_rules(store: &dyn Store, book: BookId, rules: &[Rule]) -> AppResult<()> {
    let named = |r: &Rule| {
        r.actions.iter().filter_map(|a| if let Action::SetBucket(b) = a { Some(b.clone()) } else { None }).collect()
    };
    let wanted: Vec<(&Rule, Vec<String>)> =
        rules.iter().map(|r| (r, named(r))).filter(|(_, b): &(_, Vec<String>)| !b.is_empty()).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let buckets = definitions(store, book)?;
    for (rule, names) in wanted {
        for name in names {
            buckets.known(&name).map_err(|e| unknown("set_bucket", format!("rule '{}': {e}", rule.name)))?;
        }
    }
    Ok(())
}

/// Takes an existing transaction's spending from `bucket`, or from none.
pub fn reassign(store: &dyn Store, actor: &str, book: BookId, tx_id: TxId, bucket: Option<&str>) -> AppResult<()> {
    let cmd = match bucket {
        Some(b) => assign(store, book, "bucket", tx_id, b)?,
        None => Command::AssignBucket { tx_id, bucket: None },
    };
    store.execute(book, actor, &[cmd])?;
    Ok(())
}

fn unknown(field: &str, e: impl std::fmt::Display) -> AppError {
    AppError::invalid(field, format!("{e} (the book's buckets are listed by bucket list)"))
}

impl App {
    /// The book's buckets as of `as_of`; viewers and up (not spenders:
    /// the figures are the whole book's).
    pub fn buckets(&self, actor: &Actor, book: BookId, as_of: Option<Date>) -> AppResult<Vec<BucketView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        list(self.store.as_ref(), book, as_of)
    }

    /// Adds a bucket or changes its percentage; editors and owners. The
    /// buckets as they now stand.
    pub fn add_bucket(&self, actor: &Actor, book: BookId, input: &AddBucket) -> AppResult<Vec<BucketView>> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        add(self.store.as_ref(), &actor.tag(), book, self.clock.today(), input)?;
        list(self.store.as_ref(), book, None)
    }

    /// A move between buckets; editors and owners.
    pub fn move_bucket(&self, actor: &Actor, book: BookId, input: &MoveBucket) -> AppResult<Vec<BucketView>> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        move_between(self.store.as_ref(), &actor.tag(), book, input)?;
        list(self.store.as_ref(), book, None)
    }
}
