//! Rule engine: every operator, groups, negation, ordering, stop-processing,
//! error reporting and rule-file round trips.

use jiff::civil::date;
use kassa_core::categorize::rules::{export_json, export_toml, import_json, import_toml};
use kassa_core::categorize::{Action, Condition, Field, Op, Predicate, Rule, RuleError, RuleSet, TxView};
use rust_decimal::Decimal;

fn tx(description: &str, amount: i64) -> TxView<'_> {
    TxView {
        description,
        counterparty: Some("Hausverwaltung Müller"),
        amount: Decimal::new(amount, 2),
        currency: "EUR",
        account: "Assets:Bank:DE",
        date: date(2024, 5, 12),
        category: None,
    }
}

fn cat(name: &str) -> Vec<Action> {
    vec![Action::SetCategory(name.to_owned())]
}

/// Does a single leaf match the sample transaction?
fn check(field: Field, op: Op, description: &str, amount: i64) -> bool {
    let rules = [Rule::new("r", Condition::leaf(field, op), cat("X"))];
    let set = RuleSet::compile(&rules).expect("rule compiles");
    set.apply(&tx(description, amount)).category.is_some()
}

fn s(v: &str) -> String {
    v.to_owned()
}

#[test]
fn text_operators() {
    let d = "VISA 4411 Café Métro SAGT DANKE";
    assert!(check(Field::Description, Op::Contains(s("cafe metro")), d, -500));
    assert!(check(Field::Description, Op::Contains(s("CAFÉ")), d, -500));
    assert!(!check(Field::Description, Op::Contains(s("rewe")), d, -500));
    assert!(check(Field::Description, Op::Equals(s("visa 4411 cafe metro sagt danke")), d, -500));
    assert!(!check(Field::Description, Op::Equals(s("visa")), d, -500));
    assert!(check(Field::Description, Op::StartsWith(s("Visa 4411")), d, -500));
    assert!(!check(Field::Description, Op::StartsWith(s("4411")), d, -500));
    assert!(check(Field::Description, Op::EndsWith(s("danke")), d, -500));
    assert!(check(Field::Description, Op::Regex(s(r"^visa \d{4} caf")), d, -500));
    assert!(!check(Field::Description, Op::Regex(s(r"^\d")), d, -500));
    assert!(check(Field::Counterparty, Op::OneOf(vec![s("Meier"), s("hausverwaltung muller")]), d, -500));
    assert!(check(Field::Account, Op::StartsWith(s("assets:bank")), d, -500));
    assert!(check(Field::Currency, Op::Equals(s("eur")), d, -500));
    assert!(check(Field::Currency, Op::OneOf(vec![s("NOK"), s("EUR")]), d, -500));
    // Whitespace runs collapse on both sides.
    assert!(check(Field::Description, Op::Contains(s("4411   café")), d, -500));
}

#[test]
fn case_sensitive_leaf_compares_raw_text() {
    let rule = Rule::new(
        "raw",
        Condition::Leaf(Predicate { field: Field::Description, op: Op::Contains(s("Café")), case_sensitive: true }),
        cat("X"),
    );
    let set = RuleSet::compile(&[rule]).unwrap();
    assert!(set.apply(&tx("Café Métro", -1)).category.is_some());
    assert!(set.apply(&tx("CAFÉ MÉTRO", -1)).category.is_none());
}

#[test]
fn amount_operators_compare_the_signed_amount() {
    let a = Field::Amount;
    // Issue 15: "gt 100" used to match a payment of 120.50 (|−120.50| > 100).
    assert!(!check(a, Op::Gt(s("100")), "x", -12050));
    assert!(check(a, Op::Gt(s("100")), "x", 12050));
    assert!(check(a, Op::Lt(s("-100")), "x", -12050));
    assert!(!check(a, Op::Lt(s("-120.50")), "x", -12050));
    assert!(check(a, Op::Le(s("-120.50")), "x", -12050));
    assert!(check(a, Op::Ge(s("-120.50")), "x", -12050));
    assert!(check(a, Op::Between(s("-200"), s("-100")), "x", -12050));
    assert!(!check(a, Op::Between(s("100"), s("200")), "x", -12050));
    assert!(check(a, Op::Equals(s("-120.5")), "x", -12050));
    assert!(!check(a, Op::Equals(s("120.5")), "x", -12050));
    assert!(check(a, Op::OneOf(vec![s("9.99"), s("120.50")]), "x", 12050));
    assert!(check(a, Op::IsOutflow, "x", -1));
    assert!(!check(a, Op::IsOutflow, "x", 1));
    assert!(check(a, Op::IsInflow, "x", 1));
    assert!(!check(a, Op::IsInflow, "x", 0));
}

#[test]
fn magnitude_operators_compare_the_absolute_amount() {
    let m = Field::Magnitude;
    assert!(check(m, Op::Gt(s("100")), "x", -12050));
    assert!(check(m, Op::Gt(s("100")), "x", 12050));
    assert!(!check(m, Op::Gt(s("120.50")), "x", -12050));
    assert!(check(m, Op::Ge(s("120.50")), "x", -12050));
    assert!(check(m, Op::Lt(s("120.51")), "x", 12050));
    assert!(check(m, Op::Between(s("100"), s("120.50")), "x", -12050));
    assert!(check(m, Op::Equals(s("120.5")), "x", -12050));
    // A magnitude has no sign: a negative operand or a sign test is refused.
    let neg = Rule::new("Neg", Condition::leaf(m, Op::Gt(s("-5"))), cat("X"));
    assert!(matches!(RuleSet::compile(&[neg]), Err(RuleError::InvalidValue { field: Field::Magnitude, .. })));
    let sign = Rule::new("Sign", Condition::leaf(m, Op::IsOutflow), cat("X"));
    assert!(matches!(RuleSet::compile(&[sign]), Err(RuleError::OperatorNotForField { .. })));
}

#[test]
fn format_1_rules_keep_comparing_magnitudes() {
    // The same rule, as a format-1 file (no version) and as format 2: the old
    // file keeps its old meaning, |amount| > 100 with the operand's sign dropped.
    let body = r#"
[[rule]]
name = "Big"
when.all = [{ field = "amount", gt = "-100" }, { is_outflow = true }]
then = [{ set_category = "X" }]
"#;
    let old = import_toml(body).unwrap();
    let Condition::All(leaves) = &old[0].conditions else { panic!("{:?}", old[0].conditions) };
    assert_eq!(leaves[0], Condition::leaf(Field::Magnitude, Op::Gt(s("100"))));
    assert_eq!(leaves[1], Condition::leaf(Field::Amount, Op::IsOutflow));
    let old = RuleSet::compile(&old).unwrap();
    assert!(old.apply(&tx("x", -12050)).category.is_some());
    assert!(old.apply(&tx("x", -5000)).category.is_none());

    let new = RuleSet::compile(&import_toml(&format!("version = 2\n{body}")).unwrap()).unwrap();
    assert!(new.apply(&tx("x", -5000)).category.is_some(), "-50 > -100, and it is an outflow");
    assert!(new.apply(&tx("x", -12050)).category.is_none());

    let future = import_toml(&format!("version = 3\n{body}")).unwrap_err();
    assert!(future.to_string().contains("version 3"), "{future}");
    // Exports say which format they are, so they read back unchanged.
    let exported = export_toml(&import_toml(body).unwrap()).unwrap();
    assert!(exported.starts_with("version = 2"), "{exported}");
    assert_eq!(import_toml(&exported).unwrap(), import_toml(body).unwrap());
}

#[test]
fn date_operators() {
    let d = Field::Date;
    assert!(check(d, Op::Between(s("2024-05-01"), s("2024-05-31")), "x", -1));
    assert!(check(d, Op::Between(s("2024-05-12"), s("2024-05-12")), "x", -1));
    assert!(check(d, Op::Gt(s("2024-05-11")), "x", -1));
    assert!(!check(d, Op::Gt(s("2024-05-12")), "x", -1));
    assert!(check(d, Op::Ge(s("2024-05-12")), "x", -1));
    assert!(check(d, Op::Lt(s("2024-06-01")), "x", -1));
    assert!(check(d, Op::Le(s("2024-05-12")), "x", -1));
    assert!(!check(d, Op::Le(s("2024-05-11")), "x", -1));
    assert!(check(d, Op::Equals(s("2024-05-12")), "x", -1));
}

#[test]
fn groups_and_negation() {
    let rema = Condition::leaf(Field::Description, Op::Contains(s("rema")));
    let big = Condition::leaf(Field::Magnitude, Op::Gt(s("100")));
    let both = Condition::All(vec![rema.clone(), big.clone()]);
    let either = Condition::Any(vec![rema.clone(), big.clone()]);
    let not_rema = Condition::Not(Box::new(rema));
    let run = |c: &Condition, d: &str, amt: i64| {
        RuleSet::compile(&[Rule::new("r", c.clone(), cat("X"))]).unwrap().apply(&tx(d, amt)).category.is_some()
    };
    assert!(run(&both, "REMA 1000", -20000));
    assert!(!run(&both, "REMA 1000", -2000));
    assert!(run(&either, "REMA 1000", -2000));
    assert!(run(&either, "KIWI", -20000));
    assert!(!run(&either, "KIWI", -2000));
    assert!(run(&not_rema, "KIWI", -1));
    assert!(!run(&not_rema, "rema", -1));
    assert!(run(&Condition::All(vec![]), "anything", -1), "empty all is true");
    assert!(!run(&Condition::Any(vec![]), "anything", -1), "empty any is false");
    // A missing counterparty matches no text test, so its negation matches.
    let cp = Condition::leaf(Field::Counterparty, Op::Contains(s("x")));
    let set = RuleSet::compile(&[Rule::new("r", Condition::Not(Box::new(cp)), cat("X"))]).unwrap();
    let mut t = tx("x", -1);
    t.counterparty = None;
    assert!(set.apply(&t).category.is_some());
}

#[test]
fn first_match_wins_per_field_and_tags_accumulate() {
    let any = || Condition::All(vec![]);
    let mut specific = Rule::new(
        "specific",
        Condition::leaf(Field::Description, Op::Contains(s("rema"))),
        vec![Action::SetCategory(s("Expenses:Groceries")), Action::AddTags(vec![s("food")])],
    );
    specific.position = 1;
    let mut catch_all = Rule::new(
        "catch all",
        any(),
        vec![
            Action::SetCategory(s("Expenses:Other")),
            Action::SetCounterparty(s("Someone")),
            Action::AddTags(vec![s("food"), s("review")]),
            Action::SetNotes(s("auto")),
            Action::MarkTransfer(false),
        ],
    );
    catch_all.position = 2;
    // Given out of order: position decides.
    let set = RuleSet::compile(&[catch_all, specific]).unwrap();
    let out = set.apply(&tx("REMA 1000 OSLO", -1));
    assert_eq!(out.category.as_deref(), Some("Expenses:Groceries"));
    assert_eq!(out.counterparty.as_deref(), Some("Someone"), "unset fields are still filled by later rules");
    assert_eq!(out.tags, ["food", "review"]);
    assert_eq!(out.notes.as_deref(), Some("auto"));
    assert_eq!(out.transfer, Some(false));
    assert_eq!(out.matched_rule_ids, ["specific", "catch-all"]);
    let other = set.apply(&tx("KIWI", -1));
    assert_eq!(other.category.as_deref(), Some("Expenses:Other"));
    assert_eq!(other.matched_rule_ids, ["catch-all"]);
}

#[test]
fn the_first_matching_bucket_wins_and_reads_back_from_a_rule_file() {
    let mut flights = Rule::new(
        "flights",
        Condition::leaf(Field::Description, Op::Contains(s("lufthansa"))),
        vec![Action::SetBucket(s("Holidays"))],
    );
    flights.position = 1;
    let mut travel = Rule::new("travel", Condition::All(vec![]), vec![Action::SetBucket(s("Travel"))]);
    travel.position = 2;
    let set = RuleSet::compile(&[travel.clone(), flights.clone()]).unwrap();
    assert!(set.assigns_buckets());
    assert_eq!(set.apply(&tx("LUFTHANSA LH 400", -1)).bucket.as_deref(), Some("Holidays"));
    assert_eq!(set.apply(&tx("DB BAHN", -1)).bucket.as_deref(), Some("Travel"));
    assert!(!RuleSet::compile(&[Rule::new("c", Condition::All(vec![]), cat("Food"))]).unwrap().assigns_buckets());
    assert_eq!(flights.actions[0].to_string(), "bucket Holidays");
    let text = "version = 2\n[[rule]]\nname = \"flights\"\nposition = 1\n\
                when = { field = \"description\", contains = \"lufthansa\" }\n\
                then = [{ set_bucket = \"Holidays\" }]\n";
    assert_eq!(import_toml(text).unwrap(), [flights.clone()]);
    assert_eq!(import_toml(&export_toml(&[flights.clone()]).unwrap()).unwrap(), [flights]);
}

#[test]
fn stop_processing_and_disabled_rules() {
    let mut first = Rule::new(
        "transfer",
        Condition::leaf(Field::Description, Op::Contains(s("savings"))),
        vec![Action::MarkTransfer(true)],
    );
    first.stop_processing = true;
    let second = Rule::new("tag everything", Condition::All(vec![]), vec![Action::AddTags(vec![s("seen")])]);
    let mut disabled = Rule::new("disabled", Condition::All(vec![]), cat("Never"));
    disabled.enabled = false;
    let set = RuleSet::compile(&[disabled, first, second]).unwrap();
    assert_eq!(set.len(), 2);
    let out = set.apply(&tx("To savings", -1));
    assert_eq!(out.transfer, Some(true));
    assert!(out.tags.is_empty(), "stop_processing ends the run");
    assert_eq!(out.matched_rule_ids, ["transfer"]);
    let out = set.apply(&tx("REWE", -1));
    assert_eq!(out.tags, ["seen"]);
    assert_eq!(out.category, None);
}

#[test]
fn errors_name_rule_and_field() {
    let bad = Rule::new("Broken regex", Condition::leaf(Field::Counterparty, Op::Regex(s("(unclosed"))), cat("X"));
    let err = RuleSet::compile(&[bad]).unwrap_err();
    assert!(matches!(&err, RuleError::InvalidRegex { rule, field: Field::Counterparty, .. } if rule == "Broken regex"));
    assert!(err.to_string().starts_with("rule 'Broken regex': invalid regex on counterparty"), "{err}");

    let wrong = Rule::new("Regex on amount", Condition::leaf(Field::Amount, Op::Regex(s("1"))), cat("X"));
    assert!(matches!(RuleSet::compile(&[wrong]), Err(RuleError::OperatorNotForField { op: "regex", .. })));
    let sign = Rule::new("Sign on text", Condition::leaf(Field::Description, Op::IsInflow), cat("X"));
    assert!(matches!(RuleSet::compile(&[sign]), Err(RuleError::OperatorNotForField { .. })));
    let value = Rule::new("Bad amount", Condition::leaf(Field::Amount, Op::Gt(s("lots"))), cat("X"));
    let err = RuleSet::compile(&[value]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule 'Bad amount': invalid value 'lots' on amount (expected a decimal amount such as -12.50)"
    );
    let day = Rule::new("Bad date", Condition::leaf(Field::Date, Op::Lt(s("2024-02-30"))), cat("X"));
    assert!(matches!(RuleSet::compile(&[day]), Err(RuleError::InvalidValue { field: Field::Date, .. })));
    let a = Rule::new("Same", Condition::All(vec![]), cat("X"));
    assert!(matches!(RuleSet::compile(&[a.clone(), a]), Err(RuleError::DuplicateId { .. })));
}

const HAND_WRITTEN: &str = r#"
[[rule]]
name = "Groceries"
when.any = [
  { field = "description", contains = "rema 1000" },
  { field = "description", regex = "\\b(rewe|edeka|lidl)\\b" },
]
then = [{ set_category = "Expenses:Groceries" }, { add_tags = ["food"] }]

[[rule]]
name = "Big rent transfer"
id = "rent"
position = 10
stop_processing = true
when.all = [
  { field = "counterparty", one_of = ["Hausverwaltung Müller", "Meier GmbH"] },
  { field = "amount", between = ["900", 1200] },
  { is_outflow = true },
  { not = { field = "date", lt = "2024-01-01" } },
]
then = [
  { set_category = "Expenses:Housing:Rent" },
  { set_counterparty = "Müller Hausverwaltung" },
  { mark_transfer = false },
  { set_notes = "monthly rent" },
]

[[rule]]
name = "Off"
enabled = false
when = { field = "amount", gt = 12.5 }
then = [{ set_category = "X" }]
"#;

#[test]
fn hand_written_toml_loads_and_applies() {
    let rules = import_toml(HAND_WRITTEN).unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[1].id, "rent");
    assert!(!rules[2].enabled);
    let set = RuleSet::compile(&rules).unwrap();
    let out = set.apply(&tx("DAUERAUFTRAG MIETE", -95000));
    assert_eq!(out.category.as_deref(), Some("Expenses:Housing:Rent"));
    assert_eq!(out.counterparty.as_deref(), Some("Müller Hausverwaltung"));
    assert_eq!(out.transfer, Some(false));
    assert_eq!(out.matched_rule_ids, ["rent"]);
    let out = set.apply(&tx("VISA 4411 REWE SAGT DANKE", -2000));
    assert_eq!(out.category.as_deref(), Some("Expenses:Groceries"));
    assert_eq!(out.tags, ["food"]);
}

#[test]
fn toml_and_json_round_trip() {
    let rules = import_toml(HAND_WRITTEN).unwrap();
    let toml_text = export_toml(&rules).unwrap();
    assert_eq!(import_toml(&toml_text).unwrap(), rules, "TOML:\n{toml_text}");
    let json_text = export_json(&rules).unwrap();
    assert_eq!(import_json(&json_text).unwrap(), rules);
    insta::assert_snapshot!("rules_export", toml_text);
}

#[test]
fn malformed_rule_files_are_refused() {
    for (text, needle) in [
        ("[[rule]]\nname = \"a\"\nwhen = { field = \"description\" }\nthen = []", "needs an operator"),
        (
            "[[rule]]\nname = \"a\"\nwhen = { field = \"description\", contains = \"x\", equals = \"y\" }\nthen = []",
            "one operator",
        ),
        ("[[rule]]\nname = \"a\"\nwhen = { contains = \"x\" }\nthen = []", "needs a 'field'"),
        ("[[rule]]\nname = \"a\"\nwhen = {}\nthen = []", "empty condition"),
        ("[[rule]]\nname = \"a\"\nwhen = { is_outflow = false }\nthen = []", "not allowed"),
        ("[[rule]]\nname = \"a\"\nwhen.all = []\nthen = [{ explode = true }]", "explode"),
        ("[[rule]]\nname = \"a\"\nwhen = { field = \"colour\", contains = \"x\" }\nthen = []", "colour"),
    ] {
        let err = import_toml(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text}\n→ {err}");
    }
}
