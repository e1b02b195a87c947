//! Flows that run partly in a person's browser: Chatwork OAuth consent (scenarios 21, 24),
//! LINE Login linking (scenario 18), and the provider webhooks that call renkei back.

pub mod chatwork_oauth;
pub mod hooks;
pub mod line_link;

use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Owner;
use serde::Deserialize;
use serde_json::json;

use crate::pages::page;

/// An owner as stored in a flow's payload.
pub(crate) fn owner_json(owner: Owner) -> serde_json::Value {
    match owner {
        Owner::Tenant => json!({"kind": "tenant"}),
        Owner::Client(id) => json!({"kind": "client", "id": id}),
        Owner::Member(id) => json!({"kind": "member", "id": id}),
    }
}

pub(crate) fn owner_from_json(v: &serde_json::Value) -> Option<Owner> {
    match (v["kind"].as_str()?, v["id"].as_i64()) {
        ("tenant", _) => Some(Owner::Tenant),
        ("client", Some(id)) => Some(Owner::Client(id)),
        ("member", Some(id)) => Some(Owner::Member(id)),
        _ => None,
    }
}

/// What an OAuth2 provider (Chatwork, LINE Login) adds to the redirect back to renkei.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The page a browser flow ends on when renkei itself failed (the error is logged).
pub(crate) fn internal() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "エラーが発生しました",
        "内部エラーが発生しました。しばらくしてからやり直してください。",
        "Something went wrong",
        "An internal error occurred. Please try again later.",
    )
}
