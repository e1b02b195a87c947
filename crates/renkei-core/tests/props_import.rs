//! Properties of the Chatwork user-list CSV import (`renkei_core::import`): any bytes are
//! read without a panic; in a generated export every data row comes out exactly once, as a
//! row or as a problem, on the line an editor shows; Shift_JIS, UTF-8 and UTF-8 with a BOM
//! read alike; and the preview gives every row one outcome without linking an account or a
//! member twice.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use renkei_core::import::{
    match_members, parse_chatwork_users_csv, CsvError, MatchOutcome, MemberRef, ParsedCsv,
};
use serde::Deserialize;

use support::config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Handle,
    Account,
    Name,
    Email,
    Org,
}

fn header(col: Col, japanese: bool) -> &'static str {
    match (col, japanese) {
        (Col::Handle, _) => "ChatworkID",
        (Col::Account, true) => "識別ID",
        (Col::Account, false) => "accountID",
        (Col::Name, true) => "名前",
        (Col::Name, false) => "Name",
        (Col::Email, true) => "メールアドレス",
        (Col::Email, false) => "E-mail",
        (Col::Org, true) => "組織名",
        (Col::Org, false) => "Organization name",
    }
}

/// A generated export: its columns, its data rows (`None`: an empty line) and how it is
/// written.
#[derive(Debug, Clone)]
struct Export {
    japanese: bool,
    columns: Vec<Col>,
    rows: Vec<Option<Vec<String>>>,
    line_end: &'static str,
    final_line_end: bool,
    quote_all: bool,
}

/// Text in the cells: Japanese names with full- and half-width characters, Windows-31J
/// extensions, and the characters that need quoting (`,`, `"`, line breaks).
fn cell_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 @.,\"\n\r山田太郎ｱｲｳ　①髙-]{0,12}"
}

/// Account cells: valid IDs (a small pool, so duplicates happen), padded or zero-led IDs,
/// and the broken values Excel and people produce.
fn account_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1..6u8).prop_map(|n| n.to_string()),
        2 => (1..=i64::MAX).prop_map(|n| n.to_string()),
        1 => ("[ 　0]{0,3}", 1..1000u32, "[ 　]{0,2}").prop_map(|(a, n, b)| format!("{a}{n}{b}")),
        1 => proptest::sample::select(vec![
            "", "  ", "abc", "1.23E+07", "-5", "0", "00", "9223372036854775808", "１２３", "12 3",
        ]).prop_map(str::to_string),
    ]
}

fn export() -> impl Strategy<Value = Export> {
    let columns = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_flat_map(
        |(handle, name, email, org)| {
            let mut cols = vec![Col::Account];
            for (on, col) in [
                (handle, Col::Handle),
                (name, Col::Name),
                (email, Col::Email),
                (org, Col::Org),
            ] {
                if on {
                    cols.push(col);
                }
            }
            Just(cols).prop_shuffle()
        },
    );
    (any::<bool>(), columns)
        .prop_flat_map(|(japanese, columns)| {
            let width = columns.len();
            let account_at = columns.iter().position(|c| *c == Col::Account).unwrap_or(0);
            let row = (
                proptest::collection::vec(cell_text(), width),
                account_cell(),
                1..=width,
            )
                .prop_map(move |(mut cells, account, keep)| {
                    cells[account_at] = account;
                    // Excel drops trailing empty cells; the reader must treat them as empty.
                    cells.truncate(keep);
                    cells
                });
            let rows = proptest::collection::vec(
                prop_oneof![8 => row.prop_map(Some), 1 => Just(None)],
                0..12,
            );
            (
                Just(japanese),
                Just(columns),
                rows,
                proptest::sample::select(vec!["\n", "\r\n", "\r"]),
                any::<bool>(),
                any::<bool>(),
            )
        })
        .prop_map(
            |(japanese, columns, rows, line_end, final_line_end, quote_all)| Export {
                japanese,
                columns,
                rows,
                line_end,
                final_line_end,
                quote_all,
            },
        )
}

fn write_cell(out: &mut String, cell: &str, quote_all: bool) {
    if quote_all || cell.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// What reading one data row must give.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Want {
    Row {
        account: String,
        name: Option<String>,
        email: Option<String>,
    },
    Problem(&'static str),
}

/// Line breaks as an editor counts them: LF, CRLF, or a lone CR.
fn breaks(text: &str) -> usize {
    let b = text.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count()
}

fn trimmed(cell: Option<&String>) -> Option<String> {
    cell.map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

impl Export {
    /// The file's text, and per non-blank data row its line and what it must give.
    fn render(&self) -> (String, BTreeMap<usize, Want>) {
        let mut text = String::new();
        let names: Vec<&str> = self
            .columns
            .iter()
            .map(|c| header(*c, self.japanese))
            .collect();
        text.push_str(&names.join(","));
        let col = |c: Col| self.columns.iter().position(|x| *x == c);
        let mut want = BTreeMap::new();
        for row in &self.rows {
            text.push_str(self.line_end);
            let Some(cells) = row else { continue };
            let line = 1 + breaks(&text);
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                write_cell(&mut text, cell, self.quote_all);
            }
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let get = |c: Col| col(c).and_then(|i| cells.get(i));
            let w = match trimmed(get(Col::Account)) {
                None => Want::Problem("missing_account_id"),
                Some(a)
                    if a.bytes().all(|b| b.is_ascii_digit())
                        && a.parse::<i64>().is_ok_and(|n| n > 0) =>
                {
                    Want::Row {
                        account: a.parse::<i64>().unwrap().to_string(),
                        name: trimmed(get(Col::Name)),
                        email: trimmed(get(Col::Email)),
                    }
                }
                Some(_) => Want::Problem("invalid_account_id"),
            };
            want.insert(line, w);
        }
        if self.final_line_end {
            text.push_str(self.line_end);
        }
        // An account on several lines is a problem on each of them.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for w in want.values() {
            if let Want::Row { account, .. } = w {
                *seen.entry(account.clone()).or_default() += 1;
            }
        }
        for w in want.values_mut() {
            if matches!(w, Want::Row { account, .. } if seen[account] > 1) {
                *w = Want::Problem("duplicate_account_id");
            }
        }
        (text, want)
    }
}

/// What the reader gave, per line, in the shape of [`Want`].
fn got(parsed: &ParsedCsv) -> BTreeMap<usize, Want> {
    let mut got = BTreeMap::new();
    for r in &parsed.rows {
        let w = Want::Row {
            account: r.account_id.clone(),
            name: r.name.clone(),
            email: r.email.clone(),
        };
        assert!(got.insert(r.line, w).is_none(), "line {} twice", r.line);
    }
    for p in &parsed.problems {
        assert!(
            got.insert(p.line, Want::Problem(p.code)).is_none(),
            "line {} twice",
            p.line
        );
    }
    got
}

/// What must hold for any file the reader accepts.
fn check_invariants(parsed: &ParsedCsv) -> Result<(), TestCaseError> {
    let mut accounts = BTreeSet::new();
    for r in &parsed.rows {
        prop_assert!(r.line >= 2, "a data row on the header line: {:?}", r);
        let n: i64 = r
            .account_id
            .parse()
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert!(
            n > 0 && n.to_string() == r.account_id,
            "not canonical: {:?}",
            r
        );
        prop_assert!(accounts.insert(&r.account_id), "account twice: {:?}", r);
        for text in [&r.name, &r.email].into_iter().flatten() {
            prop_assert!(
                !text.is_empty() && text.trim() == text,
                "untrimmed: {:?}",
                r
            );
        }
    }
    prop_assert!(parsed.problems.windows(2).all(|w| w[0].line <= w[1].line));
    for p in &parsed.problems {
        prop_assert!(p.line >= 2 && !p.message.is_empty(), "{:?}", p);
    }
    let _ = got(parsed);
    Ok(())
}

/// Bytes that look like an export more often than pure noise would.
fn csv_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("識別ID,名前,メールアドレス\r\n".as_bytes().to_vec()),
        Just(b"accountID,Name,Email\n".to_vec()),
        Just(b"\x8E\xAF\x95\xCAID,\x96\xBC\x91\x4F\r\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\xFF\xFE".to_vec()),
        "[0-9]{1,20}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config(256))]

    /// No bytes make the reader panic; whatever it accepts keeps its invariants (rows on
    /// data lines, canonical distinct account IDs, trimmed text, problems in line order).
    #[test]
    fn any_bytes_are_read_or_refused(bytes in prop_oneof![csv_like_bytes(), proptest::collection::vec(any::<u8>(), 0..256)]) {
        if let Ok(parsed) = parse_chatwork_users_csv(&bytes) {
            check_invariants(&parsed)?;
        }
    }

    /// In a generated export (any column order, quoting, line ends, short and blank rows),
    /// every non-blank data row comes out exactly once, on the line an editor shows it,
    /// as the row or the problem it is.
    #[test]
    fn every_data_row_is_a_row_or_a_problem(export in export()) {
        let (text, want) = export.render();
        let parsed = parse_chatwork_users_csv(text.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}")))?;
        check_invariants(&parsed)?;
        prop_assert_eq!(got(&parsed), want, "{:?}", text);
    }

    /// The same export saved as Shift_JIS (Excel on Japanese Windows), UTF-8 with a BOM
    /// (Excel's "CSV UTF-8") and plain UTF-8 reads the same.
    #[test]
    fn encodings_read_alike(export in export()) {
        let export = Export { japanese: true, ..export };
        let (text, _) = export.render();
        let utf8 = parse_chatwork_users_csv(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let bom = parse_chatwork_users_csv(&[b"\xEF\xBB\xBF", text.as_bytes()].concat())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
        prop_assert!(!unmappable);
        let sjis = parse_chatwork_users_csv(&sjis).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(utf8.encoding, "utf-8");
        prop_assert_eq!(bom.encoding, "utf-8");
        prop_assert_eq!(sjis.encoding, "shift_jis");
        prop_assert_eq!(&bom.rows, &utf8.rows);
        prop_assert_eq!(&bom.problems, &utf8.problems);
        prop_assert_eq!(&sjis.rows, &utf8.rows);
        prop_assert_eq!(&sjis.problems, &utf8.problems);
    }

    /// The preview: every data row is exactly one of link (new or changed), unchanged or
    /// problem; no member gets two accounts, no account two members, and no account is
    /// taken from the member that has it.
    #[test]
    fn preview_gives_every_row_one_safe_outcome(export in export(), members in members()) {
        let (text, want) = export.render();
        let parsed = parse_chatwork_users_csv(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let outcomes = match_members(&parsed.rows, &members);
        prop_assert_eq!(outcomes.len(), parsed.rows.len());
        let mut lines: Vec<usize> = parsed.problems.iter().map(|p| p.line).collect();
        lines.extend(outcomes.iter().map(MatchOutcome::line));
        lines.sort_unstable();
        prop_assert_eq!(lines, want.keys().copied().collect::<Vec<_>>());

        let mut linked_members = BTreeSet::new();
        let mut linked_accounts = BTreeSet::new();
        for o in &outcomes {
            let (external_id, account_id) = match o {
                MatchOutcome::Link { external_id, account_id, previous, .. } => {
                    let m = members.iter().find(|m| &m.external_id == external_id).expect("a member");
                    prop_assert_eq!(previous, &current(m), "{:?}", o);
                    prop_assert_ne!(previous.as_ref(), Some(account_id), "{:?}", o);
                    let holder = members.iter().find(|h| h.external_id != m.external_id && current(h).as_ref() == Some(account_id));
                    prop_assert!(holder.is_none(), "takes {} from {:?}", account_id, holder);
                    (external_id, account_id)
                }
                MatchOutcome::Unchanged { external_id, account_id, .. } => {
                    let m = members.iter().find(|m| &m.external_id == external_id).expect("a member");
                    prop_assert_eq!(current(m), Some(account_id.clone()));
                    (external_id, account_id)
                }
                MatchOutcome::Problem(p) => {
                    prop_assert!(!p.message.is_empty());
                    continue;
                }
            };
            prop_assert!(linked_members.insert(external_id.clone()), "member twice: {}", external_id);
            prop_assert!(linked_accounts.insert(account_id.clone()), "account twice: {}", account_id);
        }
    }
}

fn current(m: &MemberRef) -> Option<String> {
    m.current_account_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Members whose names and e-mails collide with the generated rows often.
fn members() -> impl Strategy<Value = Vec<MemberRef>> {
    let member = (
        proptest::sample::select(vec![
            "山田 太郎",
            "山田　太郎",
            "Sato",
            "sato ",
            "ｱｲｳ",
            "",
            "1",
        ]),
        proptest::option::of(proptest::sample::select(vec![
            "a@x.jp", "A@X.jp ", "b@x.jp", "1", "",
        ])),
        proptest::option::of(proptest::sample::select(vec!["1", "2", " 3 ", "4", ""])),
    );
    proptest::collection::vec(member, 0..6).prop_map(|ms| {
        ms.into_iter()
            .enumerate()
            .map(|(i, (name, email, account))| MemberRef {
                external_id: format!("m{i}"),
                name: name.to_string(),
                email: email.map(str::to_string),
                current_account_id: account.map(str::to_string),
            })
            .collect()
    })
}

/// `corpus/csv/expected.json`: per file, the encoding and, per line, the account ID read
/// there or the problem's code; or the whole-file error.
#[derive(Deserialize)]
struct CsvCase {
    file: String,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    lines: BTreeMap<usize, String>,
    #[serde(default)]
    error: Option<String>,
}

/// Real exports re-saved by Excel and edited by hand: Shift_JIS with CRLF, UTF-8 with a
/// BOM and quoted line breaks, trailing `,,,` rows, zero-padded and Excel-mangled IDs.
#[test]
fn corpus_of_exports() {
    let index = std::fs::read_to_string(support::corpus("csv/expected.json")).expect("index");
    let cases: Vec<CsvCase> = serde_json::from_str(&index).expect("index is JSON");
    let mut files: BTreeSet<String> = std::fs::read_dir(support::corpus("csv"))
        .expect("corpus dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    assert!(cases.len() >= 5, "the corpus lost its cases");
    for case in cases {
        assert!(
            files.remove(&case.file),
            "{} is not in the corpus",
            case.file
        );
        let bytes = std::fs::read(support::corpus(&format!("csv/{}", case.file))).expect("file");
        match parse_chatwork_users_csv(&bytes) {
            Ok(parsed) => {
                check_invariants(&parsed).unwrap_or_else(|e| panic!("{}: {e}", case.file));
                assert_eq!(
                    Some(parsed.encoding),
                    case.encoding.as_deref(),
                    "{}",
                    case.file
                );
                let mut lines: BTreeMap<usize, String> = parsed
                    .rows
                    .iter()
                    .map(|r| (r.line, r.account_id.clone()))
                    .collect();
                lines.extend(parsed.problems.iter().map(|p| (p.line, p.code.to_string())));
                assert_eq!(lines, case.lines, "{}", case.file);
                assert_eq!(case.error, None, "{} was read", case.file);
            }
            Err(e) => {
                let kind = match e {
                    CsvError::Encoding(_) => "encoding",
                    CsvError::NoAccountColumn { .. } => "no_account_column",
                    CsvError::Malformed(_) => "malformed",
                    CsvError::Empty => "empty",
                };
                assert_eq!(Some(kind), case.error.as_deref(), "{}: {e}", case.file);
            }
        }
    }
    assert!(files.is_empty(), "files without expectations: {files:?}");
}
