//! Sessions of the self-service pages. A member's or client's settings link becomes a session
//! of its own cookie (`renkei_self`, apart from the console's), bound to that one member or
//! client: the pages take no ID from the path or the form, only from the session, so a
//! session can reach its own subject and nothing else. Forms are CSRF-checked like the
//! console's.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono_tz::Tz;
use renkei_store::directory::Member;
use renkei_store::tenants::Tenant;
use renkei_store::web::{WebGrant, WebKind, WebSession};
use serde::de::DeserializeOwned;

use super::view::View;
use crate::console::i18n::Tr;
use crate::console::landing::message_page;
use crate::console::session::{check_form, page_lang, SESSION_TTL_MS};
use crate::pages::Lang;
use crate::AppState;

/// The self-service session's cookie; the console keeps its own, so an administrator who
/// opens a member's link keeps their console session.
pub const SELF_COOKIE: &str = "renkei_self";
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What every self-service request has: the tenant, the session, the language, the time
/// zone, how the page is shown (`?embed=1`, `?lang=`) and the origins that may frame it.
pub struct SelfService {
    pub tenant: Arc<Tenant>,
    pub session: WebSession,
    pub tr: Tr,
    pub tz: Tz,
    pub view: View,
    /// Origins the tenant lets frame its self-service pages (`frame_origins` setting).
    pub frame_origins: Vec<String>,
    /// The `?flash=` message, already translated.
    pub flash: Option<String>,
}

impl SelfService {
    /// The API's view of this tenant. Self-service handlers call the API's own functions,
    /// always with the session's own member or client.
    pub fn auth(&self) -> crate::auth::Auth {
        crate::auth::Auth(self.tenant.clone())
    }

    /// Records a change in the audit log as `actor` (`member: <ext>`, `client: <ext>`).
    pub async fn audit(
        &self,
        state: &AppState,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) {
        let entry = renkei_store::audit::AuditRecord {
            actor,
            action,
            target: Some(target).filter(|t| !t.is_empty()),
            detail: Some(detail).filter(|d| !d.is_empty()),
        };
        if let Err(e) = state.store.record_audit(self.tenant.id, entry).await {
            tracing::error!(error = %e, action, "could not record an audit entry");
        }
    }
}

/// A member's own page: the session and that member.
pub struct MemberSession {
    pub ss: SelfService,
    pub member: Member,
}

impl MemberSession {
    pub fn actor(&self) -> String {
        format!("member: {}", self.member.external_id)
    }

    pub async fn audit(&self, state: &AppState, action: &str, target: &str, detail: &str) {
        self.ss
            .audit(state, &self.actor(), action, target, detail)
            .await;
    }
}

/// A client's own page: the session and that client.
pub struct ClientSession {
    pub ss: SelfService,
    pub client: renkei_store::directory::Client,
}

impl ClientSession {
    pub fn actor(&self) -> String {
        format!("client: {}", self.client.external_id)
    }

    pub async fn audit(&self, state: &AppState, action: &str, target: &str, detail: &str) {
        self.ss
            .audit(state, &self.actor(), action, target, detail)
            .await;
    }
}

/// The live self-service session of `kind` that the request's cookie names.
pub async fn self_session(
    state: &AppState,
    headers: &HeaderMap,
    kind: WebKind,
) -> Option<(WebSession, Arc<Tenant>)> {
    let jar = CookieJar::from_headers(headers);
    let id = jar.get(SELF_COOKIE)?.value().to_string();
    let session = state.store.web_session(&id).await.ok()??;
    if session.grant.kind != kind || session.grant.subject_id.is_none() {
        return None;
    }
    let tenant = state.store.tenant(session.grant.tenant_id).await.ok()??;
    Some((session, Arc::new(tenant)))
}

/// The page a request without a (live) session of the right kind gets.
fn signed_out(parts: &Parts) -> Response {
    let tr = Tr::new(page_lang(parts, Lang::Ja));
    message_page(
        tr,
        StatusCode::UNAUTHORIZED,
        "ss-signed-out-title",
        &["ss-signed-out-body"],
    )
}

/// Loads the session of `kind` and what every page needs; `Err` is the answer to give.
async fn load(
    parts: &Parts,
    state: &AppState,
    kind: WebKind,
) -> Result<(SelfService, i64), Response> {
    let Some((session, tenant)) = self_session(state, &parts.headers, kind).await else {
        return Err(signed_out(parts));
    };
    let subject = session.grant.subject_id.unwrap_or_default();
    let settings = state.store.tenant_settings(tenant.id).await.ok();
    let default_lang = settings
        .as_ref()
        .and_then(|s| Lang::parse(&s.language))
        .unwrap_or(Lang::Ja);
    let tz = settings
        .as_ref()
        .and_then(|s| s.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Tokyo);
    let view = View::from_query(parts.uri.query());
    let tr = Tr::new(page_lang(parts, default_lang));
    let flash = query_value(parts, "flash").and_then(|v| tr.maybe(&format!("ss-flash-{v}")));
    let frame_origins = settings.map(|s| s.frame_origins).unwrap_or_default();
    Ok((
        SelfService {
            tenant,
            session,
            tr,
            tz,
            view,
            frame_origins,
            flash,
        },
        subject,
    ))
}

pub fn query_value(parts: &Parts, key: &str) -> Option<String> {
    parts.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    })
}

impl FromRequestParts<AppState> for MemberSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (ss, member_row) = load(parts, state, WebKind::Member).await?;
        // The member may have been deleted since the link was opened: then the session
        // reaches nothing.
        let member = match state.store.member_by_row(ss.tenant.id, member_row).await {
            Ok(Some((ext, _))) => state.store.member(ss.tenant.id, &ext).await.ok().flatten(),
            _ => None,
        };
        let Some(member) = member else {
            return Err(signed_out(parts));
        };
        Ok(MemberSession { ss, member })
    }
}

impl FromRequestParts<AppState> for ClientSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (ss, client_row) = load(parts, state, WebKind::Client).await?;
        let client = state
            .store
            .client_by_row(ss.tenant.id, client_row)
            .await
            .ok()
            .flatten();
        let Some(client) = client else {
            return Err(signed_out(parts));
        };
        Ok(ClientSession { ss, client })
    }
}

/// Reads a form body after its session: CSRF token and origin checked, fields as `T`. A
/// refusal is framable like the page the form was on, so it shows inside the product.
async fn read_form<T: DeserializeOwned>(
    parts: &Parts,
    body: axum::body::Body,
    ss: &SelfService,
    state: &AppState,
) -> Result<T, Response> {
    let (csrf, tr) = (&ss.session.csrf, ss.tr);
    let refused = |status, key| {
        let page = message_page(tr, status, "form-refused-title", &[key]);
        super::view::with_frame_policy(page, &ss.frame_origins)
    };
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| refused(StatusCode::PAYLOAD_TOO_LARGE, "form-too-large"))?;
    check_form(parts, &bytes, csrf, state).map_err(|key| refused(StatusCode::FORBIDDEN, key))?;
    serde_html_form::from_bytes(&bytes)
        .map_err(|_| refused(StatusCode::BAD_REQUEST, "form-unreadable"))
}

/// A member's form post: the session, the CSRF check, and the fields as `T`.
pub struct MemberForm<T>(pub MemberSession, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for MemberForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let me = MemberSession::from_request_parts(&mut parts, state).await?;
        let fields = read_form(&parts, body, &me.ss, state).await?;
        Ok(MemberForm(me, fields))
    }
}

/// A client's form post: the session, the CSRF check, and the fields as `T`.
pub struct ClientForm<T>(pub ClientSession, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ClientForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let client = ClientSession::from_request_parts(&mut parts, state).await?;
        let fields = read_form(&parts, body, &client.ss, state).await?;
        Ok(ClientForm(client, fields))
    }
}

/// The cookie of a self-service session. Over https it is `SameSite=None; Secure;
/// Partitioned`, so that it works inside the product's frame (and, partitioned, also where
/// the browser blocks other third-party cookies); over plain http browsers refuse
/// `SameSite=None`, so it is `Lax` there (a frame on the same site still works).
pub fn self_cookie(state: &AppState, id: String) -> Cookie<'static> {
    let https = state.public_url.starts_with("https://");
    let mut cookie = Cookie::build((SELF_COOKIE, id))
        .http_only(true)
        .secure(https)
        .path("/")
        .build();
    if https {
        cookie.set_same_site(SameSite::None);
        cookie.set_partitioned(true);
    } else {
        cookie.set_same_site(SameSite::Lax);
    }
    cookie
}

/// Starts the session a member's or client's link opened; returns the cookie to set.
pub async fn start_self_session(
    state: &AppState,
    grant: &WebGrant,
) -> Result<Cookie<'static>, renkei_store::StoreError> {
    let (id, _) = state
        .store
        .create_web_session(grant, SESSION_TTL_MS)
        .await?;
    Ok(self_cookie(state, id))
}
