//! (Pages of this console section are being built; see issue 9.)

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
