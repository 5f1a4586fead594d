//! A readable diff of one event for the audit trail (`/events`): the fields
//! it sets, each with the value the same thing had before in its stream.
//!
//! An event names what it touches by id (`tx_id`, `account_id`, `id`…), so
//! "before" is the last value an earlier event of the same stream set for the
//! same id and field: a recategorisation shows the transaction's category
//! before, a rename the name before. An event that creates something has no
//! earlier value, and its diff is the fields it sets.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::Event;
use crate::ids::CategoryId;

/// One changed field: `before` is `None` when nothing set it earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: String,
}

/// Values longer than this are cut: an import's rows or a rule's conditions
/// are data, not something to read in a table cell.
const MAX_VALUE: usize = 120;

/// Fields that say how or by which run a change was made, not what changed.
const NOT_STATE: &[&str] = &["run", "postings", "previous", "previous_category", "previous_source"];

/// The diff of `event`, given the events before it in its stream (oldest
/// first; only the ones before it).
pub fn diff(earlier: &[Event], event: &Event) -> Vec<Change> {
    let mut names: HashMap<CategoryId, String> = HashMap::new();
    let mut state: HashMap<(String, String), String> = HashMap::new();
    for e in earlier {
        learn_name(&mut names, e);
        for (entity, field, value) in sets(&names, e) {
            state.insert((entity, field), value);
        }
    }
    learn_name(&mut names, event);
    sets(&names, event)
        .into_iter()
        .filter_map(|(entity, field, after)| {
            let before = state.get(&(entity, field.clone())).cloned();
            (before.as_ref() != Some(&after)).then_some(Change { field, before, after })
        })
        .collect()
}

fn learn_name(names: &mut HashMap<CategoryId, String>, e: &Event) {
    if let Event::CategoryAdded(c) = e {
        names.insert(c.id, c.name.to_string());
    }
}

fn category(names: &HashMap<CategoryId, String>, c: Option<CategoryId>) -> String {
    match c {
        Some(c) => names.get(&c).cloned().unwrap_or_else(|| c.0.to_string()),
        None => "(none)".into(),
    }
}

/// What `e` sets, as (entity, field, value). The entity is the id the event
/// is about ("book" for the book itself, "" for an event about no one id).
fn sets(names: &HashMap<CategoryId, String>, e: &Event) -> Vec<(String, String, String)> {
    match e {
        Event::TransactionRecorded(t) => {
            let id = t.id.0.to_string();
            let amount = t.postings.accounts().next().map(|(_, m)| m.to_string()).unwrap_or_default();
            let mut out = vec![
                ("date", t.date.to_string()),
                ("description", t.description.clone()),
                ("amount", amount),
                ("category", category(names, t.postings.category())),
            ];
            if let Some(c) = &t.counterparty {
                out.push(("counterparty", c.clone()));
            }
            if !t.tags.is_empty() {
                out.push(("tags", t.tags.join(", ")));
            }
            if let Some(n) = &t.notes {
                out.push(("notes", n.clone()));
            }
            out.into_iter().map(|(f, v)| (id.clone(), f.to_string(), v)).collect()
        }
        Event::TransactionRecategorized(r) => {
            vec![(r.tx_id.0.to_string(), "category".into(), category(names, r.category))]
        }
        Event::CategorySuggested(s) => {
            vec![(s.tx_id.0.to_string(), "suggested category".into(), category(names, Some(s.category)))]
        }
        Event::BookOpened(b) => vec![("book".into(), "name".into(), b.name.clone())],
        Event::BookRenamed(b) => vec![("book".into(), "name".into(), b.name.clone())],
        other => generic(&other.data()),
    }
}

/// Event data as the audit trail shows it: password and token hashes
/// (every `…_hash` field, at any depth) replaced, so not even a platform
/// admin reads a credential's verifier off the page.
pub fn redacted(mut data: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k.ends_with("_hash") {
                        *v = Value::String("[redacted]".into());
                    } else {
                        walk(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut data);
    data
}

/// Any other event: its top-level fields, about the id it carries.
fn generic(data: &Value) -> Vec<(String, String, String)> {
    let data = redacted(data.clone());
    let Value::Object(map) = &data else { return vec![] };
    let id_field = map.keys().find(|k| *k == "id").or_else(|| map.keys().find(|k| k.ends_with("_id")));
    let entity = id_field.and_then(|k| map.get(k)).map(render).unwrap_or_default();
    map.iter()
        .filter(|(k, v)| Some(*k) != id_field && !v.is_null() && !NOT_STATE.contains(&k.as_str()))
        .map(|(k, v)| (entity.clone(), k.clone(), render(v)))
        .collect()
}

fn render(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    };
    if text.chars().count() > MAX_VALUE {
        let cut: String = text.chars().take(MAX_VALUE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AccountRenamed, Annotated, Book, BookRenamed, Owner, Recategorized};
    use crate::{
        Account, AccountId, AccountKind, BookId, Category, CategoryName, Currency, Leg, Money, Posting, Postings,
        Section, Status, Transaction, TxId,
    };
    use uuid::Uuid;

    fn cat(n: u128, name: &str) -> (CategoryId, Event) {
        let id = CategoryId(Uuid::from_u128(n));
        (id, Event::CategoryAdded(Category { id, name: CategoryName::parse(name).unwrap(), section: Section::Expense }))
    }

    fn postings(leg: Leg) -> Postings {
        Postings::new(vec![
            Posting {
                leg: Leg::Account(AccountId(Uuid::from_u128(1))),
                amount: Money::parse("-4.20", Currency::EUR).unwrap(),
            },
            Posting { leg, amount: Money::parse("4.20", Currency::EUR).unwrap() },
        ])
        .unwrap()
    }

    fn tx(id: TxId, category: CategoryId) -> Event {
        Event::TransactionRecorded(Transaction {
            id,
            date: jiff::civil::date(2024, 3, 1),
            description: "Bakery".into(),
            postings: postings(Leg::Category(category)),
            counterparty: None,
            tags: vec![],
            notes: None,
            external_id: None,
            status: Status::default(),
            category_source: None,
        })
    }

    fn recat(id: TxId, to: CategoryId) -> Event {
        Event::TransactionRecategorized(Recategorized {
            tx_id: id,
            category: Some(to),
            postings: postings(Leg::Category(to)),
            source: None,
            previous: None,
            previous_source: None,
            run: None,
        })
    }

    fn change(field: &str, before: Option<&str>, after: &str) -> Change {
        Change { field: field.into(), before: before.map(Into::into), after: after.into() }
    }

    #[test]
    fn a_recategorisation_shows_the_category_before_by_name() {
        let (food, add_food) = cat(10, "Food");
        let (fun, add_fun) = cat(11, "Fun");
        let (a, b) = (TxId(Uuid::from_u128(20)), TxId(Uuid::from_u128(21)));
        // Another transaction's later category must not count as this one's before.
        let earlier = vec![add_food, add_fun, tx(a, food), tx(b, food), recat(b, fun)];
        assert_eq!(diff(&earlier, &recat(a, fun)), vec![change("category", Some("Food"), "Fun")]);
        let mut again = earlier.clone();
        again.push(recat(a, fun));
        // Back to Food after Fun: the before is the latest value, not the first.
        assert_eq!(diff(&again, &recat(a, food)), vec![change("category", Some("Fun"), "Food")]);
    }

    #[test]
    fn a_created_transaction_lists_the_fields_it_sets() {
        let (food, add_food) = cat(10, "Food");
        let d = diff(&[add_food], &tx(TxId(Uuid::from_u128(20)), food));
        assert_eq!(
            d,
            vec![
                change("date", None, "2024-03-01"),
                change("description", None, "Bakery"),
                change("amount", None, "-4.20 EUR"),
                change("category", None, "Food"),
            ]
        );
    }

    #[test]
    fn renames_and_annotations_show_the_earlier_value_and_skip_the_unchanged() {
        let acc = AccountId(Uuid::from_u128(1));
        let opened = Event::AccountOpened(Account {
            id: acc,
            name: "Giro".into(),
            kind: AccountKind::Cash,
            currency: Currency::EUR,
            iban: None,
            number: None,
            institution: None,
            location: None,
            opened_on: jiff::civil::date(2024, 1, 1),
        });
        let renamed = Event::AccountRenamed(AccountRenamed { account_id: acc, name: "Main".into() });
        assert_eq!(diff(std::slice::from_ref(&opened), &renamed), vec![change("name", Some("Giro"), "Main")]);

        let book = Event::BookOpened(Book { id: BookId(Uuid::from_u128(2)), name: "Home".into(), owner: Owner::Local });
        let rename = Event::BookRenamed(BookRenamed { name: "House".into() });
        assert_eq!(diff(&[book], &rename), vec![change("name", Some("Home"), "House")]);

        let (food, add_food) = cat(10, "Food");
        let id = TxId(Uuid::from_u128(20));
        let note = |tags: Vec<&str>, notes: &str| {
            Event::TransactionAnnotated(Annotated {
                tx_id: id,
                counterparty: None,
                tags: tags.into_iter().map(Into::into).collect(),
                notes: Some(notes.into()),
                run: None,
            })
        };
        let earlier = vec![add_food, tx(id, food), note(vec!["a"], "first")];
        // The tags did not change: only the notes are shown.
        assert_eq!(diff(&earlier, &note(vec!["a"], "second")), vec![change("notes", Some("first"), "second")]);
    }

    #[test]
    fn credential_hashes_are_redacted() {
        let e = Event::PasswordChanged(crate::access::PasswordChanged {
            user_id: crate::UserId(Uuid::from_u128(3)),
            password_hash: "$argon2id$secret".into(),
        });
        assert_eq!(diff(&[], &e), vec![change("password_hash", None, "[redacted]")]);
        assert!(!redacted(e.data()).to_string().contains("argon2id"));
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(500);
        assert_eq!(render(&Value::String(long)).chars().count(), MAX_VALUE + 1);
    }
}
