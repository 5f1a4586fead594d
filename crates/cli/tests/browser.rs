//! End-to-end tests in a real browser: Debian's headless Chromium, driven
//! through chromedriver, against the real `kassa` binary. Skipped (loudly)
//! when Chromium is not installed, unless `KASSA_REQUIRE_BROWSER=1`.
//! With `KASSA_SCREENSHOTS=<dir>` they also save a screenshot of every page
//! they visit there (that is how `docs/screenshots` is made).

#[path = "browser/harness.rs"]
mod harness;

use harness::{Browser, Server, browser_available};

const EMAIL: &str = "e2e@example.org";
const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn logging_in_through_the_form() {
    if !browser_available() {
        return;
    }
    let server = Server::serve(&[(EMAIL, PASSWORD)]);
    let b = Browser::start(&server).await;

    // A page behind the login sends the browser to the form, remembering where it was going.
    b.open("/login?next=/settings").await;
    b.screenshot("login", true).await;

    b.fill("#email", EMAIL).await;
    b.fill("#password", "not the password").await;
    b.click("form[action='/login'] button[type=submit]").await;
    let alert = b.text("p.alert[role=alert]").await;
    if alert.is_empty() {
        b.fail("a wrong password shows no error").await;
    }
    if b.cookie("kassa_session").await.is_some() {
        b.fail("a wrong password set a session cookie").await;
    }
    // The form keeps the email and where to go next, not the password.
    let email = b.find("#email").await;
    assert_eq!(b.check(email.value().await, "read #email").await.as_deref(), Some(EMAIL));
    let password = b.find("#password").await;
    assert_eq!(b.check(password.value().await, "read #password").await.as_deref(), Some(""));

    b.fill("#password", PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.arrived("/settings").await;
    if b.cookie("kassa_session").await.is_none() {
        b.fail("logging in set no session cookie").await;
    }
}
