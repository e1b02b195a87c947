//! Chatwork OAuth2 against the fake over real HTTP: consent URL, code exchange, token
//! refresh before expiry and after a 401 `invalid_token`, persistence of renewed tokens,
//! and the errors an admin sees.

#[path = "chatwork_oauth/support.rs"]
mod support;

use std::time::Duration;

use base64::Engine;
use futures::future::join_all;
use renkei_core::model::ConnectionKind;
use renkei_providers::chatwork::oauth::{authorize_url, OAuthError, Pkce, SCOPES_RECOMMENDED};
use renkei_providers::chatwork::{Auth, OAuthCredentials};
use renkei_providers::{DeliveryProvider, SendOutcome};
use serde_json::json;
use sha2::{Digest, Sha256};
use support::*;

#[tokio::test]
async fn authorize_url_asks_for_code_with_pkce_s256() {
    let pkce = Pkce::generate();
    let url = authorize_url(
        "https://www.chatwork.com/packages/oauth2/login.php",
        CLIENT,
        REDIRECT,
        SCOPES_RECOMMENDED,
        "state-1",
        &pkce.challenge,
    );
    assert!(
        url.contains("scope=offline_access%20users.profile.me%3Aread%20"),
        "{url}"
    );
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(parsed.path(), "/packages/oauth2/login.php");
    let q: std::collections::HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], SCOPES_RECOMMENDED);
    assert_eq!(q["state"], "state-1");
    assert_eq!(q["code_challenge_method"], "S256");
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(pkce.verifier.as_bytes()));
    assert_eq!(q["code_challenge"], expected);
    assert!(!url.contains(&pkce.verifier), "the verifier stays with us");
}

#[tokio::test]
async fn exchange_sends_basic_auth_and_exactly_the_code_form() {
    let s = setup().await;
    let pkce = Pkce::generate();
    let code = consent_code(&s, &pkce).await;
    let tokens = s
        .chatwork
        .oauth()
        .exchange_code(CLIENT, SECRET, &code, REDIRECT, &pkce.verifier)
        .await
        .unwrap();
    assert!(tokens.has_scope("rooms.all:read_write"));

    let seen = s.fake.oauth_token_requests();
    assert_eq!(seen.len(), 1);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT}:{SECRET}"))
    );
    assert_eq!(seen[0].authorization.as_deref(), Some(expected.as_str()));
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(&str, &str)> = seen[0]
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        form,
        [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", pkce.verifier.as_str()),
        ]
    );

    let verified = s
        .chatwork
        .connect_oauth(tokens.clone(), CLIENT, SECRET)
        .await
        .unwrap();
    assert_eq!(verified.kind, ConnectionKind::Oauth);
    assert_eq!(verified.account_id.as_deref(), Some("1001"));
    let me = s
        .chatwork
        .me(Auth::Bearer(&tokens.access_token))
        .await
        .unwrap();
    assert_eq!(
        verified.default_room,
        Some(me.room_id.to_string()),
        "My Chat"
    );
    assert_eq!(verified.secret_hint, "…9876");
    let kept = OAuthCredentials::from_credentials(&verified.credentials).unwrap();
    assert_eq!(kept.access_token, tokens.access_token);
    assert_eq!(kept.refresh_token, tokens.refresh_token);
    assert_eq!(kept.client_secret, SECRET);
    assert!(!format!("{kept:?} {tokens:?}").contains(&tokens.access_token));
}

#[tokio::test]
async fn expires_in_is_read_as_number_and_as_string() {
    let s = setup().await;
    s.fake.set_oauth_access_lifetime(Duration::from_secs(900));
    for as_string in [false, true] {
        s.fake.set_expires_in_as_string(as_string);
        let pkce = Pkce::generate();
        let code = consent_code(&s, &pkce).await;
        let before = now();
        let tokens = s
            .chatwork
            .oauth()
            .exchange_code(CLIENT, SECRET, &code, REDIRECT, &pkce.verifier)
            .await
            .unwrap();
        let lifetime = tokens.expires_at_unix - before;
        assert!(
            (899..=902).contains(&lifetime),
            "as_string={as_string}: {lifetime}"
        );
    }
}

#[tokio::test]
async fn client_and_grant_errors_say_what_to_fix() {
    let s = setup().await;
    let pkce = Pkce::generate();
    let code = consent_code(&s, &pkce).await;
    let oauth = s.chatwork.oauth();

    let unknown = oauth
        .exchange_code("x", SECRET, &code, REDIRECT, &pkce.verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, OAuthError::InvalidClient { .. }),
        "{unknown:?}"
    );
    assert!(
        unknown.message_en().contains("client ID and client secret"),
        "{unknown}"
    );
    assert!(unknown
        .message_en()
        .contains("The client ID `x` is unknown."));
    assert!(unknown.message_ja().contains("クライアントシークレット"));
    let wrong = oauth
        .exchange_code(CLIENT, "wrong-secret", &code, REDIRECT, &pkce.verifier)
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), "chatwork_invalid_client");
    assert!(!wrong.to_string().contains("wrong-secret"));

    let redirect = oauth
        .exchange_code(
            CLIENT,
            SECRET,
            &code,
            "https://other.example/cb",
            &pkce.verifier,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(redirect, OAuthError::RedirectMismatch { .. }),
        "{redirect:?}"
    );
    assert!(redirect
        .message_en()
        .contains("Register exactly the redirect URL"));

    oauth
        .exchange_code(CLIENT, SECRET, &code, REDIRECT, &pkce.verifier)
        .await
        .unwrap();
    let reused = oauth
        .exchange_code(CLIENT, SECRET, &code, REDIRECT, &pkce.verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(reused, OAuthError::InvalidGrant { .. }),
        "{reused:?}"
    );
    assert!(
        reused.message_en().contains("1 minute")
            && reused.message_en().contains("Start linking again")
    );
    assert!(!reused.to_string().contains(&code));
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_send() {
    let s = setup().await;
    let room = s.fake.add_contact(ADMIN, MEMBER);
    let creds = stored(&s.fake, SCOPES_RECOMMENDED, now() + 20);
    let result = s
        .chatwork
        .send(ctx(&creds), &room.to_string(), "お知らせ")
        .await;
    assert!(
        matches!(result.outcome, SendOutcome::Delivered { .. }),
        "{result:?}"
    );

    assert_eq!(
        s.fake.count_status(401),
        0,
        "no request went out with the old token"
    );
    let paths: Vec<String> = s.fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/oauth/token", &format!("/v2/rooms/{room}/messages")]
    );
    let saved = s.store.saved.lock().clone();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].0, CONNECTION);
    let renewed = OAuthCredentials::from_credentials(&saved[0].1).unwrap();
    let post = &s.fake.requests()[1];
    assert_eq!(
        post.token_last4.as_deref(),
        Some(&renewed.access_token[renewed.access_token.len() - 4..])
    );
    assert!(renewed.expires_at >= now() + 1700);
    assert_eq!(renewed.client_id, CLIENT);
    assert_eq!(s.fake.messages(room)[0].body, "お知らせ");
}

#[tokio::test]
async fn a_401_invalid_token_refreshes_and_retries_once() {
    let s = setup().await;
    let room = s.fake.add_contact(ADMIN, MEMBER);
    let creds = stored(&s.fake, SCOPES_RECOMMENDED, now() + 3600);
    let old = OAuthCredentials::from_credentials(&creds).unwrap();
    s.fake.expire_oauth_access_tokens(ADMIN);

    let result = s
        .chatwork
        .send(ctx(&creds), &room.to_string(), "再送")
        .await;
    assert!(
        matches!(result.outcome, SendOutcome::Delivered { .. }),
        "{result:?}"
    );
    let log: Vec<(String, u16)> = s
        .fake
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    let post = format!("/v2/rooms/{room}/messages");
    assert_eq!(
        log,
        [
            (post.clone(), 401),
            ("/oauth/token".into(), 200),
            (post, 200)
        ]
    );
    let saved = s.store.saved.lock().clone();
    assert_eq!(saved.len(), 1, "the store received the new tokens");
    let renewed = OAuthCredentials::from_credentials(&saved[0].1).unwrap();
    assert_ne!(renewed.refresh_token, old.refresh_token, "rotated");
    assert_eq!(s.fake.messages(room).len(), 1);
}

#[tokio::test]
async fn a_rejected_refresh_means_link_again() {
    let s = setup().await;
    let room = s.fake.add_contact(ADMIN, MEMBER);
    let creds = stored(&s.fake, SCOPES_RECOMMENDED, now() + 3600);
    s.fake.revoke_oauth_tokens(ADMIN);

    let result = s.chatwork.send(ctx(&creds), &room.to_string(), "x").await;
    assert_eq!(
        result.outcome,
        SendOutcome::CredentialRejected,
        "{result:?}"
    );
    let error = result.error.unwrap();
    assert!(error.contains("Link the Chatwork account again"), "{error}");
    let old = OAuthCredentials::from_credentials(&creds).unwrap();
    assert!(!error.contains(&old.refresh_token) && !error.contains(SECRET));
    assert!(s.store.saved.lock().is_empty());
    assert!(s.fake.messages(room).is_empty());
}

#[tokio::test]
async fn concurrent_sends_share_one_refresh() {
    let s = setup().await;
    let room = s.fake.add_contact(ADMIN, MEMBER).to_string();
    let creds = stored(&s.fake, SCOPES_RECOMMENDED, now() - 5);
    let sends = (0..8).map(|i| {
        let body = format!("n{i}");
        let (chatwork, creds, room) = (&s.chatwork, &creds, &room);
        async move { chatwork.send(ctx(creds), room, &body).await }
    });
    for r in join_all(sends).await {
        assert!(matches!(r.outcome, SendOutcome::Delivered { .. }), "{r:?}");
    }
    assert_eq!(refreshes(&s.fake), 1);
    assert_eq!(s.store.saved.lock().len(), 1);

    // The caller still passes the stale copy: the fresher one kept in memory wins.
    let again = s.chatwork.send(ctx(&creds), &room, "later").await;
    assert!(matches!(again.outcome, SendOutcome::Delivered { .. }));
    assert_eq!(refreshes(&s.fake), 1);
    assert_eq!(
        s.fake.count_status(400),
        0,
        "no rotated-away refresh token was reused"
    );
}

#[tokio::test]
async fn lookups_work_with_oauth_connections() {
    let s = setup().await;
    let room = s.fake.add_contact(ADMIN, MEMBER);
    let creds = stored(&s.fake, SCOPES_RECOMMENDED, now() + 3600);
    let direct = s.chatwork.direct_rooms(ctx(&creds)).await.unwrap();
    assert_eq!(direct.get("2001"), Some(&room.to_string()));
    let rooms = s.chatwork.rooms(ctx(&creds)).await.unwrap();
    assert!(rooms.iter().any(|r| r.room_id == room));
    assert!(s
        .fake
        .requests()
        .iter()
        .all(|r| r.auth_scheme.as_deref() == Some("bearer")));
}

#[tokio::test]
async fn a_missing_scope_is_refused_with_what_to_grant() {
    let s = setup().await;
    let room = s.fake.add_contact(ADMIN, MEMBER);
    let creds = stored(
        &s.fake,
        "offline_access users.profile.me:read",
        now() + 3600,
    );
    let result = s.chatwork.send(ctx(&creds), &room.to_string(), "x").await;
    assert_eq!(
        result.outcome,
        SendOutcome::Refused {
            code: "chatwork_insufficient_scope"
        }
    );
    assert!(result.error.unwrap().contains("rooms.all:read_write"));

    let t = s
        .fake
        .issue_oauth_tokens(CLIENT, ADMIN, "offline_access users.profile.me:read");
    let tokens = renkei_providers::chatwork::oauth::TokenSet {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at_unix: now() + 1800,
        scope: t.scope,
    };
    let refused = s
        .chatwork
        .connect_oauth(tokens, CLIENT, SECRET)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "chatwork_missing_scope");
    assert_eq!(refused.status, 422);
}

#[tokio::test]
async fn an_unavailable_token_endpoint_is_retried_later() {
    let s = setup().await;
    let room = s.fake.add_contact(ADMIN, MEMBER);
    let creds = stored(&s.fake, SCOPES_RECOMMENDED, now());
    s.fake.fail_next_on("/oauth/token", 1, 503);
    let failed = s.chatwork.send(ctx(&creds), &room.to_string(), "x").await;
    assert_eq!(
        failed.outcome,
        SendOutcome::Retry { after: None },
        "{failed:?}"
    );
    assert!(!failed.reached_provider);
    let retried = s.chatwork.send(ctx(&creds), &room.to_string(), "x").await;
    assert!(
        matches!(retried.outcome, SendOutcome::Delivered { .. }),
        "{retried:?}"
    );
}

#[tokio::test]
async fn api_tokens_still_work_and_oauth_cannot_be_pasted() {
    let s = setup().await;
    s.fake.add_account("api-token-0001", ADMIN, "総務 管理者");
    let verified = s
        .chatwork
        .connect(&json!({"api_token": "api-token-0001"}))
        .await
        .unwrap();
    assert_eq!(verified.kind, ConnectionKind::Token);
    let room = verified.default_room.unwrap();
    let result = s
        .chatwork
        .send(ctx(&verified.credentials), &room, "token")
        .await;
    assert!(
        matches!(result.outcome, SendOutcome::Delivered { .. }),
        "{result:?}"
    );
    assert_eq!(
        s.fake.requests().last().unwrap().auth_scheme.as_deref(),
        Some("token")
    );

    let pasted = stored(&s.fake, SCOPES_RECOMMENDED, now() + 3600);
    let err = s.chatwork.connect(&pasted).await.unwrap_err();
    assert_eq!(err.status, 422);
    assert!(err.message.contains("consent page"), "{err:?}");
}
