//! A Chatwork connection's rooms (as Chatwork lists them, at most 100), to pick the one it
//! posts into instead of typing its ID (Cells Drive level 2).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_providers::chatwork::Room;

use super::failed;
use crate::console::page::{render, Page, Section};
use crate::console::session::Console;
use crate::error::ApiJson;
use crate::AppState;

#[derive(Template)]
#[template(path = "console/connections/rooms.html")]
struct RoomsPage {
    page: Page,
    id: i64,
    current: String,
    rooms: Vec<Room>,
}

/// `GET /console/connections/{id}/rooms`.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let page = console.page(Section::Connections, "conn-rooms-title");
    let view =
        match crate::api::connections::show(State(state.clone()), console.auth(), Path(id.clone()))
            .await
        {
            Ok(ApiJson(view)) => view,
            Err(e) => return failed(&page, &e),
        };
    let rooms = match crate::api::chatwork::rooms(State(state), console.auth(), Path(id)).await {
        Ok(ApiJson(rooms)) => rooms,
        Err(e) => return failed(&page, &e),
    };
    let current = view.room.or(view.default_room).unwrap_or_default();
    render(
        StatusCode::OK,
        &RoomsPage {
            page,
            id: view.id,
            current,
            rooms,
        },
    )
}
