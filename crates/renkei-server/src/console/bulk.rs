//! Bulk send (Cells Drive L1B): pick a Chatwork connection, tick rooms from its list, write
//! one message, send; then watch it go out room by room (see `progress`).

mod progress;
mod rooms;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use renkei_core::model::{Owner, Provider};
use renkei_providers::chatwork::Room;
use serde::Deserialize;

use super::home::owner_label;
use super::landing::store_error;
use super::page::{render, see_other, FieldError, Page, Section};
use super::session::{Console, ConsoleForm};
use crate::api::bulk::{create as api_create, BulkSendBody};
use crate::error::{ApiError, ApiJson};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/bulk-sends", post(create))
        .route("/bulk-sends/new", get(new))
        .route("/bulk-sends/{id}", get(progress::show))
        .route("/bulk-sends/{id}/progress", get(progress::fragment))
        .route("/bulk-sends/{id}/cancel", post(progress::cancel))
}

pub struct ConnectionOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct RoomOption {
    pub id: String,
    pub name: String,
    /// `my`, `direct` or `group`.
    pub kind: String,
    /// Read-only members cannot post: shown, but not offered.
    pub readonly: bool,
    pub checked: bool,
}

/// The send form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    pub connection: String,
    #[serde(default)]
    pub rooms: Vec<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Template)]
#[template(path = "console/bulk/new.html")]
struct NewPage {
    page: Page,
    connections: Vec<ConnectionOption>,
    chosen: Option<i64>,
    rooms: Vec<RoomOption>,
    /// Why the rooms could not be listed (Chatwork refused the token, or is down).
    rooms_error: Option<String>,
    form: BulkForm,
}

#[derive(Deserialize)]
pub struct NewQuery {
    connection: Option<String>,
}

async fn new(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<NewQuery>,
) -> Response {
    let page = console.page(Section::BulkSend, "bulk-title");
    let form = BulkForm {
        connection: q.connection.unwrap_or_default(),
        ..BulkForm::default()
    };
    form_page(&state, &console, page, form, StatusCode::OK).await
}

/// The tenant's live Chatwork connections, the office's first.
async fn chatwork_connections(
    state: &AppState,
    console: &Console,
) -> Result<Vec<(i64, String)>, renkei_store::StoreError> {
    let mut conns: Vec<_> = state
        .store
        .connections(console.tenant.id)
        .await?
        .into_iter()
        .filter(|c| c.provider == Provider::Chatwork && c.status == "connected")
        .collect();
    conns.sort_by_key(|c| (!matches!(c.owner, Owner::Tenant), c.id));
    Ok(conns
        .iter()
        .map(|c| {
            let account = c.account_name.clone().unwrap_or_default();
            let label = format!("{} · {account} (#{})", owner_label(console, c), c.id);
            (c.id, label)
        })
        .collect())
}

/// The form: connections to choose from, the chosen one's rooms, the message as typed.
async fn form_page(
    state: &AppState,
    console: &Console,
    page: Page,
    form: BulkForm,
    status: StatusCode,
) -> Response {
    let conns = match chatwork_connections(state, console).await {
        Ok(c) => c,
        Err(e) => return store_error(&page, &e),
    };
    let chosen = match form.connection.trim() {
        "" => conns.first().map(|c| c.0),
        id => match id.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return not_found(&page),
        },
    };
    let (rooms, rooms_error) = match chosen {
        None => (vec![], None),
        Some(id) => match rooms::list(state, console, id).await {
            Ok(list) => (room_options(&list, &form.rooms), None),
            Err(e) if e.status == StatusCode::NOT_FOUND => return not_found(&page),
            Err(e) => (vec![], Some(rooms_error(&page, &e))),
        },
    };
    let connections = conns
        .into_iter()
        .map(|(id, label)| ConnectionOption {
            id,
            label,
            selected: Some(id) == chosen,
        })
        .collect();
    render(
        status,
        &NewPage {
            page,
            connections,
            chosen,
            rooms,
            rooms_error,
            form,
        },
    )
}

fn room_options(rooms: &[Room], ticked: &[String]) -> Vec<RoomOption> {
    rooms
        .iter()
        .map(|r| {
            let id = r.room_id.to_string();
            RoomOption {
                checked: ticked.contains(&id),
                readonly: r.role == "readonly",
                name: r.name.clone(),
                kind: r.kind.clone(),
                id,
            }
        })
        .collect()
}

fn rooms_error(page: &Page, e: &ApiError) -> String {
    page.tr
        .maybe(&format!("bulk-err-{}", e.code))
        .unwrap_or_else(|| e.message.clone())
}

#[derive(Template)]
#[template(path = "console/message.html")]
pub(crate) struct MessagePage {
    pub page: Page,
    pub paragraphs: Vec<String>,
}

/// 404 inside the console: another tenant's ID looks exactly like one that never existed.
pub(crate) fn not_found(page: &Page) -> Response {
    let mut page = page.clone();
    page.title = page.t("bulk-not-found-title");
    let paragraphs = vec![page.t("bulk-not-found")];
    render(StatusCode::NOT_FOUND, &MessagePage { page, paragraphs })
}

/// `POST /console/bulk-sends`: queues the message through the API's own handler, then
/// shows its progress.
async fn create(
    State(state): State<AppState>,
    ConsoleForm(console, form): ConsoleForm<BulkForm>,
) -> Response {
    let mut page = console.page(Section::BulkSend, "bulk-title");
    let Ok(connection_id) = form.connection.trim().parse::<i64>() else {
        return not_found(&page);
    };
    let body = BulkSendBody {
        connection_id,
        rooms: form.rooms.clone(),
        title: form.title.clone(),
        body: form.body.clone(),
    };
    match api_create(State(state.clone()), console.auth(), ApiJson(body)).await {
        Ok((_, ApiJson(started))) => {
            let detail = format!(
                "{} rooms through connection {connection_id}: {}",
                started.total,
                summary(&form)
            );
            console
                .audit(&state, "bulk_send.create", &started.id.to_string(), &detail)
                .await;
            see_other(&format!("/console/bulk-sends/{}", started.id))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&page),
        Err(e) => {
            page.errors.push(field_error(&page, &e));
            form_page(
                &state,
                &console,
                page,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The title, else the start of the message, for the audit log.
fn summary(form: &BulkForm) -> String {
    let text = if form.title.trim().is_empty() {
        form.body.trim()
    } else {
        form.title.trim()
    };
    text.chars().take(60).collect()
}

fn field_error(page: &Page, e: &ApiError) -> FieldError {
    let field = match e.code {
        "invalid_title" => "title",
        "invalid_body" => "body",
        _ => "rooms",
    };
    FieldError {
        field: field.into(),
        message: page
            .tr
            .maybe(&format!("bulk-err-{}", e.code))
            .unwrap_or_else(|| e.message.clone()),
    }
}
