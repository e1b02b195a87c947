//! The delivery log: events newest first with filters (`list`), one event with each
//! delivery's route, attempts and link activity (`detail`), and sending failed deliveries
//! again, one at a time or every failed one of a connection since a time (`resend`).
//! Everything is read and done through the API's own handlers (`GET /api/v1/events`,
//! `GET /api/v1/events/{id}`, the resend endpoints).

mod codes;
mod detail;
mod list;
mod resend;
mod times;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use renkei_core::model::Provider;

use super::page::{render, Page};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events", get(list::show))
        .route(
            "/events/resend-failed",
            get(resend::failed_form).post(resend::resend_failed),
        )
        .route("/events/{id}", get(detail::show))
        .route("/deliveries/{id}/resend", post(resend::resend_one))
}

/// A count of deliveries in one status, as a small labelled badge.
pub struct Badge {
    /// The status (`failed`, ...): the badge's CSS class.
    pub status: String,
    pub label: String,
    pub count: i64,
}

/// Statuses in the order a reader looks for them: problems first.
const STATUS_ORDER: [&str; 6] = [
    "failed",
    "pending",
    "staged",
    "delivered",
    "cancelled",
    "skipped",
];

/// A delivery status in the page's words (the status itself when the catalogue has none).
pub fn status_words(page: &Page, status: &str) -> String {
    page.tr
        .maybe(&format!("status-{status}"))
        .unwrap_or_else(|| status.to_string())
}

/// The deliveries of an event by status, problems first.
pub fn badges(page: &Page, counts: &std::collections::BTreeMap<String, i64>) -> Vec<Badge> {
    let rank = |s: &str| STATUS_ORDER.iter().position(|o| *o == s).unwrap_or(9);
    let mut out: Vec<Badge> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(status, n)| Badge {
            status: status.clone(),
            label: status_words(page, status),
            count: *n,
        })
        .collect();
    out.sort_by_key(|b| rank(&b.status));
    out
}

/// A provider's name as people write it, from its API spelling (`line_works`).
pub fn tool_name(provider: Option<&str>) -> String {
    provider
        .and_then(|p| p.parse::<Provider>().ok())
        .map_or_else(|| "-".to_string(), |p| p.display_name().to_string())
}

/// `event` kinds other than a plain event get a label (`bulk_send` → "Bulk send").
pub fn kind_label(page: &Page, kind: &str) -> Option<String> {
    match kind {
        "bulk_send" | "calendar" => Some(page.t(&format!("log-kind-{}", kind.replace('_', "-")))),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage {
    page: Page,
    paragraphs: Vec<String>,
}

/// 404 inside the log: another tenant's event looks exactly like one that never existed.
pub fn not_found(page: &Page) -> Response {
    let mut page = page.clone();
    page.title = page.t("log-not-found-title");
    let paragraphs = vec![page.t("log-not-found")];
    render(StatusCode::NOT_FOUND, &MessagePage { page, paragraphs })
}
