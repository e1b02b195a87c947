//! A bulk send's progress: per room sent / queued / waiting for the rate limit / retrying /
//! failed / cancelled, and a bar to 100 %. The box reloads itself without a page reload
//! (`data-poll` on the fragment route); without script the page refreshes every 3 s.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{not_found, rooms};
use crate::api::bulk::{cancel as api_cancel, show as api_show, BulkSendProgress, RoomProgress};
use crate::api::events::{show as api_event, DeliveryPageQuery};
use crate::console::landing::store_error;
use crate::console::page::{render, see_other, Page, Section};
use crate::console::session::{Console, ConsoleForm, NoFields};
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// One room's line.
pub struct RoomLine {
    pub room: String,
    pub name: String,
    /// `sent`, `queued`, `rate-limited`, `retrying`, `failed` or `cancelled`.
    pub state: &'static str,
    /// The reason it failed or waits.
    pub reason: String,
    /// When it is tried again (waiting rooms).
    pub next_at: Option<i64>,
}

pub struct ProgressView {
    pub id: i64,
    pub total: usize,
    /// Rooms with a final answer (sent, failed or cancelled).
    pub finished: usize,
    pub percent: usize,
    pub sent: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub waiting: usize,
    pub done: bool,
    /// The whole connection waits for its token's limit until then.
    pub paused_until: Option<i64>,
    pub rooms: Vec<RoomLine>,
}

/// What a pending room is waiting for: its turn, the rate limit, or a retry after an error.
pub fn room_state(r: &RoomProgress, connection_paused: bool) -> &'static str {
    match r.status.as_str() {
        "delivered" => "sent",
        "failed" => "failed",
        "cancelled" => "cancelled",
        _ if connection_paused
            || matches!(
                r.reason_code.as_deref(),
                Some("room_rate_limited" | "credential_rate_limited")
            ) =>
        {
            "rate-limited"
        }
        _ if r.attempts > 0 => "retrying",
        _ => "queued",
    }
}

impl ProgressView {
    /// `3/25`: rooms finished of all.
    pub fn counts(&self) -> String {
        format!("{}/{}", self.finished, self.total)
    }

    fn of(p: BulkSendProgress, names: &std::collections::HashMap<String, String>) -> Self {
        let finished = p.delivered + p.failed + p.cancelled;
        let rooms = p
            .rooms
            .iter()
            .map(|r| {
                let state = room_state(r, p.paused_until.is_some());
                RoomLine {
                    name: names.get(&r.room).cloned().unwrap_or_default(),
                    room: r.room.clone(),
                    state,
                    reason: match state {
                        "sent" | "queued" => String::new(),
                        _ => r.reason.clone().unwrap_or_default(),
                    },
                    next_at: match state {
                        "rate-limited" => p.paused_until.or(r.next_attempt_at),
                        "retrying" => r.next_attempt_at,
                        _ => None,
                    },
                }
            })
            .collect();
        ProgressView {
            id: p.id,
            total: p.total,
            finished,
            percent: (finished * 100).checked_div(p.total).unwrap_or(100),
            sent: p.delivered,
            failed: p.failed,
            cancelled: p.cancelled,
            waiting: p.pending,
            done: p.done,
            paused_until: p.paused_until,
            rooms,
        }
    }
}

#[derive(Template)]
#[template(path = "console/bulk/progress.html")]
struct ProgressPage {
    page: Page,
    view: ProgressView,
    title: String,
    body: String,
}

#[derive(Template)]
#[template(path = "console/bulk/progress_box.html")]
struct ProgressBox {
    page: Page,
    view: ProgressView,
}

/// This tenant's bulk send `id` with its rooms' names, or the page to answer instead.
async fn load(
    state: &AppState,
    console: &Console,
    page: &Page,
    id: &str,
) -> Result<ProgressView, Response> {
    let progress = api_show(State(state.clone()), console.auth(), Path(id.to_string()))
        .await
        .map(|ApiJson(p)| p)
        .map_err(|e| answer_error(page, &e))?;
    let names = match progress.connection_id {
        Some(c) => rooms::names(state, console, c).await,
        None => Default::default(),
    };
    Ok(ProgressView::of(progress, &names))
}

fn answer_error(page: &Page, e: &ApiError) -> Response {
    if e.status == StatusCode::NOT_FOUND {
        not_found(page)
    } else {
        store_error(page, &e.message)
    }
}

/// `GET /console/bulk-sends/{id}`: the message and its progress.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let page = console.page(Section::BulkSend, "bulk-progress-title");
    let view = match load(&state, &console, &page, &id).await {
        Ok(v) => v,
        Err(answer) => return answer,
    };
    // One delivery is enough: only the message is read here.
    let query = Query(DeliveryPageQuery {
        after: None,
        limit: Some(1),
        status: None,
    });
    let (title, body) = match api_event(State(state.clone()), console.auth(), Path(id), query).await
    {
        Ok(ApiJson(ev)) => (ev.title, ev.body),
        Err(e) => return answer_error(&page, &e),
    };
    render(
        StatusCode::OK,
        &ProgressPage {
            page,
            view,
            title,
            body,
        },
    )
}

/// `GET /console/bulk-sends/{id}/progress`: only the progress box, for `data-poll`.
pub async fn fragment(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let page = console.page(Section::BulkSend, "bulk-progress-title");
    match load(&state, &console, &page, &id).await {
        Ok(view) => render(StatusCode::OK, &ProgressBox { page, view }),
        Err(answer) => answer,
    }
}

/// `POST /console/bulk-sends/{id}/cancel`: rooms not posted to yet are not posted to.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm(console, NoFields {}): ConsoleForm<NoFields>,
) -> Response {
    let page = console.page(Section::BulkSend, "bulk-progress-title");
    match api_cancel(State(state.clone()), console.auth(), Path(id.clone())).await {
        Ok(ApiJson(p)) => {
            let detail = format!(
                "{} cancelled, {} already sent, {} failed",
                p.cancelled, p.delivered, p.failed
            );
            console
                .audit(&state, "bulk_send.cancel", &id, &detail)
                .await;
            see_other(&format!(
                "/console/bulk-sends/{}?flash=bulk-cancelled",
                p.id
            ))
        }
        Err(e) => answer_error(&page, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(status: &str, code: Option<&str>, attempts: usize) -> RoomProgress {
        RoomProgress {
            room: "1".into(),
            status: status.into(),
            message_id: None,
            reason_code: code.map(String::from),
            reason: None,
            attempts,
            next_attempt_at: None,
        }
    }

    #[test]
    fn pending_rooms_say_what_they_wait_for() {
        assert_eq!(room_state(&room("delivered", None, 1), false), "sent");
        assert_eq!(room_state(&room("failed", Some("x"), 1), true), "failed");
        assert_eq!(room_state(&room("pending", None, 0), false), "queued");
        assert_eq!(room_state(&room("pending", None, 0), true), "rate-limited");
        let limited = room("pending", Some("room_rate_limited"), 1);
        assert_eq!(room_state(&limited, false), "rate-limited");
        let token = room("pending", Some("credential_rate_limited"), 2);
        assert_eq!(room_state(&token, false), "rate-limited");
        let error = room("pending", Some("provider_unavailable"), 1);
        assert_eq!(room_state(&error, false), "retrying");
        assert_eq!(room_state(&room("cancelled", None, 0), false), "cancelled");
    }
}
