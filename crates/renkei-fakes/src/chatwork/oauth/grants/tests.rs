//! The fake's OAuth state machine without HTTP.

use super::*;
use crate::chatwork::oauth::flows::ConsentOutcome;

const LIFETIMES: Lifetimes = Lifetimes {
    code: Duration::from_secs(60),
    refresh: Duration::from_secs(14 * 86_400),
};
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn state() -> OAuthState {
    let mut s = OAuthState::default();
    let client = Client {
        secret: "sec".into(),
        redirect_uri: "https://app.example/cb".into(),
        confidential: false,
    };
    s.clients.insert("cid".into(), client);
    s.consent = Some(Consent::Approve { account_id: 7 });
    s
}

fn params<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_owned())
}

fn code_from(outcome: &ConsentOutcome) -> String {
    let ConsentOutcome::Redirect { location, .. } = outcome else {
        panic!("no redirect: {outcome:?}");
    };
    let url = url::Url::parse(location).unwrap();
    let code = url.query_pairs().find(|p| p.0 == "code");
    code.unwrap().1.into_owned()
}

#[test]
fn rfc7636_example_challenge() {
    assert_eq!(
        s256(VERIFIER),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn code_is_single_use_and_checks_pkce_and_expiry() {
    let mut s = state();
    let t0 = Instant::now();
    let challenge = s256(VERIFIER);
    let q = [
        ("client_id", "cid"),
        ("redirect_uri", "https://app.example/cb"),
        ("response_type", "code"),
        ("scope", "rooms.all:read_write"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = code_from(&s.authorize(params(&q), LIFETIMES.code, t0));
    let wrong = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://app.example/cb"),
        ("code_verifier", "x".repeat(43).leak()),
    ];
    let err = s
        .token("cid", params(&wrong), &LIFETIMES, t0)
        .err()
        .unwrap();
    assert_eq!(err.error, "invalid_grant");
    let right = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://app.example/cb"),
        ("code_verifier", VERIFIER),
    ];
    assert!(s.token("cid", params(&right), &LIFETIMES, t0).is_ok());
    let again = s
        .token("cid", params(&right), &LIFETIMES, t0)
        .err()
        .unwrap();
    assert_eq!(again.error, "invalid_grant", "codes are single use");

    let late = code_from(&s.authorize(params(&q), LIFETIMES.code, t0));
    let right = [
        ("grant_type", "authorization_code"),
        ("code", late.as_str()),
        ("redirect_uri", "https://app.example/cb"),
        ("code_verifier", VERIFIER),
    ];
    let t1 = t0 + LIFETIMES.code;
    assert!(
        s.token("cid", params(&right), &LIFETIMES, t1).is_err(),
        "code expired"
    );
}

#[test]
fn refresh_rotates_and_offline_access_never_expires() {
    let mut s = state();
    let t0 = Instant::now();
    let grant = s.new_grant();
    let short = s.issue(
        "cid",
        7,
        "rooms.all:read_write".into(),
        grant,
        &LIFETIMES,
        t0,
    );
    let renew = |t: &str| {
        [
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", t.to_owned()),
        ]
    };
    let f = renew(&short.refresh_token);
    let field = |k: &str| f.iter().find(|p| p.0 == k).map(|p| p.1.clone());
    let late = t0 + LIFETIMES.refresh;
    assert_eq!(
        s.token("cid", field, &LIFETIMES, late)
            .err()
            .unwrap()
            .description,
        "The refresh token expired."
    );

    let offline = s.issue(
        "cid",
        7,
        "offline_access rooms.all:read_write".into(),
        grant,
        &LIFETIMES,
        t0,
    );
    let f = renew(&offline.refresh_token);
    let field = |k: &str| f.iter().find(|p| p.0 == k).map(|p| p.1.clone());
    let next = s.token("cid", field, &LIFETIMES, late).unwrap();
    assert_ne!(next.refresh_token, offline.refresh_token);
    assert!(
        s.token("cid", field, &LIFETIMES, late).is_err(),
        "the old refresh token was rotated out"
    );
}

#[test]
fn bearer_checks_expiry_scope_and_revocation() {
    let mut s = state();
    let t0 = Instant::now();
    let grant = s.new_grant();
    let t = s.issue(
        "cid",
        7,
        "users.profile.me:read".into(),
        grant,
        &LIFETIMES,
        t0,
    );
    assert_eq!(
        s.check_access(&t.access_token, &["users.profile.me:read"], t0),
        Ok((7, grant))
    );
    assert_eq!(
        s.check_access(&t.access_token, &["rooms.all:read_write"], t0),
        Err(BearerRefusal::InsufficientScope(&["rooms.all:read_write"]))
    );
    let later = t0 + s.access_lifetime;
    assert_eq!(
        s.check_access(&t.access_token, &[], later),
        Err(BearerRefusal::Expired)
    );
    s.revoke(7);
    assert_eq!(
        s.check_access(&t.access_token, &[], t0),
        Err(BearerRefusal::Invalid)
    );
}
