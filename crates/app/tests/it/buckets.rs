//! Buckets, loans and goals through the store on both backends, every figure
//! computed by hand: half-even shares with the residue in Unallocated, a
//! percentage change keeping history, spending and moves, a recategorised and
//! a deleted income taking their shares back; loans given, taken and settled
//! in parts; the goals' progress, monthly need and projection; and bad input
//! refused by field with nothing stored.

use jiff::civil::{Date, date};
use kassa_app::buckets::{self, AddBucket, BucketView, MoveBucket};
use kassa_app::goals::{self, AddGoal};
use kassa_app::loans::{self, RecordLoan};
use kassa_app::{AppError, AppResult};
use kassa_core::event::book_stream;
use kassa_core::loan::LoanTotals;
use kassa_core::{BookId, Command, Currency, Section, TxId};
use kassa_store::{Store, testing};
use rust_decimal::Decimal;

use crate::*;

fn tx_id(cmd: &Command) -> TxId {
    match cmd {
        Command::RecordTransaction(t) => t.tx_id,
        other => panic!("not a transaction: {other:?}"),
    }
}

/// A book with Checking (EUR), Salary and Side (income) and Food (expense).
fn book(s: &dyn Store) -> BookId {
    let book = BookId(id());
    s.execute(
        book,
        "t",
        &[
            open_book(book),
            account("Checking", Currency::EUR),
            category("Salary", Section::Income),
            category("Side", Section::Income),
            category("Food", Section::Expense),
        ],
    )
    .unwrap();
    book
}

fn add(
    s: &dyn Store,
    book: BookId,
    name: &str,
    percent: &str,
    categories: &[&str],
    from: Option<&str>,
) -> AppResult<()> {
    let input = AddBucket {
        name: name.into(),
        percent: percent.into(),
        income_categories: categories.iter().map(|c| c.to_string()).collect(),
        accounts: vec![],
        from: from.map(str::to_string),
    };
    buckets::add(s, "t", book, d("2024-01-01"), &input)
}

/// (bucket, percent, allocated, spent, moved_in, moved_out, balance)
type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

fn check(s: &dyn Store, book: BookId, as_of: Option<Date>, want: &[Row<'_>]) {
    let got = buckets::list(s, book, as_of).unwrap();
    let text = |v: &BucketView| {
        [&v.percent, &v.allocated, &v.spent, &v.moved_in, &v.moved_out, &v.balance].map(|d| d.to_string())
    };
    let got: Vec<(String, [String; 6])> = got.iter().map(|v| (v.bucket.clone(), text(v))).collect();
    let want: Vec<(String, [String; 6])> =
        want.iter().map(|r| (r.0.to_string(), [r.1, r.2, r.3, r.4, r.5, r.6].map(str::to_string))).collect();
    assert_eq!(got, want, "as of {as_of:?}");
}

fn events(s: &dyn Store, book: BookId) -> usize {
    s.read_stream(&book_stream(book)).unwrap().len()
}

/// The error's field, when it is an invalid field.
fn field(r: AppResult<impl std::fmt::Debug>) -> (String, String) {
    match r {
        Err(AppError::Invalid { field, message }) => (field, message),
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[test]
fn bucket_allocations_follow_the_incomes_as_they_stand() {
    for db in testing::all() {
        let s = db.store.as_ref();
        let book = book(s);
        // Savings takes half of every income, Holidays a tenth of salaries.
        add(s, book, "Savings", "50", &[], None).unwrap();
        add(s, book, "Holidays", "10", &["Salary"], None).unwrap();
        let jan = tx("Checking", "2024-01-31", "1000.05", Some("Salary"));
        let feb = tx("Checking", "2024-02-15", "10.03", Some("Side"));
        let mar = tx("Checking", "2024-03-31", "500.00", Some("Salary"));
        let (feb_id, mar_id) = (tx_id(&feb), tx_id(&mar));
        s.execute(book, "t", &[jan, feb]).unwrap();
        // 1000.05: Savings 500.025 → 500.02 (half to even), Holidays
        // 100.005 → 100.00, Unallocated the rest, 400.03. 10.03 from Side:
        // Savings 5.015 → 5.02, Unallocated 5.01; Holidays is not fed.
        check(
            s,
            book,
            Some(d("2024-02-29")),
            &[
                ("Holidays", "10", "100.00", "0.00", "0.00", "0.00", "100.00"),
                ("Savings", "50", "505.04", "0.00", "0.00", "0.00", "505.04"),
                ("Unallocated", "40", "405.04", "0.00", "0.00", "0.00", "405.04"),
            ],
        );

        // From March on Savings takes 20 %; the earlier incomes keep 50 %.
        add(s, book, "Savings", "20", &[], Some("2024-03-01")).unwrap();
        s.execute(book, "t", &[mar]).unwrap();
        let food = kassa_app::local::Local { store: s, clock: &kassa_app::SystemClock, actor: "t" };
        food.record(
            book,
            kassa_app::local::TxInput {
                account: "Checking".into(),
                date: day("2024-03-05"),
                amount: amount("-45.50"),
                description: "Beach snacks".into(),
                category: Some("Food".into()),
                counterparty: None,
                tags: vec![],
                note: None,
                external_id: None,
                pending: false,
                bucket: Some("holidays".into()),
            },
        )
        .unwrap();
        let mv = MoveBucket {
            from: "Unallocated".into(),
            to: "Savings".into(),
            amount: "25".into(),
            date: "2024-03-10".into(),
        };
        buckets::move_between(s, "t", book, &mv).unwrap();
        // March's 500: Savings 100.00, Holidays 50.00, Unallocated 350.00.
        check(
            s,
            book,
            None,
            &[
                ("Holidays", "10", "150.00", "45.50", "0.00", "0.00", "104.50"),
                ("Savings", "20", "605.04", "0.00", "25.00", "0.00", "630.04"),
                ("Unallocated", "70", "755.04", "0.00", "0.00", "25.00", "730.04"),
            ],
        );
        // On 4 March the new percentage is in effect, but no March income,
        // spending or move is there yet.
        check(
            s,
            book,
            Some(d("2024-03-04")),
            &[
                ("Holidays", "10", "100.00", "0.00", "0.00", "0.00", "100.00"),
                ("Savings", "20", "505.04", "0.00", "0.00", "0.00", "505.04"),
                ("Unallocated", "70", "405.04", "0.00", "0.00", "0.00", "405.04"),
            ],
        );

        // February's income was a refund after all: its 5.02 and 5.01 go.
        s.execute(book, "t", &[Command::Recategorize { tx_id: feb_id, category: Some("Food".into()) }]).unwrap();
        // And March's salary is deleted: its 100.00, 50.00 and 350.00 go.
        s.execute(book, "t", &[Command::DeleteTransaction { tx_id: mar_id }]).unwrap();
        check(
            s,
            book,
            None,
            &[
                ("Holidays", "10", "100.00", "45.50", "0.00", "0.00", "54.50"),
                ("Savings", "20", "500.02", "0.00", "25.00", "0.00", "525.02"),
                ("Unallocated", "70", "400.03", "0.00", "0.00", "25.00", "375.03"),
            ],
        );
    }
}

#[test]
fn bad_bucket_input_names_the_field_and_stores_nothing() {
    for db in testing::all() {
        let s = db.store.as_ref();
        let book = book(s);
        add(s, book, "Savings", "50", &[], None).unwrap();
        add(s, book, "Holidays", "30", &["Salary"], None).unwrap();
        let before = events(s, book);

        let (f, message) = field(add(s, book, "Rent", "25", &[], None));
        assert_eq!(f, "percent", "{}", db.name);
        for name in ["Savings 50 %", "Holidays 30 %", "Rent 25 %", "105"] {
            assert!(message.contains(name), "{message} names {name}");
        }
        // Raising one later is checked on every date after it, too.
        assert_eq!(field(add(s, book, "Holidays", "51", &[], Some("2025-01-01"))).0, "percent");
        assert_eq!(field(add(s, book, "Gym", "ten", &[], None)).0, "percent");
        assert_eq!(field(add(s, book, "Gym", "5", &[], Some("2024-02-30"))).0, "from");
        match add(s, book, "Gym", "5", &["Salry"], None) {
            Err(AppError::Refused { code: "unknown_category", message }) => {
                assert!(message.contains("Salary"), "{message}")
            }
            other => panic!("unknown category: {other:?}"),
        }
        // An expense category does not feed a bucket.
        assert_eq!(field(add(s, book, "Gym", "5", &["Food"], None)).0, "income_category");

        let mv = |from: &str, to: &str, amount: &str| MoveBucket {
            from: from.into(),
            to: to.into(),
            amount: amount.into(),
            date: "2024-03-10".into(),
        };
        assert_eq!(field(buckets::move_between(s, "t", book, &mv("Savngs", "Holidays", "5"))).0, "from");
        assert_eq!(field(buckets::move_between(s, "t", book, &mv("Savings", "Nope", "5"))).0, "to");
        assert_eq!(field(buckets::move_between(s, "t", book, &mv("Savings", "Holidays", "-5"))).0, "amount");
        assert_eq!(field(buckets::move_between(s, "t", book, &mv("Savings", "Holidays", "5.001"))).0, "amount");

        // A transaction whose bucket does not exist is not recorded either.
        let input = kassa_app::local::TxInput {
            account: "Checking".into(),
            date: day("2024-03-05"),
            amount: amount("-9.99"),
            description: "Cinema".into(),
            category: Some("Food".into()),
            counterparty: None,
            tags: vec![],
            note: None,
            external_id: None,
            pending: false,
            bucket: Some("Fun".into()),
        };
        let local = kassa_app::local::Local { store: s, clock: &kassa_app::SystemClock, actor: "t" };
        let err = local.record(book, input).unwrap_err().to_string();
        assert!(err.starts_with("bucket: unknown bucket 'Fun'"), "{err}");
        assert_eq!(events(s, book), before, "nothing stored ({})", db.name);
    }
}

fn loan(s: &dyn Store, book: BookId, kind: &str, who: &str, amount: &str, date: &str) -> AppResult<TxId> {
    let input = RecordLoan {
        kind: kind.into(),
        counterparty: who.into(),
        account: "Checking".into(),
        amount: amount.into(),
        date: date.into(),
    };
    loans::record(s, "t", book, &input)
}

fn open_loans(s: &dyn Store, book: BookId) -> Vec<(String, String, String, String)> {
    loans::list(s, book, None)
        .unwrap()
        .into_iter()
        .map(|l| (l.counterparty, l.account, l.open.to_string(), l.direction))
        .collect()
}

#[test]
fn loans_are_neutral_and_settle_in_parts() {
    for db in testing::all() {
        let s = db.store.as_ref();
        let book = book(s);
        loan(s, book, "give", "Anna", "100", "2024-03-01").unwrap();
        loan(s, book, "take", "Bob", "250.00", "2024-03-02").unwrap();
        // Anna pays back 30 then 70 (in whatever case we type her name).
        loan(s, book, "repay", "anna", "30", "2024-03-10").unwrap();
        let row = |who: &str, open: &str, dir: &str| {
            (who.to_string(), "Checking".to_string(), open.to_string(), dir.to_string())
        };
        assert_eq!(open_loans(s, book), [row("Anna", "70.00", "receivable"), row("Bob", "-250.00", "payable")]);
        loan(s, book, "repay", "Anna", "70", "2024-03-20").unwrap();
        // We pay Bob back 100 of 250.
        loan(s, book, "repay", "Bob", "100", "2024-03-21").unwrap();
        assert_eq!(open_loans(s, book), [row("Anna", "0.00", "settled"), row("Bob", "-150.00", "payable")]);
        let totals = loans::open_loan_totals(s, book, None).unwrap();
        let dec = |t: &str| t.parse::<Decimal>().unwrap();
        assert_eq!(
            totals.into_iter().collect::<Vec<_>>(),
            [(Currency::EUR, LoanTotals { receivable: dec("0"), payable: dec("150") })]
        );
        // As of 5 March only the two loans were there.
        let march5 = loans::open_loan_totals(s, book, Some(d("2024-03-05"))).unwrap();
        assert_eq!(
            march5[&Currency::EUR],
            LoanTotals { receivable: dec("100"), payable: dec("250") },
            "100 owed to us, 250 we owe"
        );

        // The money moved on Checking: −100 + 250 + 30 + 70 − 100 = 150,
        // and none of it is income or expense: the Loans category is a transfer.
        let balances = s.balances(book, None).unwrap();
        assert_eq!(balances[0].balance, "150".parse::<Decimal>().unwrap());
        let ledger = s.ledger(book).unwrap();
        let loans_category = ledger.categories().find(|c| c.name.as_str() == "Loans").unwrap();
        assert_eq!(loans_category.section, Section::Transfer);

        // Bad input: nothing stored.
        let before = events(s, book);
        let (f, message) = field(loan(s, book, "repay", "Bob", "150.01", "2024-03-22"));
        assert_eq!((f.as_str(), message.contains("150.00 open with 'Bob'")), ("amount", true), "{message}");
        assert_eq!(field(loan(s, book, "repay", "Anna", "1", "2024-03-22")).0, "counterparty", "settled");
        assert_eq!(field(loan(s, book, "repay", "Carl", "1", "2024-03-22")).0, "counterparty");
        assert_eq!(field(loan(s, book, "lend", "Carl", "1", "2024-03-22")).0, "kind");
        assert_eq!(field(loan(s, book, "give", "Carl", "-1", "2024-03-22")).0, "amount");
        assert_eq!(field(loan(s, book, "give", "Carl", "1.001", "2024-03-22")).0, "amount");
        assert_eq!(field(loan(s, book, "give", "Carl", "1", "2024-02-31")).0, "date");
        assert_eq!(field(loan(s, book, "give", " ", "1", "2024-03-22")).0, "counterparty");
        let unknown = RecordLoan { account: "Chequing".into(), ..loan_input() };
        assert!(matches!(
            loans::record(s, "t", book, &unknown),
            Err(AppError::Refused { code: "unknown_account", .. })
        ));
        assert_eq!(events(s, book), before, "nothing stored ({})", db.name);
    }
}

fn loan_input() -> RecordLoan {
    RecordLoan {
        kind: "give".into(),
        counterparty: "Carl".into(),
        account: "Checking".into(),
        amount: "1".into(),
        date: "2024-03-22".into(),
    }
}

/// (goal, target, saved, progress, required_monthly, projected_date)
fn goal_rows(s: &dyn Store, book: BookId, today: Date) -> Vec<[String; 6]> {
    goals::list(s, book, today)
        .unwrap()
        .into_iter()
        .map(|g| {
            [
                g.goal,
                g.target.to_string(),
                g.saved.to_string(),
                g.progress.to_string(),
                g.required_monthly.to_string(),
                g.projected_date.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect()
}

#[test]
fn goals_show_progress_the_monthly_need_and_a_projection() {
    for db in testing::all() {
        let s = db.store.as_ref();
        let book = book(s);
        s.execute(book, "t", &[account("Savings", Currency::EUR)]).unwrap();
        // 300 before the trailing window, then 200 a month July to December:
        // 1,500 saved on 15 January, growing 1,200 / 6 = 200 a month.
        let mut cmds = vec![transfer("Checking", "Savings", "2024-06-01", "300", None)];
        for month in 7..=12 {
            cmds.push(transfer("Checking", "Savings", &format!("2024-{month:02}-05"), "200", None));
        }
        s.execute(book, "t", &cmds).unwrap();
        let goal = |name: &str, target: &str, accounts: &[&str], bucket: Option<&str>| AddGoal {
            name: name.into(),
            target: target.into(),
            by: "2025-12-31".into(),
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            bucket: bucket.map(str::to_string),
        };
        goals::add(s, "t", book, &goal("Emergency fund", "10000", &["Savings"], None)).unwrap();
        // Checking only ever paid out: no projection.
        goals::add(s, "t", book, &goal("Buffer", "500", &["checking"], None)).unwrap();
        // The example: 8,500 over the 12 months January to December
        // is 708.33; at 200 a month 42.5 → 43 months from 15 January 2025.
        assert_eq!(
            goal_rows(s, book, date(2025, 1, 15)),
            [
                ["Buffer", "500.00", "-1500.00", "0", "166.67", ""],
                ["Emergency fund", "10000.00", "1500.00", "0.15", "708.33", "2028-08-15"],
            ]
            .map(|r| r.map(str::to_string))
        );

        // A bucket goal: Holidays gets 10 % of a 1,000 salary in February:
        // 100.00 of 1,000.00 by 31 December, 900 over the 10 months March
        // to December.
        buckets::add(
            s,
            "t",
            book,
            d("2024-01-01"),
            &AddBucket { name: "Holidays".into(), percent: "10".into(), ..AddBucket::default() },
        )
        .unwrap();
        s.execute(book, "t", &[tx("Checking", "2025-02-03", "1000", Some("Salary"))]).unwrap();
        goals::add(s, "t", book, &goal("Trip", "1000", &[], Some("holidays"))).unwrap();
        let trip = goal_rows(s, book, date(2025, 3, 10)).into_iter().find(|r| r[0] == "Trip").unwrap();
        // The window (31 Aug 2024 – 28 Feb 2025) grew 100: 16.67 a month;
        // 900 / 16.666… = 54 months from 10 March 2025.
        assert_eq!(trip, ["Trip", "1000.00", "100.00", "0.1", "90.00", "2029-09-10"]);

        // Bad input: named, nothing stored.
        let before = events(s, book);
        assert_eq!(field(goals::add(s, "t", book, &goal("X", "100", &[], None))).0, "accounts");
        assert_eq!(field(goals::add(s, "t", book, &goal("X", "100", &["Savings"], Some("Holidays")))).0, "bucket");
        assert_eq!(field(goals::add(s, "t", book, &goal("X", "100", &[], Some("Nope")))).0, "bucket");
        assert_eq!(field(goals::add(s, "t", book, &goal("X", "lots", &["Savings"], None))).0, "target");
        assert_eq!(field(goals::add(s, "t", book, &goal("X", "0", &["Savings"], None))).0, "target");
        assert_eq!(field(goals::add(s, "t", book, &goal(" ", "100", &["Savings"], None))).0, "name");
        let late = AddGoal { by: "2025-13-01".into(), ..goal("X", "100", &["Savings"], None) };
        assert_eq!(field(goals::add(s, "t", book, &late)).0, "by");
        s.execute(book, "t", &[account("Dollars", Currency::USD)]).unwrap();
        let mixed = goal("X", "100", &["Savings", "Dollars"], None);
        assert_eq!(field(goals::add(s, "t", book, &mixed)).0, "accounts");
        assert_eq!(events(s, book), before + 1, "only the account was stored ({})", db.name);
    }
}
