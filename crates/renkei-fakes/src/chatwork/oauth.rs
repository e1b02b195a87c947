//! Chatwork OAuth2 in the fake: the consent page, the token endpoint, and bearer tokens on
//! the `/v2` API. Served by the same server as the API:
//! - consent page `GET /packages/oauth2/login.php` ([`RunningFakeChatwork::login_url`], the
//!   value for `RENKEI_CHATWORK_LOGIN_URL`);
//! - token endpoint `POST /oauth/token` ([`RunningFakeChatwork::oauth_url`] is
//!   `http://127.0.0.1:PORT/oauth`, the value for `RENKEI_CHATWORK_OAUTH_URL`).
//!
//! # What it does like Chatwork
//! - Clients are registered beforehand ([`FakeChatwork::register_oauth_client`]) with one
//!   redirect URI. The consent page needs `response_type=code`, `client_id`,
//!   `redirect_uri`, a space-separated `scope` of known scopes, `state`, and PKCE
//!   (`code_challenge` + `code_challenge_method=S256`; required for public clients).
//!   The test chooses the admin's answer beforehand ([`FakeChatwork::set_oauth_consent`]):
//!   302 to `redirect_uri?code=…&state=…`, or `?error=access_denied&error_description=…&state=…`.
//! - Token endpoint: client authentication by `Authorization: Basic
//!   base64(urlencode(id):urlencode(secret))` only (client ID and secret in the form are
//!   ignored, as Chatwork's own client never sends them there); form
//!   `grant_type=authorization_code&code&redirect_uri&code_verifier` or
//!   `grant_type=refresh_token&refresh_token`. Answers `{access_token, refresh_token,
//!   token_type:"Bearer", expires_in, scope}` with `Cache-Control: no-store`; `expires_in`
//!   is a number, or a string after [`FakeChatwork::set_expires_in_as_string`] (both are
//!   seen from Chatwork). Errors `{"error","error_description","error_uri":null}`: unknown
//!   client → 401 `invalid_client` "The client ID `x` is unknown."; wrong secret or no
//!   Basic header → 401 `invalid_client`; bad, used or expired code, PKCE mismatch,
//!   redirect URI mismatch, bad/expired/rotated refresh token → 400 `invalid_grant`;
//!   missing parameter → 400 `invalid_request`; other grant types → 400
//!   `unsupported_grant_type`.
//! - Lifetimes: code 1 minute ([`FakeChatworkConfig::oauth_code_lifetime`]), access token
//!   30 minutes ([`FakeChatwork::set_oauth_access_lifetime`]), refresh token 14 days
//!   ([`FakeChatworkConfig::oauth_refresh_lifetime`]); both config values are scaled by
//!   [`FakeChatworkConfig::scaled`], the access lifetime is not.
//! - API: `Authorization: Bearer <access token>` works like `X-ChatWorkToken`. Expired →
//!   401 `WWW-Authenticate: Bearer error="invalid_token", error_description="The access
//!   token expired"` with `{"errors":["The access token expired"]}`; unknown or revoked →
//!   the same with "The access token is invalid". A token without the endpoint's scope
//!   → 403 `WWW-Authenticate: Bearer error="insufficient_scope", …, scope="<accepted
//!   scopes>"`. Scopes: `GET /me` users.profile.me:read | users.all:read; `GET /rooms`
//!   rooms.all:read_write | rooms.all:read | rooms.info:read; members
//!   rooms.all:read_write | rooms.all:read | rooms.members:read; posting
//!   rooms.all:read_write | rooms.all:write | rooms.messages:write; `GET /contacts` and
//!   `GET /incoming_requests` contacts.all:read_write | contacts.all:read; answering a
//!   request contacts.all:read_write | contacts.all:write.
//!
//! # Choices where Chatwork is undocumented
//! - Unknown `client_id` or a redirect URI other than the registered one: Chatwork shows
//!   its own error page, so the fake answers 400 `text/html` and never redirects. Other
//!   consent errors (`unsupported_response_type`, `invalid_scope`, `invalid_request` for
//!   PKCE) go back to the redirect URI. No consent chosen yet → 503 HTML saying so.
//! - A failed exchange (wrong verifier or redirect URI) does not spend the code; a
//!   successful one does, and a second exchange answers `invalid_grant` (issued tokens
//!   are not revoked).
//! - Refresh tokens rotate: each refresh answers a new refresh token and the old one
//!   answers `invalid_grant`; access tokens already issued stay valid until they expire.
//!   Without `offline_access` a refresh token lasts 14 days from its issue (each rotation
//!   starts a new 14 days); with `offline_access` it lasts until revoked.
//! - The 300 / 5 min window belongs to the grant (one consent), not to each access token,
//!   so refreshing does not reset it. Scope checks come before the window: a 403 for
//!   scope is not counted. Order: route → credential (401) → scope (403) → window (429) →
//!   fault → endpoint. A request with both headers is judged by `X-ChatWorkToken`.
//! - The token endpoint has no rate limit. Faults ([`FakeChatwork::fail_next_on`] with
//!   `"/oauth/token"`) hit it after client authentication and answer
//!   `{"error":"server_error"}` with the status asked for. The delay applies to it too.
//! - [`FakeChatwork::revoke_oauth_tokens`] is the admin removing the app in Chatwork: the
//!   account's codes, access and refresh tokens all stop working.
//!
//! # Inspection
//! Token-endpoint and consent requests are in [`FakeChatwork::requests`] with secrets
//! masked (`auth_scheme` `basic`, form `code`/`refresh_token`/`code_verifier` cut to
//! their last 4). [`FakeChatwork::oauth_token_requests`] keeps the token-endpoint calls
//! *as received* (the exact `Authorization` header and form) so tests can assert the
//! encoding; it is in-process only, never served over `/_fake`, and its `Debug` redacts.
//! HTTP control: `POST /_fake/oauth/clients {"client_id","client_secret","redirect_uri",
//! "confidential"}`, `POST /_fake/oauth/consent {"approve_account_id":N}` or
//! `{"deny":true}`, `POST /_fake/oauth/revoke {"account_id":N}`, `POST
//! /_fake/oauth/expire {"account_id":N}`.
//!
//! [`RunningFakeChatwork::login_url`]: super::RunningFakeChatwork::login_url
//! [`RunningFakeChatwork::oauth_url`]: super::RunningFakeChatwork::oauth_url
//! [`FakeChatworkConfig::oauth_code_lifetime`]: super::FakeChatworkConfig::oauth_code_lifetime
//! [`FakeChatworkConfig::oauth_refresh_lifetime`]: super::FakeChatworkConfig::oauth_refresh_lifetime
//! [`FakeChatworkConfig::scaled`]: super::FakeChatworkConfig::scaled

mod endpoints;
mod flows;
pub(crate) mod grants;

use std::fmt;
use std::time::{Duration, Instant};

use super::FakeChatwork;
pub(crate) use endpoints::routes;
use grants::{Client, Lifetimes};

/// The admin's answer on the consent page, chosen by the test beforehand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// The admin (this account) presses 許可: the redirect carries a code.
    Approve { account_id: i64 },
    /// The admin declines: the redirect carries `error=access_denied`.
    Deny,
}

/// One call to the token endpoint exactly as received (test credentials in full).
#[derive(Clone)]
pub struct TokenRequest {
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub form: Vec<(String, String)>,
    pub status: u16,
    /// The OAuth `error` answered, if any.
    pub error: Option<String>,
}

impl TokenRequest {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<&str> = self.form.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TokenRequest")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("form_fields", &fields)
            .field("grant_type", &self.field("grant_type"))
            .field("status", &self.status)
            .field("error", &self.error)
            .finish()
    }
}

/// Tokens handed out by [`FakeChatwork::issue_oauth_tokens`].
#[derive(Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub scope: String,
}

impl fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl FakeChatwork {
    fn lifetimes(&self) -> Lifetimes {
        let c = &self.shared.config;
        Lifetimes {
            code: c.oauth_code_lifetime,
            refresh: c.oauth_refresh_lifetime,
        }
    }

    /// Registers (or replaces) an OAuth client with its one redirect URI. A confidential
    /// client may skip PKCE; a public one must use it.
    pub fn register_oauth_client(
        &self,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        confidential: bool,
    ) {
        let client = Client {
            secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            confidential,
        };
        self.shared
            .oauth
            .lock()
            .clients
            .insert(client_id.to_owned(), client);
    }

    /// What the admin answers on every later visit to the consent page.
    pub fn set_oauth_consent(&self, consent: Consent) {
        self.shared.oauth.lock().consent = Some(consent);
    }

    /// Lifetime of access tokens issued from now on (default 30 minutes).
    pub fn set_oauth_access_lifetime(&self, lifetime: Duration) {
        self.shared.oauth.lock().access_lifetime = lifetime;
    }

    /// `true` answers `"expires_in":"1800"` instead of `"expires_in":1800`.
    pub fn set_expires_in_as_string(&self, on: bool) {
        self.shared.oauth.lock().expires_in_as_string = on;
    }

    /// Tokens for `account_id` as if it had consented to `scope` for `client_id`, without
    /// the browser flow. Gives the account a My Chat if it has none.
    pub fn issue_oauth_tokens(
        &self,
        client_id: &str,
        account_id: i64,
        scope: &str,
    ) -> IssuedTokens {
        self.shared.world.write().ensure_account(account_id);
        let lifetimes = self.lifetimes();
        let mut oauth = self.shared.oauth.lock();
        let grant = oauth.new_grant();
        let issued = oauth.issue(
            client_id,
            account_id,
            scope.to_owned(),
            grant,
            &lifetimes,
            Instant::now(),
        );
        IssuedTokens {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_in: oauth.expires_in(),
            scope: issued.scope,
        }
    }

    /// The admin removed the app in Chatwork: the account's codes, access and refresh
    /// tokens stop working.
    pub fn revoke_oauth_tokens(&self, account_id: i64) {
        self.shared.oauth.lock().revoke(account_id);
    }

    /// The account's access tokens expire now (server side; refresh tokens still work).
    pub fn expire_oauth_access_tokens(&self, account_id: i64) {
        self.shared
            .oauth
            .lock()
            .expire_access(account_id, Instant::now());
    }

    /// Token-endpoint calls as received, oldest first (see the module docs).
    pub fn oauth_token_requests(&self) -> Vec<TokenRequest> {
        self.shared.oauth.lock().requests.iter().cloned().collect()
    }
}
