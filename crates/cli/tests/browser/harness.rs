//! What the browser tests stand on: the real `kassa` binary serving a
//! temporary database, and Debian's headless Chromium driven through its
//! chromedriver. Both run as child processes and are killed on drop, also
//! when a test panics.
//!
//! Every page a test opens goes through [`Browser::open`] or
//! [`Browser::arrived`], which fail on any URL of another origin the page
//! names or loaded and on any Content-Security-Policy violation, so "no page
//! loads anything from outside the server" is checked by a real browser on
//! every page the tests see.

use std::collections::VecDeque;
use std::fmt::Display;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;
use thirtyfour::extensions::query::ElementPollerWithTimeout;
use thirtyfour::prelude::*;
use thirtyfour::{ChromeCapabilities, ChromiumLikeCapabilities};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The desktop window every test sees.
const DESKTOP: (u32, u32) = (1280, 900);
/// The phone viewport of the `-phone` screenshots.
const PHONE: (u32, u32) = (390, 844);
/// How long a process may take to say it is ready, and an element to appear.
const STARTUP: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// The last lines a child process wrote, for failure messages.
type Log = Arc<Mutex<VecDeque<String>>>;

/// Reads `stream` to its end on its own thread (so the child never blocks on
/// a full pipe), keeping the last lines in `log`; the receiver gets the
/// first line `pick` accepts, or disconnects when the stream ends first.
fn watch(stream: impl Read + Send + 'static, log: Log, pick: fn(&str) -> Option<String>) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(found) = pick(&line)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(found);
            }
            let mut log = log.lock().unwrap();
            if log.len() == 200 {
                log.pop_front();
            }
            log.push_back(line);
        }
    });
    rx
}

fn tail(log: &Log) -> String {
    log.lock().unwrap().iter().map(|l| format!("    | {l}\n")).collect()
}

/// Waits for the line [`watch`] looks for; `what` names the process.
fn ready(rx: &Receiver<String>, log: &Log, what: &str) -> String {
    rx.recv_timeout(STARTUP).unwrap_or_else(|e| {
        let why = if e == mpsc::RecvTimeoutError::Timeout { "did not get ready in time" } else { "exited" };
        panic!("{what} {why}; its output:\n{}", tail(log))
    })
}

/// A child process killed, with everything in its process group, on drop.
struct Group(Child);

impl Group {
    fn spawn(cmd: &mut Command) -> Group {
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Group(child)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // The group, not just the child: chromedriver's Chromium processes
        // stay in it and would outlive the test otherwise.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `kassa` serving a fresh SQLite database on a free port.
pub struct Server {
    pub base: String,
    log: Log,
    _process: Group,
    _dir: TempDir,
}

impl Server {
    /// `kassa serve` on a new database holding `users` (email, password).
    pub fn serve(users: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("kassa.db").display());
        for (email, password) in users {
            let mut add = Command::new(env!("CARGO_BIN_EXE_kassa"))
                .args(["--db", &db, "user", "add", email, "--password-stdin"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run kassa user add");
            add.stdin.take().unwrap().write_all(password.as_bytes()).unwrap();
            let out = add.wait_with_output().unwrap();
            assert!(out.status.success(), "kassa user add {email}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kassa"));
        cmd.args(["--db", &db, "serve", "--bind", "127.0.0.1:0"]).env("KASSA_LOG", "warn");
        let mut process = Group::spawn(&mut cmd);
        let log = Log::default();
        let found = watch(process.0.stderr.take().unwrap(), log.clone(), |line| {
            let rest = line.strip_prefix("kassa listening on ")?;
            Some(rest.split_whitespace().next()?.trim_end_matches('/').to_string())
        });
        let _stdout = watch(process.0.stdout.take().unwrap(), log.clone(), |_| None);
        let base = ready(&found, &log, "kassa serve");
        Server { base, log, _process: process, _dir: dir }
    }
}

/// Headless Chromium on its own profile, through its own chromedriver.
pub struct Browser {
    driver: WebDriver,
    base: String,
    server_log: Log,
    shots: Option<PathBuf>,
    failures: PathBuf,
    _chromedriver: Group,
    _profile: TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing chromedriver's process group (next) ends Chromium too.
        // thirtyfour's own drop would instead end the session with a blocking
        // request on a clone of the test runtime's HTTP client, which hangs
        // for its 120 s timeout while that runtime is blocked.
        let _ = self.driver.clone().leak();
    }
}

/// False (after saying so on stderr) when this machine has no Chromium,
/// unless `KASSA_REQUIRE_BROWSER=1`, which makes that a failure.
pub fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM].into_iter().filter(|p| !Path::new(p).exists()).collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!("browser tests need {} (apt-get install chromium chromium-driver)", missing.join(" and "));
    assert!(std::env::var("KASSA_REQUIRE_BROWSER").as_deref() != Ok("1"), "KASSA_REQUIRE_BROWSER=1 but {msg}");
    eprintln!("SKIPPED: {msg}");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// A browser on `server`: paths are relative to its URL.
    pub async fn start(server: &Server) -> Browser {
        let port = free_port();
        let mut cmd = Command::new(CHROMEDRIVER);
        cmd.arg(format!("--port={port}"));
        let mut chromedriver = Group::spawn(&mut cmd);
        let log = Log::default();
        let found = watch(chromedriver.0.stdout.take().unwrap(), log.clone(), |line| {
            line.contains("started successfully").then(String::new)
        });
        let _stderr = watch(chromedriver.0.stderr.take().unwrap(), log.clone(), |_| None);
        ready(&found, &log, "chromedriver");

        let profile = tempfile::tempdir().unwrap();
        let mut caps = ChromeCapabilities::new();
        caps.set_binary(CHROMIUM).unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            &format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            &format!("--user-data-dir={}", profile.path().display()),
        ] {
            caps.add_arg(arg).unwrap();
        }
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
            .await
            .unwrap_or_else(|e| panic!("cannot start Chromium: {e}; chromedriver said:\n{}", tail(&log)));
        driver.set_poller(Arc::new(ElementPollerWithTimeout::new(WAIT, POLL)));
        // Registered before any page script runs, so a violation during
        // load is seen too; `arrived` reads the list.
        driver
            .cdp()
            .page()
            .add_script_to_evaluate_on_new_document(
                "window.__kassaCsp = []; document.addEventListener('securitypolicyviolation', \
                 e => window.__kassaCsp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') \
                 + ' at ' + e.sourceFile + ':' + e.lineNumber));",
            )
            .await
            .expect("install the CSP listener");

        let failures = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-failures");
        let shots = std::env::var_os("KASSA_SCREENSHOTS").map(PathBuf::from);
        if let Some(dir) = &shots {
            std::fs::create_dir_all(dir).unwrap();
        }
        Browser {
            driver,
            base: server.base.clone(),
            server_log: server.log.clone(),
            shots,
            failures,
            _chromedriver: chromedriver,
            _profile: profile,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Panics with `what`, the page's URL, a screenshot of it and the
    /// server's last words.
    pub async fn fail(&self, what: impl Display) -> ! {
        static FAILURES: AtomicUsize = AtomicUsize::new(0);
        let url = self.driver.current_url().await.map_or_else(|e| format!("(unknown: {e})"), |u| u.to_string());
        std::fs::create_dir_all(&self.failures).unwrap();
        // The test harness names each test's thread after the test.
        let test = std::thread::current().name().unwrap_or("test").replace("::", "-");
        let n = FAILURES.fetch_add(1, Ordering::Relaxed);
        let path = self.failures.join(format!("{test}-{n}.png"));
        let shot = match self.driver.screenshot(&path).await {
            Ok(()) => path.display().to_string(),
            Err(e) => format!("(none: {e})"),
        };
        panic!("{what}\n  page: {url}\n  screenshot: {shot}\n  server log:\n{}", tail(&self.server_log))
    }

    /// The value of a WebDriver call, or [`fail`](Self::fail) naming `what`.
    pub async fn check<T>(&self, r: WebDriverResult<T>, what: impl Display) -> T {
        match r {
            Ok(v) => v,
            Err(e) => self.fail(format!("{what}: {e}")).await,
        }
    }

    /// Opens `path` and checks the page as [`arrived`](Self::arrived) does.
    pub async fn open(&self, path: &str) {
        let r = self.driver.goto(self.url(path)).await;
        self.check(r, format!("open {path}")).await;
        self.arrived(path).await;
    }

    /// Waits until the browser shows `path` (path and query, as the server
    /// redirected or a form led), then fails on any reference to another
    /// origin in the page or among what it loaded, and on any CSP violation.
    pub async fn arrived(&self, path: &str) {
        let want = self.url(path);
        let deadline = Instant::now() + WAIT;
        loop {
            let at = self.check(self.driver.current_url().await, "read the URL").await;
            let state = self.js("return document.readyState").await;
            if at.as_str() == want && state == "complete" {
                break;
            }
            if Instant::now() > deadline {
                self.fail(format!("expected to be at {want} (loaded), still at {at} ({state})")).await;
            }
            tokio::time::sleep(POLL).await;
        }
        let found = self
            .js(r#"
                const here = location.origin;
                const urls = performance.getEntriesByType('resource').map(e => e.name);
                for (const el of document.querySelectorAll('[src],[href],form[action]')) {
                    for (const a of ['src', 'href', 'action']) {
                        const v = el.getAttribute(a);
                        if (v !== null) urls.push(v);
                    }
                }
                const foreign = urls.filter(u => {
                    const url = new URL(u, document.baseURI);
                    return url.protocol !== 'data:' && url.origin !== here;
                });
                return { foreign, csp: window.__kassaCsp || [] };
            "#)
            .await;
        for (key, what) in [("foreign", "names or loaded another origin"), ("csp", "violates its CSP")] {
            if found[key].as_array().is_some_and(|a| !a.is_empty()) {
                self.fail(format!("{path} {what}: {}", found[key])).await;
            }
        }
    }

    /// The JSON value a script returns.
    pub async fn js(&self, script: &str) -> Value {
        let r = self.driver.execute(script, Vec::new()).await;
        self.check(r, format!("run script {script:.60}")).await.json().clone()
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> WebElement {
        let r = self.driver.query(By::Css(css)).first().await;
        self.check(r, format!("find `{css}`")).await
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.check(el.text().await, format!("read the text of `{css}`")).await
    }

    /// Types `text` into the field `css` (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.check(el.clear().await, format!("clear `{css}`")).await;
        self.check(el.send_keys(text).await, format!("type into `{css}`")).await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.check(el.click().await, format!("click `{css}`")).await;
    }

    pub async fn cookie(&self, name: &str) -> Option<String> {
        let all = self.check(self.driver.get_all_cookies().await, "read the cookies").await;
        all.into_iter().find(|c| c.name == name).map(|c| c.value)
    }

    /// With `KASSA_SCREENSHOTS=<dir>`, saves the whole page as `<dir>/<name>.png`;
    /// with `phone`, also as `<name>-phone.png` at a phone's width.
    pub async fn screenshot(&self, name: &str, phone: bool) {
        let Some(dir) = &self.shots else { return };
        self.full_page(&dir.join(format!("{name}.png")), DESKTOP, false).await;
        if phone {
            self.full_page(&dir.join(format!("{name}-phone.png")), PHONE, true).await;
        }
    }

    /// A screenshot of the whole page laid out `width` wide: the viewport is
    /// emulated as tall as the document, then restored.
    async fn full_page(&self, path: &Path, (width, height): (u32, u32), mobile: bool) {
        // No focus ring or blinking caret: the same page makes the same picture.
        self.js("document.activeElement?.blur()").await;
        let cdp = self.driver.cdp();
        let emulation = cdp.emulation();
        let r = emulation.set_device_metrics_override(width, height, 1.0, mobile).await;
        self.check(r, "emulate the viewport").await;
        let tall = self.js("return document.documentElement.scrollHeight").await;
        let tall = tall.as_u64().map_or(height, |h| (h as u32).max(height));
        let r = emulation.set_device_metrics_override(width, tall, 1.0, mobile).await;
        self.check(r, "stretch the viewport").await;
        let png = self.driver.screenshot_as_png().await;
        let png = self.check(png, format!("screenshot {}", path.display())).await;
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        let r = emulation.clear_device_metrics_override().await;
        self.check(r, "restore the viewport").await;
    }
}
