//! Accounts: where money is held (or owed). Each has one currency.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::error::ParseError;
use crate::iban::Iban;
use crate::ids::AccountId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Checking,
    Savings,
    Cash,
    CreditCard,
    Loan,
    Brokerage,
}

impl AccountKind {
    pub const ALL: [AccountKind; 6] = [
        AccountKind::Checking,
        AccountKind::Savings,
        AccountKind::Cash,
        AccountKind::CreditCard,
        AccountKind::Loan,
        AccountKind::Brokerage,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            AccountKind::Checking => "checking",
            AccountKind::Savings => "savings",
            AccountKind::Cash => "cash",
            AccountKind::CreditCard => "credit_card",
            AccountKind::Loan => "loan",
            AccountKind::Brokerage => "brokerage",
        }
    }

    /// Liabilities normally carry a negative balance (money owed).
    pub fn is_liability(&self) -> bool {
        matches!(self, AccountKind::CreditCard | AccountKind::Loan)
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        AccountKind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm || (norm == "credit" && *k == AccountKind::CreditCard))
            .ok_or_else(|| ParseError::AccountKind(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub kind: AccountKind,
    pub currency: Currency,
    pub iban: Option<Iban>,
    pub number: Option<String>,
    pub institution: Option<String>,
    /// Where the money physically or virtually is ("wallet", "home safe").
    pub location: Option<String>,
    pub opened_on: Date,
}
