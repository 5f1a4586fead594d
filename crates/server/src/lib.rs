//! kassa-server: HTTP and web only. The API under `/api/v1` (axum), its
//! OpenAPI document and browsable docs at `/api/docs` (assets vendored into
//! the binary), and the server-rendered pages (`web`). Every use case they
//! call is `kassa_app`'s; handlers translate requests into those calls and
//! replies out of their results.

pub mod api;
pub mod charts;
pub mod client;
pub mod config;
pub mod error;
pub mod http;
pub mod instruments;
pub mod jobs;
pub mod ops;
pub mod web;

pub use api::openapi;
pub use config::{HttpLimits, Proxies};
pub use http::{router, serve};
