//! Flows that run partly in a person's browser: Chatwork OAuth consent (scenarios 21, 24),
//! LINE Login linking (scenario 18), and the provider webhooks that call renkei back.

pub mod chatwork_oauth;
pub mod hooks;
pub mod line_link;

use renkei_core::model::Owner;
use serde_json::json;

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
