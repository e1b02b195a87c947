//! `/console/events/{id}`: one event, then each delivery with where it went and why (the
//! route routing recorded), its attempts, its link activity and, when it failed or was
//! cancelled, a button to send it again. Deliveries come a page at a time.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use renkei_core::model::ConnectionKind;
use renkei_store::connections::Connection;
use renkei_store::events::{DeliveryDetail, EventDetail};
use serde::Deserialize;
use serde_json::Value;

use super::codes::{target_label, words};
use super::times::with_seconds;
use super::{badges, kind_label, not_found, status_words, tool_name};
use crate::api::events::{show as api_show, DeliveryPageQuery};
use crate::console::landing::store_error;
use crate::console::page::{list_href, render, Page, Section};
use crate::console::session::Console;
use crate::error::ApiJson;
use crate::AppState;

/// Deliveries per page: a fan-out to thousands of members is read 50 at a time.
const DELIVERIES_PER_PAGE: i64 = 50;
/// Names of a long target list shown before "and N more".
const TARGETS_SHOWN: usize = 20;

/// The API refused to send one delivery again: said at its button.
pub struct Refusal {
    pub delivery: i64,
    pub message: String,
    /// The refusal is about the connection's state: link to it.
    pub fix_connection: bool,
}

#[derive(Deserialize)]
pub struct EventQuery {
    #[serde(default)]
    after: String,
    #[serde(default)]
    status: String,
}

/// Which of the event's deliveries the page shows: those after a delivery ID, and only one
/// status when the reader picked one of the counts.
pub struct Shown {
    pub after: Option<i64>,
    pub status: Option<String>,
}

impl Shown {
    /// The event page's address for these deliveries, from the one after `after` on.
    fn href(&self, base: &str, after: Option<i64>) -> String {
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        list_href(
            base,
            &[
                ("status", self.status.as_deref().unwrap_or_default()),
                ("after", &after),
            ],
        )
    }
}

/// A count of the event's deliveries in one status, as a link showing only those.
pub struct StatusLink {
    pub badge: super::Badge,
    pub href: String,
    pub current: bool,
}

/// One line of the event's facts.
pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct AttemptView {
    pub time: String,
    pub http_status: String,
    pub outcome: String,
    /// Whether the outcome was a success (for its colour; the word says it too).
    pub ok: bool,
    pub answer: String,
    pub latency: String,
}

pub struct LinkViewView {
    pub time: String,
    pub browser: String,
}

/// What stops the delivery's connection from sending, if anything, and where to fix it.
pub struct ConnectionProblem {
    pub text: String,
    pub href: String,
}

pub struct DeliveryView {
    pub id: i64,
    pub tool: String,
    pub place: String,
    pub target: String,
    pub connection_id: Option<i64>,
    pub status: String,
    pub status_label: String,
    pub reason: Option<String>,
    pub reason_detail: Option<String>,
    pub next_attempt: Option<String>,
    pub route: Vec<String>,
    pub mentions: Vec<String>,
    pub warnings: Vec<String>,
    pub message_id: Option<String>,
    pub attempts: Vec<AttemptView>,
    pub confirmed: Option<String>,
    pub views: Vec<LinkViewView>,
    pub resendable: bool,
    pub problem: Option<ConnectionProblem>,
    pub refusal: Option<String>,
    pub refusal_fix: bool,
}

#[derive(Template)]
#[template(path = "console/log/event.html")]
struct EventPage {
    page: Page,
    id: i64,
    body: String,
    url: Option<String>,
    facts: Vec<Fact>,
    /// The counts by status, each a link to only those deliveries.
    status_links: Vec<StatusLink>,
    /// The status the page is narrowed to, in words.
    only_status: Option<String>,
    all_deliveries: String,
    total: i64,
    has_links: bool,
    any_pending: bool,
    deliveries: Vec<DeliveryView>,
    skipped: Vec<DeliveryView>,
    after: Option<i64>,
    next_page: Option<String>,
    first_page: Option<String>,
    /// This page of deliveries again, for a fresh look at what is still pending.
    reload: String,
    per_page: i64,
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(q): Query<EventQuery>,
) -> Response {
    let page = console.page(Section::Log, "log-event-title");
    let shown = Shown {
        after: q.after.trim().parse::<i64>().ok().filter(|a| *a > 0),
        status: Some(q.status.trim().to_string()).filter(|s| !s.is_empty()),
    };
    event_page(&state, &console, page, &id, shown, None, StatusCode::OK).await
}

/// The event's page with one page of its deliveries (those `shown`).
pub async fn event_page(
    state: &AppState,
    console: &Console,
    mut page: Page,
    id: &str,
    shown: Shown,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> Response {
    let query = DeliveryPageQuery {
        after: shown.after,
        limit: Some(DELIVERIES_PER_PAGE),
        status: shown.status.clone(),
    };
    let answer = api_show(
        State(state.clone()),
        console.auth(),
        Path(id.to_string()),
        Query(query),
    )
    .await;
    let ev = match answer {
        Ok(ApiJson(ev)) => ev,
        Err(e) if e.status == StatusCode::NOT_FOUND => return not_found(&page),
        // A status that is not one (an edited address): the whole event instead.
        Err(e) if e.code == "invalid_status" => {
            return Redirect::to(&format!("/console/events/{}", id.trim())).into_response()
        }
        Err(e) => return store_error(&page, &e.message),
    };
    // One read of the tenant's connections, not one per delivery.
    let connections: HashMap<i64, Connection> =
        match state.store.connections(console.tenant.id).await {
            Ok(list) => list.into_iter().map(|c| (c.id, c)).collect(),
            Err(e) => return store_error(&page, &e),
        };
    let title_missing = ev.title.trim().is_empty();
    page.title = if title_missing {
        page.t("log-no-title")
    } else {
        ev.title.clone()
    };
    // Paths routing decided not to take are many and alike: a compact table after the rest.
    let (skipped, deliveries): (Vec<DeliveryView>, Vec<DeliveryView>) = ev
        .deliveries
        .iter()
        .map(|d| delivery_view(&page, d, &connections, refusal.as_ref()))
        .partition(|d| d.status == "skipped");
    let base = format!("/console/events/{}", ev.id);
    let view = EventPage {
        id: ev.id,
        body: ev.body.clone(),
        url: ev.url.clone(),
        facts: facts(&page, &ev),
        status_links: badges(&page, &ev.delivery_counts)
            .into_iter()
            .map(|badge| StatusLink {
                href: Shown {
                    after: None,
                    status: Some(badge.status.clone()),
                }
                .href(&base, None),
                current: shown.status.as_deref() == Some(badge.status.as_str()),
                badge,
            })
            .collect(),
        only_status: shown.status.as_deref().map(|s| status_words(&page, s)),
        all_deliveries: base.clone(),
        total: ev.deliveries_total,
        has_links: ev.confirmation_link_expires_at.is_some(),
        any_pending: ev.deliveries.iter().any(|d| d.status == "pending"),
        next_page: ev.next_deliveries_after.map(|a| shown.href(&base, Some(a))),
        first_page: shown.after.map(|_| shown.href(&base, None)),
        reload: shown.href(&base, shown.after),
        per_page: DELIVERIES_PER_PAGE,
        after: shown.after,
        deliveries,
        skipped,
        page,
    };
    render(status, &view)
}

fn facts(page: &Page, ev: &EventDetail) -> Vec<Fact> {
    let mut out = vec![];
    let mut fact = |key: &str, value: String| {
        if !value.is_empty() {
            out.push(Fact {
                label: page.t(key),
                value,
            });
        }
    };
    let kind = kind_label(page, &ev.kind)
        .map(|k| format!(" ({k})"))
        .unwrap_or_default();
    fact("log-fact-type", format!("{}{kind}", ev.event_type));
    fact("log-fact-created", page.time(&ev.created_at));
    fact("log-fact-targets", targets(page, &ev.to));
    if let Some(at) = ev.confirmation_link_expires_at {
        fact("log-fact-link-expires", page.time(&at));
    }
    fact(
        "log-fact-idempotency-key",
        ev.idempotency_key.clone().unwrap_or_default(),
    );
    fact("log-fact-id", ev.id.to_string());
    out
}

/// The event's `to` as people read it: "The whole office; Clients: a, b; ...".
fn targets(page: &Page, to: &Value) -> String {
    let mut parts = vec![];
    if to["tenant"].as_bool() == Some(true) {
        parts.push(page.t("log-target-tenant"));
    }
    for (key, label) in [
        ("clients", "log-targets-clients"),
        ("groups", "log-targets-groups"),
        ("members", "log-targets-members"),
        ("rooms", "log-targets-rooms"),
    ] {
        let Some(list) = to[key].as_array().filter(|l| !l.is_empty()) else {
            continue;
        };
        let names: Vec<String> = list
            .iter()
            .take(TARGETS_SHOWN)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
            .collect();
        let mut text = names.join(", ");
        if list.len() > TARGETS_SHOWN {
            text.push_str(&page.tn("log-targets-more", "count", list.len() - TARGETS_SHOWN));
        }
        parts.push(page.tw(label, "names", text));
    }
    if to["subgroups"].as_bool() == Some(true) {
        parts.push(page.t("log-targets-subgroups"));
    }
    parts.join(page.t("log-list-separator").as_str())
}

/// Where the delivery went: a room, a person directly, or the webhook's own channel.
fn place(page: &Page, d: &DeliveryDetail, conn: Option<&Connection>) -> String {
    let Some(dest) = &d.destination else {
        return page.t("log-place-none");
    };
    if let Some(account) = &dest.account {
        return page.tw("log-place-direct", "account", account);
    }
    let room = dest.room.clone().unwrap_or_default();
    let webhook = conn.map_or(room == "webhook", |c| c.kind == ConnectionKind::Webhook);
    if webhook {
        return page.t("log-place-webhook");
    }
    if conn.is_some_and(|c| c.default_room.as_deref() == Some(room.as_str()) && c.room.is_none())
        && d.provider.as_deref() == Some("chatwork")
    {
        return page.tw("log-place-my-chat", "room", room);
    }
    page.tw("log-place-room", "room", room)
}

fn problem(page: &Page, id: Option<i64>, conn: Option<&Connection>) -> Option<ConnectionProblem> {
    let id = id?;
    let href = format!("/console/connections/{id}");
    let Some(c) = conn else {
        return Some(ConnectionProblem {
            text: page.t("log-conn-gone"),
            href: "/console/connections".into(),
        });
    };
    let key = if c.status == "broken" {
        "log-conn-broken"
    } else if !c.enabled {
        "log-conn-off"
    } else {
        return None;
    };
    Some(ConnectionProblem {
        text: page.t(key),
        href,
    })
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), String::from))
            .collect(),
        Value::Null => vec![],
        other => vec![other.to_string()],
    }
}

fn delivery_view(
    page: &Page,
    d: &DeliveryDetail,
    connections: &HashMap<i64, Connection>,
    refusal: Option<&Refusal>,
) -> DeliveryView {
    let conn = d.connection_id.and_then(|c| connections.get(&c));
    let mentions = d
        .mentions
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    format!(
                        "{} ({})",
                        m["name"].as_str().unwrap_or_default(),
                        m["account_id"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let attempts = d
        .attempts
        .iter()
        .map(|a| AttemptView {
            time: with_seconds(a.at, page.tz),
            http_status: a.http_status.map_or_else(|| "-".into(), |s| s.to_string()),
            ok: a.outcome == "delivered",
            outcome: words(page, &a.outcome),
            answer: a.error.clone().unwrap_or_default(),
            latency: page.tw("log-ms", "ms", a.latency_ms),
        })
        .collect();
    let resendable =
        matches!(d.status.as_str(), "failed" | "cancelled") && d.connection_id.is_some();
    let refusal = refusal.filter(|r| r.delivery == d.id);
    DeliveryView {
        id: d.id,
        tool: tool_name(d.provider.as_deref()),
        place: place(page, d, conn),
        target: target_label(page, &d.target),
        connection_id: d.connection_id,
        status_label: status_words(page, &d.status),
        status: d.status.clone(),
        reason: d.reason_code.as_deref().map(|c| words(page, c)),
        reason_detail: d
            .reason
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| crate::console::why::say(page.tr, r)),
        next_attempt: d.next_attempt_at.map(|t| with_seconds(t, page.tz)),
        route: crate::console::why::say_all(page.tr, &strings(&d.route)),
        mentions,
        warnings: crate::console::why::say_all(page.tr, &d.warnings),
        message_id: d.message_id.clone(),
        attempts,
        confirmed: d.confirmed_at.map(|t| page.time(&t)),
        views: d
            .views
            .iter()
            .map(|v| LinkViewView {
                time: page.time(&v.at),
                browser: v.user_agent.clone().unwrap_or_default(),
            })
            .collect(),
        problem: if resendable {
            problem(page, d.connection_id, conn)
        } else {
            None
        },
        resendable,
        refusal: refusal.map(|r| r.message.clone()),
        refusal_fix: refusal.is_some_and(|r| r.fix_connection),
    }
}
