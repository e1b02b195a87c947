//! Confirmation links (Cells Drive 確認リンク), `/c/{token}`. Opening one shows the notice
//! and a confirm button; only pressing it (a POST from that page) confirms, so the link
//! previews of Slack, Teams and the like confirm nothing. A person's opening is recorded as
//! a view; previews and HEAD requests are not. Expired and altered links answer a page.

mod page;
pub mod previewers;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_store::confirmations::LinkTarget;
use renkei_store::links::LinkError;
use serde::Deserialize;
use tracing::{info, warn};

use crate::pages::Lang;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

fn lang_of(q: &LangQuery, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(q.lang.as_deref(), accept)
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect())
}

/// The link's notice, or the page that says why there is none.
async fn target(state: &AppState, token: &str, lang: Lang) -> Result<LinkTarget, Response> {
    let delivery = match state.links.verify(token, renkei_store::now_ms()) {
        Ok(d) => d,
        Err(LinkError::Invalid) => return Err(page::invalid(lang)),
        Err(LinkError::Expired { .. }) => return Err(page::expired(lang)),
    };
    match state.store.link_target(delivery).await {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(page::gone(lang)),
        Err(e) => {
            warn!(error = %e, "confirmation link lookup failed");
            Err(page::internal_error(lang))
        }
    }
}

/// `GET` (and `HEAD`) `/c/{token}`: the notice and its confirm button.
pub async fn open(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match target(&state, &token, lang).await {
        Ok(t) => t,
        Err(page) => return page,
    };
    let ua = user_agent(&headers);
    if method != Method::HEAD && !previewers::is_link_previewer(ua.as_deref()) {
        if let Err(e) = state.store.record_link_view(&t, ua.as_deref()).await {
            warn!(error = %e, "confirmation link view not recorded");
            return page::internal_error(lang);
        }
    }
    page::notice(lang, &t)
}

/// Whether a POST comes from a page of this server, as far as the browser says. A browser's
/// `Sec-Fetch-Site` decides: `same-origin` (or `none`) is accepted, anything else refused.
/// Its `Origin` cannot: these pages send no referrer (`Referrer-Policy: no-referrer`), and a
/// browser then posts `Origin: null` even to the page's own origin. Without `Sec-Fetch-Site`
/// (an older browser) a foreign or `null` Origin is refused. Neither header (a script) is
/// accepted: the signed token in the URL is the capability.
pub(crate) fn posted_from_here(headers: &HeaderMap, public_url: &str) -> bool {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match value(header::ORIGIN.as_str()) {
        None => true,
        Some(origin) => url::Url::parse(public_url)
            .is_ok_and(|u| u.origin().ascii_serialization() == origin.trim_end_matches('/')),
    }
}

/// `POST /c/{token}`: the person pressed "confirm". The first time is the confirmation;
/// afterwards the page says when it was. With an event URL, the person is sent on there.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match target(&state, &token, lang).await {
        Ok(t) => t,
        Err(page) => return page,
    };
    if !posted_from_here(&headers, &state.public_url) {
        warn!(delivery = t.delivery_id, "cross-site confirmation refused");
        return page::cross_site(lang);
    }
    let ua = user_agent(&headers);
    let at = match state
        .store
        .record_link_confirmation(&t, ua.as_deref())
        .await
    {
        Ok(at) => at,
        Err(e) => {
            warn!(error = %e, "confirmation not recorded");
            return page::internal_error(lang);
        }
    };
    info!(
        tenant = t.tenant_id,
        event = t.event_id,
        delivery = t.delivery_id,
        "notice confirmed"
    );
    match &t.url {
        Some(url) => Redirect::to(url).into_response(),
        None => page::confirmed(lang, &t, at),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_posts_from_this_origin_are_accepted() {
        let here = "https://renkei.example/";
        let ok =
            |pairs: &[(&'static str, &'static str)]| super::posted_from_here(&headers(pairs), here);
        assert!(ok(&[]));
        assert!(ok(&[("origin", "https://renkei.example")]));
        assert!(ok(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://renkei.example")
        ]));
        // What Chromium sends from a page with `Referrer-Policy: no-referrer`.
        assert!(ok(&[("sec-fetch-site", "same-origin"), ("origin", "null")]));
        assert!(!ok(&[("origin", "https://evil.example")]));
        assert!(!ok(&[("origin", "http://renkei.example")]));
        assert!(!ok(&[("origin", "null")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(!ok(&[("sec-fetch-site", "same-site")]));
        assert!(!ok(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://renkei.example")
        ]));
    }
}
