//! The fake's OAuth bookkeeping: registered clients, authorization codes, access and
//! refresh tokens with their lifetimes, and bearer checks. Pure state (time is passed
//! in); the consent and token flows are in `flows.rs`, the HTTP side in `endpoints.rs`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Consent, TokenRequest};
use crate::chatwork::limits::TokenWindow;

/// Every scope Chatwork documents; anything else is `invalid_scope`.
pub(crate) const SCOPES: &[&str] = &[
    "offline_access",
    "users.all:read",
    "users.profile.me:read",
    "users.status.me:read",
    "users.tasks.me:read",
    "rooms.all:read_write",
    "rooms.all:read",
    "rooms.all:write",
    "rooms:write",
    "rooms.info:read",
    "rooms.info:write",
    "rooms.members:read",
    "rooms.members:write",
    "rooms.messages:read",
    "rooms.messages:write",
    "rooms.tasks:read",
    "rooms.tasks:write",
    "rooms.files:read",
    "rooms.files:write",
    "contacts.all:read_write",
    "contacts.all:read",
    "contacts.all:write",
];

/// Token-endpoint calls kept for inspection; older ones are dropped.
const TOKEN_REQUEST_CAP: usize = 10_000;

pub(crate) struct Client {
    pub(crate) secret: String,
    pub(crate) redirect_uri: String,
    pub(crate) confidential: bool,
}

pub(super) struct Code {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scope: String,
    pub(super) challenge: Option<String>,
    pub(super) account_id: i64,
    pub(super) expires: Instant,
}

struct Access {
    account_id: i64,
    scope: String,
    expires: Instant,
    grant: u64,
}

pub(super) struct Refresh {
    pub(super) account_id: i64,
    pub(super) client_id: String,
    pub(super) scope: String,
    /// `None` with `offline_access`: valid until revoked.
    pub(super) expires: Option<Instant>,
    pub(super) grant: u64,
}

/// Why the API refused a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BearerRefusal {
    /// Never issued, or revoked.
    Invalid,
    Expired,
    /// The token lacks every one of these scopes.
    InsufficientScope(&'static [&'static str]),
}

/// A token set issued by the token endpoint.
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) scope: String,
}

pub(crate) struct Lifetimes {
    pub(crate) code: Duration,
    pub(crate) refresh: Duration,
}

pub(crate) struct OAuthState {
    pub(crate) clients: HashMap<String, Client>,
    pub(super) codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    pub(super) refresh: HashMap<String, Refresh>,
    pub(crate) consent: Option<Consent>,
    pub(crate) access_lifetime: Duration,
    pub(crate) expires_in_as_string: bool,
    /// The 300 / 5 min window per grant (one authorisation), so a refresh does not reset it.
    pub(crate) windows: HashMap<u64, Option<TokenWindow>>,
    pub(crate) requests: VecDeque<TokenRequest>,
    next_grant: u64,
}

impl Default for OAuthState {
    fn default() -> Self {
        OAuthState {
            clients: HashMap::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            consent: None,
            access_lifetime: Duration::from_secs(30 * 60),
            expires_in_as_string: false,
            windows: HashMap::new(),
            requests: VecDeque::new(),
            next_grant: 1,
        }
    }
}

/// 32 random bytes, base64url: 43 characters.
pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 7636 S256: base64url(SHA-256(verifier)) without padding.
pub(crate) fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl OAuthState {
    /// A new access + refresh token for `grant` (also used to skip the browser in tests).
    pub(crate) fn issue(
        &mut self,
        client_id: &str,
        account_id: i64,
        scope: String,
        grant: u64,
        lifetimes: &Lifetimes,
        now: Instant,
    ) -> Issued {
        let access_token = random_token();
        let refresh_token = random_token();
        let offline = scope.split(' ').any(|s| s == "offline_access");
        self.access.insert(
            access_token.clone(),
            Access {
                account_id,
                scope: scope.clone(),
                expires: now + self.access_lifetime,
                grant,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            Refresh {
                account_id,
                client_id: client_id.to_owned(),
                scope: scope.clone(),
                expires: (!offline).then(|| now + lifetimes.refresh),
                grant,
            },
        );
        Issued {
            access_token,
            refresh_token,
            scope,
        }
    }

    /// A grant id for tokens issued without the browser flow.
    pub(crate) fn new_grant(&mut self) -> u64 {
        self.next_grant += 1;
        self.next_grant - 1
    }

    /// `expires_in` as answered: whole seconds, rounded up.
    pub(crate) fn expires_in(&self) -> u64 {
        // f64 → u64 saturates; lifetimes are far below 2^53 s.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let secs = self.access_lifetime.as_secs_f64().ceil() as u64;
        secs
    }

    /// The account and grant behind a bearer token that holds one of `needed` (any scope
    /// if `needed` is empty).
    pub(crate) fn check_access(
        &self,
        token: &str,
        needed: &'static [&'static str],
        now: Instant,
    ) -> Result<(i64, u64), BearerRefusal> {
        let a = self.access.get(token).ok_or(BearerRefusal::Invalid)?;
        if now >= a.expires {
            return Err(BearerRefusal::Expired);
        }
        let has = |s: &&str| a.scope.split(' ').any(|g| g == *s);
        if !needed.is_empty() && !needed.iter().any(has) {
            return Err(BearerRefusal::InsufficientScope(needed));
        }
        Ok((a.account_id, a.grant))
    }

    /// The admin removed the app: every code and token of the account stops working.
    pub(crate) fn revoke(&mut self, account_id: i64) {
        self.codes.retain(|_, c| c.account_id != account_id);
        self.access.retain(|_, a| a.account_id != account_id);
        self.refresh.retain(|_, r| r.account_id != account_id);
    }

    /// The account's access tokens expire now; refresh tokens keep working.
    pub(crate) fn expire_access(&mut self, account_id: i64, now: Instant) {
        for a in self
            .access
            .values_mut()
            .filter(|a| a.account_id == account_id)
        {
            a.expires = now;
        }
    }

    pub(crate) fn record(&mut self, request: TokenRequest) {
        if self.requests.len() >= TOKEN_REQUEST_CAP {
            self.requests.pop_front();
        }
        self.requests.push_back(request);
    }
}

#[cfg(test)]
mod tests;
