//! End-to-end: `kassa import --create-accounts` through the real binary on
//! both backends (issue 15 item 4) — three banks' files in one command open
//! three accounts of their kinds, named after bank and last digits; a file
//! that gives no currency is refused naming `--currency`, and imports with it.

mod common;

#[path = "../../../testing/corpus.rs"]
mod corpus_path;

fn corpus(name: &str) -> Option<String> {
    corpus_path::corpus_dir().map(|d| d.join(name).to_string_lossy().to_string())
}

#[test]
fn three_banks_open_three_accounts_and_a_currency_can_be_given() {
    let (Some(amex), Some(anz), Some(ing), Some(qif)) = (
        corpus("csv/amex-uk-bom-pending.csv"),
        corpus("ofx/anz-creditcard-v2header-sgmlbody.ofx"),
        corpus("csv/ing-de-header-junk-latin1.csv"),
        corpus("qif/boa-quicken-apostrophe-year.qif"),
    ) else {
        return;
    };
    for (db, k) in common::databases() {
        k.ok(&["init"]);
        let said = k.run(&["import", &amex, &anz, &ing, "--create-accounts"]);
        assert!(said.status.success(), "{}: {}", db.name, String::from_utf8_lossy(&said.stderr));
        let accounts = k.json(&["account", "list"]);
        let mut have: Vec<(String, String)> = accounts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["name"].as_str().unwrap().to_string(), a["kind"].as_str().unwrap().to_string()))
            .collect();
        have.sort();
        let want = [
            ("American Express GBP", "credit_card"),
            ("Credit card ··1234", "credit_card"),
            ("ING Girokonto ··7890", "checking"),
        ];
        assert_eq!(have, want.map(|(n, k)| (n.to_string(), k.to_string())), "{}", db.name);

        let err = k.err(&["import", &qif, "--create-accounts"]);
        assert!(err.contains("pass --currency CUR or --account NAME"), "{}: {err}", db.name);
        let err = k.err(&["import", &qif, "--create-accounts", "--currency", "DOLLARS"]);
        assert!(err.contains("--currency") && err.contains("DOLLARS"), "{}: {err}", db.name);
        k.ok(&["import", &qif, "--create-accounts", "--currency", "usd"]);
        let accounts = k.json(&["account", "list"]);
        let boa = accounts.as_array().unwrap().iter().find(|a| a["name"] == "boa-quicken-apostrophe-year");
        assert_eq!(boa.map(|a| a["currency"].clone()), Some("USD".into()), "{}: {accounts}", db.name);
    }
}
