//! Route preview: pick targets, an event type and a message, and see where it would go,
//! why, and the message as each tool would show it, before anything is sent. The answer
//! is the API's own `POST /api/v1/route-preview`; nothing is stored or sent.

mod view;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use self::view::{Outcome, TypeOption};
use super::landing::store_error;
use super::page::{render, FieldError, Page, Section};
use super::session::{Console, ConsoleForm};
use crate::api::events::{EventBody, To};
use crate::api::preview::preview as api_preview;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/preview", get(show).post(run))
}

/// The form as typed; lists of IDs are comma-separated text.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub clients: String,
    #[serde(default)]
    pub groups: String,
    #[serde(default)]
    pub members: String,
    #[serde(default)]
    pub subgroups: Option<String>,
    #[serde(default)]
    pub event_type: String,
    /// Empty: the event type's own setting.
    #[serde(default)]
    pub delivery: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub url: String,
}

impl PreviewForm {
    /// The three ID-list fields, each with what was typed in it.
    pub fn id_fields(&self) -> [(&'static str, &str); 3] {
        [
            ("clients", &self.clients),
            ("groups", &self.groups),
            ("members", &self.members),
        ]
    }

    fn event(&self) -> EventBody {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        EventBody {
            event_type: self.event_type.trim().to_string(),
            idempotency_key: None,
            to: To {
                tenant: self.tenant.is_some(),
                clients: split_ids(&self.clients),
                groups: split_ids(&self.groups),
                members: split_ids(&self.members),
                subgroups: self.subgroups.is_some(),
            },
            title: self.title.clone(),
            body: self.body.clone(),
            url: some(&self.url),
            delivery: some(&self.delivery),
            thread_key: None,
        }
    }
}

/// `a, b、c` or one per line → `["a", "b", "c"]` (IDs may hold spaces, so spaces do not
/// separate).
pub fn split_ids(text: &str) -> Vec<String> {
    text.split([',', '、', '，', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[derive(Template)]
#[template(path = "console/preview/page.html")]
struct PreviewPage {
    page: Page,
    form: PreviewForm,
    types: Vec<TypeOption>,
    outcome: Option<Outcome>,
}

async fn show(State(state): State<AppState>, console: Console) -> Response {
    let page = console.page(Section::Preview, "preview-title");
    let form = PreviewForm {
        tenant: Some("on".into()),
        title: page.t("preview-sample-title"),
        ..PreviewForm::default()
    };
    answer(&state, &console, page, form, None, StatusCode::OK).await
}

async fn answer(
    state: &AppState,
    console: &Console,
    page: Page,
    form: PreviewForm,
    outcome: Option<Outcome>,
    status: StatusCode,
) -> Response {
    let types = match super::event_types::list_event_types(state, console).await {
        Ok(types) => types.iter().map(TypeOption::of).collect(),
        Err(e) => return store_error(&page, &e.message),
    };
    render(
        status,
        &PreviewPage {
            page,
            form,
            types,
            outcome,
        },
    )
}

/// `POST /console/preview`: routes the event as `POST /api/v1/events` would, sends nothing.
async fn run(
    State(state): State<AppState>,
    ConsoleForm(console, form): ConsoleForm<PreviewForm>,
) -> Response {
    let mut page = console.page(Section::Preview, "preview-title");
    let result = api_preview(State(state.clone()), console.auth(), ApiJson(form.event())).await;
    match result {
        Ok(ApiJson(preview)) => {
            let outcome = Outcome::of(&page, preview);
            answer(&state, &console, page, form, Some(outcome), StatusCode::OK).await
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            page.errors.push(field_error(&page, &e));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            answer(&state, &console, page, form, None, status).await
        }
        Err(e) => store_error(&page, &e.message),
    }
}

/// The field an API error is about, with the page's words for it when it has them.
fn field_error(page: &Page, e: &ApiError) -> FieldError {
    let field = match e.code {
        "invalid_type" => "event_type",
        "invalid_title" => "title",
        "invalid_body" => "body",
        "invalid_url" => "url",
        "invalid_delivery" => "delivery",
        "invalid_external_id" if e.message.contains("to.clients") => "clients",
        "invalid_external_id" if e.message.contains("to.groups") => "groups",
        "invalid_external_id" => "members",
        _ => "targets",
    };
    let message = page
        .tr
        .maybe(&format!("preview-err-{}", e.code))
        .unwrap_or_else(|| e.message.clone());
    FieldError {
        field: field.into(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_id_lists_split_on_commas_and_lines_only() {
        assert_eq!(
            split_ids(" yamada, sato、鈴木 一郎\n\ntanaka ,"),
            ["yamada", "sato", "鈴木 一郎", "tanaka"]
        );
        assert!(split_ids(" , ").is_empty());
    }
}
