//! `/transactions`: the register with search and filters, a category
//! select per row, categorising ticked rows at once, and keyset paging
//! (newer / older by cursor), so a page costs the same on page 1 as on
//! page 10,000 of a million rows. The table itself (`_txtable.html`,
//! [`TxTable`]) is shared with the account page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kassa_core::{BookId, Currency, TxId};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::home::empty_page;
use super::{Layout, Nav, PageError, PageResult, Session, encode, load, render, safe_next};
use crate::charts::money;
use kassa_app::books::{AccountView, CategoryView, PatchTransaction, TxPage, TxQuery, TxView};
use kassa_app::{App, AppError};

/// Rows per register page: small enough that a phone gets it quickly
/// with a category select on every row.
pub const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/transactions", get(page))
        .route("/transactions/category", post(bulk))
        .route("/transactions/{id}/category", post(inline))
}

/// An amount as shown: formatted, with the class that colours its sign.
#[derive(Debug, Clone)]
pub struct Amount {
    pub text: String,
    pub class: &'static str,
}

impl Amount {
    pub fn of(amount: Decimal, currency: Currency) -> Amount {
        let class = if amount.is_zero() {
            ""
        } else if amount.is_sign_negative() {
            "neg"
        } else {
            "pos"
        };
        Amount { text: money(amount, currency), class }
    }

    /// An API decimal string in a currency's code, as the register gives them.
    pub fn parse(amount: &str, currency: &str) -> Amount {
        match (amount.parse::<Decimal>(), Currency::parse(currency)) {
            (Ok(a), Ok(c)) => Amount::of(a, c),
            _ => Amount { text: format!("{amount} {currency}"), class: "" },
        }
    }
}

/// One register row as the table shows it.
#[derive(Debug, Clone)]
pub struct TxLine {
    pub id: uuid::Uuid,
    pub date: String,
    pub description: String,
    pub counterparty: Option<String>,
    pub account_id: uuid::Uuid,
    pub account: String,
    pub category: Option<String>,
    /// The other own account of a transfer (which takes no category).
    pub transfer_account: Option<String>,
    pub amount: Amount,
}

impl TxLine {
    pub fn of(t: &TxView) -> TxLine {
        TxLine {
            id: t.id,
            date: t.date.to_string(),
            description: t.description.clone(),
            counterparty: t.counterparty.clone(),
            account_id: t.account_id,
            account: t.account.clone(),
            category: t.category.clone(),
            transfer_account: t.transfer_account.clone(),
            amount: Amount::parse(&t.amount, &t.currency),
        }
    }

    pub fn has_category(&self, name: &str) -> bool {
        self.category.as_deref() == Some(name)
    }
}

/// The register table with its controls; the template is `_txtable.html`.
#[derive(Debug, Clone)]
pub struct TxTable {
    pub label: String,
    pub rows: Vec<TxLine>,
    pub show_account: bool,
    /// Offer the category controls (owners and editors; the app refuses others).
    pub can_edit: bool,
    pub categories: Vec<CategoryView>,
    pub book: uuid::Uuid,
    /// Where the forms come back to after a change.
    pub back: String,
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl TxTable {
    /// Rows without controls or paging (the home page's newest rows).
    pub fn plain(label: String, items: &[TxView], book: uuid::Uuid) -> TxTable {
        TxTable {
            label,
            rows: items.iter().map(TxLine::of).collect(),
            show_account: true,
            can_edit: false,
            categories: vec![],
            book,
            back: "/".into(),
            newer: None,
            older: None,
        }
    }

    /// A page of the register with its paging links to `path` under the same filters.
    pub fn new(session: &Session, label: String, page: TxPage, path: &str, q: &TxQuery) -> Result<TxTable, PageError> {
        let book = session.book()?.id;
        Ok(TxTable {
            show_account: q.account.is_none(),
            can_edit: session.can_edit(),
            back: without_flash(&session.here),
            newer: page.prev_cursor.as_ref().map(|c| link(path, book, q, ("newer", c))),
            older: page.next_cursor.as_ref().map(|c| link(path, book, q, ("cursor", c))),
            ..TxTable::plain(label, &page.items, book)
        })
    }

    /// Loads what the category selects offer, for those who get them.
    pub async fn with_categories(mut self, app: &App, session: &Session) -> Result<TxTable, PageError> {
        if self.can_edit {
            let (actor, book) = (session.actor, session.book_id()?);
            self.categories = load(app, move |app| app.categories(&actor, book)).await?;
        }
        Ok(self)
    }
}

/// `path` with the filters of `q`, the book and one cursor.
fn link(path: &str, book: uuid::Uuid, q: &TxQuery, cursor: (&str, &str)) -> String {
    let mut url = format!("{path}?book={book}");
    let limit = q.limit.filter(|l| *l != PAGE_SIZE).map(|l| l.to_string());
    let uncategorized = q.uncategorized.filter(|u| *u).map(|_| "true".to_string());
    let params = [
        ("q", &q.q),
        ("account", &q.account),
        ("category", &q.category),
        ("from", &q.from),
        ("to", &q.to),
        ("min_amount", &q.min_amount),
        ("max_amount", &q.max_amount),
        ("uncategorized", &uncategorized),
        ("limit", &limit),
    ];
    for (k, v) in params.into_iter().filter_map(|(k, v)| Some((k, v.as_deref()?))).chain([cursor]) {
        url.push_str(&format!("&{k}={}", encode(v)));
    }
    url
}

/// The page's query: the API's filters, with the empty fields a GET form
/// sends taken as absent.
fn filters(mut q: TxQuery) -> TxQuery {
    for f in [
        &mut q.q,
        &mut q.account,
        &mut q.category,
        &mut q.from,
        &mut q.to,
        &mut q.min_amount,
        &mut q.max_amount,
        &mut q.cursor,
        &mut q.newer,
    ] {
        *f = f.take().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    }
    q.limit = q.limit.or(Some(PAGE_SIZE));
    q
}

/// What a form's redirect asks the page to announce. Only a code, a
/// transaction id and a count come from the URL: the words are fixed here
/// and the names are read from the book, so a link cannot make a page say
/// something the ledger does not.
#[derive(Debug, Default, Deserialize)]
pub struct FlashQuery {
    done: Option<String>,
    error: Option<String>,
    /// The (first) transaction the change moved.
    tx: Option<String>,
    /// How many a bulk change moved.
    n: Option<usize>,
}

/// The query keys a flash uses, dropped from the way back to a page.
const FLASH_KEYS: [&str; 4] = ["done", "error", "tx", "n"];

/// A refused change's code in `?error=` and what the page says for it.
const ERRORS: [(&str, &str); 4] = [
    ("none", "Nothing changed: choose at least one transaction."),
    ("too_many", "Nothing changed: choose fewer transactions at once."),
    ("category", "Nothing changed: this book has no such category."),
    ("refused", "Nothing changed: the change was not accepted."),
];

/// What a page shows above its table, once.
#[derive(Debug, Default)]
pub struct Flash {
    pub done: Option<String>,
    pub error: Option<&'static str>,
}

impl FlashQuery {
    /// The texts to show: `done=moved` names where the transaction `tx`
    /// is now, as the book holds it; an unknown code shows nothing.
    pub fn resolve(&self, app: &App, actor: &kassa_app::Actor, book: BookId) -> kassa_app::AppResult<Flash> {
        let error = self.error.as_deref().and_then(|e| ERRORS.iter().find(|(code, _)| *code == e)).map(|(_, t)| *t);
        let moved = match (self.done.as_deref(), self.tx.as_deref().and_then(|t| t.parse().ok())) {
            (Some("moved"), Some(id)) => match app.transaction(actor, book, TxId(id)) {
                Ok(tx) => Some(tx),
                Err(AppError::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
            _ => None,
        };
        let done = moved.map(|tx| {
            let to = tx.category.as_deref().unwrap_or("no category");
            match self.n {
                None => format!("“{}” is now in {to}.", tx.description),
                Some(n) => format!("{n} {} now in {to}.", if n == 1 { "transaction" } else { "transactions" }),
            }
        });
        Ok(Flash { done, error })
    }
}

/// A local path back to a page, without the previous flash.
fn without_flash(path: &str) -> String {
    let path = safe_next(Some(path));
    let Some((base, query)) = path.split_once('?') else { return path.to_string() };
    let flash = |kv: &str| FLASH_KEYS.contains(&kv.split('=').next().unwrap_or(kv));
    let kept: Vec<&str> = query.split('&').filter(|kv| !flash(kv)).collect();
    if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) }
}

/// Post/Redirect/Get: back to `next` with the flash's query pairs.
fn back_with(next: Option<&str>, flash: &[(&str, String)]) -> Response {
    let mut back = without_flash(next.unwrap_or("/transactions"));
    for (k, v) in flash {
        back.push(if back.contains('?') { '&' } else { '?' });
        back.push_str(&format!("{k}={}", encode(v)));
    }
    Redirect::to(&back).into_response()
}

/// A refused form: a field's complaint goes back to the page as an error
/// code; "not yours" and "not allowed" stay error pages with their status.
/// `chosen` is how many transactions the form named.
fn refused(next: Option<&str>, chosen: usize, e: PageError) -> PageResult {
    if e.0.status != axum::http::StatusCode::UNPROCESSABLE_ENTITY {
        return Err(e);
    }
    let code = match e.0.code {
        "unknown_category" => "category",
        "invalid_field" if chosen == 0 => "none",
        "invalid_field" if chosen > kassa_app::dashboard::BULK_LIMIT => "too_many",
        _ => "refused",
    };
    Ok(back_with(next, &[("error", code.to_string())]))
}

/// The filter form's fields as given, to show them again.
#[derive(Debug, Clone)]
struct FilterForm {
    q: String,
    account: String,
    category: String,
    from: String,
    to: String,
    min_amount: String,
    max_amount: String,
    uncategorized: bool,
    /// Any filter is set (offer to clear them).
    filtered: bool,
}

impl FilterForm {
    fn of(q: &TxQuery) -> FilterForm {
        let v = |f: &Option<String>| f.clone().unwrap_or_default();
        let uncategorized = q.uncategorized == Some(true);
        let given = [&q.q, &q.account, &q.category, &q.from, &q.to, &q.min_amount, &q.max_amount];
        FilterForm {
            q: v(&q.q),
            account: v(&q.account),
            category: v(&q.category),
            from: v(&q.from),
            to: v(&q.to),
            min_amount: v(&q.min_amount),
            max_amount: v(&q.max_amount),
            uncategorized,
            filtered: uncategorized || given.iter().any(|f| f.is_some()),
        }
    }
}

#[derive(Template)]
#[template(path = "transactions.html")]
struct TransactionsPage {
    layout: Layout,
    flash: Flash,
    form: FilterForm,
    accounts: Vec<AccountView>,
    all_categories: Vec<CategoryView>,
    /// A filter the app refused, instead of rows.
    problem: Option<String>,
    table: TxTable,
}

async fn page(
    State(app): State<App>,
    session: Session,
    Query(q): Query<TxQuery>,
    Query(flash): Query<FlashQuery>,
) -> PageResult {
    let title = "Transactions";
    let Some(book) = session.book.as_ref().map(|b| BookId(b.id)) else {
        return Ok(empty_page(&session, title, Nav::Transactions));
    };
    let (actor, q) = (session.actor, filters(q));
    let query = q.clone();
    let (accounts, all_categories, page, flash) = load(&app, move |app| {
        let page = app.transactions(&actor, book, &query);
        Ok((app.accounts(&actor, book)?, app.categories(&actor, book)?, page, flash.resolve(app, &actor, book)?))
    })
    .await?;
    let (page, problem) = match page {
        Ok(p) => (p, None),
        Err(e @ AppError::Invalid { .. }) => (TxPage { items: vec![], next_cursor: None, prev_cursor: None }, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let mut table = TxTable::new(&session, "Transactions".into(), page, "/transactions", &q)?;
    if table.can_edit {
        table.categories = all_categories.clone();
    }
    let problem = problem.map(|e| e.to_string());
    Ok(render(&TransactionsPage {
        layout: session.layout(title, Nav::Transactions),
        flash,
        form: FilterForm::of(&q),
        accounts,
        all_categories,
        problem,
        table,
    }))
}

#[derive(Debug, Deserialize)]
struct CategoryForm {
    category: Option<String>,
    next: Option<String>,
}

/// One row's category select.
async fn inline(
    State(app): State<App>,
    session: Session,
    Path(id): Path<uuid::Uuid>,
    axum::Form(f): axum::Form<CategoryForm>,
) -> PageResult {
    let (actor, book) = (session.actor, session.book_id()?);
    let category = f.category.clone();
    let done = load(&app, move |app| app.recategorize(&actor, book, TxId(id), &PatchTransaction { category })).await;
    match done {
        Ok(tx) => Ok(back_with(f.next.as_deref(), &[("done", "moved".into()), ("tx", tx.id.to_string())])),
        Err(e) => refused(f.next.as_deref(), 1, e),
    }
}

/// The ticked rows' category: `tx` once per ticked row, `category`, `next`.
async fn bulk(
    State(app): State<App>,
    session: Session,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    let (actor, book) = (session.actor, session.book_id()?);
    let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let next = value("next");
    let category = value("category");
    let ids: Result<Vec<TxId>, AppError> = fields
        .iter()
        .filter(|(k, _)| k == "tx")
        .map(|(_, v)| v.parse().map(TxId).map_err(|_| AppError::invalid("tx", format!("'{v}' is not an id"))))
        .collect();
    let chosen = fields.iter().filter(|(k, _)| k == "tx").count();
    let first = ids.as_ref().ok().and_then(|ids| ids.first().copied());
    let done = match ids {
        Ok(ids) => load(&app, move |app| app.recategorize_many(&actor, book, &ids, category)).await,
        Err(e) => Err(e.into()),
    };
    match (done, first) {
        (Ok(n), Some(first)) => Ok(back_with(
            next.as_deref(),
            &[("done", "moved".into()), ("tx", first.0.to_string()), ("n", n.to_string())],
        )),
        (Ok(_), None) => Ok(back_with(next.as_deref(), &[])),
        (Err(e), _) => refused(next.as_deref(), chosen, e),
    }
}
