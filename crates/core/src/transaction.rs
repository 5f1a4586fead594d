//! Transactions: double entry underneath, simple on the surface.
//!
//! An expense of 12.34 on Checking is two postings, Checking −12.34 and
//! the category +12.34; a transfer is two account postings; a transfer
//! between currencies adds two conversion postings so that every currency
//! sums to zero on its own. [`Transaction::new`] refuses anything else.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::error::{LedgerError, ParseError};
use crate::ids::{AccountId, CategoryId, TxId};
use crate::money::Money;

/// What a posting moves money into or out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Leg {
    /// One of the book's own accounts.
    Account(AccountId),
    /// An income or expense category.
    Category(CategoryId),
    /// The income or expense side of a transaction nobody has categorised yet.
    Uncategorized,
    /// The currency-exchange side of a transfer between currencies.
    Conversion,
}

/// A stored posting reads `{"leg":"account","id":…,"amount":"-12.34","currency":"EUR"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "PostingRepr", try_from = "PostingRepr")]
pub struct Posting {
    pub leg: Leg,
    pub amount: Money,
}

/// The flat stored form of a `Posting`. A plain struct rather than
/// `#[serde(flatten)]`, which buffers every field and made rebuild slow.
#[derive(Serialize, Deserialize)]
struct PostingRepr {
    leg: LegKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<uuid::Uuid>,
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LegKind {
    Account,
    Category,
    Uncategorized,
    Conversion,
}

impl From<Posting> for PostingRepr {
    fn from(p: Posting) -> Self {
        let (leg, id) = match p.leg {
            Leg::Account(a) => (LegKind::Account, Some(a.0)),
            Leg::Category(c) => (LegKind::Category, Some(c.0)),
            Leg::Uncategorized => (LegKind::Uncategorized, None),
            Leg::Conversion => (LegKind::Conversion, None),
        };
        PostingRepr { leg, id, amount: p.amount.amount, currency: p.amount.currency }
    }
}

impl TryFrom<PostingRepr> for Posting {
    type Error = String;
    fn try_from(r: PostingRepr) -> Result<Self, Self::Error> {
        let leg = match (r.leg, r.id) {
            (LegKind::Account, Some(id)) => Leg::Account(AccountId(id)),
            (LegKind::Category, Some(id)) => Leg::Category(CategoryId(id)),
            (LegKind::Uncategorized, _) => Leg::Uncategorized,
            (LegKind::Conversion, _) => Leg::Conversion,
            _ => return Err("an account or category posting needs an id".into()),
        };
        let amount = Money::new(r.amount, r.currency).map_err(|e| e.to_string())?;
        Ok(Posting { leg, amount })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    #[default]
    Booked,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Booked => "booked",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a transaction's category came from. A manual category always wins:
/// rules and the model never overwrite it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CategorySource {
    Manual,
    Import,
    Rule,
    Model,
}

impl CategorySource {
    pub fn as_str(&self) -> &'static str {
        match self {
            CategorySource::Manual => "manual",
            CategorySource::Import => "import",
            CategorySource::Rule => "rule",
            CategorySource::Model => "model",
        }
    }

    pub fn parse(s: &str) -> Option<CategorySource> {
        [CategorySource::Manual, CategorySource::Import, CategorySource::Rule, CategorySource::Model]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Postings that are known to balance, each inside kassa's range. The field
/// is private so that the only way to get one is through the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Postings(Vec<Posting>);

impl Postings {
    pub fn new(postings: Vec<Posting>) -> Result<Postings, LedgerError> {
        if postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        if postings.iter().any(|p| p.amount.is_zero()) {
            return Err(LedgerError::ZeroAmount);
        }
        // Behind every edge's `Amount` check: a path that built a posting
        // some other way (a conversion, stored JSON) is refused here too.
        if let Some(p) = postings.iter().find(|p| !p.amount.in_range()) {
            return Err(ParseError::AmountRange(p.amount.amount.to_string()).into());
        }
        for (currency, sum) in sums_by_currency(&postings) {
            if !sum.is_zero() {
                return Err(LedgerError::Unbalanced { currency: currency.to_string(), sum: sum.to_string() });
            }
        }
        Ok(Postings(postings))
    }

    pub fn as_slice(&self) -> &[Posting] {
        &self.0
    }

    /// The account postings, in order.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountId, Money)> + '_ {
        self.0.iter().filter_map(|p| match p.leg {
            Leg::Account(a) => Some((a, p.amount)),
            _ => None,
        })
    }

    /// The category of a simple transaction (None when uncategorised or a transfer).
    pub fn category(&self) -> Option<CategoryId> {
        self.0.iter().find_map(|p| match p.leg {
            Leg::Category(c) => Some(c),
            _ => None,
        })
    }

    pub fn is_transfer(&self) -> bool {
        self.accounts().count() >= 2
    }

    /// The same postings with the income/expense leg pointed at `category`.
    pub fn recategorized(&self, category: Option<CategoryId>) -> Postings {
        let leg = category.map_or(Leg::Uncategorized, Leg::Category);
        Postings(
            self.0
                .iter()
                .map(|p| match p.leg {
                    Leg::Category(_) | Leg::Uncategorized => Posting { leg, amount: p.amount },
                    _ => *p,
                })
                .collect(),
        )
    }
}

impl<'de> Deserialize<'de> for Postings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Postings::new(Vec::<Posting>::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

pub fn sums_by_currency(postings: &[Posting]) -> BTreeMap<Currency, Decimal> {
    let mut sums = BTreeMap::new();
    for p in postings {
        *sums.entry(p.amount.currency).or_insert(Decimal::ZERO) += p.amount.amount;
    }
    sums
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: TxId,
    pub date: Date,
    pub description: String,
    pub postings: Postings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default)]
    pub status: Status,
    /// Absent on transactions recorded before sources were kept, and when
    /// there is no category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_source: Option<CategorySource>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn eur(s: &str) -> Money {
        Money::parse(s, Currency::EUR).unwrap()
    }

    fn acc(n: u128) -> Leg {
        Leg::Account(AccountId(Uuid::from_u128(n)))
    }

    #[test]
    fn balanced_postings_are_accepted() {
        let p = Postings::new(vec![
            Posting { leg: acc(1), amount: eur("-12.34") },
            Posting { leg: Leg::Uncategorized, amount: eur("12.34") },
        ])
        .unwrap();
        assert!(!p.is_transfer());
        assert_eq!(p.category(), None);
    }

    #[test]
    fn unbalanced_and_degenerate_postings_are_refused() {
        let err = Postings::new(vec![
            Posting { leg: acc(1), amount: eur("-12.34") },
            Posting { leg: Leg::Uncategorized, amount: eur("12.33") },
        ]);
        assert!(matches!(err, Err(LedgerError::Unbalanced { .. })));
        assert!(matches!(
            Postings::new(vec![Posting { leg: acc(1), amount: eur("1") }]),
            Err(LedgerError::TooFewPostings)
        ));
        let usd = Money::parse("1", Currency::USD).unwrap();
        let mixed =
            Postings::new(vec![Posting { leg: acc(1), amount: eur("-1") }, Posting { leg: acc(2), amount: usd }]);
        assert!(matches!(mixed, Err(LedgerError::Unbalanced { .. })));
    }

    #[test]
    fn postings_outside_the_range_are_refused_however_they_were_built() {
        // `Money`'s fields are public: a path that skipped `Money::new` and
        // every edge's `Amount` is still caught here, so `decide` is too.
        let huge = Money { amount: "100000000000000".parse().unwrap(), currency: Currency::EUR };
        let err = Postings::new(vec![
            Posting { leg: acc(1), amount: huge },
            Posting { leg: Leg::Uncategorized, amount: huge.negated() },
        ]);
        assert_eq!(err, Err(LedgerError::Parse(ParseError::AmountRange("100000000000000".into()))));
        let edge = eur("99999999999999.99");
        assert!(
            Postings::new(vec![Posting { leg: acc(1), amount: edge }, Posting { leg: acc(2), amount: edge.negated() }])
                .is_ok()
        );
    }

    #[test]
    fn deserialising_checks_balance_too() {
        let json = r#"[{"leg":"uncategorized","amount":"1.00","currency":"EUR"},
                       {"leg":"conversion","amount":"-2.00","currency":"EUR"}]"#;
        assert!(serde_json::from_str::<Postings>(json).is_err());
    }
}
