//! `kassa bench api`: the HTTP benchmark of docs/BENCHMARKS.md in one
//! command. It seeds the database `--db` names (or reuses the bench user's
//! book already there), logs in, starts this binary's `serve` as a child,
//! checks one page by hand, then drives `wrk` at it and reports throughput,
//! latency percentiles, the server's peak RSS and who used the CPU during the
//! run — the server, wrk, or the rest of the machine.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

const EMAIL: &str = "bench@example.org";
const PASSWORD: &str = "bench-password";

/// What `kassa bench api` loads, and how hard.
#[derive(Debug, Clone)]
pub struct Options {
    /// Transactions to seed when the database has no bench user yet.
    pub transactions: usize,
    /// Concurrent connections, one row each.
    pub connections: Vec<usize>,
    pub wrk_threads: usize,
    /// Seconds of load per row.
    pub seconds: u64,
    /// The month (YYYY-MM) and the account (by name) the page is filtered to.
    pub month: String,
    pub account: String,
    /// Where the server listens during the run.
    pub bind: String,
    /// The load generator's program.
    pub wrk: String,
}

/// One load level's throughput, latency and CPU.
#[derive(Debug, Serialize)]
pub struct Row {
    backend: &'static str,
    connections: usize,
    requests_per_s: String,
    p50_ms: String,
    p90_ms: String,
    p99_ms: String,
    max_ms: String,
    /// Non-2xx replies and socket errors; anything but 0 fails the run.
    errors: u64,
    server_peak_rss_mb: String,
    /// CPU used during the run, in cores (2.0 = both cores of a 2-core machine).
    server_cores: String,
    /// PostgreSQL's own processes (0 on SQLite).
    postgres_cores: String,
    wrk_cores: String,
    other_cores: String,
}

/// The server child: killed when dropped, so a failed run leaves nothing behind.
pub(crate) struct Server(Child);

impl Server {
    /// `kassa serve` from this binary on `url`, once it accepts connections.
    pub(crate) fn start(url: &str, bind: &str) -> anyhow::Result<Server> {
        let mut server = Server(
            Command::new(std::env::current_exe()?)
                // In the environment, not on the command line, where `ps`
                // would show a password in the URL.
                .args(["serve", "--bind", bind])
                .env("KASSA_DB", url)
                .env("KASSA_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .context("cannot start kassa serve")?,
        );
        wait_listening(bind, &mut server)?;
        Ok(server)
    }
}

impl Server {
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Seeds (or reuses) the bench user's book in the database `url` names,
/// serves it and loads one register page with wrk at each connection count.
pub fn run(url: &str, args: &Options) -> anyhow::Result<Vec<Row>> {
    let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let (token, path) = prepare(url, args)?;
    let server = Server::start(url, &args.bind)?;
    let items = check_page(&args.bind, &path, &token)?;
    eprintln!("one page: {items} transactions; GET {path}");
    let url = format!("http://{}{path}", args.bind);
    let auth = format!("authorization: Bearer {token}");
    // Warm the caches (page cache, SQLite's, PostgreSQL's buffers) first.
    wrk(&args.wrk, &["-t2", "-c8", "-d3s", "-H", &auth, &url])?;
    let mut rows = vec![];
    for &c in &args.connections {
        let (t, c, d) = (args.wrk_threads.min(c).to_string(), c.to_string(), format!("{}s", args.seconds));
        eprintln!("{} -t{t} -c{c} -d{d} --latency -H 'authorization: Bearer …' '{url}'", args.wrk);
        let before = Cpu::now(server.0.id())?;
        let out = wrk(&args.wrk, &["-t", &t, "-c", &c, "-d", &d, "--latency", "-H", &auth, &url])?;
        let cpu = Cpu::now(server.0.id())?.since(&before);
        let report = WrkReport::parse(&out).with_context(|| format!("cannot read wrk's output:\n{out}"))?;
        if report.errors > 0 {
            bail!("{} requests failed under load:\n{out}", report.errors);
        }
        rows.push(Row {
            backend,
            connections: c.parse()?,
            requests_per_s: format!("{:.0}", report.requests_per_s),
            p50_ms: ms(report.p50),
            p90_ms: ms(report.p90),
            p99_ms: ms(report.p99),
            max_ms: ms(report.max),
            errors: report.errors,
            server_peak_rss_mb: format!("{:.1}", peak_rss_kib(server.0.id())? as f64 / 1024.0),
            server_cores: format!("{:.2}", cpu.server),
            postgres_cores: format!("{:.2}", cpu.postgres),
            wrk_cores: format!("{:.2}", cpu.wrk),
            other_cores: format!("{:.2}", (cpu.busy - cpu.server - cpu.postgres - cpu.wrk).max(0.0)),
        });
    }
    drop(server);
    Ok(rows)
}

/// Seeds (or finds) the bench book, logs in: the token and the page's path.
fn prepare(url: &str, args: &Options) -> anyhow::Result<(String, String)> {
    let month: jiff::civil::Date =
        format!("{}-01", args.month).parse().with_context(|| format!("--month {}: expected YYYY-MM", args.month))?;
    let last = month.last_of_month();
    let store = kassa_store::open(url).with_context(|| format!("cannot open {}", kassa_store::redact_url(url)))?;
    store.migrate()?;
    if store.user_by_email(EMAIL)?.is_none() {
        drop(store);
        crate::ledger::seed(url, args.transactions, 5_000)?;
        return prepare(url, args);
    }
    eprintln!("using the existing bench user's book in {}", kassa_store::redact_url(url));
    if url.starts_with("postgres") {
        // Planner statistics and visibility map as autovacuum keeps them on
        // a default server after a bulk load (the PostgreSQL this was
        // measured on runs with autovacuum off).
        postgres::Client::connect(url, postgres::NoTls)?.batch_execute("VACUUM ANALYZE")?;
    }
    let app = kassa_app::App::new(std::sync::Arc::from(store), kassa_app::Config::default());
    let token = app.login(EMAIL, PASSWORD, "bench")?.token;
    let actor = app.authenticate(&token)?;
    let book = app.list_books(&actor)?.into_iter().next().context("the bench user has no book")?.id;
    let account = app
        .accounts(&actor, kassa_core::BookId(book))?
        .into_iter()
        .find(|a| a.name == args.account)
        .with_context(|| format!("no account '{}' in the bench book", args.account))?
        .id;
    let path = format!("/api/v1/books/{book}/transactions?account={account}&from={month}&to={last}&limit=100");
    Ok((token, path))
}

fn wait_listening(addr: &str, server: &mut Server) -> anyhow::Result<()> {
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        if let Some(status) = server.0.try_wait()? {
            bail!("kassa serve exited: {status}");
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("kassa serve did not listen on {addr} within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// One request by hand: the page must be a 200 with a full page of items,
/// or the benchmark would be measuring errors.
fn check_page(addr: &str, path: &str, token: &str) -> anyhow::Result<usize> {
    let mut s = TcpStream::connect(addr)?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    let (head, body) = reply.split_once("\r\n\r\n").context("no HTTP reply")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or_default());
    }
    let page: serde_json::Value = serde_json::from_str(body).context("the page is not JSON")?;
    let items = page["items"].as_array().map_or(0, Vec::len);
    if items != 100 {
        bail!("GET {path}: {items} items, expected a full page of 100 (pick a --month with data)");
    }
    Ok(items)
}

fn wrk(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program).args(args).output().with_context(|| format!("cannot run {program}"))?;
    if !out.status.success() {
        bail!("{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What `wrk --latency` prints, in milliseconds.
#[derive(Debug, PartialEq)]
struct WrkReport {
    requests_per_s: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    errors: u64,
}

impl WrkReport {
    fn parse(out: &str) -> Option<WrkReport> {
        let line = |prefix: &str| {
            out.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix)).map(|rest| rest.trim().to_string())
        };
        let percentile = |p: &str| line(&format!("{p}%")).and_then(|v| duration_ms(&v));
        let max = line("Latency").and_then(|l| l.split_whitespace().nth(2).and_then(duration_ms));
        let non_2xx = line("Non-2xx or 3xx responses:").and_then(|v| v.parse().ok()).unwrap_or(0);
        // "Socket errors: connect 0, read 0, write 0, timeout 0"
        let socket: u64 = line("Socket errors:")
            .map_or(0, |v| v.split(',').filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok()).sum());
        Some(WrkReport {
            requests_per_s: line("Requests/sec:")?.parse().ok()?,
            p50: percentile("50")?,
            p90: percentile("90")?,
            p99: percentile("99")?,
            max: max?,
            errors: non_2xx + socket,
        })
    }
}

/// wrk's durations: `812.00us`, `3.25ms`, `1.02s`, `2.00m`.
fn duration_ms(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

fn ms(v: f64) -> String {
    format!("{v:.2}")
}

/// The server's high-water mark of resident memory.
pub(crate) fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/PID/status")
}

/// CPU clock ticks consumed so far: by the whole machine, by the server, by
/// every `postgres` process, and by this process's waited-for children (wrk).
#[derive(Debug, Clone, Copy)]
struct Cpu {
    at: Instant,
    machine_busy: u64,
    server: u64,
    postgres: u64,
    children: u64,
}

/// Cores used over an interval.
#[derive(Debug)]
struct CpuUse {
    busy: f64,
    server: f64,
    postgres: f64,
    wrk: f64,
}

/// Linux reports process times in USER_HZ, which is 100 on every platform it runs on.
const TICKS_PER_S: f64 = 100.0;

impl Cpu {
    fn now(server: u32) -> anyhow::Result<Cpu> {
        let stat = std::fs::read_to_string("/proc/stat")?;
        let cpu: Vec<u64> = stat
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("cpu "))
            .context("no cpu line in /proc/stat")?
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        let machine_busy =
            cpu.iter().take(8).sum::<u64>() - cpu.get(3).copied().unwrap_or(0) - cpu.get(4).copied().unwrap_or(0);
        let srv = process_times(&format!("/proc/{server}/stat"))?.context("the server has gone")?;
        let me = process_times("/proc/self/stat")?.context("no /proc/self/stat")?;
        let mut postgres = 0;
        for entry in std::fs::read_dir("/proc")? {
            let path = entry?.path();
            let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            if comm.trim() == "postgres"
                && let Ok(Some(t)) = process_times(&path.join("stat").to_string_lossy())
            {
                postgres += t.own;
            }
        }
        Ok(Cpu { at: Instant::now(), machine_busy, server: srv.own, postgres, children: me.children })
    }

    fn since(&self, before: &Cpu) -> CpuUse {
        let secs = self.at.duration_since(before.at).as_secs_f64().max(1e-9);
        let cores = |ticks: u64| ticks as f64 / TICKS_PER_S / secs;
        CpuUse {
            busy: cores(self.machine_busy - before.machine_busy),
            server: cores(self.server - before.server),
            // PostgreSQL backends come and go; one that exited makes the sum shrink.
            postgres: cores(self.postgres.saturating_sub(before.postgres)),
            wrk: cores(self.children - before.children),
        }
    }
}

struct Times {
    /// utime + stime
    own: u64,
    /// cutime + cstime: children that were waited for
    children: u64,
}

/// A process's CPU ticks from `/proc/PID/stat`; `None` when it has exited.
fn process_times(path: &str) -> anyhow::Result<Option<Times>> {
    let Ok(s) = std::fs::read_to_string(path) else { return Ok(None) };
    // After the command name in parentheses: state is field 3, utime 14 … cstime 17.
    let rest = s.rsplit_once(')').map(|(_, r)| r).context("malformed stat")?;
    let t: Vec<u64> = rest.split_whitespace().skip(11).take(4).filter_map(|v| v.parse().ok()).collect();
    if t.len() < 4 {
        bail!("malformed {path}");
    }
    Ok(Some(Times { own: t[0] + t[1], children: t[2] + t[3] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let out = "Running 10s test @ http://127.0.0.1:18080/x
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.91ms    3.12ms  61.33ms   82.49%
    Req/Sec     2.76k   210.45     3.30k    71.00%
  Latency Distribution
     50%    5.42ms
     75%    7.01ms
     90%  812.00us
     99%    1.02s
  54961 requests in 10.00s, 1.49GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   5494.17
Transfer/sec:    152.78MB
";
        let r = WrkReport::parse(out).expect("parsed");
        assert_eq!(r, WrkReport { requests_per_s: 5494.17, p50: 5.42, p90: 0.812, p99: 1020.0, max: 61.33, errors: 7 });
    }
}
