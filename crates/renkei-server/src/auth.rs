//! `Authorization: Bearer <api_key>` → the tenant every query is scoped to.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use renkei_store::tenants::Tenant;

use tracing::warn;

use crate::auth_throttle;
use crate::error::ApiError;
use crate::AppState;

/// The authenticated tenant.
#[derive(Debug, Clone)]
pub struct Auth(pub Arc<Tenant>);

impl Auth {
    pub fn id(&self) -> i64 {
        self.0.id
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |msg: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", msg);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                unauthorized("send the tenant's API key as `Authorization: Bearer <api_key>`")
            })?;
        let key =
            header.to_str().ok().and_then(bearer_token).ok_or_else(|| {
                unauthorized("the Authorization header must be `Bearer <api_key>`")
            })?;
        let client = client_address(parts);
        let note_tenant = |parts: &Parts, tenant: &Tenant| {
            if let Some(slot) = parts.extensions.get::<crate::api_audit::AuthedTenant>() {
                let _ = slot.0.set(tenant.id);
            }
        };
        if let Some(wait) = client.and_then(|c| state.auth_throttle.blocked_for(c, Instant::now()))
        {
            return Err(too_many_failures(wait));
        }
        // A checked key is trusted for a few seconds without asking the database again; a
        // rotated key (`renkei tenant rotate-key`, possibly on another node) stops within that.
        let hash = renkei_store::tenants::hash_api_key(key);
        let fresh = Duration::from_millis(renkei_store::tenants::API_KEY_CACHE_MS);
        if let Some((t, _)) = state
            .tenants
            .lock()
            .get(&hash)
            .filter(|(_, checked)| checked.elapsed() < fresh)
        {
            note_tenant(parts, t);
            return Ok(Auth(t.clone()));
        }
        let Some(tenant) = state.store.tenant_by_api_key(key).await? else {
            let failures = client.map(|c| state.auth_throttle.record_failure(c, Instant::now()));
            // Never the key: the hash's first 8 hex digits tell repeated tries apart.
            warn!(
                client = ?client,
                key_fingerprint = fingerprint(&hash),
                failures_this_minute = ?failures,
                "API key refused"
            );
            return Err(unauthorized(
                "this API key is not valid; create one with `renkei tenant create`",
            ));
        };
        let tenant = Arc::new(tenant);
        let mut cache = state.tenants.lock();
        // Keys that were rotated away would otherwise stay in the map for good.
        cache.retain(|_, (_, checked)| checked.elapsed() < fresh);
        cache.insert(hash, (tenant.clone(), Instant::now()));
        drop(cache);
        note_tenant(parts, &tenant);
        Ok(Auth(tenant))
    }
}

/// The peer's address as counted by the throttle; `None` when the service was built
/// without `ConnectInfo` (then nothing is throttled).
fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| auth_throttle::client_key(c.0.ip()))
}

fn fingerprint(key_hash: &str) -> &str {
    key_hash.get(..8).unwrap_or(key_hash)
}

fn too_many_failures(wait: Duration) -> ApiError {
    let secs = wait.as_secs().max(1);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_auth_failures",
        format!(
            "{} refused API keys from your address within a minute; check the key you send and try again in {secs} s",
            auth_throttle::MAX_FAILURES
        ),
    )
    .with_retry_after(secs)
}

/// The token of a `Bearer` Authorization value. Auth schemes are case-insensitive
/// (RFC 9110 §11.1), so `bearer` and `BEARER` are accepted too.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn fingerprints_are_8_hex_digits_of_the_hash() {
        let hash = renkei_store::tenants::hash_api_key("rk_secret");
        assert_eq!(super::fingerprint(&hash), &hash[..8]);
        assert!(!super::fingerprint(&hash).contains("secret"));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in ["Bearer k1", "bearer k1", "BEARER k1", "  Bearer   k1 "] {
            assert_eq!(bearer_token(v), Some("k1"), "{v}");
        }
        for v in ["Bearer", "Bearer ", "Basic k1", "Bearerk1", "k1"] {
            assert_eq!(bearer_token(v), None, "{v}");
        }
    }
}
