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
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tempfile::TempDir;
use thirtyfour::cdp::domains::emulation::{MediaFeature, SetEmulatedMedia};
use thirtyfour::components::SelectElement;
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
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// The last lines a child process wrote, for failure messages.
type Log = Arc<Mutex<VecDeque<String>>>;

/// Reads a child's stdout and stderr to their end on threads of their own
/// (so it never blocks on a full pipe), keeping the last lines in `log`;
/// the receiver gets what `pick` makes of the first line it accepts, or
/// disconnects when both streams end first.
fn watch(child: &mut Child, log: &Log, pick: fn(&str) -> Option<String>) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
    let err: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
    for stream in [out, err] {
        follow(stream, log.clone(), pick, tx.clone());
    }
    rx
}

fn follow(stream: Box<dyn Read + Send>, log: Log, pick: fn(&str) -> Option<String>, tx: Sender<String>) {
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
        Server::start(dir, &["--db", &db, "serve", "--bind", "127.0.0.1:0"])
    }

    /// `kassa demo` on a copy of the demo database (seeded once, see
    /// [`seeded_demo`]), so a test may change it freely.
    pub fn demo() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.sqlite");
        std::fs::copy(seeded_demo(), &db).expect("copy the demo database");
        let db = format!("sqlite://{}", db.display());
        Server::start(dir, &["demo", "--bind", "127.0.0.1:0", "--db", &db])
    }

    /// Runs `kassa ARGS` until it names its URL: `kassa serve` on stderr,
    /// `kassa demo` as its first line on stdout.
    fn start(dir: TempDir, args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kassa"));
        cmd.args(args).env("KASSA_LOG", "warn");
        let mut process = Group::spawn(&mut cmd);
        let log = Log::default();
        let found = watch(&mut process.0, &log, |line| {
            let rest = line.strip_prefix("kassa listening on ").or_else(|| line.strip_prefix("kassa demo: "))?;
            let url = rest.split_whitespace().next()?;
            url.starts_with("http://").then(|| url.trim_end_matches('/').to_string())
        });
        let base = ready(&found, &log, &format!("kassa {}", args.join(" ")));
        Server { base, log, _process: process, _dir: dir }
    }
}

/// The demo database, made by `kassa demo --seed-only` once and kept under
/// the target directory for as long as the same binary runs on the same day
/// (the demo's history ends today); seeding takes a minute in a debug build.
fn seeded_demo() -> &'static Path {
    static SEEDED: OnceLock<PathBuf> = OnceLock::new();
    SEEDED.get_or_init(|| {
        let bin = Path::new(env!("CARGO_BIN_EXE_kassa"));
        let meta = std::fs::metadata(bin).expect("the kassa binary");
        let built = meta.modified().unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let day = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() / 86_400;
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-demo");
        let path = dir.join(format!("demo-{built}-{}-{day}.sqlite", meta.len()));
        if path.exists() {
            return path;
        }
        // Older seeds are of another binary or day.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let partial = dir.join("seeding.sqlite");
        let out = Command::new(bin)
            .args(["demo", "--seed-only", "--db", &format!("sqlite://{}", partial.display())])
            .output()
            .expect("run kassa demo --seed-only");
        assert!(out.status.success(), "kassa demo --seed-only: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::rename(&partial, &path).unwrap();
        path
    })
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
        let found = watch(&mut chromedriver.0, &log, |line| line.contains("started successfully").then(String::new));
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
        // Relative to the workspace, not to this crate (cargo's working
        // directory for tests), so `KASSA_SCREENSHOTS=docs/screenshots` works.
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let shots = std::env::var_os("KASSA_SCREENSHOTS").map(|dir| workspace.join(dir));
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
        self.go(path).await;
        self.arrived(path).await;
    }

    /// Navigates to `path` that redirects: follow with `arrived`.
    pub async fn go(&self, path: &str) {
        let r = self.driver.goto(self.url(path)).await;
        self.check(r, format!("open {path}")).await;
    }

    /// Marks the page shown now, before an action that leaves it, so the
    /// next [`arrived`](Self::arrived) waits for another document even when
    /// the URL stays the same (a form posted back to its own page).
    pub async fn leaving(&self) {
        self.js("window.__kassaLeft = true").await;
    }

    /// Waits until the browser shows `path` (path and query, as the server
    /// redirected or a form led), loaded, then fails on any reference to
    /// another origin in the page or among what it loaded, and on any CSP
    /// violation.
    pub async fn arrived(&self, path: &str) {
        let want = self.url(path);
        self.wait_for_page(|url| url == want, &want).await;
    }

    /// As [`arrived`](Self::arrived), for a URL that starts with `prefix`;
    /// returns its path and query.
    pub async fn arrived_under(&self, prefix: &str) -> String {
        let want = self.url(prefix);
        let url = self.wait_for_page(|url| url.starts_with(&want), &format!("{want}…")).await;
        url.strip_prefix(&self.base).unwrap_or(&url).to_string()
    }

    async fn wait_for_page(&self, wanted: impl Fn(&str) -> bool, want: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let at = loop {
            let at = self.check(self.driver.current_url().await, "read the URL").await.to_string();
            let state = self.js("return window.__kassaLeft ? 'the page before' : document.readyState").await;
            if wanted(&at) && state == "complete" {
                break at;
            }
            if Instant::now() > deadline {
                self.fail(format!("expected to be at {want} (loaded), still at {at} ({state})")).await;
            }
            tokio::time::sleep(POLL).await;
        };
        let (foreign, csp) = self.strays().await;
        for (found, what) in [(foreign, "names or loaded another origin"), (csp, "violates its CSP")] {
            if !found.is_empty() {
                self.fail(format!("{at} {what}: {found:?}")).await;
            }
        }
        at
    }

    /// What the page shown names or loaded from another origin (`src`,
    /// `href` and form actions, and every resource fetched), and the CSP
    /// violations reported since it began to load.
    pub async fn strays(&self) -> (Vec<String>, Vec<String>) {
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
                return [foreign, window.__kassaCsp || []];
            "#)
            .await;
        let list = |v: &Value| {
            v.as_array().into_iter().flatten().map(|s| s.as_str().unwrap_or_default().to_string()).collect()
        };
        (list(&found[0]), list(&found[1]))
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

    /// Clicks a button or link that leads to another page; see
    /// [`leaving`](Self::leaving).
    pub async fn submit(&self, css: &str) {
        self.leaving().await;
        self.click(css).await;
    }

    /// Picks the option with `value` in the select `css`, as a click would.
    pub async fn choose(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        let select = self.check(SelectElement::new(&el).await, format!("`{css}` as a select")).await;
        self.check(select.select_by_value(value).await, format!("choose {value:?} in `{css}`")).await;
    }

    /// The visible text of every element matching `css` (none is fine).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let r = self.driver.query(By::Css(css)).nowait().all_from_selector().await;
        let mut texts = Vec::new();
        for el in self.check(r, format!("find every `{css}`")).await {
            texts.push(self.check(el.text().await, format!("read the text of `{css}`")).await);
        }
        texts
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

    /// With `KASSA_SCREENSHOTS`, saves the page as `<name>-dark.png` in the
    /// dark colour scheme a browser set to dark mode asks for.
    pub async fn screenshot_dark(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        let cdp = self.driver.cdp();
        let dark = vec![MediaFeature { name: "prefers-color-scheme".into(), value: "dark".into() }];
        let r = cdp.send(SetEmulatedMedia { media: None, features: Some(dark) }).await;
        self.check(r, "emulate dark mode").await;
        self.full_page(&dir.join(format!("{name}-dark.png")), DESKTOP, false).await;
        let r = cdp.send(SetEmulatedMedia { media: None, features: Some(Vec::new()) }).await;
        self.check(r, "end dark mode").await;
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
