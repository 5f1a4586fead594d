//! Snapshot, validity and property tests of the SVG charts.

use super::*;
use insta::assert_snapshot;
use jiff::civil::date;
use proptest::prelude::*;
use quick_xml::events::Event;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn eur() -> Currency {
    cur("EUR")
}

/// Parses the whole output: well-formed XML, one `<svg>` root labelled by its
/// `<title>` and described by its `<desc>`, no URL but the SVG namespace, no
/// NaN or infinite coordinates. Returns the element names in document order.
fn check(svg: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut names = Vec::new();
    let mut depth = 0;
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("{e} at {}:\n{svg}", reader.buffer_position()));
        let (Event::Start(e) | Event::Empty(e)) = &event else {
            match event {
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
            continue;
        };
        assert!(depth > 0 || names.is_empty(), "a single root element:\n{svg}");
        for a in e.attributes() {
            a.unwrap_or_else(|err| panic!("{err}:\n{svg}"));
        }
        names.push(e.name().into_inner().to_owned());
        if matches!(event, Event::Start(_)) {
            depth += 1;
        }
    }
    assert_eq!(depth, 0, "{svg}");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" ") && svg.ends_with("</svg>"), "{svg}");
    assert_eq!(names.get(1..3), Some(&["title".to_owned(), "desc".to_owned()][..]), "{svg}");
    assert_eq!(svg.matches("http").count(), 1, "only the namespace is a URL:\n{svg}");
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    for attr in ["aria-labelledby", "aria-describedby"] {
        let id = svg.split(&format!("{attr}=\"")).nth(1).and_then(|s| s.split('"').next()).unwrap();
        assert_eq!(svg.matches(&format!(" id=\"{id}\"")).count(), 1, "{attr} points at one element:\n{svg}");
    }
    names
}

// ---- numbers ------------------------------------------------------------------

#[test]
fn money_uses_the_currency_minor_units_separators_and_a_real_minus() {
    for (amount, code, expect) in [
        ("1234.5", "EUR", "1,234.50 EUR"),
        ("0", "EUR", "0.00 EUR"),
        ("-12", "EUR", "−12.00 EUR"),
        ("-0.004", "EUR", "0.00 EUR"),
        ("999.995", "EUR", "1,000.00 EUR"),
        ("1000000", "EUR", "1,000,000.00 EUR"),
        ("-123456.789", "EUR", "−123,456.79 EUR"),
        ("1234.5", "JPY", "1,235 JPY"),
        ("100", "JPY", "100 JPY"),
        ("-98765", "JPY", "−98,765 JPY"),
        ("-1234567.8915", "BHD", "−1,234,567.892 BHD"),
        ("0.1", "BHD", "0.100 BHD"),
    ] {
        assert_eq!(money(dec(amount), cur(code)), expect, "{amount} {code}");
    }
}

#[test]
fn compact_is_short_above_a_thousand_and_exact_below() {
    for (amount, expect) in [
        ("0", "0"),
        ("12.50", "12.5"),
        ("999.9", "999.9"),
        ("-0.5", "−0.5"),
        ("1000", "1k"),
        ("1200", "1.2k"),
        ("1234", "1.23k"),
        ("-35000", "−35k"),
        ("99999", "100k"),
        ("999950", "1M"),
        ("2400000", "2.4M"),
        ("1500000000", "1.5B"),
        ("-7000000000000", "−7T"),
    ] {
        assert_eq!(compact(dec(amount)), expect, "{amount}");
    }
}

fn tick_values(lo: f64, hi: f64) -> Vec<String> {
    Axis::new(lo, hi).ticks.iter().map(|t| t.1.to_string()).collect()
}

#[test]
fn axis_ticks_are_round_and_cover_the_range() {
    assert_eq!(tick_values(0.0, 1234.0), ["0", "500", "1000", "1500"]);
    assert_eq!(tick_values(-350.0, 1200.0), ["-500", "0", "500", "1000", "1500"]);
    assert_eq!(tick_values(0.1, 0.5), ["0.1", "0.2", "0.3", "0.4", "0.5"]);
    assert_eq!(tick_values(5.0, 5.0), ["0", "1", "2", "3", "4", "5"]);
    assert_eq!(tick_values(-2.0, -2.0), ["-2.0", "-1.5", "-1.0", "-0.5", "0.0"]);
    assert_eq!(tick_values(0.0, 0.0), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    assert_eq!(tick_values(98_000.0, 104_500.0), ["98000", "100000", "102000", "104000", "106000"]);
}

#[test]
fn axis_labels_fall_back_to_exact_numbers_when_compact_ones_would_repeat() {
    let drawn = |lo, hi| {
        let mut svg = Svg { out: String::new(), marks: Vec::new(), focusable: true };
        Axis::new(lo, hi).draw(&mut svg, 0.0, 100.0);
        svg.out
    };
    let fine = drawn(10_000.0, 10_300.0);
    assert!(fine.contains(">10,050<") && fine.contains(">10,300<"), "{fine}");
    let coarse = drawn(-35_000.0, 20_000.0);
    assert!(coarse.contains(">−40k<") && coarse.contains("class=\"kc-zero\""), "{coarse}");
}

fn ticks(first: Date, last: Date, max: usize) -> Vec<String> {
    date_ticks(first, last, max)
        .into_iter()
        .map(|(_, top, bottom)| bottom.map_or(top.clone(), |b| format!("{top}/{b}")))
        .collect()
}

#[test]
fn date_ticks_pick_months_years_or_days_by_span() {
    assert_eq!(ticks(date(2025, 11, 15), date(2026, 4, 30), 9), ["Dec/2025", "Jan/2026", "Feb", "Mar", "Apr"]);
    assert_eq!(
        ticks(date(2025, 1, 1), date(2026, 12, 31), 9),
        ["Jan/2025", "Apr", "Jul", "Oct", "Jan/2026", "Apr", "Jul", "Oct"]
    );
    assert_eq!(ticks(date(2019, 6, 1), date(2026, 2, 1), 9), ["2020", "2021", "2022", "2023", "2024", "2025", "2026"]);
    assert_eq!(ticks(date(2026, 3, 5), date(2026, 3, 25), 9), ["8/Mar 2026", "15", "22"]);
    assert_eq!(ticks(date(2026, 2, 20), date(2026, 3, 10), 5), ["22/Feb 2026", "1/Mar 2026", "8"]);
    assert_eq!(ticks(date(2026, 3, 5), date(2026, 3, 5), 9), ["5/Mar 2026"]);
}

// ---- fixtures and snapshots ---------------------------------------------------

fn series(name: &str, points: &[(Date, &str)]) -> Series {
    Series { name: name.to_owned(), points: points.iter().map(|&(d, v)| (d, dec(v))).collect() }
}

fn net_worth() -> Vec<Series> {
    vec![
        series(
            "Checking",
            &[
                (date(2026, 1, 31), "2450.10"),
                (date(2026, 2, 28), "1980.00"),
                (date(2026, 3, 31), "-320.55"),
                (date(2026, 4, 30), "1210.40"),
                (date(2026, 5, 31), "2890.00"),
                (date(2026, 6, 30), "3105.75"),
            ],
        ),
        series(
            "Savings",
            &[(date(2026, 1, 31), "10000"), (date(2026, 3, 31), "10400"), (date(2026, 6, 30), "11250.20")],
        ),
    ]
}

fn months() -> Vec<String> {
    ["2025-11", "2025-12", "2026-01", "2026-02"].map(str::to_owned).to_vec()
}

fn income_and_expenses() -> Vec<Stack> {
    let stack =
        |name: &str, values: &[&str]| Stack { name: name.to_owned(), values: values.iter().map(|v| dec(v)).collect() };
    vec![
        stack("Salary", &["3200", "3200", "3350", "3350"]),
        stack("Interest", &["12.40", "0", "15.10", "0"]),
        stack("Rent", &["-1100", "-1100", "-1150", "-1150"]),
        stack("Groceries", &["-412.35", "-530.80", "-388.00", "-401.25"]),
    ]
}

fn spending() -> Vec<(String, Decimal)> {
    [("Rent", "1150"), ("Groceries", "401.25"), ("Transport", "96.40"), ("Fun", "180"), ("Refunds", "-20")]
        .map(|(n, v)| (n.to_owned(), dec(v)))
        .to_vec()
}

fn flow(from: &str, to: &str, amount: &str) -> Flow {
    Flow { from: from.to_owned(), to: to.to_owned(), amount: dec(amount) }
}

fn cash_flow() -> Vec<Flow> {
    vec![
        flow("Income:Salary", "Checking", "3350"),
        flow("Income:Interest", "Savings", "15.10"),
        flow("Checking", "Rent", "1150"),
        flow("Checking", "Groceries", "401.25"),
        flow("Checking", "Savings", "500"),
        flow("Savings", "Travel", "250"),
    ]
}

#[test]
fn line_chart() {
    let svg = line("Balances", &net_worth(), eur(), false);
    check(&svg);
    assert_eq!(svg.matches("class=\"kc-line ").count(), 2);
    assert!(svg.contains("<title>Checking, 2026-03-31: −320.55 EUR</title>"));
    assert!(svg.contains("Checking: 3,105.75 EUR on 2026-06-30, lowest −320.55 EUR, highest 3,105.75 EUR"));
    assert_snapshot!(svg);
}

#[test]
fn area_chart() {
    let svg = line("Net worth", &net_worth()[1..], eur(), true);
    check(&svg);
    assert!(svg.contains("class=\"kc-area kc-series-0\"") && svg.contains("class=\"kc-zero\""));
    assert_snapshot!(svg);
}

#[test]
fn stacked_bar_chart() {
    let svg = stacked_bars("Income and expenses", &months(), &income_and_expenses(), eur());
    check(&svg);
    assert_eq!(svg.matches("class=\"kc-bar ").count(), 14, "zero values draw nothing");
    assert!(svg.contains("<title>Groceries, 2025-12: −530.80 EUR</title>"));
    assert!(svg.contains(">Nov<") && svg.contains(">2025<") && svg.contains(">2026<"));
    assert_snapshot!(svg);
}

#[test]
fn donut_chart() {
    let svg = donut("Spending", &spending(), eur());
    check(&svg);
    assert_eq!(svg.matches("class=\"kc-slice ").count(), 4, "the negative slice is left out");
    assert!(svg.contains("<title>Rent: 1,150.00 EUR (63%)</title>") && svg.contains(">1,827.65 EUR<"));
    let rent = svg.find("<title>Rent").unwrap();
    assert!(rent < svg.find("<title>Groceries").unwrap(), "largest first");
    assert_snapshot!(svg);
}

#[test]
fn sankey_chart() {
    let svg = sankey("Cash flow", &cash_flow(), eur());
    check(&svg);
    assert_eq!(svg.matches("class=\"kc-link ").count(), 6);
    assert!(svg.contains("<title>Checking → Rent: 1,150.00 EUR</title>"));
    assert!(svg.contains("<title>Savings: 515.10 EUR</title>"), "a node is as big as its larger side");
    assert_snapshot!(svg);
}

// ---- edge cases ------------------------------------------------------------------

#[test]
fn donut_folds_small_slices_into_other() {
    let slices: Vec<(String, Decimal)> = (1..=11).map(|i| (format!("C{i}"), Decimal::from(i))).collect();
    let svg = donut("Many", &slices, eur());
    check(&svg);
    assert_eq!(svg.matches("class=\"kc-slice ").count(), 8);
    assert!(svg.contains("<title>Other (4): 10.00 EUR (15%)</title>"), "{svg}");
}

#[test]
fn sankey_cycles_are_drawn_without_hanging() {
    let flows =
        [flow("a", "b", "10"), flow("b", "c", "8"), flow("c", "a", "3"), flow("a", "b", "5"), flow("c", "c", "1")];
    let svg = sankey("Loop", &flows, eur());
    check(&svg);
    assert_eq!(svg.matches("class=\"kc-link ").count(), 3, "merged, self-loop left out");
    assert!(svg.contains("<title>a → b: 15.00 EUR</title>") && svg.contains("<title>c → a: 3.00 EUR</title>"));
    let two_way = sankey("Both ways", &[flow("x", "y", "2"), flow("y", "x", "1")], eur());
    check(&two_way);
}

#[test]
fn single_point_and_flat_series_get_an_axis() {
    let one = line("One", &[series("Cash", &[(date(2026, 3, 5), "42")])], eur(), false);
    check(&one);
    assert!(one.contains("class=\"kc-dot ") && one.contains(">50<") && one.contains(">0<"), "{one}");
    let flat = line("Flat", &[series("Cash", &[(date(2026, 1, 1), "-7"), (date(2026, 9, 1), "-7")])], eur(), true);
    check(&flat);
    assert!(flat.contains(">−8<") && flat.contains("kc-zero"), "{flat}");
}

#[test]
fn every_mark_is_focusable_with_its_details_and_long_series_hide_their_dots() {
    let daily: Vec<(Date, Decimal)> =
        (0..90).map(|i| (date(2026, 1, 1) + jiff::Span::new().days(i), Decimal::from(i * 7 - 200))).collect();
    let svg = line("Daily", &[Series { name: "Cash".into(), points: daily }], eur(), false);
    check(&svg);
    assert_eq!(svg.matches("<g class=\"kc-pt\" tabindex=\"0\"><title>Cash, 2026-").count(), 90);
    assert_eq!(svg.matches("class=\"kc-hit\"").count(), 90);
    assert!(!svg.contains("kc-dot"), "no beads on a long series");
    assert!(svg.contains("<title>Cash, 2026-03-31: 423.00 EUR</title>"));
    let years: Vec<(Date, Decimal)> =
        (0..1000).map(|i| (date(2024, 1, 1) + jiff::Span::new().days(i), Decimal::from(i % 17))).collect();
    let svg = line("Years", &[Series { name: "Cash".into(), points: years }], eur(), false);
    check(&svg);
    let marks = svg.matches("<g class=\"kc-pt\"><title>Cash, ").count();
    assert!((100..=140).contains(&marks) && !svg.contains("tabindex"), "{marks} marks, one per 3px column");
    assert!(svg.contains("<title>Cash, 2026-09-26: 13.00 EUR</title>"), "the last point has a mark");
    assert!(svg.len() < 64_000, "a long series stays small: {} bytes", svg.len());
    let bars = stacked_bars("B", &months(), &income_and_expenses(), eur());
    assert_eq!(bars.matches("<g class=\"kc-pt\" tabindex=\"0\">").count(), bars.matches("class=\"kc-bar ").count());
    let last_bar = bars.rfind("class=\"kc-bar ").unwrap();
    assert!(bars.find("kc-pt").unwrap() > last_bar, "tips are drawn above every bar");
}

#[test]
fn bar_labels_that_are_not_months_are_thinned_not_overlapped() {
    let labels: Vec<String> = (1..=30).map(|i| format!("Week {i}")).collect();
    let svg = stacked_bars("Weekly", &labels, &[Stack { name: "Spent".into(), values: vec![Decimal::TEN; 30] }], eur());
    check(&svg);
    assert_eq!(svg.matches("class=\"kc-bar ").count(), 30);
    assert!(svg.contains(">Week 1<") && !svg.contains(">Week 2<"), "{svg}");
}

#[test]
fn empty_input_says_no_data() {
    let zero = series("Zero", &[(date(2026, 1, 1), "0"), (date(2026, 2, 1), "0.00")]);
    let charts = [
        line("Empty", &[], eur(), false),
        line("No points", &[series("A", &[])], eur(), true),
        line("All zero", &[zero], eur(), false),
        stacked_bars("No labels", &[], &income_and_expenses(), eur()),
        stacked_bars("No stacks", &months(), &[], eur()),
        stacked_bars("Zero", &months(), &[Stack { name: "A".into(), values: vec![Decimal::ZERO] }], eur()),
        donut("Nothing positive", &[("Refund".into(), dec("-5")), ("Zero".into(), Decimal::ZERO)], eur()),
        donut("No slices", &[], eur()),
        sankey("No flows", &[], eur()),
        sankey("Only loops and negatives", &[flow("a", "a", "5"), flow("a", "b", "-5")], eur()),
    ];
    for svg in charts {
        check(&svg);
        assert!(svg.contains(">No data</text>") && !svg.contains("kc-pt"), "{svg}");
    }
}

#[test]
fn user_text_is_escaped_everywhere() {
    let evil = "<script>alert('x')</script> & \"Co\"";
    let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;";
    let charts = [
        line(evil, &[series(evil, &[(date(2026, 1, 1), "1"), (date(2026, 2, 1), "2")]), series("b", &[])], eur(), true),
        stacked_bars(evil, &[evil.to_owned()], &[Stack { name: evil.to_owned(), values: vec![Decimal::ONE] }], eur()),
        donut(evil, &[(evil.to_owned(), Decimal::ONE)], eur()),
        sankey(evil, &[flow(evil, "b", "1")], eur()),
        no_data(evil),
    ];
    for svg in charts {
        check(&svg);
        assert!(!svg.contains("<script") && !svg.contains("'x'") && svg.contains(escaped), "{svg}");
    }
}

#[test]
fn output_is_deterministic_and_ids_differ_per_chart() {
    let id = |svg: &str| svg.split("aria-labelledby=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let a = line("Balances", &net_worth(), eur(), false);
    assert_eq!(a, line("Balances", &net_worth(), eur(), false));
    let ids = [
        id(&a),
        id(&line("Balances 2", &net_worth(), eur(), false)),
        id(&line("Balances", &net_worth()[1..], eur(), false)),
        id(&line("Balances", &net_worth(), cur("USD"), false)),
        id(&donut("Balances", &spending(), eur())),
        id(&no_data("Balances")),
    ];
    for (i, x) in ids.iter().enumerate() {
        assert!(ids[i + 1..].iter().all(|y| y != x), "{ids:?}");
    }
}

#[test]
fn css_themes_every_class_the_charts_use_and_has_a_dark_mode() {
    for class in
        ["kc-chart", "kc-series-7", "kc-grid", "kc-zero", "kc-axis", "kc-label", "kc-line", "kc-area", "kc-bar"]
            .into_iter()
            .chain(["kc-slice", "kc-link", "kc-node", "kc-dot", "kc-hit", "kc-tip", "kc-pt", "kc-total", "kc-swatch"])
    {
        assert!(CHART_CSS.contains(&format!(".{class}")), "{class}");
    }
    assert!(CHART_CSS.contains("prefers-color-scheme:dark") && !CHART_CSS.contains("http"));
    let all = [
        line("L", &net_worth(), eur(), true),
        stacked_bars("B", &months(), &income_and_expenses(), eur()),
        donut("D", &spending(), eur()),
        sankey("S", &cash_flow(), eur()),
    ]
    .concat();
    assert!(
        !all.contains("fill=\"#") && !all.contains("stroke=\"#") && !all.contains("style="),
        "colours come from CSS"
    );
}

// ---- properties --------------------------------------------------------------

fn amount() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (-5i64..5).prop_map(Decimal::from),
        (-100_000_000_000i64..100_000_000_000).prop_map(|m| Decimal::new(m, 2)),
        (-1000i64..1000).prop_map(|m| Decimal::new(m, 3)),
    ]
}

fn day() -> impl Strategy<Value = Date> {
    prop_oneof![Just(0i64), 0i64..40, 0i64..5000].prop_map(|n| date(2015, 1, 1) + jiff::Span::new().days(n))
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "Rent & <Co>", "", "\"q\""]).prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_lines_are_valid(
        input in prop::collection::vec((name(), prop::collection::vec((day(), amount()), 0..12)), 0..4),
        area: bool,
    ) {
        let series: Vec<Series> = input.into_iter().map(|(name, points)| Series { name, points }).collect();
        check(&line("Random", &series, eur(), area));
    }

    #[test]
    fn random_bars_are_valid(
        labels in prop::collection::vec(prop_oneof![Just("2026-01".to_owned()), Just("2025-12".to_owned()), name()], 0..14),
        stacks in prop::collection::vec((name(), prop::collection::vec(amount(), 0..14)), 0..5),
    ) {
        let stacks: Vec<Stack> = stacks.into_iter().map(|(name, values)| Stack { name, values }).collect();
        check(&stacked_bars("Random", &labels, &stacks, cur("JPY")));
    }

    #[test]
    fn random_donuts_are_valid(slices in prop::collection::vec((name(), amount()), 0..14)) {
        check(&donut("Random", &slices, cur("BHD")));
    }

    #[test]
    fn random_sankeys_are_valid(flows in prop::collection::vec((name(), name(), amount()), 0..16)) {
        let flows: Vec<Flow> = flows.into_iter().map(|(from, to, amount)| Flow { from, to, amount }).collect();
        check(&sankey("Random", &flows, eur()));
    }
}
