//! Getting in: a single-use link becomes a session cookie; every console request reads the
//! session back; every form proves it came from our own page (CSRF token).

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use bytes::Bytes;
use chrono_tz::Tz;
use renkei_store::tenants::Tenant;
use renkei_store::web::{WebGrant, WebKind, WebSession};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::i18n::Tr;
use super::landing::message_page;
use super::page::{Page, Section};
use crate::pages::Lang;
use crate::AppState;

pub const SESSION_COOKIE: &str = "renkei_session";
pub const LANG_COOKIE: &str = "renkei_lang";
/// How long a session lasts after its link was opened.
pub const SESSION_TTL_MS: i64 = 8 * 3600 * 1000;
/// The largest form the console accepts (a pasted CSV is sent as a file upload instead).
const MAX_FORM_BYTES: usize = 1 << 20;

/// The language of a browser page: the page's own `?lang=` switch, else the choice made with
/// the switch before (cookie), else the browser's languages, else the tenant's default.
pub fn page_lang(parts: &Parts, tenant_default: Lang) -> Lang {
    let query_lang = parts.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    if let Some(lang) = query_lang.as_deref().and_then(Lang::parse) {
        return lang;
    }
    let jar = CookieJar::from_headers(&parts.headers);
    if let Some(lang) = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    let accept = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::from_accept_language(accept).unwrap_or(tenant_default)
}

/// A signed-in console request: the tenant, the session, and what its pages need.
pub struct Console {
    pub tenant: Arc<Tenant>,
    pub session: WebSession,
    pub tr: Tr,
    pub tz: Tz,
    here: String,
    flash: Option<String>,
}

impl Console {
    /// The page frame for one console section; `title_key` names the page in the catalogue.
    pub fn page(&self, section: Section, title_key: &str) -> Page {
        Page {
            tr: self.tr,
            section,
            title: self.tr.get(title_key),
            tenant_name: self.tenant.name.clone(),
            csrf: self.session.csrf.clone(),
            here: self.here.clone(),
            flash: self.flash.clone(),
            errors: vec![],
            tz: self.tz,
            chrome: true,
        }
    }

    /// The API's view of this tenant: console handlers call the API's own functions, so the
    /// console can do exactly what the API can, no more.
    pub fn auth(&self) -> crate::auth::Auth {
        crate::auth::Auth(self.tenant.clone())
    }

    /// Who made a change, as the audit log shows it.
    pub fn actor(&self) -> String {
        actor_of(&self.session.grant)
    }

    /// Records a change in the audit log. A failure to record is logged, not shown: the
    /// change itself is already made.
    pub async fn audit(&self, state: &AppState, action: &str, target: &str, detail: &str) {
        let entry = renkei_store::audit::AuditRecord {
            actor: &self.actor(),
            action,
            target: Some(target).filter(|t| !t.is_empty()),
            detail: Some(detail).filter(|d| !d.is_empty()),
        };
        if let Err(e) = state.store.record_audit(self.tenant.id, entry).await {
            tracing::error!(error = %e, action, "could not record an audit entry");
        }
    }
}

/// Who acts through a session, as the audit log shows it.
pub fn actor_of(grant: &WebGrant) -> String {
    match &grant.actor {
        Some(who) => format!("console: {who}"),
        None => "console".to_string(),
    }
}

/// The session a request's cookie names, if it is still live and of `kind`.
pub async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
    kind: WebKind,
) -> Option<(WebSession, Arc<Tenant>)> {
    let jar = CookieJar::from_headers(headers);
    let id = jar.get(SESSION_COOKIE)?.value().to_string();
    let session = state.store.web_session(&id).await.ok()??;
    if session.grant.kind != kind {
        return None;
    }
    let tenant = state.store.tenant(session.grant.tenant_id).await.ok()??;
    Some((session, Arc::new(tenant)))
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some((session, tenant)) = session_of(state, &parts.headers, WebKind::Console).await
        else {
            let tr = Tr::new(page_lang(parts, Lang::Ja));
            return Err(message_page(
                tr,
                StatusCode::UNAUTHORIZED,
                "signed-out-title",
                &["signed-out-body", "landing-how"],
            ));
        };
        let settings = state.store.tenant_settings(tenant.id).await.ok();
        let default_lang = settings
            .as_ref()
            .and_then(|s| Lang::parse(&s.language))
            .unwrap_or(Lang::Ja);
        let tz = settings
            .as_ref()
            .and_then(|s| s.time_zone.parse().ok())
            .unwrap_or(chrono_tz::Asia::Tokyo);
        let tr = Tr::new(page_lang(parts, default_lang));
        let flash = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "flash")
                .and_then(|(_, v)| tr.maybe(&format!("flash-{v}")))
        });
        // Inside the nested `/console` router the URI is cut; the original is whole.
        let here = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(&parts.uri, |o| &o.0)
            .path_and_query()
            .map_or("/console".to_string(), |p| p.as_str().to_string());
        Ok(Console {
            tenant,
            session,
            tr,
            tz,
            here,
            flash,
        })
    }
}

/// A console form post: the session, the CSRF check, and the fields as `T`. Repeated fields
/// (checkbox lists) deserialize into `Vec`s.
pub struct ConsoleForm<T>(pub Console, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ConsoleForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let console = Console::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| refused(console.tr, StatusCode::PAYLOAD_TOO_LARGE, "form-too-large"))?;
        check_form(&parts, &bytes, &console.session.csrf, state)
            .map_err(|key| refused(console.tr, StatusCode::FORBIDDEN, key))?;
        let fields = serde_html_form::from_bytes(&bytes)
            .map_err(|_| refused(console.tr, StatusCode::BAD_REQUEST, "form-unreadable"))?;
        Ok(ConsoleForm(console, fields))
    }
}

/// Checks that a form came from one of our own pages: the CSRF token of this session, and
/// (when the browser says) our own origin. Returns the catalogue key of the reason.
pub fn check_form(
    parts: &Parts,
    body: &Bytes,
    csrf: &str,
    state: &AppState,
) -> Result<(), &'static str> {
    if !same_origin(&parts.headers, &state.public_url) {
        return Err("form-foreign-origin");
    }
    let sent = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    match sent {
        Some(token) if bool::from(token.as_bytes().ct_eq(csrf.as_bytes())) => Ok(()),
        _ => Err("form-expired"),
    }
}

/// `Sec-Fetch-Site` and `Origin`, when the browser sends them, must say the form is ours.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(site, Some("cross-site" | "same-site")) {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // A form without Origin (older browsers) is judged by its CSRF token alone.
        None => true,
        Some(origin) => {
            origin == public_url
                || headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|host| {
                        origin.strip_prefix("http://") == Some(host)
                            || origin.strip_prefix("https://") == Some(host)
                    })
        }
    }
}

fn refused(tr: Tr, status: StatusCode, key: &'static str) -> Response {
    message_page(tr, status, "form-refused-title", &[key])
}

/// The session cookie: HttpOnly, Lax, Secure when renkei is reached over https.
pub fn session_cookie(state: &AppState, id: String, same_site: SameSite) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, id))
        .http_only(true)
        .same_site(same_site)
        .secure(state.public_url.starts_with("https://"))
        .path("/")
        .build()
}

/// Starts a session for an opened link; returns the cookie to set.
pub async fn start_session(
    state: &AppState,
    grant: &WebGrant,
) -> Result<Cookie<'static>, renkei_store::StoreError> {
    let (id, _) = state
        .store
        .create_web_session(grant, SESSION_TTL_MS)
        .await?;
    Ok(session_cookie(state, id, SameSite::Lax))
}

/// Sign-out: ends the session and clears the cookie.
pub async fn sign_out(
    axum::extract::State(state): axum::extract::State<AppState>,
    jar: CookieJar,
    ConsoleForm(console, NoFields {}): ConsoleForm<NoFields>,
) -> Response {
    if let Some(id) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
        if let Err(e) = state.store.end_web_session(&id).await {
            tracing::error!(error = %e, "could not end a session");
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    let page = message_page(
        console.tr,
        StatusCode::OK,
        "signed-out-done-title",
        &["signed-out-done-body", "landing-how"],
    );
    (jar, page).into_response()
}

/// A form that sends nothing but its CSRF token (sign-out, a confirm button).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}
