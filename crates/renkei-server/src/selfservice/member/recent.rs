//! The member's latest notices: what reached them, through which tool, and what did not and
//! why. Only deliveries made for this member are read (never another person's).

use super::tests::{reason_text, status_label};
use crate::console::page::Page;
use crate::selfservice::session::MemberSession;
use crate::selfservice::test_notice::TEST_KIND;
use crate::AppState;

const SHOWN: i64 = 20;

pub struct RecentRow {
    pub at: i64,
    pub title: String,
    pub is_test: bool,
    pub tool: String,
    pub status: String,
    pub label: String,
    pub reason: Option<String>,
}

pub async fn rows(
    state: &AppState,
    me: &MemberSession,
    page: &Page,
) -> Result<Vec<RecentRow>, renkei_store::StoreError> {
    let target = format!("member:{}", me.member.external_id);
    let rows = state
        .store
        .deliveries_for_target(me.ss.tenant.id, &target, SHOWN)
        .await?;
    Ok(rows
        .into_iter()
        .map(|d| RecentRow {
            at: d.created_at,
            is_test: d.kind == TEST_KIND,
            title: d.title,
            tool: d.provider.map_or_else(
                || page.t("ss-recent-no-tool"),
                |p| p.display_name().to_string(),
            ),
            label: status_label(page, &d.status),
            reason: (d.status != "delivered")
                .then(|| reason_text(page, d.reason_code.as_deref(), d.reason.as_deref()))
                .flatten(),
            status: d.status,
        })
        .collect())
}
