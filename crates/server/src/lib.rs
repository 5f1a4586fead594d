//! kassa-server: the HTTP API under `/api/v1` (axum), its OpenAPI document
//! and browsable docs at `/api/docs` (assets vendored into the binary), and
//! the application layer (`app`) that the API, the web pages (`web`) and the
//! CLI share.

pub mod api;
pub mod app;
pub mod charts;
pub mod error;
pub mod http;
pub mod web;

pub use api::openapi;
pub use app::{App, Config};
pub use http::{router, serve};
