//! Decoding and reading the exported CSV into validated rows and per-line problems.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use super::headers::{self, ACCEPTED_ACCOUNT_HEADERS};

/// One usable row: a valid account ID plus what we can match a member on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvIdentity {
    /// 1-based line in the file where the row starts (the header is line 1).
    pub line: usize,
    /// Digits only, positive, without leading zeros.
    pub account_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Something wrong with one line, for the user to fix; `code` is stable for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvProblem {
    pub line: usize,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedCsv {
    /// `"utf-8"` or `"shift_jis"`.
    pub encoding: &'static str,
    pub rows: Vec<CsvIdentity>,
    /// Sorted by line; a line with a problem is not in `rows`.
    pub problems: Vec<CsvProblem>,
}

/// Errors that make the whole file unusable (row-level trouble is a [`CsvProblem`]).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CsvError {
    #[error("cannot read the file's text: {0}. Export it again from Chatwork, or save it from Excel as \"CSV UTF-8\" or \"CSV (Shift_JIS)\"")]
    Encoding(String),
    #[error("no account ID column: the header row needs `{}` (Japanese export) or `{}` (English export); found {}", ACCEPTED_ACCOUNT_HEADERS[0], ACCEPTED_ACCOUNT_HEADERS[1], quoted(.headers))]
    NoAccountColumn { headers: Vec<String> },
    #[error("the file is not valid CSV: {0}")]
    Malformed(String),
    #[error("the file is empty: upload the user list exported from Chatwork's admin settings")]
    Empty,
}

fn quoted(headers: &[String]) -> String {
    let list: Vec<String> = headers.iter().map(|h| format!("`{h}`")).collect();
    list.join(", ")
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// UTF-8 BOM → UTF-8; valid UTF-8 → UTF-8; otherwise Shift_JIS (Windows-31J, what Excel
/// saves on Japanese Windows; encoding_rs's SHIFT_JIS includes the NEC/IBM extensions).
fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), CsvError> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return std::str::from_utf8(rest)
            .map(|s| (Cow::Borrowed(s), "utf-8"))
            .map_err(|e| {
                CsvError::Encoding(format!(
                    "it starts with a UTF-8 marker but byte {} is not UTF-8",
                    e.valid_up_to() + UTF8_BOM.len() + 1
                ))
            });
    }
    // Excel's "Unicode text" is UTF-16; Shift_JIS would decode it into garbage headers.
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(CsvError::Encoding(
            "it is UTF-16, which is not supported".into(),
        ));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(s), "utf-8"));
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(CsvError::Encoding(
            "it is neither UTF-8 nor Shift_JIS".into(),
        ));
    }
    Ok((text, "shift_jis"))
}

fn malformed(e: csv::Error) -> CsvError {
    CsvError::Malformed(e.to_string())
}

/// Parses Chatwork's user-list export. Rows that are entirely blank (Excel leaves `,,,`
/// lines behind) are skipped silently; short rows are read as if the missing cells were empty.
pub fn parse_chatwork_users_csv(bytes: &[u8]) -> Result<ParsedCsv, CsvError> {
    let (text, encoding) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    // Headers are handled by hand so that every record keeps its own line number.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records.next().ok_or(CsvError::Empty)?.map_err(malformed)?;
    let header_names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let Some(columns) = headers::detect(&header_names) else {
        return Err(CsvError::NoAccountColumn {
            headers: header_names,
        });
    };

    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut lines = LineCounter::new(text.as_bytes());
    for record in records {
        let record = record.map_err(malformed)?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let start = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let line = lines.line_at(start);
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        match account_id(cell(Some(columns.account))) {
            Ok(account_id) => rows.push(CsvIdentity {
                line,
                account_id,
                name: cell(columns.name),
                email: cell(columns.email),
            }),
            Err((code, message)) => problems.push(CsvProblem {
                line,
                code,
                message,
            }),
        }
    }
    drop_duplicates(&mut rows, &mut problems);
    problems.sort_by_key(|p| p.line);
    Ok(ParsedCsv {
        encoding,
        rows,
        problems,
    })
}

/// Line numbers as a text editor shows them. csv's own `position().line()` does not count a
/// CRLF (Excel's line end) until after the next record starts, nor a lone CR at all.
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The line of the record that csv says starts at byte `start`; offsets only grow.
    fn line_at(&mut self, start: usize) -> usize {
        // csv's start offset may sit on the terminator of the previous line.
        let mut start = start.min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        for i in self.pos..start.max(self.pos) {
            let lone_cr = self.text[i] == b'\r' && self.text.get(i + 1) != Some(&b'\n');
            if self.text[i] == b'\n' || lone_cr {
                self.line += 1;
            }
        }
        self.pos = self.pos.max(start);
        self.line
    }
}

/// A positive integer that fits Chatwork's 64-bit IDs, canonicalised (`0123` → `123`) so a
/// zero-padded copy still counts as a duplicate.
fn account_id(raw: Option<String>) -> Result<String, (&'static str, String)> {
    let Some(raw) = raw else {
        return Err((
            "missing_account_id",
            "the account ID cell is empty; fill in the member's 識別ID / accountID".into(),
        ));
    };
    let valid = raw.bytes().all(|b| b.is_ascii_digit()) && raw.parse::<i64>().is_ok_and(|n| n > 0);
    if !valid {
        // Excel shows long numbers as `1.23E+07`; say so, since that is the usual cause.
        let hint = if raw.contains("E+") || raw.contains("e+") {
            " (Excel turned it into a number format; format the column as text)"
        } else {
            ""
        };
        return Err((
            "invalid_account_id",
            format!("account ID \"{raw}\" is not a positive number; use only its digits{hint}"),
        ));
    }
    Ok(raw.trim_start_matches('0').to_string())
}

/// The same account on several lines: we cannot tell which line is right, so every one of
/// them becomes a problem naming all the lines, and none is imported.
fn drop_duplicates(rows: &mut Vec<CsvIdentity>, problems: &mut Vec<CsvProblem>) {
    let mut lines: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for row in rows.iter() {
        lines
            .entry(row.account_id.clone())
            .or_default()
            .push(row.line);
    }
    rows.retain(|row| {
        let same = &lines[&row.account_id];
        if same.len() < 2 {
            return true;
        }
        problems.push(CsvProblem {
            line: row.line,
            code: "duplicate_account_id",
            message: format!(
                "account ID {} is on lines {}; keep only one of them",
                row.account_id,
                join_lines(same)
            ),
        });
        false
    });
}

/// `2 and 5`, `2, 5 and 7`.
pub(super) fn join_lines(lines: &[usize]) -> String {
    let text: Vec<String> = lines.iter().map(usize::to_string).collect();
    match text.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => text.join(""),
    }
}
