//! Chatwork OAuth2 (HiManager, scenarios 21 and 24). The admin registers the OAuth client
//! they created in Chatwork; renkei shows the redirect URL and the scopes to tick, starts
//! the consent (authorization code + PKCE S256 + state), and on the callback exchanges the
//! code (HTTP Basic), verifies the account and stores an `oauth` connection that is used
//! exactly like a token connection. Unlinking is `DELETE /api/v1/connections/{id}`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use renkei_core::ids;
use renkei_core::model::{Owner, Provider};
use renkei_providers::chatwork::oauth::{self, OAuthError, Pkce};
use renkei_store::connections::NewConnection;
use renkei_store::web::WebKind;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::{info, warn};
use utoipa::ToSchema;

use super::{owner_from_json, owner_json, CallbackQuery};
use crate::api::connections::{resolve_owner, ConnectionView};
use crate::auth::Auth;
use crate::console::page::see_other;
use crate::console::session::{actor_of, session_of};
use crate::error::{ApiError, ApiJson};
use crate::pages::{esc, page_html};
use crate::AppState;

const FLOW_KIND: &str = "chatwork_oauth";
/// Time the admin has to get through Chatwork's consent page.
const FLOW_TTL_MS: i64 = 15 * 60 * 1000;

fn redirect_uri(state: &AppState) -> String {
    format!("{}/oauth/chatwork/callback", state.public_url)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientBody {
    pub client_id: String,
    pub client_secret: String,
    /// Space-separated; default: the scopes renkei needs.
    pub scopes: Option<String>,
}

/// What the admin needs to set up the OAuth client in Chatwork.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthClientView {
    pub provider: &'static str,
    pub registered: bool,
    pub client_id: Option<String>,
    /// Last 4 characters only.
    pub client_secret: Option<String>,
    /// Register exactly this URL as the client's redirect URI in Chatwork.
    pub redirect_uri: String,
    /// Tick these scopes in Chatwork's OAuth client settings.
    pub scopes: Vec<String>,
    pub instructions: Instructions,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Instructions {
    pub ja: String,
    pub en: String,
}

fn view(state: &AppState, client: Option<renkei_store::flows::OAuthClient>) -> OAuthClientView {
    let redirect = redirect_uri(state);
    let scopes = client
        .as_ref()
        .map_or(oauth::SCOPES_RECOMMENDED, |c| c.scopes.as_str())
        .split_whitespace()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let https_note_ja = if redirect.starts_with("https://") {
        ""
    } else {
        "（Chatwork の本番利用ではリダイレクトURLは https である必要があります。RENKEI_PUBLIC_URL を https の URL に設定してください）"
    };
    let https_note_en = if redirect.starts_with("https://") {
        ""
    } else {
        " (Chatwork requires an https redirect URL for confidential clients: set RENKEI_PUBLIC_URL to an https URL)"
    };
    OAuthClientView {
        provider: "chatwork",
        registered: client.is_some(),
        client_id: client.as_ref().map(|c| c.client_id.clone()),
        client_secret: client.as_ref().map(|c| c.secret_hint.clone()),
        instructions: Instructions {
            ja: format!(
                "Chatwork の「サービス連携 → OAuth」でクライアントを作成し、クライアントタイプは「confidential」、リダイレクトURLに {redirect} を登録し、スコープ {} を選択してください。発行されたクライアントIDとクライアントシークレットをここに登録します{https_note_ja}。",
                scopes.join(" ")
            ),
            en: format!(
                "In Chatwork, open Service integration → OAuth, create a client of type \"confidential\", register {redirect} as its redirect URL and tick the scopes {}. Then register the client ID and secret here{https_note_en}.",
                scopes.join(" ")
            ),
        },
        redirect_uri: redirect,
        scopes,
    }
}

#[utoipa::path(get, path = "/api/v1/oauth-clients/chatwork", responses((status = 200, body = OAuthClientView)))]
pub async fn get_client(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<OAuthClientView>, ApiError> {
    let client = state.store.oauth_client(auth.id(), "chatwork").await?;
    Ok(ApiJson(view(&state, client)))
}

#[utoipa::path(put, path = "/api/v1/oauth-clients/chatwork", request_body = OAuthClientBody,
    responses((status = 200, body = OAuthClientView), (status = 422)))]
pub async fn put_client(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<OAuthClientBody>,
) -> Result<ApiJson<OAuthClientView>, ApiError> {
    let id = body.client_id.trim();
    let secret = body.client_secret.trim();
    if id.is_empty() || secret.is_empty() || id.len() > 200 || secret.len() > 500 {
        return Err(ApiError::unprocessable(
            "invalid_oauth_client",
            "client_id and client_secret are required: copy both from Chatwork's OAuth client settings",
        ));
    }
    let scopes = body
        .scopes
        .as_deref()
        .unwrap_or(oauth::SCOPES_RECOMMENDED)
        .split_whitespace()
        .collect::<Vec<_>>();
    if let Some(bad) = scopes.iter().find(|s| !oauth::ALL_SCOPES.contains(s)) {
        return Err(ApiError::unprocessable(
            "invalid_scope",
            format!("`{bad}` is not a Chatwork scope; leave `scopes` out to use what renkei needs"),
        ));
    }
    state
        .store
        .put_oauth_client(auth.id(), "chatwork", id, secret, &scopes.join(" "))
        .await?;
    info!(tenant = auth.id(), "chatwork oauth client registered");
    let client = state.store.oauth_client(auth.id(), "chatwork").await?;
    Ok(ApiJson(view(&state, client)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeBody {
    /// Who the connection will belong to (default: the tenant).
    #[schema(value_type = Object)]
    pub owner: Option<serde_json::Value>,
    /// Where to post instead of the account's My Chat.
    pub room: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizeView {
    /// Send the admin's browser here (Chatwork's consent page).
    pub authorize_url: String,
    /// Seconds the admin has to finish.
    pub expires_in: i64,
}

#[utoipa::path(post, path = "/api/v1/oauth/chatwork/authorize", request_body = AuthorizeBody,
    responses((status = 201, body = AuthorizeView), (status = 422)))]
pub async fn authorize(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<AuthorizeBody>,
) -> Result<(StatusCode, ApiJson<AuthorizeView>), ApiError> {
    let client = state
        .store
        .oauth_client(auth.id(), "chatwork")
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(
                "oauth_client_missing",
                "register the Chatwork OAuth client first: PUT /api/v1/oauth-clients/chatwork (GET it to see the redirect URL and scopes)",
            )
        })?;
    let owner = match &body.owner {
        None => Owner::Tenant,
        Some(o) => resolve_owner(&state, auth.id(), o).await?,
    };
    let room = body
        .room
        .as_deref()
        .map(|r| ids::parse_room(Provider::Chatwork, r))
        .transpose()
        .map_err(|e| ApiError::unprocessable("invalid_room", e))?;
    let pkce = Pkce::generate();
    let payload = json!({"owner": owner_json(owner), "room": room, "verifier": pkce.verifier});
    let flow_state = state
        .store
        .start_flow(auth.id(), FLOW_KIND, &payload, FLOW_TTL_MS)
        .await?;
    let url = oauth::authorize_url(
        state.providers.chatwork_login_url(),
        &client.client_id,
        &redirect_uri(&state),
        &client.scopes,
        &flow_state,
        &pkce.challenge,
    );
    Ok((
        StatusCode::CREATED,
        ApiJson(AuthorizeView {
            authorize_url: url,
            expires_in: FLOW_TTL_MS / 1000,
        }),
    ))
}

/// How a consent round trip ended badly: a short bilingual page that says what to fix.
struct Failure {
    status: StatusCode,
    ja_title: &'static str,
    ja: String,
    en_title: &'static str,
    en: String,
}

impl Failure {
    fn new(
        status: StatusCode,
        ja_title: &'static str,
        ja: impl Into<String>,
        en_title: &'static str,
        en: impl Into<String>,
    ) -> Self {
        Failure {
            status,
            ja_title,
            ja: ja.into(),
            en_title,
            en: en.into(),
        }
    }

    /// renkei's own failure (logged where it happened).
    fn internal() -> Self {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "エラーが発生しました",
            "内部エラーが発生しました。しばらくしてからやり直してください。",
            "Something went wrong",
            "An internal error occurred. Please try again later.",
        )
    }

    /// The page; with a way back to the console's OAuth page when the admin came from it.
    fn render(self, in_console: bool) -> Response {
        let back = if in_console {
            "<p><a class=\"button\" href=\"/console/connections/oauth/chatwork\">管理画面に戻る / Back to the console</a></p>"
        } else {
            ""
        };
        page_html(
            self.status,
            self.ja_title,
            &esc(&self.ja),
            self.en_title,
            &esc(&self.en),
            back,
        )
    }
}

fn oauth_failure(e: &OAuthError) -> Failure {
    let status = match e {
        OAuthError::AccessDenied => StatusCode::FORBIDDEN,
        OAuthError::Unavailable { .. } | OAuthError::Transport(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    Failure::new(
        status,
        "Chatwork と連携できませんでした",
        e.message_ja(),
        "Chatwork was not linked",
        e.message_en(),
    )
}

/// Where Chatwork sends the admin back after the consent page. An admin who started in the
/// console (a console session of the same tenant) lands on the new connection's console
/// page; anyone else (a product's own settings screen) gets a short page.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let console = session_of(&state, &headers, WebKind::Console).await;
    let console_tenant = console.as_ref().map(|(_, tenant)| tenant.id);
    match link(&state, &q).await {
        Ok(conn) if console_tenant == Some(conn.tenant_id) => {
            if let Some((session, _)) = &console {
                audit_linked(&state, &session.grant, &conn).await;
            }
            see_other(&format!(
                "/console/connections/{}?flash=conn-oauth-linked",
                conn.id
            ))
        }
        Ok(conn) => {
            let name = esc(conn.account_name.as_deref().unwrap_or("?"));
            let view = ConnectionView::from(conn);
            page_html(
                StatusCode::OK,
                "Chatwork と連携しました",
                &format!("アカウント「{name}」で通知を送ります（接続 ID {}）。このウィンドウは閉じてかまいません。", view.id),
                "Chatwork is linked",
                &format!("Notifications will be sent as “{name}” (connection {}). You can close this window.", view.id),
                "",
            )
        }
        Err(failure) => failure.render(console_tenant.is_some()),
    }
}

/// The console's audit log records a link its admin made (the API's callers keep their own).
async fn audit_linked(
    state: &AppState,
    grant: &renkei_store::web::WebGrant,
    conn: &renkei_store::connections::Connection,
) {
    let entry = renkei_store::audit::AuditRecord {
        actor: &actor_of(grant),
        action: "connection.create",
        target: Some(&conn.id.to_string()),
        detail: Some(&format!(
            "Chatwork (OAuth), account {}",
            conn.account_name.as_deref().unwrap_or("?")
        )),
    };
    if let Err(e) = state.store.record_audit(conn.tenant_id, entry).await {
        tracing::error!(error = %e, "could not record an audit entry");
    }
}

/// The consent's outcome: the code exchanged, the account verified, the connection stored.
async fn link(
    state: &AppState,
    q: &CallbackQuery,
) -> Result<renkei_store::connections::Connection, Failure> {
    let Some(flow_state) = q.state.as_deref().filter(|s| s.len() <= 128) else {
        return Err(Failure::new(StatusCode::BAD_REQUEST, "リンクが正しくありません", "この画面は Chatwork の同意画面から戻ったときにだけ使われます。renkei の設定画面から連携をやり直してください。", "Invalid request", "This page is only reached from Chatwork's consent page. Start linking again from renkei's settings."));
    };
    let flow = match state.store.take_flow(flow_state, FLOW_KIND).await {
        Ok(Some(f)) => f,
        Ok(None) => return Err(Failure::new(StatusCode::BAD_REQUEST, "有効期限切れです", "この連携手続きは期限切れか、すでに使われています。設定画面から連携をやり直してください。", "This sign-in has expired", "This linking attempt expired or was already used. Start again from the settings page.")),
        Err(e) => {
            tracing::error!(error = %e, "could not read an OAuth flow");
            return Err(Failure::internal());
        }
    };
    if let Some(err) = &q.error {
        let e = OAuthError::from_callback(err, q.error_description.as_deref());
        info!(
            tenant = flow.tenant_id,
            code = e.code(),
            "chatwork consent refused"
        );
        return Err(oauth_failure(&e));
    }
    let Some(code) = q.code.as_deref() else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "認可コードがありません",
            "Chatwork から認可コードが返されませんでした。連携をやり直してください。",
            "No authorization code",
            "Chatwork returned no authorization code. Start linking again.",
        ));
    };
    let client = match state.store.oauth_client(flow.tenant_id, "chatwork").await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Failure::new(StatusCode::BAD_REQUEST, "OAuth クライアントが登録されていません", "連携の途中で OAuth クライアントの登録が削除されました。登録し直してから連携してください。", "No OAuth client", "The OAuth client was removed while linking. Register it again, then link.")),
        Err(e) => {
            tracing::error!(error = %e, "could not read the OAuth client");
            return Err(Failure::internal());
        }
    };
    let chatwork = &state.providers.chatwork;
    let verifier = flow.payload["verifier"].as_str().unwrap_or_default();
    let tokens = chatwork
        .oauth()
        .exchange_code(
            &client.client_id,
            &client.client_secret,
            code,
            &redirect_uri(state),
            verifier,
        )
        .await
        .map_err(|e| {
            warn!(
                tenant = flow.tenant_id,
                code = e.code(),
                "chatwork code exchange failed"
            );
            oauth_failure(&e)
        })?;
    let verified = chatwork
        .connect_oauth(tokens, &client.client_id, &client.client_secret)
        .await
        .map_err(|e| {
            Failure::new(
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY),
                "Chatwork と連携できませんでした",
                e.message.clone(),
                "Chatwork was not linked",
                e.message,
            )
        })?;
    let Some(owner) = owner_from_json(&flow.payload["owner"]) else {
        tracing::error!(tenant = flow.tenant_id, "an OAuth flow without its owner");
        return Err(Failure::internal());
    };
    let room = flow.payload["room"].as_str();
    let conn = state
        .store
        .insert_connection(
            flow.tenant_id,
            NewConnection {
                provider: Provider::Chatwork,
                kind: verified.kind,
                owner,
                room,
                account_id: verified.account_id.as_deref(),
                account_name: verified.account_name.as_deref(),
                default_room: verified.default_room.as_deref(),
                credentials: &verified.credentials,
                secret_hint: &verified.secret_hint,
            },
        )
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "could not store an OAuth connection");
            Failure::internal()
        })?;
    info!(
        tenant = flow.tenant_id,
        connection = conn.id,
        "chatwork linked by oauth"
    );
    Ok(conn)
}
