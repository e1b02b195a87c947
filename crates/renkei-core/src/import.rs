//! Importing Chatwork account IDs from the user list a Chatwork admin exports
//! (管理者設定 → ユーザーリスト → CSVエクスポート), then matching each row to a renkei member.
//!
//! Two pure steps, so the server can show a preview before it writes anything:
//! [`parse_chatwork_users_csv`] turns the uploaded bytes into validated rows plus per-line
//! problems, and [`match_members`] says, per CSV line, which member would be linked, which is
//! already linked, and which line needs fixing.

mod headers;
mod matching;
mod parse;

#[cfg(test)]
mod matching_tests;
#[cfg(test)]
mod parse_tests;

pub use matching::{match_members, MatchOutcome, MemberRef};
pub use parse::{parse_chatwork_users_csv, CsvError, CsvIdentity, CsvProblem, ParsedCsv};
