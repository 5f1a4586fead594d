//! Serving: the middleware around the API (request ids, tracing, timeouts,
//! body limits, gzip, security headers, CSRF, idempotency keys) and
//! `serve` with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use kassa_app::{Claim, ClaimOutcome, IdempotentRequest, StoredResponse};
use sha2::{Digest, Sha256};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{self, blocking, credential};
use crate::config::{HttpLimits, Proxies};
use crate::error::ApiError;
use kassa_app::{App, AppError};

tokio::task_local! {
    /// The claim of the idempotent request being served, which
    /// `api::blocking` hands to the application (`App::with_claim`).
    pub(crate) static CLAIM: Arc<IdempotentRequest>;
}

/// Routes whose replies carry a secret, never kept for an `Idempotency-Key`.
const SECRET_REPLIES: &[&str] = &["/api/v1/auth/", "/api/v1/admin/invites"];

/// The whole HTTP surface: API, its document, the docs UI and the web pages,
/// under `limits`, believing the forwarding headers of `proxies` (`client`).
pub fn router(app: App, limits: HttpLimits, proxies: Proxies) -> Router {
    let (api, doc) = api::split(limits.upload_limit);
    let gate = WriteGate { app: Some(app.clone()), ..WriteGate::for_backend(app.backend(), limits.write_wait) };
    let request_id = HeaderName::from_static("x-request-id");
    let web = crate::web::routes(limits.web_upload_limit).with_state(app.clone());
    let ops = crate::ops::routes().with_state(app.clone());
    let api = api
        .layer(middleware::from_fn_with_state((app.clone(), limits), idempotency))
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .with_state(app)
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                )),
        );
    Router::new()
        .merge(api)
        .merge(web)
        .merge(ops)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
        .fallback(|| async { api::not_found_fallback() })
        .layer(axum::Extension(limits))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(middleware::from_fn_with_state(Arc::new(proxies), crate::client::resolve))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::from(AppError::Internal("handler panicked".into())).into_response()
                }))
                .layer(middleware::from_fn_with_state(limits, timeout))
                .layer(middleware::from_fn_with_state(gate, write_gate))
                .layer(CompressionLayer::new())
                .layer(CsrfLayer::new())
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                )),
        )
        // Outermost, so what the layers above answer themselves (a timeout,
        // a busy write gate, a CSRF refusal) is counted and timed too.
        .layer(middleware::from_fn(crate::ops::record))
}

/// The boundary of a `multipart/form-data` body, from its Content-Type.
fn multipart_boundary(headers: &axum::http::HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let (kind, params) = ct.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Request timeout: uploads get `upload_timeout`, everything else `request_timeout`.
async fn timeout(State(limits): State<HttpLimits>, req: Request, next: Next) -> Response {
    let limit =
        if multipart_boundary(req.headers()).is_some() { limits.upload_timeout } else { limits.request_timeout };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "the request took too long").into_response()
        }
    }
}

/// SQLite takes one writer at a time (finding 9 of issue 14: one 400 s
/// import made every other write wait 30 s for the file lock *on a blocking
/// thread*, holding a pool connection, until plain reads found no thread or
/// connection left). So on SQLite, requests that may write (every method
/// but GET, HEAD and OPTIONS) queue here, on an async semaphore that holds
/// no thread and no connection; past `write_wait` a request gives up with
/// 503 `busy` and `Retry-After`. Readers never queue, and never meet a
/// waiting writer in the pool. PostgreSQL runs writers side by side: no gate.
///
/// A background import job (`crate::jobs`) takes over the permit of the
/// request that started it and holds it until it ends, since its
/// transaction holds SQLite's lock as long. A writer that finds the gate
/// held by a job is answered at once (waiting `write_wait` for a job of
/// minutes helps no one), naming the job and its likely remaining time.
#[derive(Debug, Clone)]
struct WriteGate {
    permit: Option<Arc<tokio::sync::Semaphore>>,
    wait: std::time::Duration,
    /// Asked which job holds the gate.
    app: Option<App>,
}

impl WriteGate {
    fn for_backend(backend: kassa_app::Backend, wait: std::time::Duration) -> WriteGate {
        let one_writer = backend == kassa_app::Backend::Sqlite;
        WriteGate { permit: one_writer.then(|| Arc::new(tokio::sync::Semaphore::new(1))), wait, app: None }
    }

    fn busy(&self) -> Response {
        match self.app.as_ref().and_then(App::running_job) {
            Some(job) => crate::jobs::busy(job),
            None => ApiError::from(AppError::Busy { retry_after: self.wait.as_secs().max(1) }).into_response(),
        }
    }
}

/// The write-gate permit of the request being served (SQLite), which a
/// background job started by the request takes over.
#[derive(Debug, Clone)]
pub(crate) struct HeldWrite(Arc<std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>>);

impl HeldWrite {
    /// The permit, to be kept until the job ends; the request holds none after.
    pub(crate) fn take(&self) -> Box<dyn Send> {
        Box::new(self.0.lock().unwrap_or_else(|e| e.into_inner()).take())
    }
}

async fn write_gate(State(gate): State<WriteGate>, mut req: Request, next: Next) -> Response {
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let Some(permit) = gate.permit.clone().filter(|_| !reads) else { return next.run(req).await };
    let held = match permit.clone().try_acquire_owned() {
        Ok(held) => held,
        Err(_) if gate.app.as_ref().and_then(App::running_job).is_some() => return gate.busy(),
        Err(_) => match tokio::time::timeout(gate.wait, permit.acquire_owned()).await {
            Ok(Ok(held)) => held,
            _ => return gate.busy(),
        },
    };
    // Kept here too: an extractor that takes the whole request (a
    // multipart form) drops its extensions before the handler writes.
    let held = HeldWrite(Arc::new(std::sync::Mutex::new(Some(held))));
    req.extensions_mut().insert(held.clone());
    let resp = next.run(req).await;
    drop(held);
    resp
}

/// What identifies a request body for an idempotency key. A multipart body
/// is hashed without its boundary, which clients draw at random per send: a
/// retried upload is the same request.
fn body_fingerprint(h: &mut Sha256, bytes: &[u8], boundary: Option<&str>) {
    let Some(b) = boundary.filter(|b| !b.is_empty()) else { return h.update(bytes) };
    let mut start = 0;
    for at in memchr::memmem::find_iter(bytes, b.as_bytes()) {
        h.update(&bytes[start..at]);
        start = at + b.len();
    }
    h.update(&bytes[start..]);
}

/// `Idempotency-Key` on a POST: the first reply is stored per caller and
/// key and replayed for repeats with the same method, path and body; a
/// different request under the same key is refused. Uploads are buffered up
/// to their own limit.
///
/// Across processes: the request's first write claims the key in a
/// transaction that commits only with the reply (`kassa_app::IdempotentRequest`),
/// so of two requests with one key exactly one writes; the other's write
/// waits for that commit, writes nothing, and answers with the stored reply.
/// A request that wrote stores its reply whatever it is (running it again
/// would write again), and is answered only once it is stored; one that
/// did not write stores nothing, since running it again changes nothing.
///
/// Keys are only for callers with a credential, and not on the routes
/// whose replies are secrets (a login's token, an invitation's code): a
/// stored reply is plain text in the database, and anonymous callers could
/// otherwise fill the table.
async fn idempotency(State((app, limits)): State<(App, HttpLimits)>, req: Request, next: Next) -> Response {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let secret_reply = SECRET_REPLIES.iter().any(|p| req.uri().path().starts_with(p));
    let (Some(key), true, false) = (key, req.method() == Method::POST, secret_reply) else {
        return next.run(req).await;
    };
    // Keys are scoped to the credential, so two callers never share one.
    let Some(credential) = credential(req.headers()) else { return next.run(req).await };
    if key.is_empty() || key.len() > 200 {
        let mut e =
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "Idempotency-Key: 1 to 200 characters");
        e.details = serde_json::json!({ "field": "Idempotency-Key" });
        return e.into_response();
    }
    let scope = hex::encode(Sha256::digest(credential));
    let upload = req.extensions().get::<MatchedPath>().is_some_and(|p| p.as_str() == api::UPLOAD_PATH);
    let boundary = multipart_boundary(req.headers());
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, if upload { limits.upload_limit } else { limits.body_limit }).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body too large")
            .into_response();
    };
    let fingerprint = {
        let mut h = Sha256::new();
        h.update(parts.method.as_str());
        h.update(parts.uri.path());
        body_fingerprint(&mut h, &bytes, boundary.as_deref());
        hex::encode(h.finalize())
    };
    let claim = Claim { scope, key, fingerprint };
    match stored_reply(&app, &claim).await {
        Ok(None) => {}
        Ok(stored) => return answer(&claim, stored),
        Err(e) => return e,
    }
    let request = Arc::new(IdempotentRequest::new(claim));
    let resp = CLAIM.scope(request.clone(), next.run(Request::from_parts(parts, Body::from(bytes)))).await;
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return ApiError::from(AppError::Internal("unreadable response body".into())).into_response();
    };
    let outcome = request.outcome();
    let (status, text) = (parts.status.as_u16(), String::from_utf8_lossy(&bytes).into_owned());
    match outcome {
        ClaimOutcome::Lost => {
            let claim = &request.claim;
            return stored_reply(&app, claim).await.map_or_else(|e| e, |s| answer(claim, s));
        }
        // The write commits with its reply, or not at all: no answer of
        // success for a write that did not commit.
        ClaimOutcome::Claimed => {
            if let Err(e) = blocking(&app, move |_| Ok(request.finish(status, &text)?)).await {
                tracing::warn!(?e, "could not commit the idempotent write with its reply");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_committed",
                    "the write could not be committed; nothing was stored, so the request can be sent again",
                )
                .into_response();
            }
        }
        ClaimOutcome::Unclaimed => {}
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The reply stored under the claim's key (a claimed key's reply is
/// committed with its write, so there is no reply to wait for).
async fn stored_reply(app: &App, claim: &Claim) -> Result<Option<StoredResponse>, Response> {
    let (s, k) = (claim.scope.clone(), claim.key.clone());
    blocking(app, move |app| Ok(app.store.idempotent_get(&s, &k)?)).await.map_err(|e| e.into_response())
}

/// A stored reply as the answer: replayed if it is for this request.
fn answer(claim: &Claim, stored: Option<StoredResponse>) -> Response {
    match stored {
        Some(s) if s.fingerprint != claim.fingerprint => key_reused(),
        Some(s) => replay(s),
        None => ApiError::from(AppError::Internal("the idempotent reply vanished".into())).into_response(),
    }
}

fn key_reused() -> Response {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different request",
    )
    .into_response()
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json"), (HeaderName::from_static("idempotent-replayed"), "true")],
        stored.body,
    )
        .into_response()
}

/// Serves until `shutdown` resolves, then lets running requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    limits: HttpLimits,
    proxies: Proxies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Jobs a dead process left unfinished are failed before anyone polls them.
    let recovering = app.clone();
    match tokio::task::spawn_blocking(move || recovering.recover_jobs()).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::warn!(jobs = n, "failed the jobs a stopped server left unfinished"),
        Ok(Err(e)) => tracing::warn!(?e, "could not fail the jobs a stopped server left unfinished"),
        Err(e) => tracing::warn!(?e, "could not fail the jobs a stopped server left unfinished"),
    }
    axum::serve(listener, router(app, limits, proxies).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::time::Duration;

    /// Finding 9 of issue 14, through real HTTP: while one write holds
    /// SQLite's gate, a read answers at once, and another write gives up
    /// after `write_wait` with 503 `busy` and `Retry-After` instead of
    /// parking a thread. On PostgreSQL writers do not queue.
    #[tokio::test]
    async fn a_busy_writer_makes_other_writes_busy_and_reads_go_on() {
        let (held_tx, held_rx) = tokio::sync::oneshot::channel::<()>();
        let release = Arc::new(tokio::sync::Notify::new());
        let held_tx = Arc::new(std::sync::Mutex::new(Some(held_tx)));
        let wait = release.clone();
        let router = |backend| {
            let (held_tx, wait) = (held_tx.clone(), wait.clone());
            Router::new()
                .route(
                    "/w",
                    get(|| async { "read" }).post(move || async move {
                        let first = held_tx.lock().unwrap().take();
                        if let Some(tx) = first {
                            let _ = tx.send(());
                            wait.notified().await;
                        }
                        "written"
                    }),
                )
                .layer(middleware::from_fn_with_state(
                    WriteGate::for_backend(backend, Duration::from_millis(50)),
                    write_gate,
                ))
        };
        let serve = |r: Router| async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/w", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, r).await.unwrap() });
            url
        };
        let url = serve(router(kassa_app::Backend::Sqlite)).await;
        let http = reqwest::Client::new();
        let first = tokio::spawn({
            let (http, url) = (http.clone(), url.clone());
            async move { http.post(&url).send().await.unwrap().text().await.unwrap() }
        });
        held_rx.await.unwrap();
        let read = http.get(&url).send().await.unwrap();
        assert_eq!(read.text().await.unwrap(), "read");
        let busy = http.post(&url).send().await.unwrap();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
        let body: serde_json::Value = busy.json().await.unwrap();
        assert_eq!(body["code"], "busy");
        assert!(body["message"].as_str().unwrap().starts_with("busy, retry in 1 s"), "{body}");
        release.notify_one();
        assert_eq!(first.await.unwrap(), "written");
        // The gate is free again.
        assert_eq!(http.post(&url).send().await.unwrap().text().await.unwrap(), "written");

        // PostgreSQL runs writers side by side: there is no gate to queue on.
        let pg = WriteGate::for_backend(kassa_app::Backend::Postgres, Duration::ZERO);
        assert!(pg.permit.is_none());
    }
}
