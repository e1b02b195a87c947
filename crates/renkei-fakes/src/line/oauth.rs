//! `POST /oauth2/v2.1/token` (the v2.1 JWT grant for channel access tokens, and LINE
//! Login's authorization code grant) and `GET /oauth2/v2.1/authorize` (LINE Login, with a
//! simulated person answering the consent screen).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::Reply;
use super::world::{random_from, AuthorizeRequest, Code, LoginAs, Token};
use super::Shared;

pub(super) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub(super) const AUDIENCE: &str = "https://api.line.me/";
pub(super) const ID_TOKEN_ISSUER: &str = "https://access.line.me";
const MAX_ASSERTION_SECS: i64 = 30 * 60;
const MAX_TOKEN_EXP_SECS: i64 = 30 * 24 * 3600;
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn secs(ms: u128) -> i64 {
    i64::try_from(ms / 1000).unwrap_or(i64::MAX)
}

pub(super) fn token(shared: &Shared, form: &[(String, String)], now_ms: u128) -> Reply {
    match field(form, "grant_type") {
        Some("client_credentials") => issue_channel_token(shared, form, now_ms),
        Some("authorization_code") => exchange_code(shared, form, now_ms),
        Some(other) => Reply::oauth_error(
            400,
            "unsupported_grant_type",
            &format!("unsupported grant_type: {other}"),
        ),
        None => Reply::oauth_error(400, "invalid_request", "grant_type is required"),
    }
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    exp: i64,
    token_exp: Option<i64>,
}

/// The unverified `iss` of a JWT (to find whose key verifies it).
fn unverified_iss(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("iss")?.as_str().map(str::to_string)
}

/// Channel access token v2.1: verifies the assertion against the key registered under
/// its `kid` for the channel named by `iss`.
fn issue_channel_token(shared: &Shared, form: &[(String, String)], now_ms: u128) -> Reply {
    let bad = |text: &str| Reply::oauth_error(400, "invalid_request", text);
    let refused = |text: &str| Reply::oauth_error(400, "invalid_client", text);
    if field(form, "client_assertion_type") != Some(ASSERTION_TYPE) {
        return bad(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        );
    }
    let Some(jwt) = field(form, "client_assertion") else {
        return bad("client_assertion is required");
    };
    let Ok(header) = jsonwebtoken::decode_header(jwt) else {
        return bad("client_assertion is not a JWT");
    };
    if header.alg != Algorithm::RS256 {
        return bad("the assertion must be signed with RS256");
    }
    let Some(kid) = header.kid else {
        return bad("the assertion header has no kid");
    };
    let Some(iss) = unverified_iss(jwt) else {
        return bad("the assertion has no iss");
    };
    let mut world = shared.world.lock();
    let Some(channel) = world.channels.get(&iss) else {
        return refused("invalid iss: no such channel");
    };
    let Some(key) = channel.assertion_keys.get(&kid) else {
        return refused("invalid kid: no public key is registered under it for this channel");
    };
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[AUDIENCE]);
    v.set_issuer(&[&iss]);
    v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    v.leeway = 5;
    let claims = match jsonwebtoken::decode::<AssertionClaims>(jwt, key, &v) {
        Ok(data) => data.claims,
        Err(e) => {
            return match e.kind() {
                ErrorKind::InvalidSignature => refused("invalid signature"),
                ErrorKind::ExpiredSignature => bad("the assertion has expired"),
                ErrorKind::InvalidAudience => bad("aud must be https://api.line.me/"),
                _ => bad("invalid client_assertion"),
            }
        }
    };
    let now = secs(now_ms);
    if claims.sub != claims.iss {
        return bad("sub must be the channel ID, like iss");
    }
    if claims.exp - now > MAX_ASSERTION_SECS + 5 {
        return bad("exp must be at most 30 minutes ahead");
    }
    let token_exp = claims.token_exp.unwrap_or(MAX_TOKEN_EXP_SECS);
    if !(1..=MAX_TOKEN_EXP_SECS).contains(&token_exp) {
        return bad("token_exp must be between 1 second and 30 days");
    }
    if world.valid_v21_tokens(&iss, now_ms) >= shared.config.max_v21_tokens {
        return bad("the maximum number of channel access tokens for this channel has been issued");
    }
    let cap = i64::try_from(shared.config.max_token_lifetime.as_secs()).unwrap_or(i64::MAX);
    let expires_in = token_exp.min(cap);
    let access_token = format!("v21.{}", random_from(BASE64URL, 64));
    let key_id = random_from(BASE64URL, 22);
    let expires_at_ms = now_ms + u128::try_from(expires_in).unwrap_or(0) * 1000;
    world.tokens.insert(
        access_token.clone(),
        Token {
            channel_id: iss,
            expires_at_ms: Some(expires_at_ms),
            key_id: Some(key_id.clone()),
        },
    );
    Reply::json(
        200,
        &json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "key_id": key_id,
        }),
    )
}

/// LINE Login: the code from the callback, for tokens and an ID token.
fn exchange_code(shared: &Shared, form: &[(String, String)], now_ms: u128) -> Reply {
    let (Some(client_id), Some(secret)) = (field(form, "client_id"), field(form, "client_secret"))
    else {
        return Reply::oauth_error(
            400,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    let (Some(code), Some(redirect_uri)) = (field(form, "code"), field(form, "redirect_uri"))
    else {
        return Reply::oauth_error(400, "invalid_request", "code and redirect_uri are required");
    };
    let mut world = shared.world.lock();
    let Some(channel_secret) = world
        .login_channels
        .get(client_id)
        .filter(|c| c.secret == secret)
        .map(|c| c.secret.clone())
    else {
        return Reply::oauth_error(400, "invalid_client", "invalid client_id or client_secret");
    };
    let ttl_ms = shared.config.code_ttl.as_millis();
    // A code is single use: taken out whether or not the rest matches.
    let Some(issued) = world
        .codes
        .remove(code)
        .filter(|c| now_ms.saturating_sub(c.created_ms) < ttl_ms && c.client_id == client_id)
    else {
        return Reply::oauth_error(400, "invalid_grant", "invalid authorization code");
    };
    if issued.redirect_uri != redirect_uri {
        return Reply::oauth_error(400, "invalid_grant", "redirect_uri does not match");
    }
    let name = world
        .users
        .get(&issued.user_id)
        .cloned()
        .unwrap_or_default();
    let mut answer = json!({
        "access_token": random_from(BASE64URL, 48),
        "expires_in": 2_592_000,
        "refresh_token": random_from(BASE64URL, 20),
        "scope": issued.scope,
        "token_type": "Bearer",
    });
    if issued.scope.split(' ').any(|s| s == "openid") {
        let now = secs(now_ms);
        let mut claims = json!({
            "iss": ID_TOKEN_ISSUER,
            "sub": issued.user_id,
            "aud": client_id,
            "exp": now + 3600,
            "iat": now,
            "amr": ["linesso"],
            "name": name,
        });
        if let Some(nonce) = issued.nonce {
            claims["nonce"] = Value::String(nonce);
        }
        let key = EncodingKey::from_secret(channel_secret.as_bytes());
        match jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key) {
            Ok(jwt) => answer["id_token"] = Value::String(jwt),
            Err(_) => {
                return Reply::oauth_error(500, "server_error", "could not sign the ID token")
            }
        }
    }
    Reply::json(200, &answer)
}

/// `redirect_uri` with `pairs` appended to its query.
fn callback(redirect_uri: &str, pairs: &[(&str, &str)]) -> Reply {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            Reply::redirect(url.to_string())
        }
        Err(_) => Reply::page(400, "Invalid redirect_uri value"),
    }
}

/// The consent screen: checks the request like LINE, then answers as [`LoginAs`] says.
pub(super) fn authorize(shared: &Shared, query: &[(String, String)], now_ms: u128) -> Reply {
    if field(query, "response_type") != Some("code") {
        return Reply::page(400, "Invalid response_type value");
    }
    let mut world = shared.world.lock();
    let client_id = field(query, "client_id").unwrap_or_default();
    let Some(channel) = world.login_channels.get(client_id) else {
        return Reply::page(400, "Invalid client_id value");
    };
    let redirect_uri = field(query, "redirect_uri").unwrap_or_default();
    let registered =
        channel.callback_urls.is_empty() || channel.callback_urls.iter().any(|u| u == redirect_uri);
    if !registered || url::Url::parse(redirect_uri).is_err() {
        return Reply::page(
            400,
            "Invalid redirect_uri value. Check if it is registered in a LINE developers site.",
        );
    }
    let linked = channel.linked_channel.clone();
    let (Some(state), Some(scope)) = (field(query, "state"), field(query, "scope")) else {
        return Reply::page(400, "state and scope are required");
    };
    let request = AuthorizeRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        state: state.to_string(),
        scope: scope.to_string(),
        nonce: field(query, "nonce").map(str::to_string),
        bot_prompt: field(query, "bot_prompt").map(str::to_string),
    };
    world.authorizations.push(request.clone());
    let user_id = match world.login_as.clone() {
        LoginAs::Nobody => {
            return Reply::page(200, "Nobody is set to log in to the fake LINE: call FakeLine::set_login_user or POST /_fake/login {\"user_id\":\"U…\"}");
        }
        LoginAs::Denied => {
            return callback(
                redirect_uri,
                &[
                    ("error", "access_denied"),
                    (
                        "error_description",
                        "The resource owner denied the request.",
                    ),
                    ("state", state),
                ],
            );
        }
        LoginAs::User(u) => u,
    };
    let code = random_from(BASE64URL, 20);
    world.codes.insert(
        code.clone(),
        Code {
            client_id: request.client_id,
            redirect_uri: request.redirect_uri,
            user_id: user_id.clone(),
            nonce: request.nonce,
            scope: request.scope,
            created_ms: now_ms,
        },
    );
    let mut pairs = vec![("code", code.as_str()), ("state", state)];
    // bot_prompt: the person also adds the linked official account (this fake's person
    // always accepts the prompt).
    let changed = match (&request.bot_prompt, linked) {
        (Some(p), Some(bot)) if p == "aggressive" || p == "normal" => {
            Some(world.befriend(&bot, &user_id))
        }
        _ => None,
    };
    let changed_text = changed.map(|c| c.to_string());
    if let Some(c) = &changed_text {
        pairs.push(("friendship_status_changed", c));
    }
    callback(redirect_uri, &pairs)
}
