//! Properties of the pasted room and account parsers (`renkei_core::ids`): they never
//! panic, every accepted form of an ID gives that ID back, and whatever they accept comes
//! out in a canonical form that parses to itself.

mod support;

use proptest::prelude::*;
use renkei_core::ids::{parse_chatwork_account, parse_chatwork_room, parse_identity, parse_room};
use renkei_core::model::Provider;
use serde::Deserialize;

use support::config;

fn provider() -> impl Strategy<Value = Provider> {
    proptest::sample::select(Provider::ALL.to_vec())
}

/// Text people might paste: mostly ID-like characters and the separators of the forms,
/// sometimes anything at all (control characters, emoji, combining marks), sometimes huge.
fn pasted() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ 0-9A-Za-z#!:/=@._<>\\[\\]?&-]{0,40}",
        2 => any::<String>(),
        1 => "(https?://)?(www\\.)?(chatwork\\.com|app\\.slack\\.com|acme\\.slack\\.com)/?(#!rid|client/T1/|archives/)[0-9A-Z]{1,25}(-[0-9]{1,21})?[?#/&a-z=]{0,10}",
        1 => ("[0-9]{1,3}", 1000..1100usize).prop_map(|(s, n)| s.repeat(n)),
        1 => "[\\PC\\pC\u{200B}\u{301}\u{3000}]{0,20}",
    ]
}

/// Chatwork room IDs are positive 64-bit integers.
fn chatwork_id() -> impl Strategy<Value = i64> {
    prop_oneof![1..1000i64, 1..=i64::MAX]
}

proptest! {
    #![proptest_config(config(512))]

    /// No input makes a parser panic, and whatever is accepted is canonical: parsing the
    /// result again gives it back unchanged.
    #[test]
    fn accepted_rooms_and_identities_are_canonical(p in provider(), input in pasted()) {
        if let Ok(room) = parse_room(p, &input) {
            prop_assert_eq!(parse_room(p, &room), Ok(room.clone()), "{} room {:?}", p, input);
            prop_assert!(!room.is_empty() && room.trim() == room);
        }
        if let Ok(id) = parse_identity(p, &input) {
            prop_assert_eq!(parse_identity(p, &id), Ok(id.clone()), "{} identity {:?}", p, input);
            prop_assert!(!id.is_empty() && id.trim() == id);
        }
    }

    /// Refusals name what was pasted and say what would have worked, in one message.
    #[test]
    fn refusals_explain_themselves(p in provider(), input in pasted()) {
        for result in [parse_room(p, &input), parse_identity(p, &input)] {
            if let Err(e) = result {
                prop_assert!(!e.trim().is_empty());
            }
        }
    }

    /// Every documented form of a Chatwork room gives the room's ID, whatever the message
    /// number, surrounding spaces or host spelling.
    #[test]
    fn every_chatwork_room_form_gives_the_id(
        id in chatwork_id(),
        message in proptest::option::of(0..u64::MAX),
        host in proptest::sample::select(vec![
            "", "https://www.chatwork.com/", "https://chatwork.com/", "http://www.chatwork.com/",
            "https://kcw.kddi.ne.jp/", "https://www.chatwork.com",
        ]),
        pad in "[ \t]{0,3}",
    ) {
        let suffix = message.map(|m| format!("-{m}")).unwrap_or_default();
        let forms = [
            id.to_string(),
            format!("{host}#!rid{id}{suffix}"),
            format!("{pad}{host}#!rid{id}{pad}"),
        ];
        for form in forms {
            prop_assert_eq!(parse_chatwork_room(&form), Ok(id), "{:?}", form);
            prop_assert_eq!(parse_room(Provider::Chatwork, &form), Ok(id.to_string()));
        }
    }

    /// Every documented form of a Chatwork account gives the account's ID, whatever name
    /// follows the `[To:…]` the picker inserts.
    #[test]
    fn every_chatwork_account_form_gives_the_id(id in chatwork_id(), name in "[^\r\n\u{85}\u{2028}\u{2029}]{0,30}") {
        for form in [id.to_string(), format!("aid={id}"), format!("[To:{id}]{name}")] {
            prop_assert_eq!(parse_chatwork_account(&form), Ok(id), "{:?}", form);
        }
    }

    /// Zero, negative and out-of-range numbers are never taken for a Chatwork ID.
    #[test]
    fn out_of_range_chatwork_ids_are_refused(n in prop_oneof![Just(0i128), -1_000_000i128..0, (i64::MAX as i128 + 1)..(i64::MAX as i128 * 4)]) {
        for form in [n.to_string(), format!("#!rid{n}"), format!("aid={n}")] {
            prop_assert!(parse_chatwork_room(&form).is_err(), "{:?}", form);
            prop_assert!(parse_chatwork_account(&form).is_err(), "{:?}", form);
        }
    }

    /// A Slack channel pasted as its ID or as either kind of link, with whatever message
    /// part or query a copied link carries, gives the channel ID.
    #[test]
    fn every_slack_channel_form_gives_the_id(
        id in "[CGD][A-Z0-9]{6,20}",
        team in "T[A-Z0-9]{1,12}",
        workspace in "[a-z0-9-]{1,20}",
        tail in proptest::option::of("[/?#][ -~]{0,30}"),
    ) {
        let tail = tail.unwrap_or_default();
        for form in [
            id.clone(),
            format!("https://app.slack.com/client/{team}/{id}{tail}"),
            format!("https://{workspace}.slack.com/archives/{id}{tail}"),
            format!("https://{workspace}.enterprise.slack.com/archives/{id}{tail}"),
        ] {
            prop_assert_eq!(parse_room(Provider::Slack, &form), Ok(id.clone()), "{:?}", form);
        }
    }

    /// A Slack member ID is accepted as is and inside the `<@…>` of a copied mention; a
    /// channel ID or a broadcast (`<!channel>`) never is.
    #[test]
    fn slack_members_and_only_members(id in "[UW][A-Z0-9]{6,20}", other in "[CGD!#][A-Za-z0-9]{6,20}") {
        prop_assert_eq!(parse_identity(Provider::Slack, &id), Ok(id.clone()));
        prop_assert_eq!(parse_identity(Provider::Slack, &format!("<@{id}>")), Ok(id.clone()));
        prop_assert!(parse_identity(Provider::Slack, &other).is_err());
        let bracketed = format!("<{other}>");
        prop_assert!(parse_identity(Provider::Slack, &bracketed).is_err());
    }

    /// Teams object IDs are GUIDs in any letter case, stored lower-case; Google Chat users
    /// are numbers with or without `users/`; LINE users are `U` and 32 lower-case hex digits.
    #[test]
    fn guid_number_and_line_id_forms(
        guid in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        number in "[0-9]{1,30}",
        line in "U[0-9a-f]{32}",
    ) {
        prop_assert_eq!(parse_identity(Provider::Teams, &guid), Ok(guid.to_ascii_lowercase()));
        prop_assert_eq!(parse_identity(Provider::GoogleChat, &number), Ok(format!("users/{number}")));
        prop_assert_eq!(parse_identity(Provider::GoogleChat, &format!("users/{number}")), Ok(format!("users/{number}")));
        prop_assert_eq!(parse_identity(Provider::Line, &line), Ok(line.clone()));
        prop_assert!(parse_identity(Provider::Line, &line.to_ascii_uppercase()).is_err());
    }

    /// A pasted value is one line: a line break anywhere inside it is refused by every
    /// parser, so no second line can ride along into a stored ID.
    #[test]
    fn line_breaks_inside_are_refused(p in provider(), a in "[A-Za-z0-9]{1,10}", b in "[A-Za-z0-9]{1,10}", br in "[\r\n\u{0}\u{7f}]") {
        let input = format!("{a}{br}{b}");
        prop_assert!(parse_room(p, &input).is_err());
        prop_assert!(parse_identity(p, &input).is_err());
    }
}

/// One line of `corpus/pasted_ids.jsonl`: a pasted value and what it must give (`null`:
/// refused).
#[derive(Deserialize)]
struct PastedCase {
    provider: Provider,
    kind: String,
    input: String,
    want: Option<String>,
}

/// Nasty real pastes: links with extra query parts and fragments, full-width digits,
/// zero-width and combining characters, mentions copied out of messages.
#[test]
fn corpus_of_pasted_ids() {
    let path = support::corpus("pasted_ids.jsonl");
    let text = std::fs::read_to_string(&path).expect("corpus file");
    let mut count = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with("//") {
            continue;
        }
        let case: PastedCase =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let parse = match case.kind.as_str() {
            "room" => parse_room,
            "identity" => parse_identity,
            other => panic!("line {}: unknown kind {other}", n + 1),
        };
        let got = parse(case.provider, &case.input);
        assert_eq!(
            got.as_ref().ok(),
            case.want.as_ref(),
            "line {}: {} {} {:?} gave {got:?}",
            n + 1,
            case.provider,
            case.kind,
            case.input
        );
        if let Ok(id) = got {
            assert_eq!(parse(case.provider, &id), Ok(id.clone()), "line {}", n + 1);
        }
        count += 1;
    }
    assert!(count >= 20, "the corpus lost its cases: {count}");
}
