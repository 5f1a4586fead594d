//! Envelope budget arithmetic (`kassa_core::budget`): golden cases computed
//! by hand in the comments, and the invariants that follow from the
//! definitions, on random plans.

use std::collections::BTreeMap;

use kassa_core::budget::{
    Actuals, BudgetMode, Budgeted, Carryover, MonthBudget, Plan, PlanRow, Template, copy_last, fill, month_budget,
};
use kassa_core::report::fx::{FxRate, FxTable};
use kassa_core::report::{FlowTotal, Month, ReportFacts};
use kassa_core::{AccountId, Category, CategoryId, CategoryName, Currency, Money, Section};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

const FOOD: CategoryId = CategoryId(Uuid::from_u128(1));
const COFFEE: CategoryId = CategoryId(Uuid::from_u128(2));
const RENT: CategoryId = CategoryId(Uuid::from_u128(3));
const FUN: CategoryId = CategoryId(Uuid::from_u128(4));
const SALARY: CategoryId = CategoryId(Uuid::from_u128(5));

const JAN: Month = Month { year: 2025, month: 1 };
const FEB: Month = Month { year: 2025, month: 2 };
const MAR: Month = Month { year: 2025, month: 3 };

fn chart() -> Vec<Category> {
    let c = |id, name: &str, section| Category { id, name: CategoryName::parse(name).unwrap(), section };
    vec![
        c(FOOD, "Food", Section::Expense),
        c(COFFEE, "Food:Coffee", Section::Expense),
        c(RENT, "Rent", Section::Expense),
        c(FUN, "Fun", Section::Expense),
        c(SALARY, "Salary", Section::Income),
    ]
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[derive(Debug, Clone, Default)]
struct Book {
    plan: Plan,
    actuals: Actuals,
}

impl Book {
    fn budget(mut self, c: CategoryId, m: Month, amount: &str) -> Book {
        self.plan.budgets.insert((c, m), Budgeted { amount: d(amount), cap: None });
        self
    }
    fn budget_capped(mut self, c: CategoryId, m: Month, amount: &str, cap: &str) -> Book {
        self.plan.budgets.insert((c, m), Budgeted { amount: d(amount), cap: Some(d(cap)) });
        self
    }
    fn carryover(mut self, c: CategoryId, m: Month, on: bool, cap: Option<&str>) -> Book {
        self.plan.carryover.insert((c, m), Carryover { on, cap: cap.map(d) });
        self
    }
    fn hold(mut self, m: Month, amount: &str) -> Book {
        self.plan.held.insert(m, d(amount));
        self
    }
    fn spend(mut self, c: CategoryId, m: Month, amount: &str) -> Book {
        *self.actuals.spent.entry((m, c)).or_default() += d(amount);
        self
    }
    fn income(mut self, m: Month, amount: &str) -> Book {
        *self.actuals.income.entry(m).or_default() += d(amount);
        self
    }
    fn tracking(mut self) -> Book {
        self.plan.mode = BudgetMode::Tracking;
        self
    }
    fn month(&self, m: Month) -> MonthBudget {
        month_budget(&chart(), &self.plan, &self.actuals, m)
    }
}

/// (budgeted, spent, carried_in, available) of one row.
fn row(b: &MonthBudget, c: CategoryId) -> (Decimal, Decimal, Decimal, Decimal) {
    let l = b.categories.iter().find(|l| l.category == c).unwrap_or_else(|| panic!("no row {c:?} in {b:#?}"));
    (l.budgeted, l.spent, l.carried_in, l.available)
}

fn has_row(b: &MonthBudget, c: CategoryId) -> bool {
    b.categories.iter().any(|l| l.category == c)
}

/// Jan: income 1000; Food 300 budgeted, 350 spent; Rent 500 budgeted and spent.
/// Feb: Food 300 budgeted, 100 spent; Rent 500 budgeted and spent.
fn overspending() -> Book {
    Book::default()
        .income(JAN, "1000")
        .budget(FOOD, JAN, "300")
        .spend(FOOD, JAN, "-350")
        .budget(RENT, JAN, "500")
        .spend(RENT, JAN, "-500")
        .budget(FOOD, FEB, "300")
        .spend(FOOD, FEB, "-100")
        .budget(RENT, FEB, "500")
        .spend(RENT, FEB, "-500")
}

#[test]
fn carryover_off_overspending_comes_out_of_next_months_to_budget() {
    let b = overspending();
    // Jan: Food 300 - 350 = -50, Rent 500 - 500 = 0; to_budget = 1000 - 800 = 200.
    let jan = b.month(JAN);
    assert_eq!(row(&jan, FOOD), (d("300"), d("-350"), d("0"), d("-50")));
    assert_eq!((jan.income, jan.budgeted, jan.spent, jan.to_budget), (d("1000"), d("800"), d("-850"), d("200")));
    assert_eq!(jan.overspent_last_month, d("0"));
    // Feb: Food carries max(0, -50) = 0, so overspent_last = -50;
    // Food = 300 - 100 + 0 = 200; to_budget = 0 + 200 + 0 + (-50) - 800 - 0 = -650.
    let feb = b.month(FEB);
    assert_eq!(row(&feb, FOOD), (d("300"), d("-100"), d("0"), d("200")));
    assert_eq!((feb.overspent_last_month, feb.to_budget), (d("-50"), d("-650")));
    assert!(!feb.categories.iter().any(|l| l.carryover));
    // Mar: nothing budgeted; Food carries its 200; to_budget = -650 + 0 = -650.
    let mar = b.month(MAR);
    assert_eq!(row(&mar, FOOD), (d("0"), d("0"), d("200"), d("200")));
    assert_eq!((mar.overspent_last_month, mar.to_budget), (d("0"), d("-650")));
}

#[test]
fn carryover_on_carries_the_overspending_into_the_envelope() {
    let b = overspending().carryover(FOOD, JAN, true, None);
    // Feb: Food carries -50 in full, nothing is overspent_last;
    // Food = 300 - 100 - 50 = 150; to_budget = 0 + 200 + 0 + 0 - 800 = -600.
    let feb = b.month(FEB);
    assert_eq!(row(&feb, FOOD), (d("300"), d("-100"), d("-50"), d("150")));
    assert_eq!((feb.overspent_last_month, feb.to_budget), (d("0"), d("-600")));
    assert!(feb.categories.iter().find(|l| l.category == FOOD).unwrap().carryover);
    // Switched off from Feb: Feb's 150 still carries (positive) into Mar.
    let b = b.carryover(FOOD, FEB, false, None).spend(FOOD, MAR, "-400");
    // Mar: Food = 0 - 400 + 150 = -250; Apr does not carry it.
    let apr = b.month(Month { year: 2025, month: 4 });
    assert_eq!(row(&b.month(MAR), FOOD), (d("0"), d("-400"), d("150"), d("-250")));
    assert_eq!(row(&apr, FOOD), (d("0"), d("0"), d("0"), d("0")));
    assert_eq!(apr.overspent_last_month, d("-250"));
}

#[test]
fn a_cap_carries_at_most_x_and_the_excess_goes_to_budget() {
    // Jan: income 500; Fun 100 budgeted up to 30, 20 spent: leftover 80;
    // to_budget = 500 - 100 = 400.
    // Feb: Fun carries 30; the excess 50 goes to to_budget = 400 + 50 = 450.
    let by_budget = Book::default().income(JAN, "500").budget_capped(FUN, JAN, "100", "30").spend(FUN, JAN, "-20");
    let by_setting = Book::default().income(JAN, "500").budget(FUN, JAN, "100").spend(FUN, JAN, "-20").carryover(
        FUN,
        JAN,
        true,
        Some("30"),
    );
    for b in [by_budget, by_setting] {
        assert_eq!(b.month(JAN).to_budget, d("400"));
        let feb = b.month(FEB);
        assert_eq!(row(&feb, FUN), (d("0"), d("0"), d("30"), d("30")));
        assert_eq!(feb.to_budget, d("450"));
    }
    // A cap limits a positive carry only: -50 with carryover on still carries -50.
    let b = Book::default().budget(FUN, JAN, "10").spend(FUN, JAN, "-60").carryover(FUN, JAN, true, Some("30"));
    assert_eq!(row(&b.month(FEB), FUN), (d("0"), d("0"), d("-50"), d("-50")));
}

#[test]
fn held_money_is_budgetable_next_month() {
    // Jan: 1000 in, Food 200, hold 300: to_budget = 1000 - 200 - 300 = 500.
    // Feb: Food 200: to_budget = 0 + 500 + 300 + 0 - 200 - 0 = 600.
    let b = Book::default().income(JAN, "1000").budget(FOOD, JAN, "200").hold(JAN, "300").budget(FOOD, FEB, "200");
    let jan = b.month(JAN);
    assert_eq!((jan.to_budget, jan.held), (d("500"), d("300")));
    let feb = b.month(FEB);
    assert_eq!((feb.to_budget, feb.held), (d("600"), d("0")));
}

#[test]
fn income_arriving_mid_month_counts_for_that_month() {
    // Food 400 budgeted on the 1st, before the salary: to_budget = 0 - 400.
    let before = Book::default().budget(FOOD, JAN, "400");
    assert_eq!(before.month(JAN).to_budget, d("-400"));
    // The salary of the 15th: to_budget = 1000 - 400 = 600, and Feb starts from it.
    let after = before.income(JAN, "1000");
    assert_eq!(after.month(JAN).to_budget, d("600"));
    assert_eq!(after.month(FEB).to_budget, d("600"));
}

#[test]
fn a_refund_is_positive_spending() {
    // Food 100; 80 spent, 30 refunded: spent = -50, available = 50.
    let b = Book::default().budget(FOOD, JAN, "100").spend(FOOD, JAN, "-80").spend(FOOD, JAN, "30");
    assert_eq!(row(&b.month(JAN), FOOD), (d("100"), d("-50"), d("0"), d("50")));
}

#[test]
fn a_parent_includes_its_children_without_a_budget_of_their_own() {
    // Jan: Food 300; Food spent 100, Food:Coffee (no budget) 20:
    // Food's row spent = -120, available = 180; Coffee has no row.
    let b = Book::default()
        .budget(FOOD, JAN, "300")
        .spend(FOOD, JAN, "-100")
        .spend(COFFEE, JAN, "-20")
        .budget(COFFEE, FEB, "50")
        .spend(COFFEE, FEB, "-10")
        .spend(FOOD, FEB, "-5");
    let jan = b.month(JAN);
    assert_eq!(row(&jan, FOOD), (d("300"), d("-120"), d("0"), d("180")));
    assert!(!has_row(&jan, COFFEE));
    // Feb: Coffee is an envelope of its own: 50 - 10 = 40; Food: 0 - 5 + 180 = 175.
    let feb = b.month(FEB);
    assert_eq!(row(&feb, COFFEE), (d("50"), d("-10"), d("0"), d("40")));
    assert_eq!(row(&feb, FOOD), (d("0"), d("-5"), d("180"), d("175")));
}

#[test]
fn unbudgeted_spending_gets_a_row_and_is_paid_from_to_budget() {
    // Jan: 100 in, Fun 40 spent with no budget: Fun row -40; to_budget = 100.
    // Feb: overspent_last = -40, to_budget = 100 - 40 = 60.
    let b = Book::default().income(JAN, "100").spend(FUN, JAN, "-40");
    let jan = b.month(JAN);
    assert_eq!(row(&jan, FUN), (d("0"), d("-40"), d("0"), d("-40")));
    assert_eq!(jan.to_budget, d("100"));
    let feb = b.month(FEB);
    assert_eq!((feb.overspent_last_month, feb.to_budget), (d("-40"), d("60")));
}

#[test]
fn tracking_mode_is_budget_against_spent_without_carry() {
    // Jan: 1000 in, Food 300, 350 spent: available -50; to_budget = 1000 - 300 = 700.
    // Feb: Food 300, 100 spent: nothing carries, available 200, to_budget = 0 - 300.
    let b = overspending().tracking().hold(JAN, "100");
    let jan = b.month(JAN);
    assert_eq!(row(&jan, FOOD), (d("300"), d("-350"), d("0"), d("-50")));
    assert_eq!((jan.to_budget, jan.held), (d("200"), d("0")), "1000 - 300 - 500; nothing held");
    let feb = b.month(FEB);
    assert_eq!(row(&feb, FOOD), (d("300"), d("-100"), d("0"), d("200")));
    assert_eq!((feb.to_budget, feb.overspent_last_month), (d("-800"), d("0")));
}

#[test]
fn templates_copy_average_and_goal() {
    let b = overspending().spend(FOOD, MAR, "-61");
    // Copy Feb into Mar: Food 300, Rent 500.
    let mut copied = copy_last(&b.plan, MAR, Currency::EUR);
    copied.sort();
    assert_eq!(copied, vec![(FOOD, d("300")), (RENT, d("500"))]);
    let run = |t, only: Option<&[CategoryId]>| {
        let mut v = fill(&chart(), &b.plan, &b.actuals, MAR, t, only, Currency::EUR);
        v.sort();
        v
    };
    // Last: Feb's spending. Average of 2: Food (350 + 100) / 2 = 225, Rent 500.
    assert_eq!(run(Template::Last, None), vec![(FOOD, d("100")), (RENT, d("500"))]);
    assert_eq!(run(Template::Average(2), None), vec![(FOOD, d("225")), (RENT, d("500"))]);
    // Average of 3 from Apr: Food (350 + 100 + 61) / 3 = 170.333… → 170.33.
    let apr = fill(
        &chart(),
        &b.plan,
        &b.actuals,
        Month { year: 2025, month: 4 },
        Template::Average(3),
        Some(&[FOOD]),
        Currency::EUR,
    );
    assert_eq!(apr, vec![(FOOD, d("170.33"))]);
    // Goal 250 for Food in Mar: carried 200, spent -61: 250 - 200 + 61 = 111.
    assert_eq!(run(Template::Goal(d("250")), Some(&[FOOD])), vec![(FOOD, d("111"))]);
    assert_eq!(Template::parse("average:3"), Some(Template::Average(3)));
    assert_eq!(Template::parse("average:0"), None);
    assert_eq!(Template::parse("goal:12.5"), Some(Template::Goal(d("12.5"))));
    assert_eq!(Template::parse("sometimes"), None);
}

#[test]
fn other_currencies_are_converted_at_the_months_last_day() {
    let usd_account = AccountId(Uuid::from_u128(9));
    let facts = ReportFacts {
        categories: chart(),
        flows: vec![
            FlowTotal {
                month: JAN,
                account: usd_account,
                category: Some(FOOD),
                amount: Money::parse("-110.00", Currency::USD).unwrap(),
            },
            FlowTotal {
                month: JAN,
                account: AccountId(Uuid::from_u128(8)),
                category: Some(SALARY),
                amount: Money::parse("1000.00", Currency::EUR).unwrap(),
            },
            FlowTotal {
                month: JAN,
                account: usd_account,
                category: None,
                amount: Money::parse("-5.00", Currency::USD).unwrap(),
            },
        ],
        ..ReportFacts::default()
    };
    // 1 EUR = 1.10 USD from Jan 1: -110 USD is -100 EUR; uncategorised flows do not count.
    let fx = FxTable::new(&[FxRate {
        date: jiff::civil::date(2025, 1, 1),
        base: Currency::EUR,
        quote: Currency::USD,
        rate: d("1.10"),
    }]);
    let a = Actuals::from_facts(&facts, Currency::EUR, &fx).unwrap();
    assert_eq!(a.spent, BTreeMap::from([((JAN, FOOD), d("-100.00"))]));
    assert_eq!(a.income, BTreeMap::from([(JAN, d("1000.00"))]));
    let missing = Actuals::from_facts(&facts, Currency::EUR, &FxTable::default()).unwrap_err();
    assert!(missing.to_string().contains("USD/EUR") && missing.to_string().contains("2025-01-31"), "{missing}");
    // A budget kept in dollars (the main currency changed) is converted too.
    let rows = [
        PlanRow::Budget {
            category: FOOD,
            month: JAN,
            amount: Money::parse("55.00", Currency::USD).unwrap(),
            cap: None,
        },
        PlanRow::Budget {
            category: FOOD,
            month: JAN,
            amount: Money::parse("10.00", Currency::EUR).unwrap(),
            cap: None,
        },
    ];
    let plan = Plan::from_rows(&rows, Currency::EUR, &fx).unwrap();
    assert_eq!(plan.budgets[&(FOOD, JAN)].amount, d("60.00"));
}

// ---------------------------------------------------------------------------
// Invariants.

fn cents(n: i64) -> Decimal {
    Decimal::new(n, 2)
}

const EXPENSES: [CategoryId; 4] = [FOOD, COFFEE, RENT, FUN];
const MONTHS: u32 = 6;

fn month_n(i: u32) -> Month {
    Month { year: 2025, month: 1 + i8::try_from(i).unwrap() }
}

prop_compose! {
    fn book()(
        budgets in prop::collection::vec((0..4usize, 0..MONTHS, 0..50_000i64, prop::option::weighted(0.2, 0..20_000i64)), 0..12),
        carry in prop::collection::vec((0..4usize, 0..MONTHS, any::<bool>(), prop::option::weighted(0.3, 0..20_000i64)), 0..6),
        holds in prop::collection::vec((0..MONTHS, 0..30_000i64), 0..3),
        spent in prop::collection::vec((0..4usize, 0..MONTHS, -60_000..10_000i64), 0..20),
        income in prop::collection::vec((0..MONTHS, 0..200_000i64), 0..6),
    ) -> Book {
        let mut b = Book::default();
        for (c, m, amount, cap) in budgets {
            b.plan.budgets.insert((EXPENSES[c], month_n(m)), Budgeted { amount: cents(amount), cap: cap.map(cents) });
        }
        for (c, m, on, cap) in carry {
            b.plan.carryover.insert((EXPENSES[c], month_n(m)), Carryover { on, cap: cap.map(cents) });
        }
        for (m, amount) in holds {
            b.plan.held.insert(month_n(m), cents(amount));
        }
        for (c, m, amount) in spent {
            *b.actuals.spent.entry((month_n(m), EXPENSES[c])).or_default() += cents(amount);
        }
        for (m, amount) in income {
            *b.actuals.income.entry(month_n(m)).or_default() += cents(amount);
        }
        b
    }
}

fn cumulative(map: impl Iterator<Item = (Month, Decimal)>, upto: Month) -> Decimal {
    map.filter(|(m, _)| *m <= upto).map(|(_, a)| a).sum()
}

proptest! {
    /// Σ available + to_budget + held = cumulative income + cumulative
    /// spent, whatever the flags, caps and holds: what does not carry is
    /// charged or credited to to_budget.
    #[test]
    fn money_is_neither_made_nor_lost(b in book()) {
        for i in 0..MONTHS + 1 {
            let m = Month { year: 2025, month: 1 + i8::try_from(i).unwrap() };
            let r = b.month(m);
            let available: Decimal = r.categories.iter().map(|l| l.available).sum();
            let income = cumulative(b.actuals.income.iter().map(|(m, a)| (*m, *a)), m);
            let spent = cumulative(b.actuals.spent.iter().map(|((m, _), a)| (*m, *a)), m);
            prop_assert_eq!(available + r.to_budget + r.held, income + spent, "{}", m);
            prop_assert!(r.overspent_last_month <= Decimal::ZERO);
            prop_assert_eq!(r.spent, b.actuals.spent.iter().filter(|((k, _), _)| *k == m).map(|(_, a)| *a).sum::<Decimal>());
        }
    }

    /// With every flag on and no caps, nothing is charged to to_budget but
    /// what was budgeted or held: to_budget + held = income − budgeted, cumulatively.
    #[test]
    fn with_full_carryover_to_budget_is_income_less_budgets(mut b in book()) {
        for b in b.plan.budgets.values_mut() {
            b.cap = None;
        }
        b.plan.carryover = EXPENSES.iter().map(|c| ((*c, JAN), Carryover { on: true, cap: None })).collect();
        for i in 0..MONTHS {
            let m = month_n(i);
            let r = b.month(m);
            let income = cumulative(b.actuals.income.iter().map(|(m, a)| (*m, *a)), m);
            let budgeted = cumulative(b.plan.budgets.iter().map(|((_, m), b)| (*m, b.amount)), m);
            prop_assert_eq!(r.to_budget + r.held, income - budgeted, "{}", m);
        }
    }

    /// Without budgets, holds or spending, everything that came in is to budget.
    #[test]
    fn with_nothing_budgeted_or_spent_to_budget_is_cumulative_income(mut b in book()) {
        b.plan = Plan::default();
        b.actuals.spent.clear();
        for i in 0..MONTHS {
            let m = month_n(i);
            prop_assert_eq!(b.month(m).to_budget, cumulative(b.actuals.income.iter().map(|(m, a)| (*m, *a)), m));
        }
    }

    /// Tracking: each month stands alone.
    #[test]
    fn tracking_months_stand_alone(b in book()) {
        let b = b.tracking();
        for i in 0..MONTHS {
            let m = month_n(i);
            let r = b.month(m);
            let available: Decimal = r.categories.iter().map(|l| l.available).sum();
            let income = b.actuals.income.get(&m).copied().unwrap_or_default();
            prop_assert_eq!(available + r.to_budget, income + r.spent);
            prop_assert!(r.categories.iter().all(|l| l.carried_in.is_zero() && !l.carryover));
        }
    }
}

#[test]
fn budget_commands_refuse_bad_input_naming_the_field() {
    use kassa_core::{Command, Ledger, Owner};
    let mut l = Ledger::new();
    let mut cmds = vec![Command::OpenBook {
        book_id: kassa_core::BookId(Uuid::from_u128(99)),
        name: "b".into(),
        owner: Owner::Local,
    }];
    cmds.extend(chart().into_iter().map(|c| Command::AddCategory {
        category_id: c.id,
        name: c.name,
        section: c.section,
    }));
    l.execute(&cmds).unwrap();
    let eur = |s: &str| Money::parse(s, Currency::EUR).unwrap();
    let set = |category: &str, amount: &str, through: Month| Command::SetBudget {
        category: category.into(),
        from: FEB,
        through,
        amount: eur(amount),
        cap: None,
    };
    let cases = [
        (set("Fod", "10", FEB), "unknown category 'Fod' (did you mean 'Food'?)"),
        (set("Salary", "10", FEB), "category: 'Salary' is in the income section; only expense categories have budgets"),
        (set("Food", "-1", FEB), "amount: must not be negative, got -1.00"),
        (set("Food", "1", JAN), "through: 2025-01 is before 2025-02"),
        (set("Food", "1", Month { year: 2035, month: 2 }), "through: at most 120 months at once"),
        (Command::HoldBudget { month: JAN, amount: eur("-5") }, "amount: must not be negative"),
        (
            Command::MoveBudget { from: "Food".into(), to: "Salary".into(), month: JAN, amount: eur("5") },
            "to: 'Salary' is in the income section",
        ),
        (
            Command::MoveBudget { from: "Food".into(), to: "Fun".into(), month: JAN, amount: eur("0") },
            "amount: must be positive",
        ),
        (
            Command::SetCarryover { category: "Food".into(), month: JAN, on: true, cap: Some(eur("-1")) },
            "up_to: must not be negative",
        ),
    ];
    for (cmd, want) in cases {
        let err = l.decide(&cmd).unwrap_err().to_string();
        assert!(err.contains(want), "'{err}' lacks '{want}'");
    }
    assert_eq!(l.decide(&set("food", "10", MAR)).unwrap().len(), 1);
}
