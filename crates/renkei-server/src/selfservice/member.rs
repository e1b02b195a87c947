//! A member's own page (`/me`, Save Point 通知設定 / WORKPLACE マイ情報): per tool the tenant
//! offers, what they linked and the forms to link, check and unlink it; which notices reach
//! them through which tool; a test notice per tool; and their latest notices.

pub mod forms;
pub mod matrix;
mod recent;
pub mod tests;
pub mod tools;

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::{Owner, Provider};
use renkei_store::connections::Connection;

use super::session::{query_value, MemberSession};
use super::shell::Shell;
use crate::console::landing::store_error;
use crate::console::page::{FieldError, Page};
use crate::AppState;
use matrix::Matrix;
use recent::RecentRow;
use tools::{ToolCard, Typed};

#[derive(Template)]
#[template(path = "self_service/member.html")]
pub struct MemberPage {
    pub page: Page,
    pub shell: Shell,
    pub tools: Vec<ToolCard>,
    pub matrix: Matrix,
    pub recent: Vec<RecentRow>,
    /// `?embed=1&lang=..` to append to form actions (the view survives a post).
    pub q: String,
}

/// What a page build needs beyond the session: errors and typed values of a failed form,
/// the test notice to show, and the `?saved=` section.
#[derive(Default)]
pub struct Extras {
    pub errors: Vec<FieldError>,
    pub typed: Option<Typed>,
    pub test_event: Option<i64>,
    pub line_error: Option<String>,
    pub query: Option<String>,
}

/// The tenant's connections, and those the member owns.
pub struct Connections {
    pub tenant: Vec<Connection>,
    pub own: Vec<Connection>,
}

impl Connections {
    pub async fn load(
        state: &AppState,
        me: &MemberSession,
    ) -> Result<Self, renkei_store::StoreError> {
        let all = state.store.connections(me.ss.tenant.id).await?;
        let (tenant, rest): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|c| c.owner == Owner::Tenant);
        let own = rest
            .into_iter()
            .filter(|c| c.owner == Owner::Member(me.member.id))
            .collect();
        Ok(Connections { tenant, own })
    }

    pub fn tenant_has(&self, p: Provider) -> bool {
        self.tenant.iter().any(|c| c.provider == p)
    }

    pub fn own_of(&self, p: Provider) -> Option<&Connection> {
        self.own.iter().find(|c| c.provider == p)
    }
}

/// Builds the whole page (a GET, or a form that failed with `extras.errors`).
pub async fn page(
    state: &AppState,
    me: &MemberSession,
    extras: Extras,
    status: StatusCode,
) -> Response {
    let (mut page, mut shell) = me.ss.frame("/me", "ss-me-title", &me.member.name);
    me.ss.saved_from_query(&mut shell, extras.query.as_deref());
    let conns = match Connections::load(state, me).await {
        Ok(c) => c,
        Err(e) => return store_error(&page, &e),
    };
    let test = match extras.test_event {
        Some(id) => tests::result(state, me, &page, id).await.ok().flatten(),
        None => None,
    };
    let tools = match tools::cards(
        state,
        me,
        &page,
        &conns,
        extras.typed.as_ref(),
        test,
        extras.line_error.as_deref(),
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return store_error(&page, &e),
    };
    let matrix = match matrix::build(state, me, &page, &conns).await {
        Ok(m) => m,
        Err(e) => return store_error(&page, &e),
    };
    let recent = match recent::rows(state, me, &page).await {
        Ok(r) => r,
        Err(e) => return store_error(&page, &e),
    };
    page.errors = extras.errors;
    let q = me.ss.view.href("", &[]);
    me.ss.render(
        status,
        &MemberPage {
            page,
            shell,
            tools,
            matrix,
            recent,
            q,
        },
    )
}

/// `GET /me`.
pub async fn show(State(state): State<AppState>, parts: Parts, me: MemberSession) -> Response {
    let extras = Extras {
        test_event: query_value(&parts, "test").and_then(|v| v.parse().ok()),
        line_error: query_value(&parts, "line_error"),
        query: parts.uri.query().map(str::to_string),
        ..Extras::default()
    };
    page(&state, &me, extras, StatusCode::OK).await
}
