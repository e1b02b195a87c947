//! One member's page: name, e-mail, client, identities per tool (pasted in any form the
//! tools show them), the groups in order with the primary first, and warnings.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::{Owner, Provider};
use renkei_store::connections::Connection;
use renkei_store::directory::Member;
use serde::Deserialize;

use super::identities::{identity_fields, IdentityField, IdentityInputs};
use super::{api_message, href, not_found, tenant_connections};
use crate::api::directory::{get_member, put_member, MemberBody};
use crate::api::lists::{clients as api_clients, SearchParams};
use crate::api::paging::PageParams;
use crate::console::landing::store_error;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// This tenant's member `ext` and the API's warnings about them, or the page to answer.
pub(crate) async fn find_member(
    state: &AppState,
    console: &Console,
    page: &Page,
    ext: &str,
) -> Result<(Member, Vec<String>), Response> {
    match get_member(State(state.clone()), console.auth(), Path(ext.to_string())).await {
        Ok(ApiJson(view)) => Ok((view.member, view.warnings)),
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(not_found(page, "dir-member-not-found")),
        Err(e) => Err(store_error(page, &e.message)),
    }
}

/// Saves `body` as member `ext` through the API.
pub(crate) async fn put(
    state: &AppState,
    console: &Console,
    ext: &str,
    body: MemberBody,
) -> Result<Member, ApiError> {
    put_member(
        State(state.clone()),
        console.auth(),
        Path(ext.to_string()),
        ApiJson(body),
    )
    .await
    .map(|(_, ApiJson(m))| m)
}

/// What changed, for the audit log (identities by tool, never their values twice).
pub(crate) fn member_changes(before: &Member, after: &Member) -> String {
    let mut parts = vec![];
    if before.name != after.name {
        parts.push(format!("name {} → {}", before.name, after.name));
    }
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    if before.email != after.email {
        parts.push(format!(
            "email {} → {}",
            show(&before.email),
            show(&after.email)
        ));
    }
    if before.client != after.client {
        parts.push(format!(
            "client {} → {}",
            show(&before.client),
            show(&after.client)
        ));
    }
    if before.groups != after.groups {
        parts.push(format!(
            "groups {} → {}",
            before.groups.join(", "),
            after.groups.join(", ")
        ));
    }
    for p in Provider::ALL {
        let (b, a) = (before.identities.get(&p), after.identities.get(&p));
        if b != a {
            let v = |x: Option<&String>| x.cloned().unwrap_or_else(|| "none".into());
            parts.push(format!("{p} {} → {}", v(b), v(a)));
        }
    }
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join("; ")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub client: String,
    #[serde(flatten)]
    pub identities: IdentityInputs,
}

impl MemberForm {
    pub(crate) fn of(m: &Member) -> MemberForm {
        MemberForm {
            name: m.name.clone(),
            email: m.email.clone().unwrap_or_default(),
            client: m.client.clone().unwrap_or_default(),
            identities: IdentityInputs::of(&m.identities),
        }
    }
}

pub struct Choice {
    pub value: String,
    /// The object's own name (the label adds its ID).
    pub name: String,
    pub label: String,
    pub selected: bool,
}

/// The clients to choose from, when there are few enough for a list (else a text field).
pub(crate) async fn client_choices(
    state: &AppState,
    console: &Console,
    chosen: &str,
) -> Result<Option<Vec<Choice>>, ApiError> {
    let ApiJson(found) = api_clients(
        State(state.clone()),
        console.auth(),
        axum::extract::Query(SearchParams { q: None }),
        axum::extract::Query(PageParams {
            after: None,
            limit: Some("200".into()),
        }),
    )
    .await?;
    if found.next_after.is_some() {
        return Ok(None);
    }
    Ok(Some(
        found
            .items
            .iter()
            .map(|c| Choice {
                value: c.external_id.clone(),
                name: c.name.clone(),
                label: format!("{} ({})", c.name, c.external_id),
                selected: c.external_id == chosen,
            })
            .collect(),
    ))
}

pub struct Warning {
    pub text: String,
    pub href: Option<String>,
}

/// Tools through which the office's connection reaches a member personally (as on home).
fn reaches_people(p: Provider) -> bool {
    matches!(
        p,
        Provider::Chatwork | Provider::Slack | Provider::LineWorks | Provider::Line
    )
}

fn warnings(
    page: &Page,
    member: &Member,
    api_warnings: &[String],
    connections: &[Connection],
) -> Vec<Warning> {
    let mut out = vec![];
    if !api_warnings.is_empty() {
        let account = member.identities.get(&Provider::Chatwork);
        for c in connections
            .iter()
            .filter(|c| c.provider == Provider::Chatwork && c.account_id.as_ref() == account)
        {
            out.push(Warning {
                text: page.tw(
                    "dir-warn-self-mention",
                    "account",
                    c.account_name.clone().unwrap_or_default(),
                ),
                href: Some(format!("/console/connections/{}", c.id)),
            });
        }
    }
    let mut tools: Vec<Provider> = connections
        .iter()
        .filter(|c| c.status == "connected" && reaches_people(c.provider))
        .map(|c| c.provider)
        .collect();
    tools.sort_by_key(|p| Provider::ALL.iter().position(|x| x == p));
    tools.dedup();
    for p in tools {
        if !member.identities.contains_key(&p) {
            out.push(Warning {
                text: page.tw("dir-warn-missing-identity", "tool", p.display_name()),
                href: Some(format!("#{}", super::identities::field_id(p))),
            });
        }
    }
    out
}

pub struct GroupLine {
    pub name: String,
    pub ext: String,
    pub primary: bool,
    pub first: bool,
    pub last: bool,
}

#[derive(Template)]
#[template(path = "console/directory/member.html")]
struct MemberPage {
    page: Page,
    ext: String,
    action: String,
    groups_action: String,
    contacts_href: Option<String>,
    delete_href: String,
    form: MemberForm,
    clients: Option<Vec<Choice>>,
    identities: Vec<IdentityField>,
    warnings: Vec<Warning>,
    groups: Vec<GroupLine>,
    addable: Vec<Choice>,
}

pub(crate) async fn member_page(
    state: &AppState,
    console: &Console,
    mut page: Page,
    (member, api_warnings): (&Member, &[String]),
    form: MemberForm,
    status: StatusCode,
) -> Response {
    let loaded = async {
        let connections = tenant_connections(state, console.tenant.id).await?;
        let clients = client_choices(state, console, form.client.trim()).await?;
        let groups = state.store.group_overviews(console.tenant.id).await?;
        Ok::<_, ApiError>((connections, clients, groups))
    }
    .await;
    let (connections, clients, all_groups) = match loaded {
        Ok(l) => l,
        Err(e) => return store_error(&page, &e.message),
    };
    page.title = page.tw("dir-member-title", "name", &member.name);
    let names: HashMap<&str, &str> = all_groups
        .iter()
        .map(|g| (g.external_id.as_str(), g.name.as_str()))
        .collect();
    let count = member.groups.len();
    let groups = member
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| GroupLine {
            name: names.get(g.as_str()).unwrap_or(&g.as_str()).to_string(),
            ext: g.clone(),
            primary: i == 0,
            first: i == 0,
            last: i + 1 == count,
        })
        .collect();
    let addable = all_groups
        .iter()
        .filter(|g| !member.groups.contains(&g.external_id))
        .map(|g| Choice {
            value: g.external_id.clone(),
            name: g.name.clone(),
            label: format!("{} ({})", g.name, g.external_id),
            selected: false,
        })
        .collect();
    let base = href("members", &member.external_id);
    let has_chatwork = connections
        .iter()
        .any(|c| c.provider == Provider::Chatwork && c.owner == Owner::Tenant);
    render(
        status,
        &MemberPage {
            ext: member.external_id.clone(),
            action: base.clone(),
            groups_action: format!("{base}/groups"),
            contacts_href: has_chatwork.then(|| format!("{base}/chatwork-contacts")),
            delete_href: format!("{base}/delete"),
            clients,
            identities: identity_fields(console.tr, &form.identities),
            warnings: warnings(&page, member, api_warnings, &connections),
            groups,
            addable,
            form,
            page,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(ext): Path<String>,
) -> Response {
    let page = console.page(Section::Members, "dir-members-title");
    let (member, warns) = match find_member(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form = MemberForm::of(&member);
    member_page(
        &state,
        &console,
        page,
        (&member, &warns),
        form,
        StatusCode::OK,
    )
    .await
}

fn nonempty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `POST /console/members/{ext}`: name, e-mail, client and identities (groups keep their
/// order: the group list has its own buttons).
pub async fn save(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, form): ConsoleForm<MemberForm>,
) -> Response {
    let mut page = console.page(Section::Members, "dir-members-title");
    let (before, warns) = match find_member(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let body = MemberBody {
        name: form.name.clone(),
        email: nonempty(&form.email),
        client: nonempty(&form.client),
        groups: before.groups.clone(),
        identities: form.identities.body(),
    };
    match put(&state, &console, &ext, body).await {
        Ok(after) => {
            let detail = member_changes(&before, &after);
            console.audit(&state, "member.update", &ext, &detail).await;
            see_other(&format!("{}?flash=dir-saved", href("members", &ext)))
        }
        Err(e) => {
            page.errors = form_errors(console.tr, &form, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            member_page(&state, &console, page, (&before, &warns), form, status).await
        }
    }
}

fn form_errors(tr: crate::console::i18n::Tr, form: &MemberForm, e: &ApiError) -> Vec<FieldError> {
    let field = match e.code {
        "invalid_account_id" | "invalid_identity" | "unknown_provider" => {
            return form.identities.errors(tr, e)
        }
        "invalid_email" => "email",
        "unknown_client" => "client",
        "invalid_external_id" if e.message.starts_with("`client`") => "client",
        _ => "name",
    };
    vec![FieldError {
        field: field.into(),
        message: api_message(tr, e),
    }]
}
