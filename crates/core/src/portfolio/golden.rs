//! Hand-computed cases for every cost method (the figures in the comments are
//! the arithmetic done on paper), and the invariants as properties.

use jiff::civil::Date;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::rust_decimal_macros_free::d;
use super::*;
use crate::portfolio::returns::{Interval, performance};

fn at(time: &str) -> (jiff::Timestamp, Date) {
    (time.parse().expect("test time"), time[..10].parse().expect("test date"))
}

fn trade(id: &str, time: &str, kind: TradeKind) -> Trade {
    let (at, date) = at(time);
    Trade { id: id.into(), at, date, instrument: "X".into(), kind }
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

fn buy(id: &str, time: &str, qty: &str, price: &str, fee: &str) -> Trade {
    trade(id, time, TradeKind::Buy { qty: q(qty), price: d(price), fee: d(fee) })
}

fn sell(id: &str, time: &str, qty: &str, price: &str, fee: &str) -> Trade {
    trade(id, time, TradeKind::Sell { qty: q(qty), price: d(price), fee: d(fee), lots: vec![] })
}

fn run(method: CostMethod, trades: &[Trade]) -> Portfolio {
    Portfolio::replay(method, trades, None).unwrap()
}

/// (trade, qty, cost) of each open lot.
fn open(p: &Portfolio) -> Vec<(String, Decimal, Decimal)> {
    p.positions["X"].lots.iter().map(|l| (l.trade.clone(), l.qty, round_money(l.cost))).collect()
}

fn lot(trade: &str, qty: &str, cost: &str) -> (String, Decimal, Decimal) {
    (trade.into(), d(qty), d(cost))
}

/// B1 10 @ 100 + 5 fee (unit 100.5), B2 10 @ 90 (unit 90), B3 10 @ 110 + 10
/// fee (unit 111), then a sale of 25 @ 130 with a 5 fee: net 3245.
fn many_lots() -> Vec<Trade> {
    vec![
        buy("B1", "2024-01-02T10:00:00Z", "10", "100", "5"),
        buy("B2", "2024-02-01T10:00:00Z", "10", "90", "0"),
        buy("B3", "2024-03-01T10:00:00Z", "10", "110", "10"),
        sell("S1", "2024-04-02T10:00:00Z", "25", "130", "5"),
    ]
}

#[test]
fn partial_sales_across_many_lots_per_method() {
    // method, cost taken, realized, open lots after the sale
    let cases: [(CostMethod, &str, &str, Vec<_>); 4] = [
        // 1005 + 900 + 1110*5/10
        (CostMethod::Fifo, "2460", "785", vec![lot("B3", "5", "555")]),
        // 1110 + 900 + 1005*5/10
        (CostMethod::Lifo, "2512.5", "732.5", vec![lot("B1", "5", "502.5")]),
        // 111 > 100.5 > 90: 1110 + 1005 + 900*5/10
        (CostMethod::Hifo, "2565", "680", vec![lot("B2", "5", "450")]),
        // pool 3015 for 30: 3015*25/30
        (CostMethod::Average, "2512.5", "732.5", vec![lot("pool", "5", "502.5")]),
    ];
    for (method, cost, realized, lots) in cases {
        let p = run(method, &many_lots());
        let s = &p.sales[0];
        assert_eq!((round_money(s.cost), round_money(s.realized)), (d(cost), d(realized)), "{method}");
        assert_eq!(s.proceeds, d("3250"));
        assert_eq!(s.fee, d("5"));
        assert_eq!(s.lots.iter().map(|l| l.qty).sum::<Decimal>(), d("25"), "{method}");
        assert_eq!(open(&p), lots, "{method}");
        assert_eq!(p.positions["X"].qty(), d("5"), "{method}");
    }
}

#[test]
fn a_specific_sale_takes_the_lots_it_names() {
    let mut trades = many_lots();
    trades[3].kind = TradeKind::Sell {
        qty: q("25"),
        price: d("130"),
        fee: d("5"),
        lots: vec![
            LotPick { trade: "B1".into(), qty: q("10") },
            LotPick { trade: "B2".into(), qty: q("5") },
            LotPick { trade: "B3".into(), qty: q("10") },
        ],
    };
    let p = run(CostMethod::Specific, &trades);
    // 1005 + 900*5/10 + 1110
    assert_eq!(p.sales[0].cost, d("2565"));
    assert_eq!(p.sales[0].realized, d("680"));
    assert_eq!(open(&p), vec![lot("B2", "5", "450")]);
    // The same trades under FIFO ignore the names: a what-if.
    assert_eq!(run(CostMethod::Fifo, &trades).sales[0].cost, d("2460"));
    // A sale under the specific method that names no lot is booked FIFO.
    assert_eq!(run(CostMethod::Specific, &many_lots()).sales[0].cost, d("2460"));
}

#[test]
fn bad_lot_picks_are_refused_and_change_nothing() {
    let mut trades = many_lots();
    let picks = |v: Vec<(&str, &str)>| v.into_iter().map(|(t, n)| LotPick { trade: t.into(), qty: q(n) }).collect();
    let cases: [(Vec<(&str, &str)>, &str); 3] = [
        (vec![("B1", "10"), ("B2", "10")], "add up to 20, but it sells 25"),
        (vec![("B9", "25")], "names lot B9, which is not open"),
        (vec![("B1", "15"), ("B2", "10")], "takes 15 from lot B1, which holds 10"),
    ];
    for (pick, message) in cases {
        trades[3].kind = TradeKind::Sell { qty: q("25"), price: d("130"), fee: d("5"), lots: picks(pick) };
        let mut p = run(CostMethod::Specific, &trades[..3]);
        let before = p.clone();
        let err = p.apply(&trades[3]).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        assert_eq!((err.trade(), err.field()), ("S1", "qty"));
        assert_eq!(p, before);
    }
}

#[test]
fn same_day_buys_keep_their_time_order() {
    // Listed out of order: booking order sorts by time, to the second.
    let mut trades = vec![
        buy("B2", "2024-03-01T15:00:00Z", "10", "60", "0"),
        buy("B1", "2024-03-01T09:00:00Z", "10", "50", "0"),
        sell("S", "2024-03-01T16:00:00Z", "10", "70", "0"),
    ];
    booking_order(&mut trades);
    assert_eq!(run(CostMethod::Fifo, &trades).sales[0].realized, d("200")); // 700 - 500
    assert_eq!(run(CostMethod::Lifo, &trades).sales[0].realized, d("100")); // 700 - 600
    // Within one second the file's order decides.
    let mut same = vec![
        buy("first", "2024-03-01T09:00:00.900Z", "1", "10", "0"),
        buy("second", "2024-03-01T09:00:00.100Z", "1", "20", "0"),
        sell("S", "2024-03-01T10:00:00Z", "1", "30", "0"),
    ];
    booking_order(&mut same);
    assert_eq!(run(CostMethod::Fifo, &same).sales[0].lots[0].trade, "first");
    assert_eq!(run(CostMethod::Lifo, &same).sales[0].lots[0].trade, "second");
}

#[test]
fn hifo_ties_go_oldest_first() {
    let trades = vec![
        buy("old", "2024-01-01T10:00:00Z", "10", "50", "0"),
        buy("new", "2024-01-02T10:00:00Z", "5", "50", "0"),
        sell("S", "2024-01-03T10:00:00Z", "3", "60", "0"),
    ];
    assert_eq!(run(CostMethod::Hifo, &trades).sales[0].lots[0].trade, "old");
}

#[test]
fn a_full_close_and_reopen() {
    let trades = vec![
        buy("B1", "2024-01-02T10:00:00Z", "10", "100", "0"),
        sell("S1", "2024-01-03T10:00:00Z", "10", "110", "0"), // +100
        buy("B2", "2024-01-04T10:00:00Z", "5", "120", "0"),
        sell("S2", "2024-01-05T10:00:00Z", "5", "100", "1"), // 500 - 1 - 600
    ];
    for method in CostMethod::ALL {
        let p = run(method, &trades);
        let realized: Vec<Decimal> = p.sales.iter().map(|s| s.realized).collect();
        assert_eq!(realized, vec![d("100"), d("-101")], "{method}");
        assert!(p.positions["X"].lots.is_empty());
        assert_eq!(p.positions["X"].realized, d("-1"));
        let h = &p.holdings(&PriceBook::default(), d_("2024-01-05"))[0];
        assert_eq!((h.qty, h.unrealized, h.market_value), (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO));
    }
}

fn d_(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn a_split_multiplies_quantity_and_keeps_cost() {
    let split = |id: &str, time: &str, ratio: &str| trade(id, time, TradeKind::Split { ratio: d(ratio) });
    let trades = vec![
        buy("B1", "2024-01-02T10:00:00Z", "10", "100", "10"), // 1010 for 10
        sell("S0", "2024-01-03T10:00:00Z", "2", "105", "0"),  // before the split: 210 - 202
        split("SP", "2024-02-01T00:00:00Z", "2"),             // 16 for 808, unit 50.5
        buy("B2", "2024-02-02T10:00:00Z", "10", "60", "0"),   // 600, unit 60
        sell("S1", "2024-03-01T10:00:00Z", "20", "70", "0"),  // proceeds 1400
        split("RS", "2024-04-01T00:00:00Z", "0.1"),           // 1-for-10 reverse
    ];
    let fifo = run(CostMethod::Fifo, &trades);
    // History before the split stays as recorded.
    assert_eq!((fifo.sales[0].qty, fifo.sales[0].realized), (d("2"), d("8")));
    // 808 + 600*4/10 = 1048
    assert_eq!((fifo.sales[1].cost, fifo.sales[1].realized), (d("1048"), d("352")));
    assert_eq!(open(&fifo), vec![lot("B2", "0.6", "360")]);
    // HIFO: 60 > 50.5, so 600 + 808*10/16 = 1105
    let hifo = run(CostMethod::Hifo, &trades);
    assert_eq!((hifo.sales[1].cost, hifo.sales[1].realized), (d("1105"), d("295")));
    assert_eq!(open(&hifo), vec![lot("B1", "0.6", "303")]);
    let bad = vec![split("SP", "2024-02-01T00:00:00Z", "0")];
    assert!(matches!(Portfolio::replay(CostMethod::Fifo, &bad, None), Err(PortfolioError::BadRatio { .. })));
}

/// A price quoted before a split is per old share: valued after the split
/// it is divided by the ratio (and by every later split's), until a price
/// quoted after the split is known; on the split's own day a price of
/// that day is already per new share.
#[test]
fn a_price_from_before_a_split_values_the_new_shares() {
    let day = |s: &str| s.parse::<Date>().unwrap();
    let mut prices = PriceBook::default();
    prices.insert("X", day("2024-01-02"), d("100"));
    prices.insert_split("X", day("2024-02-01"), d("2"));
    prices.insert_split("X", day("2024-04-01"), d("0.1"));
    assert_eq!(prices.latest("X", day("2024-01-31")), Some((day("2024-01-02"), d("100"))));
    assert_eq!(prices.latest("X", day("2024-02-01")), Some((day("2024-01-02"), d("50"))));
    assert_eq!(prices.latest("X", day("2024-04-01")), Some((day("2024-01-02"), d("500"))));
    prices.insert("X", day("2024-02-01"), d("52"));
    assert_eq!(prices.latest("X", day("2024-03-01")), Some((day("2024-02-01"), d("52"))));
    assert_eq!(prices.latest("X", day("2024-04-02")), Some((day("2024-02-01"), d("520"))));

    // 10 bought at 100, split 2:1: 20 shares, still worth 1000.
    let trades = vec![
        buy("B1", "2024-01-02T10:00:00Z", "10", "100", "0"),
        trade("SP", "2024-02-01T00:00:00Z", TradeKind::Split { ratio: d("2") }),
    ];
    let mut book = PriceBook::default();
    book.insert("X", day("2024-01-02"), d("100"));
    book.insert_split("X", day("2024-02-01"), d("2"));
    let p = run(CostMethod::Fifo, &trades);
    assert_eq!(p.market_value(&book, day("2024-03-01")), d("1000"));
}

#[test]
fn transfers_carry_cost_and_realize_nothing() {
    let trades = vec![
        trade("T1", "2024-01-02T10:00:00Z", TradeKind::TransferIn { qty: q("10"), cost: d("800") }),
        trade("T2", "2024-01-03T10:00:00Z", TradeKind::TransferOut { qty: q("4"), lots: vec![] }),
    ];
    let p = run(CostMethod::Fifo, &trades);
    assert_eq!(p.transfers_out[0].cost, d("320"));
    assert_eq!(p.transfers_out[0].realized, Decimal::ZERO);
    assert_eq!(open(&p), vec![lot("T1", "6", "480")]);
    assert_eq!(p.cash, Decimal::ZERO);
}

#[test]
fn cash_moves_by_qty_times_price_and_fees() {
    let trades = vec![
        buy("B", "2024-01-02T10:00:00Z", "10", "100", "5"), // -1005
        trade("D", "2024-01-03T10:00:00Z", TradeKind::Dividend { gross: d("20"), withholding: d("3") }), // +17
        sell("S", "2024-01-04T10:00:00Z", "4", "110", "2"), // +438
        trade("I", "2024-01-05T10:00:00Z", TradeKind::Interest { amount: d("1.5") }),
        trade("F", "2024-01-06T10:00:00Z", TradeKind::Fee { amount: d("-2") }),
    ];
    let p = run(CostMethod::Fifo, &trades);
    assert_eq!(p.cash, d("-550.5"));
    assert_eq!(p.positions["X"].dividends, d("17"));
    assert_eq!((p.interest, p.fees), (d("1.5"), d("-2")));
}

#[test]
fn an_oversell_or_a_negative_price_is_refused_and_changes_nothing() {
    let mut p = run(CostMethod::Fifo, &many_lots()[..3]);
    let before = p.clone();
    let err = p.apply(&sell("S9", "2024-05-01T10:00:00Z", "30.5", "1", "0")).unwrap_err();
    assert_eq!(err.to_string(), "trade S9: sells 30.5 of X but only 30 is held (no short selling)");
    assert_eq!((err.trade(), err.field()), ("S9", "qty"));
    let err = p.apply(&buy("B9", "2024-05-01T10:00:00Z", "1", "-1", "0")).unwrap_err();
    assert_eq!(err.field(), "price");
    let err = p.apply(&buy("B9", "2024-05-01T10:00:00Z", "1", "1", "-1")).unwrap_err();
    assert_eq!(err.field(), "fees");
    assert_eq!(p, before);
}

#[test]
fn valuation_at_a_date_counts_trades_and_prices_up_to_it() {
    let trades = many_lots();
    let mut prices = PriceBook::default();
    prices.insert("X", d_("2024-03-31"), d("125"));
    prices.insert("X", d_("2024-04-30"), d("140"));
    prices.insert("X", d_("2024-04-30"), d("141")); // a later row wins
    let before = Portfolio::replay(CostMethod::Fifo, &trades, Some(d_("2024-04-01"))).unwrap();
    let h = &before.holdings(&prices, d_("2024-04-01"))[0];
    // 30 held at 125, cost 1005 + 900 + 1110
    assert_eq!(
        (h.qty, h.cost_basis, h.price, h.price_date),
        (d("30"), d("3015"), Some(d("125")), Some(d_("2024-03-31")))
    );
    assert_eq!((h.market_value, h.unrealized, h.realized), (d("3750"), d("735"), d("0")));
    let after = Portfolio::replay(CostMethod::Fifo, &trades, Some(d_("2024-05-01"))).unwrap();
    let h = &after.holdings(&prices, d_("2024-05-01"))[0];
    // 5 of B3 left at cost 555, worth 5 * 141
    assert_eq!((h.market_value, h.unrealized, h.realized), (d("705"), d("150"), d("785")));
}

#[test]
fn fractional_quantities_stay_exact() {
    let trades = vec![
        buy("B1", "2024-01-02T10:00:00Z", "0.123456789", "100", "0"),
        buy("B2", "2024-02-02T10:00:00Z", "0.000000011", "100", "0"),
        sell("S", "2024-03-02T10:00:00Z", "0.1234568", "100", "0"),
    ];
    let p = run(CostMethod::Fifo, &trades);
    assert_eq!(p.positions["X"].qty(), d("0.000000000"));
    assert!(p.positions["X"].lots.is_empty());
    assert_eq!(round_qty(d("0.1234568")), d("0.123457"));
}

#[test]
fn returns_textbook_cases() {
    let day = |mve: &str, cf_in: &str, cf_out: &str| DayFlow { mve: d(mve), cf_in: d(cf_in), cf_out: d(cf_out) };
    // 100 -> 110 is 10 %; adding 20 and ending at 136.5 is 5 % more.
    assert_eq!(ttwror(d("100"), &[day("110", "0", "0")]), d("0.1"));
    assert_eq!(ttwror(d("110"), &[day("136.5", "20", "0")]), d("0.05"));
    assert_eq!(ttwror(d("100"), &[day("110", "0", "0"), day("136.5", "20", "0")]), d("0.155"));
    // An outflow at the day's end is counted back in.
    assert_eq!(ttwror(d("100"), &[day("60", "0", "50")]), d("0.1"));
    let flows = |v: &[(&str, &str)]| v.iter().map(|(t, c)| (d_(t), d(c))).collect::<Vec<_>>();
    assert_eq!(xirr(&flows(&[("2021-01-01", "-100"), ("2022-01-01", "110")])), Some(d("0.1")));
    assert_eq!(
        xirr(&flows(&[("2022-01-01", "-110"), ("2022-01-01", "-20"), ("2023-01-01", "136.5")])),
        Some(d("0.05"))
    );
    let three =
        flows(&[("2021-01-01", "-1000"), ("2022-01-01", "-500"), ("2023-01-01", "-1000"), ("2024-01-01", "3036")]);
    assert_eq!(xirr(&three), Some(d("0.1")));
    assert_eq!(xirr(&flows(&[("2021-01-01", "-100")])), None);
}

#[test]
fn a_dividend_before_later_buys_counts_in_the_returns() {
    let trades = vec![
        buy("B1", "2024-01-01T10:00:00Z", "10", "100", "0"),
        trade("D", "2024-01-02T10:00:00Z", TradeKind::Dividend { gross: d("20"), withholding: d("5") }),
        buy("B2", "2024-01-03T10:00:00Z", "10", "110", "0"),
    ];
    let mut prices = PriceBook::default();
    for (day, p) in [("2024-01-01", "100"), ("2024-01-02", "100"), ("2024-01-03", "110"), ("2024-01-04", "121")] {
        prices.insert("X", d_(day), d(p));
    }
    let points =
        performance(&trades, CostMethod::Fifo, &prices, d_("2024-01-01"), d_("2024-01-04"), Interval::Day).unwrap();
    // Day factors: 1000/1000, (1000 + 15)/1000, 2200/(1000 + 1100), 2420/2200.
    let twr: Vec<Decimal> = points.iter().map(|p| p.twr.round_dp(6)).collect();
    assert_eq!(twr, vec![d("0"), d("0.015"), d("0.063333"), d("0.169667")]);
    let last = points.last().unwrap();
    assert_eq!((last.value, last.invested), (d("2420"), d("2100")));
    // Money-weighted: -1000, +15, -1100 then 2420 three days in, a huge
    // annualised rate but a positive one.
    assert!(last.mwr.unwrap() > d("1"));
}

fn arb_trades() -> impl Strategy<Value = Vec<(u8, u32, u32, u32)>> {
    // (kind: 0..=5 buy, 6..=8 sell, 9 split; qty in hundredths; price in
    // cents; fee in cents)
    prop::collection::vec((0u8..10, 1u32..5000, 1u32..50000, 0u32..500), 1..40)
}

fn build(raw: &[(u8, u32, u32, u32)]) -> Vec<Trade> {
    let cents = |n: u32| Decimal::new(i64::from(n), 2);
    let mut held = Decimal::ZERO;
    let mut out = vec![];
    for (i, &(k, qn, pn, fnn)) in raw.iter().enumerate() {
        let time = format!("2024-01-01T00:00:{:02}Z", i % 60);
        let mut t = buy(&format!("T{i}"), &time, "1", "1", "0");
        let (at, _) = at(&time);
        t.at = at.checked_add(jiff::SignedDuration::from_hours(i as i64)).unwrap();
        let qty = cents(qn);
        t.kind = match k {
            0..=5 => {
                held += qty;
                TradeKind::Buy { qty: Quantity::new(qty).unwrap(), price: cents(pn), fee: cents(fnn) }
            }
            6..=8 if held > Decimal::ZERO => {
                let sold = qty.min(held);
                held -= sold;
                TradeKind::Sell { qty: Quantity::new(sold).unwrap(), price: cents(pn), fee: cents(fnn), lots: vec![] }
            }
            _ => {
                held *= Decimal::TWO;
                TradeKind::Split { ratio: Decimal::TWO }
            }
        };
        out.push(t);
    }
    out
}

proptest! {
    /// Cost in = cost out + open cost, exactly, under every method; and every
    /// sale's lots add up to what it sold.
    #[test]
    fn cost_is_conserved(raw in arb_trades()) {
        let trades = build(&raw);
        let cost_in: Decimal = trades.iter().filter_map(|t| match &t.kind {
            TradeKind::Buy { qty, price, fee } => Some(qty.get() * price + fee),
            _ => None,
        }).sum();
        for method in CostMethod::ALL {
            let p = run(method, &trades);
            let out: Decimal = p.sales.iter().map(|s| s.cost).sum();
            let open = p.positions.get("X").map_or(Decimal::ZERO, Position::cost);
            prop_assert_eq!(cost_in, out + open, "{}", method);
            for s in &p.sales {
                prop_assert_eq!(s.lots.iter().map(|l| l.qty).sum::<Decimal>(), s.qty);
            }
        }
    }

    /// Realized plus unrealized P&L at any price is the same whatever the
    /// method: the methods only move P&L between realized and open.
    #[test]
    fn total_pnl_does_not_depend_on_the_method(raw in arb_trades(), price in 1u32..100000) {
        let trades = build(&raw);
        let mut prices = PriceBook::default();
        prices.insert("X", d_("2024-12-31"), Decimal::new(i64::from(price), 2));
        let total = |m| {
            let p = run(m, &trades);
            p.holdings(&prices, d_("2024-12-31")).iter().map(|h| h.realized + h.unrealized).sum::<Decimal>()
        };
        let fifo = round_money(total(CostMethod::Fifo));
        for m in [CostMethod::Lifo, CostMethod::Hifo, CostMethod::Average] {
            prop_assert_eq!(round_money(total(m)), fifo, "{}", m);
        }
    }
}

/// The currency effect apart from the price effect, on paper: USD shares
/// in a EUR book, rates of 0.90 and 0.95 EUR per USD when the two lots were
/// bought and 0.92 on the valuation day.
///
/// - buy 10 @ 100 + 5 fee on 01-10 (cost 1005.00), buy 5 @ 120 on 02-10
///   (600.00), sell 3 FIFO: lot 1 keeps 7 for 703.50;
/// - held 12 at 150: 1800.00 USD against a cost of 1303.50 USD;
/// - cost in EUR: 703.50 × 0.90 + 600 × 0.95 = 633.15 + 570.00 = 1203.15;
/// - market value in EUR: 1800 × 0.92 = 1656.00;
/// - price effect: (1800 − 1303.50) × 0.92 = 496.50 × 0.92 = 456.78;
/// - currency effect: 1303.50 × 0.92 − 1203.15 = 1199.22 − 1203.15 = −3.93;
/// - together 452.85 = 1656.00 − 1203.15.
#[test]
fn currency_effect_apart_from_price_effect() {
    let p = run(
        CostMethod::Fifo,
        &[
            buy("b1", "2025-01-10T10:00:00Z", "10", "100", "5"),
            buy("b2", "2025-02-10T10:00:00Z", "5", "120", "0"),
            sell("s1", "2025-03-01T10:00:00Z", "3", "130", "0"),
        ],
    );
    let pos = &p.positions["X"];
    let rate_on = |day: Date| match day.to_string().as_str() {
        "2025-01-10" => Some(d("0.90")),
        "2025-02-10" => Some(d("0.95")),
        _ => None,
    };
    let split = FxSplit::of(pos, d("12") * d("150"), d("0.92"), rate_on).unwrap();
    assert_eq!(round_money(split.cost), d("1203.15"));
    assert_eq!(round_money(split.market_value), d("1656.00"));
    assert_eq!(round_money(split.price_effect), d("456.78"));
    assert_eq!(round_money(split.currency_effect), d("-3.93"));
    assert_eq!(split.unrealized, split.market_value - split.cost);
    assert_eq!(round_money(split.unrealized), d("452.85"));
    // A lot bought on a day without a rate cannot be split.
    assert_eq!(FxSplit::of(pos, d("1800"), d("0.92"), |_| None), None);
    // In the instrument's own currency every rate is 1: all of it is price.
    let own = FxSplit::of(pos, d("1800"), Decimal::ONE, |_| Some(Decimal::ONE)).unwrap();
    assert_eq!((own.price_effect, own.currency_effect), (d("496.50"), Decimal::ZERO));
}

proptest! {
    /// Price and currency effect always add up to the unrealized P&L in the
    /// base currency, whatever the rates.
    #[test]
    fn the_two_effects_add_up(
        fx1 in 1u32..300_000, fx2 in 1u32..300_000, now in 1u32..300_000, price in 1u32..1_000_000,
    ) {
        let p = run(
            CostMethod::Average,
            &[
                buy("b1", "2025-01-10T10:00:00Z", "3.5", "101.25", "1.10"),
                buy("b2", "2025-02-10T10:00:00Z", "2.25", "97.10", "0"),
                sell("s1", "2025-03-01T10:00:00Z", "1.75", "99", "0.5"),
            ],
        );
        let pos = &p.positions["X"];
        let rate = |n: u32| Decimal::new(i64::from(n), 5);
        let rate_on = |day: Date| Some(if day.month() == 1 { rate(fx1) } else { rate(fx2) });
        let mv = pos.qty() * Decimal::new(i64::from(price), 2);
        let s = FxSplit::of(pos, mv, rate(now), rate_on).unwrap();
        prop_assert_eq!(s.price_effect + s.currency_effect, s.unrealized);
        prop_assert!((s.unrealized - (s.market_value - s.cost)).abs() < d("0.000001"));
    }
}
