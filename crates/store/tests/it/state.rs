//! State several server processes share (issue 13), on both backends: the
//! login attempt counter, the idempotent write (two claimers at once, one
//! write), the access epoch and the web import stash.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use jiff::Timestamp;
use kassa_core::access::{UserCommand, decide_user, user_stream};
use kassa_core::{BookId, UserId};
use kassa_store::state::{Claim, StashBounds, StashEntry, StashMove, StashPut, StashState, Write, Written};
use kassa_store::{Store, StoreError, TxFilter, testing};

use crate::*;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + seconds).unwrap()
}

fn stores() -> Vec<(testing::TestDb, Arc<dyn Store>)> {
    testing::all()
        .into_iter()
        .map(|db| {
            let store: Arc<dyn Store> = Arc::from(kassa_store::open(&db.url).unwrap());
            (db, store)
        })
        .collect()
}

#[test]
fn attempts_count_in_windows_of_the_callers_clock() {
    let window = Duration::from_secs(600);
    for (db, store) in stores() {
        let n = |t: i64| store.count_attempt("acct:eve", at(t), window).unwrap();
        assert_eq!(n(0).count, 1, "{}", db.name);
        assert_eq!(n(10).count, 2);
        let a = n(599);
        assert_eq!((a.count, a.window_start), (3, at(0)), "{}: the window began with the first attempt", db.name);
        assert_eq!(store.attempts("acct:eve").unwrap(), Some(a));
        // Six hundred seconds on, a new window begins.
        let a = n(600);
        assert_eq!((a.count, a.window_start), (1, at(600)), "{}", db.name);
        store.count_attempt("ip:10.0.0.1", at(600), window).unwrap();
        store.forget_attempts("acct:eve").unwrap();
        assert_eq!(store.attempts("acct:eve").unwrap(), None);
        // Counting any key prunes the windows that ended.
        store.count_attempt("ip:10.0.0.2", at(1200), window).unwrap();
        assert_eq!(store.attempts("ip:10.0.0.1").unwrap(), None, "{}", db.name);
    }
}

#[test]
fn concurrent_attempts_are_all_counted() {
    for (db, store) in stores() {
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..10 {
                        store.count_attempt("ip:1", at(0), Duration::from_secs(60)).unwrap();
                    }
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(store.attempts("ip:1").unwrap().map(|a| a.count), Some(40), "{}", db.name);
    }
}

#[test]
fn two_claimers_of_one_key_make_one_write() {
    for (db, store) in stores() {
        let book = BookId(id());
        store.execute(book, "t", &[open_book(book), account("Checking", Currency::EUR)]).unwrap();
        let claim = Claim { scope: "s".into(), key: "k".into(), fingerprint: "f".into() };
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (store, barrier, claim) = (store.clone(), barrier.clone(), claim.clone());
                std::thread::spawn(move || {
                    let cmds = [tx("Checking", "2024-01-02", "-5", None)];
                    barrier.wait();
                    // As a request does: the claimer finishes with its reply,
                    // and only then does the other one's write come back.
                    let opened = store.claim_open(&claim, Write::Book { book, actor: "t", cmds: &cmds })?;
                    opened.claim.expect("a committing write").finish(201, "{\"id\":1}")?;
                    Ok::<_, StoreError>(opened.written)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let won: Vec<_> = results.iter().filter(|r| matches!(r, Ok(Written::Events(e)) if e.len() == 1)).collect();
        let lost = results.iter().filter(|r| matches!(r, Err(StoreError::Claimed))).count();
        assert_eq!((won.len(), lost), (1, 1), "{}: {results:?}", db.name);
        assert_eq!(store.transactions(book, &TxFilter::default()).unwrap().len(), 1, "{}: one write", db.name);
        let stored = store.idempotent_get("s", "k").unwrap().unwrap();
        assert_eq!((stored.status, stored.body.as_str(), stored.fingerprint.as_str()), (201, "{\"id\":1}", "f"));
        // A refused write claims nothing: the key stays free.
        let other = Claim { key: "k2".into(), ..claim.clone() };
        let cmds = [tx("Nowhere", "2024-01-02", "-5", None)];
        assert!(store.claim_open(&other, Write::Book { book, actor: "t", cmds: &cmds }).is_err());
        assert_eq!(store.idempotent_get("s", "k2").unwrap(), None, "{}", db.name);
    }
}

#[test]
fn an_open_claim_commits_with_its_reply_or_not_at_all() {
    for (db, store) in stores() {
        let book = BookId(id());
        store.execute(book, "t", &[open_book(book), account("Checking", Currency::EUR)]).unwrap();
        let claim = Claim { scope: "s".into(), key: "k".into(), fingerprint: "f".into() };
        let first = [tx("Checking", "2024-01-02", "-5", None)];
        let count = |s: &dyn Store| s.transactions(book, &TxFilter::default()).unwrap().len();

        // The claimer dies before its reply: its write goes with its claim.
        let open = store.claim_open(&claim, Write::Book { book, actor: "t", cmds: &first }).unwrap().claim.unwrap();
        assert_eq!(count(&*open), 1, "{}: the request reads its own write", db.name);
        drop(open);
        assert_eq!(count(&*store), 0, "{}: rolled back", db.name);
        assert_eq!(store.idempotent_get("s", "k").unwrap(), None, "{}: the key is free again", db.name);

        // The retry writes once; its later writes and reads are inside the
        // claim, and nobody else sees any of it before the reply.
        let open = store.claim_open(&claim, Write::Book { book, actor: "t", cmds: &first }).unwrap().claim.unwrap();
        open.execute(book, "t", &[tx("Checking", "2024-01-03", "-7", None)]).unwrap();
        let refused = open.execute(book, "t", &[tx("Nowhere", "2024-01-04", "-1", None)]);
        assert!(refused.is_err(), "{}", db.name);
        assert_eq!(count(&*open), 2, "{}: a refused later write undoes only itself", db.name);
        assert_eq!(count(&*store), 0, "{}: nothing visible before the reply", db.name);
        open.finish(201, "{}").unwrap();
        assert!(open.finish(201, "{}").is_err(), "{}: once only", db.name);
        assert_eq!(count(&*store), 2, "{}", db.name);
        let stored = store.idempotent_get("s", "k").unwrap().unwrap();
        assert_eq!((stored.status, stored.body.as_str()), (201, "{}"), "{}", db.name);
    }
}

/// Makes the reply under `key` look two days old, straight in the table.
fn age(db: &testing::TestDb, key: &str) {
    let sql = "UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00Z' WHERE key = ";
    if db.name == "sqlite" {
        let conn = rusqlite::Connection::open(db.url.strip_prefix("sqlite://").unwrap()).unwrap();
        conn.execute(&format!("{sql}?1"), [key]).unwrap();
    } else {
        let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        c.execute(&format!("{sql}$1"), &[&key]).unwrap();
    }
}

#[test]
fn replies_older_than_the_ttl_are_pruned_by_the_next_claim() {
    for (db, store) in stores() {
        let book = BookId(id());
        store.execute(book, "t", &[open_book(book), account("Checking", Currency::EUR)]).unwrap();
        let claim = |key: &str| Claim { scope: "s".into(), key: key.into(), fingerprint: "f".into() };
        let write = |key: &str| {
            let cmds = [tx("Checking", "2024-01-02", "-5", None)];
            let open = store.claim_open(&claim(key), Write::Book { book, actor: "t", cmds: &cmds }).unwrap();
            open.claim.unwrap().finish(201, "{}").unwrap();
        };
        write("old");
        write("recent");
        age(&db, "old");
        write("new");
        assert_eq!(store.idempotent_get("s", "old").unwrap(), None, "{}: pruned", db.name);
        assert!(store.idempotent_get("s", "recent").unwrap().is_some(), "{}: kept", db.name);
    }
}

#[test]
fn access_writes_move_the_epoch_and_book_writes_do_not() {
    for (db, store) in stores() {
        let user = UserId(id());
        let register = UserCommand::Register {
            user_id: user,
            email: "a@b.c".into(),
            password_hash: "h".into(),
            platform_admin: false,
        };
        store.execute_stream(&user_stream(user), "t", &|h| Ok(decide_user(h, &register)?)).unwrap();
        let before = store.access_epoch().unwrap();
        let book = BookId(id());
        store.execute(book, "t", &[open_book(book), account("Checking", Currency::EUR)]).unwrap();
        store.execute(book, "t", &[tx("Checking", "2024-01-02", "-5", None)]).unwrap();
        assert_eq!(store.access_epoch().unwrap(), before, "{}: ledger writes leave it", db.name);
        store.execute_stream(&user_stream(user), "t", &|h| Ok(decide_user(h, &UserCommand::Disable)?)).unwrap();
        assert!(store.access_epoch().unwrap() > before, "{}: disabling a user moves it", db.name);
    }
}

#[test]
fn the_import_stash_keeps_its_bounds() {
    for (db, store) in stores() {
        let (user, book) = (UserId(id()), BookId(id()));
        let entry = |t: i64, size: usize| StashEntry {
            id: id(),
            user,
            book,
            created_at: at(t),
            state: StashState::Pending,
            files: vec![7; size],
            detail: "{}".into(),
        };
        let bounds =
            |now: i64| StashBounds { live_after: at(now - 1800), per_user: 2, per_user_bytes: 100, max_bytes: 150 };
        let (a, b, c) = (entry(0, 10), entry(1, 10), entry(2, 10));
        for e in [&a, &b, &c] {
            assert_eq!(store.stash_put(e, &bounds(2)).unwrap(), StashPut::Stored, "{}", db.name);
        }
        assert_eq!(store.stash_get(a.id, user, at(-1800)).unwrap(), None, "{}: the oldest went", db.name);
        assert_eq!(store.stash_get(c.id, user, at(-1800)).unwrap().as_ref(), Some(&c));
        assert_eq!(store.stash_get(c.id, UserId(id()), at(-1800)).unwrap(), None, "{}: only its uploader", db.name);
        assert_eq!(store.stash_put(&entry(3, 95), &bounds(3)).unwrap(), StashPut::UserFull, "{}: over", db.name);
        // Another person's previews do not count against this one's share,
        // only against the ceiling.
        let other = StashEntry { id: id(), user: UserId(id()), ..entry(3, 90) };
        assert_eq!(store.stash_put(&other, &bounds(3)).unwrap(), StashPut::Stored, "{}", db.name);
        let third = StashEntry { id: id(), user: UserId(id()), ..entry(3, 60) };
        assert_eq!(store.stash_put(&third, &bounds(3)).unwrap(), StashPut::Full, "{}: the ceiling", db.name);
        // A confirm moves it once; a second finds nothing to move.
        let run =
            StashMove { id: c.id, user, live_after: at(-1800), from: StashState::Pending, to: StashState::Running };
        assert!(store.stash_move(&run, "{}").unwrap());
        assert!(!store.stash_move(&run, "{}").unwrap(), "{}", db.name);
        let done = StashMove { from: StashState::Running, to: StashState::Done, ..run };
        assert!(store.stash_move(&done, "[1]").unwrap());
        let done = store.stash_get(c.id, user, at(-1800)).unwrap().unwrap();
        assert_eq!((done.state, done.files.len(), done.detail.as_str()), (StashState::Done, 0, "[1]"));
        // Half an hour on, entries have expired, and the next upload prunes them.
        assert_eq!(store.stash_get(b.id, user, at(1)).unwrap(), None, "{}", db.name);
        assert_eq!(store.stash_put(&entry(4000, 10), &bounds(4000)).unwrap(), StashPut::Stored);
        assert_eq!(store.stash_get(b.id, user, at(-1800)).unwrap(), None, "{}: pruned", db.name);
        store.stash_remove(c.id, user).unwrap();
    }
}
