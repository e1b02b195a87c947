//! The request pipeline shared by the Web API and the webhooks: route by prefix, answer,
//! record (with secrets masked), then the optional delay.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

use super::{api, webhook, FakeSlack};
use crate::common::{mask, FixedWindows};

/// An answer before it becomes an HTTP response.
pub(super) struct Reply {
    pub status: StatusCode,
    content_type: &'static str,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: value.to_string(),
            headers: Vec::new(),
        }
    }

    /// Webhooks answer plain text (`ok`, `no_service`, …).
    pub fn text(status: StatusCode, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: text.to_string(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    fn into_response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.status_mut() = self.status;
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        res
    }
}

/// A status from a number (tests may inject any), 500 when it is not one.
pub(super) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Counts a post in `windows[key]`; `Err(retry_after_secs)` when the window is full.
pub(super) fn take_slot(windows: &FixedWindows, key: &str) -> Result<(), u64> {
    let state = windows.hit(key);
    if state.allowed {
        return Ok(());
    }
    // Retry-After is whole seconds (at least 1), even when tests scale windows down.
    let secs = state.reset_in.as_secs_f64().ceil();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Err((secs as u64).max(1))
}

/// Fallback handler for everything outside `/_fake`.
pub(super) async fn handle(
    State(fake): State<FakeSlack>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = &*fake.shared;
    let path = uri.path();
    let reply = if path.starts_with("/api/") {
        api::process(shared, &method, path, uri.query(), &headers, &body)
    } else if path.starts_with("/services/") {
        webhook::process(shared, &method, path, &headers, &body)
    } else {
        Reply::text(StatusCode::NOT_FOUND, "Not Found")
    };
    let logged_uri = masked_webhook_uri(&uri).unwrap_or(uri);
    shared
        .journal
        .record(&method, &logged_uri, &headers, &body, reply.status.as_u16());
    shared.faults.apply_delay().await;
    reply.into_response()
}

/// A webhook URI with its secret (the last path segment) masked like other secrets.
fn masked_webhook_uri(uri: &Uri) -> Option<Uri> {
    let rest = uri.path().strip_prefix("/services/")?;
    let (head, secret) = rest.rsplit_once('/')?;
    format!("/services/{head}/{}", mask(secret)).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_secrets_are_masked_in_the_log() {
        let uri: Uri = "/services/T1/B2/abcdefgh1234".parse().unwrap();
        assert_eq!(
            masked_webhook_uri(&uri).unwrap().path(),
            "/services/T1/B2/***1234"
        );
        assert!(masked_webhook_uri(&"/api/auth.test".parse().unwrap()).is_none());
    }

    #[test]
    fn a_full_window_asks_for_whole_seconds() {
        let w = FixedWindows::new(1, std::time::Duration::from_millis(30));
        assert_eq!(take_slot(&w, "k"), Ok(()));
        assert_eq!(take_slot(&w, "k"), Err(1));
    }
}
