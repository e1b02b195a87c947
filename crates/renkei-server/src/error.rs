//! The one error shape of the API: `{"error": {"code", "message", "details"?}}`.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::error;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<serde_json::Value>,
    /// Sent as `Retry-After` (seconds) with 429s.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after_secs: None,
        }
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {what} with this ID in your tenant"),
        )
    }
    /// A failure of renkei's own (logged); the caller is told no more than that.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        error!(error = %what, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
    /// Says when to try again: the `Retry-After` header and `details.retry_after_seconds`.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self.with_details(json!({ "retry_after_seconds": secs }))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut err = json!({ "code": self.code, "message": self.message });
        if let Some(d) = self.details {
            err["details"] = d;
        }
        let mut resp = (self.status, Json(json!({ "error": err }))).into_response();
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

impl From<renkei_store::StoreError> for ApiError {
    fn from(e: renkei_store::StoreError) -> Self {
        if let renkei_store::StoreError::InProgress(why) = e {
            return ApiError::new(StatusCode::CONFLICT, "in_progress", why);
        }
        error!(error = %e, "storage error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return crate::http_errors::body_too_large();
        }
        let status = match &r {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::JsonSyntaxError(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let code = match &r {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::JsonSyntaxError(_) => "invalid_json",
            _ => "invalid_body",
        };
        ApiError::new(status, code, r.body_text())
    }
}

/// `Json` whose rejections use our error shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// A JSON body that may be left out entirely (then `T::default()`): for calls whose every
/// field is optional, such as minting a sign-in link.
#[derive(Debug, Clone, Default)]
pub struct JsonOrEmpty<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonOrEmpty<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    crate::http_errors::body_too_large()
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", r.body_text())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonOrEmpty(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(JsonOrEmpty)
            .map_err(|e| {
                let code = if e.is_syntax() || e.is_eof() {
                    "invalid_json"
                } else {
                    "invalid_body"
                };
                ApiError::unprocessable(code, format!("the JSON body could not be read: {e}"))
            })
    }
}
