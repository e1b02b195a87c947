//! Inbound webhook signatures and body parsers. Expected signatures come from fixed
//! vectors computed with `openssl dgst -sha256 -hmac KEY -binary | base64` (and Slack's
//! published example), or from `hmac` directly, never from the code under test.

use base64::Engine;
use hmac::{Hmac, Mac};
use renkei_providers::signatures::{
    sign_chatwork, sign_line, sign_line_works, sign_slack, verify_chatwork, verify_line,
    verify_line_works, verify_slack, SignatureError,
};
use sha2::Sha256;

#[path = "signatures/events.rs"]
mod events;

fn code(r: Result<(), SignatureError>) -> &'static str {
    r.err().map_or("ok", |e| e.code())
}

fn independent_b64_hmac(key: &[u8], body: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(body);
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

// ---- Chatwork ----

/// Base64 of `secret-key-bytes`: Chatwork's key is the decoded token.
const CW_TOKEN: &str = "c2VjcmV0LWtleS1ieXRlcw==";
const CW_BODY: &[u8] = br#"{"webhook_setting_id":"1","webhook_event_type":"mention_to_me"}"#;
const CW_SIG: &str = "xISdSqvGj4+Xa27QTkZU4AxjM5bvMkqZX1UvDg2GsXg=";

#[test]
fn chatwork_accepts_the_fixed_vector_from_header_or_query() {
    assert_eq!(
        code(verify_chatwork(CW_TOKEN, CW_BODY, Some(CW_SIG), None)),
        "ok"
    );
    assert_eq!(
        code(verify_chatwork(CW_TOKEN, CW_BODY, None, Some(CW_SIG))),
        "ok"
    );
    // A form-decoded query turned the `+` into a space.
    let spaced = CW_SIG.replace('+', " ");
    assert_eq!(
        code(verify_chatwork(CW_TOKEN, CW_BODY, None, Some(&spaced))),
        "ok"
    );
    assert_eq!(sign_chatwork(CW_TOKEN, CW_BODY).unwrap(), CW_SIG);
    assert_eq!(independent_b64_hmac(b"secret-key-bytes", CW_BODY), CW_SIG);
}

/// Found by `props_signatures`: a signature that starts with `+` arrives in the query with a
/// leading space, which trimming used to drop before the space became `+` again.
#[test]
fn chatwork_query_signature_starting_with_plus_verifies() {
    let body = (0..10_000)
        .map(|i| format!(r#"{{"n":{i}}}"#))
        .find(|b| independent_b64_hmac(b"secret-key-bytes", b.as_bytes()).starts_with('+'))
        .expect("one in 64 signatures starts with +");
    let sig = independent_b64_hmac(b"secret-key-bytes", body.as_bytes());
    let decoded = sig.replace('+', " ");
    assert_eq!(
        code(verify_chatwork(
            CW_TOKEN,
            body.as_bytes(),
            None,
            Some(&decoded)
        )),
        "ok"
    );
}

#[test]
fn chatwork_refuses_tampering_wrong_token_and_bad_headers() {
    let tampered = br#"{"webhook_setting_id":"2","webhook_event_type":"mention_to_me"}"#;
    assert_eq!(
        code(verify_chatwork(CW_TOKEN, tampered, Some(CW_SIG), None)),
        "bad_signature"
    );
    // The raw token used as the key (not decoded) is a different key.
    let wrong_token = base64::engine::general_purpose::STANDARD.encode("other-key");
    assert_eq!(
        code(verify_chatwork(&wrong_token, CW_BODY, Some(CW_SIG), None)),
        "bad_signature"
    );
    assert_eq!(
        code(verify_chatwork(CW_TOKEN, CW_BODY, None, None)),
        "missing_signature"
    );
    assert_eq!(
        code(verify_chatwork(CW_TOKEN, CW_BODY, Some("  "), None)),
        "missing_signature"
    );
    assert_eq!(
        code(verify_chatwork(
            CW_TOKEN,
            CW_BODY,
            Some("%%%not base64"),
            None
        )),
        "malformed_signature"
    );
    assert_eq!(
        code(verify_chatwork(
            CW_TOKEN,
            CW_BODY,
            Some(&CW_SIG[..20]),
            None
        )),
        "bad_signature"
    );
    // A wrong header is not rescued by a right query value: the header wins.
    assert_eq!(
        code(verify_chatwork(
            CW_TOKEN,
            CW_BODY,
            Some("AAAA"),
            Some(CW_SIG)
        )),
        "bad_signature"
    );
    assert_eq!(
        code(verify_chatwork("not*base64", CW_BODY, Some(CW_SIG), None)),
        "bad_secret"
    );
    assert_eq!(
        code(verify_chatwork("", CW_BODY, Some(CW_SIG), None)),
        "bad_secret"
    );
}

// ---- Slack ----

const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const SLACK_TS: i64 = 1_531_420_618;
const SLACK_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
/// Slack's published example, checked with openssl.
const SLACK_SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

fn slack_at(now: i64, body: &str, ts: &str, sig: &str) -> &'static str {
    code(verify_slack(
        SLACK_SECRET,
        body.as_bytes(),
        Some(ts),
        Some(sig),
        now,
    ))
}

#[test]
fn slack_accepts_the_published_example() {
    let ts = SLACK_TS.to_string();
    assert_eq!(slack_at(SLACK_TS, SLACK_BODY, &ts, SLACK_SIG), "ok");
    assert_eq!(
        sign_slack(SLACK_SECRET, SLACK_TS, SLACK_BODY.as_bytes()),
        SLACK_SIG
    );
}

#[test]
fn slack_window_is_five_minutes_either_way() {
    let ts = SLACK_TS.to_string();
    assert_eq!(slack_at(SLACK_TS + 299, SLACK_BODY, &ts, SLACK_SIG), "ok");
    assert_eq!(slack_at(SLACK_TS + 300, SLACK_BODY, &ts, SLACK_SIG), "ok");
    assert_eq!(
        slack_at(SLACK_TS + 301, SLACK_BODY, &ts, SLACK_SIG),
        "stale_timestamp"
    );
    assert_eq!(slack_at(SLACK_TS - 299, SLACK_BODY, &ts, SLACK_SIG), "ok");
    assert_eq!(
        slack_at(SLACK_TS - 301, SLACK_BODY, &ts, SLACK_SIG),
        "stale_timestamp"
    );
    let e = verify_slack(
        SLACK_SECRET,
        SLACK_BODY.as_bytes(),
        Some(&ts),
        Some(SLACK_SIG),
        SLACK_TS + 301,
    )
    .unwrap_err();
    assert_eq!(e, SignatureError::StaleTimestamp { skew_secs: -301 });
    assert_eq!(e.http_status(), 401);
}

#[test]
fn slack_refuses_tampering_wrong_secret_and_bad_headers() {
    let ts = SLACK_TS.to_string();
    let tampered = SLACK_BODY.replace("foobar", "foobaz");
    assert_eq!(
        slack_at(SLACK_TS, &tampered, &ts, SLACK_SIG),
        "bad_signature"
    );
    // The timestamp is part of what is signed.
    let other_ts = (SLACK_TS + 1).to_string();
    assert_eq!(
        slack_at(SLACK_TS, SLACK_BODY, &other_ts, SLACK_SIG),
        "bad_signature"
    );
    let wrong = code(verify_slack(
        "another-secret",
        SLACK_BODY.as_bytes(),
        Some(&ts),
        Some(SLACK_SIG),
        SLACK_TS,
    ));
    assert_eq!(wrong, "bad_signature");
    // Truncated to whole bytes it is a wrong tag; cut mid-byte it is not hex at all.
    assert_eq!(
        slack_at(SLACK_TS, SLACK_BODY, &ts, &SLACK_SIG[..41]),
        "bad_signature"
    );
    assert_eq!(
        slack_at(SLACK_TS, SLACK_BODY, &ts, &SLACK_SIG[..40]),
        "malformed_signature"
    );
    assert_eq!(
        slack_at(SLACK_TS, SLACK_BODY, &ts, "v0=zz-not-hex"),
        "malformed_signature"
    );
    assert_eq!(
        slack_at(SLACK_TS, SLACK_BODY, &ts, &SLACK_SIG.replace("v0=", "v1=")),
        "malformed_signature"
    );
    assert_eq!(
        slack_at(SLACK_TS, SLACK_BODY, "yesterday", SLACK_SIG),
        "malformed_signature"
    );
    let no_sig = verify_slack(
        SLACK_SECRET,
        SLACK_BODY.as_bytes(),
        Some(&ts),
        None,
        SLACK_TS,
    );
    assert_eq!(code(no_sig), "missing_signature");
    let no_ts = verify_slack(
        SLACK_SECRET,
        SLACK_BODY.as_bytes(),
        None,
        Some(SLACK_SIG),
        SLACK_TS,
    );
    assert_eq!(code(no_ts), "missing_signature");
    let empty = verify_slack(
        "",
        SLACK_BODY.as_bytes(),
        Some(&ts),
        Some(SLACK_SIG),
        SLACK_TS,
    );
    assert_eq!(empty.as_ref().unwrap_err().http_status(), 500);
    assert_eq!(code(empty), "bad_secret");
}

// ---- LINE WORKS and LINE ----

const WORKS_BODY: &[u8] = br#"{"type":"message","source":{"userId":"u1"}}"#;
const WORKS_SIG: &str = "0ZwxWqqV4/c2LmOshnulYP0F4o2iIdjtxQ7n9HVCRM0=";
const LINE_BODY: &[u8] = br#"{"destination":"U0123","events":[]}"#;
const LINE_SIG: &str = "DqJwnENfrQlJ3f3gOVFYUsNLL/PC/tuqIsLgbRHvlxs=";

#[test]
fn line_works_checks_the_bot_secret_hmac() {
    let v =
        |secret: &str, body: &[u8], sig: Option<&str>| code(verify_line_works(secret, body, sig));
    assert_eq!(v("works-bot-secret", WORKS_BODY, Some(WORKS_SIG)), "ok");
    assert_eq!(sign_line_works("works-bot-secret", WORKS_BODY), WORKS_SIG);
    assert_eq!(
        v(
            "works-bot-secret",
            br#"{"type":"message","source":{"userId":"u2"}}"#,
            Some(WORKS_SIG)
        ),
        "bad_signature"
    );
    assert_eq!(
        v("other-secret", WORKS_BODY, Some(WORKS_SIG)),
        "bad_signature"
    );
    assert_eq!(v("works-bot-secret", WORKS_BODY, None), "missing_signature");
    assert_eq!(
        v("works-bot-secret", WORKS_BODY, Some(&WORKS_SIG[..12])),
        "bad_signature"
    );
    assert_eq!(
        v("works-bot-secret", WORKS_BODY, Some("!!garbage!!")),
        "malformed_signature"
    );
    assert_eq!(v(" ", WORKS_BODY, Some(WORKS_SIG)), "bad_secret");
}

#[test]
fn line_checks_the_channel_secret_hmac_on_raw_bytes() {
    let v = |secret: &str, body: &[u8], sig: Option<&str>| code(verify_line(secret, body, sig));
    assert_eq!(v("line-channel-secret", LINE_BODY, Some(LINE_SIG)), "ok");
    assert_eq!(sign_line("line-channel-secret", LINE_BODY), LINE_SIG);
    assert_eq!(
        independent_b64_hmac(b"line-channel-secret", LINE_BODY),
        LINE_SIG
    );
    // Same JSON, different whitespace: the raw bytes are what is signed.
    assert_eq!(
        v(
            "line-channel-secret",
            br#"{"destination": "U0123", "events": []}"#,
            Some(LINE_SIG)
        ),
        "bad_signature"
    );
    assert_eq!(
        v("wrong-secret", LINE_BODY, Some(LINE_SIG)),
        "bad_signature"
    );
    assert_eq!(
        v("line-channel-secret", LINE_BODY, Some("")),
        "missing_signature"
    );
    assert_eq!(
        v(
            "line-channel-secret",
            LINE_BODY,
            Some(LINE_SIG.trim_end_matches('='))
        ),
        "ok"
    );
    assert_eq!(
        v("line-channel-secret", LINE_BODY, Some("DqJwnENfrQlJ")),
        "bad_signature"
    );
    assert_eq!(
        v("line-channel-secret", LINE_BODY, Some(&"A".repeat(5000))),
        "malformed_signature"
    );
}

#[test]
fn errors_never_echo_the_secret_or_signature() {
    let e = verify_line("line-channel-secret", b"{}", Some(LINE_SIG)).unwrap_err();
    let shown = format!("{e} {e:?} {}", e.message());
    assert!(
        !shown.contains("line-channel-secret") && !shown.contains(LINE_SIG),
        "{shown}"
    );
    assert!(shown.starts_with("bad_signature: "), "{shown}");
}
