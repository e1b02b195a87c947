//! Webhooks the providers send renkei: `POST /hooks/{provider}/{connection_id}`. Each is
//! verified on the raw body with the connection's secret (constant-time, Slack's 5-minute
//! window) before anything is parsed; anything unsigned or mis-signed is refused with 401,
//! the same 401 whether or not the connection exists or has a secret (the connection's
//! detail, behind the API key, says why its webhooks are refused).
//!
//! What they do today: LINE `follow`/`unfollow` record who can be reached by push (and a
//! linked member's reachability); Slack's URL verification is answered; Chatwork and LINE
//! WORKS callbacks are acknowledged and logged (no redelivery exists for Chatwork: answer
//! fast, with a small body).

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use renkei_core::model::Provider;
use renkei_providers::signatures::{self, SignatureError};
use serde::Deserialize;
use serde_json::json;
use tracing::{info, warn};

use crate::error::ApiError;
use crate::AppState;

/// The credentials field holding the secret that signs a provider's webhooks.
pub fn inbound_secret_field(provider: Provider) -> Option<&'static str> {
    match provider {
        Provider::Chatwork => Some("webhook_token"),
        Provider::Slack => Some("signing_secret"),
        Provider::LineWorks => Some("bot_secret"),
        Provider::Line => Some("channel_secret"),
        Provider::Teams | Provider::GoogleChat => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct HookQuery {
    chatwork_webhook_signature: Option<String>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Every refusal is a 401 that depends only on what the caller sent: an unknown connection,
/// another provider's, one without (a usable) secret and a wrong signature look alike.
fn refused(e: &SignatureError) -> Response {
    ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.message()).into_response()
}

/// Verifies in its place when the connection has no secret, so that case costs the same
/// HMAC and yields the same answer as a wrong signature. Random per process: a signature
/// made with it is worth nothing elsewhere. Hex is also valid Base64 (Chatwork's format).
static STAND_IN_SECRET: LazyLock<String> =
    LazyLock::new(|| hex::encode(rand::random::<[u8; 32]>()));

fn verify(
    provider: Provider,
    secret: &str,
    q: &HookQuery,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), SignatureError> {
    match provider {
        Provider::Chatwork => signatures::verify_chatwork(
            secret,
            body,
            header(headers, "x-chatworkwebhooksignature"),
            q.chatwork_webhook_signature.as_deref(),
        ),
        Provider::Slack => signatures::verify_slack(
            secret,
            body,
            header(headers, "x-slack-request-timestamp"),
            header(headers, "x-slack-signature"),
            renkei_store::now_ms() / 1000,
        ),
        Provider::LineWorks => {
            signatures::verify_line_works(secret, body, header(headers, "x-works-signature"))
        }
        Provider::Line => {
            signatures::verify_line(secret, body, header(headers, "x-line-signature"))
        }
        Provider::Teams | Provider::GoogleChat => Err(SignatureError::BadSignature),
    }
}

/// The secret that signs this connection's webhooks, if it exists, is this provider's and
/// has one.
async fn stored_secret(
    state: &AppState,
    provider: Provider,
    field: &str,
    connection: Option<i64>,
) -> Result<Option<String>, ApiError> {
    let Some(id) = connection else {
        return Ok(None);
    };
    Ok(match state.store.connection_for_worker(id).await? {
        Some((c, creds)) if c.provider == provider => creds
            .get(field)
            .and_then(|v| v.as_str())
            .map(str::to_string),
        _ => None,
    })
}

pub async fn receive(
    State(state): State<AppState>,
    Path((provider, connection)): Path<(String, String)>,
    Query(q): Query<HookQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Which providers have a receiver is public (the documentation says it): 404.
    let Ok(provider) = provider.parse::<Provider>() else {
        return ApiError::not_found("webhook receiver").into_response();
    };
    let Some(field) = inbound_secret_field(provider) else {
        return ApiError::not_found("webhook receiver").into_response();
    };
    // From here on, nothing tells a caller whether the connection exists: see `refused`.
    let id = connection.parse::<i64>().ok();
    let secret = match stored_secret(&state, provider, field, id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let mut genuine = secret.is_some();
    let stand_in = STAND_IN_SECRET.as_str();
    let mut verified = verify(
        provider,
        secret.as_deref().unwrap_or(stand_in),
        &q,
        &headers,
        &body,
    );
    if matches!(verified, Err(SignatureError::BadSecret(_))) {
        // A stored secret that cannot be used is no secret.
        genuine = false;
        verified = verify(provider, stand_in, &q, &headers, &body);
    }
    if !genuine && verified.is_ok() {
        verified = Err(SignatureError::BadSignature);
    }
    let connection = match (id, verified) {
        (Some(id), Ok(())) => id,
        (_, verified) => {
            let e = verified.err().unwrap_or(SignatureError::BadSignature);
            // The log, unlike the answer, says whether a secret was there to check against.
            warn!(connection = id, provider = %provider, code = e.code(), secret_set = genuine, "webhook refused");
            return refused(&e);
        }
    };
    match provider {
        Provider::Line => line_events(&state, connection, &body).await,
        Provider::Slack => match signatures::slack::parse_inbound(&body) {
            Ok(signatures::slack::Inbound::UrlVerification { challenge }) => {
                Json(json!({ "challenge": challenge })).into_response()
            }
            Ok(_) => StatusCode::OK.into_response(),
            Err(e) => bad_body(e.code()),
        },
        _ => {
            info!(connection, provider = %provider, bytes = body.len(), "webhook received");
            StatusCode::OK.into_response()
        }
    }
}

fn bad_body(code: &'static str) -> Response {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        code,
        "the webhook body is not what this provider sends",
    )
    .into_response()
}

async fn line_events(state: &AppState, connection: i64, body: &[u8]) -> Response {
    let events = match signatures::line::FollowEvents::parse(body) {
        Ok(e) => e,
        Err(e) => return bad_body(e.code()),
    };
    for ev in &events.events {
        let Some(user) = ev.user_id() else { continue };
        let following = match ev.kind.as_str() {
            "follow" => true,
            "unfollow" => false,
            _ => continue,
        };
        if let Err(e) = state.store.record_follow(connection, user, following).await {
            return ApiError::from(e).into_response();
        }
        info!(connection, following, "LINE friendship changed");
    }
    StatusCode::OK.into_response()
}
