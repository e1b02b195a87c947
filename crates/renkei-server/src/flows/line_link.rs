//! LINE linking (WORKPLACE, scenario 18). A member opens their link page (a signed URL the
//! product hands out), logs in with LINE (state, nonce, `bot_prompt=aggressive`, so LINE
//! offers to add the tenant's official account as a friend), and the callback stores their
//! LINE user ID from the verified ID token. The page also shows the official account's
//! friend link and QR code; a signed `follow` webhook records the friendship.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use qrcode::render::svg;
use qrcode::QrCode;
use renkei_core::model::{ConnectionKind, Owner, Provider};
use renkei_providers::line::{self, LoginError};
use renkei_store::connections::Connection;
use serde::Serialize;
use serde_json::json;
use tracing::info;
use utoipa::ToSchema;

use super::{internal, CallbackQuery};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::pages::{esc, page, page_html};
use crate::AppState;

const FLOW_KIND: &str = "line_login";
const FLOW_TTL_MS: i64 = 10 * 60 * 1000;
/// How long a member's link page stays valid.
const PAGE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

fn callback_uri(state: &AppState) -> String {
    format!("{}/link/line/callback", state.public_url)
}

/// The tenant's LINE connection (the official account members befriend).
pub(crate) async fn tenant_line(
    state: &AppState,
    tenant: i64,
) -> Result<Option<(Connection, serde_json::Value)>, ApiError> {
    for c in state.store.connections(tenant).await? {
        if c.provider == Provider::Line
            && c.owner == Owner::Tenant
            && c.kind == ConnectionKind::Bot
            && c.status == "connected"
        {
            return Ok(state.store.connection_credentials(tenant, c.id).await?);
        }
    }
    Ok(None)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkPageView {
    /// Give this URL to the member (valid 7 days).
    pub url: String,
    pub expires_at: i64,
}

#[utoipa::path(post, path = "/api/v1/members/{external_id}/link-pages/line", params(("external_id" = String, Path)),
    responses((status = 201, body = LinkPageView), (status = 404), (status = 422)))]
pub async fn create_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<(StatusCode, ApiJson<LinkPageView>), ApiError> {
    let member = crate::api::member_row_id(&state, auth.id(), &ext).await?;
    let (_, creds) = tenant_line(&state, auth.id()).await?.ok_or_else(|| {
        ApiError::unprocessable("no_connection", "the tenant has no LINE connection: connect the official account (Messaging API channel) first")
    })?;
    if creds.get("login_channel_id").is_none() {
        return Err(ApiError::unprocessable(
            "line_login_not_configured",
            "the LINE connection has no LINE Login channel: reconnect it with login_channel_id and login_channel_secret (a LINE Login channel under the same provider as the Messaging API channel)",
        ));
    }
    let expires_at = renkei_store::now_ms() + PAGE_TTL_MS;
    let url = state
        .links
        .member_url("line", auth.id(), member, expires_at);
    Ok((
        StatusCode::CREATED,
        ApiJson(LinkPageView { url, expires_at }),
    ))
}

fn bad_link() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "リンクが無効です",
        "この連携ページのリンクは無効か期限切れです。担当者に新しいリンクを依頼してください。",
        "This link is not valid",
        "This link page is invalid or expired. Ask your administrator for a new link.",
    )
}

/// The friend link as a QR code (SVG markup made here, from a URL: safe to embed).
pub(crate) fn qr_svg(url: &str) -> String {
    QrCode::new(url.as_bytes())
        .map(|c| c.render::<svg::Color>().min_dimensions(180, 180).build())
        .unwrap_or_default()
}

/// Where a member starts LINE Login: a signed link (it works without a session, so also in
/// a new tab opened from a framed page). `back_to_me`: the callback returns to `/me`.
pub(crate) fn start_href(state: &AppState, tenant: i64, member: i64, back_to_me: bool) -> String {
    let expires_at = renkei_store::now_ms() + FLOW_TTL_MS * 6;
    let page = state.links.member_url("line", tenant, member, expires_at);
    if back_to_me {
        format!("{page}/start?back=me")
    } else {
        format!("{page}/start")
    }
}

fn friend_block(basic_id: Option<&str>) -> String {
    let Some(basic) = basic_id else {
        return String::new();
    };
    let url = line::friend_url(basic);
    let qr = qr_svg(&url);
    format!(
        "<h2>友だち追加 / Add as a friend</h2><p><a href=\"{u}\">{u}</a></p><div aria-label=\"QR code\">{qr}</div>",
        u = esc(&url)
    )
}

/// The member's link page: who they are, whether LINE is linked, the login button, and the
/// official account's friend link and QR code.
pub async fn show_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Ok((tenant, member)) = state
        .links
        .verify_member("line", &token, renkei_store::now_ms())
    else {
        return bad_link();
    };
    let Ok(Some((ext, name))) = state.store.member_by_row(tenant, member).await else {
        return bad_link();
    };
    let linked = state
        .store
        .member(tenant, &ext)
        .await
        .ok()
        .flatten()
        .and_then(|m| m.identities.get(&Provider::Line).cloned());
    let creds = tenant_line(&state, tenant)
        .await
        .ok()
        .flatten()
        .map(|(_, c)| c);
    let basic = creds
        .as_ref()
        .and_then(|c| c["basic_id"].as_str().map(str::to_string));
    let start = format!("{}/link/line/{}/start", state.public_url, esc(&token));
    let (ja_status, en_status) = match &linked {
        Some(_) => ("LINE と連携済みです。", "Your LINE account is linked."),
        None => (
            "まだ LINE と連携していません。",
            "Your LINE account is not linked yet.",
        ),
    };
    page_html(
        StatusCode::OK,
        "LINE で通知を受け取る",
        &format!("{}さん: {ja_status}<br><a class=\"button\" href=\"{start}\">LINE でログインして連携</a><br>ログイン時に公式アカウントを友だち追加してください。", esc(&name)),
        "Get notifications on LINE",
        &format!("{}: {en_status}<br><a class=\"button\" href=\"{start}\">Log in with LINE to link</a><br>Add the official account as a friend when LINE asks.", esc(&name)),
        &friend_block(basic.as_deref()),
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct StartQuery {
    /// `me`: started from the member's own settings page, which the callback returns to.
    back: Option<String>,
}

/// Sends the member to LINE Login.
pub async fn start(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    let Ok((tenant, member)) = state
        .links
        .verify_member("line", &token, renkei_store::now_ms())
    else {
        return bad_link();
    };
    let Ok(Some((conn, creds))) = tenant_line(&state, tenant).await else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "LINE 連携は利用できません",
            "管理者が LINE の接続を設定していません。",
            "LINE linking is unavailable",
            "Your administrator has not connected LINE.",
        );
    };
    let Some(channel) = creds["login_channel_id"].as_str() else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "LINE ログインが設定されていません",
            "管理者が LINE Login チャネルを設定していません。",
            "LINE Login is not set up",
            "Your administrator has not configured a LINE Login channel.",
        );
    };
    let nonce = renkei_store::flows::new_state();
    let back_to_me = q.back.as_deref() == Some("me");
    let payload =
        json!({"member": member, "connection": conn.id, "nonce": nonce, "back_to_me": back_to_me});
    let Ok(flow_state) = state
        .store
        .start_flow(tenant, FLOW_KIND, &payload, FLOW_TTL_MS)
        .await
    else {
        return internal();
    };
    let url = line::authorize_url(
        state.providers.line.login_url(),
        channel,
        &callback_uri(&state),
        &flow_state,
        &nonce,
    );
    Redirect::to(&url).into_response()
}

fn login_failed(e: &LoginError) -> Response {
    let status = match e {
        LoginError::Denied { .. } => StatusCode::FORBIDDEN,
        LoginError::Unavailable(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    let text = e.to_string();
    let (ja, en) = text.split_once(" / ").unwrap_or((&text, &text));
    page(
        status,
        "LINE と連携できませんでした",
        ja,
        "LINE was not linked",
        en,
    )
}

/// Where LINE Login sends the member back. A login started from the member's own page goes
/// back there (with the result) when this browser still has that member's session.
pub async fn callback(
    State(state): State<AppState>,
    Query(q): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(flow_state) = q.state.as_deref().filter(|s| s.len() <= 128) else {
        return bad_link();
    };
    let flow = match state.store.take_flow(flow_state, FLOW_KIND).await {
        Ok(Some(f)) => f,
        Ok(None) => return page(
            StatusCode::BAD_REQUEST,
            "有効期限切れです",
            "このログインは期限切れか、すでに使われています。連携ページからやり直してください。",
            "This login has expired",
            "This login expired or was already used. Start again from your link page.",
        ),
        Err(_) => return internal(),
    };
    let outcome = finish_login(&state, &flow, &q).await;
    let member = flow.payload["member"].as_i64();
    if flow.payload["back_to_me"].as_bool() == Some(true) {
        let session = crate::selfservice::session::self_session(
            &state,
            &headers,
            renkei_store::web::WebKind::Member,
        )
        .await;
        let same_member = session.is_some_and(|(s, _)| {
            s.grant.tenant_id == flow.tenant_id && s.grant.subject_id == member
        });
        if same_member {
            return match outcome {
                Ok(_) => Redirect::to("/me?flash=line-linked&saved=line#tool-line").into_response(),
                Err(Failure::Login(e)) => {
                    Redirect::to(&format!("/me?line_error={}#tool-line", e.code())).into_response()
                }
                Err(Failure::Page(response)) => response,
            };
        }
    }
    match outcome {
        Ok(name) => page(
            StatusCode::OK,
            "LINE と連携しました",
            &format!("{name}さんの LINE アカウントを連携しました。公式アカウントを友だち追加していれば、通知が LINE に届きます。"),
            "LINE is linked",
            &format!("{name}, your LINE account is linked. Notifications reach you on LINE while you have the official account as a friend."),
        ),
        Err(Failure::Login(e)) => login_failed(&e),
        Err(Failure::Page(response)) => response,
    }
}

/// Why a login did not link: LINE's answer, or a page renkei itself answers with.
enum Failure {
    Login(LoginError),
    Page(Response),
}

/// Exchanges the code, verifies the ID token and stores the member's LINE user ID; returns
/// the member's name.
async fn finish_login(
    state: &AppState,
    flow: &renkei_store::flows::Flow,
    q: &CallbackQuery,
) -> Result<String, Failure> {
    if let Some(err) = &q.error {
        return Err(Failure::Login(LoginError::from_callback(
            err,
            q.error_description.as_deref(),
        )));
    }
    let Some(code) = q.code.as_deref() else {
        return Err(Failure::Login(LoginError::NoIdToken));
    };
    let (Some(member), Some(connection), Some(nonce)) = (
        flow.payload["member"].as_i64(),
        flow.payload["connection"].as_i64(),
        flow.payload["nonce"].as_str(),
    ) else {
        return Err(Failure::Page(internal()));
    };
    let Ok(Some((_, creds))) = state
        .store
        .connection_credentials(flow.tenant_id, connection)
        .await
    else {
        return Err(Failure::Page(page(
            StatusCode::SERVICE_UNAVAILABLE,
            "LINE 連携は利用できません",
            "LINE の接続が削除されました。",
            "LINE linking is unavailable",
            "The LINE connection was removed.",
        )));
    };
    let (Some(channel), Some(secret)) = (
        creds["login_channel_id"].as_str(),
        creds["login_channel_secret"].as_str(),
    ) else {
        return Err(Failure::Page(internal()));
    };
    let line = &state.providers.line;
    let id_token = line
        .exchange_code(channel, secret, code, &callback_uri(state))
        .await
        .map_err(Failure::Login)?;
    let user = line::verify_id_token(&id_token, channel, secret, nonce).map_err(Failure::Login)?;
    let Ok(Some((ext, name))) = state.store.member_by_row(flow.tenant_id, member).await else {
        return Err(Failure::Page(internal()));
    };
    if state
        .store
        .set_identities(flow.tenant_id, Provider::Line, &[(ext.clone(), user)])
        .await
        .is_err()
    {
        return Err(Failure::Page(internal()));
    }
    let entry = renkei_store::audit::AuditRecord {
        actor: &format!("member: {ext}"),
        action: "identity.link",
        target: Some("line"),
        detail: Some("LINE account linked by LINE Login"),
    };
    if let Err(e) = state.store.record_audit(flow.tenant_id, entry).await {
        tracing::error!(error = %e, "could not record an audit entry");
    }
    info!(tenant = flow.tenant_id, member = %ext, "LINE account linked by LINE Login");
    Ok(name)
}
