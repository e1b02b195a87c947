//! `POST /oauth2/v2.0/token`: the service-account JWT grant and the refresh grant, with
//! OAuth 2.0 errors `{"error","error_description"}`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use super::api::Reply;
use super::world::{Refresh, Token, World};
use super::FakeLineWorks;
use crate::common::mask;

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    let body = json!({ "error": error, "error_description": description });
    Reply::json(status, &body)
}

#[derive(Deserialize)]
struct Claims {
    iat: Option<i64>,
    exp: i64,
}

/// The form with secrets masked, as the request log keeps it.
pub(super) fn masked_form(form: &[(String, String)]) -> String {
    let masked: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| match k.as_str() {
            "client_secret" | "assertion" | "refresh_token" => (k.clone(), mask(v)),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    serde_urlencoded::to_string(masked).unwrap_or_default()
}

/// Checks the assertion against the app: RS256 with its key, `typ` JWT, `iss` = client
/// ID, `sub` = its service account, `iat` present, `exp` in the future and at most
/// `max_life` after `iat`.
fn check_assertion(
    assertion: &str,
    client_id: &str,
    world: &World,
    max_life: Duration,
) -> Result<(), String> {
    let app = world.apps.get(client_id).ok_or("unknown client")?;
    let header =
        jsonwebtoken::decode_header(assertion).map_err(|e| format!("malformed assertion: {e}"))?;
    if header.typ.as_deref() != Some("JWT") {
        return Err("the assertion header must have typ JWT".into());
    }
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.leeway = 0;
    v.set_issuer(&[client_id]);
    v.sub = Some(app.service_account.clone());
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    let data = jsonwebtoken::decode::<Claims>(assertion, &app.key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => {
                "the assertion's signature does not match the app's key".to_string()
            }
            K::ExpiredSignature => "the assertion has expired".to_string(),
            K::InvalidIssuer => "iss must be the Client ID".to_string(),
            K::InvalidSubject => "sub must be the app's Service Account".to_string(),
            other => format!("invalid assertion: {other:?}"),
        }
    })?;
    let iat = data.claims.iat.ok_or("the assertion needs iat")?;
    let max = i64::try_from(max_life.as_secs()).unwrap_or(i64::MAX);
    if data.claims.exp - iat > max {
        return Err(format!("exp may be at most {} minutes after iat", max / 60));
    }
    Ok(())
}

fn scopes_of(requested: Option<&str>, allowed: &[String]) -> Result<Vec<String>, Reply> {
    let scopes: Vec<String> = requested
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if scopes.is_empty() {
        return Err(oauth_error(400, "invalid_scope", "scope is required"));
    }
    if let Some(bad) = scopes.iter().find(|s| !allowed.contains(s)) {
        let msg = format!("the app is not allowed the scope {bad}");
        return Err(oauth_error(400, "invalid_scope", &msg));
    }
    Ok(scopes)
}

fn issue(fake: &FakeLineWorks, world: &mut World, client_id: &str, scopes: Vec<String>) -> Reply {
    let life = *fake.shared.token_lifetime.lock();
    let access = format!("fake-lw-at-{}", uuid::Uuid::new_v4().simple());
    let refresh = format!("fake-lw-rt-{}", uuid::Uuid::new_v4().simple());
    let scope = scopes.join(" ");
    world.tokens.insert(
        access.clone(),
        Token {
            client_id: client_id.to_string(),
            scopes: scopes.clone(),
            expires_at: Instant::now() + life,
        },
    );
    let refresh_entry = Refresh {
        client_id: client_id.to_string(),
        scopes,
    };
    world.refresh_tokens.insert(refresh.clone(), refresh_entry);
    world.tokens_issued += 1;
    let secs = life.as_secs();
    let expires_in = if fake.shared.config.expires_in_as_string {
        json!(secs.to_string())
    } else {
        json!(secs)
    };
    let body = json!({
        "access_token": access,
        "refresh_token": refresh,
        "scope": scope,
        "token_type": "Bearer",
        "expires_in": expires_in,
    });
    Reply::json(200, &body)
}

/// Answers a token request (already past fault injection).
pub(super) fn token(fake: &FakeLineWorks, is_form: bool, form: &[(String, String)]) -> Reply {
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if !is_form {
        return oauth_error(
            400,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    }
    let grant = field("grant_type").unwrap_or_default();
    if grant != JWT_BEARER && grant != "refresh_token" {
        return oauth_error(400, "unsupported_grant_type", "grant_type is not supported");
    }
    let (Some(client_id), Some(secret)) = (field("client_id"), field("client_secret")) else {
        return oauth_error(
            400,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    let mut world = fake.shared.world.lock();
    let Some(app) = world.apps.get(client_id) else {
        return oauth_error(401, "invalid_client", "unknown client_id");
    };
    if app.secret != secret {
        return oauth_error(401, "invalid_client", "client authentication failed");
    }
    if grant == "refresh_token" {
        let Some(r) = field("refresh_token").and_then(|t| world.refresh_tokens.get(t)) else {
            return oauth_error(400, "invalid_grant", "unknown refresh_token");
        };
        if r.client_id != client_id {
            return oauth_error(
                400,
                "invalid_grant",
                "the refresh_token belongs to another client",
            );
        }
        let scopes = r.scopes.clone();
        return issue(fake, &mut world, client_id, scopes);
    }
    let allowed = app.scopes.clone();
    let Some(assertion) = field("assertion") else {
        return oauth_error(400, "invalid_request", "assertion is required");
    };
    fake.shared.assertions.lock().push(assertion.to_string());
    let max_life = fake.shared.config.max_assertion_lifetime;
    if let Err(why) = check_assertion(assertion, client_id, &world, max_life) {
        return oauth_error(400, "invalid_grant", &why);
    }
    match scopes_of(field("scope"), &allowed) {
        Ok(scopes) => issue(fake, &mut world, client_id, scopes),
        Err(reply) => reply,
    }
}
