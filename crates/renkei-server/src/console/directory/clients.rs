//! Clients (顧問先): each client's room per tool (Cells Drive level 3) and whether it has a
//! connection of its own (level 4); a client's page sets or clears its rooms by pasting.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use renkei_store::lists::{ClientOverview, OwnedConnection};
use serde::Deserialize;

use super::rooms::{form_errors, room_cell, room_changes, room_fields, RoomField, RoomInputs};
use super::{
    api_message, href, not_found, page_href, q, removal_detail, room_columns, tenant_connections,
    ConfirmPage, DeletedNote,
};
use crate::api::directory::{put_client, ClientBody};
use crate::api::lists::{client as api_client, clients as api_clients, SearchParams};
use crate::api::paging::PageParams;
use crate::api::removal::delete_client;
use crate::console::landing::store_error;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm, NoFields};
use crate::error::ApiJson;
use crate::AppState;

/// A connection an object owns, as a link to its page.
pub struct ConnLink {
    pub href: String,
    pub label: String,
}

impl ConnLink {
    pub fn of(page: &Page, c: &OwnedConnection) -> ConnLink {
        let tool = c
            .provider
            .parse::<Provider>()
            .map_or(c.provider.clone(), |p| p.display_name().to_string());
        let state = if !c.enabled {
            "off"
        } else if c.status == "broken" {
            "broken"
        } else {
            "connected"
        };
        ConnLink {
            href: format!("/console/connections/{}", c.id),
            label: {
                let mut args = fluent_bundle::FluentArgs::new();
                args.set("tool", tool);
                args.set("state", page.t(&format!("conn-state-{state}")));
                page.tr.format_args("dir-conn-label", &args)
            },
        }
    }
}

pub struct ClientRow {
    pub name: String,
    pub ext: String,
    pub href: String,
    /// One cell per room column: the text, and whether a room is set.
    pub rooms: Vec<(String, bool)>,
    pub connections: Vec<ConnLink>,
    pub members: i64,
    pub members_href: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub after: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub ext: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Template)]
#[template(path = "console/directory/clients.html")]
struct ListPage {
    page: Page,
    search: String,
    columns: Vec<String>,
    rows: Vec<ClientRow>,
    next_href: Option<String>,
    first_href: Option<String>,
    add: AddForm,
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
    Query(note): Query<DeletedNote>,
) -> Response {
    let mut page = console.page(Section::Clients, "dir-clients-title");
    if let Some(flash) = note.flash(console.tr, "client") {
        page.flash = Some(flash);
    }
    list_page(
        &state,
        &console,
        page,
        query,
        AddForm::default(),
        StatusCode::OK,
    )
    .await
}

async fn list_page(
    state: &AppState,
    console: &Console,
    page: Page,
    query: ListQuery,
    add: AddForm,
    status: StatusCode,
) -> Response {
    let found = api_clients(
        State(state.clone()),
        console.auth(),
        Query(SearchParams {
            q: Some(query.q.clone()),
        }),
        Query(PageParams {
            after: query.after.clone(),
            limit: None,
        }),
    )
    .await;
    let found = match found {
        Ok(ApiJson(found)) => found,
        Err(e) => return store_error(&page, &e.message),
    };
    let connections = match tenant_connections(state, console.tenant.id).await {
        Ok(c) => c,
        Err(e) => return store_error(&page, &e.message),
    };
    let columns = room_columns(&connections, found.items.iter().map(|c| &c.rooms));
    let rows = found
        .items
        .iter()
        .map(|c| ClientRow {
            name: c.name.clone(),
            ext: c.external_id.clone(),
            href: href("clients", &c.external_id),
            rooms: columns
                .iter()
                .map(|p| (room_cell(console.tr, &c.rooms, *p), c.rooms.contains_key(p)))
                .collect(),
            connections: c
                .connections
                .iter()
                .map(|x| ConnLink::of(&page, x))
                .collect(),
            members: c.member_count,
            members_href: format!("/console/members?client={}", q(&c.external_id)),
        })
        .collect();
    let params = [("q", query.q.as_str())];
    render(
        status,
        &ListPage {
            search: query.q.clone(),
            columns: columns
                .iter()
                .map(|p| p.display_name().to_string())
                .collect(),
            rows,
            next_href: found
                .next_after
                .as_deref()
                .map(|a| page_href("/console/clients", &params, Some(a))),
            first_href: query
                .after
                .as_ref()
                .map(|_| page_href("/console/clients", &params, None)),
            add,
            page,
        },
    )
}

/// `POST /console/clients`: a new client, then its page to set its rooms.
pub async fn create(
    State(state): State<AppState>,
    ConsoleForm(console, mut add): ConsoleForm<AddForm>,
) -> Response {
    let mut page = console.page(Section::Clients, "dir-clients-title");
    add.ext = add.ext.trim().to_string();
    let existing = api_client(State(state.clone()), console.auth(), Path(add.ext.clone())).await;
    let result = match existing {
        Ok(_) => Err(FieldError {
            field: "new-ext".into(),
            message: page.tw("dir-err-client-taken", "id", &add.ext),
        }),
        Err(_) => put_client(
            State(state.clone()),
            console.auth(),
            Path(add.ext.clone()),
            ApiJson(ClientBody {
                name: add.name.clone(),
                rooms: Default::default(),
            }),
        )
        .await
        .map(|_| ())
        .map_err(|e| FieldError {
            field: if e.code == "invalid_external_id" {
                "new-ext".into()
            } else {
                "new-name".into()
            },
            message: api_message(console.tr, &e),
        }),
    };
    match result {
        Ok(()) => {
            console
                .audit(&state, "client.create", &add.ext, add.name.trim())
                .await;
            see_other(&format!(
                "{}?flash=dir-client-created",
                href("clients", &add.ext)
            ))
        }
        Err(error) => {
            page.errors.push(error);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            list_page(&state, &console, page, ListQuery::default(), add, status).await
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub rooms: RoomInputs,
}

#[derive(Template)]
#[template(path = "console/directory/client.html")]
struct ClientPage {
    page: Page,
    ext: String,
    action: String,
    delete_href: String,
    members: i64,
    members_href: String,
    name: String,
    fields: Vec<RoomField>,
    connections: Vec<ConnLink>,
}

/// This tenant's client `ext`, or the page to answer instead.
async fn find(
    state: &AppState,
    console: &Console,
    page: &Page,
    ext: &str,
) -> Result<ClientOverview, Response> {
    match api_client(State(state.clone()), console.auth(), Path(ext.to_string())).await {
        Ok(ApiJson(c)) => Ok(c),
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(not_found(page, "dir-client-not-found")),
        Err(e) => Err(store_error(page, &e.message)),
    }
}

async fn client_page(
    state: &AppState,
    console: &Console,
    mut page: Page,
    client: &ClientOverview,
    form: ClientForm,
    status: StatusCode,
) -> Response {
    let connections = match tenant_connections(state, console.tenant.id).await {
        Ok(c) => c,
        Err(e) => return store_error(&page, &e.message),
    };
    page.title = page.tw("dir-client-title", "name", &client.name);
    let base = href("clients", &client.external_id);
    render(
        status,
        &ClientPage {
            ext: client.external_id.clone(),
            action: base.clone(),
            delete_href: format!("{base}/delete"),
            members: client.member_count,
            members_href: format!("/console/members?client={}", q(&client.external_id)),
            name: form.name,
            fields: room_fields(console.tr, &form.rooms, &connections, |_| String::new()),
            connections: client
                .connections
                .iter()
                .map(|c| ConnLink::of(&page, c))
                .collect(),
            page,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(ext): Path<String>,
) -> Response {
    let page = console.page(Section::Clients, "dir-clients-title");
    let client = match find(&state, &console, &page, &ext).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let form = ClientForm {
        name: client.name.clone(),
        rooms: RoomInputs::of(&client.rooms),
    };
    client_page(&state, &console, page, &client, form, StatusCode::OK).await
}

/// `POST /console/clients/{ext}`: the name and the rooms (an empty room field clears it).
pub async fn save(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, form): ConsoleForm<ClientForm>,
) -> Response {
    let mut page = console.page(Section::Clients, "dir-clients-title");
    let before = match find(&state, &console, &page, &ext).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let saved = put_client(
        State(state.clone()),
        console.auth(),
        Path(ext.clone()),
        ApiJson(ClientBody {
            name: form.name.clone(),
            rooms: form.rooms.body(),
        }),
    )
    .await;
    match saved {
        Ok((_, ApiJson(after))) => {
            let mut changes = vec![];
            if before.name != after.name {
                changes.push(format!("name {} → {}", before.name, after.name));
            }
            changes.extend(room_changes(&before.rooms, &after.rooms));
            let detail = if changes.is_empty() {
                "no change".to_string()
            } else {
                changes.join("; ")
            };
            console.audit(&state, "client.update", &ext, &detail).await;
            see_other(&format!("{}?flash=dir-saved", href("clients", &ext)))
        }
        Err(e) => {
            page.errors = form_errors(&console, &form.rooms, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            client_page(&state, &console, page, &before, form, status).await
        }
    }
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    console: Console,
    Path(ext): Path<String>,
) -> Response {
    let mut page = console.page(Section::Clients, "dir-clients-title");
    let client = match find(&state, &console, &page, &ext).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    page.title = page.tw("dir-delete-title", "name", &client.name);
    let mut consequences = vec![page.t("dir-delete-client-pending")];
    if !client.connections.is_empty() {
        let tools: Vec<String> = client
            .connections
            .iter()
            .map(|c| ConnLink::of(&page, c).label)
            .collect();
        consequences.push(page.tw("dir-delete-client-connections", "list", tools.join("、")));
    }
    consequences.push(page.tn("dir-delete-client-members", "count", client.member_count));
    consequences.push(page.t("dir-delete-history-stays"));
    let base = href("clients", &ext);
    render(
        StatusCode::OK,
        &ConfirmPage {
            page,
            consequences,
            blockers: vec![],
            links: vec![],
            action: format!("{base}/delete"),
            back: base,
        },
    )
}

pub async fn delete(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, NoFields {}): ConsoleForm<NoFields>,
) -> Response {
    let page = console.page(Section::Clients, "dir-clients-title");
    let client = match find(&state, &console, &page, &ext).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    match delete_client(State(state.clone()), console.auth(), Path(ext.clone())).await {
        Ok(ApiJson(removal)) => {
            console
                .audit(&state, "client.delete", &ext, &removal_detail(&removal))
                .await;
            see_other(&DeletedNote::location(
                "/console/clients",
                &client.name,
                &removal,
            ))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&page, "dir-client-not-found"),
        Err(e) => store_error(&page, &e.message),
    }
}
