//! Properties of the pure ledger, given / when / then: for any sequence of
//! commands, whatever `decide` accepts keeps every transaction balanced and
//! the whole book summing to zero per currency, and folding the emitted
//! events reproduces the state the commands built.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kassa_core::transaction::sums_by_currency;
use kassa_core::{
    AccountId, AccountKind, AccountRef, Amount, BookId, CategoryId, CategoryName, Command, Currency, Event, Ledger,
    LedgerDate, LedgerError, NewAccount, NewTransaction, NewTransfer, Owner, Section, Status, TxId,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

const CURRENCIES: [Currency; 3] = [Currency::EUR, Currency::USD, Currency::JPY];

fn in_range(d: Date) -> LedgerDate {
    LedgerDate::new(d).unwrap()
}

fn date(day: u16) -> Date {
    jiff::civil::date(2024, 1, 1).checked_add(jiff::Span::new().days(i64::from(day))).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Account { currency: usize },
    Category { n: u8 },
    Record { account: usize, day: u16, units: i64, scale: u32, category: Option<usize> },
    Transfer { from: usize, to: usize, units: i64, to_units: Option<i64> },
    Recategorize { nth: usize, category: Option<usize> },
    Delete { nth: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..3usize).prop_map(|currency| Op::Account { currency }),
        1 => any::<u8>().prop_map(|n| Op::Category { n }),
        6 => (any::<usize>(), 0..400u16, -1_000_000..1_000_000i64, 0..4u32, proptest::option::of(any::<usize>()))
            .prop_map(|(account, day, units, scale, category)| Op::Record { account, day, units, scale, category }),
        3 => (any::<usize>(), any::<usize>(), -10..1_000_000i64, proptest::option::of(1..2_000_000i64))
            .prop_map(|(from, to, units, to_units)| Op::Transfer { from, to, units, to_units }),
        1 => (any::<usize>(), proptest::option::of(any::<usize>())).prop_map(|(nth, category)| Op::Recategorize { nth, category }),
        1 => any::<usize>().prop_map(|nth| Op::Delete { nth }),
    ]
}

/// Turns an abstract op into a command against what exists so far; ops that
/// reference nothing yet are skipped.
struct World {
    accounts: Vec<String>,
    categories: Vec<String>,
    txs: Vec<TxId>,
    seq: u128,
}

impl World {
    fn id(&mut self) -> Uuid {
        self.seq += 1;
        Uuid::from_u128(self.seq)
    }

    fn command(&mut self, op: &Op) -> Option<Command> {
        let pick = |v: &Vec<String>, i: usize| (!v.is_empty()).then(|| v[i % v.len()].clone());
        Some(match op {
            Op::Account { currency } => {
                let name = format!("Account {}", self.accounts.len());
                self.accounts.push(name.clone());
                Command::OpenAccount(NewAccount {
                    account_id: AccountId(self.id()),
                    name,
                    kind: AccountKind::Checking,
                    currency: CURRENCIES[*currency],
                    iban: None,
                    number: None,
                    institution: None,
                    location: None,
                    opened_on: in_range(date(0)),
                })
            }
            Op::Category { n } => {
                let name = format!("Cat{}:Sub{}", n % 4, n % 3);
                self.categories.push(name.clone());
                Command::AddCategory {
                    category_id: CategoryId(self.id()),
                    name: CategoryName::parse(&name).unwrap(),
                    section: Section::Expense,
                }
            }
            Op::Record { account, day, units, scale, category } => {
                let tx_id = TxId(self.id());
                self.txs.push(tx_id);
                Command::RecordTransaction(NewTransaction {
                    tx_id,
                    account: AccountRef::Name(pick(&self.accounts, *account)?),
                    date: in_range(date(*day)),
                    amount: Amount::new(Decimal::new(*units, *scale)).unwrap(),
                    description: "p".into(),
                    category: category.and_then(|c| pick(&self.categories, c)),
                    counterparty: None,
                    tags: vec![],
                    notes: None,
                    external_id: None,
                    status: Status::Booked,
                    category_source: None,
                })
            }
            Op::Transfer { from, to, units, to_units } => {
                let tx_id = TxId(self.id());
                self.txs.push(tx_id);
                Command::Transfer(NewTransfer {
                    tx_id,
                    from: AccountRef::Name(pick(&self.accounts, *from)?),
                    to: AccountRef::Name(pick(&self.accounts, *to)?),
                    date: in_range(date(10)),
                    amount: Amount::new(Decimal::new(*units, 2)).unwrap(),
                    to_amount: to_units.map(|u| Amount::new(Decimal::new(u, 2)).unwrap()),
                    description: "t".into(),
                    external_id: None,
                })
            }
            Op::Recategorize { nth, category } => {
                let tx_id = *self.txs.get(nth % self.txs.len().max(1))?;
                Command::Recategorize { tx_id, category: category.and_then(|c| pick(&self.categories, c)) }
            }
            Op::Delete { nth } => Command::DeleteTransaction { tx_id: *self.txs.get(nth % self.txs.len().max(1))? },
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn accepted_commands_keep_the_book_balanced(ops in proptest::collection::vec(op(), 0..80)) {
        let mut ledger = Ledger::new();
        let mut log: Vec<Event> = vec![];
        let mut world = World { accounts: vec![], categories: vec![], txs: vec![], seq: 0 };
        let open = Command::OpenBook { book_id: BookId(world.id()), name: "p".into(), owner: Owner::Local };
        for e in ledger.decide(&open).unwrap() { ledger.apply(&e); log.push(e); }

        for op in &ops {
            let Some(cmd) = world.command(op) else { continue };
            match ledger.decide(&cmd) {
                Ok(events) => for e in events { ledger.apply(&e); log.push(e); },
                // Refusals are fine (bad precision, cross-currency without a rate,
                // a deleted transaction); a refusal must not change the state.
                Err(LedgerError::Parse(_) | LedgerError::TransferNeedsRate { .. } | LedgerError::TransferToSelf(_)
                    | LedgerError::TransferNotPositive(_) | LedgerError::ZeroAmount | LedgerError::UnknownTransaction(_)
                    | LedgerError::DuplicateCategory(_) | LedgerError::Unbalanced { .. }) => {}
                Err(other) => prop_assert!(false, "unexpected refusal {other:?} of {cmd:?}"),
            }
        }

        let mut book: BTreeMap<Currency, Decimal> = BTreeMap::new();
        for t in ledger.transactions() {
            for (cur, sum) in sums_by_currency(t.postings.as_slice()) {
                prop_assert!(sum.is_zero(), "transaction {} does not balance in {}", t.id, cur);
                *book.entry(cur).or_default() += sum;
            }
            for p in t.postings.as_slice() {
                prop_assert!(p.amount.amount.scale() <= p.amount.currency.minor_units());
            }
        }
        prop_assert!(book.values().all(Decimal::is_zero));

        // Replaying the log (through its stored JSON form) rebuilds the same state.
        let replayed = Ledger::from_events(
            &log.iter()
                .map(|e| Event::from_stored(e.type_name(), e.schema_version(), &e.data_json()).unwrap())
                .collect::<Vec<_>>(),
        );
        prop_assert_eq!(replayed.balances(None), ledger.balances(None));
        prop_assert_eq!(replayed.balances(Some(date(100))), ledger.balances(Some(date(100))));
        let mut a: Vec<_> = replayed.transactions().cloned().collect();
        let mut b: Vec<_> = ledger.transactions().cloned().collect();
        a.sort_by_key(|t| t.id);
        b.sort_by_key(|t| t.id);
        prop_assert_eq!(a, b);
    }
}
