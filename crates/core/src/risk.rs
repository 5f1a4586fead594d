//! Risk judgements the admin overview counts: which account is overdrawn and
//! which outflow is large. They live here, pure and in each currency's minor
//! units, rather than in SQL, where "large" was written as a fixed number of
//! (PostgreSQL) major units or (SQLite) cents and so meant something else
//! for JPY (no decimals) or KWD (three).

use crate::{AccountKind, Currency};

/// An outflow is large from this many major units of its currency on.
pub const LARGE_OUTFLOW_MAJOR: i64 = 1_000;

/// …and only when it is over this many times its account's average outflow,
/// so an account that always moves large sums is not flagged every time.
pub const AVERAGE_MULTIPLE: i64 = 5;

/// The largest (least negative) amount, in minor units of `currency`, that
/// still counts as a large outflow: −1,000 in major units.
pub fn large_outflow_ceiling(currency: Currency) -> i64 {
    -LARGE_OUTFLOW_MAJOR * 10i64.pow(currency.minor_units())
}

/// An asset account below zero. Credit cards and loans normally are.
pub fn is_overdrawn(kind: AccountKind, balance_minor: i64) -> bool {
    !kind.is_liability() && balance_minor < 0
}

/// An account's outflows summed, in minor units: the average is `total / count`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outflows {
    /// The sum of the outflows' sizes (positive). Wider than one amount: a
    /// few outflows near the edge of kassa's range sum past 64 bits.
    pub total: i128,
    pub count: i64,
}

/// `amount` (minor units of `currency`, negative for an outflow) is at most
/// −1,000 major units and more than five times the account's average outflow.
/// Compared as `size × count > 5 × total`, so no division rounds.
pub fn is_large_outflow(amount: i64, currency: Currency, account: Outflows) -> bool {
    amount <= large_outflow_ceiling(currency)
        && i128::from(amount).abs() * i128::from(account.count) > i128::from(AVERAGE_MULTIPLE) * account.total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn the_ceiling_is_a_thousand_major_units_whatever_the_decimals() {
        assert_eq!(large_outflow_ceiling(cur("EUR")), -100_000);
        assert_eq!(large_outflow_ceiling(cur("JPY")), -1_000);
        assert_eq!(large_outflow_ceiling(cur("KWD")), -1_000_000);
    }

    #[test]
    fn a_large_outflow_is_at_most_minus_1000_and_over_five_averages() {
        // Given an account whose outflows average 100 major units
        let eur = Outflows { total: 10 * 10_000, count: 10 };
        // Then 1,000.00 EUR is large, 999.99 EUR is not
        assert!(is_large_outflow(-100_000, cur("EUR"), eur));
        assert!(!is_large_outflow(-99_999, cur("EUR"), eur));
        // And exactly five averages is not over five averages
        let busy = Outflows { total: 5 * 100_000, count: 25 };
        assert!(!is_large_outflow(-100_000, cur("EUR"), busy));
    }

    #[test]
    fn jpy_has_no_minor_units() {
        let yen = Outflows { total: 10 * 100, count: 10 };
        // Given ¥1,000, which the old cents rule (−100,000) would have missed
        assert!(is_large_outflow(-1_000, cur("JPY"), yen));
        assert!(!is_large_outflow(-999, cur("JPY"), yen));
    }

    #[test]
    fn kwd_has_three() {
        let dinar = Outflows { total: 10 * 100_000, count: 10 };
        // Given 100.000 KWD, which the old cents rule would have flagged
        assert!(!is_large_outflow(-100_000, cur("KWD"), dinar));
        assert!(is_large_outflow(-1_000_000, cur("KWD"), dinar));
    }

    #[test]
    fn liabilities_below_zero_are_not_overdrawn() {
        assert!(is_overdrawn(AccountKind::Checking, -1));
        assert!(!is_overdrawn(AccountKind::Checking, 0));
        assert!(!is_overdrawn(AccountKind::CreditCard, -50_000));
        assert!(!is_overdrawn(AccountKind::Loan, -1));
    }
}
