//! Sign-in links for people the product has already signed in (API.md "Web pages"): a
//! short-lived, single-use URL that opens renkei's pages as a session.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use renkei_store::web::{NewWebLink, WebGrant, WebKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::console::landing::is_console_path;
use crate::error::{ApiError, ApiJson, JsonOrEmpty};
use crate::AppState;

pub const DEFAULT_TTL_SECONDS: i64 = 600;
const TTL_RANGE: std::ops::RangeInclusive<i64> = 60..=86_400;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLinkBody {
    /// How long the link may wait to be opened: 60 to 86400 seconds (default 600).
    pub ttl_seconds: Option<i64>,
    /// A console page to open, e.g. `/console/events?status=failed` (default `/console`).
    pub return_to: Option<String>,
    /// Who the product signed in (a name or e-mail): the audit log shows it as the author
    /// of the changes made in this session.
    pub actor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebLink {
    /// Send the person here (a redirect or a link). It works once.
    pub url: String,
    /// RFC 3339; unopened after this, the link is refused.
    pub expires_at: String,
}

#[utoipa::path(post, path = "/api/v1/console-links", request_body = ConsoleLinkBody,
    responses((status = 201, body = WebLink), (status = 422)))]
pub async fn console_link(
    State(state): State<AppState>,
    auth: Auth,
    JsonOrEmpty(body): JsonOrEmpty<ConsoleLinkBody>,
) -> Result<(StatusCode, ApiJson<WebLink>), ApiError> {
    if let Some(path) = &body.return_to {
        if !is_console_path(path) {
            return Err(ApiError::unprocessable(
                "invalid_return_to",
                "`return_to` must be a console path starting with /console",
            ));
        }
    }
    if let Some(actor) = &body.actor {
        renkei_core::text::check("actor", actor, renkei_core::text::NAME)
            .map_err(|e| ApiError::unprocessable("invalid_actor", e))?;
    }
    let link = NewWebLink {
        grant: WebGrant {
            tenant_id: auth.id(),
            kind: WebKind::Console,
            subject_id: None,
            actor: body.actor,
        },
        return_to: body.return_to,
        ttl_ms: ttl_ms(body.ttl_seconds)?,
    };
    Ok((StatusCode::CREATED, ApiJson(mint(&state, &link).await?)))
}

/// The body of a member's or client's settings link.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsLinkBody {
    /// How long the link may wait to be opened: 60 to 86400 seconds (default 600).
    pub ttl_seconds: Option<i64>,
}

/// A link to one member's own settings page (`/me`): their tools, which notices reach
/// them where, a test notice, their last notices. The session it opens reaches that member
/// and nothing else.
#[utoipa::path(post, path = "/api/v1/members/{external_id}/settings-links",
    params(("external_id" = String, Path)), request_body = SettingsLinkBody,
    responses((status = 201, body = WebLink), (status = 404), (status = 422)))]
pub async fn member_settings_link(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
    JsonOrEmpty(body): JsonOrEmpty<SettingsLinkBody>,
) -> Result<(StatusCode, ApiJson<WebLink>), ApiError> {
    let member = crate::api::member_row_id(&state, auth.id(), &ext).await?;
    subject_link(&state, &auth, WebKind::Member, member, body.ttl_seconds).await
}

/// A link to one client's own page (`/client`): its Chatwork token and room, and where its
/// notices go. The session it opens reaches that client and nothing else.
#[utoipa::path(post, path = "/api/v1/clients/{external_id}/settings-links",
    params(("external_id" = String, Path)), request_body = SettingsLinkBody,
    responses((status = 201, body = WebLink), (status = 404), (status = 422)))]
pub async fn client_settings_link(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
    JsonOrEmpty(body): JsonOrEmpty<SettingsLinkBody>,
) -> Result<(StatusCode, ApiJson<WebLink>), ApiError> {
    let client = state
        .store
        .client_id(auth.id(), &ext)
        .await?
        .ok_or_else(|| ApiError::not_found("client"))?;
    subject_link(&state, &auth, WebKind::Client, client, body.ttl_seconds).await
}

async fn subject_link(
    state: &AppState,
    auth: &Auth,
    kind: WebKind,
    subject: i64,
    ttl_seconds: Option<i64>,
) -> Result<(StatusCode, ApiJson<WebLink>), ApiError> {
    let link = NewWebLink {
        grant: WebGrant {
            tenant_id: auth.id(),
            kind,
            subject_id: Some(subject),
            actor: None,
        },
        return_to: None,
        ttl_ms: ttl_ms(ttl_seconds)?,
    };
    Ok((StatusCode::CREATED, ApiJson(mint(state, &link).await?)))
}

/// Validates a requested lifetime.
pub fn ttl_ms(ttl_seconds: Option<i64>) -> Result<i64, ApiError> {
    let ttl = ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
    if !TTL_RANGE.contains(&ttl) {
        return Err(ApiError::unprocessable(
            "invalid_ttl",
            format!("`ttl_seconds` must be between 60 and 86400; {ttl} was sent"),
        ));
    }
    Ok(ttl * 1000)
}

/// Stores a link and returns its URL.
pub async fn mint(state: &AppState, link: &NewWebLink) -> Result<WebLink, ApiError> {
    let (token, expires_at) = state.store.create_web_link(link).await?;
    Ok(WebLink {
        url: format!("{}/enter/{token}", state.public_url),
        expires_at: Utc
            .timestamp_millis_opt(expires_at)
            .single()
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
    })
}
