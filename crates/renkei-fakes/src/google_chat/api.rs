//! The messages endpoint: one handler with hand routing, so every request is checked in
//! the same order, recorded, then delayed.

use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::{FakeGoogleChat, Space, MAX_MESSAGE_BYTES};

const FALLBACK: &str = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD";
const OR_FAIL: &str = "REPLY_MESSAGE_OR_FAIL";
const UNSPECIFIED: &str = "MESSAGE_REPLY_OPTION_UNSPECIFIED";

/// Fields of Google's `Message` resource; anything else is an unknown name.
const MESSAGE_FIELDS: &[&str] = &[
    "name",
    "sender",
    "createTime",
    "lastUpdateTime",
    "deleteTime",
    "text",
    "formattedText",
    "cards",
    "cardsV2",
    "annotations",
    "thread",
    "space",
    "fallbackText",
    "actionResponse",
    "argumentText",
    "slashCommand",
    "attachment",
    "matchedUrl",
    "threadReply",
    "clientAssignedMessageId",
    "emojiReactionSummaries",
    "privateMessageViewer",
    "deletionMetadata",
    "quotedMessageMetadata",
    "attachedGifs",
    "accessoryWidgets",
];

const NOT_FOUND_PAGE: &str =
    "<!DOCTYPE html>\n<html lang=en>\n<title>Error 404 (Not Found)!!1</title>\n\
<p><b>404.</b> <ins>That’s an error.</ins>\n<p>The requested URL was not found on this server. \
<ins>That’s all we know.</ins>\n";

struct Reply {
    status: StatusCode,
    body: String,
    content_type: &'static str,
}

fn google_error(status: StatusCode, rpc_status: &str, message: &str, details: Value) -> Reply {
    let body = json!({"error": {
        "code": status.as_u16(), "message": message, "status": rpc_status, "details": details,
    }});
    Reply {
        status,
        body: body.to_string(),
        content_type: "application/json; charset=UTF-8",
    }
}

fn invalid(message: &str) -> Reply {
    google_error(
        StatusCode::BAD_REQUEST,
        "INVALID_ARGUMENT",
        message,
        json!([]),
    )
}

fn error_info(reason: &str) -> Value {
    json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
        "domain": "googleapis.com", "metadata": {"service": "chat.googleapis.com"}}])
}

pub(super) async fn handle(
    State(fake): State<FakeGoogleChat>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = answer(&fake, &method, &uri, &headers, &body);
    fake.shared
        .journal
        .record(&method, &uri, &headers, &body, reply.status.as_u16());
    fake.shared.faults.apply_delay().await;
    let mut res = Response::new(Body::from(reply.body));
    *res.status_mut() = reply.status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    res
}

fn space_of(path: &str) -> Option<&str> {
    let space = path
        .strip_prefix("/v1/spaces/")?
        .strip_suffix("/messages")?;
    (!space.is_empty() && !space.contains('/')).then_some(space)
}

fn answer(
    fake: &FakeGoogleChat,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let shared = &fake.shared;
    let Some(space) = space_of(uri.path()) else {
        return Reply {
            status: StatusCode::NOT_FOUND,
            body: NOT_FOUND_PAGE.into(),
            content_type: "text/html; charset=UTF-8",
        };
    };
    if method != Method::POST {
        let message = format!("Method {method} is not allowed on this webhook; use POST.");
        return google_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNIMPLEMENTED",
            &message,
            json!([]),
        );
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(key) = param("key").filter(|k| !k.is_empty()) else {
        return google_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
            json!([]),
        );
    };
    if !shared.keys.lock().contains(key) {
        return google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            error_info("API_KEY_INVALID"),
        );
    }
    if let Some(status) = shared.faults.take(uri.path()) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let rpc = match status.as_u16() {
            429 => "RESOURCE_EXHAUSTED",
            503 => "UNAVAILABLE",
            s if s >= 500 => "INTERNAL",
            _ => "FAILED_PRECONDITION",
        };
        return google_error(
            status,
            rpc,
            "An injected fault: the fake was told to fail this request.",
            json!([]),
        );
    }
    let mut spaces = shared.spaces.lock();
    let Some(state) = spaces.get_mut(space) else {
        return google_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Requested entity was not found.",
            json!([]),
        );
    };
    let token = param("token").unwrap_or("");
    if state.removed_tokens.contains(token) {
        return google_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "The caller does not have permission",
            json!([]),
        );
    }
    if !state.tokens.contains(token) {
        return google_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie \
             or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED"),
        );
    }
    if !is_json(headers) {
        return invalid("Invalid JSON payload received. Unexpected token.");
    }
    let limited = shared.limits_enabled.load(Ordering::Relaxed)
        && (!shared.burst_windows.hit(space).allowed || !shared.windows.hit(space).allowed);
    if limited {
        let message = "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute \
                       per space' of service 'chat.googleapis.com'.";
        return google_error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            message,
            error_info("RATE_LIMIT_EXCEEDED"),
        );
    }
    let mut message = match read_message(body) {
        Ok(m) => m,
        Err(reply) => return reply,
    };
    let option = param("messageReplyOption").unwrap_or(UNSPECIFIED);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let thread_id = match thread_for(state, space, option, message.get("thread"), id) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    let name = format!("spaces/{space}/messages/M{id:010}.M{id:010}");
    let mut thread = json!({ "name": format!("spaces/{space}/threads/{thread_id}") });
    if option != UNSPECIFIED {
        if let Some(k) = message.get("thread").and_then(|t| t.get("threadKey")) {
            thread["threadKey"] = k.clone();
        }
    }
    message.insert("name".into(), json!(name));
    message.insert("thread".into(), thread);
    let answer = Value::Object(message.clone());
    message.insert(
        "createTime".into(),
        json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    );
    message.insert(
        "space".into(),
        json!({"name": format!("spaces/{space}"), "type": "ROOM", "spaceType": "SPACE"}),
    );
    message.insert(
        "sender".into(),
        json!({"name": "users/100000000000000000001", "displayName": "webhook", "type": "BOT"}),
    );
    state.messages.push(Value::Object(message));
    Reply {
        status: StatusCode::OK,
        body: answer.to_string(),
        content_type: "application/json; charset=UTF-8",
    }
}

/// Whether the body is declared JSON (`application/json`, a charset allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// The body as a message Google would accept, or its 400.
fn read_message(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.len() > MAX_MESSAGE_BYTES {
        let why = format!(
            "Message too large: {} bytes; the maximum is {MAX_MESSAGE_BYTES} bytes.",
            body.len()
        );
        return Err(invalid(&why));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        let start: String = String::from_utf8_lossy(body).chars().take(40).collect();
        invalid(&format!(
            "Invalid JSON payload received. Unexpected token.\n{start}\n^"
        ))
    })?;
    let Value::Object(message) = value else {
        return Err(invalid(
            "Invalid JSON payload received. Root element must be a message.",
        ));
    };
    if let Some(unknown) = message
        .keys()
        .find(|k| !MESSAGE_FIELDS.contains(&k.as_str()))
    {
        return Err(invalid(&format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field."
        )));
    }
    if message.get("text").is_some_and(|t| !t.is_string()) {
        return Err(invalid("Invalid value at 'message.text' (TYPE_STRING)"));
    }
    if let Some(cards) = message.get("cardsV2") {
        let ok = cards.as_array().is_some_and(|list| {
            list.iter()
                .all(|c| c.get("card").is_some_and(Value::is_object))
        });
        if !ok {
            return Err(invalid(
                "Invalid value at 'message.cards_v2': each entry needs a `card` object.",
            ));
        }
    }
    let has_text = message
        .get("text")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.trim().is_empty());
    let has_cards = ["cardsV2", "cards"].iter().any(|k| {
        message
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    });
    if !has_text && !has_cards {
        return Err(invalid(
            "Message cannot be empty. Discarding empty message.",
        ));
    }
    Ok(message)
}

/// The thread a new message goes into (creating it when the option allows).
fn thread_for(
    state: &mut Space,
    space: &str,
    option: &str,
    thread: Option<&Value>,
    id: u64,
) -> Result<String, Reply> {
    let new_thread = |state: &mut Space| {
        let t = format!("T{id:010}");
        state.threads.insert(t.clone());
        t
    };
    match option {
        UNSPECIFIED => return Ok(new_thread(state)),
        FALLBACK | OR_FAIL => {}
        other => {
            let why = format!(
                "Invalid value at 'message_reply_option' (type.googleapis.com/google.chat.v1.CreateMessageRequest.MessageReplyOption), \"{other}\""
            );
            return Err(invalid(&why));
        }
    }
    if thread.is_some_and(|t| !t.is_object()) {
        return Err(invalid(
            "Invalid value at 'message.thread' (type.googleapis.com/google.chat.v1.Thread)",
        ));
    }
    let key = thread
        .and_then(|t| t.get("threadKey"))
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty());
    let named = thread
        .and_then(|t| t.get("name"))
        .and_then(Value::as_str)
        .and_then(|n| n.strip_prefix(&format!("spaces/{space}/threads/")))
        .filter(|t| state.threads.contains(*t))
        .map(str::to_owned);
    if let Some(existing) = named.or_else(|| key.and_then(|k| state.threads_by_key.get(k).cloned()))
    {
        return Ok(existing);
    }
    if option == OR_FAIL {
        return Err(google_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Requested entity was not found.",
            json!([]),
        ));
    }
    let t = new_thread(state);
    if let Some(k) = key {
        state.threads_by_key.insert(k.to_owned(), t.clone());
    }
    Ok(t)
}
