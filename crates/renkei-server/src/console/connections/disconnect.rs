//! Disconnecting: a confirmation page that says what stops (sending through it at once, the
//! deliveries waiting for it cancelled, the credentials deleted), then the API's own delete.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::detail::{shown, Shown};
use super::failed;
use crate::console::page::{render, see_other, Page, Section};
use crate::console::session::{Console, ConsoleForm, NoFields};
use crate::error::ApiJson;
use crate::AppState;

#[derive(Template)]
#[template(path = "console/connections/delete.html")]
struct DeletePage {
    page: Page,
    c: Shown,
}

/// `GET /console/connections/{id}/delete`: what disconnecting stops, and the button.
pub async fn confirm(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let mut page = console.page(Section::Connections, "conn-delete-title");
    let view = match crate::api::connections::show(State(state), console.auth(), Path(id)).await {
        Ok(ApiJson(view)) => view,
        Err(e) => return failed(&page, &e),
    };
    let c = shown(&console, &view);
    page.title = console.tr.with("conn-delete-title", "tool", c.tool);
    render(StatusCode::OK, &DeletePage { page, c })
}

/// `POST /console/connections/{id}/delete`: the credentials go at once; deliveries
/// waiting for them end cancelled (the API's own delete).
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm(console, NoFields {}): ConsoleForm<NoFields>,
) -> Response {
    // What it was, for the audit log (the API's delete answers 204 without a body).
    let before =
        crate::api::connections::show(State(state.clone()), console.auth(), Path(id.clone()))
            .await
            .ok()
            .map(|ApiJson(v)| v);
    match crate::api::connections::delete(State(state.clone()), console.auth(), Path(id.clone()))
        .await
    {
        Ok(_) => {
            let detail = before.map_or_else(String::new, |v| {
                format!(
                    "{} ({}), account {}, {} pending deliveries cancelled",
                    v.provider,
                    v.kind,
                    v.account.name.as_deref().unwrap_or("-"),
                    v.pending_deliveries.unwrap_or(0)
                )
            });
            console
                .audit(&state, "connection.delete", &id, &detail)
                .await;
            see_other("/console/connections?flash=conn-disconnected")
        }
        Err(e) => failed(&console.page(Section::Connections, "conn-list-title"), &e),
    }
}
