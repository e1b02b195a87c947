//! Every change made through the API goes into the tenant's audit log (actor "API key"), so
//! the console's audit page shows the whole story, not only the console's own changes.
//! Notices themselves (`POST /events`, batches, previews) are not changes: the delivery log
//! records them.

use std::sync::{Arc, OnceLock};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use renkei_store::audit::AuditRecord;

use crate::AppState;

/// Filled by the `Auth` extractor with the tenant the request's key belongs to.
#[derive(Clone, Default)]
pub struct AuthedTenant(pub Arc<OnceLock<i64>>);

/// Requests that are not configuration changes.
fn is_recorded(method: &Method, path: &str) -> bool {
    let reads = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let notices = path == "/api/v1/events"
        || path == "/api/v1/events/batch"
        || path == "/api/v1/route-preview";
    !reads && !notices
}

pub async fn record(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    // Inside the nested `/api/v1` router the URI is cut; the original has the whole path.
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().path().to_string(), |o| o.path().to_string());
    if !is_recorded(&method, &path) {
        return next.run(req).await;
    }
    let slot = AuthedTenant::default();
    req.extensions_mut().insert(slot.clone());
    let response = next.run(req).await;
    if let (Some(tenant), true) = (slot.0.get(), response.status().is_success()) {
        let action = format!("api.{}", method.as_str().to_ascii_lowercase());
        let detail = response.status().as_u16().to_string();
        let entry = AuditRecord {
            actor: "API key",
            action: &action,
            target: Some(&path),
            detail: Some(&detail),
        };
        if let Err(e) = state.store.record_audit(*tenant, entry).await {
            tracing::error!(error = %e, "could not record an audit entry");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_recorded_but_reads_and_notices_are_not() {
        assert!(is_recorded(&Method::PUT, "/api/v1/groups/dev"));
        assert!(is_recorded(&Method::DELETE, "/api/v1/connections/3"));
        assert!(is_recorded(&Method::POST, "/api/v1/console-links"));
        assert!(!is_recorded(&Method::GET, "/api/v1/groups"));
        assert!(!is_recorded(&Method::POST, "/api/v1/events"));
        assert!(!is_recorded(&Method::POST, "/api/v1/events/batch"));
        assert!(!is_recorded(&Method::POST, "/api/v1/route-preview"));
    }
}
