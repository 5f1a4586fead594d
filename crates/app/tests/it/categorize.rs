//! Categorisation through the store on both backends: rule runs (dry run
//! equals the real run, undo restores), manual categories win, and a model
//! trained on a generated history applies or suggests with sources visible.

use kassa_app::SystemClock;
use kassa_app::categorize as service;
use kassa_core::categorize::synth;
use kassa_core::categorize::{Action, Condition, Field, Op, Rule};
use kassa_core::{AccountRef, BookId, CategorySource, Command, Currency, NewTransaction, Section, Status, TxId};
use kassa_store::{Store, TxFilter, testing};

use crate::*;

fn rows(store: &dyn Store, book: BookId) -> Vec<kassa_store::TxRow> {
    store.transactions(book, &TxFilter::default()).unwrap()
}

fn rule(name: &str, contains: &str, category: &str) -> Command {
    Command::SaveRule(Rule::new(
        name,
        Condition::leaf(Field::Description, Op::Contains(contains.into())),
        vec![Action::SetCategory(category.into())],
    ))
}

#[test]
fn rule_runs_preview_apply_and_undo() {
    for db in testing::all() {
        let (s, book) = (db.store.as_ref(), BookId(id()));
        s.execute(
            book,
            "t",
            &[
                open_book(book),
                account("Checking", Currency::EUR),
                category("Groceries", Section::Expense),
                category("Coffee", Section::Expense),
                tx("Checking", "2024-01-02", "-12.00", None),
                tx("Checking", "2024-01-03", "-3.00", None),
                tx("Checking", "2024-01-04", "-5.00", Some("Coffee")),
            ],
        )
        .unwrap();
        // tx() describes rows as "<account> <amount>": match two of the three.
        s.execute(book, "t", &[rule("small", "-3.00", "Coffee"), rule("groceries", "-12.00", "Groceries")]).unwrap();
        let before = s.projection_dump().unwrap();
        let dry = service::apply_rules(s, book, "t", None, None, true).unwrap();
        assert_eq!(s.projection_dump().unwrap(), before, "a dry run writes nothing ({})", db.name);
        let real = service::apply_rules(s, book, "t", None, None, false).unwrap();
        assert_eq!(dry.changes, real.changes, "dry run equals the real run ({})", db.name);
        assert_eq!(real.changes.len(), 2);
        let after = rows(s, book);
        assert_eq!(after[0].category.as_deref(), Some("Groceries"));
        assert_eq!(after[0].category_source.as_deref(), Some("rule"));
        assert_eq!(after[2].category_source.as_deref(), Some("manual"), "untouched");

        // A person overrides one; undo restores only what the run still owns.
        let grocery: TxId = after[0].id.parse().unwrap();
        s.execute(book, "t", &[Command::Recategorize { tx_id: grocery, category: Some("Coffee".into()) }]).unwrap();
        assert_eq!(service::undo_run(s, book, "t", real.run).unwrap(), 1);
        let undone = rows(s, book);
        assert_eq!(
            (undone[0].category.as_deref(), undone[0].category_source.as_deref()),
            (Some("Coffee"), Some("manual"))
        );
        assert_eq!((undone[1].category.as_deref(), undone[1].category_source.as_deref()), (None, None));
        // And rules never override a manual choice.
        let again = service::apply_rules(s, book, "t", None, None, false).unwrap();
        assert_eq!(again.changes.len(), 1, "{:?}", again.changes);
        assert_eq!(rows(s, book)[0].category.as_deref(), Some("Coffee"));

        let dump = s.projection_dump().unwrap();
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(s.projection_dump().unwrap(), dump, "{}", db.name);
    }
}

#[test]
fn the_model_applies_above_its_threshold_and_suggests_below() {
    for db in testing::all() {
        let (s, book) = (db.store.as_ref(), BookId(id()));
        let history = synth::history(7, 8);
        let mut setup = vec![open_book(book), account("Checking", Currency::EUR)];
        let mut seen = std::collections::BTreeSet::new();
        for t in &history {
            if seen.insert(t.category.clone()) {
                setup.push(category(&t.category, Section::Expense));
            }
        }
        s.execute(book, "t", &setup).unwrap();
        let (old, new): (Vec<_>, Vec<_>) = history.iter().partition(|t| t.date < d("2022-07-01"));
        let record = |t: &synth::SynthTx, with_category: bool| {
            Command::RecordTransaction(NewTransaction {
                tx_id: TxId(id()),
                account: AccountRef::Name("Checking".into()),
                date: kassa_core::LedgerDate::new(t.date).unwrap(),
                amount: kassa_core::Amount::new(t.amount).unwrap(),
                description: t.description.clone(),
                category: with_category.then(|| t.category.clone()),
                counterparty: t.counterparty.clone(),
                tags: vec![],
                notes: None,
                external_id: None,
                status: Status::Booked,
                category_source: with_category.then_some(CategorySource::Import),
            })
        };
        let old_cmds: Vec<Command> = old.iter().filter(|t| t.currency == "EUR").map(|t| record(t, true)).collect();
        s.execute(book, "t", &old_cmds).unwrap();
        let trained = service::train(s, &SystemClock, book).unwrap();
        assert!(trained.examples >= 100 && trained.threshold > 0.0, "{trained:?}");

        let new: Vec<_> = new.into_iter().filter(|t| t.currency == "EUR").take(150).collect();
        s.execute(book, "t", &new.iter().map(|t| record(t, false)).collect::<Vec<_>>()).unwrap();
        // Issue 15: review and the dry run are one code path: same rows, same
        // verdicts, each with its evidence; the real run does what they showed.
        let scope = service::Scope { from: Some(d("2022-07-01")), ..Default::default() };
        let dry = service::run(s, &SystemClock, book, "t", scope, true).unwrap();
        let review = service::review(s, &SystemClock, book, scope).unwrap();
        assert_eq!(review, dry.changes, "{}", db.name);
        for c in &review {
            assert!(
                matches!(c.evidence.first(), Some(service::Evidence::Confidence { .. }))
                    && c.evidence.iter().any(|e| matches!(e, service::Evidence::Token { .. })),
                "{}: {c:?}",
                db.name
            );
        }
        assert!(
            review.iter().any(|c| c.evidence.iter().any(|e| matches!(e, service::Evidence::Similar { .. }))),
            "{}: known merchants cite their past transactions",
            db.name
        );
        let report = service::run(
            s,
            &SystemClock,
            book,
            "t",
            service::Scope { from: Some(d("2022-07-01")), ..Default::default() },
            false,
        )
        .unwrap();
        assert_eq!(report.changes, dry.changes, "{}", db.name);
        let applied = report.changes.iter().filter(|c| c.by == "model").count();
        let suggested = report.changes.iter().filter(|c| c.by == "suggestion").count();
        assert!(applied > new.len() / 2, "{}: applied {applied} of {}", db.name, new.len());

        let after: Vec<_> = rows(s, book).into_iter().filter(|r| r.date >= d("2022-07-01")).collect();
        let by_model = after.iter().filter(|r| r.category_source.as_deref() == Some("model")).count();
        let with_suggestion = after.iter().filter(|r| r.suggestion.is_some()).count();
        assert_eq!((by_model, with_suggestion), (applied, suggested), "{}", db.name);
        let truth: std::collections::HashMap<&str, &str> =
            new.iter().map(|t| (t.description.as_str(), t.category.as_str())).collect();
        let right = after
            .iter()
            .filter(|r| r.category_source.as_deref() == Some("model"))
            .filter(|r| truth.get(r.description.as_str()) == r.category.as_deref().as_ref())
            .count();
        assert!(right * 100 >= by_model * 90, "{}: {right} of {by_model} auto-applied right", db.name);

        // A correction is manual and the stored model learns it at once.
        let victim = after.iter().find(|r| r.category_source.as_deref() == Some("model")).unwrap();
        let other = seen.iter().find(|c| Some(c.as_str()) != victim.category.as_deref()).unwrap().clone();
        service::correct(s, book, "t", victim.id.parse().unwrap(), Some(other.clone())).unwrap();
        let model = kassa_core::categorize::Categorizer::from_json(&s.load_model(book).unwrap().unwrap().json).unwrap();
        let view = kassa_core::categorize::TxView {
            description: &victim.description,
            counterparty: victim.counterparty.as_deref(),
            amount: victim.amount,
            currency: victim.currency.code(),
            account: &victim.account,
            date: victim.date,
            category: None,
        };
        assert_eq!(model.predict(&view).unwrap().category, other, "{}", db.name);
        let row = rows(s, book).into_iter().find(|r| r.id == victim.id).unwrap();
        assert_eq!((row.category, row.category_source.as_deref()), (Some(other), Some("manual")));

        let dump = s.projection_dump().unwrap();
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(s.projection_dump().unwrap(), dump, "{}", db.name);
    }
}

/// Issue 15 item 6: an import from a rule file keeps the file's order, not
/// the ids' alphabetical one; a later `add` goes last; `reorder` changes it.
#[test]
fn rules_run_in_the_order_the_user_gave() {
    use kassa_core::categorize::rules::import_toml;
    for db in testing::all() {
        let (s, book) = (db.store.as_ref(), BookId(id()));
        s.execute(
            book,
            "t",
            &[
                open_book(book),
                account("Checking", Currency::EUR),
                category("Groceries", Section::Expense),
                category("Coffee", Section::Expense),
                category("Other", Section::Expense),
                tx("Checking", "2024-01-02", "-12.00", None),
            ],
        )
        .unwrap();
        let local = kassa_app::local::Local { store: s, clock: &SystemClock, actor: "t" };
        // Both match the row; "zz-specific" is first in the file, so it wins
        // (ids sorted would put "aa-catch-all" first).
        let file = r#"
version = 2
[[rule]]
name = "zz specific"
when = { field = "description", contains = "-12.00" }
then = [{ set_category = "Groceries" }]
[[rule]]
name = "aa catch all"
when = { field = "amount", lt = "0" }
then = [{ set_category = "Coffee" }]
"#;
        local.save_rules(book, import_toml(file).unwrap()).unwrap();
        local
            .add_rules(
                book,
                vec![Rule::new("mm last", Condition::All(vec![]), vec![Action::SetCategory("Other".into())])],
            )
            .unwrap();
        let order = |local: &kassa_app::local::Local<'_>| -> Vec<String> {
            local.rules(book).unwrap().into_iter().map(|r| r.id).collect()
        };
        assert_eq!(order(&local), ["zz-specific", "aa-catch-all", "mm-last"], "{}", db.name);
        assert_eq!(local.rules(book).unwrap().iter().map(|r| r.position).collect::<Vec<_>>(), [10, 20, 30]);
        let run = service::apply_rules(s, book, "t", None, None, true).unwrap();
        assert_eq!(run.changes[0].to.as_deref(), Some("Groceries"), "{}", db.name);

        local.reorder_rules(book, &["mm-last".into(), "aa-catch-all".into()]).unwrap();
        assert_eq!(order(&local), ["mm-last", "aa-catch-all", "zz-specific"], "{}", db.name);
        let run = service::apply_rules(s, book, "t", None, None, true).unwrap();
        assert_eq!(run.changes[0].to.as_deref(), Some("Other"), "{}", db.name);
        let err = local.reorder_rules(book, &["nope".into()]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        // The order survives a rebuild from the log.
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(order(&local), ["mm-last", "aa-catch-all", "zz-specific"], "{}", db.name);
    }
}

/// Issue 15 item 6: undo of a rule run puts back the counterparty (and tags
/// and notes) a rule set, also where the row had none before.
#[test]
fn undo_restores_what_a_rule_annotated() {
    for db in testing::all() {
        let (s, book) = (db.store.as_ref(), BookId(id()));
        let mut with_cp = tx("Checking", "2024-01-03", "-3.00", None);
        if let Command::RecordTransaction(t) = &mut with_cp {
            t.counterparty = Some("BACKWERK 0231 BERLIN".into());
            t.tags = vec!["bank".into()];
        }
        s.execute(
            book,
            "t",
            &[
                open_book(book),
                account("Checking", Currency::EUR),
                category("Coffee", Section::Expense),
                tx("Checking", "2024-01-02", "-12.00", None),
                with_cp,
            ],
        )
        .unwrap();
        s.execute(
            book,
            "t",
            &[Command::SaveRule(Rule::new(
                "Normalise",
                Condition::leaf(Field::Account, Op::Equals("Checking".into())),
                vec![
                    Action::SetCounterparty("Backwerk".into()),
                    Action::AddTags(vec!["rule".into()]),
                    Action::SetNotes("by rule".into()),
                ],
            ))],
        )
        .unwrap();
        let before = s.projection_dump().unwrap();
        let run = service::apply_rules(s, book, "t", None, None, false).unwrap();
        assert!(rows(s, book).iter().all(|r| r.counterparty.as_deref() == Some("Backwerk")), "{}", db.name);
        assert_eq!(service::undo_run(s, book, "t", run.run).unwrap(), 2, "{}", db.name);
        let undone = rows(s, book);
        let by_day = |d: &str| undone.iter().find(|r| r.date.to_string() == d).unwrap().counterparty.clone();
        assert_eq!(by_day("2024-01-03").as_deref(), Some("BACKWERK 0231 BERLIN"), "{}", db.name);
        assert_eq!(by_day("2024-01-02"), None, "cleared again ({})", db.name);
        // Tags, notes and the counterparty totals too: every table as before.
        assert_eq!(s.projection_dump().unwrap(), before, "projections as before the run ({})", db.name);
        assert_eq!(service::undo_run(s, book, "t", run.run).unwrap(), 0, "nothing left to undo ({})", db.name);
        let dump = s.projection_dump().unwrap();
        s.rebuild(&mut |_, _| {}).unwrap();
        assert_eq!(s.projection_dump().unwrap(), dump, "{}", db.name);
    }
}
