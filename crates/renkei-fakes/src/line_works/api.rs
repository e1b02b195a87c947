//! The request pipeline. API calls (`/v1.0/...`): route → bearer token → rate window of the
//! operation → injected fault → scope → endpoint. Token calls (`/oauth2/v2.0/token`):
//! injected fault → grant. Then record, then the optional delay.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::world::{Destination, TokenState};
use super::{auth, calendar, FakeLineWorks};
use crate::common::unix_ms;

/// LINE WORKS' limit on a text message.
const TEXT_MAX_CHARS: usize = 2000;

/// An answer before it becomes an HTTP response.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<String>,
    /// `(limit, remaining, seconds until reset)`.
    pub rate: Option<(u32, u32, u64)>,
    /// `WWW-Authenticate` of a 401.
    pub www_authenticate: Option<&'static str>,
}

impl Reply {
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            body: Some(value.to_string()),
            rate: None,
            www_authenticate: None,
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: None,
            rate: None,
            www_authenticate: None,
        }
    }

    /// `{"code","description"}`, the API's error shape.
    pub fn error(status: u16, code: &str, description: &str) -> Reply {
        Reply::json(status, &json!({ "code": code, "description": description }))
    }

    fn into_response(self) -> Response {
        let mut res = match self.body {
            Some(b) => {
                let mut r = Response::new(Body::from(b));
                let json = HeaderValue::from_static("application/json;charset=UTF-8");
                r.headers_mut().insert(header::CONTENT_TYPE, json);
                r
            }
            None => Response::new(Body::empty()),
        };
        *res.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(challenge) = self.www_authenticate {
            let h = HeaderValue::from_static(challenge);
            res.headers_mut().insert(header::WWW_AUTHENTICATE, h);
        }
        if let Some((limit, remaining, reset)) = self.rate {
            let h = res.headers_mut();
            h.insert("ratelimit-limit", HeaderValue::from(limit));
            h.insert("ratelimit-remaining", HeaderValue::from(remaining));
            h.insert("ratelimit-reset", HeaderValue::from(reset));
        }
        res
    }
}

/// An endpoint, with the operation its rate window counts and the scopes that admit it.
pub(crate) enum Route {
    Bot(String),
    UserMessage(String, String),
    ChannelMessage(String, String),
    CreateEvent(String),
    Event(String, String),
}

/// A path segment with `%XX` escapes decoded (user IDs may be login emails).
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(method: &Method, path: &str) -> Option<(Route, &'static str, &'static [&'static str])> {
    let segs: Vec<String> = path
        .strip_prefix("/v1.0/")?
        .split('/')
        .map(decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let own = |x: &str| x.to_string();
    const BOT_READ: &[&str] = &["bot", "bot.read"];
    const BOT_SEND: &[&str] = &["bot", "bot.message"];
    const CAL: &[&str] = &["calendar"];
    const CAL_READ: &[&str] = &["calendar", "calendar.read"];
    Some(match (method.as_str(), s.as_slice()) {
        ("GET", ["bots", b]) => (Route::Bot(own(b)), "GET /bots/{botId}", BOT_READ),
        ("POST", ["bots", b, "users", u, "messages"]) => (
            Route::UserMessage(own(b), own(u)),
            "POST /bots/{botId}/users/{userId}/messages",
            BOT_SEND,
        ),
        ("POST", ["bots", b, "channels", c, "messages"]) => (
            Route::ChannelMessage(own(b), own(c)),
            "POST /bots/{botId}/channels/{channelId}/messages",
            BOT_SEND,
        ),
        ("POST", ["users", u, "calendar", "events"]) => (
            Route::CreateEvent(own(u)),
            "POST /users/{userId}/calendar/events",
            CAL,
        ),
        ("GET", ["users", u, "calendar", "events", e]) => (
            Route::Event(own(u), own(e)),
            "GET /users/{userId}/calendar/events/{eventId}",
            CAL_READ,
        ),
        ("PUT", ["users", u, "calendar", "events", e]) => (
            Route::Event(own(u), own(e)),
            "PUT /users/{userId}/calendar/events/{eventId}",
            CAL,
        ),
        ("DELETE", ["users", u, "calendar", "events", e]) => (
            Route::Event(own(u), own(e)),
            "DELETE /users/{userId}/calendar/events/{eventId}",
            CAL,
        ),
        _ => return None,
    })
}

/// An injected fault in the API's error shape.
fn fault(status: u16) -> Reply {
    if status == 401 {
        return unauthenticated("Bearer error=\"invalid_token\"", "injected by the fake");
    }
    let code = match status {
        400 => "INVALID_PARAMETER",
        401 | 403 => "UNAUTHORIZED",
        404 => "NOT_FOUND",
        429 => "TOO_MANY_REQUESTS",
        503 => "SERVICE_UNAVAILABLE",
        500..=599 => "INTERNAL_SERVER_ERROR",
        _ => "ERROR",
    };
    Reply::error(status, code, "injected by the fake")
}

/// Fallback handler for everything outside `/_fake`.
pub(super) async fn handle(
    State(fake): State<FakeLineWorks>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = &*fake.shared;
    let path = uri.path().to_string();
    let (reply, logged_body) = if path == "/oauth2/v2.0/token" && method == Method::POST {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let reply = match shared.faults.take(&path) {
            Some(status) => fault(status),
            None => auth::token(&fake, is_form, &form),
        };
        (reply, auth::masked_form(&form).into_bytes())
    } else {
        (api(&fake, &method, &path, &headers, &body), body.to_vec())
    };
    shared
        .journal
        .record(&method, &uri, &headers, &logged_body, reply.status);
    shared.faults.apply_delay().await;
    reply.into_response()
}

fn api(
    fake: &FakeLineWorks,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let shared = &*fake.shared;
    let Some((route, operation, scopes)) = route(method, path) else {
        return Reply::error(404, "NOT_FOUND", "Not Found");
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = bearer else {
        return unauthenticated("Bearer", "Authorization header is required");
    };
    let state = shared
        .world
        .lock()
        .token_state(token.trim(), Instant::now());
    let granted =
        match state {
            TokenState::Live(scopes) => scopes,
            TokenState::Expired => {
                return Reply::error(403, "UNAUTHORIZED", "The access token has expired")
            }
            TokenState::Unknown => return unauthenticated(
                "Bearer error=\"invalid_token\", error_description=\"The access token is invalid\"",
                "The access token is invalid",
            ),
        };
    let rate = if fake.limits_enabled() {
        let w = shared.windows.hit(operation);
        let reset = w.reset_in.as_millis().div_ceil(1000).max(1);
        let rate = Some((
            shared.windows.limit,
            w.remaining,
            u64::try_from(reset).unwrap_or(60),
        ));
        if !w.allowed {
            let mut r = Reply::error(429, "TOO_MANY_REQUESTS", "API rate limit exceeded");
            r.rate = rate;
            return r;
        }
        rate
    } else {
        None
    };
    let mut reply = match shared.faults.take(path) {
        Some(status) => fault(status),
        None if !scopes.iter().any(|s| granted.iter().any(|g| g == s)) => {
            let msg = format!("Not allowed scope: requires {}", scopes.join(" or "));
            Reply::error(403, "FORBIDDEN", &msg)
        }
        None if !json_content(method, headers) => Reply::error(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "Content-Type must be application/json",
        ),
        None => endpoint(fake, method, route, body),
    };
    reply.rate = rate;
    reply
}

/// A 401 with its `WWW-Authenticate` challenge.
fn unauthenticated(challenge: &'static str, description: &str) -> Reply {
    let mut reply = Reply::error(401, "UNAUTHORIZED", description);
    reply.www_authenticate = Some(challenge);
    reply
}

/// A `POST`/`PUT` must say its body is JSON; other methods carry none.
fn json_content(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::POST && method != Method::PUT {
        return true;
    }
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

fn endpoint(fake: &FakeLineWorks, method: &Method, route: Route, body: &[u8]) -> Reply {
    let mut world = fake.shared.world.lock();
    match route {
        Route::Bot(b) => match b
            .parse::<i64>()
            .ok()
            .and_then(|id| world.bots.get(&id).map(|n| (id, n)))
        {
            Some((id, name)) => Reply::json(200, &bot_json(id, name)),
            None => Reply::error(404, "NOT_FOUND", "Bot not found"),
        },
        Route::UserMessage(b, u) => {
            let Some(bot) = b
                .parse::<i64>()
                .ok()
                .filter(|id| world.bots.contains_key(id))
            else {
                return Reply::error(404, "NOT_FOUND", "Bot not found");
            };
            if !world.users.contains(&u) {
                return Reply::error(404, "NOT_FOUND", "User not found");
            }
            match message_content(body) {
                Ok(content) => {
                    world.post(bot, Destination::User(u), content, unix_ms());
                    Reply::empty(201)
                }
                Err(msg) => Reply::error(400, "INVALID_PARAMETER", &msg),
            }
        }
        Route::ChannelMessage(b, c) => {
            let Some(bot) = b
                .parse::<i64>()
                .ok()
                .filter(|id| world.bots.contains_key(id))
            else {
                return Reply::error(404, "NOT_FOUND", "Bot not found");
            };
            let Some(members) = world.channels.get(&c) else {
                return Reply::error(404, "NOT_FOUND", "Channel not found");
            };
            if !members.contains(&bot) {
                return Reply::error(
                    403,
                    "ACCESS_DENIED",
                    "The bot is not a member of the channel",
                );
            }
            match message_content(body) {
                Ok(content) => {
                    world.post(bot, Destination::Channel(c), content, unix_ms());
                    Reply::empty(201)
                }
                Err(msg) => Reply::error(400, "INVALID_PARAMETER", &msg),
            }
        }
        Route::CreateEvent(u) => calendar::create(&mut world, &u, body),
        Route::Event(u, e) => calendar::by_id(&mut world, method, &u, &e, body),
    }
}

fn bot_json(id: i64, name: &str) -> Value {
    json!({
        "botId": id,
        "botName": name,
        "photoUrl": "https://static.worksmobile.net/static/wm/bot/default_bot_profile.png",
        "description": "",
        "administrators": [],
        "subadministrators": [],
        "allowDomains": [],
        "enableCallback": false,
        "callbackEvents": [],
        "enableGroupJoin": true,
    })
}

/// The `content` of a message body; text messages need 1..=2000 characters of text.
fn message_content(body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "Invalid request body".to_string())?;
    let content = v
        .get("content")
        .filter(|c| c.is_object())
        .ok_or("content is required")?;
    let kind = content
        .get("type")
        .and_then(Value::as_str)
        .ok_or("content.type is required")?;
    if kind == "text" {
        let text = content
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if text.is_empty() {
            return Err("content.text is required".into());
        }
        if text.chars().count() > TEXT_MAX_CHARS {
            return Err(format!("content.text exceeds {TEXT_MAX_CHARS} characters"));
        }
    }
    Ok(content.clone())
}
