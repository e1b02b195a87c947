//! Tests for matching CSV rows to members.

use super::*;

fn row(line: usize, account_id: &str, name: Option<&str>, email: Option<&str>) -> CsvIdentity {
    CsvIdentity {
        line,
        account_id: account_id.into(),
        name: name.map(Into::into),
        email: email.map(Into::into),
    }
}

fn member(external_id: &str, name: &str, email: Option<&str>, current: Option<&str>) -> MemberRef {
    MemberRef {
        external_id: external_id.into(),
        name: name.into(),
        email: email.map(Into::into),
        current_account_id: current.map(Into::into),
    }
}

fn problem(outcome: &MatchOutcome) -> &CsvProblem {
    match outcome {
        MatchOutcome::Problem(p) => p,
        other => panic!("expected a problem, got {other:?}"),
    }
}

#[test]
fn email_beats_name() {
    // The row's name belongs to u1, its e-mail to u2: the e-mail wins.
    let members = [
        member("u1", "Taro Yamada", Some("other@example.com"), None),
        member("u2", "T. Yamada", Some("taro@example.com"), Some("9")),
    ];
    let rows = [row(
        2,
        "10",
        Some("Taro Yamada"),
        Some(" TARO@example.com "),
    )];
    assert_eq!(
        match_members(&rows, &members),
        vec![MatchOutcome::Link {
            line: 2,
            external_id: "u2".into(),
            account_id: "10".into(),
            matched_by: "email",
            previous: Some("9".into()),
        }]
    );
}

#[test]
fn name_matching_ignores_spaces_including_full_width() {
    let members = [
        member("u1", "山田　太郎", None, None),
        member("u2", "Hanako  SATO", Some("h@example.com"), None),
    ];
    // An e-mail no member has falls back to the name.
    let rows = [
        row(2, "1", Some("山田 太郎"), Some("unknown@example.com")),
        row(3, "2", Some("hanako sato"), None),
        row(4, "3", Some("山田太郎次"), None),
    ];
    let out = match_members(&rows, &members);
    assert!(
        matches!(&out[0], MatchOutcome::Link { external_id, matched_by: "name", .. } if external_id == "u1")
    );
    assert!(
        matches!(&out[1], MatchOutcome::Link { external_id, matched_by: "name", .. } if external_id == "u2")
    );
    let p = problem(&out[2]);
    assert_eq!((p.line, p.code), (4, "no_member"));
    assert!(p.message.contains("山田太郎次"), "{}", p.message);
}

#[test]
fn no_member_names_what_was_tried() {
    let out = match_members(&[row(5, "1", Some("Nobody"), Some("n@example.com"))], &[]);
    let p = problem(&out[0]);
    assert_eq!((p.line, p.code), (5, "no_member"));
    assert!(p.message.contains("n@example.com") && p.message.contains("Nobody"));
}

#[test]
fn ambiguous_names_list_the_members() {
    let members = [
        member("u1", "佐藤 花子", None, None),
        member("u2", "佐藤花子", None, None),
        member("u3", "佐藤 花子", Some("hanako@example.com"), None),
    ];
    let out = match_members(&[row(2, "1", Some("佐藤花子"), None)], &members);
    let p = problem(&out[0]);
    assert_eq!(p.code, "ambiguous_name");
    assert!(p.message.contains("u1, u2, u3"), "{}", p.message);
    // With the e-mail there is no ambiguity.
    let out = match_members(
        &[row(2, "1", Some("佐藤花子"), Some("hanako@example.com"))],
        &members,
    );
    assert!(matches!(&out[0], MatchOutcome::Link { external_id, .. } if external_id == "u3"));
}

#[test]
fn unchanged_when_member_already_has_the_account() {
    let members = [member("u1", "A", Some("a@example.com"), Some("77"))];
    assert_eq!(
        match_members(&[row(2, "77", None, Some("a@example.com"))], &members),
        vec![MatchOutcome::Unchanged {
            line: 2,
            external_id: "u1".into(),
            account_id: "77".into(),
        }]
    );
}

#[test]
fn member_matched_twice_flags_every_line() {
    let members = [
        member("u1", "A", Some("a@example.com"), None),
        member("u2", "B", None, None),
    ];
    let rows = [
        row(4, "2", Some("A"), None),
        row(2, "1", None, Some("a@example.com")),
        row(3, "3", Some("B"), None),
    ];
    let out = match_members(&rows, &members);
    let lines: Vec<usize> = out.iter().map(MatchOutcome::line).collect();
    assert_eq!(lines, vec![2, 3, 4], "output is in CSV line order");
    for i in [0, 2] {
        let p = problem(&out[i]);
        assert_eq!(p.code, "member_matched_twice");
        assert!(p.message.contains("lines 2 and 4") && p.message.contains("u1"));
    }
    assert!(
        matches!(&out[1], MatchOutcome::Link { external_id, previous: None, .. } if external_id == "u2")
    );
}

#[test]
fn account_taken_by_another_member() {
    let members = [
        member("u1", "A", Some("a@example.com"), Some("5")),
        member("u2", "B", Some("b@example.com"), None),
    ];
    let out = match_members(&[row(2, "5", None, Some("b@example.com"))], &members);
    let p = problem(&out[0]);
    assert_eq!((p.line, p.code), (2, "account_taken"));
    assert!(p.message.contains("u1"), "{}", p.message);
}

#[test]
fn duplicate_rows_from_other_callers_are_refused() {
    let members = [member("u1", "A", None, None), member("u2", "B", None, None)];
    let rows = [row(2, "5", Some("A"), None), row(3, "5", Some("B"), None)];
    let out = match_members(&rows, &members);
    assert!(out
        .iter()
        .all(|o| problem(o).code == "duplicate_account_id"));
}

#[test]
fn outcomes_serialise_with_a_tag() {
    let json = serde_json::to_value(MatchOutcome::Unchanged {
        line: 2,
        external_id: "u1".into(),
        account_id: "7".into(),
    })
    .unwrap();
    assert_eq!(json["outcome"], "unchanged");
    let json = serde_json::to_value(MatchOutcome::Problem(CsvProblem {
        line: 3,
        code: "no_member",
        message: "m".into(),
    }))
    .unwrap();
    assert_eq!(
        (json["outcome"].as_str(), json["code"].as_str()),
        (Some("problem"), Some("no_member"))
    );
}
