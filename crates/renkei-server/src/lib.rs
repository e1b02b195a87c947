//! renkei's HTTP surface: the v1 REST API (JSON, Bearer API key, tenant-scoped), health,
//! and the OpenAPI document generated from the handlers.

pub mod api;
pub mod api_audit;
pub mod auth;
pub mod auth_throttle;
pub mod console;
pub mod error;
pub mod flows;
pub mod http_errors;
pub mod intake;
pub mod openapi;
pub mod pages;
pub mod selfservice;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use parking_lot::Mutex;
use renkei_providers::Registry;
use renkei_store::tenants::Tenant;
use renkei_store::Store;
use renkei_worker::Dispatcher;
use tower_http::trace::TraceLayer;

/// API keys (by hash) → their tenant, with when the key was last checked.
pub(crate) type KeyCache = HashMap<String, (Arc<Tenant>, std::time::Instant)>;

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub dispatcher: Arc<Dispatcher>,
    /// Every provider: verifies credentials when a connection is made, and serves the
    /// calls made on an owner's behalf (rooms, contacts, OAuth, LINE Login).
    pub providers: Registry,
    /// How renkei is reached from outside (OAuth redirect URIs, link pages).
    pub public_url: Arc<str>,
    pub intake: intake::Intake,
    /// Verifies confirmation links (the worker signs them with the same key).
    pub links: renkei_store::links::LinkSigner,
    /// API keys checked lately (by hash), with when.
    pub(crate) tenants: Arc<Mutex<KeyCache>>,
    /// The most deliveries one request (an event, or a whole batch) may make.
    pub max_deliveries: usize,
    /// When set, `GET /metrics` asks for it as a Bearer token.
    pub metrics_token: Option<String>,
    /// Refused API keys per client address.
    pub(crate) auth_throttle: Arc<auth_throttle::AuthThrottle>,
}

/// Default for [`AppState::max_deliveries`] (`RENKEI_MAX_DELIVERIES_PER_REQUEST`).
pub const DEFAULT_MAX_DELIVERIES: usize = 100_000;

impl AppState {
    pub fn new(
        store: Store,
        dispatcher: Arc<Dispatcher>,
        providers: Registry,
        links: renkei_store::links::LinkSigner,
        public_url: &str,
    ) -> Self {
        let intake = intake::Intake::start(store.clone(), dispatcher.metrics().clone());
        AppState {
            store,
            dispatcher,
            providers,
            public_url: public_url.trim_end_matches('/').into(),
            intake,
            links,
            tenants: Arc::default(),
            max_deliveries: DEFAULT_MAX_DELIVERIES,
            metrics_token: None,
            auth_throttle: Arc::default(),
        }
    }

    /// Wakes the lanes of connections that got new deliveries: here, or on whichever node
    /// holds them (PostgreSQL NOTIFY), so they need not wait for their periodic check.
    pub async fn wake_lanes(&self, connections: &[i64]) -> Result<(), renkei_store::StoreError> {
        let elsewhere = self.dispatcher.wake(connections);
        self.store
            .signal_lanes(renkei_store::signals::LaneSignal::Wake, &elsewhere)
            .await
    }
}

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/clients", get(api::lists::clients))
        .route(
            "/clients/{external_id}",
            put(api::directory::put_client)
                .get(api::lists::client)
                .delete(api::removal::delete_client),
        )
        .route("/groups", get(api::lists::groups))
        .route(
            "/groups/{external_id}",
            put(api::directory::put_group)
                .get(api::lists::group)
                .delete(api::removal::delete_group),
        )
        .route("/members", get(api::lists::members))
        .route(
            "/members/{external_id}",
            put(api::directory::put_member)
                .get(api::directory::get_member)
                .delete(api::removal::delete_member),
        )
        .route(
            "/members/{external_id}/preferences",
            put(api::directory::put_preferences).get(api::directory::get_preferences),
        )
        .route(
            "/settings",
            put(api::settings::put_settings).get(api::settings::get_settings),
        )
        .route("/route-preview", post(api::preview::preview))
        .route("/bulk-sends", post(api::bulk::create))
        .route("/bulk-sends/{id}", get(api::bulk::show))
        .route("/bulk-sends/{id}/cancel", post(api::bulk::cancel))
        .route("/identity-imports/chatwork", post(api::imports::chatwork))
        .route("/connections/{id}/rooms", get(api::chatwork::rooms))
        .route("/connections/{id}/contacts", get(api::chatwork::contacts))
        .route(
            "/connections/{id}/contact-requests",
            get(api::chatwork::contact_requests),
        )
        .route(
            "/connections/{id}/contact-requests/{request_id}/approve",
            post(api::chatwork::approve_contact_request),
        )
        .route("/event-types", get(api::lists::event_types))
        .route(
            "/event-types/{key}",
            put(api::directory::put_event_type)
                .get(api::lists::event_type)
                .delete(api::removal::delete_event_type),
        )
        .route(
            "/connections",
            post(api::connections::create).get(api::connections::list),
        )
        .route(
            "/connections/{id}",
            get(api::connections::show)
                .delete(api::connections::delete)
                .patch(api::connections::patch),
        )
        .route(
            "/oauth-clients/chatwork",
            get(flows::chatwork_oauth::get_client).put(flows::chatwork_oauth::put_client),
        )
        .route(
            "/oauth/chatwork/authorize",
            post(flows::chatwork_oauth::authorize),
        )
        .route("/members/{external_id}/absences", get(api::absences::list))
        .route(
            "/members/{external_id}/absences/{absence_id}",
            put(api::absences::put).delete(api::absences::delete),
        )
        .route(
            "/connections/{id}/inbound-secret",
            put(api::inbound::put_inbound_secret),
        )
        .route("/connections/{id}/followers", get(api::inbound::followers))
        .route(
            "/members/{external_id}/link-pages/line",
            post(flows::line_link::create_page),
        )
        .route("/providers", get(api::providers::list))
        .route("/console-links", post(api::web_links::console_link))
        .route(
            "/members/{external_id}/settings-links",
            post(api::web_links::member_settings_link),
        )
        .route(
            "/clients/{external_id}/settings-links",
            post(api::web_links::client_settings_link),
        )
        .route(
            "/members/{external_id}/identities/{provider}",
            put(api::member_tools::put_identity).delete(api::member_tools::delete_identity),
        )
        .route(
            "/members/{external_id}/test-notices",
            post(api::member_tools::test_notice),
        )
        .route(
            "/events",
            post(api::events::create).get(api::event_log::list),
        )
        .route("/events/batch", post(api::events::create_batch))
        .route("/events/{id}", get(api::events::show))
        .route(
            "/deliveries/{id}/resend",
            post(api::resend::resend_delivery),
        )
        .route(
            "/connections/{id}/resend-failed",
            post(api::resend::resend_failed),
        )
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api_audit::record,
        ));
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics::metrics))
        .route("/api/openapi.json", get(openapi::serve))
        .route(
            "/c/{token}",
            get(api::links::open).post(api::links::confirm),
        )
        .route("/link/line/callback", get(flows::line_link::callback))
        .route("/link/line/{token}", get(flows::line_link::show_page))
        .route("/link/line/{token}/start", get(flows::line_link::start))
        .route(
            "/hooks/{provider}/{connection}",
            post(flows::hooks::receive),
        )
        .route(
            "/oauth/chatwork/callback",
            get(flows::chatwork_oauth::callback),
        )
        .nest("/api/v1", v1)
        .merge(console::routes())
        // Body extractors enforce this limit (413 through `ApiError`); a layer that cut the
        // body stream instead surfaced as 422 or plain text.
        .layer(DefaultBodyLimit::max(http_errors::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(http_errors::json_errors))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The request's span: method and path only. Queries carry OAuth codes and webhook
/// signatures, and link paths carry signed tokens, so neither is logged.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()))
}

fn loggable_path(path: &str) -> String {
    for prefix in ["/c/", "/link/line/", "/enter/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = if rest == "callback" { rest } else { "…" };
            return format!("{prefix}{tail}");
        }
    }
    path.to_string()
}

/// Serves until `shutdown` resolves, then drains open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address throttles failed API-key checks per client.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn logged_paths_hide_link_tokens() {
        assert_eq!(super::loggable_path("/c/12.345.sig"), "/c/…");
        assert_eq!(
            super::loggable_path("/link/line/1.2.3.sig/start"),
            "/link/line/…"
        );
        assert_eq!(
            super::loggable_path("/link/line/callback"),
            "/link/line/callback"
        );
        assert_eq!(super::loggable_path("/api/v1/events/3"), "/api/v1/events/3");
    }
}
