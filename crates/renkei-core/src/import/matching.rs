//! Matching parsed CSV rows to renkei members, to preview what an import would change.
//!
//! Rules, per CSV line, in line order:
//! - A row matches by e-mail first (trimmed, case-insensitive), else by name. Names compare
//!   after removing all whitespace (ASCII and the full-width space U+3000) and lower-casing,
//!   so `山田 太郎`, `山田　太郎` and `山田太郎` are one name. There is no width folding:
//!   `ＴＡＲＯ` and `TARO` differ.
//! - `member_matched_twice`: when several lines match one member, all of them are problems,
//!   since we cannot tell which is right (even if one of them would be `Unchanged`).
//! - `account_taken`: the account is already the current account of another member. That
//!   member must be unlinked first; an import never moves an account between members.
//! - Two lines with one account ID are `duplicate_account_id` (the parser already drops them;
//!   this guards callers that build rows another way).

use std::collections::HashMap;

use serde::Serialize;

use super::parse::join_lines;
use super::{CsvIdentity, CsvProblem};

/// What the import needs to know about an existing member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub external_id: String,
    pub name: String,
    pub email: Option<String>,
    pub current_account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MatchOutcome {
    /// Set the member's Chatwork account; `previous` is the account it replaces, if any.
    Link {
        line: usize,
        external_id: String,
        account_id: String,
        /// `"email"` or `"name"`.
        matched_by: &'static str,
        previous: Option<String>,
    },
    /// The member already has this account.
    Unchanged {
        line: usize,
        external_id: String,
        account_id: String,
    },
    Problem(CsvProblem),
}

impl MatchOutcome {
    pub fn line(&self) -> usize {
        match self {
            Self::Link { line, .. } | Self::Unchanged { line, .. } => *line,
            Self::Problem(p) => p.line,
        }
    }
}

fn norm_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn norm_name(name: &str) -> String {
    // char::is_whitespace covers U+3000 (IDEOGRAPHIC SPACE).
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn current(member: &MemberRef) -> Option<&str> {
    member
        .current_account_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn problem(line: usize, code: &'static str, message: String) -> CsvProblem {
    CsvProblem {
        line,
        code,
        message,
    }
}

/// Members whose normalised key equals `key` (never matches an empty key).
fn hits(
    members: &[MemberRef],
    key: &str,
    key_of: impl Fn(&MemberRef) -> Option<String>,
) -> Vec<usize> {
    if key.is_empty() {
        return Vec::new();
    }
    (0..members.len())
        .filter(|&i| key_of(&members[i]).as_deref() == Some(key))
        .collect()
}

fn ids(members: &[MemberRef], idx: &[usize]) -> String {
    let list: Vec<&str> = idx
        .iter()
        .map(|&i| members[i].external_id.as_str())
        .collect();
    list.join(", ")
}

/// The member a row designates (index, how), or why there is none.
fn find(row: &CsvIdentity, members: &[MemberRef]) -> Result<(usize, &'static str), CsvProblem> {
    let email = row.email.as_deref().map(norm_email).unwrap_or_default();
    let by_email = hits(members, &email, |m| m.email.as_deref().map(norm_email));
    match by_email[..] {
        [one] => return Ok((one, "email")),
        [] => {}
        _ => {
            return Err(problem(
                row.line,
                "ambiguous_email",
                format!(
                    "members {} share the e-mail {email}; give each member its own e-mail",
                    ids(members, &by_email)
                ),
            ))
        }
    }
    let name = row.name.as_deref().map(norm_name).unwrap_or_default();
    let by_name = hits(members, &name, |m| Some(norm_name(&m.name)));
    match by_name[..] {
        [one] => Ok((one, "name")),
        [] => {
            let tried = match (row.email.as_deref(), row.name.as_deref()) {
                (Some(e), Some(n)) => format!("e-mail {e} or name {n}"),
                (Some(e), None) => format!("e-mail {e}"),
                (None, Some(n)) => format!("name {n}"),
                (None, None) => {
                    return Err(problem(
                        row.line,
                        "no_member",
                        "the row has no e-mail or name to match a member on; fill one in".into(),
                    ))
                }
            };
            Err(problem(
                row.line,
                "no_member",
                format!("no member has {tried}; add the member or fix the row"),
            ))
        }
        _ => Err(problem(
            row.line,
            "ambiguous_name",
            format!(
                "members {} are all named {}; add their e-mails to the members or the CSV",
                ids(members, &by_name),
                row.name.as_deref().unwrap_or_default()
            ),
        )),
    }
}

/// One outcome per row, in CSV line order. See the module docs for the rules.
pub fn match_members(rows: &[CsvIdentity], members: &[MemberRef]) -> Vec<MatchOutcome> {
    let mut rows: Vec<&CsvIdentity> = rows.iter().collect();
    rows.sort_by_key(|r| r.line);
    let found: Vec<_> = rows.iter().map(|row| find(row, members)).collect();

    // Lines per member and per account, to spot the many-to-one cases.
    let mut lines_by_member: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut lines_by_account: HashMap<&str, Vec<usize>> = HashMap::new();
    for (row, found) in rows.iter().zip(&found) {
        if let Ok((m, _)) = found {
            lines_by_member.entry(*m).or_default().push(row.line);
        }
        lines_by_account
            .entry(row.account_id.as_str())
            .or_default()
            .push(row.line);
    }

    rows.iter()
        .zip(found)
        .map(|(row, found)| {
            let same_account = &lines_by_account[row.account_id.as_str()];
            if same_account.len() > 1 {
                return MatchOutcome::Problem(problem(
                    row.line,
                    "duplicate_account_id",
                    format!(
                        "account ID {} is on lines {}; keep only one of them",
                        row.account_id,
                        join_lines(same_account)
                    ),
                ));
            }
            let (m, matched_by) = match found {
                Ok(hit) => hit,
                Err(p) => return MatchOutcome::Problem(p),
            };
            let member = &members[m];
            let same_member = &lines_by_member[&m];
            if same_member.len() > 1 {
                return MatchOutcome::Problem(problem(
                    row.line,
                    "member_matched_twice",
                    format!(
                        "lines {} all match member {} ({}); keep only the right one",
                        join_lines(same_member),
                        member.external_id,
                        member.name
                    ),
                ));
            }
            if current(member) == Some(row.account_id.as_str()) {
                return MatchOutcome::Unchanged {
                    line: row.line,
                    external_id: member.external_id.clone(),
                    account_id: row.account_id.clone(),
                };
            }
            let owner = members.iter().find(|o| {
                o.external_id != member.external_id && current(o) == Some(row.account_id.as_str())
            });
            if let Some(owner) = owner {
                return MatchOutcome::Problem(problem(
                    row.line,
                    "account_taken",
                    format!(
                        "account ID {} already belongs to member {} ({}); unlink it there first",
                        row.account_id, owner.external_id, owner.name
                    ),
                ));
            }
            MatchOutcome::Link {
                line: row.line,
                external_id: member.external_id.clone(),
                account_id: row.account_id.clone(),
                matched_by,
                previous: current(member).map(str::to_string),
            }
        })
        .collect()
}
