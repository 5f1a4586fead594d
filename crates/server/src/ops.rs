//! The operations endpoints (issue 19), outside `/api/v1` and without a
//! login: `/healthz` (the process answers), `/readyz` (the database answers
//! with every migration applied) and `/metrics` (Prometheus text format).
//!
//! `/metrics` is for a scraper, not for people: it is answered to a bearer
//! token when `server.metrics_token` is set, and without one only to a
//! client on the loopback interface — the client as `client::resolve` found
//! it, so a request forwarded by a trusted proxy counts as the address it
//! came from, not as the proxy's loopback. The counts carry route templates
//! (`/api/v1/books/:book/transactions`), never paths with ids in them.
//!
//! The recorder is process-wide, like the `tracing` subscriber: `kassa
//! serve` installs it once ([`install_metrics`]); a router without it
//! answers `/metrics` 404 and records nothing.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kassa_app::App;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::error::ApiError;

/// How long `/readyz` waits for the database before it says it did not answer.
const READY_WAIT: Duration = Duration::from_secs(5);

/// Latency buckets in seconds: a register page takes about a millisecond, an
/// import minutes.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const IMPORT_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0];

struct Metrics {
    handle: PrometheusHandle,
    /// SHA-256 of `server.metrics_token`: compared digest to digest, so the
    /// time a comparison takes says nothing about the token.
    token: Option<[u8; 32]>,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Installs the Prometheus recorder for this process, with the bearer
/// token `/metrics` asks for (`None`: loopback clients only). A second call
/// keeps the first recorder.
pub fn install_metrics(token: Option<&str>) -> Result<(), String> {
    if METRICS.get().is_some() {
        return Ok(());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("kassa_http_request_duration_seconds".into()),
            LATENCY_BUCKETS,
        )
        .and_then(|b| {
            b.set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full("kassa_import_duration_seconds".into()),
                IMPORT_BUCKETS,
            )
        })
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
    // Histograms are summed into their buckets by upkeep; without it their
    // raw samples would pile up between scrapes.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })
        .map_err(|e| e.to_string())?;
    let token = token.map(|t| Sha256::digest(t.as_bytes()).into());
    let _ = METRICS.set(Metrics { handle, token });
    Ok(())
}

/// `/healthz`, `/readyz` and `/metrics`, for `http::router` to merge.
pub fn routes() -> Router<App> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(scrape))
}

/// Liveness: the process answers. It asks nothing of the database, so a
/// supervisor does not restart a server whose database is away.
async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// Readiness: the database answers, with every migration this binary knows
/// applied; else 503 with the reason.
async fn readyz(State(app): State<App>) -> Response {
    let check = tokio::task::spawn_blocking(move || app.readiness());
    let reason = match tokio::time::timeout(READY_WAIT, check).await {
        Ok(Ok(Ok(()))) => return axum::Json(json!({"status": "ready"})).into_response(),
        Ok(Ok(Err(not_ready))) => not_ready.to_string(),
        Ok(Err(e)) => format!("the readiness check failed: {e}"),
        Err(_) => format!("the database did not answer within {} s", READY_WAIT.as_secs()),
    };
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({"status": "not_ready", "reason": reason}))).into_response()
}

async fn scrape(State(app): State<App>, headers: HeaderMap, req: Request) -> Response {
    let Some(metrics) = METRICS.get() else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "metrics are not enabled in this process")
            .into_response();
    };
    match metrics.token {
        Some(want) => {
            let given = crate::api::credential(&headers).map(|t| <[u8; 32]>::from(Sha256::digest(t.as_bytes())));
            if given != Some(want) {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "/metrics needs the bearer token of server.metrics_token",
                )
                .into_response();
            }
        }
        None => {
            let loopback = req.extensions().get::<Client>().is_some_and(|c| c.ip.is_loopback());
            if !loopback {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "/metrics is answered on the loopback interface only; set server.metrics_token to scrape it \
                     from elsewhere",
                )
                .into_response();
            }
        }
    }
    // The log's position is read at scrape time: one indexed row.
    if let Ok(Ok(position)) = tokio::task::spawn_blocking(move || app.log_position()).await {
        metrics::gauge!("kassa_event_log_position").set(position as f64);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.handle.render()).into_response()
}

/// A route template as a label: `/books/{book}` → `/books/:book`. Braces
/// are legal in a label value, but simple text-format parsers (the
/// `prometheus-parse` crate among them) split the sample at them.
fn label(template: &str) -> String {
    template.replace('{', ":").replace('}', "")
}

/// Middleware: counts every request by method, route template and status,
/// and times it by route template. Unmatched paths count as `unmatched`, so
/// a scanner cannot grow the series without bound.
pub async fn record(req: Request, next: Next) -> Response {
    if METRICS.get().is_none() {
        return next.run(req).await;
    }
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| label(p.as_str()));
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("kassa_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("kassa_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    resp
}
