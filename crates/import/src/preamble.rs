//! What the lines above a bank CSV's table say about its account. Many banks
//! print a block of `label;value` lines before the header — ING's "IBAN;DE12
//! …", "Kontoname;Girokonto", "Bank;ING", OCBC's "Account details for:,FRANK
//! Account 666-…" — and no account column in the table. Those facts become
//! the account hint of every row that carries none, so `--create-accounts`
//! opens the right account instead of one per currency.
//!
//! Labels are matched in several languages, case and a trailing colon
//! ignored. An IBAN-shaped token without a label counts only when its
//! mod-97 check passes: a reference or a phone number in a title line is no
//! account.

use std::sync::OnceLock;

use kassa_core::{Currency, Iban};
use regex::Regex;

use crate::model::AccountHint;
use crate::table::{Record, clean};

/// The longest value kept for a name or bank: a name, not a text.
const MAX_VALUE: usize = 80;

/// What one label introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Iban,
    Number,
    Name,
    Bank,
    Bic,
    Currency,
}

/// Labels (lower case, no trailing colon) and the fact each introduces.
const LABELS: &[(&str, Fact)] = &[
    ("iban", Fact::Iban),
    ("iban/bban", Fact::Iban),
    ("iban-nummer", Fact::Iban),
    ("account", Fact::Number),
    ("account number", Fact::Number),
    ("account no", Fact::Number),
    ("account no.", Fact::Number),
    ("account nr", Fact::Number),
    ("account details for", Fact::Number),
    ("konto", Fact::Number),
    ("kontonummer", Fact::Number),
    ("konto-nr", Fact::Number),
    ("konto-nr.", Fact::Number),
    ("rekening", Fact::Number),
    ("rekeningnummer", Fact::Number),
    ("numéro de compte", Fact::Number),
    ("n° de compte", Fact::Number),
    ("compte", Fact::Number),
    ("numero conto", Fact::Number),
    ("conto", Fact::Number),
    ("número de cuenta", Fact::Number),
    ("numero de cuenta", Fact::Number),
    ("cuenta", Fact::Number),
    ("número da conta", Fact::Number),
    ("numer rachunku", Fact::Number),
    ("nr rachunku", Fact::Number),
    ("rachunek", Fact::Number),
    ("číslo účtu", Fact::Number),
    ("számlaszám", Fact::Number),
    ("sąskaitos nr", Fact::Number),
    ("tilinumero", Fact::Number),
    ("account name", Fact::Name),
    ("kontoname", Fact::Name),
    ("kontobezeichnung", Fact::Name),
    ("rekeningnaam", Fact::Name),
    ("naam rekening", Fact::Name),
    ("nom du compte", Fact::Name),
    ("intitulé du compte", Fact::Name),
    ("nome conto", Fact::Name),
    ("nombre de la cuenta", Fact::Name),
    ("nazwa rachunku", Fact::Name),
    ("název účtu", Fact::Name),
    ("számla neve", Fact::Name),
    ("bank", Fact::Bank),
    ("bank name", Fact::Bank),
    ("bankname", Fact::Bank),
    ("kreditinstitut", Fact::Bank),
    ("banque", Fact::Bank),
    ("banca", Fact::Bank),
    ("banco", Fact::Bank),
    ("bankas", Fact::Bank),
    ("institution", Fact::Bank),
    ("financial institution", Fact::Bank),
    ("bic", Fact::Bic),
    ("swift", Fact::Bic),
    ("bic/swift", Fact::Bic),
    ("swift/bic", Fact::Bic),
    ("currency", Fact::Currency),
    ("währung", Fact::Currency),
    ("valuta", Fact::Currency),
    ("devise", Fact::Currency),
    ("moneda", Fact::Currency),
    ("waluta", Fact::Currency),
    ("měna", Fact::Currency),
    ("valiuta", Fact::Currency),
    ("deviza", Fact::Currency),
];

fn fact_of(label: &str) -> Option<Fact> {
    let l = label.trim().trim_end_matches(':').trim().to_lowercase();
    let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
    LABELS.iter().find(|(name, _)| *name == l).map(|(_, f)| *f)
}

/// An IBAN as banks print it: country, check digits, then letters and
/// digits, in groups of four or not.
fn iban_shape() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A literal pattern: it compiles.
    RE.get_or_init(|| Regex::new(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b").expect("IBAN pattern"))
}

/// An account number inside a longer value ("FRANK Account 666-666666-666"):
/// digits with the separators banks group them by, at least six digits.
fn number_shape() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[0-9][0-9 ./-]*[0-9]").expect("number pattern"))
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()
}

/// The account facts of the lines before the table, gathered line by line.
#[derive(Debug, Default)]
pub(crate) struct Preamble {
    hint: AccountHint,
    /// A valid IBAN seen without a label, used when no label names a number.
    unlabelled_iban: Option<String>,
}

impl Preamble {
    /// Reads one line before the table: `label;value` over two cells, or
    /// `label: value` in one.
    pub(crate) fn read(&mut self, r: &Record) {
        let cells: Vec<String> = r.fields.iter().map(|f| clean(f)).filter(|f| !f.is_empty()).collect();
        let (label, value) = match cells.as_slice() {
            [] => return,
            [one] => match one.split_once(':') {
                Some((l, v)) => (l.to_string(), v.trim().to_string()),
                None => (one.clone(), String::new()),
            },
            [label, value, ..] => (label.clone(), value.clone()),
        };
        if self.unlabelled_iban.is_none() {
            self.unlabelled_iban = cells.iter().find_map(|c| valid_iban(c));
        }
        let Some(fact) = fact_of(&label) else { return };
        if value.is_empty() {
            return;
        }
        let h = &mut self.hint;
        match fact {
            Fact::Iban if h.number.is_none() => h.number = Some(compact(&value)),
            Fact::Number if h.number.is_none() => {
                if let Some(iban) = valid_iban(&value) {
                    h.number = Some(iban);
                } else if let Some(m) =
                    number_shape().find_iter(&value).filter(|m| digits(m.as_str()) >= 6).max_by_key(|m| m.len())
                {
                    h.number = Some(m.as_str().trim().to_string());
                    // What is left is the product's name ("FRANK Account").
                    let rest = clean(&format!("{} {}", &value[..m.start()], &value[m.end()..]));
                    if h.name.is_none() && rest.chars().any(char::is_alphabetic) {
                        h.name = Some(short(&rest));
                    }
                }
            }
            Fact::Name if h.name.is_none() => h.name = Some(short(&value)),
            Fact::Bank if h.bank.is_none() => h.bank = Some(short(&value)),
            Fact::Bic if h.institution.is_none() => h.institution = Some(compact(&value)),
            Fact::Currency if h.currency.is_none() => h.currency = Currency::parse(&value.to_uppercase()).ok(),
            _ => {}
        }
    }

    /// The file's account as its preamble describes it.
    pub(crate) fn hint(&self) -> AccountHint {
        let mut h = self.hint.clone();
        if h.number.is_none() {
            h.number.clone_from(&self.unlabelled_iban);
        }
        h
    }
}

fn digits(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

fn short(s: &str) -> String {
    crate::util::clip(s, MAX_VALUE).trim().to_string()
}

/// The first IBAN-shaped token of `s` that passes the mod-97 check. A
/// printed IBAN's groups may run on into the words after it ("… 0130 00
/// VOM 01"), so a match ends with its first group that is not four long:
/// the IBAN's last group (or the whole of one printed without spaces).
/// Trying every cut instead would find a mod-97 pass by chance once in 97.
fn valid_iban(s: &str) -> Option<String> {
    iban_shape()
        .find_iter(&s.to_uppercase())
        .find_map(|m| {
            let mut iban = String::new();
            for group in m.as_str().split(' ') {
                iban.push_str(group);
                if group.len() != 4 {
                    break;
                }
            }
            Iban::parse(&iban).ok()
        })
        .map(|i| i.to_string())
}

/// Fills what a row's own hint lacks from the file's: a row that names no
/// account is on the preamble's; bank and kind describe every row.
pub(crate) fn fill(row: &mut AccountHint, file: &AccountHint) {
    if row.number.is_none() && row.account_ref.is_none() {
        row.number.clone_from(&file.number);
        row.name = row.name.take().or_else(|| file.name.clone());
        row.institution = row.institution.take().or_else(|| file.institution.clone());
    }
    row.bank = row.bank.take().or_else(|| file.bank.clone());
    row.kind = row.kind.or(file.kind);
    row.currency = row.currency.or(file.currency);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&[&str]]) -> AccountHint {
        let mut p = Preamble::default();
        for (i, cells) in lines.iter().enumerate() {
            p.read(&Record { line: i + 1, fields: cells.iter().map(|c| c.to_string()).collect(), too_long: None });
        }
        p.hint()
    }

    #[test]
    fn labelled_lines_in_several_languages() {
        let h = read(&[
            &["Umsatzanzeige", "Datei erstellt am: 28.12.2018"],
            &["IBAN", "DE12 3456 7890 1234 5678 90"],
            &["Kontoname", "Girokonto"],
            &["Bank", "ING"],
        ]);
        assert_eq!(
            (h.number.as_deref(), h.name.as_deref(), h.bank.as_deref()),
            (Some("DE12345678901234567890"), Some("Girokonto"), Some("ING"))
        );
        let h = read(&[&["Numer rachunku:", "12 1140 2004 0000 3002 0135 5387"], &["Waluta", "pln"]]);
        assert_eq!(
            (h.number.as_deref(), h.currency),
            (Some("12 1140 2004 0000 3002 0135 5387"), Currency::parse("PLN").ok())
        );
        let h = read(&[&["Nom du compte: Compte courant"], &["BIC", "UBSW CH ZH 80A"]]);
        assert_eq!((h.name.as_deref(), h.institution.as_deref()), (Some("Compte courant"), Some("UBSWCHZH80A")));
    }

    #[test]
    fn a_number_inside_a_product_name() {
        let h = read(&[&["Account details for:", "FRANK Account 666-666666-666"], &["Available Balance", "6,666.66"]]);
        assert_eq!((h.number.as_deref(), h.name.as_deref()), (Some("666-666666-666"), Some("FRANK Account")));
    }

    #[test]
    fn an_unlabelled_iban_counts_only_when_it_checks() {
        assert_eq!(read(&[&["Statement NL77 RABO 0311 4674 15, 2018"]]).number.as_deref(), Some("NL77RABO0311467415"));
        // Same shape, wrong check digits: a reference, not an account.
        assert_eq!(read(&[&["Statement NL78 RABO 0311 4674 15, 2018"]]).number, None);
        // A labelled number wins over an unlabelled IBAN.
        let h = read(&[&["Ref NL77RABO0311467415"], &["Konto", "0311467415"]]);
        assert_eq!(h.number.as_deref(), Some("0311467415"));
    }

    #[test]
    fn a_row_with_its_own_account_keeps_it() {
        let file = AccountHint {
            number: Some("NL77RABO0311467415".into()),
            name: Some("Spaarrekening".into()),
            bank: Some("Rabobank".into()),
            ..AccountHint::default()
        };
        let mut own = AccountHint { number: Some("NL99KNAB9999999999".into()), ..AccountHint::default() };
        fill(&mut own, &file);
        assert_eq!(
            (own.number.as_deref(), own.name, own.bank.as_deref()),
            (Some("NL99KNAB9999999999"), None, Some("Rabobank"))
        );
        let mut none = AccountHint::default();
        fill(&mut none, &file);
        assert_eq!(none, file);
    }
}
