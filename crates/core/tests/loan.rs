//! Loans (issue 17) as a fold of `loan_recorded` over the transactions as
//! they stand: given, taken and repaid in parts (hand-computed), a deleted
//! loan transaction counting nothing, and — property-tested — loans never
//! change net worth: what left or reached the accounts is exactly what the
//! open loans say is owed.

use kassa_core::loan::{LOANS, LoanKind, Loans, open_totals};
use kassa_core::{
    AccountId, AccountKind, AccountRef, BookId, CategoryId, CategoryName, Command, Currency, Event, Ledger, LedgerDate,
    NewAccount, NewTransaction, Owner, Section, TxId,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

struct Book {
    ledger: Ledger,
    log: Vec<Event>,
    next: u128,
}

impl Book {
    fn new() -> Book {
        let mut b = Book { ledger: Ledger::new(), log: vec![], next: 1 };
        b.run(Command::OpenBook { book_id: BookId(Uuid::from_u128(999)), name: "b".into(), owner: Owner::Local });
        for name in ["Checking", "Cash"] {
            let account_id = AccountId(b.id());
            b.run(Command::OpenAccount(NewAccount {
                account_id,
                name: name.into(),
                kind: AccountKind::Checking,
                currency: Currency::EUR,
                iban: None,
                number: None,
                institution: None,
                location: None,
                opened_on: LedgerDate::known(2024, 1, 1),
            }));
        }
        let category_id = CategoryId(b.id());
        b.run(Command::AddCategory {
            category_id,
            name: CategoryName::parse(LOANS).unwrap(),
            section: Section::Transfer,
        });
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

    /// A loan transaction of `signed` (+ money in) with `who` on `account`.
    fn loan(&mut self, account: &str, who: &str, kind: LoanKind, signed: Decimal) -> TxId {
        let tx_id = TxId(self.id());
        self.run(Command::RecordTransaction(NewTransaction {
            tx_id,
            account: AccountRef::Name(account.into()),
            date: LedgerDate::known(2025, 3, 1),
            amount: signed.to_string().parse().unwrap(),
            description: "loan".into(),
            category: Some(LOANS.into()),
            counterparty: Some(who.into()),
            tags: vec![],
            notes: None,
            external_id: None,
            status: Default::default(),
            category_source: None,
        }));
        self.run(Command::RecordLoan { tx_id, counterparty: who.into(), kind });
        tx_id
    }

    fn open(&self) -> Vec<(String, String, Decimal)> {
        Loans::from_events(&self.log)
            .open(&self.ledger, None)
            .into_iter()
            .map(|l| (l.counterparty, self.ledger.account(l.account).unwrap().name.clone(), l.open))
            .collect()
    }

    fn balance_total(&self) -> Decimal {
        self.ledger
            .transactions()
            .flat_map(|t| t.postings.as_slice())
            .filter(|p| matches!(p.leg, kassa_core::transaction::Leg::Account(_)))
            .map(|p| p.amount.amount)
            .sum()
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn loans_settle_in_parts_and_a_deleted_one_counts_nothing() {
    let mut b = Book::new();
    b.loan("Checking", "Anna", LoanKind::Give, d("-100"));
    b.loan("Cash", "Bob", LoanKind::Take, d("250"));
    b.loan("Checking", "ANNA ", LoanKind::Repay, d("30"));
    let wrong = b.loan("Checking", "anna", LoanKind::Repay, d("50"));
    // Anna: 100 − 30 − 50 = 20 owed to us; Bob: we owe 250.
    assert_eq!(b.open(), [("Anna".into(), "Checking".into(), d("20")), ("Bob".into(), "Cash".into(), d("-250"))]);
    // The 50 was typed by mistake: deleted, it counts nothing; then 70 settles.
    b.run(Command::DeleteTransaction { tx_id: wrong });
    b.loan("Checking", "Anna", LoanKind::Repay, d("70"));
    b.loan("Cash", "Bob", LoanKind::Repay, d("-250"));
    assert_eq!(b.open(), [("Anna".into(), "Checking".into(), d("0")), ("Bob".into(), "Cash".into(), d("0"))]);
    assert!(
        open_totals(&Loans::from_events(&b.log).open(&b.ledger, None))
            .values()
            .all(|t| t.receivable.is_zero() && t.payable.is_zero())
    );
}

proptest! {
    /// Whatever is lent, borrowed, repaid and deleted, the accounts' balances
    /// plus the open loans come to zero: a loan moves wealth between cash
    /// and claims, never in or out of the book.
    #[test]
    fn loans_never_change_net_worth(
        ops in proptest::collection::vec((0usize..3, 0usize..2, 1i64..1_000_000, any::<bool>()), 1..20),
        deletions in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut b = Book::new();
        let mut txs = vec![];
        for (who, account, cents, out) in ops {
            let who = ["Anna", "Bob", "Carl"][who];
            let account = ["Checking", "Cash"][account];
            let amount = Decimal::new(cents, 2);
            let (kind, signed) = if out { (LoanKind::Give, -amount) } else { (LoanKind::Take, amount) };
            txs.push(b.loan(account, who, kind, signed));
        }
        for i in deletions {
            let tx_id = txs.swap_remove(i.index(txs.len()));
            b.run(Command::DeleteTransaction { tx_id });
            if txs.is_empty() {
                break;
            }
        }
        let open = open_totals(&Loans::from_events(&b.log).open(&b.ledger, None));
        let owed = open.get(&Currency::EUR).copied().unwrap_or_default().net();
        prop_assert_eq!(b.balance_total() + owed, Decimal::ZERO);
    }
}
