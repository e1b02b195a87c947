//! `/console/events`: the tenant's events newest first, filtered by a GET form (status,
//! tool, event type, member, client, time), a page at a time.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use renkei_store::event_log::{EventFilter, EventPage, WALK_LIMIT};
use serde::Deserialize;

use super::resend::{connection_options, ConnectionOption, ResendFailedForm};
use super::times::{input_value, parse_local, DateAlone};
use super::{badges, kind_label, Badge};
use crate::api::event_log::{list as api_list, EventLogParams};
use crate::console::event_types::list_event_types;
use crate::console::landing::store_error;
use crate::console::page::list_href;
use crate::console::page::{render, FieldError, Page, Section};
use crate::console::session::Console;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// The statuses a reader can filter on (`staged` lasts only while an event is written).
const STATUSES: [&str; 5] = ["failed", "pending", "delivered", "cancelled", "skipped"];

/// The filters as they are in the address (and in the form).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub tool: String,
    #[serde(default, rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub until: String,
    /// The previous page's last event: show older ones.
    #[serde(default)]
    pub before: String,
    /// Set after "resend every failed delivery since": how many were queued again.
    #[serde(default)]
    pub resent: String,
}

impl LogQuery {
    /// The filters in effect, as `name=value` pairs for links (paging keeps them).
    fn filters(&self) -> Vec<(&'static str, &str)> {
        [
            ("status", &self.status),
            ("tool", &self.tool),
            ("type", &self.event_type),
            ("member", &self.member),
            ("client", &self.client),
            ("since", &self.since),
            ("until", &self.until),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// This list with the same filters, older than `before` when given.
    fn href(&self, before: Option<i64>) -> String {
        let before = before.map(|b| b.to_string());
        let mut params = self.filters();
        params.extend(before.as_deref().map(|b| ("before", b)));
        list_href("/console/events", &params)
    }
}

/// One event's line.
pub struct Row {
    pub id: i64,
    pub time: String,
    pub event_type: String,
    pub kind: Option<String>,
    pub title: String,
    pub badges: Vec<Badge>,
}

/// An option of a select: value, label, chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/log/list.html")]
struct ListPage {
    page: Page,
    q: LogQuery,
    statuses: Vec<Choice>,
    tools: Vec<Choice>,
    types: Vec<Choice>,
    rows: Vec<Row>,
    /// Filters are in effect (an empty list then says "nothing matches", not "no events").
    filtered: bool,
    /// The member, client and time fields are shown (folded away unless used).
    more_open: bool,
    /// The link to older events, when there may be some.
    older: Option<String>,
    /// The page is short because the search stopped after a bounded stretch of events, not
    /// because there is nothing more: say so, and offer to go on.
    walk_stopped: bool,
    walk_limit: i64,
    /// Back to the newest events (same filters), when this is an older page.
    newest: Option<String>,
    connections: Vec<ConnectionOption>,
    resend: ResendFailedForm,
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<LogQuery>,
) -> Response {
    let mut page = console.page(Section::Log, "log-title");
    if let Ok(n) = q.resent.parse::<i64>() {
        page.flash = Some(page.tn("log-flash-resent-failed", "count", n));
    }
    let (params, errors) = api_params(&page, &q);
    page.errors = errors;
    let mut result = None;
    if page.errors.is_empty() {
        match api_list(State(state.clone()), console.auth(), Query(params)).await {
            Ok(ApiJson(found)) => result = Some(found),
            Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                page.errors.push(filter_error(&page, &e));
            }
            Err(e) => return store_error(&page, &e.message),
        }
    }
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let types = match list_event_types(&state, &console).await {
        Ok(types) => types
            .into_iter()
            .map(|t| (t.key.clone(), format!("{} ({})", t.name, t.key)))
            .collect(),
        Err(e) => return store_error(&page, &e.message),
    };
    let connections = match connection_options(&state, &console, None).await {
        Ok(c) => c,
        Err(e) => return store_error(&page, &e),
    };
    let resend = ResendFailedForm::starting_yesterday(&console);
    render(
        status,
        &list_page(&page, q, result, types, connections, resend),
    )
}

/// The API's parameters for these filters; the times typed are read in the tenant's zone.
fn api_params(page: &Page, q: &LogQuery) -> (EventLogParams, Vec<FieldError>) {
    let mut errors = vec![];
    let mut time = |field: &str, raw: &str, alone: DateAlone| {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match parse_local(raw, page.tz, alone) {
            Some(t) => Some(t),
            None => {
                errors.push(FieldError {
                    field: field.into(),
                    message: page.tw("log-err-time", "example", "2025-04-01T09:00"),
                });
                None
            }
        }
    };
    let since = time("since", &q.since, DateAlone::StartOfDay);
    let until = time("until", &q.until, DateAlone::EndOfDay);
    if let (Some(s), Some(u)) = (since, until) {
        if u <= s {
            errors.push(FieldError {
                field: "until".into(),
                message: page.t("log-err-until-before-since"),
            });
        }
    }
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let params = EventLogParams {
        before: text(&q.before),
        limit: Some(EventFilter::DEFAULT_LIMIT.to_string()),
        status: text(&q.status),
        provider: text(&q.tool),
        event_type: text(&q.event_type),
        member: text(&q.member),
        client: text(&q.client),
        since: since.map(|t| t.to_rfc3339()),
        until: until.map(|t| t.to_rfc3339()),
    };
    (params, errors)
}

/// The filter an API refusal is about, in the page's words.
fn filter_error(page: &Page, e: &ApiError) -> FieldError {
    let field = match e.code {
        "invalid_status" => "status",
        "unknown_provider" => "tool",
        "invalid_time" if e.message.contains("`until`") => "until",
        "invalid_time" => "since",
        _ => "filters",
    };
    FieldError {
        field: field.into(),
        message: page
            .tr
            .maybe(&format!("log-err-{}", e.code))
            .unwrap_or_else(|| e.message.clone()),
    }
}

fn choices(options: Vec<(String, String)>, chosen: &str) -> Vec<Choice> {
    let chosen = chosen.trim();
    let mut out: Vec<Choice> = options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == chosen,
            value,
            label,
        })
        .collect();
    // A value not offered (a type no longer registered, typed into the address) stays chosen.
    if !chosen.is_empty() && !out.iter().any(|c| c.selected) {
        out.push(Choice {
            value: chosen.to_string(),
            label: chosen.to_string(),
            selected: true,
        });
    }
    out
}

fn list_page(
    page: &Page,
    mut q: LogQuery,
    found: Option<EventPage>,
    types: Vec<(String, String)>,
    connections: Vec<ConnectionOption>,
    resend: ResendFailedForm,
) -> ListPage {
    let statuses = STATUSES
        .iter()
        .map(|s| (s.to_string(), page.t(&format!("status-{s}"))))
        .collect();
    let tools = Provider::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), p.display_name().to_string()))
        .collect();
    // Times typed as a date alone (or with seconds) show in the field's own form.
    if page.errors.is_empty() {
        for (raw, alone) in [
            (&mut q.since, DateAlone::StartOfDay),
            (&mut q.until, DateAlone::EndOfDay),
        ] {
            if let Some(t) = parse_local(raw, page.tz, alone) {
                *raw = input_value(t.timestamp_millis(), page.tz);
            }
        }
    }
    let found = found.unwrap_or(EventPage {
        items: vec![],
        next_before: None,
    });
    let rows: Vec<Row> = found
        .items
        .iter()
        .map(|e| Row {
            id: e.id,
            time: page.time(&e.created_at),
            event_type: e.event_type.clone(),
            kind: kind_label(page, &e.kind),
            title: e.title.clone(),
            badges: badges(page, &e.delivery_counts),
        })
        .collect();
    let walk_stopped =
        found.next_before.is_some() && (rows.len() as i64) < EventFilter::DEFAULT_LIMIT;
    let newest = (!q.before.trim().is_empty()).then(|| q.href(None));
    let more_open = [&q.member, &q.client, &q.since, &q.until]
        .iter()
        .any(|v| !v.trim().is_empty());
    ListPage {
        page: page.clone(),
        statuses: choices(statuses, &q.status),
        tools: choices(tools, &q.tool),
        types: choices(types, &q.event_type),
        filtered: !q.filters().is_empty(),
        more_open,
        older: found.next_before.map(|b| q.href(Some(b))),
        walk_stopped,
        walk_limit: WALK_LIMIT,
        newest,
        rows,
        connections,
        resend,
        q,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_links_keep_the_filters_and_drop_empty_ones() {
        let q = LogQuery {
            status: "failed".into(),
            member: "山田 太郎".into(),
            since: " ".into(),
            before: "99".into(),
            ..LogQuery::default()
        };
        assert_eq!(
            q.href(Some(42)),
            "/console/events?status=failed&member=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E&before=42"
        );
        assert_eq!(LogQuery::default().href(None), "/console/events");
    }

    #[test]
    fn a_value_not_offered_stays_chosen() {
        let c = choices(vec![("a".into(), "A".into())], "old.type");
        assert_eq!(c.len(), 2);
        assert!(c[1].selected && c[1].value == "old.type");
        assert!(choices(vec![("a".into(), "A".into())], "a")[0].selected);
    }
}
