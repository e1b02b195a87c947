//! The browser side of renkei: the tenant administrator's console (`/console/...`), the
//! pages around it (`/`, sign-in links, the language switch), their static assets, and the
//! member and client self-service pages (`crate::selfservice`).
//!
//! Pages are server-rendered askama templates with the words in Fluent catalogues
//! (`locales/`). Every change a page makes goes through the same functions as the JSON API.

pub mod assets;
pub mod audit;
pub mod bulk;
pub mod connections;
pub mod directory;
pub mod event_types;
pub mod home;
pub mod i18n;
pub mod landing;
pub mod log;
pub mod page;
pub mod preview;
pub mod session;
pub mod settings;
pub mod why;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// Every browser route: `/`, `/enter/{token}`, `/lang/{code}`, `/assets/...`, `/console/...`.
pub fn routes() -> Router<AppState> {
    let console = Router::new()
        .route("/", get(home::show))
        .route("/sign-out", post(session::sign_out))
        .merge(settings::routes())
        .merge(audit::routes())
        .merge(connections::routes())
        .merge(directory::routes())
        .merge(event_types::routes())
        .merge(bulk::routes())
        .merge(log::routes())
        .merge(preview::routes());
    Router::new()
        .route("/", get(landing::root))
        .route("/enter/{token}", get(landing::enter))
        .route("/lang/{code}", get(landing::switch_lang))
        .route("/assets/{file}", get(assets::serve))
        .nest("/console", console)
        .merge(crate::selfservice::routes())
        .layer(axum::middleware::from_fn(security_headers))
}

/// The browser pages' protections, unless a page set its own (the self-service pages allow
/// framing by the tenant's own origins): scripts and styles only from renkei itself (no
/// inline script), no framing, no MIME sniffing, no caching of pages that show settings.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let defaults = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
