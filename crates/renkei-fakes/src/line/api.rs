//! The request pipeline for both hosts (API and Login): route → (for `/v2/bot/*`) token
//! → rate window → injected fault → endpoint, then record, then the optional delay. Every
//! answer carries `x-line-request-id`.

use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::{oauth, push, FakeLine, Shared};
use crate::common::{mask, unix_ms};

pub(super) const AUTH_FAILED: &str =
    "Authentication failed. Confirm that the access token in the authorization header is valid.";
pub(super) const AUTH_MISSING: &str =
    "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'";
pub(super) const RATE_LIMITED: &str = "The API rate limit has been exceeded. Try again later.";

enum Route {
    Push,
    Multicast,
    BotInfo,
    Quota,
    QuotaConsumption,
    Token,
    Authorize,
}

fn route(method: &Method, path: &str) -> Option<Route> {
    Some(match (method.as_str(), path) {
        ("POST", "/v2/bot/message/push") => Route::Push,
        ("POST", "/v2/bot/message/multicast") => Route::Multicast,
        ("GET", "/v2/bot/info") => Route::BotInfo,
        ("GET", "/v2/bot/message/quota") => Route::Quota,
        ("GET", "/v2/bot/message/quota/consumption") => Route::QuotaConsumption,
        ("POST", "/oauth2/v2.1/token") => Route::Token,
        ("GET", "/oauth2/v2.1/authorize") => Route::Authorize,
        _ => return None,
    })
}

/// An answer before it becomes an HTTP response.
pub(super) struct Reply {
    pub status: u16,
    content_type: &'static str,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: value.to_string(),
            headers: Vec::new(),
        }
    }

    /// LINE's Messaging API error shape.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, &json!({ "message": message }))
    }

    /// An OAuth error (`/oauth2/*`).
    pub fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
        Reply::json(
            status,
            &json!({ "error": error, "error_description": description }),
        )
    }

    /// An HTML page (the Login host's error and login pages).
    pub fn page(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=utf-8",
            body: format!("<!doctype html><title>LINE Login (fake)</title><p>{text}</p>"),
            headers: Vec::new(),
        }
    }

    pub fn redirect(location: String) -> Reply {
        Reply {
            status: 302,
            content_type: "text/plain",
            body: String::new(),
            headers: vec![("location", location)],
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    fn into_response(self, request_id: &str) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-line-request-id", v);
        }
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        res
    }
}

/// Fallback handler for everything outside `/_fake`.
pub(super) async fn handle(
    State(fake): State<FakeLine>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = &*fake.shared;
    let request_id = uuid::Uuid::new_v4().to_string();
    let now_ms = unix_ms();
    let reply = process(shared, &method, &uri, &headers, &body, &request_id, now_ms);
    let logged = masked_body(uri.path(), &body);
    shared
        .journal
        .record(&method, &uri, &headers, logged.as_bytes(), reply.status);
    // After the work: the answer is late, not the side effect (a client that times out
    // and retries has been served once; its retry key then answers 409).
    shared.faults.apply_delay().await;
    reply.into_response(&request_id)
}

/// The body as logged: a token request's `client_secret` and the signature of its
/// `client_assertion` are masked (header and claims stay readable for tests).
fn masked_body(path: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).to_string();
    if path != "/oauth2/v2.1/token" {
        return text;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&text).unwrap_or_default();
    let masked: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| {
            let v = match k.as_str() {
                "client_secret" => mask(&v),
                "client_assertion" => match v.rsplit_once('.') {
                    Some((signed, sig)) => format!("{signed}.{}", mask(sig)),
                    None => mask(&v),
                },
                _ => v,
            };
            (k, v)
        })
        .collect();
    serde_urlencoded::to_string(masked).unwrap_or_default()
}

fn process(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
    now_ms: u128,
) -> Reply {
    let path = uri.path();
    let Some(route) = route(method, path) else {
        return Reply::error(404, "Not found");
    };
    let form =
        || -> Vec<(String, String)> { serde_urlencoded::from_bytes(body).unwrap_or_default() };
    match route {
        Route::Token => fault_or(shared, path, || oauth::token(shared, &form(), now_ms)),
        Route::Authorize => {
            let query: Vec<(String, String)> =
                serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
            fault_or(shared, path, || oauth::authorize(shared, &query, now_ms))
        }
        _ => {
            let channel_id = match authorize(shared, headers, now_ms) {
                Ok(c) => c,
                Err(reply) => return reply,
            };
            let call = push::Call {
                channel_id: &channel_id,
                request_id,
                now_ms,
            };
            fault_or(shared, path, || match route {
                Route::Push => push::push(shared, &call, headers, body),
                Route::Multicast => push::multicast(shared, &call, headers, body),
                Route::BotInfo => bot_info(shared, &channel_id),
                Route::Quota => quota(shared, &channel_id),
                _ => consumption(shared, &channel_id),
            })
        }
    }
}

/// The token's channel, after its rate window; or the 401/429 to answer.
fn authorize(shared: &Shared, headers: &HeaderMap, now_ms: u128) -> Result<String, Reply> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(token) = auth.and_then(|a| a.strip_prefix("Bearer ")) else {
        return Err(Reply::error(401, AUTH_MISSING));
    };
    let Some(channel_id) = shared.world.lock().channel_of(token.trim(), now_ms) else {
        return Err(Reply::error(401, AUTH_FAILED));
    };
    if shared.limits_enabled.load(Ordering::Relaxed) && !shared.windows.hit(&channel_id).allowed {
        return Err(Reply::error(429, RATE_LIMITED));
    }
    Ok(channel_id)
}

/// An injected fault for `path`, in that host's error shape, or the endpoint's answer.
fn fault_or(shared: &Shared, path: &str, endpoint: impl FnOnce() -> Reply) -> Reply {
    let Some(status) = shared.faults.take(path) else {
        return endpoint();
    };
    if path.starts_with("/oauth2/") {
        return Reply::oauth_error(status, "server_error", "injected fault");
    }
    let text = match status {
        401 => AUTH_FAILED,
        429 => RATE_LIMITED,
        500 => "Internal server error",
        s => StatusCode::from_u16(s)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
    };
    Reply::error(status, text)
}

fn bot_info(shared: &Shared, channel_id: &str) -> Reply {
    let world = shared.world.lock();
    let Some(c) = world.channels.get(channel_id) else {
        return Reply::error(404, "Not found");
    };
    Reply::json(
        200,
        &json!({
            "userId": c.bot_user_id,
            "basicId": c.basic_id,
            "displayName": c.display_name,
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }),
    )
}

fn quota(shared: &Shared, channel_id: &str) -> Reply {
    let world = shared.world.lock();
    let limit = world.channels.get(channel_id).and_then(|c| c.monthly_limit);
    Reply::json(
        200,
        &match limit {
            Some(n) => json!({ "type": "limited", "value": n }),
            None => json!({ "type": "none" }),
        },
    )
}

fn consumption(shared: &Shared, channel_id: &str) -> Reply {
    let world = shared.world.lock();
    let used = world.channels.get(channel_id).map_or(0, |c| c.usage);
    Reply::json(200, &json!({ "totalUsage": used }))
}
