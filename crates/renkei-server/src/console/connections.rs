//! Connections: the chat tools the office, its clients and members have connected, a
//! connect form per tool with the seeds' "where do I find this" steps, each connection's
//! page (switch on/off, room, inbound webhook, disconnect) and Chatwork OAuth.
//!
//! Every change goes through the API's own handlers (`crate::api::connections`,
//! `crate::api::inbound`, `crate::flows::chatwork_oauth`), so the console verifies
//! credentials against the provider exactly as the API does.

pub mod detail;
pub mod disconnect;
pub mod fields;
pub mod new;
pub mod oauth;
pub mod rooms;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use fluent_bundle::FluentArgs;
use renkei_core::model::Provider;

use super::i18n::Tr;
use super::page::{render, Page, Section};
use super::session::Console;
use crate::api::connections::ConnectionView;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connections", get(list))
        .route(
            "/connections/new/{provider}",
            get(new::form).post(new::create),
        )
        .route(
            "/connections/oauth/chatwork",
            get(oauth::show).post(oauth::register),
        )
        .route("/connections/oauth/chatwork/start", post(oauth::start))
        .route("/connections/{id}", get(detail::show))
        .route("/connections/{id}/enabled", post(detail::set_enabled))
        .route("/connections/{id}/room", post(detail::set_room))
        .route(
            "/connections/{id}/inbound-secret",
            post(detail::set_inbound_secret),
        )
        .route(
            "/connections/{id}/delete",
            get(disconnect::confirm).post(disconnect::delete),
        )
        .route("/connections/{id}/rooms", get(rooms::show))
}

/// One connection's line in the list.
pub struct Row {
    pub id: i64,
    pub tool: &'static str,
    pub owner: String,
    pub account: String,
    pub room: String,
    /// `connected`, `broken`, `paused` or `off`.
    pub state: &'static str,
    pub reason: String,
    pub paused_until: Option<i64>,
    pub warnings: usize,
}

/// A tool to connect, with its connect form.
pub struct Choice {
    pub provider: &'static str,
    pub name: &'static str,
    pub intro: String,
}

#[derive(Template)]
#[template(path = "console/connections/list.html")]
struct ListPage {
    page: Page,
    rows: Vec<Row>,
    choices: Vec<Choice>,
}

async fn list(State(state): State<AppState>, console: Console) -> Response {
    let page = console.page(Section::Connections, "conn-list-title");
    let views = match crate::api::connections::list(State(state), console.auth()).await {
        Ok(ApiJson(views)) => views,
        Err(e) => return failed(&page, &e),
    };
    let rows = views.iter().map(|v| row(console.tr, v)).collect();
    let choices = Provider::ALL
        .into_iter()
        .map(|p| Choice {
            provider: p.as_str(),
            name: p.display_name(),
            intro: console.tr.get(&format!("conn-intro-{}", p.as_str())),
        })
        .collect();
    render(
        StatusCode::OK,
        &ListPage {
            page,
            rows,
            choices,
        },
    )
}

fn row(tr: Tr, v: &ConnectionView) -> Row {
    let provider: Option<Provider> = v.provider.parse().ok();
    Row {
        id: v.id,
        tool: provider.map_or("?", Provider::display_name),
        owner: owner_label(tr, &v.owner),
        account: v.account.name.clone().unwrap_or_default(),
        room: room_label(tr, v),
        state: state_of(v),
        reason: v.status_reason.clone().unwrap_or_default(),
        paused_until: v.paused_until,
        warnings: v.warnings.len(),
    }
}

/// `connected`, `broken` (the provider refused it later), `paused` (its limit) or `off`.
pub fn state_of(v: &ConnectionView) -> &'static str {
    if v.status == "broken" {
        "broken"
    } else if !v.enabled {
        "off"
    } else if v.paused_until.is_some() {
        "paused"
    } else {
        "connected"
    }
}

/// "The office", "client acme", "member yamada", from the API's `owner` object.
pub fn owner_label(tr: Tr, owner: &serde_json::Value) -> String {
    if let Some(ext) = owner.get("client").and_then(|v| v.as_str()) {
        tr.with("owner-client", "id", ext)
    } else if let Some(ext) = owner.get("member").and_then(|v| v.as_str()) {
        tr.with("owner-member", "id", ext)
    } else {
        tr.get("owner-tenant")
    }
}

/// Where the connection posts when nothing else says: its room, else its default place.
pub fn room_label(tr: Tr, v: &ConnectionView) -> String {
    if let Some(room) = &v.room {
        return room.clone();
    }
    match (v.provider.as_str(), v.kind.as_str(), &v.default_room) {
        ("chatwork", _, Some(my_chat)) => tr.with("conn-room-my-chat", "room", my_chat),
        (_, "webhook", _) => tr.get("conn-room-webhook"),
        ("line", _, _) => tr.get("conn-room-line"),
        _ => tr.get("conn-room-none"),
    }
}

/// The words for an API refusal: the catalogue's (`conn-err-<code>`, given the API's own
/// message as `$detail`) when it has them, a general "could not ask the provider" for
/// other 502s, else the API's message.
pub fn api_message(tr: Tr, provider: Option<Provider>, e: &ApiError) -> String {
    let mut args = FluentArgs::new();
    args.set("detail", e.message.clone());
    args.set("tool", provider.map_or("?", Provider::display_name));
    if fields::WORDED_CODES.contains(&e.code) {
        return tr.format_args(&format!("conn-err-{}", e.code), &args);
    }
    if e.status == StatusCode::BAD_GATEWAY {
        return tr.format_args("conn-err-unreachable", &args);
    }
    tr.maybe(&format!("err-{}", e.code))
        .unwrap_or_else(|| e.message.clone())
}

#[derive(Template)]
#[template(path = "console/connections/message.html")]
struct MessagePage {
    page: Page,
    text: String,
}

/// A page that only says why something could not be shown: 404 for an unknown or
/// another tenant's connection, the API's status otherwise.
pub fn failed(page: &Page, e: &ApiError) -> Response {
    let mut page = page.clone();
    if e.status == StatusCode::NOT_FOUND {
        page.title = page.t("conn-not-found-title");
        let text = page.t("conn-not-found-body");
        return render(StatusCode::NOT_FOUND, &MessagePage { page, text });
    }
    if e.status.is_server_error() && e.code == "internal" {
        return super::landing::store_error(&page, &e.message);
    }
    page.title = page.t("conn-failed-title");
    let text = api_message(page.tr, None, e);
    render(e.status, &MessagePage { page, text })
}
