//! A CSV profile: everything needed to read one bank's CSV layout — encoding,
//! delimiter, where the header is, date and number conventions, which column
//! means what and how the sign of an amount is written. Profiles are plain
//! TOML so users can save, edit and share them; kassa ships one per bank it
//! has seen (`profiles/*.toml`, embedded) and sniffs a proposal for the rest.

use std::sync::OnceLock;

use kassa_core::{AccountKind, Currency};
use serde::{Deserialize, Serialize};

use crate::numbers::{DateFormat, DecimalMark};
use crate::table::{self, Record};

/// How the sign of an amount is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SignConvention {
    /// One amount column, negative is money out.
    #[default]
    Signed,
    /// Unsigned amounts in a debit (out) column and a credit (in) column.
    DebitCreditColumns,
    /// Unsigned amount plus an indicator column (`D`/`C`, `Af`/`Bij`, `CR`).
    Indicator,
    /// One amount column, positive is money out (credit-card statements).
    Inverted,
}

/// Which column holds what. A column is named by its header text (compared
/// case-insensitively, spaces trimmed) or by position as `"#3"` (1-based),
/// which header-less files and duplicate header names need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub date: String,
    /// Used when `date` is empty (Revolut's pending rows have no completion date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_fallback: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    /// A fee charged on top of `amount` (Revolut): subtracted from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// Indicator values meaning money out. When only one of the two lists is
    /// given, every other value means the opposite side.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub debit_values: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credit_values: Vec<String>,
    /// Joined with " / " in this order, empty cells left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub description: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_account: Option<String>,
    /// The statement's own account (IBAN / number) when each row repeats it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Status values (or date-column words such as Amex's "Pending") that
    /// mark a row as not yet booked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_values: Vec<String>,
    /// Joined with " / " (ING Spain: category and subcategory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
}

/// Rows that are not transactions, told apart by one column's value
/// (Swedbank LT: opening balance, turnover and closing balance rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RowKinds {
    pub column: String,
    /// Dropped without a diagnostic (they are expected in this layout).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
    /// Reported as opening / closing balances instead of rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opening_balance: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closing_balance: Vec<String>,
}

/// One bank's CSV layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// The bank's name, for naming the accounts an import opens ("ING").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    /// What kind of account the layout is for, when every file of it is one
    /// kind (a card issuer's statement: `credit_card`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_kind: Option<AccountKind>,
    /// Encoding label (`"windows-1250"`, `"ISO-8859-13"`); unset means detect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Field delimiter; unset means sniff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
    /// `false` for files without a header row: columns are then `"#N"`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub has_header: bool,
    /// Records to skip before the header (or the first row). Unset: the header
    /// is the first record that contains every named column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_lines: Option<usize>,
    pub date_format: DateFormat,
    #[serde(default)]
    pub decimal: DecimalMark,
    /// Thousands separator; unset accepts any of `. , ' space NBSP` as long as
    /// the groups have three digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thousands: Option<char>,
    /// Currency of rows that don't say (the account's currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    #[serde(default)]
    pub sign: SignConvention,
    pub columns: Columns,
    /// Rows with empty date and amount continue the previous row's
    /// description (OCBC prints long texts on a second row).
    #[serde(default, skip_serializing_if = "is_false")]
    pub continuation_rows: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_kinds: Option<RowKinds>,
    /// Rows with a date but no amount are skipped with a warning instead of
    /// an error (broker statements: splits and fund conversions move no cash).
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_empty_amount: bool,
    /// Header cells that identify this layout, for `match_profile`; unset
    /// means every named column of `columns`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature: Vec<String>,
    /// For header-less layouts: a regex the first data line must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_pattern: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Profile {
    pub fn from_toml(text: &str) -> Result<Profile, String> {
        let p: Profile = toml::from_str(text).map_err(|e| e.to_string())?;
        p.validate()?;
        Ok(p)
    }

    pub fn to_toml(&self) -> String {
        // Serialising plain strings, enums and tables cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// Checks that the sign convention has the columns it needs.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.columns;
        let need = |ok: bool, what: &str| {
            if ok { Ok(()) } else { Err(format!("profile {:?}: {what}", self.name)) }
        };
        match self.sign {
            SignConvention::Signed | SignConvention::Inverted => need(c.amount.is_some(), "needs columns.amount")?,
            SignConvention::DebitCreditColumns => {
                need(c.debit.is_some() && c.credit.is_some(), "needs columns.debit and columns.credit")?
            }
            SignConvention::Indicator => need(
                c.amount.is_some()
                    && c.indicator.is_some()
                    && !(c.debit_values.is_empty() && c.credit_values.is_empty()),
                "needs columns.amount, columns.indicator and debit_values or credit_values",
            )?,
        }
        if let Some(p) = &self.line_pattern {
            regex::Regex::new(p).map_err(|e| format!("profile {:?}: line_pattern: {e}", self.name))?;
        }
        Ok(())
    }

    /// Every column reference in the profile (for header detection).
    pub fn named_columns(&self) -> Vec<&str> {
        let c = &self.columns;
        let mut v: Vec<&str> = vec![c.date.as_str()];
        for o in [
            &c.date_fallback,
            &c.value_date,
            &c.amount,
            &c.debit,
            &c.credit,
            &c.fee,
            &c.indicator,
            &c.counterparty,
            &c.counterparty_account,
            &c.account,
            &c.external_id,
            &c.currency,
            &c.balance,
            &c.status,
        ] {
            v.extend(o.as_deref());
        }
        v.extend(c.description.iter().map(String::as_str));
        v.extend(c.category.iter().map(String::as_str));
        if let Some(k) = &self.row_kinds {
            v.push(&k.column);
        }
        v.retain(|n| !n.starts_with('#'));
        v
    }

    fn signature_cells(&self) -> Vec<String> {
        let names: Vec<&str> = if self.signature.is_empty() {
            self.named_columns()
        } else {
            self.signature.iter().map(String::as_str).collect()
        };
        names.into_iter().map(table::norm_header).collect()
    }

    /// Index of the header record in `records` when every signature cell is
    /// in it.
    pub(crate) fn find_header(&self, records: &[Record]) -> Option<usize> {
        let want = self.signature_cells();
        if want.is_empty() {
            return None;
        }
        records.iter().take(60).position(|r| {
            let have: Vec<String> = r.fields.iter().map(|f| table::norm_header(f)).collect();
            want.iter().all(|w| have.contains(w))
        })
    }
}

macro_rules! builtin {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../profiles/", $file)))),*]
    };
}

/// The profiles kassa ships, one per bank layout seen in the wild.
const BUILTIN: &[(&str, &str)] = builtin!(
    "amex-uk.toml",
    "asn-nl.toml",
    "ceska-sporitelna-cz.toml",
    "danske-lt.toml",
    "erste-hu.toml",
    "ing-de.toml",
    "ing-es.toml",
    "knab-nl.toml",
    "livebank-at.toml",
    "ocbc-sg.toml",
    "rabobank-nl.toml",
    "revolut.toml",
    "sparkasse-de.toml",
    "swedbank-lt.toml",
    "ubs-ch.toml",
    "venmo-us.toml",
    "degiro-nl.toml",
    "directa-it.toml",
    "saxo.toml",
    "schwab-us.toml",
);

fn builtins() -> &'static [Profile] {
    static CELL: OnceLock<Vec<Profile>> = OnceLock::new();
    CELL.get_or_init(|| {
        BUILTIN
            .iter()
            .filter_map(|(file, text)| match Profile::from_toml(text) {
                Ok(p) => Some(p),
                Err(e) => {
                    // A test asserts that every built-in loads; never reached in a release.
                    debug_assert!(false, "{file}: {e}");
                    None
                }
            })
            .collect()
    })
}

/// The built-in profiles.
pub fn builtin_profiles() -> Vec<Profile> {
    builtins().to_vec()
}

/// The built-in profile whose signature matches the file's header (or, for a
/// header-less layout, whose line pattern matches the first line). When
/// several match, the one with the most signature cells wins.
pub fn match_profile(text: &str) -> Option<&'static Profile> {
    let mut best: Option<(&Profile, usize)> = None;
    // The first records under each delimiter the built-ins use, read once.
    let mut heads: Vec<(char, Vec<Record>)> = Vec::new();
    for p in builtins() {
        let delim = p.delimiter.unwrap_or(',');
        let score = if p.has_header {
            let i = heads.iter().position(|(d, _)| *d == delim).unwrap_or_else(|| {
                heads.push((delim, table::read_records(text, delim as u8, 60)));
                heads.len() - 1
            });
            p.find_header(&heads[i].1).map(|_| p.signature_cells().len())
        } else {
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            // A line past the record limit is no data line of any layout.
            let first = crate::util::clip(first, table::MAX_RECORD);
            let re = p.line_pattern.as_deref().and_then(|r| regex::Regex::new(r).ok());
            re.filter(|re| re.is_match(first)).map(|_| 1)
        };
        if let Some(s) = score
            && best.is_none_or(|(_, b)| s > b)
        {
            best = Some((p, s));
        }
    }
    best.map(|(p, _)| p)
}

/// Builds the built-in TOML list check; used by tests.
pub fn builtin_sources() -> impl Iterator<Item = (&'static str, &'static str)> {
    BUILTIN.iter().copied()
}
