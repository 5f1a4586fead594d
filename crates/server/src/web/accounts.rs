//! `/accounts` (every account the user sees, by kind, with totals) and
//! `/accounts/{id}` (its balance over time and its register, paged like
//! `/transactions`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use kassa_core::{AccountId, AccountKind, BookId};

use super::home::empty_page;
use super::transactions::{Amount, Flash, FlashQuery, PAGE_SIZE, TxTable};
use super::{Layout, Nav, PageResult, Session, load, render};
use crate::charts::{self, Series};
use kassa_app::App;
use kassa_app::books::TxQuery;
use kassa_app::dashboard::{AccountGroup, AccountLine, Accounts};

pub fn routes() -> Router<App> {
    Router::new().route("/accounts", get(list)).route("/accounts/{id}", get(detail))
}

pub fn kind_label(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Checking => "Checking",
        AccountKind::Savings => "Savings",
        AccountKind::Cash => "Cash",
        AccountKind::CreditCard => "Credit cards",
        AccountKind::Loan => "Loans",
        AccountKind::Brokerage => "Brokerage",
    }
}

/// One account as a table row.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: &'static str,
    pub institution: String,
    pub location: String,
    pub currency: String,
    /// What the account is worth: its balance, plus its securities for a
    /// brokerage account.
    pub balance: Amount,
    /// For an account holding securities: its cash and their value apart.
    pub cash: Option<Amount>,
    pub securities: Option<Amount>,
}

impl AccountRow {
    fn of(a: &AccountLine) -> AccountRow {
        AccountRow {
            id: a.id.0,
            name: a.name.clone(),
            kind: kind_label(a.kind),
            institution: a.institution.clone().unwrap_or_default(),
            location: a.location.clone().unwrap_or_default(),
            currency: a.currency.to_string(),
            balance: Amount::of(a.value(), a.currency),
            cash: (!a.securities.is_zero()).then(|| Amount::of(a.balance, a.currency)),
            securities: (!a.securities.is_zero()).then(|| Amount::of(a.securities, a.currency)),
        }
    }
}

/// The net worth figures per currency as (label, amount) lines: the
/// accounts' value under `plain`; where loans are open, the accounts'
/// value as "Accounts", "Receivables", "Payables" (both ≥ 0) and "Net
/// worth" = accounts + receivables − payables.
pub fn net_worth_lines(a: &Accounts, plain: &'static str) -> Vec<(&'static str, Amount)> {
    let mut out = vec![];
    for (currency, total) in &a.totals {
        match a.loans.iter().find(|(c, _)| c == currency) {
            None => out.push((plain, Amount::of(*total, *currency))),
            Some((_, loans)) => {
                out.push(("Accounts", Amount::of(*total - loans.net(), *currency)));
                if !loans.receivable.is_zero() {
                    out.push(("Receivables", Amount::of(loans.receivable, *currency)));
                }
                if !loans.payable.is_zero() {
                    out.push(("Payables", Amount::of(loans.payable, *currency)));
                }
                out.push(("Net worth", Amount::of(*total, *currency)));
            }
        }
    }
    out
}

/// The accounts of one kind with their totals.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub label: &'static str,
    pub accounts: Vec<AccountRow>,
    pub totals: Vec<Amount>,
}

impl GroupView {
    pub fn of(g: &AccountGroup) -> GroupView {
        GroupView {
            label: kind_label(g.kind),
            accounts: g.accounts.iter().map(AccountRow::of).collect(),
            totals: g.totals.iter().map(|(c, t)| Amount::of(*t, *c)).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    groups: Vec<GroupView>,
    /// The account list shows institution, location and currency.
    detailed: bool,
    /// (label, amount): see [`net_worth_lines`].
    totals: Vec<(&'static str, Amount)>,
}

async fn list(State(app): State<App>, session: Session) -> PageResult {
    let title = "Accounts";
    let Some(book) = session.book.as_ref().map(|b| BookId(b.id)) else {
        return Ok(empty_page(&session, title, Nav::Accounts));
    };
    let (actor, today) = (session.actor, app.clock.today());
    let accounts = load(&app, move |app| app.account_overview(&actor, book, today)).await?;
    if accounts.groups.is_empty() {
        return Ok(empty_page(&session, title, Nav::Accounts));
    }
    Ok(render(&AccountsPage {
        layout: session.layout(title, Nav::Accounts),
        groups: accounts.groups.iter().map(GroupView::of).collect(),
        detailed: true,
        totals: net_worth_lines(&accounts, "All accounts"),
    }))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    flash: Flash,
    account: AccountRow,
    chart: Option<String>,
    table: TxTable,
}

async fn detail(
    State(app): State<App>,
    session: Session,
    Path(id): Path<uuid::Uuid>,
    Query(q): Query<TxQuery>,
    Query(flash): Query<FlashQuery>,
) -> PageResult {
    let (actor, book, today) = (session.actor, session.book_id()?, app.clock.today());
    // Only the paging of the register comes from the URL here.
    let q = TxQuery {
        account: Some(id.to_string()),
        cursor: q.cursor,
        newer: q.newer,
        limit: Some(PAGE_SIZE),
        ..TxQuery::default()
    };
    let query = q.clone();
    let (detail, page, flash) = load(&app, move |app| {
        let detail = app.account_detail(&actor, book, AccountId(id), today)?;
        Ok((detail, app.transactions(&actor, book, &query)?, flash.resolve(app, &actor, book)?))
    })
    .await?;
    let a = &detail.account;
    let chart = (!detail.history.is_empty()).then(|| {
        let series = Series { name: a.name.clone(), points: detail.history.clone() };
        charts::line(&format!("Balance of {}", a.name), &[series], a.currency, true)
    });
    let path = format!("/accounts/{id}");
    let table = TxTable::new(&session, format!("Transactions of {}", a.name), page, &path, &q)?
        .with_categories(&app, &session)
        .await?;
    Ok(render(&AccountPage {
        layout: session.layout(a.name.clone(), Nav::Accounts),
        flash,
        account: AccountRow::of(a),
        chart,
        table,
    }))
}
