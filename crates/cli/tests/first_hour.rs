//! Issue 15, items 8 and 9: what a new user meets in the first hour — the
//! CLI and the server agree on users and books, and every message either
//! says what was done or names the problem and what to type instead.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Kassa, databases};
use serde_json::Value;

fn add_user(k: &Kassa, email: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["--db", &k.url, "user", "add", email, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kassa user add");
    child.stdin.take().expect("stdin").write_all(b"long enough password").expect("password");
    let out = child.wait_with_output().expect("user add");
    assert!(out.status.success(), "user add {email}: {}", String::from_utf8_lossy(&out.stderr));
}

fn stderr_of(k: &Kassa, args: &[&str]) -> String {
    let out = k.run(args);
    assert!(out.status.success(), "kassa {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr).unwrap()
}

fn book<'a>(books: &'a Value, name: &str) -> &'a Value {
    books.as_array().unwrap().iter().find(|b| b["name"] == name).unwrap_or_else(|| panic!("no book {name}: {books}"))
}

#[test]
fn the_init_book_is_the_first_users_and_roles_are_granted_from_the_cli() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        add_user(&k, "ann@example.org");
        // The first user took `init`'s book over: the only one, so the default.
        let books = k.json(&["book", "list"]);
        assert_eq!(books.as_array().unwrap().len(), 1, "{}: {books}", db.name);
        assert_eq!(book(&books, "personal")["owner"], "ann@example.org");
        assert_eq!(book(&books, "personal")["role"], "owner");
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);

        add_user(&k, "bob@example.org");
        let which = k.err(&["account", "list"]);
        assert!(which.contains("--as EMAIL") && which.contains("ann@example.org, bob@example.org"), "{which}");
        let unknown = k.err(&["--as", "eve@example.org", "account", "list"]);
        assert!(unknown.contains("no such user") && unknown.contains("bob@example.org"), "{unknown}");

        // Bob sees only his own book until Ann grants him hers.
        let bobs = k.json(&["--as", "bob@example.org", "book", "list"]);
        assert!(bobs.as_array().unwrap().iter().all(|b| b["name"] != "personal"), "{bobs}");
        let said = stderr_of(
            &k,
            &["--as", "ann@example.org", "--book", "personal", "book", "grant", "bob@example.org", "viewer"],
        );
        assert!(said.contains("bob@example.org is now viewer on book 'personal'"), "{said}");
        let bobs = k.json(&["--as", "bob@example.org", "book", "list"]);
        assert_eq!(book(&bobs, "personal")["role"], "viewer", "{bobs}");
        assert!(book(&bobs, "personal")["members"].as_str().unwrap().contains("bob@example.org viewer"));
        let accounts = k.json(&["--as", "bob@example.org", "--book", "personal", "account", "list"]);
        assert_eq!(accounts[0]["name"], "Checking");
        // A viewer reads through the CLI as through the API, and changes nothing.
        let before = k.ok(&["events", "--limit", "100000", "-o", "json"]);
        let bob = ["--as", "bob@example.org", "--book", "personal"];
        for change in [
            &["tx", "add", "--account", "Checking", "--date", "2024-05-01", "--amount", "-5", "--description", "x"][..],
            &["account", "add", "Cash", "--kind", "cash", "--currency", "EUR"],
            &["category", "add", "Hobbies", "--section", "expense"],
            &["budget", "set", "Groceries", "100", "--month", "2024-05"],
        ] {
            let err = k.err(&[&bob[..], change].concat());
            assert!(
                err.contains("bob@example.org is a viewer of book 'personal': this command needs an editor or more"),
                "{change:?}: {err}"
            );
        }
        assert_eq!(k.ok(&["events", "--limit", "100000", "-o", "json"]), before, "nothing written");
        k.ok(&[&bob[..], &["tx", "list"]].concat());
        k.ok(&[&bob[..], &["report", "monthly"]].concat());

        let spender = k.err(&["--as", "ann@example.org", "book", "grant", "bob@example.org", "spender"]);
        assert!(spender.contains("--account NAME"), "{spender}");
        let role = k.err(&["--as", "ann@example.org", "book", "grant", "bob@example.org", "boss"]);
        assert!(role.contains("owner, editor, viewer or spender"), "{role}");

        k.ok(&["--as", "ann@example.org", "book", "revoke", "bob@example.org"]);
        let gone = k.err(&["--as", "bob@example.org", "--book", "personal", "account", "list"]);
        assert!(gone.contains("unknown book 'personal'"), "{gone}");
    }
}

#[test]
fn a_missing_argument_is_named() {
    let (_db, k) = databases().remove(0);
    let err = k.err(&["tx", "add", "--account", "Checking"]);
    for arg in ["--date <DATE>", "--amount <AMOUNT>", "--description <DESCRIPTION>", "--help"] {
        assert!(err.contains(arg), "{err}");
    }
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_command_before_init_names_the_fix_and_creates_no_file() {
    let dir = std::env::temp_dir().join(format!("kassa-first-hour-{}", std::process::id()));
    let path = dir.join("never.db");
    let k = Kassa { url: format!("sqlite://{}", path.display()) };
    let err = k.err(&["account", "list"]);
    assert!(err.contains("no database at") && err.contains("run `kassa init`"), "{err}");
    assert!(!path.exists() && !dir.exists(), "the command made {}", path.display());
    k.ok(&["init"]);
    assert!(path.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dates_take_a_day_a_month_or_a_year_and_known_at_a_date() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR", "--opened", "2023-01-01"]);
        for (date, amount) in [("2023-12-31", "-1.00"), ("2024-01-15", "-2.00"), ("2024-03-01", "-4.00")] {
            let a = ["tx", "add", "--account", "Checking", "--date", date, "--amount", amount, "--description", "x"];
            k.ok(&a);
        }
        let count = |args: &[&str]| k.json(args).as_array().unwrap().len();
        assert_eq!(count(&["tx", "list", "--from", "2024"]), 2, "{}", db.name);
        assert_eq!(count(&["tx", "list", "--from", "2024", "--to", "2024-01"]), 1);
        assert_eq!(count(&["tx", "list", "--to", "2023"]), 1);
        let bal = k.json(&["balance", "--as-of", "2024-01"]);
        assert_eq!(bal[0]["balance"], "-3.00");
        let monthly = k.json(&["report", "monthly", "--from", "2024-01-20", "--to", "2024"]);
        assert!(!monthly.as_array().unwrap().is_empty());
        k.ok(&["report", "balances", "--known-at", "2199-01"]);
        k.ok(&["report", "balances", "--known-at", "2026-05-01T12:00:00Z"]);
        let bad = k.err(&["tx", "list", "--from", "01/02/2024"]);
        assert!(bad.contains("expected YYYY-MM-DD, YYYY-MM or YYYY"), "{bad}");
    }
}

#[test]
fn every_change_says_what_it_did_and_quiet_silences_it() {
    for (db, k) in databases() {
        k.ok(&["init"]);
        let said = stderr_of(&k, &["category", "add", "Hobbies", "--section", "expense"]);
        assert!(said.contains("added expense category 'Hobbies'"), "{}: {said}", db.name);
        assert_eq!(stderr_of(&k, &["-q", "category", "add", "Pets", "--section", "expense"]), "");
        k.ok(&["account", "add", "Checking", "--kind", "checking", "--currency", "EUR"]);
        let add = ["tx", "add", "--account", "Checking", "--date", "2024-01-15", "--amount", "-9.50"];
        let out = k.run(
            &[&add[..], &["--description", "Book", "--tag", "gift", "--tag", "family", "--note", "for Mia"]].concat(),
        );
        assert!(out.status.success());
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let rows = k.json(&["tx", "list"]);
        assert_eq!(rows[0]["tags"], serde_json::json!(["gift", "family"]));
        assert_eq!(rows[0]["notes"], "for Mia");
        let said = stderr_of(&k, &["tx", "recategorize", &id, "--category", "Hobbies"]);
        assert!(said.contains(&format!("transaction {id} is now in 'Hobbies'")), "{said}");
        let said = stderr_of(&k, &["tx", "delete", &id]);
        assert!(said.contains(&format!("deleted transaction {id}")), "{said}");
    }
}

#[test]
fn a_proposed_transfer_shows_its_leg_as_it_left_and_rules_read_as_words() {
    let dir = std::env::temp_dir().join(format!("kassa-first-hour-review-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("two-accounts.csv");
    std::fs::write(
        &file,
        "external_id,account_ref,date,amount,currency,section,category,description,counterparty_name,counterparty_account,transfer_group_id
r1,Checking,2024-03-03,-300.00,EUR,,,To savings,,,
r2,Savings,2024-03-04,300.00,EUR,,,From checking,,,
",
    )
    .unwrap();
    for (db, k) in databases() {
        k.ok(&["init"]);
        k.ok(&["import", file.to_str().unwrap(), "--create-accounts"]);
        let review = k.json(&["import", "review"]);
        let transfer =
            review.as_array().unwrap().iter().find(|r| r["kind"] == "transfer").expect("a proposed transfer");
        assert_eq!(
            (&transfer["account"], &transfer["amount"]),
            (&Value::from("Checking"), &Value::from("-300.00")),
            "{}",
            db.name
        );
        assert!(k.ok(&["import", "review"]).contains("-300.00"));

        let rule = ["Supermarket", "--if", "description:contains:rewe", "--outflow", "--set-category", "Groceries"];
        k.ok(&[&["rules", "add"][..], &rule[..], &["--tag", "food"]].concat());
        let table = k.ok(&["rules", "list"]);
        assert!(table.contains("description contains \"rewe\" and amount is_outflow"), "{table}");
        assert!(table.contains("category Groceries; tags food") && !table.contains('{'), "{table}");
        let json = k.json(&["rules", "list"]);
        assert_eq!(json[0]["rule"]["then"][0]["set_category"], "Groceries", "{json}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
