//! The `/v2` request pipeline: route → credential (API token or OAuth bearer, with its
//! scope) → token limit → injected fault → endpoint, then record, then the optional delay. One handler with hand routing, so every request
//! (including unknown routes) goes through the same recording and ordering of checks.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

use super::access::{authorize, authorize_bearer, invalid_token, Credential};
use super::journal::RecordedRequest;
use super::reply::Reply;
use super::world::{RequestAccess, Role, RoomAccess};
use super::{unix_ms, FakeChatwork, Shared};

const BODY_MAX_CHARS: usize = 65_535;

enum Route {
    Me,
    Rooms,
    Contacts,
    Members(i64),
    PostMessage(i64),
    IncomingRequests,
    ApproveRequest(i64),
    RejectRequest(i64),
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let mut seg = path.strip_prefix("/v2/")?.split('/');
    let room = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok());
    let request = room;
    match (
        method.as_str(),
        seg.next(),
        seg.next(),
        seg.next(),
        seg.next(),
    ) {
        ("GET", Some("me"), None, None, None) => Some(Route::Me),
        ("GET", Some("rooms"), None, None, None) => Some(Route::Rooms),
        ("GET", Some("contacts"), None, None, None) => Some(Route::Contacts),
        ("GET", Some("rooms"), id, Some("members"), None) => room(id).map(Route::Members),
        ("POST", Some("rooms"), id, Some("messages"), None) => room(id).map(Route::PostMessage),
        ("GET", Some("incoming_requests"), None, None, None) => Some(Route::IncomingRequests),
        ("PUT", Some("incoming_requests"), id, None, None) => {
            request(id).map(Route::ApproveRequest)
        }
        ("DELETE", Some("incoming_requests"), id, None, None) => {
            request(id).map(Route::RejectRequest)
        }
        _ => None,
    }
}

/// Scopes of which an OAuth access token needs one for this route.
fn required_scopes(route: &Route) -> &'static [&'static str] {
    match route {
        Route::Me => &["users.profile.me:read", "users.all:read"],
        Route::Rooms => &["rooms.all:read_write", "rooms.all:read", "rooms.info:read"],
        Route::Members(_) => &[
            "rooms.all:read_write",
            "rooms.all:read",
            "rooms.members:read",
        ],
        Route::PostMessage(_) => &[
            "rooms.all:read_write",
            "rooms.all:write",
            "rooms.messages:write",
        ],
        Route::Contacts | Route::IncomingRequests => {
            &["contacts.all:read_write", "contacts.all:read"]
        }
        Route::ApproveRequest(_) | Route::RejectRequest(_) => {
            &["contacts.all:read_write", "contacts.all:write"]
        }
    }
}

/// Fallback handler for everything outside `/_fake`.
pub(super) async fn handle(
    State(fake): State<FakeChatwork>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = &*fake.shared;
    let received_at_ms = unix_ms();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // Chatwork reads POST parameters from a urlencoded body only; anything else is absent.
    let form: Vec<(String, String)> = if is_form(content_type) {
        serde_urlencoded::from_bytes(&body).unwrap_or_default()
    } else {
        Vec::new()
    };
    let credential = Credential::from_headers(&headers);
    let path = uri.path();

    let reply = process(shared, &method, path, credential, &form, received_at_ms);

    shared.journal.record(RecordedRequest {
        method: method.as_str().to_owned(),
        path: path.to_owned(),
        query: uri.query().map(mask_query),
        token_last4: credential.map(|c| last4(c.secret())),
        auth_scheme: credential.map(|c| c.scheme().to_owned()),
        content_type: content_type.map(str::to_owned),
        form,
        status: reply.status.as_u16(),
        received_at_ms,
        error: reply.error.clone(),
    });

    // Delay after the work: the answer is late, not the side effect (see module docs).
    let delay = Duration::from_micros(shared.delay_us.load(Ordering::Relaxed));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    reply.into_response()
}

fn process(
    shared: &Shared,
    method: &Method,
    path: &str,
    credential: Option<Credential<'_>>,
    form: &[(String, String)],
    now_ms: u128,
) -> Reply {
    let Some(route) = route(method, path) else {
        return Reply::error(StatusCode::NOT_FOUND, "Not Found");
    };
    let authorized = match credential {
        None => return invalid_token(),
        Some(Credential::ApiToken(token)) => authorize(shared, token, now_ms),
        Some(Credential::Bearer(token)) => {
            authorize_bearer(shared, token, required_scopes(&route), now_ms)
        }
    };
    let (account_id, rate) = match authorized {
        Ok(ok) => ok,
        Err(reply) => return reply,
    };
    let is_post = matches!(route, Route::PostMessage(_));
    let reply = match shared.faults.take(path, is_post) {
        Some(status) => fault_reply(status),
        None => dispatch(shared, route, account_id, form, now_ms),
    };
    reply.with_rate(rate)
}

fn fault_reply(status: u16) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = match status {
        StatusCode::UNAUTHORIZED => "Invalid API token",
        StatusCode::TOO_MANY_REQUESTS => "Rate limit exceeded",
        s => s.canonical_reason().unwrap_or("Error"),
    };
    Reply::error(status, text)
}

fn dispatch(
    shared: &Shared,
    route: Route,
    account_id: i64,
    form: &[(String, String)],
    now_ms: u128,
) -> Reply {
    match route {
        Route::Me => Reply::json(&shared.world.read().me_json(account_id)),
        Route::Rooms => {
            let world = shared.world.read();
            let messages = shared.messages.lock();
            Reply::json(&world.rooms_json(account_id, |id| messages.stats(id)))
        }
        Route::Contacts => list_or_204(&shared.world.read().contacts_json(account_id)),
        Route::IncomingRequests => {
            list_or_204(&shared.world.read().incoming_requests_json(account_id))
        }
        Route::ApproveRequest(id) => match shared.world.write().approve_request(account_id, id) {
            Ok(contact) => Reply::json(&contact),
            Err(e) => request_refusal(&e),
        },
        Route::RejectRequest(id) => match shared.world.write().reject_request(account_id, id) {
            Ok(()) => Reply::ok(StatusCode::NO_CONTENT, None),
            Err(e) => request_refusal(&e),
        },
        Route::Members(room_id) => {
            let world = shared.world.read();
            match world.role_in(room_id, account_id) {
                Ok(_) => Reply::json(&world.members_json(room_id)),
                Err(e) => room_refusal(&e),
            }
        }
        Route::PostMessage(room_id) => post_message(shared, room_id, account_id, form, now_ms),
    }
}

/// Real Chatwork answers an empty list with 204 and no body.
fn list_or_204(list: &[serde_json::Value]) -> Reply {
    if list.is_empty() {
        Reply::ok(StatusCode::NO_CONTENT, None)
    } else {
        Reply::json(&list)
    }
}

fn request_refusal(e: &RequestAccess) -> Reply {
    match e {
        RequestAccess::NotFound => {
            Reply::error(StatusCode::NOT_FOUND, "Incoming request not found")
        }
    }
}

fn room_refusal(e: &RoomAccess) -> Reply {
    match e {
        RoomAccess::NotFound => Reply::error(StatusCode::NOT_FOUND, "Room not found"),
        RoomAccess::NotMember => Reply::error(
            StatusCode::FORBIDDEN,
            "You don't have permission to access this room",
        ),
    }
}

fn post_message(
    shared: &Shared,
    room_id: i64,
    account_id: i64,
    form: &[(String, String)],
    now_ms: u128,
) -> Reply {
    let role = shared.world.read().role_in(room_id, account_id);
    match role {
        Err(e) => return room_refusal(&e),
        Ok(Role::Readonly) => {
            return Reply::error(
                StatusCode::FORBIDDEN,
                "You don't have permission to post messages in this room",
            )
        }
        Ok(_) => {}
    }
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let body = match field("body") {
        None | Some("") => {
            return Reply::error(StatusCode::BAD_REQUEST, "Parameter 'body' is required")
        }
        // Counted in characters, not bytes: 65,535 kanji are allowed.
        Some(b) if b.chars().nth(BODY_MAX_CHARS).is_some() => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "Parameter 'body' must be 65535 characters or less",
            )
        }
        Some(b) => b,
    };
    let self_unread = match field("self_unread") {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(_) => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "Parameter 'self_unread' must be 0 or 1",
            )
        }
    };
    if shared.limits_enabled.load(Ordering::Relaxed) {
        let cfg = &shared.config;
        let ok = shared.room_windows.lock().try_post(
            room_id,
            Instant::now(),
            cfg.room_limit,
            cfg.room_window,
        );
        if !ok {
            return Reply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit for message posting per room exceeded.",
            );
        }
    }
    let message_id =
        shared
            .messages
            .lock()
            .post(room_id, account_id, body.to_owned(), self_unread, now_ms);
    // Built by hand: this is the hot path of every benchmark.
    let body = format!("{{\"message_id\":\"{message_id}\"}}");
    Reply::ok(StatusCode::OK, Some(body))
}

pub(crate) fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Last 4 characters of a token: enough to tell tokens apart in a log, useless to a thief.
pub(crate) fn last4(token: &str) -> String {
    let n = token.chars().count();
    token.chars().skip(n.saturating_sub(4)).collect()
}

/// A token sent in the query (which Chatwork refuses) must not be logged in full either.
pub(crate) fn mask_query(query: &str) -> String {
    if !query.to_ascii_lowercase().contains("token") {
        return query.to_owned();
    }
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if k.to_ascii_lowercase().contains("token") => {
                format!("{k}=…{}", last4(v))
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let get = Method::GET;
        assert!(matches!(route(&get, "/v2/me"), Some(Route::Me)));
        assert!(matches!(
            route(&get, "/v2/rooms/12/members"),
            Some(Route::Members(12))
        ));
        assert!(matches!(
            route(&Method::POST, "/v2/rooms/12/messages"),
            Some(Route::PostMessage(12))
        ));
        assert!(route(&get, "/v2/rooms/12/messages").is_none());
        assert!(matches!(
            route(&get, "/v2/incoming_requests"),
            Some(Route::IncomingRequests)
        ));
        assert!(matches!(
            route(&Method::PUT, "/v2/incoming_requests/7"),
            Some(Route::ApproveRequest(7))
        ));
        assert!(matches!(
            route(&Method::DELETE, "/v2/incoming_requests/7"),
            Some(Route::RejectRequest(7))
        ));
        assert!(route(&get, "/v2/incoming_requests/7").is_none());
        assert!(route(&Method::PUT, "/v2/incoming_requests").is_none());
        assert!(route(&Method::DELETE, "/v2/incoming_requests/x").is_none());
        assert!(route(&get, "/v2/rooms/x/members").is_none());
        assert!(route(&get, "/v2/me/").is_none());
        assert!(route(&get, "/me").is_none());
    }

    #[test]
    fn content_type_and_masking() {
        assert!(is_form(Some(
            "application/x-www-form-urlencoded; charset=UTF-8"
        )));
        assert!(!is_form(Some("application/json")));
        assert!(!is_form(None));
        assert_eq!(last4("abcdef"), "cdef");
        assert_eq!(last4("ab"), "ab");
        assert_eq!(
            mask_query("a=1&access_token=secret123"),
            "a=1&access_token=…t123"
        );
        assert_eq!(mask_query("force=1"), "force=1");
    }
}
