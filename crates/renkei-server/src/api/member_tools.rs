//! What a member does on their own page, also as API calls: set or remove one identity
//! (without sending the whole member), and send them a test notice on one tool.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::ids;
use renkei_core::model::Provider;
use renkei_store::directory::Member;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::directory::IdentityBody;
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::pages::Lang;
use crate::AppState;

fn provider(key: &str) -> Result<Provider, ApiError> {
    key.parse()
        .map_err(|e: String| ApiError::unprocessable("unknown_provider", e))
}

async fn member(state: &AppState, tenant: i64, ext: &str) -> Result<Member, ApiError> {
    state
        .store
        .member(tenant, ext)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))
}

/// Parses an identity body for `p` (`{"account_id"}`, `{"member_id"}` or `{"user_id"}`) in
/// any form people paste.
pub(crate) fn parse_identity(p: Provider, body: &IdentityBody) -> Result<String, ApiError> {
    let key = p.identity_key();
    let value = match (body.0.len(), body.0.get(key)) {
        (1, Some(v)) => v,
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_identity",
                format!("the body takes exactly one field, `{key}`"),
            ))
        }
    };
    let code = if p == Provider::Chatwork {
        "invalid_account_id"
    } else {
        "invalid_identity"
    };
    ids::parse_identity(p, value).map_err(|e| ApiError::unprocessable(code, e))
}

/// Sets one of the member's identities, leaving the others; answers the member.
#[utoipa::path(put, path = "/api/v1/members/{external_id}/identities/{provider}",
    params(("external_id" = String, Path), ("provider" = String, Path)),
    request_body = IdentityBody,
    responses((status = 200, body = Member), (status = 404),
        (status = 422, description = "unknown_provider, invalid_identity, invalid_account_id")))]
pub async fn put_identity(
    State(state): State<AppState>,
    auth: Auth,
    Path((ext, p)): Path<(String, String)>,
    ApiJson(body): ApiJson<IdentityBody>,
) -> Result<ApiJson<Member>, ApiError> {
    let p = provider(&p)?;
    let m = member(&state, auth.id(), &ext).await?;
    let account = parse_identity(p, &body)?;
    if !state
        .store
        .set_member_identity(auth.id(), m.id, p, Some(&account))
        .await?
    {
        return Err(ApiError::not_found("member"));
    }
    Ok(ApiJson(member(&state, auth.id(), &ext).await?))
}

/// Removes one of the member's identities (unlinks that tool's account); 204 also when
/// there was none.
#[utoipa::path(delete, path = "/api/v1/members/{external_id}/identities/{provider}",
    params(("external_id" = String, Path), ("provider" = String, Path)),
    responses((status = 204), (status = 404), (status = 422, description = "unknown_provider")))]
pub async fn delete_identity(
    State(state): State<AppState>,
    auth: Auth,
    Path((ext, p)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let p = provider(&p)?;
    let m = member(&state, auth.id(), &ext).await?;
    if !state
        .store
        .set_member_identity(auth.id(), m.id, p, None)
        .await?
    {
        return Err(ApiError::not_found("member"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestNoticeBody {
    /// The tool to test: `chatwork`, `slack`, `teams`, `google_chat`, `line_works`, `line`.
    pub provider: String,
    /// `ja` or `en`: the language of the notice (default: the tenant's language).
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestNoticeAccepted {
    /// The event (kind `test_notice`): follow it with `GET /api/v1/events/{id}`.
    pub id: i64,
}

/// Sends the member a test notice through one tool: a real notice through the queue, to
/// this member only (their DM through the tenant's bot and their own connections of that
/// tool, never a room others read).
#[utoipa::path(post, path = "/api/v1/members/{external_id}/test-notices",
    params(("external_id" = String, Path)), request_body = TestNoticeBody,
    responses((status = 202, body = TestNoticeAccepted), (status = 404),
        (status = 422, description = "unknown_provider, invalid_language, nothing_to_test (no path of that tool reaches the member; the message says why)")))]
pub async fn test_notice(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
    ApiJson(body): ApiJson<TestNoticeBody>,
) -> Result<(StatusCode, ApiJson<TestNoticeAccepted>), ApiError> {
    let p = provider(&body.provider)?;
    let m = member(&state, auth.id(), &ext).await?;
    let lang = match body.language.as_deref() {
        Some(l) => {
            super::settings::check_language(l)?;
            Lang::parse(l).unwrap_or(Lang::Ja)
        }
        None => {
            let settings = state.store.tenant_settings(auth.id()).await?;
            Lang::parse(&settings.language).unwrap_or(Lang::Ja)
        }
    };
    let id = crate::selfservice::test_notice::send(&state, auth.id(), &m, p, lang).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(TestNoticeAccepted { id })))
}
