//! Reading the directory: clients, groups, members and event types, a page at a time with
//! filters, and one client, group or event type by its ID.

use axum::extract::{Path, Query, State};
use renkei_core::model::{Owner, Provider};
use renkei_core::routing;
use renkei_store::connections::Connection;
use renkei_store::directory::{EventType, Member};
use renkei_store::group_tree::{GroupOverview, GroupPage};
use renkei_store::lists::{ClientOverview, ClientPage, EventTypePage, MemberFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::directory::MemberView;
use super::paging::{parse_provider, PageParams};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Part of the name or external ID (key for event types), case-insensitive.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/clients", params(SearchParams, PageParams),
    responses((status = 200, body = ClientPage), (status = 422, description = "invalid_limit")))]
pub async fn clients(
    State(state): State<AppState>,
    auth: Auth,
    Query(search): Query<SearchParams>,
    Query(paging): Query<PageParams>,
) -> Result<ApiJson<ClientPage>, ApiError> {
    let page = paging.page()?;
    Ok(ApiJson(
        state
            .store
            .client_page(auth.id(), search.q.as_deref(), page)
            .await?,
    ))
}

/// The client with its rooms, its own connections and how many members it has.
#[utoipa::path(get, path = "/api/v1/clients/{external_id}", params(("external_id" = String, Path)),
    responses((status = 200, body = ClientOverview), (status = 404)))]
pub async fn client(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<ApiJson<ClientOverview>, ApiError> {
    state
        .store
        .client_overview(auth.id(), &ext)
        .await?
        .map(ApiJson)
        .ok_or_else(|| ApiError::not_found("client"))
}

/// Groups with their parent, own rooms and, per provider, the room posts really go to and
/// where it comes from (own, inherited from an ancestor, the tenant connection's room).
#[utoipa::path(get, path = "/api/v1/groups", params(SearchParams, PageParams),
    responses((status = 200, body = GroupPage), (status = 422, description = "invalid_limit")))]
pub async fn groups(
    State(state): State<AppState>,
    auth: Auth,
    Query(search): Query<SearchParams>,
    Query(paging): Query<PageParams>,
) -> Result<ApiJson<GroupPage>, ApiError> {
    let page = paging.page()?;
    Ok(ApiJson(
        state
            .store
            .group_page(auth.id(), search.q.as_deref(), page)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/groups/{external_id}", params(("external_id" = String, Path)),
    responses((status = 200, body = GroupOverview), (status = 404)))]
pub async fn group(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<ApiJson<GroupOverview>, ApiError> {
    state
        .store
        .group_overview(auth.id(), &ext)
        .await?
        .map(ApiJson)
        .ok_or_else(|| ApiError::not_found("group"))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MemberParams {
    /// Part of the name, e-mail or external ID, case-insensitive.
    pub q: Option<String>,
    /// Members of this group (external ID), directly (not through a sub-group).
    pub group: Option<String>,
    /// Members of this client (external ID).
    pub client: Option<String>,
    /// Members with no identity for this provider, e.g. `chatwork`.
    pub missing_identity: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberListPage {
    pub items: Vec<MemberView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/members", params(MemberParams, PageParams),
    responses((status = 200, body = MemberListPage),
        (status = 422, description = "invalid_limit, unknown_group, unknown_client, unknown_provider")))]
pub async fn members(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<MemberParams>,
    Query(paging): Query<PageParams>,
) -> Result<ApiJson<MemberListPage>, ApiError> {
    let tenant = auth.id();
    let page = paging.page()?;
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let group = match nonempty(&params.group) {
        None => None,
        Some(g) => Some(state.store.group_row_id(tenant, &g).await?.ok_or_else(|| {
            ApiError::unprocessable("unknown_group", format!("no group `{g}` in your tenant"))
        })?),
    };
    let client = match nonempty(&params.client) {
        None => None,
        Some(c) => Some(state.store.client_id(tenant, &c).await?.ok_or_else(|| {
            ApiError::unprocessable("unknown_client", format!("no client `{c}` in your tenant"))
        })?),
    };
    let filter = MemberFilter {
        q: params.q.as_deref(),
        group,
        client,
        missing_identity: parse_provider("missing_identity", params.missing_identity.as_deref())?,
    };
    let found = state.store.member_page(tenant, filter, page).await?;
    let conns = state.store.connections(tenant).await?;
    let items = found
        .items
        .into_iter()
        .map(|m| {
            let warnings = self_mention_warnings(&conns, &m);
            MemberView {
                member: m,
                warnings,
            }
        })
        .collect();
    Ok(ApiJson(MemberListPage {
        items,
        next_after: found.next_after,
    }))
}

/// A tenant Chatwork connection that posts as the member's own account: their mentions
/// show no badge.
pub(crate) fn self_mention_warnings(conns: &[Connection], member: &Member) -> Vec<String> {
    let Some(account) = member.identities.get(&Provider::Chatwork) else {
        return Vec::new();
    };
    conns
        .iter()
        .filter(|c| {
            c.owner == Owner::Tenant
                && c.provider == Provider::Chatwork
                && c.account_id.as_deref() == Some(account.as_str())
        })
        .map(|c| routing::self_mention_warning(c.id, &member.name, account))
        .collect()
}

#[utoipa::path(get, path = "/api/v1/event-types", params(SearchParams, PageParams),
    responses((status = 200, body = EventTypePage), (status = 422, description = "invalid_limit")))]
pub async fn event_types(
    State(state): State<AppState>,
    auth: Auth,
    Query(search): Query<SearchParams>,
    Query(paging): Query<PageParams>,
) -> Result<ApiJson<EventTypePage>, ApiError> {
    let page = paging.page()?;
    Ok(ApiJson(
        state
            .store
            .event_type_page(auth.id(), search.q.as_deref(), page)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/event-types/{key}", params(("key" = String, Path)),
    responses((status = 200, body = EventType), (status = 404)))]
pub async fn event_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<ApiJson<EventType>, ApiError> {
    state
        .store
        .event_type(auth.id(), &key)
        .await?
        .map(ApiJson)
        .ok_or_else(|| ApiError::not_found("event type"))
}
