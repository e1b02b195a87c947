//! One event type's page: its name, delivery and confirmation-link lifetime.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_store::directory::EventType;

use super::form::{put_type, TypeForm};
use super::{list_event_types, ttl_label};
use crate::console::landing::store_error;
use crate::console::page::path_segment;
use crate::console::page::{render, see_other, Page, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/event_types/edit.html")]
struct EditPage {
    page: Page,
    form: TypeForm,
    action: String,
    tenant_ttl: String,
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct NotFoundPage {
    page: Page,
    paragraphs: Vec<String>,
}

/// This tenant's event type `key`, or the page to answer instead (404, or the database
/// could not be read).
async fn find(
    state: &AppState,
    console: &Console,
    page: &Page,
    key: &str,
) -> Result<(EventType, String), Response> {
    let types = list_event_types(state, console)
        .await
        .map_err(|e| store_error(page, &e.message))?;
    let tenant_ttl = state
        .store
        .tenant_settings(console.tenant.id)
        .await
        .map_err(|e| store_error(page, &e))?
        .link_ttl_days;
    match types.into_iter().find(|t| t.key == key) {
        Some(t) => Ok((t, ttl_label(page, tenant_ttl))),
        None => {
            let mut page = page.clone();
            page.title = page.t("et-not-found-title");
            let paragraphs = vec![page.t("et-not-found")];
            Err(render(
                StatusCode::NOT_FOUND,
                &NotFoundPage { page, paragraphs },
            ))
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(key): Path<String>,
) -> Response {
    let mut page = console.page(Section::EventTypes, "et-edit-title");
    let (t, tenant_ttl) = match find(&state, &console, &page, &key).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    page.title = page.tw("et-edit-title", "name", &t.name);
    render(
        StatusCode::OK,
        &EditPage {
            form: TypeForm::of(&t),
            action: format!("/console/event-types/{}/edit", path_segment(&key)),
            tenant_ttl,
            page,
        },
    )
}

pub async fn save(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConsoleForm(console, mut form): ConsoleForm<TypeForm>,
) -> Response {
    let mut page = console.page(Section::EventTypes, "et-edit-title");
    let (current, tenant_ttl) = match find(&state, &console, &page, &key).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    page.title = page.tw("et-edit-title", "name", &current.name);
    form.key = key.clone();
    match put_type(&state, &console, &form, current.defaults.clone()).await {
        Ok(saved) => {
            console
                .audit(&state, "event_type.update", &key, &change(&current, &saved))
                .await;
            see_other("/console/event-types?flash=et-saved")
        }
        Err(errors) => {
            page.errors = errors;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &EditPage {
                    action: format!("/console/event-types/{}/edit", path_segment(&key)),
                    form,
                    tenant_ttl,
                    page,
                },
            )
        }
    }
}

/// What changed, for the audit log: `delivery room → direct; link 7 → office`.
fn change(before: &EventType, after: &EventType) -> String {
    let ttl = |d: Option<i64>| d.map_or("office".to_string(), |d| format!("{d} days"));
    let mut parts = vec![];
    if before.name != after.name {
        parts.push(format!("name {} → {}", before.name, after.name));
    }
    if before.delivery != after.delivery {
        parts.push(format!(
            "delivery {} → {}",
            before.delivery.as_str(),
            after.delivery.as_str()
        ));
    }
    if before.confirmation_link_ttl_days != after.confirmation_link_ttl_days {
        parts.push(format!(
            "link {} → {}",
            ttl(before.confirmation_link_ttl_days),
            ttl(after.confirmation_link_ttl_days)
        ));
    }
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join("; ")
    }
}
