//! kassa-demo: a database with four personas — a person, a family, a
//! company and a platform admin — for `kassa demo` to serve and `kassa bench
//! pages` to time.
//!
//! Nothing here takes a shortcut past the product: users, organisations,
//! books, members, accounts and categories are made by the application layer
//! (the calls `kassa user add` and the API make), rules are saved as `kassa
//! rules import` saves them, and every transaction arrives through the
//! importer, from bank files [`generate`] writes in each bank's own format.
//! Transfer proposals older than six weeks are accepted as a person would in
//! `kassa import review`; the newer ones stay in the review queue to be seen.

mod formats;
mod generate;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use jiff::ToSpan;
use jiff::civil::Date;
use kassa_app::books::{AddMember, CreateAccount, CreateBook, CreateCategory, PatchBook};
use kassa_app::import::{ImportOptions, ImportReport, Input, Resolution};
use kassa_app::orgs::CreateOrg;
use kassa_app::{Actor, App, Config};
use kassa_core::categorize::rules::import_toml;
use kassa_core::import::ReviewKind;
use kassa_core::{BookId, Command};
use kassa_import::Format;

use generate::Persona;

/// Every demo login's password.
pub const PASSWORD: &str = "demo";

/// The seed of every persona's history ("kassa" in ASCII).
const SEED: u64 = 0x006b_6173_7361;

/// The logins the demo prints, in order, with what each one shows.
pub const LOGINS: &[(&str, &str)] = &[
    ("individual@demo.kassa", "Lena Fischer: three years over Sparkasse, DKB Visa, Revolut and a DEGIRO depot"),
    ("family@demo.kassa", "Weber household: joint account, cash wallets by location; shared with partner@demo.kassa"),
    ("partner@demo.kassa", "Anna Weber, editor of the Weber household"),
    ("company@demo.kassa", "Demo Company GmbH: operating, reserve and payroll accounts, two company cards"),
    ("alex@demo.kassa", "employee with a company card: sees only that card (spender)"),
    ("sam@demo.kassa", "employee with a company card: sees only that card (spender)"),
    ("admin@demo.kassa", "platform admin: the overview of every tenant"),
];

/// Created last, so its presence means the seeding finished.
const LAST: &str = "admin@demo.kassa";

/// Seeds the demo into the database `url` names, or finds it there; the
/// app over it with the default configuration.
pub fn ensure(url: &str) -> anyhow::Result<App> {
    let store = kassa_store::open(url).with_context(|| format!("cannot open {}", kassa_store::redact_url(url)))?;
    store.migrate()?;
    // The published password is shorter than a real account may choose;
    // only the seeding allows it, the server keeps the default rule.
    let seeding = App::new(Arc::from(store), Config { min_password_chars: PASSWORD.len(), ..Config::default() });
    if seeding.store.user_by_email(LAST)?.is_some() {
        eprintln!("kassa demo: reusing the demo data in {}", kassa_store::redact_url(url));
    } else {
        check_fresh(&seeding, url)?;
        let started = Instant::now();
        let today = jiff::Zoned::now().date();
        let rows = seed(&seeding, today)?;
        eprintln!(
            "kassa demo: seeded {rows} imported rows into {} in {:.1?}",
            kassa_store::redact_url(url),
            started.elapsed()
        );
    }
    Ok(App::new(Arc::clone(&seeding.store), Config::default()))
}

/// Refuses a database with other data, or with a demo that stopped half
/// way: the demo never mixes its personas into real books.
fn check_fresh(app: &App, url: &str) -> anyhow::Result<()> {
    let users = app.store.users()?;
    if users.iter().any(|u| LOGINS.iter().any(|(e, _)| *e == u.email)) {
        bail!("an earlier `kassa demo` stopped before it finished in {url}; remove that database and run it again");
    }
    if !users.is_empty() || !app.store.books()?.is_empty() {
        bail!("{url} already holds data; `kassa demo` only fills a new database (pass --db with a new file)");
    }
    Ok(())
}

/// Creates every persona; returns how many rows were imported.
fn seed(app: &App, today: Date) -> anyhow::Result<u64> {
    let mut rows = 0;
    let user = |email: &str, admin: bool| -> anyhow::Result<Actor> {
        let u = app.add_user("kassa-demo", email, PASSWORD, admin)?;
        Ok(Actor { user_id: u.id, platform_admin: admin, token_id: None })
    };
    let lena = user("individual@demo.kassa", false)?;
    let jonas = user("family@demo.kassa", false)?;
    user("partner@demo.kassa", false)?;
    let boss = user("company@demo.kassa", false)?;
    user("alex@demo.kassa", false)?;
    user("sam@demo.kassa", false)?;

    let book = personal_book(app, &lena, "Lena Fischer")?;
    rows += fill(app, &lena, book, &generate::individual(today, SEED), today)?;

    let book = personal_book(app, &jonas, "Weber household")?;
    rows += fill(app, &jonas, book, &generate::family(today, SEED), today)?;
    let partner =
        AddMember { email: Some("partner@demo.kassa".into()), org_id: None, role: "editor".into(), account_id: None };
    app.add_member(&jonas, book, &partner)?;

    let org = app.create_org(&boss, &CreateOrg { name: "Demo Company".into() })?;
    let company = CreateBook { name: "Demo Company GmbH".into(), org_id: Some(org.id) };
    let book = BookId(app.create_book(&boss, &company)?.id);
    rows += fill(app, &boss, book, &generate::company(today, SEED), today)?;
    for (employee, card) in [("alex@demo.kassa", "Card Alex"), ("sam@demo.kassa", "Card Sam")] {
        let account = app.accounts(&boss, book)?.into_iter().find(|a| a.name == card).context("company card")?;
        let grant = AddMember {
            email: Some(employee.into()),
            org_id: None,
            role: "spender".into(),
            account_id: Some(account.id),
        };
        app.add_member(&boss, book, &grant)?;
    }

    user(LAST, true)?;
    Ok(rows)
}

/// The book `add_user` made for `actor`, renamed.
fn personal_book(app: &App, actor: &Actor, name: &str) -> anyhow::Result<BookId> {
    let own = app.list_books(actor)?.into_iter().next().context("the user's personal book")?;
    let book = BookId(own.id);
    app.rename_book(actor, book, &PatchBook { name: name.into() })?;
    Ok(book)
}

/// Categories, accounts and rules for one book, then its bank files through
/// the importer, then the older transfer proposals accepted.
fn fill(app: &App, actor: &Actor, book: BookId, persona: &Persona, today: Date) -> anyhow::Result<u64> {
    for (name, section) in persona.categories {
        app.create_category(actor, book, &CreateCategory { name: (*name).into(), section: (*section).into() })?;
    }
    let opened = today.saturating_sub(3.years()).to_string();
    for a in &persona.accounts {
        let input = CreateAccount {
            name: a.name.into(),
            kind: a.kind.into(),
            currency: a.currency.into(),
            iban: a.iban.clone(),
            number: a.number.clone(),
            institution: Some(a.institution.to_string()).filter(|i| !i.is_empty()),
            location: a.location.map(str::to_string),
            opened_on: Some(opened.clone()),
        };
        app.create_account(actor, book, &input).with_context(|| format!("account {}", a.name))?;
    }
    let mut rules = vec![];
    for text in &persona.rules {
        rules.extend(import_toml(text).context("the demo's rule file")?);
    }
    app.store.execute(book, &actor.tag(), &rules.into_iter().map(Command::SaveRule).collect::<Vec<_>>())?;

    let dir = tempfile::tempdir()?;
    let mut rows = 0;
    for f in &persona.files {
        let path = dir.path().join(&f.name);
        std::fs::write(&path, &f.bytes).with_context(|| path.display().to_string())?;
        let report = import(app, actor, book, &path, f.account)?;
        // A row the parser skipped without a diagnostic would vanish silently.
        // trades.csv repeats the depot statement's orders, which the
        // statement (imported first) already booked: its trades come back
        // as duplicates, and only trades count among its duplicates.
        let read =
            report.rows + report.trades + if report.format == Format::Trades.as_str() { report.duplicates } else { 0 };
        if read != f.rows as u64 {
            bail!("{}: the demo wrote {} rows, the importer read {read}", f.name, f.rows);
        }
        rows += report.new + report.trades;
    }
    if !persona.rates.is_empty() {
        kassa_app::reports::import_fx_rates(app.store.as_ref(), book, &actor.tag(), &persona.rates)?;
    }
    let cutoff = today.saturating_sub(42.days());
    for r in app.store.import_reviews(book)? {
        if r.item.kind == ReviewKind::Transfer && r.item.date < cutoff {
            kassa_app::import::resolve_review(
                app.store.as_ref(),
                book,
                &actor.tag(),
                r.item.review_id,
                Resolution::Accept,
            )?;
        }
    }
    Ok(rows)
}

/// One file, as `kassa import FILE [--account A]` imports it.
fn import(app: &App, actor: &Actor, book: BookId, path: &Path, account: Option<&str>) -> anyhow::Result<ImportReport> {
    let opts = ImportOptions { account: account.map(str::to_string), ..ImportOptions::default() };
    Ok(kassa_app::import::import_file(
        app.store.as_ref(),
        app.clock.as_ref(),
        book,
        &actor.tag(),
        Input::File(path),
        &opts,
        None,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    /// The depot's balance is its cash as DEGIRO states it: the newest
    /// line's `Saldo` (the column after it holds the amount), although the
    /// statement's orders move that cash as trades and trades.csv repeats
    /// them.
    #[test]
    fn the_depot_holds_its_stated_cash_and_every_book_adds_up() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        let store = kassa_store::open(&url).unwrap();
        store.migrate().unwrap();
        let app = App::new(Arc::from(store), Config { min_password_chars: PASSWORD.len(), ..Config::default() });
        let today = Date::constant(2026, 3, 14);
        seed(&app, today).unwrap();

        let statement = generate::individual(today, SEED).files.into_iter().find(|f| f.name == "DEGIRO_Account.csv");
        let bytes = statement.expect("the depot statement").bytes;
        let mut csv = csv::Reader::from_reader(&bytes[..]);
        let saldo = csv.headers().unwrap().iter().position(|h| h == "Saldo").unwrap() + 1;
        let newest = csv.records().next().unwrap().unwrap();
        let stated: Decimal = newest[saldo].replace(',', ".").parse().unwrap();

        let lena = app.store.user_by_email("individual@demo.kassa").unwrap().unwrap();
        let actor = Actor { user_id: lena.id, platform_admin: false, token_id: None };
        let book = BookId(app.list_books(&actor).unwrap()[0].id);
        let accounts = app.account_overview(&actor, book, today).unwrap();
        let depot = accounts.groups.iter().flat_map(|g| &g.accounts).find(|a| a.name == "Depot").unwrap();
        assert_eq!(depot.balance, stated);

        // Its value adds the shares at market, and net worth counts it.
        let query = kassa_app::portfolio::PortfolioQuery { as_of: Some(today), ..Default::default() };
        let held: Decimal = kassa_app::portfolio::holdings(app.store.as_ref(), book, &query)
            .unwrap()
            .iter()
            .map(|h| h.market_value)
            .sum();
        assert!(held > Decimal::from(1000), "{held}");
        assert_eq!((depot.securities, depot.value()), (held, stated + held));
        let eur = kassa_core::Currency::parse("EUR").unwrap();
        let values: Decimal =
            accounts.groups.iter().flat_map(|g| &g.accounts).filter(|a| a.currency == eur).map(|a| a.value()).sum();
        assert_eq!(accounts.totals.iter().find(|(c, _)| *c == eur).map(|t| t.1), Some(values));
        let home = app.home(&actor, book, today).unwrap();
        let history = home.history.iter().find(|h| h.currency == eur).unwrap();
        assert_eq!(history.points.last(), Some(&(today, values)));

        // The platform overview's brokerage total is the depot's value: the
        // demo's only brokerage account, shares included.
        let admin = app.store.user_by_email("admin@demo.kassa").unwrap().unwrap();
        let admin = Actor { user_id: admin.id, platform_admin: true, token_id: None };
        let overview = app.overview(&admin).unwrap();
        let brokerage = overview.balances.iter().find(|b| b.kind == "brokerage" && b.currency == "EUR").unwrap();
        assert_eq!(brokerage.total.parse::<Decimal>().unwrap(), depot.value());

        // Every book's month adds up in euros: the rates for its pounds and
        // francs are in the book.
        let month = kassa_core::report::Month::of(today);
        for email in ["individual@demo.kassa", "family@demo.kassa", "company@demo.kassa"] {
            let user = app.store.user_by_email(email).unwrap().unwrap();
            let actor = Actor { user_id: user.id, platform_admin: false, token_id: None };
            for b in app.list_books(&actor).unwrap() {
                // The company owner's personal book is empty: nothing to sum.
                if !app.accounts(&actor, BookId(b.id)).unwrap().is_empty() {
                    app.budget(&actor, BookId(b.id), month).unwrap_or_else(|e| panic!("{email}: {e}"));
                }
            }
        }
    }
}
