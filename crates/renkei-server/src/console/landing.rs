//! The pages around the console: `/` (how to get in), opening a sign-in link, the language
//! switch, and the short message pages (link used, form refused, signed out).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use renkei_store::web::{LinkRefusal, WebKind};
use serde::Deserialize;

use super::i18n::Tr;
use super::page::{render, see_other, Page, Section};
use super::session::{page_lang, session_of, start_session, LANG_COOKIE};
use crate::pages::Lang;
use crate::AppState;

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage {
    page: Page,
    paragraphs: Vec<String>,
}

/// A page that only says something: a title and paragraphs, all catalogue keys.
pub fn message_page(tr: Tr, status: StatusCode, title_key: &str, body_keys: &[&str]) -> Response {
    let page = bare_page(tr, title_key, "/");
    let paragraphs = body_keys.iter().map(|k| tr.get(k)).collect();
    render(status, &MessagePage { page, paragraphs })
}

/// A page saying the database could not be read or written; the cause goes to the log.
pub fn store_error(page: &Page, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a page could not reach the database");
    let mut page = page.clone();
    page.title = page.tr.get("error-title");
    let paragraphs = vec![page.tr.get("error-try-again")];
    render(
        StatusCode::SERVICE_UNAVAILABLE,
        &MessagePage { page, paragraphs },
    )
}

/// The frame of a page outside the console: no navigation, no tenant.
pub fn bare_page(tr: Tr, title_key: &str, here: &str) -> Page {
    Page {
        tr,
        section: Section::None,
        title: tr.get(title_key),
        tenant_name: String::new(),
        csrf: String::new(),
        here: here.to_string(),
        flash: None,
        errors: vec![],
        tz: chrono_tz::Asia::Tokyo,
        chrome: false,
    }
}

/// `GET /`: straight to the console with a session, else how to get in.
pub async fn root(State(state): State<AppState>, parts: Parts) -> Response {
    if session_of(&state, &parts.headers, WebKind::Console)
        .await
        .is_some()
    {
        return see_other("/console");
    }
    let tr = Tr::new(page_lang(&parts, Lang::Ja));
    let here = parts
        .uri
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let mut page = bare_page(tr, "landing-title", &here);
    page.here = here;
    let no_tenant = matches!(state.store.tenant_count().await, Ok(0));
    let mut paragraphs = vec![tr.get("landing-intro"), tr.get("landing-how")];
    if no_tenant {
        paragraphs.push(tr.get("landing-first-tenant"));
    }
    render(StatusCode::OK, &MessagePage { page, paragraphs })
}

/// `GET /enter/{token}`: a sign-in link, used once, becomes a session.
pub async fn enter(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
    jar: CookieJar,
) -> Response {
    let tr = Tr::new(page_lang(&parts, Lang::Ja));
    let opened = match state.store.use_web_link(&token).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(refusal)) => {
            let (status, key) = match refusal {
                LinkRefusal::Used => (StatusCode::GONE, "link-used"),
                LinkRefusal::Expired => (StatusCode::GONE, "link-expired"),
                LinkRefusal::Unknown => (StatusCode::NOT_FOUND, "link-unknown"),
            };
            return message_page(tr, status, "link-refused-title", &[key, "link-what-to-do"]);
        }
        Err(e) => {
            tracing::error!(error = %e, "could not open a sign-in link");
            return message_page(
                tr,
                StatusCode::SERVICE_UNAVAILABLE,
                "error-title",
                &["error-try-again"],
            );
        }
    };
    let started = match opened.grant.kind {
        WebKind::Console => start_session(&state, &opened.grant).await,
        WebKind::Member | WebKind::Client => {
            crate::selfservice::session::start_self_session(&state, &opened.grant).await
        }
    };
    let cookie = match started {
        Ok(cookie) => cookie,
        Err(e) => {
            tracing::error!(error = %e, "could not start a session");
            return message_page(
                tr,
                StatusCode::SERVICE_UNAVAILABLE,
                "error-title",
                &["error-try-again"],
            );
        }
    };
    let to = match opened.grant.kind {
        WebKind::Console => opened
            .return_to
            .filter(|p| is_console_path(p))
            .unwrap_or_else(|| "/console".to_string()),
        // `?embed=1` (a link opened in the product's frame) and `?lang=` carry over.
        WebKind::Member => {
            crate::selfservice::view::View::from_query(parts.uri.query()).href("/me", &[])
        }
        WebKind::Client => {
            crate::selfservice::view::View::from_query(parts.uri.query()).href("/client", &[])
        }
    };
    (jar.add(cookie), see_other(&to)).into_response()
}

/// A path inside the console, and nothing that could leave it (`//host`, `/\host`).
pub fn is_console_path(path: &str) -> bool {
    (path == "/console" || path.starts_with("/console/") || path.starts_with("/console?"))
        && !path.contains("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    back: Option<String>,
}

/// `GET /lang/{code}?back=/path`: remembers the language, then goes back.
pub async fn switch_lang(
    Path(code): Path<String>,
    Query(q): Query<SwitchQuery>,
    jar: CookieJar,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return see_other("/");
    };
    let back = q
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .map(|b| without_lang_param(&b))
        .unwrap_or_else(|| "/".to_string());
    let cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(cookie_year())
        .build();
    (jar.add(cookie), see_other(&back)).into_response()
}

fn cookie_year() -> cookie::time::Duration {
    cookie::time::Duration::days(365)
}

/// Drops a `lang=` query parameter, which would otherwise win over the new choice.
fn without_lang_param(path: &str) -> String {
    let Some((p, q)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("lang=")).collect();
    if kept.is_empty() {
        p.to_string()
    } else {
        format!("{p}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_returned_to() {
        assert!(is_console_path("/console"));
        assert!(is_console_path("/console/groups?q=1"));
        assert!(!is_console_path("//evil.example/console"));
        assert!(!is_console_path("/console//evil.example"));
        assert!(!is_console_path("https://evil.example/console"));
        assert!(!is_console_path("/consoles"));
        assert!(!is_console_path("/console/\\evil"));
    }

    #[test]
    fn the_switch_drops_an_older_lang_parameter() {
        assert_eq!(without_lang_param("/c/x?lang=en"), "/c/x");
        assert_eq!(
            without_lang_param("/console/events?lang=ja&status=failed"),
            "/console/events?status=failed"
        );
        assert_eq!(without_lang_param("/console"), "/console");
    }
}
