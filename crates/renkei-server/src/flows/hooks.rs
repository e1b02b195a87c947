//! Webhooks the providers send renkei: `POST /hooks/{provider}/{connection_id}`. Each is
//! verified on the raw body with the connection's secret (constant-time, Slack's 5-minute
//! window) before anything is parsed; anything unsigned or mis-signed is refused with 401.
//!
//! What they do today: LINE `follow`/`unfollow` record who can be reached by push (and a
//! linked member's reachability); Slack's URL verification is answered; Chatwork and LINE
//! WORKS callbacks are acknowledged and logged (no redelivery exists for Chatwork: answer
//! fast, with a small body).

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

fn refused(e: &SignatureError) -> Response {
    let status = match e {
        // Our side lacks a usable secret: not the caller's fault, but still refuse.
        SignatureError::BadSecret(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    };
    ApiError::new(status, e.code(), e.message()).into_response()
}

pub async fn receive(
    State(state): State<AppState>,
    Path((provider, connection)): Path<(String, String)>,
    Query(q): Query<HookQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(provider) = provider.parse::<Provider>() else {
        return ApiError::not_found("webhook receiver").into_response();
    };
    let Some(field) = inbound_secret_field(provider) else {
        return ApiError::not_found("webhook receiver").into_response();
    };
    let Ok(connection) = connection.parse::<i64>() else {
        return ApiError::not_found("connection").into_response();
    };
    let creds = match state.store.connection_for_worker(connection).await {
        Ok(Some((c, creds))) if c.provider == provider => creds,
        Ok(_) => return ApiError::not_found("connection").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(secret) = creds.get(field).and_then(|v| v.as_str()) else {
        let e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "inbound_secret_missing",
            format!("this connection has no `{field}`: set it with PUT /api/v1/connections/{connection}/inbound-secret"),
        );
        return e.into_response();
    };
    let verified = match provider {
        Provider::Chatwork => signatures::verify_chatwork(
            secret,
            &body,
            header(&headers, "x-chatworkwebhooksignature"),
            q.chatwork_webhook_signature.as_deref(),
        ),
        Provider::Slack => signatures::verify_slack(
            secret,
            &body,
            header(&headers, "x-slack-request-timestamp"),
            header(&headers, "x-slack-signature"),
            renkei_store::now_ms() / 1000,
        ),
        Provider::LineWorks => {
            signatures::verify_line_works(secret, &body, header(&headers, "x-works-signature"))
        }
        Provider::Line => {
            signatures::verify_line(secret, &body, header(&headers, "x-line-signature"))
        }
        Provider::Teams | Provider::GoogleChat => unreachable!("no receiver (checked above)"),
    };
    if let Err(e) = verified {
        warn!(connection, provider = %provider, code = e.code(), "webhook refused");
        return refused(&e);
    }
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
