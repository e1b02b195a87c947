//! The consent page and token endpoint as state transitions on [`OAuthState`]: which
//! answer each request gets, in Chatwork's error vocabulary.

use std::time::{Duration, Instant};

use super::grants::{random_token, s256, Code, Issued, Lifetimes, OAuthState, SCOPES};
use super::Consent;

/// An error answered by the token endpoint (`{"error", "error_description", "error_uri"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthFailure {
    pub(crate) status: u16,
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

fn failure(status: u16, error: &'static str, description: impl Into<String>) -> OAuthFailure {
    OAuthFailure {
        status,
        error,
        description: description.into(),
    }
}

/// What the consent page answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConsentOutcome {
    /// Chatwork's own error page: nothing is sent back to the client.
    ErrorPage(String),
    /// The test did not say whether the admin approves.
    NoOutcomeChosen,
    /// 302 to the client's redirect URI; `approved` is the account that consented.
    Redirect {
        location: String,
        approved: Option<i64>,
    },
}

/// 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1; a S256 challenge is 43).
fn is_pkce_text(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `base?a=1&b=2` keeping any query the registered URI already has.
fn redirect_with(base: &str, params: &[(&str, Option<&str>)]) -> String {
    let Ok(mut url) = url::Url::parse(base) else {
        return base.to_owned();
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
    }
    url.to_string()
}

impl OAuthState {
    /// The consent page: checks the client and redirect URI (errors stay on Chatwork's
    /// page), then the rest (errors go back to the client), then applies the chosen consent.
    pub(crate) fn authorize(
        &mut self,
        param: impl Fn(&str) -> Option<String>,
        code_lifetime: Duration,
        now: Instant,
    ) -> ConsentOutcome {
        let client_id = param("client_id").unwrap_or_default();
        let Some(client) = self.clients.get(&client_id) else {
            return ConsentOutcome::ErrorPage(format!("The client ID `{client_id}` is unknown."));
        };
        if param("redirect_uri").as_deref() != Some(client.redirect_uri.as_str()) {
            return ConsentOutcome::ErrorPage(
                "The redirect URI does not match the one registered for this client.".into(),
            );
        }
        let redirect_uri = client.redirect_uri.clone();
        let state = param("state");
        let back = |error: &str, description: &str| ConsentOutcome::Redirect {
            location: redirect_with(
                &redirect_uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(description)),
                    ("state", state.as_deref()),
                ],
            ),
            approved: None,
        };
        if param("response_type").as_deref() != Some("code") {
            return back("unsupported_response_type", "response_type must be `code`");
        }
        let scope_text = param("scope").unwrap_or_default();
        let scopes: Vec<&str> = scope_text.split(' ').filter(|s| !s.is_empty()).collect();
        if scopes.is_empty() {
            return back("invalid_scope", "The scope parameter is required");
        }
        if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(s)) {
            return back("invalid_scope", &format!("Unknown scope `{unknown}`"));
        }
        let challenge = match (param("code_challenge"), param("code_challenge_method")) {
            (Some(c), Some(m)) if m == "S256" && is_pkce_text(&c) => Some(c),
            (Some(_), Some(m)) if m == "S256" => {
                return back("invalid_request", "The code_challenge is malformed")
            }
            (Some(_), _) => return back("invalid_request", "code_challenge_method must be S256"),
            (None, _) if !client.confidential => {
                return back(
                    "invalid_request",
                    "Public clients must send a PKCE code_challenge",
                )
            }
            (None, _) => None,
        };
        match self.consent {
            None => ConsentOutcome::NoOutcomeChosen,
            Some(Consent::Deny) => back("access_denied", "The resource owner denied the request"),
            Some(Consent::Approve { account_id }) => {
                let code = random_token();
                let location = redirect_with(
                    &redirect_uri,
                    &[("code", Some(&code)), ("state", state.as_deref())],
                );
                self.codes.insert(
                    code,
                    Code {
                        client_id,
                        redirect_uri,
                        scope: scopes.join(" "),
                        challenge,
                        account_id,
                        expires: now + code_lifetime,
                    },
                );
                ConsentOutcome::Redirect {
                    location,
                    approved: Some(account_id),
                }
            }
        }
    }

    /// Client authentication for the token endpoint: `Basic` credentials only.
    pub(crate) fn authenticate(
        &self,
        basic: Option<(String, String)>,
    ) -> Result<String, OAuthFailure> {
        let Some((id, secret)) = basic else {
            return Err(failure(
                401,
                "invalid_client",
                "Client authentication failed: send the client ID and secret with HTTP Basic authentication.",
            ));
        };
        match self.clients.get(&id) {
            None => Err(failure(
                401,
                "invalid_client",
                format!("The client ID `{id}` is unknown."),
            )),
            Some(c) if c.secret != secret => Err(failure(
                401,
                "invalid_client",
                "Client authentication failed.",
            )),
            Some(_) => Ok(id),
        }
    }

    /// `POST /token` after client authentication.
    pub(crate) fn token(
        &mut self,
        client_id: &str,
        field: impl Fn(&str) -> Option<String>,
        lifetimes: &Lifetimes,
        now: Instant,
    ) -> Result<Issued, OAuthFailure> {
        let missing = |name: &str| {
            failure(
                400,
                "invalid_request",
                format!("The request is missing the `{name}` parameter."),
            )
        };
        match field("grant_type").as_deref() {
            None => Err(missing("grant_type")),
            Some("authorization_code") => {
                let code = field("code").ok_or_else(|| missing("code"))?;
                self.exchange(client_id, &code, &field, lifetimes, now)
            }
            Some("refresh_token") => {
                let token = field("refresh_token").ok_or_else(|| missing("refresh_token"))?;
                self.renew(client_id, &token, lifetimes, now)
            }
            Some(other) => Err(failure(
                400,
                "unsupported_grant_type",
                format!("The authorization grant type `{other}` is not supported."),
            )),
        }
    }

    fn exchange(
        &mut self,
        client_id: &str,
        code: &str,
        field: &impl Fn(&str) -> Option<String>,
        lifetimes: &Lifetimes,
        now: Instant,
    ) -> Result<Issued, OAuthFailure> {
        let invalid = || {
            failure(
                400,
                "invalid_grant",
                "The authorization code is invalid or expired.",
            )
        };
        let c = self.codes.get(code).ok_or_else(invalid)?;
        if now >= c.expires {
            self.codes.remove(code);
            return Err(invalid());
        }
        if c.client_id != client_id {
            return Err(invalid());
        }
        if field("redirect_uri").as_deref() != Some(c.redirect_uri.as_str()) {
            return Err(failure(
                400,
                "invalid_grant",
                "The redirect URI does not match the one used in the authorization request.",
            ));
        }
        if let Some(challenge) = &c.challenge {
            if field("code_verifier").is_none_or(|v| s256(&v) != *challenge) {
                return Err(failure(
                    400,
                    "invalid_grant",
                    "The code verifier does not match the code challenge.",
                ));
            }
        }
        // Single use: only a successful exchange spends the code (see the module docs).
        let Some(c) = self.codes.remove(code) else {
            return Err(invalid());
        };
        let grant = self.new_grant();
        Ok(self.issue(client_id, c.account_id, c.scope, grant, lifetimes, now))
    }

    fn renew(
        &mut self,
        client_id: &str,
        token: &str,
        lifetimes: &Lifetimes,
        now: Instant,
    ) -> Result<Issued, OAuthFailure> {
        let r = self
            .refresh
            .get(token)
            .filter(|r| r.client_id == client_id)
            .ok_or_else(|| failure(400, "invalid_grant", "The refresh token is invalid."))?;
        if r.expires.is_some_and(|e| now >= e) {
            self.refresh.remove(token);
            return Err(failure(400, "invalid_grant", "The refresh token expired."));
        }
        // Rotation: the old refresh token stops working; issued access tokens live on.
        let Some(r) = self.refresh.remove(token) else {
            return Err(failure(
                400,
                "invalid_grant",
                "The refresh token is invalid.",
            ));
        };
        Ok(self.issue(client_id, r.account_id, r.scope, r.grant, lifetimes, now))
    }
}
