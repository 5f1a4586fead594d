//! What each format says about the account its rows are on — number, bank,
//! the account's own name and its kind — which `--create-accounts` opens
//! accounts from (issue 15 item 4): a CSV's lines above the table, a
//! profile's bank and kind, OFX's statement type and `<ORG>`, camt's
//! servicer and account names, an MT940 BIC, a QIF `!Type:`.

use std::path::Path;

use kassa_core::{AccountKind, Currency};
use kassa_import::{AccountHint, ParsedFile, Severity};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)).expect("fixture exists")
}

/// The file as detected and read; it has rows (some older fixtures hold
/// deliberate bad rows besides).
fn parse(bytes: &[u8]) -> ParsedFile {
    let p = kassa_import::parse(bytes, None, None);
    assert!(!p.rows.is_empty(), "no rows: {:#?}", p.diagnostics);
    p
}

fn assert_clean(p: &ParsedFile) {
    let errors: Vec<_> = p.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The one account every row of a file without bad rows is on.
fn only_account(p: &ParsedFile) -> AccountHint {
    assert_clean(p);
    let first = p.rows[0].account.clone();
    assert!(p.rows.iter().all(|r| r.account == first), "rows on several accounts: {:#?}", p.rows);
    first
}

#[test]
fn a_csv_preamble_names_the_account_of_rows_that_carry_none() {
    // A layout no profile knows: sniffed, with a Polish label block.
    let a = only_account(&parse(&fixture("accounts/preamble-pl.csv")));
    assert_eq!(a.number.as_deref(), Some("PL61109010140000071219812874"));
    assert_eq!(a.name.as_deref(), Some("Konto osobiste"));
    assert_eq!(a.bank.as_deref(), Some("Santander Bank Polska"));
    assert_eq!(a.currency, Currency::parse("PLN").ok());
}

#[test]
fn an_iban_in_a_title_line_is_the_account_when_it_checks() {
    let a = only_account(&parse(&fixture("accounts/preamble-unlabelled-iban.csv")));
    assert_eq!(a.number.as_deref(), Some("DE89370400440532013000"));
    // One digit off fails mod-97: a reference, not an account.
    let text = String::from_utf8(fixture("accounts/preamble-unlabelled-iban.csv")).unwrap();
    let wrong = parse(text.replace("DE89 3704", "DE89 3705").as_bytes());
    assert_eq!(only_account(&wrong).number, None);
}

#[test]
fn a_profile_gives_bank_and_kind() {
    let amex = "Date Processed,Description,Amount,\n12-Dec-2019,BOOKSHOP LONDON,£10.00,\n02-Dec-2019,PAYMENT RECEIVED,+ £5.00,CR\n";
    let a = only_account(&parse(amex.as_bytes()));
    assert_eq!((a.bank.as_deref(), a.kind), (Some("American Express"), Some(AccountKind::CreditCard)));
    // Every built-in names its bank.
    for p in kassa_import::profile::builtin_profiles() {
        assert!(p.bank.as_deref().is_some_and(|b| !b.is_empty()), "{} has no bank", p.name);
    }
}

#[test]
fn ofx_kind_from_the_statement_and_bank_from_the_sign_on() {
    let p = parse(&fixture("accounts/savings-with-org.ofx"));
    assert_clean(&p);
    let kinds: Vec<_> = p.rows.iter().map(|r| (r.account.number.as_deref(), r.account.kind)).collect();
    assert_eq!(
        kinds,
        [(Some("987654321"), Some(AccountKind::Savings)), (Some("4111222233334444"), Some(AccountKind::CreditCard))]
    );
    assert!(p.rows.iter().all(|r| r.account.bank.as_deref() == Some("First Savings Bank")));
    let p = parse(&fixture("ofx/investment-every-kind.ofx"));
    assert!(!p.trades.is_empty());
    assert!(p.trades.iter().all(|t| t.account.kind == Some(AccountKind::Brokerage)));
    assert!(p.rows.iter().all(|r| r.account.kind == Some(AccountKind::Brokerage)));
    let p = parse(&fixture("ofx/v2-xml-bank-and-card.ofx"));
    let mut kinds: Vec<_> = p.rows.iter().map(|r| r.account.kind).collect();
    kinds.dedup();
    assert_eq!(kinds, [Some(AccountKind::Checking), Some(AccountKind::CreditCard)]);
}

#[test]
fn camt_names_the_servicer_and_the_account() {
    let a = only_account(&parse(&fixture("accounts/named-account.camt053.xml")));
    assert_eq!(
        (a.number.as_deref(), a.institution.as_deref(), a.bank.as_deref(), a.name.as_deref()),
        (Some("DE89370400440532013000"), Some("COBADEFFXXX"), Some("Commerzbank"), Some("Haushaltskonto"))
    );
}

#[test]
fn mt940_takes_a_bic_for_the_bank_but_not_a_blz() {
    let statement = |account: &str| {
        format!(
            ":20:STMT\n:25:{account}\n:28C:1\n:60F:C240301HUF100,\n:61:2403010301D10,NTRFNONREF\n:86:Fee\n:62F:C240301HUF90,\n-\n"
        )
    };
    let bic = only_account(&parse(statement("UBRTHUHB/123456789/HUF").as_bytes()));
    assert_eq!((bic.bank.as_deref(), bic.institution.as_deref()), (Some("UBRTHUHB"), Some("UBRTHUHB")));
    let blz = only_account(&parse(statement("50880050/0194787400888").as_bytes()));
    assert_eq!((blz.bank, blz.institution.as_deref()), (None, Some("50880050")));
}

#[test]
fn qif_kind_from_the_type_header() {
    let p = parse(&fixture("qif/splits-transfer-dmy.qif"));
    let mut kinds: Vec<_> = p.rows.iter().map(|r| (r.account.account_ref.clone(), r.account.kind)).collect();
    kinds.dedup();
    let kinds: Vec<_> = kinds.iter().map(|(a, k)| (a.as_deref(), *k)).collect();
    assert_eq!(kinds, [(Some("Checking"), Some(AccountKind::Checking)), (Some("Visa"), Some(AccountKind::CreditCard))]);
}
