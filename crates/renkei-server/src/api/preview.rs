//! `POST /api/v1/route-preview`: the body of `POST /events`, answered with where it would go,
//! why, and the message each destination would get as its provider renders it. Nothing is
//! stored or sent, so a product can check an event before sending it.

use axum::extract::State;
use renkei_core::model::Notice;
use renkei_core::routing::{self, Outcome, Planned};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::events::{route, validate, EventBody};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewDelivery {
    pub target: String,
    pub provider: Option<String>,
    pub connection_id: Option<i64>,
    /// `would_send` or `skipped`.
    pub status: &'static str,
    pub reason_code: Option<&'static str>,
    #[schema(value_type = Object)]
    pub destination: Option<Value>,
    #[schema(value_type = Object)]
    pub mentions: Value,
    /// How routing decided, step by step.
    pub route: Vec<String>,
    pub warnings: Vec<String>,
    /// The message as this destination's provider would render it (when it would send).
    pub rendered: Option<Rendered>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rendered {
    /// `text` (Chatwork notation, LINE text) or `json` (the payload posted: Slack blocks,
    /// a Teams card, a Google Chat or LINE WORKS message).
    pub format: &'static str,
    /// The text, or the JSON payload as an object.
    #[schema(value_type = Object)]
    pub message: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub deliveries: Vec<PreviewDelivery>,
    /// The event accepted earlier under this `idempotency_key`: `POST /events` would answer
    /// that event and send nothing new.
    pub duplicate_of: Option<i64>,
    /// When the notices' confirmation links would expire, if they would carry one. The link
    /// in `rendered` is a sample of the same length that opens no notice.
    pub confirmation_link_expires_at: Option<i64>,
    /// What the preview cannot show (e.g. the thread a `thread_key` would join).
    pub notes: Vec<String>,
}

fn rendered(state: &AppState, p: &Planned, notice: &Notice) -> Option<Rendered> {
    let Outcome::Send { mentions, .. } = &p.outcome else {
        return None;
    };
    let text = state.providers.get(p.provider?)?.render(notice, mentions);
    // Renderers make either plain text or a JSON payload; a payload is shown as JSON.
    Some(match serde_json::from_str::<Value>(&text) {
        Ok(payload) if payload.is_object() => Rendered {
            format: "json",
            message: payload,
        },
        _ => Rendered {
            format: "text",
            message: Value::String(text),
        },
    })
}

fn delivery_view(p: Planned, rendered: Option<Rendered>) -> PreviewDelivery {
    let (status, code, connection_id, destination, mentions) = match &p.outcome {
        Outcome::Send {
            connection_id,
            room,
            mentions,
        } => {
            let dest = match routing::direct_account(room) {
                Some(a) => json!({"kind": "direct", "account": a}),
                None => json!({"kind": "room", "room": room}),
            };
            (
                "would_send",
                None,
                Some(*connection_id),
                Some(dest),
                json!(mentions),
            )
        }
        Outcome::Skip { code } => ("skipped", Some(*code), None, None, json!([])),
    };
    PreviewDelivery {
        target: p.target,
        provider: p.provider.map(|pr| pr.to_string()),
        connection_id,
        status,
        reason_code: code,
        destination,
        mentions,
        route: p.reasons,
        warnings: p.warnings,
        rendered,
    }
}

/// Where an event would go, why, and each destination's message, without sending anything.
/// Takes exactly the body of `POST /api/v1/events`, validated the same way.
#[utoipa::path(post, path = "/api/v1/route-preview", request_body = EventBody,
    responses((status = 200, body = Preview), (status = 422)))]
pub async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(ev): ApiJson<EventBody>,
) -> Result<ApiJson<Preview>, ApiError> {
    validate(&ev)?;
    let duplicate_of = match &ev.idempotency_key {
        Some(key) => state.store.event_by_idempotency_key(auth.id(), key).await?,
        None => None,
    };
    let mut routed = route(&state, auth.id(), std::slice::from_ref(&ev)).await?;
    let (planned, policy) = routed.pop().expect("one event routed");
    let expires = policy
        .link_ttl_days
        .map(|d| renkei_store::now_ms() + d * 86_400_000);
    let notice = Notice {
        title: ev.title,
        body: ev.body,
        url: ev.url,
        // Delivery 0 never exists: the sample link is genuine in form, but opens nothing.
        confirm_url: expires.map(|e| state.links.url(0, e)),
    };
    let mut notes = Vec::new();
    if let Some(id) = duplicate_of {
        notes.push(format!("`idempotency_key` names event {id}, accepted earlier: POST /api/v1/events would answer that event and send nothing new"));
    }
    if ev.thread_key.is_some() {
        notes.push("`thread_key` puts the notice into the thread of earlier notices with the same key where the tool has threads (Google Chat); where it goes and what it says do not change".into());
    }
    let deliveries = planned
        .into_iter()
        .map(|p| {
            let r = rendered(&state, &p, &notice);
            delivery_view(p, r)
        })
        .collect();
    Ok(ApiJson(Preview {
        deliveries,
        duplicate_of,
        confirmation_link_expires_at: expires,
        notes,
    }))
}
