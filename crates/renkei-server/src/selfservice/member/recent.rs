//! The member's latest notices: what reached them, through which tool, and what did not and
//! why. Only deliveries made for this member are read (never another person's).

use super::tests::{reason_text, status_label};
use crate::console::page::Page;
use crate::selfservice::session::MemberSession;
use crate::selfservice::test_notice::TEST_KIND;
use crate::AppState;

/// Notices shown, and the deliveries read to find them (a notice has one per tool).
const NOTICES: usize = 10;
const DELIVERIES_READ: i64 = 80;

/// One notice with how it went on each tool.
pub struct RecentRow {
    pub at: i64,
    pub title: String,
    pub is_test: bool,
    pub tools: Vec<ToolOutcome>,
}

pub struct ToolOutcome {
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
    let deliveries = state
        .store
        .deliveries_for_target(me.ss.tenant.id, &target, DELIVERIES_READ)
        .await?;
    let mut rows: Vec<(i64, RecentRow)> = Vec::new();
    for d in deliveries {
        let outcome = ToolOutcome {
            tool: match (d.provider, &d.room) {
                (None, _) => page.t("ss-recent-no-tool"),
                (Some(p), Some(room)) if renkei_core::routing::direct_account(room).is_some() => {
                    page.tw("ss-recent-direct", "tool", p.display_name())
                }
                (Some(p), _) => p.display_name().to_string(),
            },
            label: status_label(page, &d.status),
            reason: (d.status != "delivered")
                .then(|| reason_text(page, d.reason_code.as_deref(), d.reason.as_deref()))
                .flatten(),
            status: d.status,
        };
        let same_notice = rows.last().is_some_and(|(event, _)| *event == d.event_id);
        if same_notice {
            if let Some((_, row)) = rows.last_mut() {
                row.tools.push(outcome);
            }
            continue;
        }
        if rows.len() == NOTICES {
            break;
        }
        rows.push((
            d.event_id,
            RecentRow {
                at: d.created_at,
                is_test: d.kind == TEST_KIND,
                title: d.title,
                tools: vec![outcome],
            },
        ));
    }
    // Oldest delivery first within a notice reads as the order they were planned.
    let mut rows: Vec<RecentRow> = rows.into_iter().map(|(_, r)| r).collect();
    for r in &mut rows {
        r.tools.reverse();
    }
    Ok(rows)
}
