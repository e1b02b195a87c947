//! HTTP side of the fake's OAuth: the consent page, the token endpoint, and the
//! `/_fake/oauth/*` controls. Every consent and token request is recorded in the journal
//! (secrets masked) and waits for the configured delay, like API requests.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::flows::{ConsentOutcome, OAuthFailure};
use super::{Consent, TokenRequest};
use crate::chatwork::api::{is_form, last4};
use crate::chatwork::journal::RecordedRequest;
use crate::chatwork::{unix_ms, FakeChatwork};

pub(crate) fn routes() -> Router<FakeChatwork> {
    Router::new()
        .route("/packages/oauth2/login.php", get(consent))
        .route("/oauth/token", post(token))
        .route("/_fake/oauth/clients", post(register))
        .route("/_fake/oauth/consent", post(set_consent))
        .route("/_fake/oauth/revoke", post(revoke))
        .route("/_fake/oauth/expire", post(expire))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Chatwork</title></head>\
         <body><h1>エラー / Error</h1><p>{}</p></body></html>",
        html_escape(message)
    );
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    let ct = HeaderValue::from_static("text/html; charset=utf-8");
    res.headers_mut().insert(header::CONTENT_TYPE, ct);
    res
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default()
}

/// Consent page values and form fields: an empty value counts as missing.
fn lookup(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

struct Seen<'a> {
    method: &'a Method,
    uri: &'a Uri,
    content_type: Option<&'a str>,
    auth_scheme: Option<&'static str>,
    form: Vec<(String, String)>,
    status: u16,
    error: Option<String>,
}

/// Journal entry, then the configured delay (the work is done; the answer is late).
async fn finish(fake: &FakeChatwork, seen: Seen<'_>, response: Response) -> Response {
    let shared = &fake.shared;
    shared.journal.record(RecordedRequest {
        method: seen.method.as_str().to_owned(),
        path: seen.uri.path().to_owned(),
        query: seen.uri.query().map(crate::chatwork::api::mask_query),
        token_last4: None,
        auth_scheme: seen.auth_scheme.map(str::to_owned),
        content_type: seen.content_type.map(str::to_owned),
        form: seen.form,
        status: seen.status,
        received_at_ms: unix_ms(),
        error: seen.error,
    });
    let delay = Duration::from_micros(shared.delay_us.load(Ordering::Relaxed));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    response
}

async fn consent(State(fake): State<FakeChatwork>, method: Method, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let code_lifetime = fake.lifetimes().code;
    let outcome =
        fake.shared
            .oauth
            .lock()
            .authorize(|k| lookup(&pairs, k), code_lifetime, Instant::now());
    let (status, error, response) = match outcome {
        ConsentOutcome::ErrorPage(message) => (
            StatusCode::BAD_REQUEST,
            Some(message.clone()),
            html(StatusCode::BAD_REQUEST, &message),
        ),
        ConsentOutcome::NoOutcomeChosen => {
            let message = "The fake has no consent outcome: call set_oauth_consent or POST /_fake/oauth/consent";
            let status = StatusCode::SERVICE_UNAVAILABLE;
            (status, Some(message.to_owned()), html(status, message))
        }
        ConsentOutcome::Redirect { location, approved } => {
            if let Some(account) = approved {
                fake.shared.world.write().ensure_account(account);
            }
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::FOUND;
            if let Ok(v) = HeaderValue::from_str(&location) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            (StatusCode::FOUND, None, res)
        }
    };
    let seen = Seen {
        method: &method,
        uri: &uri,
        content_type: None,
        auth_scheme: None,
        form: Vec::new(),
        status: status.as_u16(),
        error,
    };
    finish(&fake, seen, response).await
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(s: &str) -> String {
    let pair = format!("v={}", s.replace('&', "%26"));
    url::form_urlencoded::parse(pair.as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Form values that are secrets keep only their last 4 characters in the journal.
fn masked_form(form: &[(String, String)]) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| match k.as_str() {
            "code" | "refresh_token" | "code_verifier" | "client_secret" => {
                (k.clone(), format!("…{}", last4(v)))
            }
            _ => (k.clone(), v.clone()),
        })
        .collect()
}

fn oauth_error(f: &OAuthFailure) -> Response {
    let body = json!({ "error": f.error, "error_description": f.description, "error_uri": null });
    let mut res = json_response(&body);
    *res.status_mut() = StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST);
    if f.error == "invalid_client" {
        let basic = HeaderValue::from_static("Basic realm=\"Chatwork OAuth\"");
        res.headers_mut().insert(header::WWW_AUTHENTICATE, basic);
    }
    res
}

fn json_response(body: &serde_json::Value) -> Response {
    let mut res = Response::new(Body::from(body.to_string()));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

async fn token(
    State(fake): State<FakeChatwork>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let form: Vec<(String, String)> = if is_form(content_type) {
        serde_urlencoded::from_bytes(&body).unwrap_or_default()
    } else {
        Vec::new()
    };
    let basic = authorization.as_deref().and_then(parse_basic);
    let lifetimes = fake.lifetimes();
    let result = {
        let mut oauth = fake.shared.oauth.lock();
        oauth.authenticate(basic).and_then(|client_id| {
            if let Some(status) = fake.shared.faults.take(uri.path(), false) {
                let reason = StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Error");
                return Err(OAuthFailure {
                    status,
                    error: "server_error",
                    description: reason.to_owned(),
                });
            }
            let issued =
                oauth.token(&client_id, |k| lookup(&form, k), &lifetimes, Instant::now())?;
            let n = oauth.expires_in();
            let expires_in = if oauth.expires_in_as_string {
                json!(n.to_string())
            } else {
                json!(n)
            };
            Ok(json!({
                "access_token": issued.access_token,
                "refresh_token": issued.refresh_token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "scope": issued.scope,
            }))
        })
    };
    let (status, error, response) = match &result {
        Ok(body) => (200, None, json_response(body)),
        Err(f) => (f.status, Some(f.error.to_owned()), oauth_error(f)),
    };
    fake.shared.oauth.lock().record(TokenRequest {
        authorization: authorization.clone(),
        content_type: content_type.map(str::to_owned),
        form: form.clone(),
        status,
        error: error.clone(),
    });
    let seen = Seen {
        method: &method,
        uri: &uri,
        content_type,
        auth_scheme: authorization.as_deref().map(|_| "basic"),
        form: masked_form(&form),
        status,
        error: result.err().map(|f| f.description),
    };
    finish(&fake, seen, response).await
}

#[derive(Deserialize)]
struct ClientBody {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    #[serde(default)]
    confidential: bool,
}

async fn register(State(fake): State<FakeChatwork>, Json(b): Json<ClientBody>) -> StatusCode {
    fake.register_oauth_client(
        &b.client_id,
        &b.client_secret,
        &b.redirect_uri,
        b.confidential,
    );
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ConsentBody {
    approve_account_id: Option<i64>,
    #[serde(default)]
    deny: bool,
}

async fn set_consent(State(fake): State<FakeChatwork>, Json(b): Json<ConsentBody>) -> StatusCode {
    match (b.approve_account_id, b.deny) {
        (Some(account_id), false) => fake.set_oauth_consent(Consent::Approve { account_id }),
        (None, true) => fake.set_oauth_consent(Consent::Deny),
        _ => return StatusCode::BAD_REQUEST,
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct AccountBody {
    account_id: i64,
}

async fn revoke(State(fake): State<FakeChatwork>, Json(b): Json<AccountBody>) -> StatusCode {
    fake.revoke_oauth_tokens(b.account_id);
    StatusCode::NO_CONTENT
}

async fn expire(State(fake): State<FakeChatwork>, Json(b): Json<AccountBody>) -> StatusCode {
    fake.expire_oauth_access_tokens(b.account_id);
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("my%20id:s%2Bc%26t");
        assert_eq!(
            parse_basic(&format!("Basic {b64}")),
            Some(("my id".into(), "s+c&t".into()))
        );
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }

    #[test]
    fn secrets_in_the_form_are_masked() {
        let form = vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            ("refresh_token".to_owned(), "abcdefgh".to_owned()),
        ];
        let masked = masked_form(&form);
        assert_eq!(masked[0].1, "refresh_token");
        assert_eq!(masked[1].1, "…efgh");
    }
}
