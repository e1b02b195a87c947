//! Groups (ACALL グループ): the tree, each group's room per tool and the room its posts
//! really go to ("inherited from 開発部", "default room"); a group's page sets its name,
//! parent and rooms. The API refuses a parent that would make a cycle, with the reason.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use renkei_store::group_tree::GroupOverview;
use serde::Deserialize;

use super::rooms::{effective_text, form_errors, room_changes, room_fields, RoomField, RoomInputs};
use super::tree::{nodes, parent_options, ParentOption, TreeNode};
use super::{
    api_message, href, not_found, q, removal_detail, tenant_connections, ConfirmPage, DeletedNote,
};
use crate::api::directory::{put_group, GroupBody};
use crate::api::lists::group as api_group;
use crate::api::removal::delete_group;
use crate::console::landing::store_error;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm, NoFields};
use crate::error::ApiJson;
use crate::AppState;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub ext: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent: String,
}

#[derive(Template)]
#[template(path = "console/directory/groups.html")]
struct ListPage {
    page: Page,
    nodes: Vec<TreeNode>,
    add: AddForm,
    parents: Vec<ParentOption>,
}

/// Every group of the tenant: the tree needs them all (the API's `GET /groups` pages through
/// the same overviews).
async fn all_groups(state: &AppState, console: &Console) -> Result<Vec<GroupOverview>, String> {
    state
        .store
        .group_overviews(console.tenant.id)
        .await
        .map_err(|e| e.to_string())
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(note): Query<DeletedNote>,
) -> Response {
    let mut page = console.page(Section::Groups, "dir-groups-title");
    if let Some(flash) = note.flash(console.tr, "group") {
        page.flash = Some(flash);
    }
    list_page(&state, &console, page, AddForm::default(), StatusCode::OK).await
}

async fn list_page(
    state: &AppState,
    console: &Console,
    page: Page,
    add: AddForm,
    status: StatusCode,
) -> Response {
    let groups = match all_groups(state, console).await {
        Ok(g) => g,
        Err(e) => return store_error(&page, &e),
    };
    render(
        status,
        &ListPage {
            nodes: nodes(&page, &groups),
            parents: parent_options(&groups, "", &add.parent),
            add,
            page,
        },
    )
}

fn parent_of(raw: &str) -> Option<String> {
    Some(raw.trim().to_string()).filter(|p| !p.is_empty())
}

/// `POST /console/groups`: a new group (under a parent, or at the top).
pub async fn create(
    State(state): State<AppState>,
    ConsoleForm(console, mut add): ConsoleForm<AddForm>,
) -> Response {
    let mut page = console.page(Section::Groups, "dir-groups-title");
    add.ext = add.ext.trim().to_string();
    let existing = api_group(State(state.clone()), console.auth(), Path(add.ext.clone())).await;
    let result = match existing {
        Ok(_) => Err(FieldError {
            field: "new-ext".into(),
            message: page.tw("dir-err-group-taken", "id", &add.ext),
        }),
        Err(_) => put_group(
            State(state.clone()),
            console.auth(),
            Path(add.ext.clone()),
            ApiJson(GroupBody {
                name: add.name.clone(),
                parent: parent_of(&add.parent),
                rooms: Default::default(),
            }),
        )
        .await
        .map(|_| ())
        .map_err(|e| FieldError {
            field: match e.code {
                "invalid_external_id" if !e.message.starts_with("`parent`") => "new-ext",
                "unknown_group" | "group_cycle" | "invalid_external_id" => "new-parent",
                _ => "new-name",
            }
            .into(),
            message: api_message(console.tr, &e),
        }),
    };
    match result {
        Ok(()) => {
            let detail = match parent_of(&add.parent) {
                Some(p) => format!("{} (parent {p})", add.name.trim()),
                None => add.name.trim().to_string(),
            };
            console
                .audit(&state, "group.create", &add.ext, &detail)
                .await;
            see_other(&format!(
                "{}?flash=dir-group-created",
                href("groups", &add.ext)
            ))
        }
        Err(error) => {
            page.errors.push(error);
            list_page(
                &state,
                &console,
                page,
                add,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent: String,
    #[serde(flatten)]
    pub rooms: RoomInputs,
}

pub struct ChildLink {
    pub name: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "console/directory/group.html")]
struct GroupPage {
    page: Page,
    ext: String,
    action: String,
    delete_href: String,
    members: i64,
    members_href: String,
    name: String,
    parents: Vec<ParentOption>,
    fields: Vec<RoomField>,
    children: Vec<ChildLink>,
}

/// This tenant's group `ext` and all its groups, or the page to answer instead.
async fn find(
    state: &AppState,
    console: &Console,
    page: &Page,
    ext: &str,
) -> Result<(GroupOverview, Vec<GroupOverview>), Response> {
    let groups = all_groups(state, console)
        .await
        .map_err(|e| store_error(page, &e))?;
    match groups.iter().find(|g| g.external_id == ext) {
        Some(g) => Ok((g.clone(), groups)),
        None => Err(not_found(page, "dir-group-not-found")),
    }
}

async fn group_page(
    state: &AppState,
    console: &Console,
    mut page: Page,
    (group, groups): (&GroupOverview, &[GroupOverview]),
    form: GroupForm,
    status: StatusCode,
) -> Response {
    let connections = match tenant_connections(state, console.tenant.id).await {
        Ok(c) => c,
        Err(e) => return store_error(&page, &e.message),
    };
    page.title = page.tw("dir-group-title", "name", &group.name);
    let base = href("groups", &group.external_id);
    let names: HashMap<&str, &str> = groups
        .iter()
        .map(|g| (g.external_id.as_str(), g.name.as_str()))
        .collect();
    let now = |p: Provider| {
        group
            .effective_rooms
            .get(&p)
            .map(|e| effective_text(console.tr, p, e))
            .unwrap_or_default()
    };
    render(
        status,
        &GroupPage {
            ext: group.external_id.clone(),
            action: base.clone(),
            delete_href: format!("{base}/delete"),
            members: group.member_count,
            members_href: format!("/console/members?group={}", q(&group.external_id)),
            parents: parent_options(groups, &group.external_id, form.parent.trim()),
            fields: room_fields(console.tr, &form.rooms, &connections, now),
            children: group
                .children
                .iter()
                .map(|c| ChildLink {
                    name: names.get(c.as_str()).unwrap_or(&c.as_str()).to_string(),
                    href: href("groups", c),
                })
                .collect(),
            name: form.name,
            page,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(ext): Path<String>,
) -> Response {
    let page = console.page(Section::Groups, "dir-groups-title");
    let (group, groups) = match find(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form = GroupForm {
        name: group.name.clone(),
        parent: group.parent.clone().unwrap_or_default(),
        rooms: RoomInputs::of(&group.rooms),
    };
    group_page(
        &state,
        &console,
        page,
        (&group, &groups),
        form,
        StatusCode::OK,
    )
    .await
}

/// `POST /console/groups/{ext}`: name, parent and rooms.
pub async fn save(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, form): ConsoleForm<GroupForm>,
) -> Response {
    let mut page = console.page(Section::Groups, "dir-groups-title");
    let (before, groups) = match find(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let saved = put_group(
        State(state.clone()),
        console.auth(),
        Path(ext.clone()),
        ApiJson(GroupBody {
            name: form.name.clone(),
            parent: parent_of(&form.parent),
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
            if before.parent != after.parent {
                let show = |p: &Option<String>| p.clone().unwrap_or_else(|| "none".into());
                changes.push(format!(
                    "parent {} → {}",
                    show(&before.parent),
                    show(&after.parent)
                ));
            }
            changes.extend(room_changes(&before.rooms, &after.rooms));
            let detail = if changes.is_empty() {
                "no change".to_string()
            } else {
                changes.join("; ")
            };
            console.audit(&state, "group.update", &ext, &detail).await;
            see_other(&format!("{}?flash=dir-saved", href("groups", &ext)))
        }
        Err(e) => {
            page.errors = form_errors(&console, &form.rooms, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            group_page(&state, &console, page, (&before, &groups), form, status).await
        }
    }
}

/// The page that says what deleting does, or which sub-groups stop it (`blocked`: (name,
/// external ID) of each).
fn confirm_page(
    page: &Page,
    group: &GroupOverview,
    blocked: &[(String, String)],
    status: StatusCode,
) -> Response {
    let mut page = page.clone();
    page.title = page.tw("dir-delete-title", "name", &group.name);
    let base = href("groups", &group.external_id);
    let (blockers, links) = if blocked.is_empty() {
        (vec![], vec![])
    } else {
        let names: Vec<&str> = blocked.iter().map(|(n, _)| n.as_str()).collect();
        (
            vec![page.tw("dir-delete-group-children", "list", names.join("、"))],
            blocked
                .iter()
                .map(|(n, ext)| (n.clone(), href("groups", ext)))
                .collect(),
        )
    };
    let consequences = vec![
        page.t("dir-delete-group-pending"),
        page.tn("dir-delete-group-members", "count", group.member_count),
        page.t("dir-delete-history-stays"),
    ];
    render(
        status,
        &ConfirmPage {
            page,
            consequences,
            blockers,
            links,
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
    let page = console.page(Section::Groups, "dir-groups-title");
    let (group, groups) = match find(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let children: Vec<(String, String)> = groups
        .iter()
        .filter(|g| group.children.contains(&g.external_id))
        .map(|g| (g.name.clone(), g.external_id.clone()))
        .collect();
    confirm_page(&page, &group, &children, StatusCode::OK)
}

pub async fn delete(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, NoFields {}): ConsoleForm<NoFields>,
) -> Response {
    let page = console.page(Section::Groups, "dir-groups-title");
    let (group, _) = match find(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match delete_group(State(state.clone()), console.auth(), Path(ext.clone())).await {
        Ok(ApiJson(removal)) => {
            console
                .audit(&state, "group.delete", &ext, &removal_detail(&removal))
                .await;
            see_other(&DeletedNote::location(
                "/console/groups",
                &group.name,
                &removal,
            ))
        }
        Err(e) if e.code == "group_has_children" => {
            // The API names the sub-groups in its details.
            let children: Vec<(String, String)> = e
                .details
                .as_ref()
                .and_then(|d| d["children"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|c| {
                    let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                    (text("name"), text("external_id"))
                })
                .collect();
            confirm_page(&page, &group, &children, StatusCode::CONFLICT)
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&page, "dir-group-not-found"),
        Err(e) => store_error(&page, &e.message),
    }
}
