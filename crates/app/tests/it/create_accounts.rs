//! `--create-accounts` on many banks' files in one book (issue 15 item 4):
//! one account per bank account, not one "Imported EUR" for all; numbers
//! matched only within their institution; kinds from the files; names from
//! bank and last digits, never a raw number; an IBAN from a CSV's header
//! block; a file without a currency refused naming `--currency`.

use kassa_app::import::{ImportError, ImportOptions};
use kassa_core::{Account, AccountKind, BookId, Currency};
use kassa_store::{Store, testing};

use crate::import::run;
use crate::*;

/// Corpus files of eleven banks, and the account each opens: name, kind,
/// currency, institution.
const FILES: &[(&str, &str, AccountKind, &str, &str)] = &[
    ("csv/ing-de-header-junk-latin1.csv", "ING Girokonto ··7890", AccountKind::Checking, "EUR", "ING"),
    ("csv/ing-es-categories.csv", "ING EUR", AccountKind::Checking, "EUR", "ING"),
    ("csv/revolut-pending.csv", "Revolut EUR", AccountKind::Checking, "EUR", "Revolut"),
    ("csv/amex-uk-bom-pending.csv", "American Express GBP", AccountKind::CreditCard, "GBP", "American Express"),
    ("csv/livebank-at-ragged.csv", "LiveBank ··5678", AccountKind::Checking, "EUR", "LiveBank"),
    // The same account number as LiveBank's, at another institution.
    ("ofx/v102-empty-tags-oneline.ofx", "NPBS ··5678", AccountKind::Checking, "AUD", "NPBS"),
    ("ofx/anz-creditcard-v2header-sgmlbody.ofx", "Credit card ··1234", AccountKind::CreditCard, "AUD", ""),
    ("ofx/fidelity-investment-tz.ofx", "fidelity.com ··0001", AccountKind::Brokerage, "USD", "fidelity.com"),
    ("camt/camt053-v02-dnb-lt.xml", "AB DNB bankas ··0000", AccountKind::Checking, "EUR", "AB DNB bankas"),
    ("mt940/raiffeisen-hu.sta", "UBRTHUHB ··F002", AccountKind::Checking, "HUF", "UBRTHUHB"),
    ("broker/ibkr-flex-trades.csv", "Interactive Brokers ··4567", AccountKind::Brokerage, "USD", "Interactive Brokers"),
];

fn create() -> ImportOptions {
    ImportOptions { create_accounts: true, ..ImportOptions::default() }
}

fn import(store: &dyn Store, book: BookId, path: &str, opts: &ImportOptions) -> Result<Vec<String>, ImportError> {
    let root = corpus::corpus_dir().expect("checked by the caller");
    let bytes = std::fs::read(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let name = path.rsplit('/').next().unwrap_or(path);
    run(store, book, name, &bytes, opts).map(|r| r.accounts_created)
}

fn accounts(store: &dyn Store, book: BookId) -> Vec<Account> {
    let mut v: Vec<Account> = store.ledger(book).unwrap().accounts().cloned().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

#[test]
fn one_account_per_bank_account_with_kind_and_a_name() {
    if corpus::corpus_dir().is_none() {
        return;
    }
    for db in testing::all() {
        let store = db.store.as_ref();
        let book = BookId(id());
        store.execute(book, "test", &[open_book(book)]).unwrap();
        for (path, name, ..) in FILES {
            let created = import(store, book, path, &create()).unwrap_or_else(|e| panic!("{}: {path}: {e}", db.name));
            assert_eq!(created, [*name], "{}: {path}", db.name);
        }
        let mut want: Vec<_> =
            FILES.iter().map(|(_, n, k, c, i)| (n.to_string(), *k, c.to_string(), i.to_string())).collect();
        want.sort();
        let have: Vec<_> = accounts(store, book)
            .iter()
            .map(|a| (a.name.clone(), a.kind, a.currency.code().to_string(), a.institution.clone().unwrap_or_default()))
            .collect();
        assert_eq!(have, want, "{}", db.name);
        for a in accounts(store, book) {
            // A raw number is no name: at most the last four characters show.
            let longest_digits = a.name.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
            assert!(longest_digits <= 4, "{}: {:?} shows a number", db.name, a.name);
        }
        // ING's IBAN came from the lines above its CSV's table.
        let ing = accounts(store, book).into_iter().find(|a| a.name == "ING Girokonto ··7890").unwrap();
        assert_eq!(ing.number.as_deref(), Some("DE12345678901234567890"), "{}", db.name);
        // The next file of a bank lands on its account, by number or by name.
        for path in ["csv/revolut-pending.csv", "csv/livebank-at-ragged.csv", "ofx/v102-empty-tags-oneline.ofx"] {
            let again = import(store, book, path, &create()).unwrap();
            assert!(again.is_empty(), "{}: {path} opened {again:?}", db.name);
        }
        assert_eq!(accounts(store, book).len(), FILES.len(), "{}", db.name);
    }
}

#[test]
fn a_file_without_a_currency_needs_one_and_says_how() {
    if corpus::corpus_dir().is_none() {
        return;
    }
    for db in testing::all() {
        let store = db.store.as_ref();
        let book = BookId(id());
        store.execute(book, "test", &[open_book(book)]).unwrap();
        let path = "qif/split-apostrophe-date.qif";
        match import(store, book, path, &create()) {
            Err(ImportError::BadRows { first, .. }) => {
                assert!(first[0].contains("pass --currency CUR or --account NAME"), "{}: {first:?}", db.name)
            }
            other => panic!("{}: {other:?}", db.name),
        }
        assert!(accounts(store, book).is_empty(), "{}: a refused import opened an account", db.name);
        let usd = ImportOptions { currency: Some(Currency::USD), ..create() };
        // Nothing in the file names its bank or account: the file's name does.
        assert_eq!(import(store, book, path, &usd).unwrap(), ["split-apostrophe-date"], "{}", db.name);
        let a = &accounts(store, book)[0];
        assert_eq!((a.kind, a.currency), (AccountKind::Checking, Currency::USD), "{}", db.name);
    }
}

/// An account typed in with its bank's name, and the bank's MT940 that
/// writes its code (a BLZ): the same account when the currency agrees; the
/// same number at another bank in another currency is another account.
#[test]
fn a_bank_named_on_one_side_and_coded_on_the_other_agrees_by_currency() {
    let statement = |account: &str, currency: &str| {
        format!(
            ":20:STMT\n:25:{account}\n:28C:1\n:60F:C240301{currency}100,\n\
             :61:2403010301D10,NTRFNONREF\n:86:Fee\n:62F:C240301{currency}90,\n-\n"
        )
    };
    for db in testing::all() {
        let store = db.store.as_ref();
        let book = BookId(id());
        let joint = kassa_core::AccountId(id());
        let open = Command::OpenAccount(NewAccount {
            account_id: joint,
            name: "Joint".into(),
            kind: AccountKind::Checking,
            currency: Currency::EUR,
            iban: None,
            number: Some("0123456789".into()),
            institution: Some("Commerzbank".into()),
            location: None,
            opened_on: kassa_core::LedgerDate::new(d("2024-01-01")).unwrap(),
        });
        store.execute(book, "test", &[open_book(book), open]).unwrap();
        let same = statement("20040000/0123456789", "EUR");
        let r = run(store, book, "joint.sta", same.as_bytes(), &create()).unwrap();
        assert_eq!((r.new, r.accounts_created.len()), (1, 0), "{}: {r:?}", db.name);
        let other = statement("ABCDAU2S/0123456789", "AUD");
        let r = run(store, book, "other.sta", other.as_bytes(), &create()).unwrap();
        assert_eq!(r.accounts_created, ["ABCDAU2S ··6789"], "{}", db.name);
    }
}
