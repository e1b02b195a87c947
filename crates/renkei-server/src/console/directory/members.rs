//! The member list (search, filters by group, client and missing identity, 50 a page), adding
//! a member, and deleting one.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::{Owner, Provider};
use serde::Deserialize;

use super::import::ImportNote;
use super::member::{client_choices, find_member, put, Choice};
use super::{api_message, href, not_found, page_href, removal_detail, ConfirmPage, DeletedNote};
use crate::api::directory::MemberBody;
use crate::api::lists::{members as api_members, MemberParams};
use crate::api::paging::PageParams;
use crate::api::removal::delete_member;
use crate::console::landing::store_error;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm, NoFields};
use crate::error::ApiJson;
use crate::AppState;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub missing_identity: String,
    pub after: Option<String>,
}

impl ListQuery {
    fn params(&self) -> [(&'static str, &str); 4] {
        [
            ("q", self.q.as_str()),
            ("group", self.group.as_str()),
            ("client", self.client.as_str()),
            ("missing_identity", self.missing_identity.as_str()),
        ]
    }

    fn filtered(&self) -> bool {
        self.params().iter().any(|(_, v)| !v.is_empty())
    }
}

pub struct MemberRow {
    pub name: String,
    pub ext: String,
    pub href: String,
    pub email: String,
    pub client: Option<(String, String)>,
    /// Group names in order; the first is the primary one.
    pub groups: Vec<String>,
    /// (tool, ID), one per tool.
    pub identities: Vec<(&'static str, String)>,
    pub warnings: usize,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub ext: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Template)]
#[template(path = "console/directory/members.html")]
struct ListPage {
    page: Page,
    query: ListQuery,
    groups: Vec<Choice>,
    clients: Option<Vec<Choice>>,
    tools: Vec<Choice>,
    rows: Vec<MemberRow>,
    next_href: Option<String>,
    first_href: Option<String>,
    add: AddForm,
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
    Query(deleted): Query<DeletedNote>,
    Query(imported): Query<ImportNote>,
) -> Response {
    let mut page = console.page(Section::Members, "dir-members-title");
    if let Some(flash) = deleted
        .flash(console.tr, "member")
        .or_else(|| imported.flash(console.tr))
    {
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
    mut page: Page,
    query: ListQuery,
    add: AddForm,
    mut status: StatusCode,
) -> Response {
    let found = api_members(
        State(state.clone()),
        console.auth(),
        Query(MemberParams {
            q: Some(query.q.clone()),
            group: Some(query.group.clone()),
            client: Some(query.client.clone()),
            missing_identity: Some(query.missing_identity.clone()),
        }),
        Query(PageParams {
            after: query.after.clone(),
            limit: None,
        }),
    )
    .await;
    let (items, next_after) = match found {
        Ok(ApiJson(found)) => (found.items, found.next_after),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let field = match e.code {
                "unknown_group" => "filter-group",
                "unknown_client" => "filter-client",
                "unknown_provider" => "filter-missing",
                _ => "q",
            };
            page.errors.push(FieldError {
                field: field.into(),
                message: api_message(console.tr, &e),
            });
            status = StatusCode::UNPROCESSABLE_ENTITY;
            (vec![], None)
        }
        Err(e) => return store_error(&page, &e.message),
    };
    let loaded = async {
        let groups = state.store.group_overviews(console.tenant.id).await?;
        let clients = client_choices(state, console, &query.client).await?;
        Ok::<_, crate::error::ApiError>((groups, clients))
    }
    .await;
    let (all_groups, clients) = match loaded {
        Ok(l) => l,
        Err(e) => return store_error(&page, &e.message),
    };
    let group_names: HashMap<&str, &str> = all_groups
        .iter()
        .map(|g| (g.external_id.as_str(), g.name.as_str()))
        .collect();
    // Client names, when the list is short enough to have been read (else their IDs).
    let client_names: HashMap<&str, &str> = clients
        .iter()
        .flatten()
        .map(|c| (c.value.as_str(), c.name.as_str()))
        .collect();
    let rows = items
        .iter()
        .map(|v| {
            let m = &v.member;
            MemberRow {
                name: m.name.clone(),
                ext: m.external_id.clone(),
                href: href("members", &m.external_id),
                email: m.email.clone().unwrap_or_default(),
                client: m.client.as_ref().map(|c| {
                    let name = client_names.get(c.as_str()).map_or(c.as_str(), |n| *n);
                    (name.to_string(), href("clients", c))
                }),
                groups: m
                    .groups
                    .iter()
                    .map(|g| {
                        group_names
                            .get(g.as_str())
                            .unwrap_or(&g.as_str())
                            .to_string()
                    })
                    .collect(),
                identities: m
                    .identities
                    .iter()
                    .map(|(p, id)| (p.display_name(), id.clone()))
                    .collect(),
                warnings: v.warnings.len(),
            }
        })
        .collect();
    let groups = all_groups
        .iter()
        .map(|g| Choice {
            value: g.external_id.clone(),
            name: g.name.clone(),
            label: format!("{} ({})", g.name, g.external_id),
            selected: g.external_id == query.group,
        })
        .collect();
    let tools = Provider::ALL
        .into_iter()
        .map(|p| Choice {
            value: p.as_str().to_string(),
            name: p.display_name().to_string(),
            label: p.display_name().to_string(),
            selected: p.as_str() == query.missing_identity,
        })
        .collect();
    let params = query.params();
    render(
        status,
        &ListPage {
            next_href: next_after
                .as_deref()
                .map(|a| page_href("/console/members", &params, Some(a))),
            first_href: query
                .after
                .as_ref()
                .map(|_| page_href("/console/members", &params, None)),
            groups,
            clients,
            tools,
            rows,
            add,
            query: query.clone(),
            page,
        },
    )
}

/// `POST /console/members`: a new member, then their page to link their tools.
pub async fn create(
    State(state): State<AppState>,
    ConsoleForm(console, mut add): ConsoleForm<AddForm>,
) -> Response {
    let mut page = console.page(Section::Members, "dir-members-title");
    add.ext = add.ext.trim().to_string();
    let exists = state
        .store
        .member_id(console.tenant.id, &add.ext)
        .await
        .ok()
        .flatten()
        .is_some();
    let result = if exists {
        Err(FieldError {
            field: "new-ext".into(),
            message: page.tw("dir-err-member-taken", "id", &add.ext),
        })
    } else {
        let body = MemberBody {
            name: add.name.clone(),
            email: Some(add.email.trim().to_string()).filter(|e| !e.is_empty()),
            client: None,
            groups: vec![],
            identities: Default::default(),
        };
        put(&state, &console, &add.ext, body)
            .await
            .map(|_| ())
            .map_err(|e| FieldError {
                field: match e.code {
                    "invalid_external_id" => "new-ext",
                    "invalid_email" => "new-email",
                    _ => "new-name",
                }
                .into(),
                message: api_message(console.tr, &e),
            })
    };
    match result {
        Ok(()) => {
            console
                .audit(&state, "member.create", &add.ext, add.name.trim())
                .await;
            see_other(&format!(
                "{}?flash=dir-member-created",
                href("members", &add.ext)
            ))
        }
        Err(error) => {
            page.errors.push(error);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            list_page(&state, &console, page, ListQuery::default(), add, status).await
        }
    }
}

async fn confirm_page(
    state: &AppState,
    console: &Console,
    page: &Page,
    member: &renkei_store::directory::Member,
    blockers: Vec<String>,
    status: StatusCode,
) -> Response {
    let mut page = page.clone();
    page.title = page.tw("dir-delete-title", "name", &member.name);
    let own = match state.store.connections(console.tenant.id).await {
        Ok(all) => all
            .into_iter()
            .filter(|c| c.owner == Owner::Member(member.id))
            .count(),
        Err(e) => return store_error(&page, &e),
    };
    let mut consequences = vec![page.t("dir-delete-member-pending")];
    if own > 0 {
        consequences.push(page.tn("dir-delete-member-connections", "count", own));
    }
    consequences.push(page.t("dir-delete-member-memberships"));
    consequences.push(page.t("dir-delete-history-stays"));
    let base = href("members", &member.external_id);
    render(
        status,
        &ConfirmPage {
            page,
            consequences,
            blockers,
            links: vec![],
            action: format!("{base}/delete"),
            back: base,
        },
    )
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    console: Console,
    Path(ext): Path<String>,
) -> Response {
    let page = console.page(Section::Members, "dir-members-title");
    let (member, _) = match find_member(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    confirm_page(&state, &console, &page, &member, vec![], StatusCode::OK).await
}

pub async fn delete(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, NoFields {}): ConsoleForm<NoFields>,
) -> Response {
    let page = console.page(Section::Members, "dir-members-title");
    let (member, _) = match find_member(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match delete_member(State(state.clone()), console.auth(), Path(ext.clone())).await {
        Ok(ApiJson(removal)) => {
            console
                .audit(&state, "member.delete", &ext, &removal_detail(&removal))
                .await;
            see_other(&DeletedNote::location(
                "/console/members",
                &member.name,
                &removal,
            ))
        }
        Err(e) if e.code == "member_has_absences" => {
            let blockers = vec![page.t("dir-delete-member-absences")];
            confirm_page(
                &state,
                &console,
                &page,
                &member,
                blockers,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&page, "dir-member-not-found"),
        Err(e) => store_error(&page, &e.message),
    }
}
