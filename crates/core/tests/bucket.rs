//! Buckets (issue 17, seed 004), hand-computed: shares rounded half to even
//! with the residue in Unallocated, a percentage change keeping history, a
//! recategorised or deleted income taking its allocation back, spending and
//! moves, and more than 100 % refused naming the buckets. The figures come
//! from folding the log, as `kassa bucket list` does.

use jiff::civil::{Date, date};
use kassa_core::bucket::{BucketError, BucketRow, Buckets, UNALLOCATED};
use kassa_core::{
    AccountKind, AccountRef, BookId, CategoryId, CategoryName, Command, Currency, Event, Ledger, LedgerDate, Money,
    NewAccount, NewTransaction, Owner, Section, TxId,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn day(s: &str) -> LedgerDate {
    LedgerDate::parse(s).unwrap()
}

/// A book's log, built by deciding commands as the store would.
struct Book {
    ledger: Ledger,
    log: Vec<Event>,
    next: u128,
}

impl Book {
    fn new() -> Book {
        let mut b = Book { ledger: Ledger::new(), log: vec![], next: 1 };
        b.run(Command::OpenBook { book_id: BookId(Uuid::from_u128(999)), name: "b".into(), owner: Owner::Local });
        for (name, kind) in [("Checking", AccountKind::Checking), ("Cash", AccountKind::Cash)] {
            let account_id = kassa_core::AccountId(b.id());
            b.run(Command::OpenAccount(NewAccount {
                account_id,
                name: name.into(),
                kind,
                currency: Currency::EUR,
                iban: None,
                number: None,
                institution: None,
                location: None,
                opened_on: day("2024-01-01"),
            }));
        }
        for (name, section) in [
            ("Salary", Section::Income),
            ("Gifts", Section::Income),
            ("Side", Section::Income),
            ("Side:Tutoring", Section::Income),
            ("Food", Section::Expense),
        ] {
            let category_id = CategoryId(b.id());
            b.run(Command::AddCategory { category_id, name: CategoryName::parse(name).unwrap(), section });
        }
        b
    }

    fn id(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128(self.next)
    }

    fn run(&mut self, cmd: Command) {
        let events = self.ledger.execute(&[cmd]).expect("decided");
        self.log.extend(events);
    }

    fn buckets(&self) -> Buckets {
        Buckets::from_events(&self.log)
    }

    /// `bucket add`, checked as the app checks it.
    fn bucket(&mut self, name: &str, percent: &str, categories: &[&str], from: &str) -> Result<(), BucketError> {
        let cmd = Command::SetBucket {
            name: name.into(),
            percent: d(percent),
            income_categories: categories.iter().map(|c| c.to_string()).collect(),
            accounts: vec![],
            from: day(from),
        };
        let [Event::BucketSet(set)] = &self.ledger.decide(&cmd).expect("decided")[..] else { panic!("one event") };
        self.buckets().check(set)?;
        self.run(cmd);
        Ok(())
    }

    fn tx(&mut self, account: &str, date: &str, amount: &str, category: &str) -> TxId {
        let tx_id = TxId(self.id());
        self.run(Command::RecordTransaction(NewTransaction {
            tx_id,
            account: AccountRef::Name(account.into()),
            date: day(date),
            amount: amount.parse().unwrap(),
            description: "t".into(),
            category: Some(category.into()),
            counterparty: None,
            tags: vec![],
            notes: None,
            external_id: None,
            status: Default::default(),
            category_source: None,
        }));
        tx_id
    }

    fn list(&self, as_of: Option<Date>) -> Vec<(String, String, String, String, String, String, String)> {
        self.buckets().list(&self.ledger, as_of, Currency::EUR).iter().map(flat).collect()
    }
}

fn flat(r: &BucketRow) -> (String, String, String, String, String, String, String) {
    let s = |x: Decimal| x.to_string();
    (r.bucket.clone(), s(r.percent), s(r.allocated), s(r.spent), s(r.moved_in), s(r.moved_out), s(r.balance))
}

fn row(
    b: &str,
    p: &str,
    alloc: &str,
    spent: &str,
    i: &str,
    o: &str,
    bal: &str,
) -> (String, String, String, String, String, String, String) {
    (b.into(), p.into(), alloc.into(), spent.into(), i.into(), o.into(), bal.into())
}

#[test]
fn shares_round_half_to_even_and_unallocated_takes_the_residue() {
    let mut b = Book::new();
    b.bucket("Savings", "50", &[], "2025-01-01").unwrap();
    b.bucket("Fun", "25", &[], "2025-01-01").unwrap();
    // 10.01: Savings 5.005 → 5.00 (to even), Fun 2.5025 → 2.50, rest 2.51.
    b.tx("Checking", "2025-01-10", "10.01", "Salary");
    // 0.10: Savings 0.05, Fun 0.025 → 0.02 (to even), rest 0.03.
    b.tx("Checking", "2025-01-11", "0.10", "Gifts");
    assert_eq!(
        b.list(None),
        vec![
            row("Fun", "25", "2.52", "0", "0", "0", "2.52"),
            row("Savings", "50", "5.05", "0", "0", "0", "5.05"),
            row(UNALLOCATED, "25", "2.54", "0", "0", "0", "2.54"),
        ]
    );
}

#[test]
fn a_percentage_change_applies_from_its_date_and_history_keeps_old_shares() {
    let mut b = Book::new();
    b.bucket("Savings", "10", &["Salary"], "2025-01-01").unwrap();
    b.tx("Checking", "2025-02-01", "1000.00", "Salary");
    b.bucket("Savings", "20", &["Salary"], "2025-03-01").unwrap();
    b.tx("Checking", "2025-03-01", "1000.00", "Salary");
    // An income before the bucket's first date feeds nothing.
    b.tx("Checking", "2024-12-31", "1000.00", "Salary");
    assert_eq!(
        b.list(Some(date(2025, 2, 28))),
        vec![
            row("Savings", "10", "100.00", "0", "0", "0", "100.00"),
            row(UNALLOCATED, "90", "1900.00", "0", "0", "0", "1900.00")
        ]
    );
    assert_eq!(
        b.list(None),
        vec![
            row("Savings", "20", "300.00", "0", "0", "0", "300.00"),
            row(UNALLOCATED, "80", "2700.00", "0", "0", "0", "2700.00")
        ]
    );
}

#[test]
fn recategorising_or_deleting_an_income_takes_its_allocation_back() {
    let mut b = Book::new();
    // Fed by Side, so by its child Side:Tutoring too.
    b.bucket("Savings", "10", &["Salary", "Side"], "2025-01-01").unwrap();
    let pay = b.tx("Checking", "2025-01-05", "500.00", "Salary");
    let tutoring = b.tx("Cash", "2025-01-06", "80.00", "Side:Tutoring");
    assert_eq!(b.list(None)[0], row("Savings", "10", "58.00", "0", "0", "0", "58.00"));

    b.run(Command::Recategorize { tx_id: pay, category: Some("Gifts".into()) });
    assert_eq!(
        b.list(None),
        vec![
            row("Savings", "10", "8.00", "0", "0", "0", "8.00"),
            row(UNALLOCATED, "90", "572.00", "0", "0", "0", "572.00")
        ]
    );
    // Recategorised out of income altogether: no income, no allocation.
    b.run(Command::Recategorize { tx_id: pay, category: Some("Food".into()) });
    b.run(Command::DeleteTransaction { tx_id: tutoring });
    assert_eq!(
        b.list(None),
        vec![row("Savings", "10", "0", "0", "0", "0", "0"), row(UNALLOCATED, "90", "0", "0", "0", "0", "0")]
    );
}

#[test]
fn spending_and_moves_make_the_balance() {
    let mut b = Book::new();
    b.bucket("Savings", "10", &[], "2025-01-01").unwrap();
    b.bucket("Holidays", "5", &[], "2025-01-01").unwrap();
    b.tx("Checking", "2025-01-01", "1000.00", "Salary");
    let flight = b.tx("Checking", "2025-01-10", "-30.00", "Food");
    b.run(Command::AssignBucket { tx_id: flight, bucket: Some("Savings".into()) });
    let refund = b.tx("Checking", "2025-01-12", "5.00", "Food");
    b.run(Command::AssignBucket { tx_id: refund, bucket: Some("Savings".into()) });
    let eur = Money::new(d("20.00"), Currency::EUR).unwrap();
    b.run(Command::MoveBucket { from: "Savings".into(), to: "Holidays".into(), amount: eur, date: day("2025-01-15") });
    // Savings: 100 − (30 − 5) + 0 − 20 = 55; Holidays: 50 + 20 = 70.
    assert_eq!(
        b.list(None),
        vec![
            row("Holidays", "5", "50.00", "0", "20.00", "0", "70.00"),
            row("Savings", "10", "100.00", "25.00", "0", "20.00", "55.00"),
            row(UNALLOCATED, "85", "850.00", "0", "0", "0", "850.00"),
        ]
    );
    // As of the 11th: the refund and the move have not happened yet.
    assert_eq!(b.list(Some(date(2025, 1, 11)))[1], row("Savings", "10", "100.00", "30.00", "0", "0", "70.00"));
    // Unassigned, the spending no longer comes from the bucket.
    b.run(Command::AssignBucket { tx_id: flight, bucket: None });
    assert_eq!(b.list(None)[1], row("Savings", "10", "100.00", "-5.00", "0", "20.00", "85.00"));
}

#[test]
fn more_than_100_percent_is_refused_naming_the_buckets() {
    let mut b = Book::new();
    b.bucket("Savings", "60", &[], "2025-01-01").unwrap();
    b.bucket("Rent", "30", &[], "2025-01-01").unwrap();
    let err = b.bucket("Fun", "20.5", &[], "2025-01-01").unwrap_err().to_string();
    assert_eq!(
        err,
        "bucket percentages would add up to 110.5 % on 2025-01-01 (over 100): Fun 20.5 %, Rent 30 %, Savings 60 %"
    );
    // Lowering Savings later does not make room before its date…
    b.bucket("Savings", "40", &[], "2025-06-01").unwrap();
    assert!(b.bucket("Fun", "20", &[], "2025-01-01").is_err());
    // …but does from it.
    b.bucket("Fun", "20", &[], "2025-06-01").unwrap();
    // Checked on every later date a setting takes effect, not only its own:
    // Car fits in July (95 %), not once Savings rises in September.
    b.bucket("Savings", "50", &[], "2025-09-01").unwrap();
    let err = b.bucket("Car", "5", &[], "2025-07-01").unwrap_err().to_string();
    assert_eq!(
        err,
        "bucket percentages would add up to 105 % on 2025-09-01 (over 100): Car 5 %, Fun 20 %, Rent 30 %, Savings 50 %"
    );
    assert_eq!(b.buckets().buckets.len(), 3, "nothing of the refusals stored");
}

#[test]
fn decisions_refuse_bad_bucket_input() {
    let b = Book::new();
    let set = |percent: &str, categories: Vec<String>| Command::SetBucket {
        name: "Savings".into(),
        percent: d(percent),
        income_categories: categories,
        accounts: vec![],
        from: day("2025-01-01"),
    };
    let err = |cmd: Command| b.ledger.decide(&cmd).unwrap_err().to_string();
    assert_eq!(err(set("100.01", vec![])), "percent: must be within 0 to 100, got 100.01");
    assert!(err(set("10", vec!["Food".into()])).contains("'Food' is in the expense section"));
    assert!(err(set("10", vec!["Salry".into()])).contains("Salry"));
    let Command::SetBucket { percent, income_categories, accounts, from, .. } = set("10", vec![]) else { panic!() };
    let unallocated = Command::SetBucket { name: "unallocated".into(), percent, income_categories, accounts, from };
    assert!(err(unallocated).starts_with("name: "));
}

proptest! {
    /// Whatever the percentages and incomes, an income's parts add up to it.
    #[test]
    fn the_parts_of_every_income_add_up(
        percents in proptest::collection::vec(0u32..=4000, 1..4),
        incomes in proptest::collection::vec(1i64..10_000_000, 1..8),
    ) {
        prop_assume!(percents.iter().sum::<u32>() <= 10_000);
        let mut b = Book::new();
        for (i, p) in percents.iter().enumerate() {
            b.bucket(&format!("B{i}"), &Decimal::new(i64::from(*p), 2).to_string(), &[], "2025-01-01").unwrap();
        }
        let mut total = Decimal::ZERO;
        for (i, cents) in incomes.iter().enumerate() {
            let amount = Decimal::new(*cents, 2);
            total += amount;
            b.tx("Checking", &format!("2025-01-{:02}", i + 1), &amount.to_string(), "Salary");
        }
        let rows = b.buckets().list(&b.ledger, None, Currency::EUR);
        prop_assert_eq!(rows.iter().map(|r| r.allocated).sum::<Decimal>(), total);
    }
}
