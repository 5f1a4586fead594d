//! Categories: the income and expense side of double entry. A name like
//! `Transport:Fuel` is a child of `Transport`; reports roll children up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParseError;
use crate::ids::CategoryId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Income,
    Expense,
    /// Neutral moves between own accounts.
    Transfer,
}

impl Section {
    pub fn as_str(&self) -> &'static str {
        match self {
            Section::Income => "income",
            Section::Expense => "expense",
            Section::Transfer => "transfer",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Section {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "income" => Ok(Section::Income),
            "expense" | "expenses" => Ok(Section::Expense),
            "transfer" | "transfers" => Ok(Section::Transfer),
            _ => Err(ParseError::Section(s.to_string())),
        }
    }
}

/// A validated category path: non-empty segments separated by `:`, each
/// trimmed; `Food : Coffee` is stored as `Food:Coffee`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryName(String);

impl CategoryName {
    pub fn parse(s: &str) -> Result<CategoryName, ParseError> {
        let segments: Vec<&str> = s.split(':').map(str::trim).collect();
        if segments.iter().any(|seg| seg.is_empty()) {
            return Err(ParseError::CategoryName(s.to_string()));
        }
        Ok(CategoryName(segments.join(":")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `Transport:Fuel` → `Some(Transport)`.
    pub fn parent(&self) -> Option<CategoryName> {
        self.0.rsplit_once(':').map(|(p, _)| CategoryName(p.to_string()))
    }

    /// The first `depth` segments (`depth` ≥ 1), for roll-ups.
    pub fn truncated(&self, depth: usize) -> CategoryName {
        CategoryName(self.0.split(':').take(depth.max(1)).collect::<Vec<_>>().join(":"))
    }

    pub fn depth(&self) -> usize {
        self.0.split(':').count()
    }
}

impl FromStr for CategoryName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CategoryName::parse(s)
    }
}

impl TryFrom<String> for CategoryName {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CategoryName::parse(&s)
    }
}

impl From<CategoryName> for String {
    fn from(c: CategoryName) -> String {
        c.0
    }
}

impl fmt::Display for CategoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CategoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: CategoryName,
    pub section: Section,
}

/// The categories `kassa init` creates in a new book: broad enough that a
/// first import has somewhere to go, few enough to read at a glance.
pub const DEFAULT_CATEGORIES: &[(&str, Section)] = &[
    ("Salary", Section::Income),
    ("Interest", Section::Income),
    ("Dividends", Section::Income),
    ("Gifts Received", Section::Income),
    ("Refunds", Section::Income),
    ("Other Income", Section::Income),
    ("Housing:Rent", Section::Expense),
    ("Housing:Utilities", Section::Expense),
    ("Housing:Insurance", Section::Expense),
    ("Groceries", Section::Expense),
    ("Eating Out", Section::Expense),
    ("Eating Out:Coffee", Section::Expense),
    ("Transport:Public Transport", Section::Expense),
    ("Transport:Fuel", Section::Expense),
    ("Transport:Taxi", Section::Expense),
    ("Health", Section::Expense),
    ("Shopping", Section::Expense),
    ("Entertainment", Section::Expense),
    ("Subscriptions", Section::Expense),
    ("Travel", Section::Expense),
    ("Education", Section::Expense),
    ("Fees", Section::Expense),
    ("Taxes", Section::Expense),
    ("Gifts Given", Section::Expense),
    ("Other Expenses", Section::Expense),
    ("Savings Transfer", Section::Transfer),
    ("Card Payment", Section::Transfer),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_validated() {
        assert_eq!(CategoryName::parse(" Food : Coffee ").unwrap().as_str(), "Food:Coffee");
        assert!(CategoryName::parse("Food::Coffee").is_err());
        assert!(CategoryName::parse("").is_err());
        let c = CategoryName::parse("A:B:C").unwrap();
        assert_eq!(c.parent().unwrap().as_str(), "A:B");
        assert_eq!(c.truncated(1).as_str(), "A");
        assert_eq!(c.depth(), 3);
    }

    #[test]
    fn defaults_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (name, _) in DEFAULT_CATEGORIES {
            assert!(seen.insert(CategoryName::parse(name).unwrap()));
        }
    }
}
