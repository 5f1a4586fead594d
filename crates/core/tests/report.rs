//! Report maths, given / when / then: given a book built from commands, when
//! a report is computed, then these rows.

use jiff::civil::{Date, date};
use kassa_core::report::export::{beancount, hledger_journal};
use kassa_core::report::fx::{FxRate, FxTable};
use kassa_core::report::{self, Convert, GroupBy, Interval, Month, Period, ReportFacts, Scope, TopBy};
use kassa_core::{
    AccountId, AccountKind, AccountRef, BookId, CategoryId, CategoryName, Command, Currency, Ledger, LedgerDate,
    NewAccount, NewTransaction, NewTransfer, Owner, Section, Status, TxId,
};
use uuid::Uuid;

// Tests are the caller: they mint the ids core is given.
#[allow(clippy::disallowed_methods)]
fn id() -> Uuid {
    Uuid::now_v7()
}

fn given(extra: &[(&str, Section)]) -> Ledger {
    let mut l = Ledger::new();
    let mut cmds = vec![Command::OpenBook { book_id: BookId(id()), name: "b".into(), owner: Owner::Local }];
    for (name, kind, cur) in
        [("Checking", AccountKind::Checking, Currency::EUR), ("Card", AccountKind::CreditCard, Currency::EUR)]
    {
        cmds.push(Command::OpenAccount(NewAccount {
            account_id: AccountId(id()),
            name: name.into(),
            kind,
            currency: cur,
            iban: None,
            number: None,
            institution: None,
            location: None,
            opened_on: LedgerDate::new(date(2023, 1, 1)).unwrap(),
        }));
    }
    for (name, section) in
        [("Salary", Section::Income), ("Transport:Fuel", Section::Expense), ("Transport:Taxi", Section::Expense)]
            .iter()
            .chain(extra)
    {
        cmds.push(Command::AddCategory {
            category_id: CategoryId(id()),
            name: CategoryName::parse(name).unwrap(),
            section: *section,
        });
    }
    l.execute(&cmds).unwrap();
    l
}

fn when(l: &mut Ledger, account: &str, day: Date, amount: &str, category: Option<&str>) {
    l.execute(&[Command::RecordTransaction(NewTransaction {
        tx_id: TxId(id()),
        account: AccountRef::Name(account.into()),
        date: LedgerDate::new(day).unwrap(),
        amount: amount.parse().unwrap(),
        description: format!("{account} {amount}"),
        category: category.map(str::to_string),
        counterparty: category.map(|c| format!("{c} shop")),
        tags: vec![],
        notes: None,
        external_id: None,
        status: Status::Booked,
        category_source: None,
    })])
    .unwrap();
}

fn amounts<T>(rows: &[T], f: impl Fn(&T) -> String) -> Vec<String> {
    rows.iter().map(f).collect()
}

#[test]
fn parents_roll_up_their_children_with_depth() {
    let mut l = given(&[]);
    when(&mut l, "Card", date(2024, 3, 1), "-40.00", Some("Transport:Fuel"));
    when(&mut l, "Card", date(2024, 3, 2), "-12.50", Some("Transport:Taxi"));
    when(&mut l, "Checking", date(2024, 3, 3), "1000", Some("Salary"));
    let f = ReportFacts::from_ledger(&l, None);
    let rows = report::category_totals(&f, Period::Month, Scope { depth: Some(1), ..Scope::default() }, None).unwrap();
    assert_eq!(
        amounts(&rows, |r| format!("{} {} {} {}", r.period, r.section, r.category, r.amount)),
        [
            "2024-03 income Salary 1000.00",
            "2024-03 income Total 1000.00",
            "2024-03 expense Transport -52.50",
            "2024-03 expense Total -52.50",
            "2024-03 net Net 947.50"
        ]
    );
    let full = report::category_totals(&f, Period::Year, Scope::default(), None).unwrap();
    assert!(
        full.iter().any(|r| r.period == "2024" && r.category == "Transport:Taxi" && r.amount.to_string() == "-12.50")
    );
}

#[test]
fn trends_flag_a_month_far_outside_its_trailing_year() {
    let mut l = given(&[]);
    let mut m = Month { year: 2023, month: 1 };
    for k in 0..12 {
        // -90 / -110 alternately: mean -100, standard deviation 10.
        when(&mut l, "Card", m.first_day(), if k % 2 == 0 { "-90" } else { "-110" }, Some("Transport:Fuel"));
        m = m.next();
    }
    when(&mut l, "Card", m.first_day(), "-180", Some("Transport:Fuel"));
    when(&mut l, "Card", m.first_day(), "-7", Some("Transport:Taxi"));
    let f = ReportFacts::from_ledger(&l, None);
    let rows = report::trends(&f, m, None, None).unwrap();
    assert_eq!(
        amounts(&rows, |r| format!("{} {} avg {} {:?} {}", r.category, r.amount, r.average, r.change_pct, r.flag)),
        ["Transport:Fuel -180.00 avg -100.00 Some(\"80.0\") high", "Transport:Taxi -7.00 avg 0.00 None high"]
    );
    let ok = report::trends(&f, m.prev(), None, None).unwrap();
    assert_eq!(ok[0].flag, "", "a usual month is not flagged");
}

/// Issue 14: amounts in range, summed over two accounts, have deviations
/// whose squares overflow `Decimal`; trends still answers (it panicked).
#[test]
fn trends_of_sums_near_the_edge_of_the_range_do_not_overflow() {
    let mut l = given(&[]);
    let mut m = Month { year: 2023, month: 1 };
    for _ in 0..3 {
        for account in ["Checking", "Card"] {
            when(&mut l, account, m.first_day(), "-99999999999999.99", Some("Transport:Fuel"));
        }
        m = m.next();
    }
    let month = Month { year: 2024, month: 1 };
    when(&mut l, "Card", month.first_day(), "-1", Some("Transport:Fuel"));
    let f = ReportFacts::from_ledger(&l, None);
    let rows = report::trends(&f, month, None, None).unwrap();
    assert_eq!(
        amounts(&rows, |r| format!("{} {} avg {} {}", r.category, r.amount, r.average, r.flag)),
        ["Transport:Fuel -1.00 avg -50000000000000.00 "],
        "a twelfth of three months of −199999999999999.98, within two deviations"
    );
}

#[test]
fn net_worth_ends_weeks_on_sunday_and_stops_at_the_last_day() {
    let mut l = given(&[]);
    when(&mut l, "Checking", date(2024, 1, 3), "100", Some("Salary")); // Wednesday
    when(&mut l, "Card", date(2024, 1, 9), "-30", Some("Transport:Fuel"));
    let f = ReportFacts::from_ledger(&l, None);
    let rows = report::networth(&f, Interval::Week, None, Some(date(2024, 1, 10)), None).unwrap();
    let net: Vec<String> =
        rows.iter().filter(|r| r.account == "Net worth").map(|r| format!("{} {}", r.date, r.balance)).collect();
    assert_eq!(net, ["2024-01-07 100.00", "2024-01-10 70.00"]);
    assert_eq!(Interval::Month.period_end(date(2024, 2, 10)), date(2024, 2, 29));
}

#[test]
fn balances_group_and_convert() {
    let mut l = given(&[]);
    when(&mut l, "Checking", date(2024, 1, 3), "100", Some("Salary"));
    when(&mut l, "Card", date(2024, 1, 9), "-30", None);
    let f = ReportFacts::from_ledger(&l, None);
    let rows = report::balances(&f, GroupBy::Kind, None, date(2024, 1, 31)).unwrap();
    assert_eq!(
        amounts(&rows, |r| format!("{} {}", r.group, r.balance)),
        ["checking 100.00", "credit_card -30.00", "Total 70.00"]
    );
    let fx = FxTable::new(&[FxRate {
        date: date(2024, 1, 2),
        base: Currency::EUR,
        quote: Currency::USD,
        rate: "1.1".parse().unwrap(),
    }]);
    let usd =
        report::balances(&f, GroupBy::Account, Some(Convert { table: &fx, to: Currency::USD }), date(2024, 1, 31))
            .unwrap();
    assert_eq!(
        amounts(&usd, |r| format!("{} {} {}", r.group, r.balance, r.currency)),
        ["Card -33.00 USD", "Checking 110.00 USD", "Total 77.00 USD"]
    );
    let err =
        report::balances(&f, GroupBy::Account, Some(Convert { table: &fx, to: Currency::GBP }), date(2024, 1, 31));
    assert_eq!(err.unwrap_err().to_string(), "no EUR/GBP exchange rate on or before 2024-01-31");
}

#[test]
fn cash_flow_sankey_and_top_leave_transfers_out() {
    let mut l = given(&[("Card Payment", Section::Transfer)]);
    when(&mut l, "Checking", date(2024, 1, 3), "100", Some("Salary"));
    when(&mut l, "Card", date(2024, 1, 9), "-30", Some("Transport:Fuel"));
    when(&mut l, "Card", date(2024, 1, 10), "5", Some("Transport:Fuel")); // a refund
    when(&mut l, "Checking", date(2024, 1, 20), "-25", Some("Card Payment"));
    l.execute(&[Command::Transfer(NewTransfer {
        tx_id: TxId(id()),
        from: AccountRef::Name("Checking".into()),
        to: AccountRef::Name("Card".into()),
        date: LedgerDate::new(date(2024, 1, 21)).unwrap(),
        amount: "10".parse().unwrap(),
        to_amount: None,
        description: "pay card".into(),
        external_id: None,
    })])
    .unwrap();
    let f = ReportFacts::from_ledger(&l, None);
    let cf = report::cashflow(&f, Period::Month, Scope::default(), None).unwrap();
    assert_eq!(
        amounts(&cf, |r| format!("{} {} {} {}", r.period, r.inflow, r.outflow, r.net)),
        ["2024-01 100.00 -25.00 75.00"]
    );
    let edges = report::sankey(&f, Scope { depth: Some(1), ..Scope::default() }, None).unwrap();
    assert_eq!(
        amounts(&edges, |e| format!("{} -> {} {}", e.source, e.target, e.amount)),
        ["Salary -> Checking 100.00", "Card -> Transport 25.00"]
    );
    let top = report::top(&f, TopBy::Counterparty, Scope::default(), 5, None).unwrap();
    assert_eq!(
        amounts(&top, |t| format!("{} {} {} {}", t.rank, t.name, t.amount, t.share)),
        ["1 Transport:Fuel shop -25.00 100.0"]
    );
}

#[test]
fn months_parse_and_step() {
    let m: Month = "2024-01".parse().unwrap();
    assert_eq!(
        (m.prev().to_string(), m.next().to_string(), m.minus(13).to_string()),
        ("2023-12".into(), "2024-02".into(), "2022-12".into())
    );
    for bad in ["2024-13", "2024", "24-01", "2024-1x"] {
        assert!(bad.parse::<Month>().is_err(), "{bad}");
    }
}

#[test]
fn journals_name_accounts_the_way_hledger_and_beancount_want() {
    let mut l = given(&[("Eating Out", Section::Expense)]);
    when(&mut l, "Card", date(2024, 1, 9), "-3.40", Some("Eating Out"));
    let j = hledger_journal(&l, None, None);
    assert!(
        j.contains("2024-01-09 * Card -3.40\n    liabilities:Card  -3.40 EUR\n    expenses:Eating Out  3.40 EUR\n"),
        "{j}"
    );
    let b = beancount(&l, None, None);
    assert!(b.contains("2023-01-01 open Expenses:Eating-Out\n"), "{b}");
    assert!(b.contains("2024-01-09 * \"Eating Out shop\" \"Card -3.40\"\n  Liabilities:Card  -3.40 EUR\n"), "{b}");
    assert_eq!(hledger_journal(&l, Some(date(2025, 1, 1)), None).matches(" * ").count(), 0);
}
