//! Users, tokens, organisations and book roles: written through
//! `execute_stream`, projected in the same transaction, and reproduced
//! exactly by `rebuild`.

use kassa_core::access::*;
use kassa_core::{BookId, Command, OrgId, UserId};
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
