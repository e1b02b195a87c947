//! Sending again: one failed or cancelled delivery from its event's page, or every failed
//! delivery of a connection since a time once an outage is over. Both go through the API's
//! own resend handlers and are recorded in the audit log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_store::connections::Connection;
use renkei_store::now_ms;
use serde::Deserialize;

use super::detail::{event_page, Refusal};
use super::not_found;
use super::times::{input_value, parse_local, DateAlone};
use crate::api::resend::{
    resend_delivery as api_resend_delivery, resend_failed as api_resend_failed, ResendFailedBody,
};
use crate::console::home::owner_label;
use crate::console::landing::store_error;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// A connection to pick, with its state when it cannot send.
pub struct ConnectionOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

/// The tenant's connections, the office's first, labelled as the home page names them.
pub async fn connection_options(
    state: &AppState,
    console: &Console,
    selected: Option<i64>,
) -> Result<Vec<ConnectionOption>, renkei_store::StoreError> {
    let mut conns = state.store.connections(console.tenant.id).await?;
    conns.sort_by_key(|c| (c.owner_external_id.is_some(), c.id));
    Ok(conns
        .iter()
        .map(|c| ConnectionOption {
            id: c.id,
            label: connection_label(console, c),
            selected: Some(c.id) == selected,
        })
        .collect())
}

fn connection_label(console: &Console, c: &Connection) -> String {
    let mut label = format!(
        "{} · {}{} (#{})",
        c.provider.display_name(),
        owner_label(console, c),
        c.account_name
            .as_deref()
            .map(|a| format!(" · {a}"))
            .unwrap_or_default(),
        c.id
    );
    let state = if c.status == "broken" {
        Some("broken")
    } else if !c.enabled {
        Some("off")
    } else {
        None
    };
    if let Some(s) = state {
        label.push_str(&format!(
            " — {}",
            console.tr.get(&format!("conn-state-{s}"))
        ));
    }
    label
}

/// "Resend every failed delivery since…" as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResendFailedForm {
    #[serde(default)]
    pub connection: String,
    /// A `datetime-local` value in the tenant's zone.
    #[serde(default)]
    pub since: String,
}

impl ResendFailedForm {
    /// The form as first shown: since this time yesterday.
    pub fn starting_yesterday(console: &Console) -> ResendFailedForm {
        ResendFailedForm {
            connection: String::new(),
            since: input_value(now_ms() - 24 * 3600 * 1000, console.tz),
        }
    }
}

#[derive(Template)]
#[template(path = "console/log/resend_failed.html")]
struct ResendFailedPage {
    page: Page,
    connections: Vec<ConnectionOption>,
    resend: ResendFailedForm,
    /// The connection to fix first, when the API refused because of its state.
    fix_connection: Option<i64>,
}

#[derive(Deserialize)]
pub struct FailedQuery {
    connection: Option<String>,
}

/// `GET /console/events/resend-failed[?connection=ID]`: the form on a page of its own (a
/// connection's page can link here).
pub async fn failed_form(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<FailedQuery>,
) -> Response {
    let page = console.page(Section::Log, "log-resend-failed-title");
    let mut form = ResendFailedForm::starting_yesterday(&console);
    form.connection = q.connection.unwrap_or_default();
    failed_page(&state, &console, page, form, None, StatusCode::OK).await
}

async fn failed_page(
    state: &AppState,
    console: &Console,
    page: Page,
    form: ResendFailedForm,
    fix_connection: Option<i64>,
    status: StatusCode,
) -> Response {
    let chosen = form.connection.trim().parse().ok();
    let connections = match connection_options(state, console, chosen).await {
        Ok(c) => c,
        Err(e) => return store_error(&page, &e),
    };
    render(
        status,
        &ResendFailedPage {
            page,
            connections,
            resend: form,
            fix_connection,
        },
    )
}

/// `POST /console/events/resend-failed`: every failed delivery of the connection created
/// since the time typed is queued again (`POST /api/v1/connections/{id}/resend-failed`).
pub async fn resend_failed(
    State(state): State<AppState>,
    ConsoleForm(console, form): ConsoleForm<ResendFailedForm>,
) -> Response {
    let mut page = console.page(Section::Log, "log-resend-failed-title");
    let connection = form.connection.trim().parse::<i64>().ok();
    if connection.is_none() {
        page.errors.push(FieldError {
            field: "resend-connection".into(),
            message: page.t("log-err-pick-connection"),
        });
    }
    let since = parse_local(&form.since, console.tz, DateAlone::StartOfDay);
    if since.is_none() {
        page.errors.push(FieldError {
            field: "resend-since".into(),
            message: page.tw("log-err-time", "example", "2025-04-01T09:00"),
        });
    }
    let (Some(connection), Some(since)) = (connection, since) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return failed_page(&state, &console, page, form, None, status).await;
    };
    let body = ResendFailedBody {
        since: since.to_rfc3339(),
    };
    let answer = api_resend_failed(
        State(state.clone()),
        console.auth(),
        Path(connection.to_string()),
        ApiJson(body),
    )
    .await;
    match answer {
        Ok((_, ApiJson(done))) => {
            let detail = format!(
                "{} failed deliveries created since {} queued again",
                done.resent,
                since.to_rfc3339()
            );
            let target = format!("connection {connection}");
            console
                .audit(&state, "connection.resend_failed", &target, &detail)
                .await;
            see_other(&format!("/console/events?resent={}", done.resent))
        }
        Err(e) if e.status.is_client_error() => {
            let fix = matches!(e.code, "connection_broken" | "connection_switched_off");
            let field = if e.code == "invalid_time" {
                "resend-since"
            } else {
                "resend-connection"
            };
            page.errors.push(FieldError {
                field: field.into(),
                message: refusal_words(&page, &e),
            });
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let fix = fix.then_some(connection);
            failed_page(&state, &console, page, form, fix, status).await
        }
        Err(e) => store_error(&page, &e.message),
    }
}

/// The resend button's form: the event and the page of deliveries to come back to.
#[derive(Debug, Deserialize)]
pub struct ResendOneForm {
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub after: String,
}

/// `POST /console/deliveries/{id}/resend`: one failed or cancelled delivery queued again,
/// then back to its event with a flash; a refusal (the connection is broken, off or gone)
/// is shown at the delivery, with a link to the connection to fix first.
pub async fn resend_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm(console, form): ConsoleForm<ResendOneForm>,
) -> Response {
    let mut page = console.page(Section::Log, "log-event-title");
    let after = form.after.trim().parse::<i64>().ok().filter(|a| *a > 0);
    let answer = api_resend_delivery(State(state.clone()), console.auth(), Path(id.clone())).await;
    match answer {
        Ok((_, ApiJson(resent))) => {
            let detail = format!(
                "event {} through connection {}",
                resent.event_id, resent.connection_id
            );
            let target = format!("delivery {}", resent.delivery_id);
            console
                .audit(&state, "delivery.resend", &target, &detail)
                .await;
            let after = after.map(|a| format!("&after={a}")).unwrap_or_default();
            see_other(&format!(
                "/console/events/{}?flash=log-resent{after}#delivery-{}",
                resent.event_id, resent.delivery_id
            ))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&page),
        Err(e) if e.status.is_client_error() => {
            let Ok(delivery) = id.parse::<i64>() else {
                return not_found(&page);
            };
            let message = refusal_words(&page, &e);
            page.errors.push(FieldError {
                field: format!("resend-{delivery}"),
                message: message.clone(),
            });
            let refusal = Refusal {
                delivery,
                message,
                fix_connection: matches!(
                    e.code,
                    "connection_broken" | "connection_switched_off" | "connection_gone"
                ),
            };
            // The language switch comes back to the event, not to this POST's address.
            page.here = format!("/console/events/{}", form.event.trim());
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            event_page(
                &state,
                &console,
                page,
                &form.event,
                super::detail::Shown {
                    after,
                    status: None,
                },
                Some(refusal),
                status,
            )
            .await
        }
        Err(e) => store_error(&page, &e.message),
    }
}

/// Why the API would not send again, in the page's words (its own message otherwise).
fn refusal_words(page: &Page, e: &ApiError) -> String {
    if e.status == StatusCode::NOT_FOUND {
        return page.t("log-err-connection-not-found");
    }
    page.tr
        .maybe(&format!("log-err-{}", e.code))
        .unwrap_or_else(|| e.message.clone())
}
