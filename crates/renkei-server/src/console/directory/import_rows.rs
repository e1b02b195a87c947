//! The rows of an import preview: every line of the file with what becomes of it, and the
//! digest of the changes a run would make (apply checks it against the preview's).

use std::collections::HashMap;

use renkei_core::import::{parse_chatwork_users_csv, MatchOutcome};
use renkei_core::model::Provider;
use sha2::{Digest, Sha256};

use super::href;
use crate::api::imports::ImportReport;
use crate::console::session::Console;
use crate::AppState;

/// One line of the file in the preview.
pub struct PreviewRow {
    pub line: usize,
    /// `new`, `changed`, `unchanged` or `problem`.
    pub kind: &'static str,
    /// Who the row names in the file (name / e-mail), when it could be read.
    pub who: String,
    /// The member it matched: (name, link).
    pub member: Option<(String, String)>,
    pub account: String,
    pub previous: Option<String>,
    /// Problems: what to fix, in the page's language, and the API's exact words.
    pub reason: String,
    pub detail: String,
}

/// A digest of the links a run would make: apply goes ahead only if it matches the preview's.
pub(super) fn plan_of(report: &ImportReport) -> String {
    let mut hash = Sha256::new();
    for o in &report.rows {
        if let MatchOutcome::Link {
            external_id,
            account_id,
            ..
        } = o
        {
            hash.update(format!("{external_id}\t{account_id}\n").as_bytes());
        }
    }
    hex::encode(hash.finalize())
}

/// Every line of the file: the matched rows and the problems, by line.
pub(super) async fn preview_rows(
    state: &AppState,
    console: &Console,
    csv: &[u8],
    report: &ImportReport,
) -> Result<Vec<PreviewRow>, renkei_store::StoreError> {
    let tr = console.tr;
    let members: HashMap<String, String> = state
        .store
        .member_refs(console.tenant.id, Provider::Chatwork)
        .await?
        .into_iter()
        .map(|(ext, name, ..)| (ext, name))
        .collect();
    let who: HashMap<usize, String> = parse_chatwork_users_csv(csv)
        .map(|parsed| {
            parsed
                .rows
                .into_iter()
                .map(|r| {
                    let parts: Vec<String> = [r.name, r.email].into_iter().flatten().collect();
                    (r.line, parts.join(" / "))
                })
                .collect()
        })
        .unwrap_or_default();
    let member = |ext: &str| {
        Some((
            members.get(ext).cloned().unwrap_or_else(|| ext.to_string()),
            href("members", ext),
        ))
    };
    let mut rows: Vec<PreviewRow> = report
        .rows
        .iter()
        .map(|o| {
            let line = o.line();
            let mut row = PreviewRow {
                line,
                kind: "problem",
                who: who.get(&line).cloned().unwrap_or_default(),
                member: None,
                account: String::new(),
                previous: None,
                reason: String::new(),
                detail: String::new(),
            };
            match o {
                MatchOutcome::Link {
                    external_id,
                    account_id,
                    previous,
                    ..
                } => {
                    row.kind = if previous.is_some() { "changed" } else { "new" };
                    row.member = member(external_id);
                    row.account = account_id.clone();
                    row.previous = previous.clone();
                }
                MatchOutcome::Unchanged {
                    external_id,
                    account_id,
                    ..
                } => {
                    row.kind = "unchanged";
                    row.member = member(external_id);
                    row.account = account_id.clone();
                }
                MatchOutcome::Problem(_) => {}
            }
            row
        })
        .collect();
    // Problems: those of matching are rows already; those of reading the file are not.
    for p in &report.problems {
        // In English the API's own sentence says it all; in Japanese it follows the reason.
        let reason = match tr.lang {
            crate::pages::Lang::En => String::new(),
            crate::pages::Lang::Ja => tr
                .maybe(&format!("dir-import-problem-{}", p.code))
                .unwrap_or_default(),
        };
        match rows
            .iter_mut()
            .find(|r| r.line == p.line && r.kind == "problem")
        {
            Some(row) => {
                row.reason = reason;
                row.detail = p.message.clone();
            }
            None => rows.push(PreviewRow {
                line: p.line,
                kind: "problem",
                who: who.get(&p.line).cloned().unwrap_or_default(),
                member: None,
                account: String::new(),
                previous: None,
                reason,
                detail: p.message.clone(),
            }),
        }
    }
    rows.sort_by_key(|r| r.line);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_changes_with_the_links_only() {
        let report = |rows: Vec<MatchOutcome>| ImportReport {
            applied: false,
            encoding: "utf-8",
            linked: 0,
            unchanged: 0,
            problems: vec![],
            rows,
        };
        let link = |ext: &str, account: &str| MatchOutcome::Link {
            line: 2,
            external_id: ext.into(),
            account_id: account.into(),
            matched_by: "email",
            previous: None,
        };
        let unchanged = MatchOutcome::Unchanged {
            line: 3,
            external_id: "sato".into(),
            account_id: "3001".into(),
        };
        let a = plan_of(&report(vec![link("yamada", "2001")]));
        assert_eq!(a, plan_of(&report(vec![link("yamada", "2001"), unchanged])));
        assert_ne!(a, plan_of(&report(vec![link("yamada", "2002")])));
        assert_ne!(a, plan_of(&report(vec![link("tanaka", "2001")])));
        assert_ne!(a, plan_of(&report(vec![])));
    }
}
