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
--kc-bg:#fff;display:block;height:auto;font:inherit;font-size:13px;overflow:visible}
@media (prefers-color-scheme:dark){.kc-chart{--kc-c0:#60a5fa;--kc-c1:#fbbf24;--kc-c2:#34d399;\
--kc-c3:#f87171;--kc-c4:#a78bfa;--kc-c5:#22d3ee;--kc-c6:#f472b6;--kc-c7:#a3e635;--kc-fg:#e5e7eb;\
--kc-muted:#9ca3af;--kc-grid:#374151;--kc-bg:#111827}}
.kc-series-0{color:var(--kc-c0)}.kc-series-1{color:var(--kc-c1)}.kc-series-2{color:var(--kc-c2)}\
.kc-series-3{color:var(--kc-c3)}.kc-series-4{color:var(--kc-c4)}.kc-series-5{color:var(--kc-c5)}\
.kc-series-6{color:var(--kc-c6)}.kc-series-7{color:var(--kc-c7)}
.kc-chart text{fill:var(--kc-fg)}
.kc-chart .kc-label,.kc-chart .kc-muted{fill:var(--kc-muted);font-size:12px}
.kc-grid{stroke:var(--kc-grid);stroke-width:1}
.kc-axis{stroke:var(--kc-muted);stroke-width:1}
.kc-zero{stroke:var(--kc-muted);stroke-width:1.5}
.kc-line{fill:none;stroke:currentColor;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.kc-area{fill:currentColor;fill-opacity:.15;stroke:none}
.kc-dot{fill:currentColor;stroke:var(--kc-bg);stroke-width:1}
.kc-bar,.kc-slice,.kc-node,.kc-swatch{fill:currentColor}
.kc-slice{stroke:var(--kc-bg);stroke-width:1}
.kc-link{fill:none;stroke:currentColor;stroke-opacity:.3}
.kc-pt{outline:none}
.kc-chart .kc-hit{fill:transparent;stroke:transparent}
.kc-pt:hover>.kc-hit:not(.kc-link),.kc-pt:focus>.kc-hit:not(.kc-link){stroke:var(--kc-fg);stroke-width:2px}
.kc-pt:hover>.kc-hit.kc-link,.kc-pt:focus>.kc-hit.kc-link{stroke:currentColor;stroke-opacity:.4}
.kc-chart .kc-tip,.kc-chart .kc-halo{stroke:var(--kc-bg);stroke-width:4px;stroke-linejoin:round;paint-order:stroke}
.kc-chart .kc-tip{display:none;pointer-events:none}
.kc-chart .kc-tip-value{font-weight:600}
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

/// Estimated width of 12–13px text: there are no font metrics server-side,
/// so this errs wide (DejaVu Sans, a wide fallback, fits).
fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * 7.4
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

/// An SVG being written. Marks are drawn twice: the coloured shape in place,
/// and a transparent copy carrying its title and tip in a layer written
/// last, so a shown tip is never covered by a later bar or node (SVG paints
/// in document order and has no z-index).
struct Svg {
    out: String,
    marks: Vec<String>,
    /// Whether marks are tab stops.
    focusable: bool,
}

impl Svg {
    fn new(id: &str, title: &str, desc: &str, height: f64) -> Svg {
        let out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"kc-chart\" viewBox=\"0 0 {W} {}\" width=\"100%\" \
             role=\"img\" aria-labelledby=\"{id}-t\" aria-describedby=\"{id}-d\">\n\
             <title id=\"{id}-t\">{}</title>\n<desc id=\"{id}-d\">{}</desc>\n",
            px(height),
            esc(title),
            esc(desc)
        );
        Svg { out, marks: Vec::new(), focusable: true }
    }

    fn push(&mut self, element: &str) {
        self.out.push_str(element);
        self.out.push('\n');
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

    /// A data mark: a `<tag class attrs/>` (none drawn when `class` is
    /// empty) whose hit copy has "label: value" as its `<title>` (pointer
    /// hover, screen readers) and a two-line tip — label over value, narrow
    /// enough for a phone — with the value line at `at`, shown on hover and
    /// focus.
    fn mark(&mut self, tag: &str, class: &str, attrs: &str, label: &str, value: &str, (x, y): (f64, f64)) {
        if !class.is_empty() {
            self.push(&format!("<{tag} class=\"{class}\" {attrs}/>"));
        }
        let anchor = if x < W / 4.0 {
            "start"
        } else if x > W * 0.75 {
            "end"
        } else {
            "middle"
        };
        let (label, value) = (esc(label), esc(value));
        let title = if label.is_empty() { value.clone() } else { format!("{label}: {value}") };
        let (x, y) = (px(x), y.max(30.0));
        let tabindex = if self.focusable { " tabindex=\"0\"" } else { "" };
        self.marks.push(format!(
            "<g class=\"kc-pt\"{tabindex}><title>{title}</title><{tag} class=\"{}\" {attrs}/>\
             <text class=\"kc-tip\" x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\">{label}</text>\
             <text class=\"kc-tip kc-tip-value\" x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\">{value}</text></g>",
            format!("kc-hit {class}").trim_end(),
            px(y - 16.0),
            px(y)
        ));
    }

    /// Writes the marks' hit layer now, above everything drawn so far.
    fn flush_marks(&mut self) {
        for m in std::mem::take(&mut self.marks) {
            self.push(&m);
        }
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
        self.flush_marks();
        self.out.push_str("</svg>");
        self.out
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

/// The frame of a line or bar chart: a legend when there are several
/// series, and below it the value axis for `lo..=hi`.
struct Plot {
    axis: Axis,
    top: f64,
    bottom: f64,
}

impl Plot {
    fn draw(svg: &mut Svg, names: &[&str], lo: Decimal, hi: Decimal) -> Plot {
        let top = if names.len() > 1 { svg.legend(names, 14.0) + 10.0 } else { 12.0 };
        let (axis, bottom) = (Axis::new(to_f64(lo), to_f64(hi)), H - MB);
        axis.draw(svg, top, bottom);
        Plot { axis, top, bottom }
    }

    fn y(&self, v: Decimal) -> f64 {
        self.axis.y(to_f64(v), self.top, self.bottom)
    }

    /// The x-axis labels under the plot; a second-row label is left out
    /// where it would run into the previous one.
    fn x_labels(&self, svg: &mut Svg, ticks: &[Tick]) {
        let (y, mut last_bottom) = (self.bottom + 14.0, None::<f64>);
        for t in ticks {
            svg.line("kc-axis", (t.x, self.bottom), (t.x, self.bottom + 4.0));
            svg.text((t.x, y), "middle", "kc-label", &t.top);
            if let Some(b) = &t.bottom
                && last_bottom.is_none_or(|last| t.x - last >= text_w(b) + 8.0)
            {
                svg.text((t.x, y + 13.0), "middle", "kc-label", b);
                last_bottom = Some(t.x);
            }
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

    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let plot = Plot::draw(&mut svg, &names, lo, hi);

    let span_days = last.duration_since(first).as_secs() as f64 / 86_400.0;
    let x = |d: Date| {
        if span_days > 0.0 {
            ML + d.duration_since(first).as_secs() as f64 / 86_400.0 / span_days * (W - ML - MR)
        } else {
            (ML + W - MR) / 2.0
        }
    };
    let y = |v: Decimal| plot.y(v);
    let max_labels = ((W - ML - MR) / 44.0) as usize;
    let ticks: Vec<Tick> =
        date_ticks(first, last, max_labels).into_iter().map(|(d, top, bottom)| Tick { x: x(d), top, bottom }).collect();
    plot.x_labels(&mut svg, &ticks);

    let path = |pts: &[(Date, Decimal)]| -> String {
        pts.iter()
            .enumerate()
            .map(|(i, &(d, v))| format!("{}{} {}", if i == 0 { "M" } else { " L" }, px(x(d)), px(y(v))))
            .collect()
    };
    if area
        && let Some(s0) = sorted.first()
        && let (Some(p0), Some(pn)) = (s0.first(), s0.last())
    {
        let base = px(y(Decimal::ZERO));
        svg.push(&format!(
            "<path class=\"kc-area kc-series-0\" d=\"{} L{} {base} L{} {base} Z\"/>",
            path(s0),
            px(x(pn.0)),
            px(x(p0.0))
        ));
    }
    for (i, pts) in sorted.iter().enumerate().filter(|(_, p)| p.len() > 1) {
        svg.push(&format!("<path class=\"kc-line kc-series-{}\" d=\"{}\"/>", i % 8, path(pts)));
    }
    // One mark per 3px column (closer points cannot be told apart by a
    // pointer), the column's last point; tab stops only while they are few
    // enough to walk through — the desc summarises a long series instead.
    let column = |d: Date| ((x(d) - ML) / 3.0).floor();
    svg.focusable = points().count() <= 100;
    for (i, (s, pts)) in series.iter().zip(&sorted).enumerate() {
        // a long daily series would be a row of beads: its dots show on hover only
        let class = if pts.len() > 40 { String::new() } else { format!("kc-dot kc-series-{}", i % 8) };
        let last_in_column =
            pts.iter().enumerate().filter(|(j, p)| pts.get(j + 1).is_none_or(|n| column(n.0) != column(p.0)));
        for (_, &(d, v)) in last_in_column {
            let (cx, cy) = (x(d), y(v));
            let attrs = format!("cx=\"{}\" cy=\"{}\" r=\"3.5\"", px(cx), px(cy));
            let label = if s.name.is_empty() { d.to_string() } else { format!("{}, {d}", s.name) };
            svg.mark("circle", &class, &attrs, &label, &money(v, currency), (cx, cy - 9.0));
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

    let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
    let plot = Plot::draw(&mut svg, &names, lo, hi);
    let y = |v: Decimal| plot.y(v);

    let band = (W - ML - MR) / labels.len() as f64;
    let bar_w = (band * 0.7).min(48.0);
    let centre = |i: usize| ML + band * (i as f64 + 0.5);
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
            let attrs = format!(
                "x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
                px(centre(i) - bar_w / 2.0),
                px(y0.min(y1)),
                px(bar_w),
                px((y0 - y1).abs().max(0.5))
            );
            let name = if s.name.is_empty() { label.clone() } else { format!("{}, {label}", s.name) };
            let class = format!("kc-bar kc-series-{}", j % 8);
            svg.mark("rect", &class, &attrs, &name, &money(v, currency), (centre(i), y0.min(y1) - 5.0));
        }
    }
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
    plot.x_labels(&mut svg, &shown);
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
        let attrs = format!(
            "d=\"M{} A{outer} {outer} 0 0 1 {} A{outer} {outer} 0 0 1 {} \
             L{} A{inner} {inner} 0 0 0 {} A{inner} {inner} 0 0 0 {} Z\"",
            at(outer, t0),
            at(outer, tm),
            at(outer, t1),
            at(inner, t1),
            at(inner, tm),
            at(inner, t0)
        );
        let class = format!("kc-slice kc-series-{}", i % 8);
        svg.mark("path", &class, &attrs, name, &format!("{} ({})", money(*v, currency), share(*v)), (cx, cy + 12.0));
    }
    // after the slices' tips, so hovering a slice can hide it (`.kc-pt:hover ~ .kc-total`)
    svg.flush_marks();
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
        svg.text((262.0, row), "start", "kc-legend", &clip(name, 15));
        svg.text((W - 46.0, row), "end", "kc-label", &compact(*v));
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
    // where money ends (expense categories) lines up in the last column, its
    // labels in the right margin instead of over the links
    for (v, d) in depth.iter_mut().enumerate() {
        if !links.iter().any(|l| l.0 == v && forward(l)) {
            *d = max_depth;
        }
    }
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
    // geometry: columns between label margins, one scale for all columns;
    // labels ("name amount") go left of the first column, right of the last
    // and above the nodes of middle columns, where links pass on both sides
    const NODE_W: f64 = 10.0;
    const GAP: f64 = 16.0;
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let top = if max_depth > 1 { 26.0 } else { 10.0 };
    let avail = (tallest * 26.0).max(180.0);
    let labels: Vec<(String, String)> = (0..n).map(|v| (clip(names[v], 14), compact(value[v]))).collect();
    let margin = |d: usize| {
        let widest = (0..n).filter(|&v| depth[v] == d).map(|v| text_w(&labels[v].0) + text_w(&labels[v].1) + 4.0);
        widest.fold(0.0, f64::max) + 14.0
    };
    let (left, right) = (margin(0), margin(max_depth));
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
            x[v] = left + d as f64 * (W - left - right - NODE_W) / max_depth.max(1) as f64;
            y[v] = at;
            at += h[v] + GAP;
        }
    }

    // Stack each node's links in the order of the nodes at their other end;
    // back links (closing a cycle) leave and enter at the bottom and run
    // back in lanes under the diagram.
    let width = |v: Decimal| to_f64(v) * scale;
    let mid = |v: usize| y[v] + h[v] / 2.0;
    let key = |l: &(usize, usize, Decimal), other: usize| if forward(l) { mid(other) } else { f64::INFINITY };
    let mut link_order: Vec<usize> = (0..links.len()).collect();
    let mut start = vec![0.0; links.len()];
    let mut end = vec![0.0; links.len()];
    let mut offset = vec![0.0; n];
    link_order.sort_by(|&i, &j| key(&links[i], links[i].1).total_cmp(&key(&links[j], links[j].1)));
    for &i in &link_order {
        let (a, _, v) = links[i];
        start[i] = y[a] + offset[a] + width(v) / 2.0;
        offset[a] += width(v);
    }
    offset.fill(0.0);
    link_order.sort_by(|&i, &j| key(&links[i], links[i].0).total_cmp(&key(&links[j], links[j].0)));
    for &i in &link_order {
        let (_, b, v) = links[i];
        end[i] = y[b] + offset[b] + width(v) / 2.0;
        offset[b] += width(v);
    }
    let mut lanes = top + avail + 10.0;
    let mut lane = vec![0.0; links.len()];
    for (i, l) in links.iter().enumerate().filter(|(_, l)| !forward(l)) {
        lane[i] = lanes + width(l.2) / 2.0;
        lanes += width(l.2) + 4.0;
    }

    let height = lanes + 6.0;
    let mut svg = Svg::new(&chart_id(title, &(flows, currency)), title, &desc, height);
    for (i, l) in links.iter().enumerate() {
        let (a, b, v) = *l;
        let (x0, x1, s, e) = (x[a] + NODE_W, x[b], px(start[i]), px(end[i]));
        let d = if forward(l) {
            let c = px((x0 + x1) / 2.0);
            format!("M{} {s} C{c} {s} {c} {e} {} {e}", px(x0), px(x1))
        } else {
            let (half, ly) = (width(v) / 2.0, px(lane[i]));
            let xr = px((x0 + half + 12.0).min(W - half));
            let xl = px((x1 - half - 12.0).max(half));
            let (x0, x1) = (px(x0), px(x1));
            format!("M{x0} {s} C{xr} {s} {xr} {ly} {x0} {ly} L{x1} {ly} C{xl} {ly} {xl} {e} {x1} {e}")
        };
        let attrs = format!("d=\"{d}\" stroke-width=\"{}\"", px(width(v).max(1.0)));
        let tip =
            if forward(l) { ((x0 + x1) / 2.0, (start[i] + end[i]) / 2.0 + 4.0) } else { ((x0 + x1) / 2.0, lane[i]) };
        let class = format!("kc-link kc-series-{}", a % 8);
        svg.mark("path", &class, &attrs, &format!("{} → {}", names[a], names[b]), &money(v, currency), tip);
    }
    for v in 0..n {
        let attrs = format!("x=\"{}\" y=\"{}\" width=\"{NODE_W}\" height=\"{}\"", px(x[v]), px(y[v]), px(h[v]));
        let class = format!("kc-node kc-series-{}", v % 8);
        svg.mark("rect", &class, &attrs, names[v], &money(value[v], currency), (x[v] + NODE_W / 2.0, y[v] - 5.0));
    }
    for v in 0..n {
        let (lx, ly, anchor) = match depth[v] {
            0 => (x[v] - 5.0, mid(v) + 4.0, "end"),
            d if d == max_depth => (x[v] + NODE_W + 5.0, mid(v) + 4.0, "start"),
            _ => (x[v] + NODE_W / 2.0, y[v] - 5.0, "middle"),
        };
        svg.push(&format!(
            "<text class=\"kc-legend kc-halo\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{} <tspan class=\"kc-muted\">{}</tspan></text>",
            px(lx),
            px(ly),
            esc(&labels[v].0),
            esc(&labels[v].1)
        ));
    }
    svg.finish()
}

#[cfg(test)]
mod tests;
