//! Calls made through a Chatwork connection on its owner's behalf: rooms to pick for bulk
//! sends, contacts to link members to, and contact requests to approve. They work with API
//! tokens and OAuth connections alike (OAuth tokens are refreshed and saved as needed).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::model::Provider;
use renkei_providers::chatwork::{Auth as ChatworkAuth, Contact, IncomingRequest, Room};

use super::parse_id;
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// One of this tenant's live Chatwork connections with its credentials (an API token or
/// OAuth tokens, which are refreshed and saved as needed).
async fn chatwork_creds(
    state: &AppState,
    tenant: i64,
    id: &str,
) -> Result<(i64, serde_json::Value), ApiError> {
    let id = parse_id(id, "connection")?;
    let (conn, creds) = state
        .store
        .connection_credentials(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    if conn.provider != Provider::Chatwork {
        return Err(ApiError::unprocessable(
            "wrong_provider",
            "this is not a Chatwork connection",
        ));
    }
    Ok((id, creds))
}

fn provider_error(r: renkei_providers::SendResult) -> ApiError {
    let text = r.error.unwrap_or_default();
    match r.outcome {
        renkei_providers::SendOutcome::CredentialRejected => ApiError::unprocessable(
            "chatwork_invalid_token",
            format!("Chatwork refused the connection's token: {text}; reconnect it"),
        ),
        _ => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "chatwork_error",
            format!(
                "Chatwork answered {}: {text}",
                r.http_status
                    .map_or("nothing".into(), |s| format!("HTTP {s}"))
            ),
        ),
    }
}

/// Rooms the connection's account is in (for picking bulk-send targets); at most 100, as
/// Chatwork lists them.
#[utoipa::path(get, path = "/api/v1/connections/{id}/rooms", params(("id" = i64, Path)),
    responses((status = 200, body = [Object]), (status = 404), (status = 502)))]
pub async fn rooms(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<Room>>, ApiError> {
    let (id, creds) = chatwork_creds(&state, auth.id(), &id).await?;
    let cw = ChatworkAuth::Stored {
        connection: id,
        credentials: &creds,
    };
    Ok(ApiJson(
        state
            .providers
            .chatwork
            .rooms(cw)
            .await
            .map_err(provider_error)?,
    ))
}

/// The connection account's contacts: people it can message directly (to link members).
#[utoipa::path(get, path = "/api/v1/connections/{id}/contacts", params(("id" = i64, Path)),
    responses((status = 200, body = [Object]), (status = 404), (status = 502)))]
pub async fn contacts(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<Contact>>, ApiError> {
    let (id, creds) = chatwork_creds(&state, auth.id(), &id).await?;
    let cw = ChatworkAuth::Stored {
        connection: id,
        credentials: &creds,
    };
    Ok(ApiJson(
        state
            .providers
            .chatwork
            .contacts(cw)
            .await
            .map_err(provider_error)?,
    ))
}

/// Contact requests waiting for the connection account's approval.
#[utoipa::path(get, path = "/api/v1/connections/{id}/contact-requests", params(("id" = i64, Path)),
    responses((status = 200, body = [Object]), (status = 404), (status = 502)))]
pub async fn contact_requests(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<IncomingRequest>>, ApiError> {
    let (id, creds) = chatwork_creds(&state, auth.id(), &id).await?;
    let cw = ChatworkAuth::Stored {
        connection: id,
        credentials: &creds,
    };
    Ok(ApiJson(
        state
            .providers
            .chatwork
            .incoming_requests(cw)
            .await
            .map_err(provider_error)?,
    ))
}

/// Approves a contact request: the person becomes a contact and can receive direct messages.
#[utoipa::path(post, path = "/api/v1/connections/{id}/contact-requests/{request_id}/approve",
    params(("id" = i64, Path), ("request_id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404), (status = 502)))]
pub async fn approve_contact_request(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, request_id)): Path<(String, i64)>,
) -> Result<ApiJson<Contact>, ApiError> {
    let (id, creds) = chatwork_creds(&state, auth.id(), &id).await?;
    let cw = ChatworkAuth::Stored {
        connection: id,
        credentials: &creds,
    };
    let contact = state
        .providers
        .chatwork
        .approve_request(cw, request_id)
        .await
        .map_err(|r| {
            if r.http_status == Some(404) {
                ApiError::not_found("contact request")
            } else {
                provider_error(r)
            }
        })?;
    Ok(ApiJson(contact))
}
