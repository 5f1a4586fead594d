//! Server-side SVG charts for the web pages (issue 8): line/area, stacked
//! bars, donut and Sankey, each returned as one self-contained `<svg>` string.
//!
//! Hand-rolled rather than a plotting crate because what the pages need is
//! small: no JavaScript, no fonts, no CDN; colours come from classes styled by
//! [`CHART_CSS`], so light and dark mode need no re-render; hover details are
//! SVG `<title>`s plus a tip shown on hover or focus, and every mark is
//! focusable, so keyboard users (and touch users: a tap focuses) get them too.
//! Money stays `Decimal` (tick values included); only pixel positions are
//! `f64`. Output is deterministic — ids hash the title and the data — so it
//! can be snapshot-tested and two charts on one page never share an id.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use jiff::civil::Date;
use kassa_core::Currency;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// One series of a line chart: a name and dated amounts (any order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Series {
    pub name: String,
    pub points: Vec<(Date, Decimal)>,
}

/// One layer of stacked bars: a name and one value per label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stack {
    pub name: String,
    pub values: Vec<Decimal>,
}

/// One edge of a Sankey diagram.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub amount: Decimal,
}

/// The charts' palette and text styles; the page layout includes it once.
/// Every colour is a custom property on `.kc-chart`, so a page theme can
/// override them; the dark variant follows `prefers-color-scheme`.
pub const CHART_CSS: &str = "\
.kc-chart{--kc-c0:#2563eb;--kc-c1:#d97706;--kc-c2:#059669;--kc-c3:#dc2626;--kc-c4:#7c3aed;\
--kc-c5:#0891b2;--kc-c6:#db2777;--kc-c7:#65a30d;--kc-fg:#1f2937;--kc-muted:#6b7280;--kc-grid:#e5e7eb;\
--kc-bg:#fff;display:block;height:auto;font:inherit;font-size:12px;overflow:visible}
@media (prefers-color-scheme:dark){.kc-chart{--kc-c0:#60a5fa;--kc-c1:#fbbf24;--kc-c2:#34d399;\
--kc-c3:#f87171;--kc-c4:#a78bfa;--kc-c5:#22d3ee;--kc-c6:#f472b6;--kc-c7:#a3e635;--kc-fg:#e5e7eb;\
--kc-muted:#9ca3af;--kc-grid:#374151;--kc-bg:#111827}}
.kc-series-0{color:var(--kc-c0)}.kc-series-1{color:var(--kc-c1)}.kc-series-2{color:var(--kc-c2)}\
.kc-series-3{color:var(--kc-c3)}.kc-series-4{color:var(--kc-c4)}.kc-series-5{color:var(--kc-c5)}\
.kc-series-6{color:var(--kc-c6)}.kc-series-7{color:var(--kc-c7)}
.kc-chart text{fill:var(--kc-fg)}
.kc-chart .kc-label,.kc-chart .kc-muted{fill:var(--kc-muted);font-size:11px}
.kc-grid{stroke:var(--kc-grid);stroke-width:1}
.kc-axis{stroke:var(--kc-muted);stroke-width:1}
.kc-zero{stroke:var(--kc-muted);stroke-width:1.5}
.kc-line{fill:none;stroke:currentColor;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.kc-area{fill:currentColor;fill-opacity:.15;stroke:none}
.kc-dot{fill:currentColor;stroke:var(--kc-bg);stroke-width:1}
.kc-dense{opacity:0}
.kc-bar,.kc-slice,.kc-node,.kc-swatch{fill:currentColor}
.kc-slice{stroke:var(--kc-bg);stroke-width:1}
.kc-link{fill:none;stroke:currentColor;stroke-opacity:.3}
.kc-pt{outline:none}
.kc-pt:hover .kc-dense,.kc-pt:focus .kc-dense{opacity:1}
.kc-pt:hover>.kc-bar,.kc-pt:focus>.kc-bar,.kc-pt:hover>.kc-slice,.kc-pt:focus>.kc-slice,\
.kc-pt:hover>.kc-node,.kc-pt:focus>.kc-node,.kc-pt:focus>.kc-dot{stroke:var(--kc-fg);stroke-width:2}
.kc-pt:hover>.kc-link,.kc-pt:focus>.kc-link{stroke-opacity:.6}
.kc-chart .kc-tip{display:none;font-weight:600;stroke:var(--kc-bg);stroke-width:4px;\
stroke-linejoin:round;paint-order:stroke;pointer-events:none}
.kc-pt:hover .kc-tip,.kc-pt:focus .kc-tip{display:inline}
.kc-pt:hover~.kc-total,.kc-pt:focus~.kc-total{visibility:hidden}
.kc-chart .kc-total-value{font-size:14px;font-weight:600}
";

const MINUS: char = '\u{2212}';
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// The coordinate system every chart is drawn in. 480 user units wide keeps
// 11px text legible when a 390px phone scales the chart down.
const W: f64 = 480.0;
const H: f64 = 260.0;
/// Left and right margins of the plot area of line and bar charts (room for
/// y-axis labels), and the space below it for two rows of x-axis labels.
const ML: f64 = 52.0;
const MR: f64 = 14.0;
const MB: f64 = 34.0;

// ---- numbers -------------------------------------------------------------------

/// `amount` rounded to the currency's minor units, with thousands separators
/// and a real minus sign: `1,234.56 EUR`, `−1,235 JPY`, `0.125 BHD`.
pub fn money(amount: Decimal, currency: Currency) -> String {
    let dp = currency.minor_units();
    let mut rounded = amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(dp);
    format!("{} {}", grouped(rounded), currency.code())
}

/// A short axis form: `1.2k`, `−35k`, `2.4M` (three significant digits),
/// exact below a thousand.
pub fn compact(amount: Decimal) -> String {
    const UNITS: [(i64, &str); 4] = [(1_000_000_000_000, "T"), (1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")];
    let abs = amount.abs();
    let body = UNITS
        .iter()
        .find_map(|&(unit, suffix)| {
            let unit = Decimal::from(unit);
            let q = abs / unit;
            let dp = if q < Decimal::TEN {
                2
            } else if q < Decimal::ONE_HUNDRED {
                1
            } else {
                0
            };
            let q = q.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
            // 999,950 rounds up to "1M"; below a thousand stays exact
            let fits = abs >= unit || (q >= Decimal::ONE && unit > Decimal::ONE_THOUSAND);
            fits.then(|| format!("{}{suffix}", q.normalize()))
        })
        .unwrap_or_else(|| abs.normalize().to_string());
    if amount.is_sign_negative() && !amount.is_zero() { format!("{MINUS}{body}") } else { body }
}

/// `d` as its digits are, with thousands separators and a real minus sign.
fn grouped(d: Decimal) -> String {
    let digits = d.abs().to_string();
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let mut out = String::new();
    if d.is_sign_negative() && !d.is_zero() {
        out.push(MINUS);
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or_default()
}

/// A pixel coordinate with one decimal, `-0` folded into `0`.
fn px(v: f64) -> String {
    format!("{}", (v * 10.0).round() / 10.0 + 0.0)
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `n` characters with an ellipsis; the full text stays in the titles.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

/// Estimated width of 11–12px text: there are no font metrics server-side,
/// so layout keeps generous gaps instead.
fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * 6.5
}

// ---- ids -------------------------------------------------------------------------

/// FNV-1a: a fixed function (std's hasher may change between releases), so
/// ids and snapshots stay the same.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn chart_id(title: &str, data: &impl Hash) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    title.hash(&mut h);
    data.hash(&mut h);
    format!("kc{:08x}", h.finish() & 0xffff_ffff)
}

// ---- the SVG being written ----------------------------------------------------

struct Svg(String);

impl Svg {
    fn new(id: &str, title: &str, desc: &str, height: f64) -> Svg {
        Svg(format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kc-chart\" viewBox=\"0 0 {W} {}\" width=\"100%\" \
             role=\"img\" aria-labelledby=\"{id}-t\" aria-describedby=\"{id}-d\">\n\
             <title id=\"{id}-t\">{}</title>\n<desc id=\"{id}-d\">{}</desc>\n",
            px(height),
            esc(title),
            esc(desc)
        ))
    }

    fn push(&mut self, element: &str) {
        self.0.push_str(element);
        self.0.push('\n');
    }

    fn text(&mut self, (x, y): (f64, f64), anchor: &str, class: &str, text: &str) {
        self.push(&format!(
            "<text class=\"{class}\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            px(x),
            px(y),
            esc(text)
        ));
    }

    fn line(&mut self, class: &str, (x1, y1): (f64, f64), (x2, y2): (f64, f64)) {
        self.push(&format!(
            "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            px(x1),
            px(y1),
            px(x2),
            px(y2)
        ));
    }

    /// A data mark: `shape` plus its details as a `<title>` (pointer hover,
    /// screen readers) and as a tip at `at` shown on hover and focus.
    fn mark(&mut self, shape: &str, details: &str, (x, y): (f64, f64)) {
        let anchor = if x < W / 4.0 {
            "start"
        } else if x > W * 0.75 {
            "end"
        } else {
            "middle"
        };
        let details = esc(details);
        self.push(&format!(
            "<g class=\"kc-pt\" tabindex=\"0\"><title>{details}</title>{shape}\
             <text class=\"kc-tip\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{details}</text></g>",
            px(x),
            px(y.max(12.0))
        ));
    }

    /// A row of colour swatches and names starting at `y`; returns its height.
    fn legend(&mut self, names: &[&str], y: f64) -> f64 {
        let (mut x, mut row) = (8.0, y);
        for (i, name) in names.iter().enumerate() {
            let name = clip(name, 24);
            let w = 14.0 + text_w(&name) + 14.0;
            if x + w > W - 8.0 && x > 8.0 {
                (x, row) = (8.0, row + 16.0);
            }
            self.push(&format!(
                "<rect class=\"kc-swatch kc-series-{}\" x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" rx=\"2\"/>",
                i % 8,
                px(x),
                px(row - 9.0)
            ));
            self.text((x + 14.0, row), "start", "kc-legend", &name);
            x += w;
        }
        row - y + 16.0
    }

    fn finish(mut self) -> String {
        self.0.push_str("</svg>");
        self.0
    }
}

/// The small chart shown when there is nothing to draw.
fn no_data(title: &str) -> String {
    let mut svg = Svg::new(&chart_id(title, &"no data"), title, "No data", 60.0);
    svg.text((W / 2.0, 34.0), "middle", "kc-label kc-empty", "No data");
    svg.finish()
}

// ---- axes ------------------------------------------------------------------------

/// A value axis: ticks at multiples of 1, 2 or 5 × 10ⁿ spanning `lo..hi`.
struct Axis {
    lo: f64,
    hi: f64,
    /// (position, exact value); a tick whose value no Decimal can hold is left out.
    ticks: Vec<(f64, Decimal)>,
}

impl Axis {
    /// At most seven ticks covering `lo..=hi`; an empty range is widened to
    /// include zero, so a flat series still gets an axis.
    fn new(lo: f64, hi: f64) -> Axis {
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else if lo > 0.0 {
            (0.0, lo)
        } else if lo < 0.0 {
            (lo, 0.0)
        } else {
            (0.0, 1.0)
        };
        let exp = ((hi - lo) / 5.0).log10().floor() as i32;
        let bounds = |nice: i32, exp: i32| {
            let step = f64::from(nice) * 10f64.powi(exp);
            // the nudge keeps float noise from adding a tick beyond an exact multiple
            (step, (lo / step + 1e-9).floor(), (hi / step - 1e-9).ceil())
        };
        let (nice, exp) = [(1, exp), (2, exp), (5, exp), (1, exp + 1)]
            .into_iter()
            .find(|&(nice, exp)| {
                let (_, k0, k1) = bounds(nice, exp);
                k1 - k0 <= 6.0
            })
            .unwrap_or((2, exp + 1));
        let (step, k0, k1) = bounds(nice, exp);
        let ticks =
            (k0 as i64..=k1 as i64).filter_map(|k| Some((k as f64 * step, tick_value(k, nice, exp)?))).collect();
        Axis { lo: k0 * step, hi: k1 * step, ticks }
    }

    /// The pixel row of `v` in a plot from `top` to `bottom`.
    fn y(&self, v: f64, top: f64, bottom: f64) -> f64 {
        bottom - (v - self.lo) / (self.hi - self.lo) * (bottom - top)
    }

    /// Grid lines with compact labels (exact grouped numbers when a fine step
    /// would make two compact labels equal); the zero line stands out.
    fn draw(&self, svg: &mut Svg, top: f64, bottom: f64) {
        let mut labels: Vec<String> = self.ticks.iter().map(|t| compact(t.1)).collect();
        if labels.windows(2).any(|w| w[0] == w[1]) {
            labels = self.ticks.iter().map(|t| grouped(t.1.normalize())).collect();
        }
        for ((v, value), label) in self.ticks.iter().zip(&labels) {
            let y = self.y(*v, top, bottom);
            svg.line(if value.is_zero() { "kc-zero" } else { "kc-grid" }, (ML, y), (W - MR, y));
            svg.text((ML - 6.0, y + 4.0), "end", "kc-label", label);
        }
    }
}

/// `k × nice × 10^exp` exactly, if a Decimal can hold it.
fn tick_value(k: i64, nice: i32, exp: i32) -> Option<Decimal> {
    let m = i128::from(k) * i128::from(nice);
    let m = if exp < 0 { m } else { m.checked_mul(10i128.checked_pow(exp.unsigned_abs())?)? };
    Decimal::try_from_i128_with_scale(m, if exp < 0 { exp.unsigned_abs() } else { 0 }).ok()
}

/// An x-axis label: `top` on the first row, `bottom` (a year, a month) under
/// it where it starts something new.
struct Tick {
    x: f64,
    top: String,
    bottom: Option<String>,
}

fn draw_x_labels(svg: &mut Svg, ticks: &[Tick], y: f64) {
    let mut last_bottom: Option<f64> = None;
    for t in ticks {
        svg.line("kc-axis", (t.x, y - 14.0), (t.x, y - 10.0));
        svg.text((t.x, y), "middle", "kc-label", &t.top);
        if let Some(b) = &t.bottom
            && last_bottom.is_none_or(|last| t.x - last >= text_w(b) + 8.0)
        {
            svg.text((t.x, y + 13.0), "middle", "kc-label", b);
            last_bottom = Some(t.x);
        }
    }
}

fn month_index(d: Date) -> i32 {
    i32::from(d.year()) * 12 + i32::from(d.month()) - 1
}

fn month_start(m: i32) -> Option<Date> {
    Date::new(i16::try_from(m.div_euclid(12)).ok()?, (m.rem_euclid(12) + 1) as i8, 1).ok()
}

/// Dates to label between `first` and `last`, at most `max` of them: month
/// starts every 1, 2, 3, 6 months or whole years when the span holds two
/// month starts, otherwise days.
fn date_ticks(first: Date, last: Date, max: usize) -> Vec<(Date, String, Option<String>)> {
    let (m0, m1) = (month_index(first) + i32::from(first.day() > 1), month_index(last));
    let count = |step: i32| usize::try_from(m1.div_euclid(step) - (m0 - 1).div_euclid(step)).unwrap_or(0);
    if count(1) >= 2 {
        let step = [1, 2, 3, 6, 12, 24, 60, 120, 600].into_iter().find(|&s| count(s) <= max).unwrap_or(1200);
        return (m0..=m1)
            .filter(|m| m.rem_euclid(step) == 0)
            .filter_map(month_start)
            .enumerate()
            .map(|(i, d)| {
                if step >= 12 {
                    (d, d.year().to_string(), None)
                } else {
                    let year = (i == 0 || d.month() == 1).then(|| d.year().to_string());
                    (d, MONTHS[d.month() as usize - 1].to_owned(), year)
                }
            })
            .collect();
    }
    let days: Vec<Date> =
        std::iter::successors(Some(first), |d| d.tomorrow().ok()).take_while(|d| *d <= last).collect();
    let pick = |step: i8| -> Vec<Date> {
        // ticks restart on the 1st; stopping at the 28th keeps the last one of a month clear of it
        days.iter().copied().filter(|d| (d.day() - 1) % step == 0 && (step == 1 || d.day() + step <= 29)).collect()
    };
    let chosen = [1, 2, 7, 14].into_iter().map(pick).find(|t| t.len() <= max).unwrap_or_else(|| pick(14));
    chosen
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let month = (i == 0 || d.day() == 1).then(|| format!("{} {}", MONTHS[d.month() as usize - 1], d.year()));
            (d, d.day().to_string(), month)
        })
        .collect()
}

// ---- line ----------------------------------------------------------------------

/// Time-series line chart; several series share the axes. `area: true` fills
/// under the first series (down to zero, which the axis then includes).
pub fn line(title: &str, series: &[Series], currency: Currency, area: bool) -> String {
    let points = || series.iter().flat_map(|s| &s.points);
    if points().all(|p| p.1.is_zero()) {
        return no_data(title);
    }
    let (Some(first), Some(last), Some(lo), Some(hi)) = (
        points().map(|p| p.0).min(),
        points().map(|p| p.0).max(),
        points().map(|p| p.1).min(),
        points().map(|p| p.1).max(),
    ) else {
        return no_data(title);
    };
    let (lo, hi) = if area { (lo.min(Decimal::ZERO), hi.max(Decimal::ZERO)) } else { (lo, hi) };

    let mut sorted: Vec<Vec<(Date, Decimal)>> = series.iter().map(|s| s.points.clone()).collect();
    for s in &mut sorted {
        s.sort();
    }
    let summary: Vec<String> = series
        .iter()
        .zip(&sorted)
        .filter_map(|(s, pts)| {
            let (date, latest) = pts.last()?;
            let low = pts.iter().map(|p| p.1).min()?;
            let high = pts.iter().map(|p| p.1).max()?;
            Some(format!(
                "{}: {} on {date}, lowest {}, highest {}",
                s.name,
                money(*latest, currency),
                money(low, currency),
                money(high, currency)
            ))
        })
        .collect();
    let desc = format!("{first} to {last}. {}.", summary.join("; "));
    let mut svg = Svg::new(&chart_id(title, &(series, currency, area)), title, &desc, H);

    let top = if series.len() > 1 {
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        svg.legend(&names, 14.0) + 10.0
    } else {
        12.0
    };
    let bottom = H - MB;
    let axis = Axis::new(to_f64(lo), to_f64(hi));
    axis.draw(&mut svg, top, bottom);

    let span_days = last.duration_since(first).as_secs() as f64 / 86_400.0;
    let x = |d: Date| {
        if span_days > 0.0 {
            ML + d.duration_since(first).as_secs() as f64 / 86_400.0 / span_days * (W - ML - MR)
        } else {
            (ML + W - MR) / 2.0
        }
    };
    let y = |v: Decimal| axis.y(to_f64(v), top, bottom);
    let max_labels = ((W - ML - MR) / 44.0) as usize;
    let ticks: Vec<Tick> =
        date_ticks(first, last, max_labels).into_iter().map(|(d, top, bottom)| Tick { x: x(d), top, bottom }).collect();
    draw_x_labels(&mut svg, &ticks, bottom + 14.0);

    let path = |pts: &[(Date, Decimal)]| -> String {
        pts.iter()
            .enumerate()
            .map(|(i, &(d, v))| format!("{}{} {}", if i == 0 { "M" } else { " L" }, px(x(d)), px(y(v))))
            .collect()
    };
    if area && let (Some(p0), Some(pn)) = (sorted[0].first(), sorted[0].last()) {
        let base = px(y(Decimal::ZERO));
        svg.push(&format!(
            "<path class=\"kc-area kc-series-0\" d=\"{} L{} {base} L{} {base} Z\"/>",
            path(&sorted[0]),
            px(x(pn.0)),
            px(x(p0.0))
        ));
    }
    for (i, pts) in sorted.iter().enumerate().filter(|(_, p)| p.len() > 1) {
        svg.push(&format!("<path class=\"kc-line kc-series-{}\" d=\"{}\"/>", i % 8, path(pts)));
    }
    for (i, (s, pts)) in series.iter().zip(&sorted).enumerate() {
        // a long daily series would be a row of beads: dots appear on hover only
        let dense = if pts.len() > 40 { " kc-dense" } else { "" };
        for &(d, v) in pts {
            let (cx, cy) = (x(d), y(v));
            let shape = format!(
                "<circle class=\"kc-dot kc-series-{}{dense}\" cx=\"{}\" cy=\"{}\" r=\"3.5\"/>",
                i % 8,
                px(cx),
                px(cy)
            );
            let label = if s.name.is_empty() { d.to_string() } else { format!("{}, {d}", s.name) };
            svg.mark(&shape, &format!("{label}: {}", money(v, currency)), (cx, cy - 9.0));
        }
    }
    svg.finish()
}

// ---- stacked bars -----------------------------------------------------------

/// One bar per label; positive values stack upward from zero, negative ones
/// downward (income above, expenses below). Labels like `2026-01` are shown as
/// month names with the year under January.
pub fn stacked_bars(title: &str, labels: &[String], stacks: &[Stack], currency: Currency) -> String {
    let value = |s: &Stack, i: usize| s.values.get(i).copied().unwrap_or_default();
    if stacks.iter().all(|s| (0..labels.len()).all(|i| value(s, i).is_zero())) {
        return no_data(title);
    }
    let sums: Vec<(Decimal, Decimal)> = (0..labels.len())
        .map(|i| {
            stacks.iter().map(|s| value(s, i)).fold((Decimal::ZERO, Decimal::ZERO), |(up, down), v| {
                if v > Decimal::ZERO { (up.saturating_add(v), down) } else { (up, down.saturating_add(v)) }
            })
        })
        .collect();
    let hi = sums.iter().map(|s| s.0).max().unwrap_or_default();
    let lo = sums.iter().map(|s| s.1).min().unwrap_or_default();

    let totals: Vec<String> = stacks
        .iter()
        .map(|s| {
            let total = (0..labels.len()).fold(Decimal::ZERO, |t, i| t.saturating_add(value(s, i)));
            format!("{}: {} in total", s.name, money(total, currency))
        })
        .collect();
    let range = match (labels.first(), labels.last()) {
        (Some(a), Some(b)) if labels.len() > 1 => format!("{a} to {b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    };
    let desc = format!("{range}. {}.", totals.join("; "));
    let mut svg = Svg::new(&chart_id(title, &(labels, stacks, currency)), title, &desc, H);

    let top = if stacks.len() > 1 {
        let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
        svg.legend(&names, 14.0) + 10.0
    } else {
        12.0
    };
    let bottom = H - MB;
    let axis = Axis::new(to_f64(lo), to_f64(hi));
    axis.draw(&mut svg, top, bottom);
    let y = |v: Decimal| axis.y(to_f64(v), top, bottom);

    let band = (W - ML - MR) / labels.len() as f64;
    let bar_w = (band * 0.7).min(48.0);
    let centre = |i: usize| ML + band * (i as f64 + 0.5);
    svg.push("<g class=\"kc-bars\">");
    for (i, label) in labels.iter().enumerate() {
        let (mut up, mut down) = (Decimal::ZERO, Decimal::ZERO);
        for (j, s) in stacks.iter().enumerate() {
            let v = value(s, i);
            if v.is_zero() {
                continue;
            }
            let end = if v > Decimal::ZERO { &mut up } else { &mut down };
            let from = *end;
            *end = end.saturating_add(v);
            let (y0, y1) = (y(from), y(*end));
            let shape = format!(
                "<rect class=\"kc-bar kc-series-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                j % 8,
                px(centre(i) - bar_w / 2.0),
                px(y0.min(y1)),
                px(bar_w),
                px((y0 - y1).abs().max(0.5))
            );
            let name = if s.name.is_empty() { label.clone() } else { format!("{}, {label}", s.name) };
            svg.mark(&shape, &format!("{name}: {}", money(v, currency)), (centre(i), y0.min(y1) - 5.0));
        }
    }
    svg.push("</g>");

    let months: Option<Vec<(i16, i8)>> = labels.iter().map(|l| year_month(l)).collect();
    let ticks: Vec<Tick> = match months {
        Some(months) => months
            .iter()
            .enumerate()
            .map(|(i, &(year, month))| Tick {
                x: centre(i),
                top: MONTHS[month as usize - 1].to_owned(),
                bottom: (i == 0 || month == 1).then(|| year.to_string()),
            })
            .collect(),
        None => labels.iter().enumerate().map(|(i, l)| Tick { x: centre(i), top: clip(l, 10), bottom: None }).collect(),
    };
    let widest = ticks.iter().map(|t| text_w(&t.top)).fold(0.0, f64::max) + 8.0;
    let every = (widest / band).ceil().max(1.0) as usize;
    // thinning keeps each year label with the first shown month of that year
    let mut shown: Vec<Tick> = Vec::new();
    let mut pending_year = None;
    for (i, mut t) in ticks.into_iter().enumerate() {
        pending_year = t.bottom.take().or(pending_year);
        if i % every == 0 {
            t.bottom = pending_year.take();
            shown.push(t);
        }
    }
    draw_x_labels(&mut svg, &shown, bottom + 14.0);
    svg.finish()
}

/// `2026-01` → (2026, 1).
fn year_month(label: &str) -> Option<(i16, i8)> {
    let (y, m) = label.split_once('-')?;
    let (year, month) = (y.parse().ok()?, m.parse().ok()?);
    (y.len() == 4 && m.len() == 2 && (1..=12).contains(&month)).then_some((year, month))
}

// ---- donut ------------------------------------------------------------------------

/// Donut of the positive slices, largest first, more than eight folded into
/// "Other"; the centre shows the total, or the hovered slice.
pub fn donut(title: &str, slices: &[(String, Decimal)], currency: Currency) -> String {
    let mut parts: Vec<(String, Decimal)> = slices.iter().filter(|s| s.1 > Decimal::ZERO).cloned().collect();
    if parts.is_empty() {
        return no_data(title);
    }
    parts.sort_by_key(|p| std::cmp::Reverse(p.1));
    if parts.len() > 8 {
        let rest = parts.split_off(7);
        let sum = rest.iter().fold(Decimal::ZERO, |t, p| t.saturating_add(p.1));
        parts.push((format!("Other ({})", rest.len()), sum));
    }
    let total = parts.iter().fold(Decimal::ZERO, |t, p| t.saturating_add(p.1));
    let share = |v: Decimal| {
        let pct = to_f64(v) / to_f64(total) * 100.0;
        if pct < 0.5 { "<1%".to_owned() } else { format!("{pct:.0}%") }
    };
    let list: Vec<String> =
        parts.iter().map(|(name, v)| format!("{name}: {} ({})", money(*v, currency), share(*v))).collect();
    let desc = format!("Total {}. {}.", money(total, currency), list.join("; "));
    let height = 240.0;
    let mut svg = Svg::new(&chart_id(title, &(slices, currency)), title, &desc, height);

    let (cx, cy, outer, inner) = (120.0, height / 2.0, 100.0, 62.0);
    let at = |r: f64, turn: f64| {
        let a = turn * std::f64::consts::TAU;
        format!("{} {}", px(cx + r * a.sin()), px(cy - r * a.cos()))
    };
    let mut before = Decimal::ZERO;
    for (i, (name, v)) in parts.iter().enumerate() {
        let t0 = to_f64(before) / to_f64(total);
        before = before.saturating_add(*v);
        let t1 = to_f64(before) / to_f64(total);
        let tm = (t0 + t1) / 2.0;
        // two arcs of at most half a turn each: no large-arc flag, and a
        // single slice still draws a full ring
        let shape = format!(
            "<path class=\"kc-slice kc-series-{}\" d=\"M{} A{outer} {outer} 0 0 1 {} A{outer} {outer} 0 0 1 {} \
             L{} A{inner} {inner} 0 0 0 {} A{inner} {inner} 0 0 0 {} Z\"/>",
            i % 8,
            at(outer, t0),
            at(outer, tm),
            at(outer, t1),
            at(inner, t1),
            at(inner, tm),
            at(inner, t0)
        );
        svg.mark(&shape, &format!("{name}: {} ({})", money(*v, currency), share(*v)), (cx, cy + 4.0));
    }
    let shown_total = money(total, currency);
    let shown_total =
        if shown_total.chars().count() > 15 { format!("{} {}", compact(total), currency.code()) } else { shown_total };
    svg.push("<g class=\"kc-total\">");
    svg.text((cx, cy - 6.0), "middle", "kc-label", "Total");
    svg.text((cx, cy + 12.0), "middle", "kc-total-value", &shown_total);
    svg.push("</g>");

    let row0 = cy - (parts.len() as f64 * 22.0) / 2.0 + 15.0;
    for (i, (name, v)) in parts.iter().enumerate() {
        let row = row0 + i as f64 * 22.0;
        svg.push(&format!(
            "<rect class=\"kc-swatch kc-series-{}\" x=\"246\" y=\"{}\" width=\"10\" height=\"10\" rx=\"2\"/>",
            i % 8,
            px(row - 9.0)
        ));
        svg.text((262.0, row), "start", "kc-legend", &clip(name, 22));
        svg.text((W - 8.0, row), "end", "kc-label", &share(*v));
    }
    svg.finish()
}

// ---- Sankey ------------------------------------------------------------------------

/// Sankey diagram. Nodes sit in columns by their depth in the flow graph
/// (sources left), link widths are proportional to amounts, node labels carry
/// the node's amount. Equal (from, to) flows are merged; non-positive flows
/// and self-loops are left out. A cycle is broken where it is entered, and
/// its closing link is drawn as a loop back to the left.
pub fn sankey(title: &str, flows: &[Flow], currency: Currency) -> String {
    fn node<'a>(names: &mut Vec<&'a str>, name: &'a str) -> usize {
        names.iter().position(|n| *n == name).unwrap_or_else(|| {
            names.push(name);
            names.len() - 1
        })
    }
    let mut names: Vec<&str> = Vec::new();
    let mut merged: BTreeMap<(usize, usize), Decimal> = BTreeMap::new();
    for f in flows.iter().filter(|f| f.amount > Decimal::ZERO && f.from != f.to) {
        let key = (node(&mut names, &f.from), node(&mut names, &f.to));
        let sum = merged.entry(key).or_default();
        *sum = sum.saturating_add(f.amount);
    }
    if merged.is_empty() {
        return no_data(title);
    }
    let links: Vec<(usize, usize, Decimal)> = merged.into_iter().map(|((a, b), v)| (a, b, v)).collect();
    let n = names.len();

    // Order nodes like a topological sort; inside a cycle take the node with
    // the fewest unplaced inputs. Links against the order are the back links.
    let mut inputs = vec![0usize; n];
    for l in &links {
        inputs[l.1] += 1;
    }
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut pos = vec![usize::MAX; n];
    while let Some(v) = (0..n).filter(|&v| pos[v] == usize::MAX).min_by_key(|&v| (inputs[v], v)) {
        pos[v] = order.len();
        order.push(v);
        for l in links.iter().filter(|l| l.0 == v && pos[l.1] == usize::MAX) {
            inputs[l.1] -= 1;
        }
    }
    let forward = |l: &(usize, usize, Decimal)| pos[l.0] < pos[l.1];
    let mut depth = vec![0usize; n];
    for &v in &order {
        for l in links.iter().filter(|l| l.1 == v && forward(l)) {
            depth[v] = depth[v].max(depth[l.0] + 1);
        }
    }
    let mut inflow = vec![Decimal::ZERO; n];
    let mut outflow = vec![Decimal::ZERO; n];
    for &(a, b, v) in &links {
        outflow[a] = outflow[a].saturating_add(v);
        inflow[b] = inflow[b].saturating_add(v);
    }
    let value: Vec<Decimal> = (0..n).map(|v| inflow[v].max(outflow[v])).collect();

    let max_depth = depth.iter().copied().max().unwrap_or(0);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); max_depth + 1];
    for v in 0..n {
        columns[depth[v]].push(v);
    }
    for c in &mut columns {
        c.sort_by(|&a, &b| value[b].cmp(&value[a]).then(a.cmp(&b)));
    }

    let mut by_size = links.clone();
    by_size.sort_by_key(|l| std::cmp::Reverse(l.2));
    let largest: Vec<String> = by_size
        .iter()
        .take(3)
        .map(|&(a, b, v)| format!("{} → {}: {}", names[a], names[b], money(v, currency)))
        .collect();
    let desc = format!(
        "{} flows between {n} nodes in {} columns. Largest: {}.",
        links.len(),
        columns.len(),
        largest.join("; ")
    );
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(1);
    let height = (20.0 + tallest as f64 * 26.0).max(200.0);
    let mut svg = Svg::new(&chart_id(title, &(flows, currency)), title, &desc, height);

    // geometry: columns between label margins, one scale for all columns
    const NODE_W: f64 = 10.0;
    const GAP: f64 = 14.0;
    const SIDE: f64 = 112.0;
    let (top, avail) = (10.0, height - 20.0);
    let scale = columns
        .iter()
        .map(|c| {
            let sum: f64 = c.iter().map(|&v| to_f64(value[v])).sum();
            (avail - GAP * (c.len() as f64 - 1.0)) / sum
        })
        .fold(f64::INFINITY, f64::min);
    let mut x = vec![0.0; n];
    let mut y = vec![0.0; n];
    let mut h = vec![0.0; n];
    for (d, c) in columns.iter().enumerate() {
        for &v in c {
            h[v] = (to_f64(value[v]) * scale).max(1.0);
        }
        let used: f64 = c.iter().map(|&v| h[v]).sum::<f64>() + GAP * (c.len() as f64 - 1.0);
        let mut at = top + (avail - used).max(0.0) / 2.0;
        for &v in c {
            x[v] = SIDE + d as f64 * (W - 2.0 * SIDE - NODE_W) / max_depth.max(1) as f64;
            y[v] = at;
            at += h[v] + GAP;
        }
    }

    // stack each node's links in the order of the nodes at their other end
    let width = |v: Decimal| to_f64(v) * scale;
    let mid = |v: usize| y[v] + h[v] / 2.0;
    let mut link_order: Vec<usize> = (0..links.len()).collect();
    let mut start = vec![0.0; links.len()];
    let mut end = vec![0.0; links.len()];
    let mut offset = vec![0.0; n];
    link_order.sort_by(|&i, &j| mid(links[i].1).total_cmp(&mid(links[j].1)));
    for &i in &link_order {
        let (a, _, v) = links[i];
        start[i] = y[a] + offset[a] + width(v) / 2.0;
        offset[a] += width(v);
    }
    offset.fill(0.0);
    link_order.sort_by(|&i, &j| mid(links[i].0).total_cmp(&mid(links[j].0)));
    for &i in &link_order {
        let (_, b, v) = links[i];
        end[i] = y[b] + offset[b] + width(v) / 2.0;
        offset[b] += width(v);
    }

    for (i, l) in links.iter().enumerate() {
        let (a, b, v) = *l;
        let (x0, x1) = (x[a] + NODE_W, x[b]);
        let (c0, c1) = if forward(l) { ((x0 + x1) / 2.0, (x0 + x1) / 2.0) } else { (x0 + 60.0, x1 - 60.0) };
        let shape = format!(
            "<path class=\"kc-link kc-series-{}\" d=\"M{} {} C{} {} {} {} {} {}\" stroke-width=\"{}\"/>",
            a % 8,
            px(x0),
            px(start[i]),
            px(c0),
            px(start[i]),
            px(c1),
            px(end[i]),
            px(x1),
            px(end[i]),
            px(width(v).max(1.0))
        );
        let details = format!("{} → {}: {}", names[a], names[b], money(v, currency));
        svg.mark(&shape, &details, ((x0 + x1) / 2.0, (start[i] + end[i]) / 2.0 - 6.0));
    }
    for v in 0..n {
        let shape = format!(
            "<rect class=\"kc-node kc-series-{}\" x=\"{}\" y=\"{}\" width=\"{NODE_W}\" height=\"{}\"/>",
            v % 8,
            px(x[v]),
            px(y[v]),
            px(h[v])
        );
        svg.mark(&shape, &format!("{}: {}", names[v], money(value[v], currency)), (x[v] + NODE_W / 2.0, y[v] - 5.0));
    }
    for v in 0..n {
        let (lx, anchor) = if depth[v] == 0 { (x[v] - 5.0, "end") } else { (x[v] + NODE_W + 5.0, "start") };
        svg.push(&format!(
            "<text class=\"kc-legend\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{} <tspan class=\"kc-muted\">{}</tspan></text>",
            px(lx),
            px(mid(v) + 4.0),
            esc(&clip(names[v], 14)),
            esc(&compact(value[v]))
        ));
    }
    svg.finish()
}

#[cfg(test)]
mod tests;
