//! Properties of the inbound webhook signature checks (`renkei_providers::signatures`):
//! the HMAC of the exact raw body verifies, any changed body byte or signature character
//! fails (unless it leaves the same tag: padding, surrounding blanks, hex case), Slack's
//! five-minute window holds at every clock value, and garbage is refused without a panic
//! and without echoing a secret.

mod props_support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use renkei_providers::signatures::{
    chatwork, line, line_works, sign_chatwork, sign_line, sign_line_works, sign_slack, slack,
    verify_chatwork, verify_line, verify_line_works, verify_slack, SignatureError,
    SLACK_MAX_SKEW_SECS,
};
use sha2::Sha256;

use props_support::config;

/// HMAC-SHA256 computed here, not by the code under test.
fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Chatwork,
    Slack,
    LineWorks,
    Line,
}

const KINDS: [Kind; 4] = [Kind::Chatwork, Kind::Slack, Kind::LineWorks, Kind::Line];
const NOW: i64 = 1_700_000_000;

/// The secret as configured: Chatwork's is a Base64 token, the others plain text.
fn secret_for(kind: Kind, key: &[u8]) -> String {
    match kind {
        Kind::Chatwork => STANDARD.encode(key),
        _ => String::from_utf8_lossy(key).into_owned(),
    }
}

/// The signature header the provider would send, computed independently.
fn expected_signature(kind: Kind, secret: &str, body: &[u8]) -> String {
    match kind {
        Kind::Chatwork => {
            let key = STANDARD.decode(secret).expect("token");
            STANDARD.encode(hmac(&key, &[body]))
        }
        Kind::Slack => {
            let ts = NOW.to_string();
            let tag = hmac(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", body]);
            format!("v0={}", hex::encode(tag))
        }
        Kind::LineWorks | Kind::Line => STANDARD.encode(hmac(secret.as_bytes(), &[body])),
    }
}

fn verify(kind: Kind, secret: &str, body: &[u8], sig: &str) -> Result<(), SignatureError> {
    match kind {
        Kind::Chatwork => verify_chatwork(secret, body, Some(sig), None),
        Kind::Slack => verify_slack(secret, body, Some(&NOW.to_string()), Some(sig), NOW),
        Kind::LineWorks => verify_line_works(secret, body, Some(sig)),
        Kind::Line => verify_line(secret, body, Some(sig)),
    }
}

/// What a signature means, ignoring what carries no information: surrounding blanks,
/// Base64 padding, the case of Slack's hex digits.
fn meaning(kind: Kind, sig: &str) -> String {
    let sig = sig.trim();
    match kind {
        Kind::Slack => sig.to_ascii_lowercase(),
        _ => sig.trim_end_matches('=').to_string(),
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    proptest::sample::select(KINDS.to_vec())
}

/// Secret key bytes: never blank (a blank secret is our configuration error).
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[!-~]{1,64}".prop_map(String::into_bytes),
        "[!-~][ -~\u{80}-\u{10FFFF}]{0,40}".prop_map(String::into_bytes),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<String>().prop_map(|s| format!("{{\"text\":{s:?}}}").into_bytes()),
    ]
}

/// Characters a changed signature may contain.
fn replacement() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::ranges(vec!['0'..='9', 'a'..='z', 'A'..='Z'].into()),
        proptest::sample::select(vec!['+', '/', '=', ' ', '\t', '-', '_', '\u{0}', 'é', '＝']),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// The signature the provider sends over the exact raw body verifies, and renkei's own
    /// signer (used by the fakes) writes that same signature.
    #[test]
    fn the_providers_signature_over_the_raw_body_verifies(kind in kind(), key in key(), body in body()) {
        let secret = secret_for(kind, &key);
        let sig = expected_signature(kind, &secret, &body);
        prop_assert_eq!(verify(kind, &secret, &body, &sig), Ok(()));
        let ours = match kind {
            Kind::Chatwork => sign_chatwork(&secret, &body).expect("token"),
            Kind::Slack => sign_slack(&secret, NOW, &body),
            Kind::LineWorks => sign_line_works(&secret, &body),
            Kind::Line => sign_line(&secret, &body),
        };
        prop_assert_eq!(ours, sig);
    }

    /// Changing, adding or removing any one byte of the body fails as `bad_signature`.
    #[test]
    fn any_changed_body_fails(kind in kind(), key in key(), body in body(), at in any::<prop::sample::Index>(), byte in any::<u8>(), how in 0..3u8) {
        let secret = secret_for(kind, &key);
        let sig = expected_signature(kind, &secret, &body);
        let mut changed = body.clone();
        match how {
            0 if !body.is_empty() => {
                let i = at.index(body.len());
                changed[i] = if changed[i] == byte { byte.wrapping_add(1) } else { byte };
            }
            1 if !body.is_empty() => {
                changed.remove(at.index(body.len()));
            }
            _ => changed.insert(at.index(body.len() + 1), byte),
        }
        prop_assert_eq!(verify(kind, &secret, &changed, &sig), Err(SignatureError::BadSignature));
    }

    /// Changing one character of the signature fails, unless the change carries no
    /// information (see [`meaning`]).
    #[test]
    fn any_changed_signature_fails(kind in kind(), key in key(), body in body(), at in any::<prop::sample::Index>(), c in replacement()) {
        let secret = secret_for(kind, &key);
        let sig = expected_signature(kind, &secret, &body);
        let mut chars: Vec<char> = sig.chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != c);
        chars[i] = c;
        let changed: String = chars.into_iter().collect();
        if verify(kind, &secret, &body, &changed).is_ok() {
            prop_assert_eq!(meaning(kind, &changed), meaning(kind, &sig), "{:?} verified", changed);
        }
    }

    /// Cutting or extending a signature fails.
    #[test]
    fn signatures_of_another_length_fail(kind in kind(), key in key(), body in body(), keep in 0..100usize, extra in "[A-Za-z0-9+/]{1,8}") {
        let secret = secret_for(kind, &key);
        let sig = expected_signature(kind, &secret, &body);
        let cut: String = sig.chars().take(keep.min(sig.len().saturating_sub(3))).collect();
        prop_assert!(verify(kind, &secret, &body, &cut).is_err(), "{:?}", cut);
        let longer = format!("{}{extra}", sig.trim_end_matches('='));
        prop_assert!(verify(kind, &secret, &body, &longer).is_err(), "{:?}", longer);
    }

    /// Slack: a validly signed request verifies within five minutes of now in either
    /// direction and is refused as stale beyond, at any clock value (no overflow).
    #[test]
    fn slacks_window_holds_at_any_clock(
        now in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), -1000..1000i64],
        skew in -1000..1000i64,
        key in key(),
        body in body(),
    ) {
        let secret = secret_for(Kind::Slack, &key);
        let ts = now.saturating_add(skew);
        let sig = sign_slack(&secret, ts, &body);
        let got = verify_slack(&secret, &body, Some(&ts.to_string()), Some(&sig), now);
        let real_skew = i128::from(ts) - i128::from(now);
        if real_skew.abs() <= i128::from(SLACK_MAX_SKEW_SECS) {
            prop_assert_eq!(got, Ok(()));
        } else {
            prop_assert_eq!(got, Err(SignatureError::StaleTimestamp { skew_secs: ts - now }));
        }
    }

    /// Slack signs the timestamp as sent: the same instant written differently (`+`,
    /// leading zeros) or another second fails, even inside the window.
    #[test]
    fn slacks_timestamp_is_signed_as_text(key in key(), body in body(), other in prop_oneof![
        Just(format!("+{NOW}")), Just(format!("0{NOW}")), (1..=SLACK_MAX_SKEW_SECS).prop_map(|d| (NOW - d).to_string()),
    ]) {
        let secret = secret_for(Kind::Slack, &key);
        let sig = sign_slack(&secret, NOW, &body);
        prop_assert_eq!(
            verify_slack(&secret, &body, Some(&other), Some(&sig), NOW),
            Err(SignatureError::BadSignature)
        );
    }

    /// Chatwork's query parameter arrives form-decoded (`+` became a space) and still
    /// verifies; the header wins over a wrong query value.
    #[test]
    fn chatworks_query_signature_survives_form_decoding(key in key(), body in body()) {
        let secret = secret_for(Kind::Chatwork, &key);
        let sig = expected_signature(Kind::Chatwork, &secret, &body);
        let decoded = sig.replace('+', " ");
        prop_assert_eq!(verify_chatwork(&secret, &body, None, Some(&decoded)), Ok(()));
        prop_assert_eq!(verify_chatwork(&secret, &body, Some(&sig), Some("AAAA")), Ok(()));
        prop_assert!(verify_chatwork(&secret, &body, Some("AAAA"), Some(&sig)).is_err());
    }

    /// Anything at all as secret, body, headers and clock: no panic, a 401 or 500, and no
    /// message that repeats the secret or the signature sent.
    #[test]
    fn garbage_is_refused_quietly(
        kind in kind(),
        secret in prop_oneof![any::<String>(), "[ \t]{0,3}", "[A-Za-z0-9+/=]{0,40}"],
        body in body(),
        sig in proptest::option::of(prop_oneof![any::<String>(), "v0=[0-9a-fA-F]{0,80}", "[A-Za-z0-9+/=]{0,700}"]),
        ts in proptest::option::of(prop_oneof![any::<String>(), any::<i64>().prop_map(|t| t.to_string())]),
        now in any::<i64>(),
    ) {
        let result = match kind {
            Kind::Chatwork => verify_chatwork(&secret, &body, sig.as_deref(), sig.as_deref()),
            Kind::Slack => verify_slack(&secret, &body, ts.as_deref(), sig.as_deref(), now),
            Kind::LineWorks => verify_line_works(&secret, &body, sig.as_deref()),
            Kind::Line => verify_line(&secret, &body, sig.as_deref()),
        };
        if let Err(e) = result {
            prop_assert!(matches!(e.http_status(), 401 | 500));
            let message = e.to_string();
            for private in [Some(secret.trim()), sig.as_deref().map(str::trim)].into_iter().flatten() {
                prop_assert!(private.chars().count() < 8 || !message.contains(private), "{}", message);
            }
        }
    }

    /// The webhook body parsers read any bytes without a panic.
    #[test]
    fn event_parsers_take_any_body(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        any::<String>().prop_map(String::into_bytes),
        "\\{\"(type|events|event|webhook_event|source|userId|account_id|token|challenge)\":(\\[|\\{|\"|[0-9]|null|true)[ -~]{0,30}".prop_map(String::into_bytes),
    ]) {
        let _ = chatwork::WebhookEvent::parse(&body).map(|e| e.sender_account_id().map(str::to_string));
        let _ = slack::parse_inbound(&body);
        let _ = line::FollowEvents::parse(&body).map(|e| (e.is_verification(), e.followed_user_ids().count()));
        let _ = line_works::Callback::parse(&body).map(|c| (c.user_id().map(str::to_string), c.issued_unix_ms()));
    }
}
