//! Event types (ACALL デバイス設定, HiManager 送信先設定, WORKPLACE 通知管理): each type's
//! delivery (direct / room / both) and confirmation-link lifetime, new types, and the
//! matrix of which tool gets which notice (the types' per-tool defaults).

mod edit;
mod form;
mod matrix;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use renkei_store::directory::EventType;

use self::form::{put_type, TypeForm};
use self::matrix::Matrix;
use super::landing::store_error;
use super::page::{path_segment, render, see_other, FieldError, Page, Section};
use super::session::{Console, ConsoleForm};
use crate::error::ApiError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/event-types", get(show).post(create))
        .route("/event-types/matrix", post(matrix::save))
        .route("/event-types/{key}/edit", get(edit::show).post(edit::save))
}

/// The tenant's event types, by key. The one place the console reads them: it becomes a
/// call of the API's list handler once `GET /api/v1/event-types` exists.
pub(crate) async fn list_event_types(
    state: &AppState,
    console: &Console,
) -> Result<Vec<EventType>, ApiError> {
    Ok(state.store.event_types(console.tenant.id).await?)
}

/// One event type's line in the list.
pub struct TypeRow {
    pub key: String,
    pub name: String,
    /// `room`, `direct` or `both`.
    pub delivery: &'static str,
    pub ttl: Option<i64>,
    pub edit_href: String,
}

impl TypeRow {
    fn of(t: &EventType) -> TypeRow {
        TypeRow {
            key: t.key.clone(),
            name: t.name.clone(),
            delivery: t.delivery.as_str(),
            ttl: t.confirmation_link_ttl_days,
            edit_href: format!("/console/event-types/{}/edit", path_segment(&t.key)),
        }
    }
}

#[derive(Template)]
#[template(path = "console/event_types/list.html")]
struct ListPage {
    page: Page,
    rows: Vec<TypeRow>,
    /// The office's own link lifetime, which types without one of their own follow.
    tenant_ttl: String,
    form: TypeForm,
    matrix: Matrix,
}

async fn show(State(state): State<AppState>, console: Console) -> Response {
    let page = console.page(Section::EventTypes, "et-title");
    list_page(&state, &console, page, TypeForm::new_type(), StatusCode::OK).await
}

/// The list with the "new event type" form as given (empty, or as typed with its errors).
async fn list_page(
    state: &AppState,
    console: &Console,
    page: Page,
    form: TypeForm,
    status: StatusCode,
) -> Response {
    let (types, tenant_ttl) = match load(state, console).await {
        Ok(loaded) => loaded,
        Err(e) => return store_error(&page, &e.message),
    };
    let matrix = match Matrix::build(state, console, &types).await {
        Ok(m) => m,
        Err(e) => return store_error(&page, &e),
    };
    let tenant_ttl = ttl_label(&page, tenant_ttl);
    render(
        status,
        &ListPage {
            rows: types.iter().map(TypeRow::of).collect(),
            tenant_ttl,
            form,
            matrix,
            page,
        },
    )
}

async fn load(
    state: &AppState,
    console: &Console,
) -> Result<(Vec<EventType>, Option<i64>), ApiError> {
    let types = list_event_types(state, console).await?;
    let tenant_ttl = state
        .store
        .tenant_settings(console.tenant.id)
        .await?
        .link_ttl_days;
    Ok((types, tenant_ttl))
}

/// "No link" or "7 days": the office's setting as the hints quote it.
pub(crate) fn ttl_label(page: &Page, days: Option<i64>) -> String {
    match days {
        None => page.t("et-ttl-none"),
        Some(d) => page.tn("et-ttl-days", "days", d),
    }
}

/// `POST /console/event-types`: a new event type. A key that exists already is refused
/// (the API's PUT would silently replace it).
async fn create(
    State(state): State<AppState>,
    ConsoleForm(console, mut form): ConsoleForm<TypeForm>,
) -> Response {
    let mut page = console.page(Section::EventTypes, "et-title");
    form.key = form.key.trim().to_string();
    let existing = match list_event_types(&state, &console).await {
        Ok(types) => types,
        Err(e) => return store_error(&page, &e.message),
    };
    if existing.iter().any(|t| t.key == form.key) {
        page.errors.push(FieldError {
            field: "key".into(),
            message: page.tw("et-err-key-taken", "key", &form.key),
        });
        return list_page(
            &state,
            &console,
            page,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match put_type(&state, &console, &form, Default::default()).await {
        Ok(saved) => {
            let detail = format!("{} ({})", saved.name, saved.delivery.as_str());
            console
                .audit(&state, "event_type.create", &saved.key, &detail)
                .await;
            see_other("/console/event-types?flash=et-created")
        }
        Err(errors) => {
            page.errors = errors;
            list_page(
                &state,
                &console,
                page,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
