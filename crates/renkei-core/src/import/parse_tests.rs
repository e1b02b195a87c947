//! Tests for reading the exported CSV: encodings, headers, quoting and row problems.

use super::*;

fn parse(text: &str) -> ParsedCsv {
    parse_chatwork_users_csv(text.as_bytes()).expect("parses")
}

fn codes(parsed: &ParsedCsv) -> Vec<(usize, &'static str)> {
    parsed.problems.iter().map(|p| (p.line, p.code)).collect()
}

#[test]
fn japanese_headers_utf8_with_bom() {
    // ChatworkID comes first on purpose: it must not be taken for the account ID.
    let text = "\u{feff}ChatworkID,識別ID,名前,メールアドレス,組織名\r\n\
                taro_y,1234,山田 太郎,Taro@Example.com ,営業部\r\n";
    let parsed = parse(text);
    assert_eq!(parsed.encoding, "utf-8");
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(
        parsed.rows,
        vec![CsvIdentity {
            line: 2,
            account_id: "1234".into(),
            name: Some("山田 太郎".into()),
            email: Some("Taro@Example.com".into()),
        }]
    );
}

#[test]
fn english_headers_without_bom() {
    let parsed = parse("accountID,ChatworkID,Name,E-mail\n42,hanako,Hanako Sato,\n");
    assert_eq!(parsed.encoding, "utf-8");
    let row = &parsed.rows[0];
    assert_eq!(row.account_id, "42");
    assert_eq!(row.name.as_deref(), Some("Hanako Sato"));
    assert_eq!(row.email, None, "an empty cell is no e-mail");
}

#[test]
fn shift_jis_is_detected_and_decoded() {
    // 髙 and ① exist only in Windows-31J's extensions, which Excel uses.
    let text = "識別ID,名前,メールアドレス\r\n77,髙橋 ①郎,t@example.com\r\n";
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "test bytes must not be UTF-8"
    );
    let parsed = parse_chatwork_users_csv(&bytes).unwrap();
    assert_eq!(parsed.encoding, "shift_jis");
    assert_eq!(parsed.rows[0].account_id, "77");
    assert_eq!(parsed.rows[0].name.as_deref(), Some("髙橋 ①郎"));
}

#[test]
fn bytes_that_are_neither_encoding_are_refused() {
    // 0x82 is a Shift_JIS lead byte; 0xFF can never follow it.
    let err = parse_chatwork_users_csv(b"accountID\n1\x82\xFF\n").unwrap_err();
    assert!(matches!(err, CsvError::Encoding(_)), "{err:?}");
    let err = parse_chatwork_users_csv(b"\xEF\xBB\xBFaccountID\n\x82\xA0\n").unwrap_err();
    assert!(
        matches!(err, CsvError::Encoding(_)),
        "BOM promises UTF-8: {err:?}"
    );
    let err = parse_chatwork_users_csv(b"\xFF\xFEa\x00").unwrap_err();
    assert!(err.to_string().contains("UTF-16"), "{err}");
}

#[test]
fn quoted_fields_with_commas_and_newlines_keep_line_numbers() {
    let text = "accountID,Name,Email\n\
                1,\"Yamada, Taro\",a@example.com\n\
                2,\"Two\nLines\",b@example.com\n\
                3,Plain,c@example.com\n";
    let parsed = parse(text);
    let lines: Vec<usize> = parsed.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 5]);
    assert_eq!(parsed.rows[0].name.as_deref(), Some("Yamada, Taro"));
    assert_eq!(parsed.rows[1].name.as_deref(), Some("Two\nLines"));
}

#[test]
fn line_numbers_with_crlf_and_lone_cr() {
    // Excel writes CRLF; old Mac Excel wrote a lone CR. A quoted CRLF is one more line.
    let parsed = parse("accountID,Name\r\n1,\"a\r\nb\"\r\n\r\n2,c\r\n");
    let lines: Vec<usize> = parsed.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 5]);
    let parsed = parse("accountID,Name\r1,a\r2,b\r");
    let lines: Vec<usize> = parsed.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3]);
}

#[test]
fn missing_account_column_lists_headers_found() {
    let err = parse_chatwork_users_csv("ChatworkID,名前\ntaro,山田\n".as_bytes()).unwrap_err();
    assert_eq!(
        err,
        CsvError::NoAccountColumn {
            headers: vec!["ChatworkID".into(), "名前".into()]
        }
    );
    let msg = err.to_string();
    for needle in ["識別ID", "accountID", "`ChatworkID`, `名前`"] {
        assert!(msg.contains(needle), "{msg}");
    }
    // The handle in snake_case is not accepted either.
    let err = parse_chatwork_users_csv(b"chatwork_id,Name\n1,A\n").unwrap_err();
    assert!(matches!(err, CsvError::NoAccountColumn { .. }));
}

#[test]
fn bad_missing_and_duplicate_ids_become_problems() {
    let text = "識別ID,名前\n\
                12a,A\n\
                ,B\n\
                0,C\n\
                007,D\n\
                8,E\n\
                7,F\n\
                -5,G\n\
                1.2E+07,H\n";
    let parsed = parse(text);
    assert_eq!(
        codes(&parsed),
        vec![
            (2, "invalid_account_id"),
            (3, "missing_account_id"),
            (4, "invalid_account_id"),
            (5, "duplicate_account_id"),
            (7, "duplicate_account_id"),
            (8, "invalid_account_id"),
            (9, "invalid_account_id"),
        ]
    );
    assert!(parsed.problems[0].message.contains("\"12a\""));
    assert!(parsed.problems[3].message.contains("lines 5 and 7"));
    assert!(parsed.problems[6]
        .message
        .contains("format the column as text"));
    let ids: Vec<(usize, &str)> = parsed
        .rows
        .iter()
        .map(|r| (r.line, r.account_id.as_str()))
        .collect();
    assert_eq!(ids, vec![(6, "8")], "rows with problems are left out");
}

#[test]
fn blank_rows_and_short_rows() {
    // Excel leaves `,,` rows; a short row just lacks its trailing cells.
    let parsed = parse("accountID,Name,Email\n,,\n5\n");
    assert!(parsed.problems.is_empty());
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(
        (parsed.rows[0].line, parsed.rows[0].name.clone()),
        (3, None)
    );
}

#[test]
fn empty_file_and_header_only() {
    assert_eq!(parse_chatwork_users_csv(b""), Err(CsvError::Empty));
    assert_eq!(
        parse_chatwork_users_csv(b"\xEF\xBB\xBF\r\n"),
        Err(CsvError::Empty)
    );
    let parsed = parse("識別ID,名前,メールアドレス\r\n");
    assert!(parsed.rows.is_empty() && parsed.problems.is_empty());
}
