//! One connection's page: who it posts as (and My Chat), where, its state, the secret's
//! last characters only; switching it off and on, its room, the webhook the provider
//! calls back, LINE's friend link and followers, and disconnecting with a confirmation
//! that says what stops.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use renkei_store::connections::Follower;
use serde::Deserialize;

use super::{api_message, failed, owner_label, room_label, state_of};
use crate::api::connections::{ConnectionPatch, ConnectionView};
use crate::api::inbound::InboundSecretBody;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// What the page shows of a connection, worded.
pub struct Shown {
    pub id: i64,
    pub provider: &'static str,
    pub tool: &'static str,
    pub kind: String,
    pub owner: String,
    pub account_name: String,
    pub account_id: String,
    /// Chatwork: the token owner's My Chat.
    pub my_chat: Option<String>,
    pub room: String,
    /// Whether a room can be chosen (not for webhooks and LINE).
    pub chooses_room: bool,
    pub state: &'static str,
    pub reason: String,
    pub paused_until: Option<i64>,
    pub enabled: bool,
    /// The credential's last 4 characters, e.g. `…9f2c`.
    pub secret_hint: String,
    pub created_at: i64,
    pub warnings: Vec<String>,
    pub pending: i64,
}

impl Shown {
    /// The catalogue key `<prefix>-<provider>` (texts that differ per tool).
    pub fn tool_key(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.provider)
    }

    /// The catalogue key of the room field's hint for its tool.
    pub fn room_hint_key(&self) -> String {
        super::fields::hint_key_of(self.provider, "room")
    }

    /// The catalogue key of its state.
    pub fn state_key(&self) -> String {
        format!("conn-state-{}", self.state)
    }

    /// "Chatwork · The office · 通知用", to say which connection a page is about.
    pub fn line(&self) -> String {
        [self.tool, &self.owner, &self.account_name]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// The webhook the provider calls renkei with, and the secret that signs it.
pub struct Inbound {
    pub url: String,
    pub secret_hint: Option<String>,
    pub accepting: bool,
}

#[derive(Template)]
#[template(path = "console/connections/detail.html")]
struct DetailPage {
    page: Page,
    c: Shown,
    /// The room field's value: what was typed after a refusal, else the room set.
    room_value: String,
    inbound: Option<Inbound>,
    friend_url: Option<String>,
    friend_qr: String,
    followers: Option<Vec<Follower>>,
}

pub fn shown(console: &Console, v: &ConnectionView) -> Shown {
    let tr = console.tr;
    let provider: Option<Provider> = v.provider.parse().ok();
    let secret_hint = v
        .credentials
        .as_object()
        .and_then(|o| o.values().find_map(|h| h.as_str()))
        .unwrap_or_default()
        .to_string();
    Shown {
        id: v.id,
        provider: provider.map_or("", Provider::as_str),
        tool: provider.map_or("?", Provider::display_name),
        kind: tr.get(&format!("conn-kind-{}", v.kind)),
        owner: owner_label(tr, &v.owner),
        account_name: v.account.name.clone().unwrap_or_default(),
        account_id: v.account.id.clone().unwrap_or_default(),
        my_chat: v.default_room.clone().filter(|_| v.provider == "chatwork"),
        room: room_label(tr, v),
        chooses_room: v.kind != "webhook" && provider.is_some_and(super::fields::has_room),
        state: state_of(v),
        reason: v.status_reason.clone().unwrap_or_default(),
        paused_until: v.paused_until,
        enabled: v.enabled,
        secret_hint,
        created_at: v.created_at,
        warnings: v.warnings.clone(),
        pending: v.pending_deliveries.unwrap_or(0),
    }
}

/// The QR code of a friend link, as inline SVG (no script, no style attribute).
fn qr_svg(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .map(|c| {
            c.render::<qrcode::render::svg::Color>()
                .min_dimensions(180, 180)
                .build()
        })
        .unwrap_or_default()
}

/// Renders the page, with `errors` and the typed room after a refused change.
async fn detail_page(
    state: &AppState,
    console: &Console,
    id: &str,
    errors: Vec<FieldError>,
    typed_room: Option<String>,
) -> Response {
    let mut page = console.page(Section::Connections, "conn-detail-title");
    let view = match crate::api::connections::show(
        State(state.clone()),
        console.auth(),
        Path(id.to_string()),
    )
    .await
    {
        Ok(ApiJson(view)) => view,
        Err(e) => return failed(&page, &e),
    };
    let followers = if view.provider == "line" {
        crate::api::inbound::followers(State(state.clone()), console.auth(), Path(id.to_string()))
            .await
            .ok()
            .map(|ApiJson(f)| f)
    } else {
        None
    };
    let c = shown(console, &view);
    page.title = console.tr.with("conn-detail-title", "tool", c.tool);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.errors = errors;
    let inbound = view.inbound.map(|i| Inbound {
        url: i.url,
        secret_hint: i.secret,
        accepting: i.accepting,
    });
    render(
        status,
        &DetailPage {
            page,
            room_value: typed_room.unwrap_or_else(|| view.room.clone().unwrap_or_default()),
            friend_qr: view.friend_url.as_deref().map(qr_svg).unwrap_or_default(),
            friend_url: view.friend_url,
            inbound,
            followers,
            c,
        },
    )
}

/// `GET /console/connections/{id}`.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    detail_page(&state, &console, &id, vec![], None).await
}

async fn patch(
    state: &AppState,
    console: &Console,
    id: &str,
    body: ConnectionPatch,
) -> Result<ConnectionView, ApiError> {
    crate::api::connections::patch(
        State(state.clone()),
        console.auth(),
        Path(id.to_string()),
        ApiJson(body),
    )
    .await
    .map(|ApiJson(v)| v)
}

#[derive(Deserialize)]
pub struct EnabledForm {
    enabled: String,
}

/// `POST /console/connections/{id}/enabled`: switch off (kept, not used) or on again.
pub async fn set_enabled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm(console, form): ConsoleForm<EnabledForm>,
) -> Response {
    let on = form.enabled == "true";
    let body = ConnectionPatch {
        enabled: Some(on),
        room: None,
    };
    match patch(&state, &console, &id, body).await {
        Ok(v) => {
            let what = if on { "switched on" } else { "switched off" };
            console
                .audit(&state, "connection.update", &v.id.to_string(), what)
                .await;
            let flash = if on {
                "conn-switched-on"
            } else {
                "conn-switched-off"
            };
            see_other(&format!("/console/connections/{}?flash={flash}", v.id))
        }
        Err(e) => failed(&console.page(Section::Connections, "conn-list-title"), &e),
    }
}

#[derive(Deserialize)]
pub struct RoomForm {
    #[serde(default)]
    room: String,
}

/// `POST /console/connections/{id}/room`: where it posts when nothing else says
/// (empty: back to its default place, e.g. My Chat).
pub async fn set_room(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm(console, form): ConsoleForm<RoomForm>,
) -> Response {
    let room = form.room.trim().to_string();
    let body = ConnectionPatch {
        enabled: None,
        room: Some(room.clone()),
    };
    match patch(&state, &console, &id, body).await {
        Ok(v) => {
            let what = match &v.room {
                Some(r) => format!("room set to {r}"),
                None => "room cleared (default place)".to_string(),
            };
            console
                .audit(&state, "connection.update", &v.id.to_string(), &what)
                .await;
            see_other(&format!(
                "/console/connections/{}?flash=conn-room-saved",
                v.id
            ))
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let error = FieldError {
                field: "room".into(),
                message: api_message(console.tr, None, &e),
            };
            detail_page(&state, &console, &id, vec![error], Some(room)).await
        }
        Err(e) => failed(&console.page(Section::Connections, "conn-list-title"), &e),
    }
}

#[derive(Deserialize)]
pub struct SecretForm {
    #[serde(default)]
    secret: String,
}

/// `POST /console/connections/{id}/inbound-secret`: the secret that signs the provider's
/// webhooks to renkei. Audited without the secret.
pub async fn set_inbound_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm(console, form): ConsoleForm<SecretForm>,
) -> Response {
    let secret = form.secret.trim().to_string();
    let refused = |message: String| FieldError {
        field: "inbound_secret".into(),
        message,
    };
    if secret.is_empty() {
        let message = console.tr.get("conn-inbound-secret-missing");
        return detail_page(&state, &console, &id, vec![refused(message)], None).await;
    }
    let body = InboundSecretBody { secret };
    match crate::api::inbound::put_inbound_secret(
        State(state.clone()),
        console.auth(),
        Path(id.clone()),
        ApiJson(body),
    )
    .await
    {
        Ok(_) => {
            console
                .audit(
                    &state,
                    "connection.update",
                    &id,
                    "inbound webhook secret set",
                )
                .await;
            see_other(&format!(
                "/console/connections/{id}?flash=conn-inbound-saved"
            ))
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let message = api_message(console.tr, None, &e);
            detail_page(&state, &console, &id, vec![refused(message)], None).await
        }
        Err(e) => failed(&console.page(Section::Connections, "conn-list-title"), &e),
    }
}
