//! Picking a member's Chatwork account from the office connection's contacts (HiManager
//! scenario 22: the account is found among the connecting account's コンタクト).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use renkei_store::connections::Connection;
use serde::Deserialize;

use super::identities::{body_of, identity};
use super::member::{find_member, member_changes, put};
use super::{api_message, href, tenant_connections};
use crate::api::chatwork::contacts as api_contacts;
use crate::console::landing::store_error;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::error::ApiJson;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ContactsQuery {
    pub connection: Option<String>,
}

pub struct ConnectionChoice {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct ContactLine {
    pub account_id: String,
    pub name: String,
    /// Organisation and department, as Chatwork shows them.
    pub detail: String,
    /// Another member this account is set for already.
    pub taken_by: Option<String>,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "console/directory/contacts.html")]
struct ContactsPage {
    page: Page,
    back: String,
    action: String,
    here: String,
    connections: Vec<ConnectionChoice>,
    contacts: Vec<ContactLine>,
    problem: Option<String>,
}

/// The office's Chatwork connections (switched-on first).
fn chatwork_connections(all: Vec<Connection>) -> Vec<Connection> {
    let mut cw: Vec<Connection> = all
        .into_iter()
        .filter(|c| c.provider == Provider::Chatwork)
        .collect();
    cw.sort_by_key(|c| (!c.enabled, c.id));
    cw
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(ext): Path<String>,
    Query(query): Query<ContactsQuery>,
) -> Response {
    let page = console.page(Section::Members, "dir-members-title");
    let (member, _) = match find_member(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    contacts_page(
        &state,
        &console,
        page,
        &member,
        query.connection,
        StatusCode::OK,
    )
    .await
}

async fn contacts_page(
    state: &AppState,
    console: &Console,
    mut page: Page,
    member: &renkei_store::directory::Member,
    connection: Option<String>,
    status: StatusCode,
) -> Response {
    page.title = page.tw("dir-contacts-title", "name", &member.name);
    let base = href("members", &member.external_id);
    let connections = match tenant_connections(state, console.tenant.id).await {
        Ok(c) => chatwork_connections(c),
        Err(e) => return store_error(&page, &e.message),
    };
    let chosen = connection
        .and_then(|c| c.parse::<i64>().ok())
        .filter(|id| connections.iter().any(|c| c.id == *id))
        .or(connections.first().map(|c| c.id));
    let mut problem = None;
    let mut contacts = vec![];
    if let Some(id) = chosen {
        match api_contacts(State(state.clone()), console.auth(), Path(id.to_string())).await {
            Ok(ApiJson(found)) => {
                let taken: HashMap<String, String> = match state
                    .store
                    .member_refs(console.tenant.id, Provider::Chatwork)
                    .await
                {
                    Ok(refs) => refs
                        .into_iter()
                        .filter(|(e, ..)| *e != member.external_id)
                        .filter_map(|(_, name, _, account)| Some((account?, name)))
                        .collect(),
                    Err(e) => return store_error(&page, &e),
                };
                let current = member.identities.get(&Provider::Chatwork);
                contacts = found
                    .into_iter()
                    .map(|c| {
                        let account_id = c.account_id.to_string();
                        let detail: Vec<&str> =
                            [c.organization_name.as_str(), c.department.as_str()]
                                .into_iter()
                                .filter(|s| !s.is_empty())
                                .collect();
                        ContactLine {
                            taken_by: taken.get(&account_id).cloned(),
                            checked: current == Some(&account_id),
                            detail: detail.join(" / "),
                            name: c.name,
                            account_id,
                        }
                    })
                    .collect();
            }
            Err(e) => problem = Some(api_message(console.tr, &e)),
        }
    }
    let choices = connections
        .iter()
        .map(|c| ConnectionChoice {
            id: c.id,
            label: format!(
                "{} (#{})",
                c.account_name.as_deref().unwrap_or("Chatwork"),
                c.id
            ),
            selected: Some(c.id) == chosen,
        })
        .collect();
    render(
        status,
        &ContactsPage {
            back: base.clone(),
            action: format!("{base}/chatwork-contacts"),
            here: format!("{base}/chatwork-contacts"),
            connections: choices,
            contacts,
            problem,
            page,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct PickForm {
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub connection: Option<String>,
}

/// `POST /console/members/{ext}/chatwork-contacts`: the chosen contact becomes the member's
/// Chatwork account.
pub async fn pick(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, form): ConsoleForm<PickForm>,
) -> Response {
    let mut page = console.page(Section::Members, "dir-members-title");
    let (before, _) = match find_member(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if form.account_id.trim().is_empty() {
        page.errors.push(FieldError {
            field: "contacts".into(),
            message: page.t("dir-contacts-pick-one"),
        });
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return contacts_page(&state, &console, page, &before, form.connection, status).await;
    }
    let mut body = body_of(&before);
    body.identities.insert(
        Provider::Chatwork.as_str().to_string(),
        identity(Provider::Chatwork, form.account_id.trim()),
    );
    match put(&state, &console, &ext, body).await {
        Ok(after) => {
            let detail = format!("{} (from contacts)", member_changes(&before, &after));
            console.audit(&state, "member.update", &ext, &detail).await;
            see_other(&format!("{}?flash=dir-saved", href("members", &ext)))
        }
        Err(e) => {
            page.errors.push(FieldError {
                field: "contacts".into(),
                message: api_message(console.tr, &e),
            });
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            contacts_page(&state, &console, page, &before, form.connection, status).await
        }
    }
}
