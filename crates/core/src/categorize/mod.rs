//! Categorisation (SPEC C4): an ordered rule engine, merchant normalisation and
//! a local learning categoriser, all pure — the store and CLI feed them.
//!
//! The pieces are used in this order on import: [`rules::RuleSet::apply`] runs
//! first (an explicit user rule always wins); when no rule set a category,
//! [`model::Categorizer::predict`] suggests one with a confidence and the
//! evidence; [`policy::Policy::judge`] (thresholds calibrated per class, and a
//! higher bar for merchants the history never had) decides whether it is
//! auto-applied or only offered. Corrections go back through [`model::Categorizer::learn`].
//!
//! Nothing here knows the ledger's transaction type: callers map their rows onto
//! [`TxView`], a borrowed view with just the fields categorisation looks at.

pub mod evaluate;
pub mod features;
pub mod holdout;
pub mod merchant;
pub mod model;
pub mod policy;
pub mod rules;
pub mod synth;

use jiff::civil::Date;
use rust_decimal::Decimal;

pub use evaluate::{Report, choose_threshold, evaluate};
pub use merchant::normalize_merchant;
pub use model::{Categorizer, ModelKind, Prediction};
pub use policy::{Policy, Verdict};
pub use rules::{Action, Condition, Field, Op, Predicate, Rule, RuleError, RuleOutcome, RuleSet};

/// What categorisation sees of a transaction. Borrowed so that rule runs over a
/// whole book allocate nothing per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxView<'a> {
    /// The bank's free text (booking text, payee and purpose as imported).
    pub description: &'a str,
    /// The counterparty name if the source has a separate field for it.
    pub counterparty: Option<&'a str>,
    /// Signed: negative is money leaving the account (an outflow).
    pub amount: Decimal,
    /// ISO 4217 code as text, e.g. "EUR".
    pub currency: &'a str,
    /// The ledger account the row was imported into, e.g. "Assets:Bank:DE".
    pub account: &'a str,
    pub date: Date,
    /// The category already assigned, if any (ignored by rules and prediction;
    /// carried so training data can be passed as views).
    pub category: Option<&'a str>,
}

impl<'a> TxView<'a> {
    /// A view with only the required fields; the optional ones are empty.
    pub fn new(description: &'a str, amount: Decimal, date: Date) -> Self {
        TxView { description, counterparty: None, amount, currency: "EUR", account: "", date, category: None }
    }
}

/// Folds text for matching: lower case, diacritics removed, whitespace runs
/// collapsed to one space, trimmed.
///
/// Why accent-insensitive: bank exports lose accents unpredictably (Latin-1
/// files decoded as ASCII, "MUNCHEN" next to "München", "CAFE" next to "Café"),
/// so a rule written as `contains = "cafe"` must match both. The table covers
/// Latin-1 and Latin Extended-A, which is every European bank we import; other
/// scripts pass through lower-cased. ß becomes "ss", æ "ae", ø "o", œ "oe".
/// (German umlauts fold to the bare vowel, so "MUENCHEN" still differs from
/// "München" — a rule that cares writes both spellings.)
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if ch.is_ascii() {
            out.push(ch.to_ascii_lowercase());
        } else {
            push_folded(&mut out, ch);
        }
    }
    out
}

/// Removes diacritics but keeps case and spacing; used on regex patterns, where
/// lower-casing would change meaning (`\D` vs `\d`).
pub fn strip_accents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let upper = ch.is_uppercase();
            let start = out.len();
            push_folded(&mut out, ch);
            if upper {
                let tail = out.split_off(start).to_uppercase();
                out.push_str(&tail);
            }
        }
    }
    out
}

/// Appends the lower-case, accent-free form of one non-ASCII character.
fn push_folded(out: &mut String, ch: char) {
    let lower = ch.to_lowercase().next().unwrap_or(ch);
    let folded: &str = match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        // Typographic look-alikes that bank exports mix with ASCII.
        '\u{2018}' | '\u{2019}' | '´' => "'",
        '\u{2013}' | '\u{2014}' => "-",
        _ => {
            out.extend(ch.to_lowercase());
            return;
        }
    };
    out.push_str(folded);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_lowers_strips_accents_and_collapses_space() {
        assert_eq!(fold("  Café   MÉTRO  "), "cafe metro");
        assert_eq!(fold("Straße Ærø Łódź"), "strasse aero lodz");
        assert_eq!(strip_accents(r"Caf[ée]\D"), r"Caf[ee]\D");
        assert_eq!(strip_accents("MÜNCHEN"), "MUNCHEN");
    }
}
