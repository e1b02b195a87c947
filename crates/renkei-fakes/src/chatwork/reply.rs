//! An answer of the fake API before it becomes an HTTP response.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::limits::RateHeaders;

/// An answer, before it becomes an HTTP response; `error` is also what gets recorded.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    /// `None` answers an empty body (204).
    body: Option<String>,
    pub(super) error: Option<String>,
    rate: Option<RateHeaders>,
    www_authenticate: Option<String>,
}

impl Reply {
    pub(super) fn ok(status: StatusCode, body: Option<String>) -> Reply {
        Reply {
            status,
            body,
            error: None,
            rate: None,
            www_authenticate: None,
        }
    }

    pub(super) fn json(value: &impl Serialize) -> Reply {
        let body = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        Reply::ok(StatusCode::OK, Some(body))
    }

    pub(super) fn error(status: StatusCode, message: &str) -> Reply {
        let body = serde_json::json!({ "errors": [message] }).to_string();
        let error = Some(message.to_owned());
        Reply {
            status,
            body: Some(body),
            error,
            rate: None,
            www_authenticate: None,
        }
    }

    pub(super) fn with_www_authenticate(mut self, value: String) -> Reply {
        self.www_authenticate = Some(value);
        self
    }

    pub(super) fn with_rate(mut self, rate: Option<RateHeaders>) -> Reply {
        self.rate = rate;
        self
    }

    pub(super) fn into_response(self) -> Response {
        let mut res = match self.body {
            Some(b) => {
                let mut r = Response::new(Body::from(b));
                let json = HeaderValue::from_static("application/json");
                r.headers_mut().insert(header::CONTENT_TYPE, json);
                r
            }
            None => Response::new(Body::empty()),
        };
        *res.status_mut() = self.status;
        if let Some(v) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(r) = self.rate {
            let h = res.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from(r.limit));
            h.insert("x-ratelimit-remaining", HeaderValue::from(r.remaining));
            h.insert("x-ratelimit-reset", HeaderValue::from(r.reset));
        }
        res
    }
}
