//! Who a `/v2` request speaks for: an API token (`X-ChatWorkToken`) or an OAuth access
//! token (`Authorization: Bearer`, checked for expiry and scope), and the token window it
//! counts against.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::http::{header, HeaderMap, StatusCode};

use super::limits::{RateHeaders, TokenWindow};
use super::oauth::grants::BearerRefusal;
use super::reply::Reply;
use super::{FakeChatworkConfig, Shared};

/// The credential a request carries. `X-ChatWorkToken` wins when both are sent.
#[derive(Clone, Copy)]
pub(super) enum Credential<'a> {
    ApiToken(&'a str),
    Bearer(&'a str),
}

impl<'a> Credential<'a> {
    pub(super) fn from_headers(headers: &'a HeaderMap) -> Option<Credential<'a>> {
        if let Some(t) = headers.get("x-chatworktoken").and_then(|v| v.to_str().ok()) {
            return Some(Credential::ApiToken(t));
        }
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, rest) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| Credential::Bearer(rest.trim()))
    }

    pub(super) fn secret(self) -> &'a str {
        match self {
            Credential::ApiToken(t) | Credential::Bearer(t) => t,
        }
    }

    pub(super) fn scheme(self) -> &'static str {
        match self {
            Credential::ApiToken(_) => "token",
            Credential::Bearer(_) => "bearer",
        }
    }
}

pub(super) fn invalid_token() -> Reply {
    Reply::error(StatusCode::UNAUTHORIZED, "Invalid API token")
}

/// RFC 6750 answers for a refused OAuth access token.
fn bearer_refusal(refusal: &BearerRefusal) -> Reply {
    let invalid = |text: &str| {
        Reply::error(StatusCode::UNAUTHORIZED, text).with_www_authenticate(format!(
            "Bearer error=\"invalid_token\", error_description=\"{text}\""
        ))
    };
    match refusal {
        BearerRefusal::Invalid => invalid("The access token is invalid"),
        BearerRefusal::Expired => invalid("The access token expired"),
        BearerRefusal::InsufficientScope(needed) => {
            let text = "The access token does not have the required scope";
            Reply::error(StatusCode::FORBIDDEN, text).with_www_authenticate(format!(
                "Bearer error=\"insufficient_scope\", error_description=\"{text}\", scope=\"{}\"",
                needed.join(" ")
            ))
        }
    }
}

/// The token's account, and its rate headers when limits are on; one lock for both.
pub(super) fn authorize(
    shared: &Shared,
    token: &str,
    now_ms: u128,
) -> Result<(i64, Option<RateHeaders>), Reply> {
    let limits_on = shared.limits_enabled.load(Ordering::Relaxed);
    let mut tokens = shared.tokens.lock();
    let Some(state) = tokens.get_mut(token) else {
        return Err(invalid_token());
    };
    if !limits_on {
        return Ok((state.account_id, None));
    }
    let rate = count_request(&mut state.window, &shared.config, now_ms)?;
    Ok((state.account_id, Some(rate)))
}

/// An OAuth access token's account, after its expiry and scope; its window is the grant's.
pub(super) fn authorize_bearer(
    shared: &Shared,
    token: &str,
    needed: &'static [&'static str],
    now_ms: u128,
) -> Result<(i64, Option<RateHeaders>), Reply> {
    let limits_on = shared.limits_enabled.load(Ordering::Relaxed);
    let mut oauth = shared.oauth.lock();
    let (account_id, grant) = oauth
        .check_access(token, needed, Instant::now())
        .map_err(|r| bearer_refusal(&r))?;
    if !limits_on {
        return Ok((account_id, None));
    }
    let window = oauth.windows.entry(grant).or_default();
    let rate = count_request(window, &shared.config, now_ms)?;
    Ok((account_id, Some(rate)))
}

/// Counts one request in a token window, or the 429 when it is full.
fn count_request(
    window: &mut Option<TokenWindow>,
    cfg: &FakeChatworkConfig,
    now_ms: u128,
) -> Result<RateHeaders, Reply> {
    let (limit, length) = (cfg.token_limit, cfg.token_window);
    TokenWindow::hit(window, Instant::now(), now_ms, limit, length).map_err(|headers| {
        Reply::error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded").with_rate(Some(headers))
    })
}
