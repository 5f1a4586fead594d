//! Users, tokens, organisations and book roles: written through
//! `execute_stream`, projected in the same transaction, and reproduced
//! exactly by `rebuild`.

use kassa_core::access::*;
use kassa_core::{BookId, Command, OrgId, Section, UserId};
use kassa_store::access::TxPageQuery;
use kassa_store::{StoreError, testing};

use crate::*;

#[test]
fn access_streams_project_and_rebuild_exactly() {
    for db in testing::all() {
        let s = db.store.as_ref();
        let book = BookId(id());
        s.execute(book, "t", &[open_book(book), account("Cash", Currency::EUR)]).unwrap();
        let ann = UserId(id());
        let reg = UserCommand::Register {
            user_id: ann,
            email: "ann@example.org".into(),
            password_hash: "$argon2id$h".into(),
            platform_admin: true,
        };
        s.execute_stream(&user_stream(ann), "t", &|h| Ok(decide_user(h, &reg)?)).unwrap();
        // The same email again: refused by the projection's UNIQUE, nothing written.
        let bob = UserId(id());
        let dup = UserCommand::Register {
            user_id: bob,
            email: "ANN@example.org".into(),
            password_hash: "x".into(),
            platform_admin: false,
        };
        let err = s.execute_stream(&user_stream(bob), "t", &|h| Ok(decide_user(h, &dup)?)).unwrap_err();
        assert!(err.is_unique_violation(), "{}: {err}", db.name);
        assert!(s.read_stream(&user_stream(bob)).unwrap().is_empty());
        let again = s.execute_stream(&user_stream(ann), "t", &|h| Ok(decide_user(h, &reg)?)).unwrap_err();
        assert!(matches!(again, StoreError::Access(AccessError::UserExists)));

        let token = id();
        let issue = TokenCommand::Issue {
            token_id: token,
            user_id: ann,
            kind: TokenKind::Session,
            token_hash: "abc".into(),
            expires_at: "2030-01-01T00:00:00Z".parse().unwrap(),
        };
        s.execute_stream(&token_stream(token), "t", &|h| Ok(decide_token(h, &issue)?)).unwrap();
        s.execute_stream(&token_stream(token), "t", &|h| Ok(decide_token(h, &TokenCommand::Revoke)?)).unwrap();
        let row = s.token_by_hash("abc").unwrap().unwrap();
        assert!(row.revoked && row.platform_admin && row.user_id == ann);

        let org = OrgId(id());
        let create = OrgCommand::Create { org_id: org, name: "Acme".into(), creator: ann };
        s.execute_stream(&org_stream(org), "t", &|h| Ok(decide_org(h, &create)?)).unwrap();
        let grant =
            AclCommand::Grant { principal: Principal::Organisation(org), role: BookRole::Editor, account_id: None };
        s.execute_stream(&acl_stream(book), "t", &|h| Ok(decide_acl(book, h, &grant)?)).unwrap();
        let grant = AclCommand::Grant { principal: Principal::User(ann), role: BookRole::Viewer, account_id: None };
        s.execute_stream(&acl_stream(book), "t", &|h| Ok(decide_acl(book, h, &grant)?)).unwrap();
        s.execute_stream(&acl_stream(book), "t", &|h| {
            Ok(decide_acl(book, h, &AclCommand::Revoke { principal: Principal::User(ann) })?)
        })
        .unwrap();
        s.execute_stream(&user_stream(ann), "t", &|h| Ok(decide_user(h, &UserCommand::Disable)?)).unwrap();
        s.execute(book, "t", &[Command::RenameBook { name: "Renamed".into() }]).unwrap();

        assert_eq!(s.book_grants(Some(book), &[]).unwrap().len(), 1);
        assert_eq!(s.org_members(Some(org), None).unwrap()[0].role, OrgRole::Admin);
        assert!(s.user(ann).unwrap().unwrap().disabled);
        assert_eq!(s.book(book).unwrap().unwrap().name, "Renamed");

        let before = s.projection_dump().unwrap();
        assert!(before.contains("users|") && before.contains("book_grants|"), "{}", db.name);
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(s.projection_dump().unwrap(), before, "{}: rebuild differs", db.name);

        s.execute(book, "t", &[Command::CloseBook]).unwrap();
        assert!(s.book(book).unwrap().is_none());
        let refused = s.execute(book, "t", &[account("More", Currency::EUR)]).unwrap_err();
        assert!(matches!(refused, StoreError::Ledger(kassa_core::LedgerError::NoBook)), "{}: {refused}", db.name);
        let before = s.projection_dump().unwrap();
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(s.projection_dump().unwrap(), before, "{}: rebuild after close differs", db.name);
    }
}

/// One register page: (description, category, transfer account) per row.
fn page(s: &dyn kassa_store::Store, book: BookId, q: TxPageQuery) -> Vec<(String, Option<String>, Option<String>)> {
    s.tx_page(book, &TxPageQuery { limit: 50, ..q })
        .unwrap()
        .into_iter()
        .map(|r| (r.description, r.category, r.transfer_account))
        .collect()
}

fn row(description: &str, category: Option<&str>, transfer: Option<&str>) -> (String, Option<String>, Option<String>) {
    (description.into(), category.map(Into::into), transfer.map(Into::into))
}

#[test]
fn register_pages_filter_and_name_their_rows() {
    for db in testing::all() {
        let s = db.store.as_ref();
        let (book, other) = (BookId(id()), BookId(id()));
        s.execute(
            book,
            "t",
            &[
                open_book(book),
                account("Checking", Currency::EUR),
                account("Savings", Currency::EUR),
                category("Food", Section::Expense),
                category("Food:Coffee", Section::Expense),
                category("Salary", Section::Income),
                tx("Checking", "2024-03-01", "-3.50", Some("Food:Coffee")),
                tx("Checking", "2024-03-02", "-20", Some("Food")),
                tx("Checking", "2024-03-03", "1000", Some("Salary")),
                tx("Checking", "2024-03-04", "-7", None),
                transfer("Checking", "Savings", "2024-03-05", "100", None),
                tx("Checking", "2024-04-01", "-1", Some("Food")),
            ],
        )
        .unwrap();
        // Another book with a category of the same name: never in this book's pages.
        s.execute(
            other,
            "t",
            &[
                open_book(other),
                account("Wallet", Currency::EUR),
                category("Food", Section::Expense),
                tx("Wallet", "2024-03-02", "-5", Some("Food")),
            ],
        )
        .unwrap();
        let checking = s.ledger(book).unwrap().accounts().find(|a| a.name == "Checking").unwrap().id;
        let march = TxPageQuery { from: Some(d("2024-03-01")), to: Some(d("2024-03-31")), ..TxPageQuery::default() };

        let one_account = page(s, book, TxPageQuery { account: Some(checking), ..march.clone() });
        assert_eq!(
            one_account,
            vec![
                row("transfer", None, Some("Savings")),
                row("Checking -7", None, None),
                row("Checking 1000", Some("Salary"), None),
                row("Checking -20", Some("Food"), None),
                row("Checking -3.50", Some("Food:Coffee"), None),
            ],
            "{}",
            db.name
        );
        // The whole book: the transfer once from each side.
        let whole = page(s, book, march.clone());
        assert_eq!(&whole[..2], &[row("transfer", None, Some("Checking")), row("transfer", None, Some("Savings"))]);
        assert_eq!(whole.len(), 6, "{}", db.name);
        // A category takes its children, ignores case, stays in the book.
        let food = page(s, book, TxPageQuery { category: Some("food".into()), ..TxPageQuery::default() });
        let expected = vec![
            row("Checking -1", Some("Food"), None),
            row("Checking -20", Some("Food"), None),
            row("Checking -3.50", Some("Food:Coffee"), None),
        ];
        assert_eq!(food, expected, "{}", db.name);
        let coffee = page(s, book, TxPageQuery { category: Some("Food:Coffee".into()), ..TxPageQuery::default() });
        assert_eq!(coffee, vec![row("Checking -3.50", Some("Food:Coffee"), None)], "{}", db.name);
        let search = page(s, book, TxPageQuery { search: Some("1000".into()), ..TxPageQuery::default() });
        assert_eq!(search, vec![row("Checking 1000", Some("Salary"), None)], "{}", db.name);
        // Pages continue after the cursor.
        let first = s.tx_page(book, &TxPageQuery { account: Some(checking), limit: 2, ..march.clone() }).unwrap();
        let rest = TxPageQuery { account: Some(checking), before: Some(first[1].cursor), ..march };
        assert_eq!(page(s, book, rest), one_account[2..].to_vec(), "{}", db.name);
    }
}

/// The overview's flags follow each currency's decimals: ¥1,000 and
/// 1,000.000 KWD are large outflows, 999.99 EUR is not, on both backends.
#[test]
fn admin_overview_judges_in_each_currencys_units() {
    for db in testing::all() {
        let s = db.store.as_ref();
        let book = BookId(id());
        let jpy = Currency::parse("JPY").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        let mut cmds =
            vec![open_book(book), account("Yen", jpy), account("Dinar", kwd), account("Euro", Currency::EUR)];
        // Nine small outflows each, so the large one is over five averages.
        for _ in 0..9 {
            cmds.push(tx("Yen", "2024-02-01", "-10", None));
            cmds.push(tx("Dinar", "2024-02-01", "-1.000", None));
            cmds.push(tx("Euro", "2024-02-01", "-1.00", None));
        }
        cmds.push(tx("Yen", "2024-02-02", "-1000", None));
        cmds.push(tx("Dinar", "2024-02-02", "-1000.000", None));
        cmds.push(tx("Dinar", "2024-02-02", "-999.999", None));
        cmds.push(tx("Euro", "2024-02-02", "-999.99", None));
        s.execute(book, "t", &cmds).unwrap();
        let o = s.admin_overview().unwrap();
        assert_eq!(o.large_outflows, 2, "{}: {o:?}", db.name);
        // All three checking accounts are below zero.
        assert_eq!(o.overdrawn_accounts, 3, "{}: {o:?}", db.name);
        let yen = o.balances.iter().find(|(c, _, _)| *c == jpy).unwrap();
        assert_eq!(yen.2, dec("-1090"), "{}", db.name);
    }
}
