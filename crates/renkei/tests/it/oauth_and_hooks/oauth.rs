//! Scenario 21: registering the Chatwork OAuth client and linking an account by consent.

use renkei_fakes::chatwork::Consent;
use renkei_providers::chatwork::oauth::Pkce;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};

use super::{
    callback_url, consent, oauth_connections, open, query_of, register_client, stored_oauth,
    ADMIN_ACCOUNT, ADMIN_NAME, BASIC, CLIENT_ID, CLIENT_SECRET,
};

/// The admin sees what to set up in Chatwork before anything is registered, registers the
/// client (the secret never comes back whole), and is told which scopes are not Chatwork's.
async fn oauth_client_registration_shows_redirect_and_scopes(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (s, view) = app.get("/api/v1/oauth-clients/chatwork").await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["registered"], false);
    assert_eq!(view["client_id"], Value::Null);
    assert_eq!(view["client_secret"], Value::Null);
    let redirect = callback_url(&app);
    assert_eq!(view["redirect_uri"], redirect.as_str());
    assert_eq!(
        view["scopes"],
        json!([
            "offline_access",
            "users.profile.me:read",
            "rooms.all:read_write",
            "contacts.all:read_write"
        ])
    );
    for lang in ["ja", "en"] {
        let text = view["instructions"][lang].as_str().unwrap();
        assert!(text.contains(&redirect), "{lang}: {text}");
        assert!(text.contains("rooms.all:read_write"), "{lang}: {text}");
    }

    // Consent cannot start before the client is registered.
    let (s, err) = app
        .post("/api/v1/oauth/chatwork/authorize", json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "oauth_client_missing");

    let (s, view) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["registered"], true);
    assert_eq!(view["client_id"], CLIENT_ID);
    assert_eq!(view["client_secret"], "…9f2c");
    assert!(!view.to_string().contains(CLIENT_SECRET), "{view}");
    let (_, again) = app.get("/api/v1/oauth-clients/chatwork").await;
    assert_eq!(again["registered"], true);
    assert_eq!(again["client_secret"], "…9f2c");
    assert_eq!(again["redirect_uri"], redirect.as_str());
    assert!(!again.to_string().contains(CLIENT_SECRET), "{again}");

    // Scopes: an unknown one is refused by name; known ones replace the recommendation.
    let (s, err) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                   "scopes": "rooms.all:read_write rooms.everything"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "invalid_scope");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("rooms.everything"));
    let (s, err) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": "  "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "invalid_oauth_client");
    let (_, unchanged) = app.get("/api/v1/oauth-clients/chatwork").await;
    assert_eq!(
        unchanged["client_secret"], "…9f2c",
        "refused PUTs change nothing"
    );
    assert_eq!(unchanged["scopes"].as_array().unwrap().len(), 4);

    let (s, view) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                   "scopes": "users.profile.me:read  rooms.messages:write"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(
        view["scopes"],
        json!(["users.profile.me:read", "rooms.messages:write"])
    );
    let (_, started) = app
        .post("/api/v1/oauth/chatwork/authorize", json!({}))
        .await;
    let q = query_of(started["authorize_url"].as_str().unwrap());
    assert_eq!(q["scope"], "users.profile.me:read rooms.messages:write");
}

/// The whole consent: authorize URL → Chatwork's consent → callback → an `oauth`
/// connection, with the code exchanged by HTTP Basic and the PKCE verifier.
async fn oauth_consent_links_the_account(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let my_chat = register_client(&app, CLIENT_SECRET, CLIENT_SECRET).await;
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let (authorize_url, location) = consent(&app).await;

    // The consent URL: Chatwork's login page with every parameter Chatwork needs.
    assert!(
        authorize_url.starts_with(&format!("{}?", app.fake.login_url())),
        "{authorize_url}"
    );
    assert!(
        authorize_url.contains("scope=offline_access%20users.profile.me%3Aread%20"),
        "scopes are space-separated as %20: {authorize_url}"
    );
    let q = query_of(&authorize_url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], callback_url(&app));
    assert_eq!(
        q["scope"],
        "offline_access users.profile.me:read rooms.all:read_write contacts.all:read_write"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    let challenge = &q["code_challenge"];
    assert_eq!(challenge.len(), 43, "S256 challenge: {challenge}");
    let state = &q["state"];
    assert!(state.len() >= 16, "state too guessable: {state}");
    assert_eq!(q.len(), 7, "{q:?}");

    // Chatwork sends the browser back with a code and the same state.
    assert!(
        location.starts_with(&format!("{}?", callback_url(&app))),
        "{location}"
    );
    let back = query_of(&location);
    assert_eq!(&back["state"], state);
    assert!(!back["code"].is_empty());

    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("連携しました"), "{page}");
    assert!(page.contains(ADMIN_NAME), "{page}");
    assert!(!page.contains(CLIENT_SECRET));

    // The token request as Chatwork received it.
    let tokens = app.fake().oauth_token_requests();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let t = &tokens[0];
    assert_eq!(t.status, 200, "{t:?}");
    assert_eq!(t.authorization.as_deref(), Some(BASIC));
    assert!(t
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    assert_eq!(t.field("grant_type"), Some("authorization_code"));
    assert_eq!(t.field("code"), Some(back["code"].as_str()));
    assert_eq!(t.field("redirect_uri"), Some(callback_url(&app).as_str()));
    let verifier = t.field("code_verifier").expect("PKCE verifier sent");
    assert!(
        (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c)),
        "{verifier}"
    );
    assert_eq!(&Pkce::challenge_for(verifier), challenge);
    assert!(!authorize_url.contains(verifier), "the verifier stays home");
    assert_eq!(t.field("client_secret"), None, "secret only in the header");
    assert_eq!(t.field("client_id"), None);
    let consent_page = app
        .fake()
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/login.php"))
        .unwrap();
    assert_eq!(consent_page.status, 302);

    // The connection: kind oauth, the consenting account, its My Chat.
    let conns = oauth_connections(&app).await;
    assert_eq!(conns.len(), 1, "{conns:#?}");
    let c = &conns[0];
    assert_eq!(c["provider"], "chatwork");
    assert_eq!(c["kind"], "oauth");
    assert_eq!(c["status"], "connected");
    assert_eq!(c["owner"], json!({"tenant": true}));
    assert_eq!(c["account"]["id"], ADMIN_ACCOUNT.to_string());
    assert_eq!(c["account"]["name"], ADMIN_NAME);
    assert_eq!(c["default_room"], my_chat.to_string());
    assert!(page.contains(&format!("接続 ID {}", c["id"])), "{page}");
    let shown = c.to_string();
    let stored = stored_oauth(&app, c["id"].as_i64().unwrap()).await;
    for secret in [
        CLIENT_SECRET,
        stored["access_token"].as_str().unwrap(),
        stored["refresh_token"].as_str().unwrap(),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert_eq!(stored["client_id"], CLIENT_ID);
    assert_eq!(
        stored["scope"],
        "offline_access users.profile.me:read rooms.all:read_write contacts.all:read_write"
    );
    // `/me` was read with the new access token.
    let me = app
        .fake()
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/me"))
        .unwrap();
    assert_eq!(me.auth_scheme.as_deref(), Some("bearer"));
    assert_eq!(me.status, 200);

    // The same callback again (a reload, or a replay): the state was used up.
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("already used"), "{page}");
    assert!(page.contains("有効期限切れ"), "{page}");
    assert_eq!(
        app.fake().oauth_token_requests().len(),
        1,
        "no second exchange"
    );
    assert_eq!(oauth_connections(&app).await.len(), 1);
}

crate::on_both_backends!(
    oauth_client_registration_shows_redirect_and_scopes,
    oauth_consent_links_the_account,
);
