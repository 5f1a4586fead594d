//! Properties of kassa's range (issue 14): every amount inside it
//! round-trips exactly through text, minor units and the stored event
//! format in every currency; every amount outside it is refused by each
//! constructor; and the sums a store keeps never overflow 64 bits, however
//! the amounts come.

use kassa_core::money::{LIMIT, TotalRange, in_range};
use kassa_core::{
    AccountId, Amount, Currency, Event, Leg, Money, ParseError, Posting, Postings, Status, Transaction, TxId,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

/// Every currency kassa knows.
fn currency() -> impl Strategy<Value = Currency> {
    let all: Vec<Currency> = Currency::all().collect();
    proptest::sample::select(all)
}

/// The largest number of minor units inside the range in `c`.
fn max_minor(c: Currency) -> i64 {
    100_000_000_000_000_i64 * 10_i64.pow(c.minor_units()) - 1
}

/// An amount inside the range, as (currency, minor units), edges included.
fn in_range_amount() -> impl Strategy<Value = (Currency, i64)> {
    currency().prop_flat_map(|c| {
        let max = max_minor(c);
        (Just(c), prop_oneof![1 => Just(max), 1 => Just(-max), 1 => Just(1_i64), 1 => Just(-1_i64), 6 => -max..=max])
    })
}

fn transaction(m: Money) -> Transaction {
    let postings = Postings::new(vec![
        Posting { leg: Leg::Account(AccountId(Uuid::from_u128(1))), amount: m },
        Posting { leg: Leg::Uncategorized, amount: m.negated() },
    ])
    .expect("an amount in range balanced by its negation");
    Transaction {
        id: TxId(Uuid::from_u128(2)),
        date: jiff::civil::date(2024, 5, 1),
        description: "p".into(),
        postings,
        counterparty: None,
        tags: vec![],
        notes: None,
        external_id: None,
        status: Status::Booked,
        category_source: None,
    }
}

proptest! {
    #[test]
    fn amounts_in_range_round_trip((c, units) in in_range_amount()) {
        let m = Money::from_minor_units(units, c);
        prop_assert!(m.in_range());
        prop_assert_eq!(m.minor_units(), Some(units));
        let text = m.amount.to_string();
        prop_assert_eq!(Money::parse(&text, c), Ok(m));
        prop_assert_eq!(Amount::parse(&text).map(Amount::get), Ok(m.amount));
        prop_assert_eq!(Money::new(m.amount, c), Ok(m));
        if units != 0 {
            let e = Event::TransactionRecorded(transaction(m));
            let back = Event::from_stored(e.type_name(), e.schema_version(), &e.data_json());
            prop_assert_eq!(back.ok(), Some(e));
        }
    }

    #[test]
    fn amounts_outside_the_range_are_refused(c in currency(), over in 0..u64::MAX, negative in any::<bool>()) {
        let size = LIMIT + Decimal::new(i64::try_from(over >> 1).unwrap_or(i64::MAX), c.minor_units());
        let amount = if negative { -size } else { size };
        prop_assert!(!in_range(amount));
        prop_assert_eq!(Amount::new(amount), Err(ParseError::AmountRange(amount.to_string())));
        prop_assert_eq!(Money::new(amount, c), Err(ParseError::AmountRange(amount.to_string())));
        let by_hand = Money { amount, currency: c };
        let p = Postings::new(vec![
            Posting { leg: Leg::Account(AccountId(Uuid::from_u128(1))), amount: by_hand },
            Posting { leg: Leg::Uncategorized, amount: by_hand.negated() },
        ]);
        prop_assert!(p.is_err(), "a posting built by hand outside the range");
    }

    /// The store's rule for a total it keeps: old + change with
    /// `checked_add`, kept only if its range holds it. However the amounts
    /// come and however often the rule refuses them, nothing overflows and
    /// every kept total is exact in 64-bit minor units.
    #[test]
    fn kept_totals_never_overflow(c in currency(), units in proptest::collection::vec(-i64::MAX..i64::MAX, 1..300)) {
        for range in [TotalRange::Balance, TotalRange::Stored] {
            let mut total = Money::zero(c);
            let mut exact: i128 = 0;
            for u in &units {
                let change = Money::from_minor_units(u % max_minor(c), c);
                prop_assert!(range.holds(change), "every amount in range is a total too");
                let next = total.checked_add(change);
                prop_assert!(next.is_some(), "{total:?} + {change:?} overflowed Decimal");
                if let Some(n) = next.filter(|n| range.holds(*n)) {
                    total = n;
                    exact += i128::from(u % max_minor(c));
                }
                prop_assert_eq!(total.minor_units().map(i128::from), Some(exact));
            }
            prop_assert!(range != TotalRange::Balance || total.in_range());
        }
    }

    /// In `Decimal`, where reads and reports sum, in-range amounts add up
    /// by the thousand without overflow, exactly.
    #[test]
    fn sums_of_amounts_in_range_are_exact(c in currency(), units in proptest::collection::vec(-i64::MAX..i64::MAX, 1..1000)) {
        let max = max_minor(c);
        let mut sum = Money::zero(c);
        let mut exact: i128 = 0;
        for u in units {
            let u = u % max;
            sum = sum.checked_add(Money::from_minor_units(u, c)).expect("no overflow");
            exact += i128::from(u);
        }
        prop_assert_eq!(sum.amount, Decimal::from_i128_with_scale(exact, c.minor_units()));
    }
}
