//! The self-service pages: a member's own notification settings (`/me`) and a client's own
//! page (`/client`), opened through the settings links a product mints
//! (`POST /api/v1/{members,clients}/{id}/settings-links`) and embeddable in the product's own
//! frame when the tenant allows its origin. They share the console's templates, catalogues,
//! CSRF protection and stylesheet, without its navigation.

pub mod client;
pub mod member;
pub mod session;
pub mod shell;
pub mod test_notice;
pub mod view;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// `/me/...` and `/client/...`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(member::show))
        .route("/me/tools/{provider}", post(member::forms::save))
        .route(
            "/me/tools/{provider}/disconnect",
            post(member::forms::disconnect),
        )
        .route("/me/tools/{provider}/unlink", post(member::forms::unlink))
        .route("/me/preferences", post(member::matrix::save))
        .route("/me/test", post(member::tests::send))
        .route("/me/test/{event}", get(member::tests::fragment))
        .route("/client", get(client::show))
        .route("/client/chatwork", post(client::connect))
        .route("/client/chatwork/disconnect", post(client::disconnect))
}
