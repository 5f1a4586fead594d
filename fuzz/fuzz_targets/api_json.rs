//! The API's JSON request bodies: the first byte picks a request type, the
//! rest is its body. A body that deserializes (the same `deny_unknown_fields`
//! types the handlers take) goes to its real use case on a SQLite book: it
//! is applied or refused with a typed error (422, 403, 404, 409…), never an
//! internal error (a 500) or a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use kassa_app::books::{
    CreateAccount, CreateBook, CreateCategory, CreateTransaction, CreateTransfer, PatchAccount, PatchBook,
    PatchTransaction,
};
use kassa_app::{Actor, App, AppError, AppResult, Config};
use kassa_core::{AccountId, BookId, TxId};
use serde::de::DeserializeOwned;

/// One book with one account and one transaction, made once per process:
/// every input runs against it (a store per input would cost migrations).
struct World {
    app: App,
    actor: Actor,
    book: BookId,
    account: AccountId,
    tx: TxId,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
        let store = kassa_store::open(&url).unwrap();
        store.migrate().unwrap();
        let app = App::new(Arc::from(store), Config::default());
        let user = app.add_user("fuzz", "fuzz@example.org", "fuzz-password-long", true).unwrap();
        let actor = Actor { user_id: user.id, platform_admin: true, token_id: None };
        let book = app.create_book(&actor, &CreateBook { name: "Fuzz".into(), org_id: None }).unwrap();
        let book = BookId(book.id);
        let account: CreateAccount =
            serde_json::from_str(r#"{"name":"Checking","kind":"checking","currency":"EUR"}"#).unwrap();
        let account = AccountId(app.create_account(&actor, book, &account).unwrap().id);
        let tx: CreateTransaction = serde_json::from_value(serde_json::json!({
            "account_id": account.0, "date": "2024-01-05", "amount": "-12.50", "description": "Shop"
        }))
        .unwrap();
        let tx = TxId(app.create_transaction(&actor, book, &tx).unwrap().id);
        World { app, actor, book, account, tx, _dir: dir }
    })
}

fn run<T: DeserializeOwned, V>(body: &[u8], f: impl FnOnce(&World, T) -> AppResult<V>) {
    let Ok(req) = serde_json::from_slice::<T>(body) else { return };
    if let Err(AppError::Internal(e)) = f(world(), req) {
        panic!("internal error for {}: {e}", String::from_utf8_lossy(body));
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    match pick % 8 {
        0 => run(body, |w, r: CreateBook| w.app.create_book(&w.actor, &r)),
        1 => run(body, |w, r: PatchBook| w.app.rename_book(&w.actor, w.book, &r)),
        2 => run(body, |w, r: CreateAccount| w.app.create_account(&w.actor, w.book, &r)),
        3 => run(body, |w, r: PatchAccount| w.app.rename_account(&w.actor, w.book, w.account, &r)),
        4 => run(body, |w, r: CreateTransaction| w.app.create_transaction(&w.actor, w.book, &r)),
        5 => run(body, |w, r: PatchTransaction| w.app.recategorize(&w.actor, w.book, w.tx, &r)),
        6 => run(body, |w, r: CreateTransfer| w.app.transfer(&w.actor, w.book, &r)),
        _ => run(body, |w, r: CreateCategory| w.app.create_category(&w.actor, w.book, &r)),
    }
});
