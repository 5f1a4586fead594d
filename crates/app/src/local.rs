//! The ledger as whoever runs the `kassa` binary against a database sees
//! it: books by name, accounts, categories, transactions, transfers,
//! balances and the event log. Who can open the database file can do
//! anything in it; the CLI still acts as someone (`Acting`): before there
//! are users the operator, who owns every book, else a user, who sees the
//! books they hold a role on and whose name goes on the events.
//! The CLI parses and prints; the commands are built and decided here.

use jiff::civil::Date;
use kassa_core::access::BookRole;
use kassa_core::categorize::{Rule, rules};
use kassa_core::ledger::{convert, nearest};
use kassa_core::{
    AccountId, AccountKind, AccountRef, Amount, Book, BookId, CategoryId, CategoryName, Command, Currency, Iban,
    Ledger, LedgerDate, LedgerError, NewAccount, NewTransaction, NewTransfer, Owner, ParseError, Section, Status, TxId,
};
use kassa_store::access::UserRow;
use kassa_store::{BalanceRow, Store, StoreError, TxFilter, TxRow};
use serde::Serialize;

use crate::clock::{Clock, new_id};

/// What the local ledger refuses, with the ledger's own words.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// No book by that name; the message says what to do instead.
    #[error("{0}")]
    Book(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

pub type LocalResult<T> = Result<T, LocalError>;

/// The book `kassa init` opens, and the one picked when several are seen
/// and none is named.
pub const DEFAULT_BOOK: &str = "personal";

/// Who the CLI acts as.
#[derive(Debug, Clone)]
pub enum Acting {
    /// No user exists yet: whoever opens the database owns every book.
    Operator,
    /// A user: the books they hold a role on, their name on the events.
    User(UserRow),
    /// Several users and none chosen: their emails, for the error that asks.
    Unsure(Vec<String>),
}

/// Several users and no `--as`: which one?
fn unsure(emails: &[String]) -> LocalError {
    LocalError::Book(format!(
        "this database has {} users ({}): pass --as EMAIL (or set KASSA_AS) to say which one you are",
        emails.len(),
        emails.join(", ")
    ))
}

impl Acting {
    /// The acting user, as the role-checking use cases take a caller, or
    /// why there is none.
    pub fn user(&self) -> LocalResult<crate::Actor> {
        match self {
            Acting::User(u) => Ok(crate::Actor { user_id: u.id, platform_admin: u.platform_admin, token_id: None }),
            Acting::Operator => Err(LocalError::Book(
                "there are no users yet: add one with `kassa user add EMAIL --password-stdin`".into(),
            )),
            Acting::Unsure(emails) => Err(unsure(emails)),
        }
    }

    /// The `actor` recorded on the events: the user's, as the server
    /// records it, or the operator's login name.
    pub fn tag(&self) -> String {
        match self.user() {
            Ok(u) => u.tag(),
            Err(_) => {
                let login = std::env::var("USER").or_else(|_| std::env::var("USERNAME"));
                format!("cli:{}", login.as_deref().unwrap_or("unknown"))
            }
        }
    }
}

/// The local operator on one database.
#[derive(Clone, Copy)]
#[allow(missing_debug_implementations)]
pub struct Local<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    /// Who the events say did it.
    pub actor: &'a str,
}

/// A new account; `opened` defaults to today.
#[derive(Debug, Clone)]
pub struct AccountInput {
    pub name: String,
    pub kind: AccountKind,
    pub currency: Currency,
    pub iban: Option<Iban>,
    pub number: Option<String>,
    pub institution: Option<String>,
    pub location: Option<String>,
    pub opened: Option<LedgerDate>,
}

#[derive(Debug, Serialize)]
pub struct AccountRow {
    pub name: String,
    pub kind: AccountKind,
    pub currency: Currency,
    pub balance: String,
    pub iban: Option<String>,
    pub institution: Option<String>,
    pub location: Option<String>,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct BookRow {
    pub name: String,
    /// The owning user's email, an organisation's name, or the operator's.
    pub owner: String,
    /// The role the acting user holds.
    pub role: String,
    /// Who holds a role by a grant: "email role, …".
    pub members: String,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct CategoryRow {
    pub name: String,
    pub section: Section,
    pub id: String,
}

/// One amount on one account (+ inflow, − outflow).
#[derive(Debug, Clone)]
pub struct TxInput {
    pub account: String,
    pub date: LedgerDate,
    pub amount: Amount,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
    pub tags: Vec<String>,
    pub note: Option<String>,
    pub external_id: Option<String>,
    /// Not yet booked by the bank.
    pub pending: bool,
    /// The bucket its spending comes from.
    pub bucket: Option<String>,
}

/// Which transactions to list, newest `limit` if given.
#[derive(Debug, Clone, Default)]
pub struct TxListQuery {
    pub account: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// A category; its children match too.
    pub category: Option<String>,
    pub search: Option<String>,
    pub limit: Option<usize>,
}

/// A move between two own accounts; between currencies, what arrives is
/// `to_amount`, or `amount × rate` in the target currency's minor units.
#[derive(Debug, Clone)]
pub struct TransferInput {
    pub from: String,
    pub to: String,
    pub date: LedgerDate,
    pub amount: Amount,
    pub to_amount: Option<Amount>,
    /// Units of the target currency per unit of the source currency.
    pub rate: Option<Amount>,
    pub description: String,
}

#[derive(Debug, Serialize)]
pub struct EventRow {
    pub position: i64,
    pub stream: String,
    pub version: i64,
    pub r#type: &'static str,
    pub actor: String,
    pub occurred_at: Date,
    pub recorded_at: String,
    pub data: serde_json::Value,
}

impl Local<'_> {
    /// Who the CLI acts as: the user `as_email` names, else the only user,
    /// else — before anyone has an account — the operator.
    pub fn acting(&self, as_email: Option<&str>) -> LocalResult<Acting> {
        let users = self.store.users()?;
        let emails = || users.iter().map(|u| u.email.clone()).collect::<Vec<_>>().join(", ");
        match as_email {
            Some(e) => {
                let wanted = e.trim().to_lowercase();
                match users.iter().find(|u| u.email == wanted) {
                    Some(u) => Ok(Acting::User(u.clone())),
                    None if users.is_empty() => Err(LocalError::Book(format!(
                        "--as {e}: there are no users yet; add one with `kassa user add {e} --password-stdin`"
                    ))),
                    None => Err(LocalError::Book(format!("--as {e}: no such user (users: {})", emails()))),
                }
            }
            None => Ok(match users.as_slice() {
                [] => Acting::Operator,
                [only] => Acting::User(only.clone()),
                _ => Acting::Unsure(users.iter().map(|u| u.email.clone()).collect()),
            }),
        }
    }

    /// The books `acting` can see, with the role it holds on each (`None`
    /// for the operator, who owns them all).
    pub fn visible_books(&self, acting: &Acting) -> LocalResult<Vec<(Book, Option<BookRole>)>> {
        let books = self.store.books()?;
        match acting {
            Acting::Operator => Ok(books.into_iter().map(|b| (b, None)).collect()),
            Acting::User(u) => {
                let mut out = vec![];
                for b in books {
                    if let Some((role, _)) = crate::books::role_on(self.store, u.id, &b)? {
                        out.push((b, Some(role)));
                    }
                }
                Ok(out)
            }
            Acting::Unsure(emails) => Err(unsure(emails)),
        }
    }

    /// The book named `name` among those `acting` sees, or an error that
    /// says the nearest name. Without a name: the only book, else the one
    /// called "personal", else an error naming the choices.
    pub fn book(&self, acting: &Acting, name: Option<&str>) -> LocalResult<Book> {
        self.book_as(acting, name).map(|(b, _)| b)
    }

    /// [`Local::book`] with the role `acting` holds on it (`None` for the
    /// operator of a database without users, who holds them all).
    pub fn book_as(&self, acting: &Acting, name: Option<&str>) -> LocalResult<(Book, Option<BookRole>)> {
        let seen = self.visible_books(acting)?;
        let role = |b: &Book| seen.iter().find(|(x, _)| x.id == b.id).and_then(|(_, r)| *r);
        let books: Vec<Book> = seen.iter().map(|(b, _)| b.clone()).collect();
        let with_role = |b: &Book| Ok((b.clone(), role(b)));
        let names = || books.iter().map(|b| format!("'{}'", b.name)).collect::<Vec<_>>().join(", ");
        let none_yet = || match acting {
            Acting::User(u) => format!("{} has no books: open one with `kassa book add NAME`", u.email),
            _ => "no books yet: run `kassa init` first".to_string(),
        };
        let Some(name) = name else {
            if let [only] = books.as_slice() {
                return with_role(only);
            }
            if let Some(b) = books.iter().find(|b| b.name == DEFAULT_BOOK) {
                return with_role(b);
            }
            return Err(LocalError::Book(if books.is_empty() {
                none_yet()
            } else {
                format!("which book? there are {}: {} (pass --book NAME or set KASSA_BOOK)", books.len(), names())
            }));
        };
        if let Some(b) = books.iter().find(|b| b.name == name) {
            return with_role(b);
        }
        Err(LocalError::Book(match nearest(name, books.iter().map(|b| b.name.as_str())) {
            Some(n) => format!("unknown book '{name}' (did you mean '{n}'?)"),
            None if books.is_empty() => none_yet(),
            None => format!("unknown book '{name}'; the books are {}", names()),
        }))
    }

    /// Migrates the database and opens the book `name` unless `as_email`
    /// (or the only user) already sees one so named: the migrations
    /// applied, and whether the book is new. Once there are users the book
    /// is the acting user's; before, the operator's, and the first user
    /// added takes it over.
    pub fn init(&self, as_email: Option<&str>, name: &str) -> LocalResult<(Vec<String>, bool)> {
        let applied = self.store.migrate()?;
        let acting = self.acting(as_email)?;
        if self.visible_books(&acting)?.iter().any(|(b, _)| b.name == name) {
            return Ok((applied, false));
        }
        self.open_book(&acting, name)?;
        Ok((applied, true))
    }

    /// The books `acting` sees: whose they are, the role held, who else has one.
    pub fn book_rows(&self, acting: &Acting) -> LocalResult<Vec<BookRow>> {
        let users: Vec<UserRow> = self.store.users()?;
        let orgs = self.store.orgs()?;
        let mut rows = vec![];
        for (b, role) in self.visible_books(acting)? {
            let members = crate::books::members(self.store, b.id)?;
            let owner = match b.owner {
                // `kassa init`'s book: whoever took it over by a grant.
                Owner::Local => members
                    .iter()
                    .find(|m| m.role == BookRole::Owner.as_str())
                    .map_or_else(|| "operator (no users yet)".to_string(), |m| m.name.clone()),
                Owner::User(u) => users.iter().find(|x| x.id == u).map(|x| x.email.clone()).unwrap_or_default(),
                Owner::Organisation(o) => orgs.iter().find(|x| x.id == o).map(|x| x.name.clone()).unwrap_or_default(),
            };
            let members = members.into_iter().map(|m| format!("{} {}", m.name, m.role)).collect::<Vec<_>>().join(", ");
            rows.push(BookRow {
                name: b.name,
                owner,
                role: role.map_or("owner", |r| r.as_str()).to_string(),
                members,
                id: b.id.to_string(),
            });
        }
        Ok(rows)
    }

    /// Opens a book with the default categories, unless one has that name.
    /// The book belongs to the acting user, or to the operator before there are users.
    pub fn open_book(&self, acting: &Acting, name: &str) -> LocalResult<BookId> {
        if self.visible_books(acting)?.iter().any(|(b, _)| b.name == name) {
            return Err(LocalError::Book(format!("a book named '{name}' already exists")));
        }
        let owner = match acting {
            Acting::User(u) => Owner::User(u.id),
            _ => Owner::Local,
        };
        crate::users::open_book(self.store, self.actor, name, owner).map_err(|e| LocalError::Book(e.to_string()))
    }

    fn execute(&self, book: BookId, cmds: &[Command]) -> LocalResult<()> {
        self.store.execute(book, self.actor, cmds)?;
        Ok(())
    }

    pub fn open_account(&self, book: BookId, a: AccountInput) -> LocalResult<AccountId> {
        let account_id = AccountId(new_id());
        self.execute(
            book,
            &[Command::OpenAccount(NewAccount {
                account_id,
                name: a.name,
                kind: a.kind,
                currency: a.currency,
                iban: a.iban,
                number: a.number,
                institution: a.institution,
                location: a.location,
                opened_on: match a.opened {
                    Some(d) => d,
                    None => LedgerDate::new(self.clock.today())?,
                },
            })],
        )?;
        Ok(account_id)
    }

    /// The book's accounts by name, with their balances.
    pub fn accounts(&self, book: BookId) -> LocalResult<Vec<AccountRow>> {
        let ledger = self.store.ledger(book)?;
        let balances = self.store.balances(book, None)?;
        let mut rows: Vec<AccountRow> = ledger
            .accounts()
            .map(|a| AccountRow {
                name: a.name.clone(),
                kind: a.kind,
                currency: a.currency,
                balance: balances
                    .iter()
                    .find(|b| b.account == a.name)
                    .map(|b| b.balance.to_string())
                    .unwrap_or_default(),
                iban: a.iban.as_ref().map(|i| i.to_string()),
                institution: a.institution.clone(),
                location: a.location.clone(),
                id: a.id.to_string(),
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// `name` may be `Parent:Child`.
    pub fn add_category(&self, book: BookId, name: &str, section: Section) -> LocalResult<CategoryId> {
        let category_id = CategoryId(new_id());
        self.execute(book, &[Command::AddCategory { category_id, name: CategoryName::parse(name)?, section }])?;
        Ok(category_id)
    }

    /// The book's categories by section and name.
    pub fn categories(&self, book: BookId) -> LocalResult<Vec<CategoryRow>> {
        let ledger = self.store.ledger(book)?;
        let mut rows: Vec<CategoryRow> = ledger
            .categories()
            .map(|c| CategoryRow { name: c.name.to_string(), section: c.section, id: c.id.to_string() })
            .collect();
        rows.sort_by(|a, b| (a.section, &a.name).cmp(&(b.section, &b.name)));
        Ok(rows)
    }

    /// Records a transaction typed in, then categorises it like an imported
    /// one ([`crate::categorize::categorize_new`]).
    pub fn record(&self, book: BookId, t: TxInput) -> LocalResult<TxId> {
        let tx_id = TxId(new_id());
        let counterparty = crate::categorize::merchant_of(t.counterparty, &t.description);
        // Checked before anything is written: an unknown bucket stores nothing.
        let bucket = match &t.bucket {
            Some(b) => Some(
                crate::buckets::assign(self.store, book, "bucket", tx_id, b)
                    .map_err(|e| LocalError::Book(e.to_string()))?,
            ),
            None => None,
        };
        let record = Command::RecordTransaction(NewTransaction {
            tx_id,
            account: AccountRef::Name(t.account),
            date: t.date,
            amount: t.amount,
            description: t.description,
            category: t.category,
            counterparty,
            tags: t.tags,
            notes: t.note,
            external_id: t.external_id,
            status: if t.pending { Status::Pending } else { Status::Booked },
            category_source: None,
        });
        self.execute(book, &std::iter::once(record).chain(bucket).collect::<Vec<_>>())?;
        crate::categorize::categorize_new(self.store, self.clock, book, self.actor, tx_id)?;
        Ok(tx_id)
    }

    /// One row per account a transaction touches; names are checked first,
    /// so a typo is an error with a suggestion, not an empty list.
    pub fn transactions(&self, book: BookId, q: TxListQuery) -> LocalResult<Vec<TxRow>> {
        let ledger = self.store.ledger(book)?;
        let account = q.account.map(|a| ledger.resolve_account(&AccountRef::Name(a)).map(|a| a.id)).transpose()?;
        if let Some(c) = &q.category {
            check_category_filter(&ledger, c)?;
        }
        let filter = TxFilter {
            id: None,
            account,
            from: q.from,
            to: q.to,
            category: q.category,
            search: q.search,
            limit: q.limit,
        };
        Ok(self.store.transactions(book, &filter)?)
    }

    /// Deletes a transaction (the log keeps it; `--known-at` still sees it).
    pub fn delete(&self, book: BookId, tx: TxId) -> LocalResult<()> {
        self.execute(book, &[Command::DeleteTransaction { tx_id: tx }])
    }

    pub fn transfer(&self, book: BookId, t: TransferInput) -> LocalResult<TxId> {
        let to_amount = match (t.to_amount, t.rate) {
            (Some(x), _) => Some(x),
            (None, Some(rate)) => {
                let ledger = self.store.ledger(book)?;
                let to = ledger.resolve_account(&AccountRef::Name(t.to.clone()))?;
                // Both factors are below 10^14, so the product fits a
                // Decimal; what it comes to must be in range like any amount.
                let converted = convert(t.amount.get(), rate.get(), to.currency);
                Some(Amount::new(converted).map_err(|e| LocalError::Book(format!("rate {rate}: {e}")))?)
            }
            (None, None) => None,
        };
        let tx_id = TxId(new_id());
        self.execute(
            book,
            &[Command::Transfer(NewTransfer {
                tx_id,
                from: AccountRef::Name(t.from),
                to: AccountRef::Name(t.to),
                date: t.date,
                amount: t.amount,
                to_amount,
                description: t.description,
                external_id: None,
            })],
        )?;
        Ok(tx_id)
    }

    /// Balances at the end of `as_of`, else now.
    pub fn balances(&self, book: BookId, as_of: Option<Date>) -> LocalResult<Vec<BalanceRow>> {
        Ok(self.store.balances(book, as_of)?)
    }

    /// The newest `limit` events of the whole log, oldest first.
    pub fn events(&self, limit: usize) -> LocalResult<Vec<EventRow>> {
        Ok(self
            .store
            .tail(limit)?
            .into_iter()
            .map(|e| EventRow {
                position: e.position,
                r#type: e.event.type_name(),
                data: e.event.data(),
                stream: e.stream,
                version: e.version,
                actor: e.meta.actor,
                occurred_at: e.meta.occurred_at,
                recorded_at: e.meta.recorded_at.to_string(),
            })
            .collect())
    }
}

impl Local<'_> {
    /// The book's rules in the order they run.
    pub fn rules(&self, book: BookId) -> LocalResult<Vec<Rule>> {
        Ok(self.store.ledger(book)?.rules().cloned().collect())
    }

    /// Saves new rules; one whose id is taken is refused (edit it instead).
    pub fn add_rules(&self, book: BookId, rules: Vec<Rule>) -> LocalResult<()> {
        if let Some(r) = self.store.ledger(book)?.rules().find(|r| rules.iter().any(|n| n.id == r.id)) {
            return Err(LocalError::Book(format!("a rule with id '{}' exists; use `kassa rules edit`", r.id)));
        }
        self.save_rules(book, rules)
    }

    /// Saves rules, replacing those with the same ids; a rule without a
    /// position keeps the one it replaces or goes after all others, in the
    /// order given ([`rules::place`]).
    pub fn save_rules(&self, book: BookId, rules: Vec<Rule>) -> LocalResult<()> {
        crate::buckets::check_rules(self.store, book, &rules).map_err(|e| LocalError::Book(e.to_string()))?;
        let placed = rules::place(&self.rules(book)?, rules);
        self.execute(book, &placed.into_iter().map(Command::SaveRule).collect::<Vec<_>>())
    }

    /// The rules named in `first` run first, in that order, the rest after
    /// them as before; one write. Returns the new running order.
    pub fn reorder_rules(&self, book: BookId, first: &[String]) -> LocalResult<Vec<Rule>> {
        let moved = rules::reorder(&self.rules(book)?, first).map_err(|e| LocalError::Book(e.to_string()))?;
        self.execute(book, &moved.into_iter().map(Command::SaveRule).collect::<Vec<_>>())?;
        self.rules(book)
    }

    /// Replaces rule `id` with what `edit` makes of it.
    pub fn edit_rule<E: From<LocalError>>(
        &self,
        book: BookId,
        id: &str,
        edit: impl FnOnce(&Rule) -> Result<Rule, E>,
    ) -> Result<(), E> {
        let ledger = self.store.ledger(book).map_err(LocalError::from)?;
        let old =
            ledger.rules().find(|r| r.id == id).ok_or_else(|| LocalError::Book(format!("unknown rule '{id}'")))?;
        let edited = edit(old)?;
        crate::buckets::check_rules(self.store, book, std::slice::from_ref(&edited))
            .map_err(|e| LocalError::Book(e.to_string()))?;
        Ok(self.execute(book, &[Command::SaveRule(edited)])?)
    }

    pub fn delete_rule(&self, book: BookId, id: String) -> LocalResult<()> {
        self.execute(book, &[Command::DeleteRule { rule_id: id }])
    }

    /// Takes every open suggestion at `min` confidence or more, in one
    /// write; how many.
    pub fn accept_suggestions(&self, book: BookId, min: f64) -> LocalResult<usize> {
        let cmds: Vec<Command> = self
            .store
            .transactions(book, &TxFilter::default())?
            .iter()
            .filter_map(|r| {
                let s = r.suggestion.as_ref().filter(|s| s.confidence >= min)?;
                Some(Command::Recategorize { tx_id: r.id.parse().ok()?, category: Some(s.category.clone()) })
            })
            .collect();
        self.execute(book, &cmds)?;
        Ok(cmds.len())
    }
}

/// A filter names a category or a parent of some category.
fn check_category_filter(ledger: &Ledger, name: &str) -> LocalResult<()> {
    let prefix = format!("{}:", name.to_lowercase());
    if ledger.categories().any(|c| c.name.as_str().to_lowercase().starts_with(&prefix)) {
        return Ok(());
    }
    ledger.resolve_category(name)?;
    Ok(())
}
