//! Every answer under `/api/` that is not a success is the JSON error envelope, whoever
//! produced it: axum's own answers (unknown path, wrong method, undecodable path, body over
//! the limit) are plain text or empty, so they are rewritten here. Other paths keep theirs.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// One request body limit for every endpoint, sized so that a batch of 1,000 events with
/// long Japanese texts fits (see docs/decisions.md, "Request limits").
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Longer request targets (path and query) are refused with 414. Hyper itself refuses
/// anything over 64 KiB before renkei sees it.
pub const MAX_URI_BYTES: usize = 8 * 1024;

pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The 413 every body extractor answers once the body passes [`MAX_BODY_BYTES`].
pub fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!(
            "the request body is over the {} MiB limit; send fewer events per batch (a batch of 1,000 typical events fits)",
            MAX_BODY_BYTES / (1024 * 1024)
        ),
    )
}

/// A percent-encoded C0 control or DEL: no ID can hold one (and PostgreSQL refuses NUL in
/// text, so a lookup with one would fail as renkei's error).
fn has_encoded_control(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%' && matches!((w[1], w[2].to_ascii_uppercase()), (b'0' | b'1', b'0'..=b'9' | b'A'..=b'F') | (b'7', b'F'))
    })
}

fn uri_too_long() -> ApiError {
    ApiError::new(
        StatusCode::URI_TOO_LONG,
        "uri_too_long",
        format!(
            "the URL is over {} KiB; IDs are at most 255 characters, so shorten the path or query",
            MAX_URI_BYTES / 1024
        ),
    )
}

/// What the request asked for, to say what to fix in the rewritten error.
struct Asked {
    method: Method,
    path: String,
}

pub async fn json_errors(req: Request, next: Next) -> Response {
    let api = is_api_path(req.uri().path());
    let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return if api {
            uri_too_long().into_response()
        } else {
            (StatusCode::URI_TOO_LONG, "URI too long").into_response()
        };
    }
    if !api {
        return next.run(req).await;
    }
    if has_encoded_control(req.uri().path()) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "the URL path holds a control character (%00 to %1F or %7F); IDs never contain one, so remove it",
        )
        .into_response();
    }
    let asked = Asked {
        method: req.method().clone(),
        path: req.uri().path().chars().take(200).collect(),
    };
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&resp) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    // axum's rejection texts are short; a larger body is not one of them.
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let err = rewrite(status, &asked, &text);
    let fresh = err.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let (_, body) = fresh.into_parts();
    Response::from_parts(parts, Body::new(body))
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

/// The envelope for a plain-text (or empty) error answer.
fn rewrite(status: StatusCode, asked: &Asked, text: &str) -> ApiError {
    let Asked { method, path } = asked;
    let said = |fallback: &str| {
        if text.is_empty() {
            fallback.to_string()
        } else {
            text.to_string()
        }
    };
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (
            "no_such_endpoint",
            format!("no such endpoint: {method} {path}; see /api/openapi.json"),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            // axum sets `Allow` after this middleware has run, so point at it.
            format!("{path} does not take {method}; use a method listed in the `Allow` header (see /api/openapi.json)"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => return body_too_large(),
        StatusCode::URI_TOO_LONG => return uri_too_long(),
        StatusCode::BAD_REQUEST if text.starts_with("Invalid URL") => (
            "invalid_path",
            format!(
                "{text}: IDs in the path must be percent-encoded UTF-8 (e.g. %E5%B1%B1 for 山)"
            ),
        ),
        StatusCode::BAD_REQUEST => ("bad_request", said("the request could not be read")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            said("send the body as `content-type: application/json`"),
        ),
        s if s.is_server_error() => (
            "internal",
            "an internal error occurred; it has been logged".to_string(),
        ),
        _ => ("request_refused", said("the request was refused")),
    };
    ApiError::new(status, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(method: Method, path: &str) -> Asked {
        Asked {
            method,
            path: path.into(),
        }
    }

    #[test]
    fn api_paths_are_those_under_api() {
        assert!(is_api_path("/api/v1/events"));
        assert!(is_api_path("/api"));
        assert!(!is_api_path("/apix"));
        assert!(!is_api_path("/c/1.2.sig"));
    }

    #[tokio::test]
    async fn axum_own_answers_become_the_envelope() {
        use axum::routing::post;
        use tower::ServiceExt;
        let app = axum::Router::new()
            .nest(
                "/api/v1",
                axum::Router::new().route("/x", post(|| async { "ok" })),
            )
            .layer(axum::middleware::from_fn(json_errors));
        let req = Request::builder()
            .method(Method::DELETE)
            .uri("/api/v1/x")
            .body(Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(resp.headers()[header::ALLOW], "POST");
        let body = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "method_not_allowed");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`Allow` header"),
            "{v}"
        );
    }

    #[test]
    fn encoded_controls_are_found_in_paths() {
        for p in [
            "/api/v1/members/a%00b",
            "/api/v1/members/%0a",
            "/api/v1/members/%7f",
        ] {
            assert!(has_encoded_control(p), "{p}");
        }
        for p in [
            "/api/v1/members/%E5%B1%B1",
            "/api/v1/members/a%20b",
            "/api/v1/members/100",
        ] {
            assert!(!has_encoded_control(p), "{p}");
        }
    }

    #[test]
    fn rewritten_errors_say_what_to_fix() {
        let e = rewrite(
            StatusCode::METHOD_NOT_ALLOWED,
            &asked(Method::DELETE, "/api/v1/events"),
            "",
        );
        assert_eq!(e.code, "method_not_allowed");
        assert!(e.message.starts_with("/api/v1/events does not take DELETE"));
        let e = rewrite(
            StatusCode::BAD_REQUEST,
            &asked(Method::GET, "/api/v1/members/%FF"),
            "Invalid URL: Invalid UTF-8 in `external_id`",
        );
        assert_eq!(e.code, "invalid_path");
        assert!(e.message.contains("percent-encoded UTF-8"), "{}", e.message);
        let e = rewrite(
            StatusCode::PAYLOAD_TOO_LARGE,
            &asked(Method::POST, "/api/v1/events/batch"),
            "Failed to buffer the request body: length limit exceeded",
        );
        assert_eq!(e.code, "body_too_large");
        assert!(e.message.contains("32 MiB"), "{}", e.message);
        let e = rewrite(StatusCode::NOT_FOUND, &asked(Method::GET, "/api/v2/x"), "");
        assert_eq!(e.code, "no_such_endpoint");
        assert!(e.message.contains("GET /api/v2/x"), "{}", e.message);
    }
}
