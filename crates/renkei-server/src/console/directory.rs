//! The directory: clients (顧問先, Cells Drive levels 3 and 4), the group tree with each
//! group's effective room (ACALL グループの ROOM ID), members with their identities and group
//! order (HiManager scenario 22), and the Chatwork user-list CSV import.
//!
//! Every change goes through the API's own handlers (`crate::api::directory`, `removal`,
//! `imports`), so the pages refuse exactly what the API refuses, with its reasons.

mod clients;
mod contacts;
mod groups;
mod identities;
mod import;
mod import_rows;
mod member;
mod member_groups;
mod members;
mod rooms;
mod tree;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use renkei_core::model::{Owner, Provider};
use renkei_store::connections::Connection;
use renkei_store::removal::Removal;
use serde::Deserialize;

use super::i18n::Tr;
use super::page::{list_href, path_segment, render, Page};
use crate::error::ApiError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{ext}", get(clients::show).post(clients::save))
        .route(
            "/clients/{ext}/delete",
            get(clients::confirm_delete).post(clients::delete),
        )
        .route("/groups", get(groups::list).post(groups::create))
        .route("/groups/{ext}", get(groups::show).post(groups::save))
        .route(
            "/groups/{ext}/delete",
            get(groups::confirm_delete).post(groups::delete),
        )
        .route("/members", get(members::list).post(members::create))
        .route("/members/import", get(import::form).post(import::preview))
        .route("/members/import/apply", post(import::apply))
        .route("/members/{ext}", get(member::show).post(member::save))
        .route("/members/{ext}/groups", post(member_groups::change))
        .route(
            "/members/{ext}/chatwork-contacts",
            get(contacts::show).post(contacts::pick),
        )
        .route(
            "/members/{ext}/delete",
            get(members::confirm_delete).post(members::delete),
        )
}

/// The tools a room can be chosen for (the others post where their webhook was made, or to
/// people only).
pub const ROOM_TOOLS: [Provider; 3] = [Provider::Chatwork, Provider::Slack, Provider::LineWorks];

/// The tenant's own (not a client's or member's) live connections.
pub(crate) async fn tenant_connections(
    state: &AppState,
    tenant: i64,
) -> Result<Vec<Connection>, ApiError> {
    Ok(state
        .store
        .connections(tenant)
        .await?
        .into_iter()
        .filter(|c| c.owner == Owner::Tenant)
        .collect())
}

/// The room tools to show as columns: those the tenant is connected to, or that any row sets
/// a room for; Chatwork when there is none yet (the seeds' first tool).
pub(crate) fn room_columns<'a>(
    connections: &[Connection],
    rooms: impl Iterator<Item = &'a renkei_store::directory::Rooms>,
) -> Vec<Provider> {
    let mut used: Vec<Provider> = connections.iter().map(|c| c.provider).collect();
    for r in rooms {
        used.extend(r.keys().copied());
    }
    let columns: Vec<Provider> = ROOM_TOOLS
        .into_iter()
        .filter(|p| used.contains(p))
        .collect();
    if columns.is_empty() {
        vec![Provider::Chatwork]
    } else {
        columns
    }
}

/// The link to one object's page: its external ID as one path segment. `import` under
/// `/console/members/` is the CSV import's own page, so that ID is written with an escaped
/// letter (the router compares the raw path, the page reads it decoded).
pub(crate) fn href(section: &str, ext: &str) -> String {
    let segment = path_segment(ext);
    let segment = if segment == "import" {
        "%69mport".to_string()
    } else {
        segment
    };
    format!("/console/{section}/{segment}")
}

/// A query parameter value, percent-encoded.
pub(crate) use super::page::query_value as q;

/// An API error in the page's language: `dir-err-<code>` when this section words it, else the
/// API's own message (which says what to fix, in English).
pub(crate) fn api_message(tr: Tr, e: &ApiError) -> String {
    tr.maybe(&format!("dir-err-{}", e.code))
        .unwrap_or_else(|| e.message.clone())
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage {
    page: Page,
    paragraphs: Vec<String>,
}

/// 404: another tenant's ID looks exactly like one that never existed.
pub(crate) fn not_found(page: &Page, what_key: &str) -> Response {
    let mut page = page.clone();
    page.title = page.t("dir-not-found-title");
    let paragraphs = vec![page.t(what_key)];
    render(StatusCode::NOT_FOUND, &MessagePage { page, paragraphs })
}

#[derive(Template)]
#[template(path = "console/directory/confirm.html")]
pub(crate) struct ConfirmPage {
    pub page: Page,
    /// What happens, one consequence a line.
    pub consequences: Vec<String>,
    /// Why it cannot be deleted now (the button is not offered).
    pub blockers: Vec<String>,
    /// Links that help with the blockers (the sub-groups to move or delete first).
    pub links: Vec<(String, String)>,
    pub action: String,
    pub back: String,
}

/// What a deletion did, carried to the list page after the redirect (so that reloading the
/// list does not delete again) and shown there as its flash.
#[derive(Debug, Default, Deserialize)]
pub struct DeletedNote {
    /// The deleted object's name.
    pub deleted: Option<String>,
    #[serde(default)]
    pub cancelled: u64,
    #[serde(default)]
    pub connections: u64,
    #[serde(default)]
    pub detached: u64,
}

impl DeletedNote {
    /// The list's address with the note of `removal` for the object called `name`.
    pub fn location(list: &str, name: &str, removal: &Removal) -> String {
        format!(
            "{list}?deleted={}&cancelled={}&connections={}&detached={}",
            q(name),
            removal.cancelled_deliveries,
            removal.deleted_connections.len(),
            removal.detached_members
        )
    }

    /// The flash sentence (`dir-deleted-<kind>`), when the list was reached after a deletion.
    pub fn flash(&self, tr: Tr, kind: &str) -> Option<String> {
        let name = self.deleted.as_deref()?;
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("name", name.to_string());
        args.set("cancelled", self.cancelled);
        args.set("connections", self.connections);
        args.set("detached", self.detached);
        Some(tr.format_args(&format!("dir-deleted-{kind}"), &args))
    }
}

/// The audit detail of a deletion: what became of the pending deliveries and connections.
pub(crate) fn removal_detail(removal: &Removal) -> String {
    let conns: Vec<String> = removal
        .deleted_connections
        .iter()
        .map(|c| format!("{} #{}", c.provider, c.id))
        .collect();
    let mut detail = format!(
        "cancelled {} pending deliveries",
        removal.cancelled_deliveries
    );
    if !conns.is_empty() {
        detail.push_str(&format!("; deleted connections {}", conns.join(", ")));
    }
    detail
}

/// A paging link: this list's address with its filters and `after`.
pub(crate) fn page_href(path: &str, params: &[(&str, &str)], after: Option<&str>) -> String {
    let mut all = params.to_vec();
    all.extend(after.map(|a| ("after", a)));
    list_href(path, &all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;

    #[test]
    fn object_links_are_one_segment_and_never_the_import_page() {
        assert_eq!(href("members", "yamada"), "/console/members/yamada");
        assert_eq!(
            href("groups", "開発/一課"),
            "/console/groups/%E9%96%8B%E7%99%BA%2F%E4%B8%80%E8%AA%B2"
        );
        assert_eq!(href("members", "import"), "/console/members/%69mport");
    }

    #[test]
    fn a_deletion_note_survives_the_redirect() {
        let removal = Removal {
            deleted: true,
            cancelled_deliveries: 3,
            deleted_connections: vec![],
            detached_members: 2,
            removed_preferences: 0,
            note: String::new(),
            lanes_to_resync: vec![],
        };
        let at = DeletedNote::location("/console/clients", "青空 商事", &removal);
        assert_eq!(
            at,
            "/console/clients?deleted=%E9%9D%92%E7%A9%BA+%E5%95%86%E4%BA%8B&cancelled=3&connections=0&detached=2"
        );
        let query = at.split_once('?').unwrap().1;
        let note: DeletedNote = serde_html_form::from_str(query).unwrap();
        let en = note.flash(Tr::new(Lang::En), "client").unwrap();
        assert!(en.contains("青空 商事"), "{en}");
        assert!(en.contains("Pending notifications cancelled: 3"), "{en}");
        let ja = note.flash(Tr::new(Lang::Ja), "client").unwrap();
        assert!(ja.contains("3 件"), "{ja}");
        assert!(DeletedNote::default()
            .flash(Tr::new(Lang::Ja), "client")
            .is_none());
    }

    #[test]
    fn paging_links_keep_the_filters() {
        assert_eq!(
            page_href(
                "/console/members",
                &[("q", "山田"), ("group", "")],
                Some("m 9")
            ),
            "/console/members?q=%E5%B1%B1%E7%94%B0&after=m+9"
        );
        assert_eq!(page_href("/console/members", &[], None), "/console/members");
    }
}
