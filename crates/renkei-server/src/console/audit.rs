//! The audit log: every change made in the console or through the API, newest first.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use renkei_store::audit::AuditEntry;
use serde::Deserialize;

use super::landing::store_error;
use super::page::{render, Page, Section};
use super::session::Console;
use crate::AppState;

const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(show))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    page: Page,
    entries: Vec<AuditEntry>,
    older: Option<i64>,
}

async fn show(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<AuditQuery>,
) -> Response {
    let page = console.page(Section::Audit, "audit-title");
    let entries = match state
        .store
        .audit_entries(console.tenant.id, q.before, PAGE_SIZE + 1)
        .await
    {
        Ok(entries) => entries,
        Err(e) => return store_error(&page, &e),
    };
    let mut entries = entries;
    let older = if entries.len() as i64 > PAGE_SIZE {
        entries.truncate(PAGE_SIZE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    render(
        StatusCode::OK,
        &AuditPage {
            page,
            entries,
            older,
        },
    )
}
