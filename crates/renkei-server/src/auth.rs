//! `Authorization: Bearer <api_key>` → the tenant every query is scoped to.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use renkei_store::tenants::Tenant;

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
        // Keys never change once issued, so a resolved key can be cached for the process.
        let hash = renkei_store::tenants::hash_api_key(key);
        if let Some(t) = state.tenants.lock().get(&hash) {
            return Ok(Auth(t.clone()));
        }
        let tenant = state.store.tenant_by_api_key(key).await?.ok_or_else(|| {
            unauthorized("this API key is not valid; create one with `renkei tenant create`")
        })?;
        let tenant = Arc::new(tenant);
        state.tenants.lock().insert(hash, tenant.clone());
        Ok(Auth(tenant))
    }
}

/// The token of a `Bearer` Authorization value. Auth schemes are case-insensitive
/// (RFC 9110 §11.1), so `bearer` and `BEARER` are accepted too.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

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
