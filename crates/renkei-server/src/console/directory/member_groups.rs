//! A member's groups in order (the first is the primary one): up, down, remove and add, each
//! a plain form button that saves at once through the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::href;
use super::identities::body_of;
use super::member::{find_member, member_changes, member_page, put, MemberForm};
use crate::console::page::{see_other, FieldError, Section};
use crate::console::session::ConsoleForm;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct GroupChange {
    /// `up`, `down`, `remove` or `add`.
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub group: String,
}

/// The order after `op` on `group`; `None` when the change makes no sense (unknown op, a
/// group the member is not in, or already there).
pub fn reorder(groups: &[String], op: &str, group: &str) -> Option<Vec<String>> {
    let mut out = groups.to_vec();
    let at = out.iter().position(|g| g == group);
    match (op, at) {
        ("up", Some(i)) if i > 0 => out.swap(i, i - 1),
        ("down", Some(i)) if i + 1 < out.len() => out.swap(i, i + 1),
        ("remove", Some(i)) => {
            out.remove(i);
        }
        ("add", None) if !group.trim().is_empty() => out.push(group.trim().to_string()),
        _ => return None,
    }
    Some(out)
}

pub async fn change(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ConsoleForm(console, change): ConsoleForm<GroupChange>,
) -> Response {
    let mut page = console.page(Section::Members, "dir-members-title");
    let (before, warns) = match find_member(&state, &console, &page, &ext).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let back = format!("{}?flash=dir-groups-saved#groups", href("members", &ext));
    let Some(groups) = reorder(&before.groups, &change.op, &change.group) else {
        // A stale button (the list changed in another tab): show the list as it is now.
        return see_other(&format!("{}#groups", href("members", &ext)));
    };
    let mut body = body_of(&before);
    body.groups = groups;
    match put(&state, &console, &ext, body).await {
        Ok(after) => {
            let detail = member_changes(&before, &after);
            console.audit(&state, "member.groups", &ext, &detail).await;
            see_other(&back)
        }
        Err(e) => {
            page.errors.push(FieldError {
                field: "add-group".into(),
                message: super::api_message(console.tr, &e),
            });
            let form = MemberForm::of(&before);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            member_page(&state, &console, page, (&before, &warns), form, status).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_move_and_the_first_is_the_primary() {
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let now = g(&["soumu", "dev", "sales"]);
        assert_eq!(
            reorder(&now, "up", "dev"),
            Some(g(&["dev", "soumu", "sales"]))
        );
        assert_eq!(
            reorder(&now, "down", "dev"),
            Some(g(&["soumu", "sales", "dev"]))
        );
        assert_eq!(reorder(&now, "remove", "soumu"), Some(g(&["dev", "sales"])));
        assert_eq!(
            reorder(&now, "add", "hr"),
            Some(g(&["soumu", "dev", "sales", "hr"]))
        );
        assert_eq!(reorder(&now, "up", "soumu"), None);
        assert_eq!(reorder(&now, "down", "sales"), None);
        assert_eq!(reorder(&now, "add", "dev"), None);
        assert_eq!(reorder(&now, "remove", "ghost"), None);
        assert_eq!(reorder(&now, "jump", "dev"), None);
    }
}
