//! `ApiError`: every failure as `{"code", "message", "details"}` with a
//! stable code. Bad input is 4xx naming the field; a 5xx is logged and its
//! cause is never sent to the client.

use axum::Json;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use kassa_app::AppError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: serde_json::Value,
    retry_after: Option<u64>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_field`, `not_found`.
    pub code: String,
    pub message: String,
    /// `{"field": …}` for invalid input; for a refused import the file and
    /// its bad rows (`line`, `field`, `message`) or unknown `accounts`;
    /// otherwise null.
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: serde_json::Value::Null, retry_after: None }
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let status = match &e {
            AppError::Invalid { .. } | AppError::Refused { .. } | AppError::Rejected { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::RegistrationClosed(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut out = ApiError::new(status, e.code(), e.to_string());
        match e {
            AppError::Invalid { field, message } => {
                out.message = format!("{field}: {message}");
                out.details = serde_json::json!({ "field": field });
            }
            AppError::Rejected { details, .. } => out.details = details,
            AppError::RateLimited { retry_after } | AppError::Busy { retry_after } => {
                out.retry_after = Some(retry_after)
            }
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                out.message = "internal error".into();
            }
            _ => {}
        }
        out
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::JsonDataError(e) => {
                // serde's message names the field path: "name: invalid type …".
                let text = std::error::Error::source(&e).map_or_else(|| e.body_text(), |s| s.to_string());
                let field = text.split(':').next().filter(|f| !f.contains(' ')).unwrap_or("body").to_string();
                let mut out = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", text);
                out.details = serde_json::json!({ "field": field });
                out
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("malformed JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body too large")
            }
            other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> ApiError {
        // A malformed id names nothing that could exist.
        ApiError::not_found("resource")
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        let mut out = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", r.body_text());
        out.details = serde_json::json!({ "field": "query" });
        out
    }
}

impl From<MultipartRejection> for ApiError {
    fn from(r: MultipartRejection) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected Content-Type: multipart/form-data with a boundary ({})", r.body_text()),
        )
    }
}

impl From<MultipartError> for ApiError {
    fn from(e: MultipartError) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body too large");
        }
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_multipart",
            format!("malformed multipart body: {}", e.body_text()),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let details = (!self.details.is_null()).then_some(self.details);
        let body = ErrorBody { code: self.code.to_string(), message: self.message, details };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}
