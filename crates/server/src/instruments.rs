//! `/api/v1/books/{book}/instruments`: the instruments the book's trades
//! buy and sell (the rows of `kassa instrument list`), and the edit of one's
//! name and kind (`kassa instrument set`). Handlers as in `api`: take the
//! request apart, call `kassa_app` on the blocking pool, shape the reply.

// utoipa's `params(…)` expansion spells the IntoParams types out in full.
#![allow(unused_qualifications)]

use axum::extract::State;
use kassa_app::App;
use kassa_app::instruments::InstrumentEdit;
use kassa_app::portfolio::InstrumentRow;
use kassa_core::BookId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::{Body, Caller, Ids, Json, blocking};
use crate::error::ApiError;

/// The routes of this resource, merged into `api::routes`.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_instruments)).routes(routes!(patch_instrument))
}

/// Every instrument of the book: key (the ISIN, else the ticker), ISIN,
/// ticker, name, currency and kind. Viewers and up.
#[utoipa::path(get, path = "/api/v1/books/{book}/instruments", tag = "portfolio", security(("bearer" = [])),
    params(("book" = Uuid, Path)), responses((status = 200, body = Vec<InstrumentRow>)))]
async fn list_instruments(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids(book): Ids<Uuid>,
) -> Result<Json<Vec<InstrumentRow>>, ApiError> {
    Ok(Json(blocking(&app, move |app| app.instruments(&actor, BookId(book))).await?))
}

/// Sets an instrument's name and/or kind (stock, etf, fund, bond, crypto,
/// other); `instrument` is its ISIN or its ticker. An import never changes a
/// kind set here. Editors and owners. Replies with the instrument.
#[utoipa::path(patch, path = "/api/v1/books/{book}/instruments/{instrument}", tag = "portfolio",
    security(("bearer" = [])),
    params(("book" = Uuid, Path), ("instrument" = String, Path, description = "ISIN or ticker", example = "US0378331005")),
    request_body = InstrumentEdit, responses((status = 200, body = InstrumentRow)))]
async fn patch_instrument(
    State(app): State<App>,
    Caller(actor): Caller,
    Ids((book, instrument)): Ids<(Uuid, String)>,
    Body(edit): Body<InstrumentEdit>,
) -> Result<Json<InstrumentRow>, ApiError> {
    Ok(Json(blocking(&app, move |app| app.set_instrument(&actor, BookId(book), &instrument, &edit)).await?))
}
