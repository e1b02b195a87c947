//! "Send me a test notice" on the member's page: the button posts, the page then shows the
//! notice's result in that tool's card and (with script) follows it until it is delivered
//! or failed; without script the page reloads itself while it waits.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use renkei_core::model::Provider;
use serde::Deserialize;

use super::tools::spec_of;
use super::{page, Extras};
use crate::console::page::{FieldError, Page};
use crate::error::ApiError;
use crate::selfservice::session::{MemberForm, MemberSession};
use crate::selfservice::test_notice;
use crate::AppState;

/// One delivery of a test notice, as the card shows it.
pub struct TestLine {
    pub status: String,
    pub label: String,
    /// Why it failed (or was skipped), in the page's words when renkei knows the reason.
    pub reason: Option<String>,
}

pub struct TestView {
    pub event_id: i64,
    pub provider: Provider,
    pub done: bool,
    pub lines: Vec<TestLine>,
    /// The fragment URL polled while it is not done.
    pub poll: String,
}

#[derive(Template)]
#[template(path = "self_service/member/test_result.html")]
struct Fragment {
    page: Page,
    test: TestView,
}

/// The page's words for a delivery status and a reason code.
pub fn status_label(page: &Page, status: &str) -> String {
    page.tr
        .maybe(&format!("ss-status-{status}"))
        .unwrap_or_else(|| status.to_string())
}

pub fn reason_text(page: &Page, code: Option<&str>, reason: Option<&str>) -> Option<String> {
    let own = code.and_then(|c| page.tr.maybe(&format!("ss-reason-{c}")));
    match (own, reason) {
        (Some(words), _) => Some(words),
        (None, Some(r)) => Some(crate::console::why::say(page.tr, r)),
        (None, None) => code.map(str::to_string),
    }
}

/// The member's own test notice `id`, if it is theirs.
pub async fn result(
    state: &AppState,
    me: &MemberSession,
    page: &Page,
    id: i64,
) -> Result<Option<TestView>, ApiError> {
    let Some(ev) = test_notice::load(state, me.ss.tenant.id, &me.member.external_id, id).await?
    else {
        return Ok(None);
    };
    let provider = ev
        .deliveries
        .iter()
        .find_map(|d| d.provider.as_deref().and_then(|p| p.parse().ok()));
    let Some(provider) = provider else {
        return Ok(None);
    };
    let lines: Vec<TestLine> = ev
        .deliveries
        .iter()
        .map(|d| TestLine {
            label: status_label(page, &d.status),
            reason: (d.status != "delivered")
                .then(|| reason_text(page, d.reason_code.as_deref(), d.reason.as_deref()))
                .flatten(),
            status: d.status.clone(),
        })
        .collect();
    Ok(Some(TestView {
        event_id: id,
        provider,
        done: lines.iter().all(|l| l.status != "pending"),
        lines,
        poll: me.ss.view.href(&format!("/me/test/{id}"), &[]),
    }))
}

#[derive(Debug, Deserialize)]
pub struct TestForm {
    provider: String,
}

/// `POST /me/test`: queues a test notice on one tool, then shows the page with its result.
pub async fn send(
    State(state): State<AppState>,
    MemberForm(me, form): MemberForm<TestForm>,
) -> Response {
    let Some(spec) = spec_of(&form.provider) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let p = spec.provider;
    match test_notice::send(&state, me.ss.tenant.id, &me.member, p, me.ss.tr.lang).await {
        Ok(id) => {
            me.audit(
                &state,
                "test_notice.send",
                p.as_str(),
                &format!("event {id}"),
            )
            .await;
            me.ss.redirect(
                "/me",
                &[("test", &id.to_string())],
                &format!("#tool-{}", p.as_str()),
            )
        }
        Err(e) => {
            let message = if e.code == "nothing_to_test" {
                me.ss.tr.with("ss-test-nothing", "tool", p.display_name())
            } else {
                e.message
            };
            let extras = Extras {
                errors: vec![FieldError {
                    field: format!("{}-test", p.as_str()),
                    message,
                }],
                ..Extras::default()
            };
            page(&state, &me, extras, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// `GET /me/test/{event}`: the result box alone, polled by `console.js`.
pub async fn fragment(
    State(state): State<AppState>,
    Path(event): Path<String>,
    me: MemberSession,
) -> Response {
    let (page, _) = me.ss.frame("/me", "ss-me-title", &me.member.name);
    let Ok(id) = event.parse::<i64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match result(&state, &me, &page, id).await {
        Ok(Some(test)) => me.ss.render(StatusCode::OK, &Fragment { page, test }),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => e.into_response(),
    }
}
