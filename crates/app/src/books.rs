//! Books and everything in them, with the role checks: who may see or change
//! which book, account and transaction. Every API resource under
//! `/books/{book}` is one function here.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kassa_core::access::{AclCommand, BookRole, OrgRole, Principal, acl_stream, decide_acl};
use kassa_core::{
    AccountId, AccountKind, AccountRef, Amount, Book, BookId, CategoryId, CategoryName, Command, Currency, Iban,
    LedgerDate, LedgerError, NewAccount, NewTransaction, NewTransfer, OrgId, Owner, ParseError, Section, Status, TxId,
    UserId,
};
use kassa_store::access::{TxCursor, TxItem, TxPageQuery};
use kassa_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use super::{Actor, App, AppError, AppResult, new_id};

/// What the caller may do in one book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookAccess {
    pub book: Book,
    /// The highest role held; `Spender` when that is all.
    pub role: BookRole,
    /// For a spender: the accounts they may use.
    pub spender_accounts: Vec<AccountId>,
}

impl BookAccess {
    pub(crate) fn require(&self, role: BookRole) -> AppResult<()> {
        if self.role >= role && !(self.role == BookRole::Spender && role != BookRole::Spender) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("this needs the {} role on the book", role.as_str())))
        }
    }

    /// Viewers and up see everything; a spender sees their accounts.
    pub(crate) fn sees_account(&self, id: AccountId) -> bool {
        self.role != BookRole::Spender || self.spender_accounts.contains(&id)
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerView {
    /// `local`, `user` or `organisation`
    pub kind: String,
    pub id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookView {
    pub id: uuid::Uuid,
    pub name: String,
    pub owner: OwnerView,
    /// The caller's role: owner, editor, viewer or spender.
    pub role: String,
}

impl BookView {
    fn of(a: &BookAccess) -> BookView {
        let (kind, id) = match a.book.owner {
            Owner::Local => ("local", None),
            Owner::User(u) => ("user", Some(u.0)),
            Owner::Organisation(o) => ("organisation", Some(o.0)),
        };
        BookView {
            id: a.book.id.0,
            name: a.book.name.clone(),
            owner: OwnerView { kind: kind.into(), id },
            role: a.role.as_str().into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateBook {
    pub name: String,
    /// Create the book for an organisation the caller administers.
    #[serde(default)]
    pub org_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchBook {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: String,
    pub currency: String,
    pub iban: Option<String>,
    pub institution: Option<String>,
    /// Where the money is kept ("wallet", "home safe"), for cash.
    pub location: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub opened_on: Date,
    /// Current balance, a decimal string.
    pub balance: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub name: String,
    /// checking, savings, cash, credit_card, loan or brokerage
    pub kind: String,
    /// ISO 4217 code
    pub currency: String,
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub institution: Option<String>,
    /// Where the money is kept ("wallet", "home safe")
    #[serde(default)]
    pub location: Option<String>,
    /// YYYY-MM-DD; today when absent
    #[serde(default)]
    pub opened_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchAccount {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxView {
    pub id: uuid::Uuid,
    pub account_id: uuid::Uuid,
    pub account: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    /// Signed decimal string, in the account's currency.
    pub amount: String,
    pub currency: String,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
    pub status: String,
    /// The other own account of a transfer; to a spender, an account they
    /// may not use is `another account`.
    pub transfer_account: Option<String>,
}

/// What a spender sees as the name of an account they may not use.
pub const HIDDEN_ACCOUNT: &str = "another account";

impl From<TxItem> for TxView {
    fn from(t: TxItem) -> TxView {
        TxView {
            id: t.id.0,
            account_id: t.account_id.0,
            account: t.account,
            date: t.date,
            amount: t.amount.to_string(),
            currency: t.currency.code().to_string(),
            description: t.description,
            category: t.category,
            counterparty: t.counterparty,
            status: t.status,
            transfer_account: t.transfer_account,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxPage {
    pub items: Vec<TxView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Pass as `newer` for the previous (newer) page; absent on the first page.
    pub prev_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TxQuery {
    /// Account id
    pub account: Option<String>,
    /// First date, YYYY-MM-DD
    pub from: Option<String>,
    /// Last date, YYYY-MM-DD
    pub to: Option<String>,
    /// Category name (children included)
    pub category: Option<String>,
    /// Text in description or counterparty
    pub q: Option<String>,
    /// From a previous page's `next_cursor`
    pub cursor: Option<String>,
    /// From a page's `prev_cursor`: the page of newer rows before it
    pub newer: Option<String>,
    /// Smallest amount, by size (either sign), a decimal
    pub min_amount: Option<String>,
    /// Largest amount, by size (either sign), a decimal
    pub max_amount: Option<String>,
    /// Only transactions without a category
    pub uncategorized: Option<bool>,
    /// Page size, 1..=500 (default 100)
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTransaction {
    pub account_id: uuid::Uuid,
    /// YYYY-MM-DD
    pub date: String,
    /// Signed decimal string: + in, − out
    pub amount: String,
    pub description: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub counterparty: Option<String>,
    /// The bucket its spending comes from (`GET …/buckets`).
    #[serde(default)]
    pub bucket: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchTransaction {
    /// The new category name, or null for none.
    pub category: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTransfer {
    pub from_account_id: uuid::Uuid,
    pub to_account_id: uuid::Uuid,
    /// YYYY-MM-DD
    pub date: String,
    /// Positive decimal string, in the source account's currency
    pub amount: String,
    /// What arrives, when the currencies differ
    #[serde(default)]
    pub to_amount: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryView {
    pub id: uuid::Uuid,
    pub name: String,
    pub section: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    /// `Parent:Child` names
    pub name: String,
    /// income, expense or transfer
    pub section: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    /// `user` or `organisation`
    pub kind: String,
    pub id: uuid::Uuid,
    /// The user's email or the organisation's name
    pub name: String,
    pub role: String,
    pub account_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The user to grant to (or give `org_id`)
    #[serde(default)]
    pub email: Option<String>,
    /// The organisation whose members get the role
    #[serde(default)]
    pub org_id: Option<uuid::Uuid>,
    /// owner, editor, viewer or spender
    pub role: String,
    /// For `spender`: the one account they may use
    #[serde(default)]
    pub account_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalanceTotal {
    pub currency: String,
    pub kind: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryTotal {
    pub category: String,
    pub currency: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskFlags {
    pub overdrawn_accounts: i64,
    pub large_outflows: i64,
    /// Failing imports; null until imports are served by the API.
    pub failing_imports: Option<i64>,
}

/// Aggregates across every tenant; never a single transaction.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub users: i64,
    pub organisations: i64,
    pub books: i64,
    pub balances: Vec<BalanceTotal>,
    pub top_expense_categories: Vec<CategoryTotal>,
    pub risk_flags: RiskFlags,
}

/// A date from a body or a filter, in kassa's range (`LedgerDate`).
fn date(field: &str, s: &str) -> AppResult<LedgerDate> {
    LedgerDate::parse(s).map_err(|e| AppError::invalid(field, e))
}

fn opt_date(field: &str, s: &Option<String>) -> AppResult<Option<LedgerDate>> {
    s.as_deref().map(|s| date(field, s)).transpose()
}

fn name(field: &str, s: &str) -> AppResult<String> {
    let t = s.trim();
    if t.is_empty() || t.len() > 200 {
        return Err(AppError::invalid(field, "must be 1 to 200 characters"));
    }
    Ok(t.to_string())
}

/// An amount from a body or a filter, in kassa's range (`Amount`).
fn amount(field: &str, s: &str) -> AppResult<Amount> {
    Amount::parse(s).map_err(|e| AppError::invalid(field, e))
}

/// A write's refusal that is about one of its amounts — too many decimals
/// for the account's currency, or a balance or total it would take out of
/// range — names the field, like the checks above; `field_of` picks it from
/// the amount the refusal names, when there is one.
fn amount_refusal(field_of: impl Fn(Option<&str>) -> &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match &e {
        StoreError::Ledger(LedgerError::Parse(ParseError::AmountPrecision { amount, .. })) => {
            AppError::invalid(field_of(Some(amount)), e)
        }
        StoreError::Ledger(LedgerError::OutOfRange { .. }) => AppError::invalid(field_of(None), e),
        _ => e.into(),
    }
}

impl App {
    /// Today, as the day an account opens when none is given.
    fn today(&self) -> AppResult<LedgerDate> {
        LedgerDate::new(self.clock.today()).map_err(|e| AppError::Internal(format!("the clock says {e}")))
    }

    /// The caller's role on a book. A book the caller has no role on is "not
    /// found", never "forbidden": its existence is not disclosed. Remembered
    /// briefly (see `cache`).
    pub fn access(&self, actor: &Actor, book: BookId) -> AppResult<BookAccess> {
        self.cache.access(actor.user_id, book, || self.load_access(actor, book))
    }

    fn load_access(&self, actor: &Actor, book: BookId) -> AppResult<BookAccess> {
        let not_found = || AppError::NotFound("book".into());
        let b = self.store.book(book)?.ok_or_else(not_found)?;
        let (role, spender_accounts) = role_on(self.store.as_ref(), actor.user_id, &b)?.ok_or_else(not_found)?;
        Ok(BookAccess { book: b, role, spender_accounts })
    }

    pub fn list_books(&self, actor: &Actor) -> AppResult<Vec<BookView>> {
        let mut out = vec![];
        for b in self.store.books()? {
            if let Ok(a) = self.access(actor, b.id) {
                out.push(BookView::of(&a));
            }
        }
        Ok(out)
    }

    pub fn create_book(&self, actor: &Actor, input: &CreateBook) -> AppResult<BookView> {
        let book_name = name("name", &input.name)?;
        let owner = match input.org_id {
            None => Owner::User(actor.user_id),
            Some(org) => {
                let org = OrgId(org);
                let role = self.store.org_members(Some(org), Some(actor.user_id))?.first().map(|m| m.role);
                match role {
                    Some(OrgRole::Admin) => Owner::Organisation(org),
                    Some(OrgRole::Member) => {
                        return Err(AppError::Forbidden("only an organisation admin can create its books".into()));
                    }
                    None => return Err(AppError::invalid("org_id", "unknown organisation")),
                }
            }
        };
        let id = crate::users::open_book(self.store.as_ref(), &actor.tag(), &book_name, owner)?;
        self.book_view(actor, id)
    }

    pub fn book_view(&self, actor: &Actor, book: BookId) -> AppResult<BookView> {
        Ok(BookView::of(&self.access(actor, book)?))
    }

    pub fn rename_book(&self, actor: &Actor, book: BookId, input: &PatchBook) -> AppResult<BookView> {
        self.access(actor, book)?.require(BookRole::Owner)?;
        let cmd = Command::RenameBook { name: name("name", &input.name)? };
        self.write_book(actor, book, cmd)?;
        self.book_view(actor, book)
    }

    pub fn close_book(&self, actor: &Actor, book: BookId) -> AppResult<()> {
        self.access(actor, book)?.require(BookRole::Owner)?;
        self.write_book(actor, book, Command::CloseBook)
    }

    /// A change to the book itself, which `BookAccess` holds: the access
    /// cache is emptied after the commit.
    fn write_book(&self, actor: &Actor, book: BookId, cmd: Command) -> AppResult<()> {
        let written = self.store.execute(book, &actor.tag(), &[cmd]);
        self.cache.invalidate();
        written?;
        Ok(())
    }

    pub fn accounts(&self, actor: &Actor, book: BookId) -> AppResult<Vec<AccountView>> {
        let access = self.access(actor, book)?;
        let ledger = self.store.ledger(book)?;
        let balances: BTreeMap<String, String> =
            self.store.balances(book, None)?.into_iter().map(|b| (b.account, b.balance.to_string())).collect();
        Ok(ledger
            .accounts()
            .filter(|a| access.sees_account(a.id))
            .map(|a| AccountView {
                id: a.id.0,
                name: a.name.clone(),
                kind: a.kind.as_str().into(),
                currency: a.currency.to_string(),
                iban: a.iban.as_ref().map(|i| i.as_str().to_string()),
                institution: a.institution.clone(),
                location: a.location.clone(),
                opened_on: a.opened_on,
                balance: balances.get(&a.name).cloned().unwrap_or_else(|| "0".into()),
            })
            .collect())
    }

    pub fn account(&self, actor: &Actor, book: BookId, id: AccountId) -> AppResult<AccountView> {
        self.accounts(actor, book)?
            .into_iter()
            .find(|a| a.id == id.0)
            .ok_or_else(|| AppError::NotFound("account".into()))
    }

    pub fn create_account(&self, actor: &Actor, book: BookId, input: &CreateAccount) -> AppResult<AccountView> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        let account_id = AccountId(new_id());
        let cmd = Command::OpenAccount(NewAccount {
            account_id,
            name: name("name", &input.name)?,
            kind: input.kind.parse::<AccountKind>().map_err(|e| AppError::invalid("kind", e))?,
            currency: Currency::parse(&input.currency).map_err(|e| AppError::invalid("currency", e))?,
            iban: input.iban.as_deref().map(Iban::parse).transpose().map_err(|e| AppError::invalid("iban", e))?,
            number: input.number.clone(),
            institution: input.institution.clone(),
            location: input.location.clone(),
            opened_on: match opt_date("opened_on", &input.opened_on)? {
                Some(d) => d,
                None => self.today()?,
            },
        });
        self.store.execute(book, &actor.tag(), &[cmd])?;
        self.account(actor, book, account_id)
    }

    pub fn rename_account(
        &self,
        actor: &Actor,
        book: BookId,
        id: AccountId,
        input: &PatchAccount,
    ) -> AppResult<AccountView> {
        let access = self.access(actor, book)?;
        if !access.sees_account(id) {
            return Err(AppError::NotFound("account".into()));
        }
        access.require(BookRole::Editor)?;
        self.account(actor, book, id)?;
        let cmd = Command::RenameAccount { account_id: id, name: name("name", &input.name)? };
        self.store.execute(book, &actor.tag(), &[cmd])?;
        self.account(actor, book, id)
    }

    pub fn transactions(&self, actor: &Actor, book: BookId, q: &TxQuery) -> AppResult<TxPage> {
        let access = self.access(actor, book)?;
        let account = q
            .account
            .as_deref()
            .map(|a| a.parse::<uuid::Uuid>().map(AccountId).map_err(|_| AppError::invalid("account", "not an id")))
            .transpose()?;
        let account = match (access.role, account) {
            (BookRole::Spender, Some(a)) if !access.sees_account(a) => {
                return Err(AppError::NotFound("account".into()));
            }
            (BookRole::Spender, None) => access.spender_accounts.first().copied(),
            (_, a) => a,
        };
        let limit = q.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 500"));
        }
        let cursor = |field: &str, c: &Option<String>| {
            c.as_deref()
                .map(|c| TxCursor::decode(c).ok_or_else(|| AppError::invalid(field, "not a cursor from this API")))
                .transpose()
        };
        let (before, after) = (cursor("cursor", &q.cursor)?, cursor("newer", &q.newer)?);
        let size = |field: &str, s: &Option<String>| -> AppResult<Option<Amount>> {
            let Some(d) = s.as_deref().map(|s| amount(field, s)).transpose()? else { return Ok(None) };
            if d.get().is_sign_negative() {
                return Err(AppError::invalid(field, "is compared with the amount's size: give it without a sign"));
            }
            Ok(Some(d))
        };
        let (min_amount, max_amount) = (size("min_amount", &q.min_amount)?, size("max_amount", &q.max_amount)?);
        if let (Some(min), Some(max)) = (min_amount, max_amount)
            && min > max
        {
            return Err(AppError::invalid("max_amount", "must not be below min_amount"));
        }
        let query = TxPageQuery {
            account,
            from: opt_date("from", &q.from)?.map(LedgerDate::get),
            to: opt_date("to", &q.to)?.map(LedgerDate::get),
            category: q.category.clone().filter(|c| !c.trim().is_empty()),
            search: q.q.clone().filter(|s| !s.trim().is_empty()),
            tx: None,
            before,
            after,
            min_amount,
            max_amount,
            uncategorized: q.uncategorized.unwrap_or(false),
            limit: limit as usize + 1,
        };
        let mut rows = self.store.tx_page(book, &query)?;
        self.hide_unshared_accounts(&access, &mut rows)?;
        let more = rows.len() > limit as usize;
        // Paging back, the extra row is the newest one, beyond the page.
        if more && after.is_some() {
            rows.remove(0);
        }
        rows.truncate(limit as usize);
        // A page reached by a cursor has rows on the side it came from.
        let (older, newer) = if after.is_some() { (true, more) } else { (more, before.is_some()) };
        let next_cursor = older.then(|| rows.last().map(|r| r.cursor.encode())).flatten();
        let prev_cursor = newer.then(|| rows.first().map(|r| r.cursor.encode())).flatten();
        Ok(TxPage { items: rows.into_iter().map(TxView::from).collect(), next_cursor, prev_cursor })
    }

    pub fn transaction(&self, actor: &Actor, book: BookId, id: TxId) -> AppResult<TxView> {
        let access = self.access(actor, book)?;
        self.transaction_seen(&access, id)
    }

    pub(crate) fn transaction_seen(&self, access: &BookAccess, id: TxId) -> AppResult<TxView> {
        let q = TxPageQuery { tx: Some(id), limit: 8, ..TxPageQuery::default() };
        let mut rows: Vec<TxItem> =
            self.store.tx_page(access.book.id, &q)?.into_iter().filter(|r| access.sees_account(r.account_id)).collect();
        self.hide_unshared_accounts(access, &mut rows)?;
        rows.into_iter().next().map(TxView::from).ok_or_else(|| AppError::NotFound("transaction".into()))
    }

    /// A spender sees the names of the accounts they may use and of no
    /// other: a transfer to or from one of those shows [`HIDDEN_ACCOUNT`]
    /// as its other side, still marked as a transfer.
    fn hide_unshared_accounts(&self, access: &BookAccess, rows: &mut [TxItem]) -> AppResult<()> {
        if access.role != BookRole::Spender || rows.iter().all(|r| r.transfer_account.is_none()) {
            return Ok(());
        }
        let ledger = self.store.ledger(access.book.id)?;
        let shared: Vec<&str> =
            access.spender_accounts.iter().filter_map(|a| ledger.account(*a)).map(|a| a.name.as_str()).collect();
        for r in rows {
            if r.transfer_account.as_deref().is_some_and(|name| !shared.contains(&name)) {
                r.transfer_account = Some(HIDDEN_ACCOUNT.into());
            }
        }
        Ok(())
    }

    pub fn create_transaction(&self, actor: &Actor, book: BookId, input: &CreateTransaction) -> AppResult<TxView> {
        let access = self.access(actor, book)?;
        let account = AccountId(input.account_id);
        if access.role == BookRole::Spender {
            if !access.sees_account(account) {
                return Err(AppError::Forbidden("a spender records on their own account only".into()));
            }
        } else {
            access.require(BookRole::Editor)?;
        }
        let tx_id = TxId(new_id());
        let cmd = Command::RecordTransaction(NewTransaction {
            tx_id,
            account: AccountRef::Id(account),
            date: date("date", &input.date)?,
            amount: amount("amount", &input.amount)?,
            description: input.description.trim().to_string(),
            category: input.category.clone().filter(|c| !c.trim().is_empty()),
            counterparty: crate::categorize::merchant_of(input.counterparty.clone(), &input.description),
            tags: vec![],
            notes: None,
            external_id: None,
            status: Status::Booked,
            // A category given through the API is the caller's own choice: manual.
            category_source: None,
        });
        // Checked before anything is written: an unknown bucket stores nothing.
        let bucket = match input.bucket.as_deref().filter(|b| !b.trim().is_empty()) {
            Some(b) => Some(crate::buckets::assign(self.store.as_ref(), book, "bucket", tx_id, b)?),
            None => None,
        };
        let cmds: Vec<Command> = std::iter::once(cmd).chain(bucket).collect();
        self.store.execute(book, &actor.tag(), &cmds).map_err(amount_refusal(|_| "amount"))?;
        crate::categorize::categorize_new(self.store.as_ref(), self.clock.as_ref(), book, &actor.tag(), tx_id)?;
        self.transaction_seen(&access, tx_id)
    }

    pub fn recategorize(&self, actor: &Actor, book: BookId, id: TxId, input: &PatchTransaction) -> AppResult<TxView> {
        let access = self.access(actor, book)?;
        self.transaction_seen(&access, id)?;
        access.require(BookRole::Editor)?;
        // A manual choice, which the book's categoriser learns at once.
        let category = input.category.clone().filter(|c| !c.trim().is_empty());
        crate::categorize::correct(self.store.as_ref(), book, &actor.tag(), id, category)?;
        self.transaction_seen(&access, id)
    }

    pub fn delete_transaction(&self, actor: &Actor, book: BookId, id: TxId) -> AppResult<()> {
        let access = self.access(actor, book)?;
        self.transaction_seen(&access, id)?;
        access.require(BookRole::Editor)?;
        self.store.execute(book, &actor.tag(), &[Command::DeleteTransaction { tx_id: id }])?;
        Ok(())
    }

    pub fn transfer(&self, actor: &Actor, book: BookId, input: &CreateTransfer) -> AppResult<TxView> {
        let access = self.access(actor, book)?;
        access.require(BookRole::Editor)?;
        let tx_id = TxId(new_id());
        let cmd = Command::Transfer(NewTransfer {
            tx_id,
            from: AccountRef::Id(AccountId(input.from_account_id)),
            to: AccountRef::Id(AccountId(input.to_account_id)),
            date: date("date", &input.date)?,
            amount: amount("amount", &input.amount)?,
            to_amount: input.to_amount.as_deref().map(|a| amount("to_amount", a)).transpose()?,
            description: input.description.clone().unwrap_or_else(|| "Transfer".into()),
            external_id: None,
        });
        // A refusal naming the received amount is about `to_amount`; a
        // balance out of range comes from the amount sent or received alike.
        let received = input.to_amount.as_deref().and_then(|a| Amount::parse(a).ok()).map(Amount::get);
        let field = |named: Option<&str>| match named.and_then(|n| n.parse::<rust_decimal::Decimal>().ok()) {
            Some(n) if Some(n) == received => "to_amount",
            _ => "amount",
        };
        self.store.execute(book, &actor.tag(), &[cmd]).map_err(amount_refusal(field))?;
        self.transaction_seen(&access, tx_id)
    }

    pub fn categories(&self, actor: &Actor, book: BookId) -> AppResult<Vec<CategoryView>> {
        self.access(actor, book)?;
        let ledger = self.store.ledger(book)?;
        let mut out: Vec<CategoryView> = ledger
            .categories()
            .map(|c| CategoryView { id: c.id.0, name: c.name.as_str().into(), section: c.section.as_str().into() })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn create_category(&self, actor: &Actor, book: BookId, input: &CreateCategory) -> AppResult<CategoryView> {
        self.access(actor, book)?.require(BookRole::Editor)?;
        let category_id = CategoryId(new_id());
        let name = CategoryName::parse(&input.name).map_err(|e| AppError::invalid("name", e))?;
        let section = input.section.parse::<Section>().map_err(|e| AppError::invalid("section", e))?;
        self.store.execute(book, &actor.tag(), &[Command::AddCategory { category_id, name: name.clone(), section }])?;
        Ok(CategoryView { id: category_id.0, name: name.as_str().into(), section: section.as_str().into() })
    }

    pub fn members(&self, actor: &Actor, book: BookId) -> AppResult<Vec<MemberView>> {
        self.access(actor, book)?.require(BookRole::Viewer)?;
        Ok(members(self.store.as_ref(), book)?)
    }

    pub fn add_member(&self, actor: &Actor, book: BookId, input: &AddMember) -> AppResult<Vec<MemberView>> {
        self.access(actor, book)?.require(BookRole::Owner)?;
        let principal = match (&input.email, input.org_id) {
            (Some(email), None) => Principal::User(self.grantee(actor, email)?.id),
            // Only to an organisation the owner administers: a role given to
            // an organisation shows the book to all its members, which is
            // the organisation's admins' call, not a stranger's. One answer
            // for "not yours" and "no such one": ids are not probed either.
            (None, Some(org)) => {
                let admin = self.store.org_members(Some(OrgId(org)), Some(actor.user_id))?;
                if !admin.iter().any(|m| m.role == OrgRole::Admin) {
                    return Err(AppError::invalid("org_id", "not an organisation you administer"));
                }
                Principal::Organisation(OrgId(org))
            }
            _ => return Err(AppError::invalid("email", "give exactly one of email and org_id")),
        };
        let role = BookRole::parse(&input.role)
            .ok_or_else(|| AppError::invalid("role", "expected owner, editor, viewer or spender"))?;
        let account_id = input.account_id.map(AccountId);
        if let Some(a) = account_id
            && self.store.ledger(book)?.account(a).is_none()
        {
            return Err(AppError::invalid("account_id", "no such account in this book"));
        }
        let cmd = AclCommand::Grant { principal, role, account_id };
        self.write_access(&acl_stream(book), &actor.tag(), &|h| Ok(decide_acl(book, h, &cmd)?))?;
        self.members(actor, book)
    }

    pub fn remove_member(&self, actor: &Actor, book: BookId, member: uuid::Uuid) -> AppResult<()> {
        self.access(actor, book)?.require(BookRole::Owner)?;
        let grant = self.store.book_grants(Some(book), &[])?.into_iter().find(|g| match g.principal {
            Principal::User(u) => u.0 == member,
            Principal::Organisation(o) => o.0 == member,
        });
        let Some(g) = grant else { return Err(AppError::NotFound("member".into())) };
        let cmd = AclCommand::Revoke { principal: g.principal };
        self.write_access(&acl_stream(book), &actor.tag(), &|h| Ok(decide_acl(book, h, &cmd)?))?;
        Ok(())
    }

    pub fn overview(&self, actor: &Actor) -> AppResult<Overview> {
        if !actor.platform_admin {
            return Err(AppError::Forbidden("only a platform admin sees the overview".into()));
        }
        let mut o = self.store.admin_overview()?;
        self.add_securities(&mut o.balances)?;
        Ok(Overview {
            users: o.users,
            organisations: o.organisations,
            books: o.books,
            balances: o
                .balances
                .into_iter()
                .map(|(c, kind, t)| BalanceTotal { currency: c.to_string(), kind, total: t.to_string() })
                .collect(),
            top_expense_categories: o
                .top_expenses
                .into_iter()
                .map(|(category, c, t)| CategoryTotal { category, currency: c.to_string(), total: t.to_string() })
                .collect(),
            risk_flags: RiskFlags {
                overdrawn_accounts: o.overdrawn_accounts,
                large_outflows: o.large_outflows,
                failing_imports: None,
            },
        })
    }
}

impl App {
    /// The overview's brokerage totals count the securities every book's
    /// brokerage accounts hold today, at market (issue 16), in the currency
    /// each is valued in; only sums leave this function.
    fn add_securities(&self, balances: &mut Vec<(Currency, String, rust_decimal::Decimal)>) -> AppResult<()> {
        let today = [self.clock.today()];
        let want = kassa_core::report::Wanted { flows: false, counterparties: false, daily: false };
        for book in self.store.books()? {
            let accounts = self.store.report_facts(book.id, None, want)?.accounts;
            let held = crate::portfolio::securities_value(self.store.as_ref(), book.id, &accounts, &today)?;
            for a in &accounts {
                for (currency, value) in held.at(a.id, 0) {
                    let kind = a.kind.to_string();
                    match balances.iter_mut().find(|(c, k, _)| *c == currency && *k == kind) {
                        Some(line) => line.2 += value,
                        None => balances.push((currency, kind, value)),
                    }
                }
            }
        }
        Ok(())
    }
}

/// The highest role `user` holds on `book` — as its owner, through an
/// organisation, or by a grant — and the accounts a spender grant ties them
/// to; `None` when they hold none. The server's access check and the CLI's
/// `--as` both ask this.
pub fn role_on(store: &dyn Store, user: UserId, book: &Book) -> Result<Option<(BookRole, Vec<AccountId>)>, StoreError> {
    let orgs: BTreeMap<OrgId, OrgRole> =
        store.org_members(None, Some(user))?.into_iter().map(|m| (m.org_id, m.role)).collect();
    let mut role = match book.owner {
        Owner::User(u) if u == user => Some(BookRole::Owner),
        Owner::Organisation(o) => match orgs.get(&o) {
            Some(OrgRole::Admin) => Some(BookRole::Owner),
            Some(OrgRole::Member) => Some(BookRole::Viewer),
            None => None,
        },
        _ => None,
    };
    let mut spender_accounts = vec![];
    for g in store.book_grants(Some(book.id), &[])? {
        let mine = match g.principal {
            Principal::User(u) => u == user,
            Principal::Organisation(o) => orgs.contains_key(&o),
        };
        if !mine {
            continue;
        }
        if let Some(a) = g.account_id {
            spender_accounts.push(a);
        }
        role = role.max(Some(g.role));
    }
    Ok(role.map(|r| (r, spender_accounts)))
}

/// Who holds a role on `book` by a grant, by name.
pub fn members(store: &dyn Store, book: BookId) -> Result<Vec<MemberView>, StoreError> {
    let users: BTreeMap<UserId, String> = store.users()?.into_iter().map(|u| (u.id, u.email)).collect();
    let orgs: BTreeMap<OrgId, String> = store.orgs()?.into_iter().map(|o| (o.id, o.name)).collect();
    Ok(store
        .book_grants(Some(book), &[])?
        .into_iter()
        .map(|g| {
            let (kind, id, name) = match g.principal {
                Principal::User(u) => ("user", u.0, users.get(&u).cloned().unwrap_or_default()),
                Principal::Organisation(o) => ("organisation", o.0, orgs.get(&o).cloned().unwrap_or_default()),
            };
            MemberView {
                kind: kind.into(),
                id,
                name,
                role: g.role.as_str().into(),
                account_id: g.account_id.map(|a| a.0),
            }
        })
        .collect())
}
