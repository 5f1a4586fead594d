//! Goals (issue 17), hand-computed: the issue's example (January, 1,500 of
//! 10,000 saved, by December → 708.33 a month), the projection from the
//! trailing average, and the edges (reached, past the deadline, no inflow).

use jiff::civil::{Date, date};
use kassa_core::goal::{Progress, progress, trailing_window};
use kassa_core::{Currency, Money};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn eur(s: &str) -> Money {
    Money::new(d(s), Currency::EUR).unwrap()
}

/// (target, by, saved, average, today) → (progress, required_monthly, projected)
fn check(target: &str, by: Date, saved: &str, average: &str, today: Date, want: (&str, &str, Option<Date>)) {
    let got = progress(eur(target), by, d(saved), d(average), today);
    let want = Progress { progress: d(want.0), required_monthly: d(want.1), projected: want.2 };
    assert_eq!(got, want, "target {target} by {by}, saved {saved}, average {average}, on {today}");
}

#[test]
fn the_issues_example_and_its_projection() {
    // 8,500 left over 12 months (January through December): 708.333… → 708.33.
    // At 1,000 a month that is 8.5 → 9 months from 15 January: 15 October.
    check("10000", date(2025, 12, 31), "1500", "1000", date(2025, 1, 15), ("0.15", "708.33", Some(date(2025, 10, 15))));
}

#[test]
fn required_monthly_counts_the_current_month_and_rounds_half_to_even() {
    // 1,000.10 left over 4 months (September to December): 250.025 → 250.02.
    check("1200.10", date(2025, 12, 1), "200", "0", date(2025, 9, 30), ("0.1667", "250.02", None));
    // 1,000.30 over 4: 250.075 → 250.08 (to the even cent).
    check("1200.30", date(2025, 12, 1), "200", "0", date(2025, 9, 30), ("0.1666", "250.08", None));
}

#[test]
fn no_projection_while_the_average_is_not_positive() {
    check("500", date(2026, 6, 30), "100", "-20", date(2026, 1, 2), ("0.2", "66.67", None));
    check("500", date(2026, 6, 30), "100", "0", date(2026, 1, 2), ("0.2", "66.67", None));
}

#[test]
fn a_reached_goal_needs_nothing_and_progress_stops_at_one() {
    check("500", date(2026, 6, 30), "650", "50", date(2026, 3, 31), ("1", "0", Some(date(2026, 3, 31))));
    // An overdrawn account: nothing saved yet, progress 0, not negative.
    check("500", date(2026, 6, 30), "-50", "0", date(2026, 6, 1), ("0", "550", None));
}

#[test]
fn past_the_deadline_the_whole_rest_is_due_this_month() {
    // 31 January + 2 months is the end of March (jiff clamps the day).
    check("900", date(2025, 12, 31), "300", "400", date(2026, 1, 31), ("0.3333", "600", Some(date(2026, 3, 31))));
}

#[test]
fn the_trailing_window_is_the_six_whole_months_before_this_one() {
    assert_eq!(trailing_window(date(2025, 8, 14)), (date(2025, 1, 31), date(2025, 7, 31)));
    assert_eq!(trailing_window(date(2025, 3, 1)), (date(2024, 8, 31), date(2025, 2, 28)));
}

proptest::proptest! {
    /// Progress stays within 0 and 1; paying `required_monthly` in every
    /// month left reaches the target to within half a cent a month; a
    /// projection exists exactly when the average is positive (and the date
    /// is on the calendar), and is never before today.
    #[test]
    fn goal_figures_keep_their_bounds(
        target_cents in 1i64..100_000_000,
        saved_cents in -100_000_000i64..100_000_000,
        average_cents in -100_000i64..100_000,
        today_day in 0i64..3650,
        months_ahead in -24i64..120,
    ) {
        let today = date(2020, 1, 1).checked_add(jiff::Span::new().days(today_day)).unwrap();
        let by = today.checked_add(jiff::Span::new().months(months_ahead)).unwrap();
        let (target, saved, average) =
            (Decimal::new(target_cents, 2), Decimal::new(saved_cents, 2), Decimal::new(average_cents, 2));
        let p = progress(eur(&target.to_string()), by, saved, average, today);
        proptest::prop_assert!(p.progress >= Decimal::ZERO && p.progress <= Decimal::ONE);
        let months = Decimal::from(months_ahead.max(0) + 1);
        let rest = (target - saved).max(Decimal::ZERO);
        proptest::prop_assert!((p.required_monthly * months - rest).abs() <= months * d("0.005"));
        // Some exactly for a positive average, unless the date would fall
        // past the calendar's end (a century of months is well inside it).
        if average <= Decimal::ZERO || rest / average <= Decimal::from(1200) {
            proptest::prop_assert_eq!(p.projected.is_some(), average > Decimal::ZERO);
        }
        proptest::prop_assert!(p.projected.is_none_or(|at| at >= today));
    }
}
