//! HiManager's Chatwork OAuth2 (scenarios 21, 22 and 24; acceptance 7 and 11) and the
//! inbound webhook receivers (acceptance 8), end to end against the fakes.

use std::collections::HashMap;
use std::time::Duration;

use renkei::node::Node;
use renkei_fakes::chatwork::Consent;
use renkei_providers::chatwork::oauth::Pkce;
use renkei_providers::signatures::{sign_chatwork, sign_line, sign_line_works, sign_slack};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{delivery_for, statuses, Backend, TestApp};

const CLIENT_ID: &str = "himanager-client";
const CLIENT_SECRET: &str = "hm-secret-9f2c";
/// `Basic base64("himanager-client:hm-secret-9f2c")`, computed outside renkei.
const BASIC: &str = "Basic aGltYW5hZ2VyLWNsaWVudDpobS1zZWNyZXQtOWYyYw==";
/// The account the admin consents as, and its name in the fake.
const ADMIN_ACCOUNT: i64 = 4_100;
const ADMIN_NAME: &str = "人事部 通知";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn callback_url(app: &TestApp) -> String {
    app.url("/oauth/chatwork/callback")
}

/// The fake knows the OAuth client (with `fake_secret`) and the admin's account (with a
/// My Chat, returned); renkei is given `renkei_secret`.
async fn register_client(app: &TestApp, fake_secret: &str, renkei_secret: &str) -> i64 {
    app.fake()
        .register_oauth_client(CLIENT_ID, fake_secret, &callback_url(app), true);
    let my_chat = app
        .fake()
        .add_account("unused-api-token", ADMIN_ACCOUNT, ADMIN_NAME);
    let (s, view) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": renkei_secret}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    my_chat
}

/// Starts the consent in renkei and lets the fake's consent page answer: returns the
/// `authorize_url` and where the consent page sent the browser.
async fn consent(app: &TestApp) -> (String, String) {
    let (s, started) = app
        .post("/api/v1/oauth/chatwork/authorize", json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{started}");
    assert_eq!(started["expires_in"], 900);
    let authorize_url = started["authorize_url"].as_str().unwrap().to_string();
    let resp = no_redirects().get(&authorize_url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND, "consent page answered");
    let location = resp.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    (authorize_url, location)
}

/// The browser arrives back at renkei: status and page.
async fn open(url: &str) -> (StatusCode, String) {
    let resp = no_redirects().get(url).send().await.unwrap();
    let status = resp.status();
    let ctype = resp.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(ctype.starts_with("text/html"), "{ctype}");
    (status, resp.text().await.unwrap())
}

async fn oauth_connections(app: &TestApp) -> Vec<Value> {
    let (s, list) = app.get("/api/v1/connections").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "oauth")
        .cloned()
        .collect()
}

/// Registers the client, consents, follows the callback: the linked connection.
async fn link(app: &TestApp) -> Value {
    register_client(app, CLIENT_SECRET, CLIENT_SECRET).await;
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let (_, location) = consent(app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let conns = oauth_connections(app).await;
    assert_eq!(conns.len(), 1, "{conns:#?}");
    conns[0].clone()
}

/// The OAuth tokens renkei has stored for the connection, read from its database.
async fn stored_oauth(app: &TestApp, id: i64) -> Value {
    let (_, creds) = app
        .node()
        .store
        .connection_for_worker(id)
        .await
        .unwrap()
        .expect("live connection");
    creds["oauth"].clone()
}

fn last4(s: &str) -> String {
    s[s.len() - 4..].to_string()
}

/// Bearer requests the fake received for the connection's messages, as (token last 4, status).
fn message_posts(app: &TestApp, room: i64) -> Vec<(String, u16)> {
    let path = format!("/rooms/{room}/messages");
    app.fake()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&path))
        .map(|r| {
            assert_eq!(r.auth_scheme.as_deref(), Some("bearer"), "{r:?}");
            (r.token_last4.unwrap_or_default(), r.status)
        })
        .collect()
}

// ---------------------------------------------------------------- scenario 21

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

/// Events through the OAuth connection go out with the bearer token; an expired access
/// token is refreshed and the message still delivered; the rotated refresh token is saved,
/// so it works again and again, also after a restart.
async fn oauth_connection_delivers_and_refreshes(b: Backend) {
    let Some(mut app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let my_chat: i64 = conn["default_room"].as_str().unwrap().parse().unwrap();
    let first = stored_oauth(&app, id).await;

    let ev = app
        .send(json!({"type": "praise", "to": {"tenant": true}, "title": "称賛", "body": "ありがとう"}))
        .await;
    let ev = app.settled(ev).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    assert_eq!(ev["deliveries"][0]["connection_id"], id);
    assert_eq!(
        ev["deliveries"][0]["destination"]["room"],
        my_chat.to_string()
    );
    let msgs = app.fake().messages(my_chat);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].account_id, ADMIN_ACCOUNT);
    assert_eq!(msgs[0].body, "[info][title]称賛[/title]ありがとう[/info]");
    let access1 = first["access_token"].as_str().unwrap();
    assert_eq!(message_posts(&app, my_chat), vec![(last4(access1), 200)]);
    assert_eq!(app.fake().oauth_token_requests().len(), 1, "no refresh yet");

    // Chatwork expires the access token: 401 invalid_token → refresh → sent.
    let mut refresh_tokens_used = Vec::new();
    let mut previous = first.clone();
    for round in 1..=3 {
        if round == 3 {
            // Nothing kept in memory: only what the database holds.
            app.shutdown().await;
            app.node = Some(Node::start(&app.settings).await.unwrap());
        }
        app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
        let title = format!("survey reminder {round}");
        let ev = app
            .send(json!({"type": "survey.reminder", "to": {"tenant": true}, "title": title}))
            .await;
        let ev = app.settled(ev).await;
        assert_eq!(statuses(&ev), vec!["delivered"], "round {round}: {ev:#}");
        let attempts = ev["deliveries"][0]["attempts"].as_array().unwrap();
        assert_eq!(
            attempts.len(),
            1,
            "the refresh is inside one attempt: {ev:#}"
        );
        assert_eq!(attempts[0]["http_status"], 200);
        assert_eq!(app.fake().messages(my_chat).len(), 1 + round);

        let tokens = app.fake().oauth_token_requests();
        assert_eq!(
            tokens.len(),
            1 + round,
            "one refresh per expiry: {tokens:?}"
        );
        let refresh = tokens.last().unwrap();
        assert_eq!(refresh.status, 200, "round {round}: {refresh:?}");
        assert_eq!(refresh.authorization.as_deref(), Some(BASIC));
        assert_eq!(refresh.field("grant_type"), Some("refresh_token"));
        assert_eq!(refresh.form.len(), 2, "{refresh:?}");
        // The refresh token saved by the previous round (or the link) is the one used.
        let used = refresh.field("refresh_token").unwrap().to_string();
        assert_eq!(
            used,
            previous["refresh_token"].as_str().unwrap(),
            "round {round}"
        );
        refresh_tokens_used.push(used);

        let now = stored_oauth(&app, id).await;
        assert_ne!(
            now["access_token"], previous["access_token"],
            "round {round}"
        );
        assert_ne!(
            now["refresh_token"], previous["refresh_token"],
            "rotated, and saved"
        );
        assert_eq!(now["client_id"], CLIENT_ID);
        assert!(now["expires_at"].as_i64().unwrap() > previous["expires_at"].as_i64().unwrap() - 5);

        // Chatwork saw: the old token refused (401), then the new one accepted.
        let posts = message_posts(&app, my_chat);
        let tail = &posts[posts.len() - 2..];
        assert_eq!(
            tail,
            &[
                (last4(previous["access_token"].as_str().unwrap()), 401),
                (last4(now["access_token"].as_str().unwrap()), 200)
            ],
            "round {round}: {posts:?}"
        );
        previous = now;
    }
    let distinct: std::collections::HashSet<_> = refresh_tokens_used.iter().collect();
    assert_eq!(distinct.len(), 3, "each refresh spent a new refresh token");
    assert_eq!(
        app.fake().count_status(401),
        3,
        "only the three expired sends were refused"
    );
}

/// Scenario 22: members are linked to accounts picked from the authorising account's
/// contacts, listed through the OAuth connection.
async fn scenario_22_contacts_through_oauth(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    app.fake().add_person(5_001, "佐藤花子");
    app.fake().add_person(5_002, "鈴木一郎");
    let room_a = app.fake().add_contact(ADMIN_ACCOUNT, 5_001);
    let room_b = app.fake().add_contact(ADMIN_ACCOUNT, 5_002);

    let (s, contacts) = app.get(&format!("/api/v1/connections/{id}/contacts")).await;
    assert_eq!(s, StatusCode::OK, "{contacts}");
    let mut got: Vec<(i64, i64, String)> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["account_id"].as_i64().unwrap(),
                c["room_id"].as_i64().unwrap(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (5_001, room_a, "佐藤花子".to_string()),
            (5_002, room_b, "鈴木一郎".to_string())
        ]
    );
    let req = app
        .fake()
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/contacts"))
        .unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(req.auth_scheme.as_deref(), Some("bearer"));
    assert_eq!(req.status, 200);
    let access = stored_oauth(&app, id).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(req.token_last4.as_deref(), Some(last4(&access).as_str()));

    // A contact picked from the list becomes the member's identity; a DM goes to the
    // direct chat with them.
    let (s, m) = app
        .put(
            "/api/v1/members/hanako",
            json!({"name": "佐藤花子", "identities": {"chatwork": {"account_id": got[0].0.to_string()}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    let (s, t) = app
        .put(
            "/api/v1/event-types/praise",
            json!({"name": "称賛", "delivery": "direct"}),
        )
        .await;
    assert!(s.is_success(), "{t}");
    let ev = app
        .send(json!({"type": "praise", "to": {"members": ["hanako"]}, "title": "称賛が届きました"}))
        .await;
    let ev = app.settled(ev).await;
    let d = delivery_for(&ev, "member:hanako");
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(d["connection_id"], id);
    assert_eq!(app.fake().messages(room_a).len(), 1, "{ev:#}");

    // Expired token: contacts still listed (refresh on the way).
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let (s, again) = app.get(&format!("/api/v1/connections/{id}/contacts")).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again.as_array().unwrap().len(), 2);
    let last = app.fake().oauth_token_requests();
    assert_eq!(
        last.last().unwrap().field("grant_type"),
        Some("refresh_token")
    );
}

/// Scenario 24: unlinking removes the tokens at once, cancels what waited for them, and
/// nothing reaches Chatwork with them afterwards.
async fn scenario_24_unlink_stops_delivery(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let my_chat: i64 = conn["default_room"].as_str().unwrap().parse().unwrap();
    let access = stored_oauth(&app, id).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let early = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "before"}))
        .await;
    assert_eq!(statuses(&app.settled(early).await), vec!["delivered"]);

    // Chatwork fails for a while: a notice waits in retry.
    app.fake().fail_next_on("/messages", 1_000_000, 500);
    let waiting = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "waiting"}))
        .await;
    app.wait_event(waiting, Duration::from_secs(10), |ev| {
        ev["deliveries"][0]["attempts"].as_array().unwrap().len() >= 2
    })
    .await;

    let (s, body) = app.delete(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    assert_eq!(ev["deliveries"][0]["status"], "cancelled", "{ev:#}");
    assert_eq!(ev["deliveries"][0]["reason_code"], "connection_deleted");
    assert!(oauth_connections(&app).await.is_empty());
    let (s, _) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/v1/connections/{id}/contacts")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        app.node()
            .store
            .connection_for_worker(id)
            .await
            .unwrap()
            .is_none(),
        "the tokens are gone"
    );

    // Nothing more reaches Chatwork with that token: not the retry, not new events.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let with_token = |app: &TestApp| {
        app.fake()
            .requests()
            .iter()
            .filter(|r| r.token_last4.as_deref() == Some(last4(&access).as_str()))
            .count()
    };
    let seen = with_token(&app);
    let token_calls = app.fake().oauth_token_requests().len();
    app.fake().clear_faults();
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let after = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after"}))
        .await;
    let ev = app.settled(after).await;
    assert_eq!(statuses(&ev), vec!["skipped"], "{ev:#}");
    assert!(
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["connection_id"] != id),
        "{ev:#}"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(with_token(&app), seen, "requests with the unlinked token");
    assert_eq!(
        app.fake().oauth_token_requests().len(),
        token_calls,
        "no refresh for an unlinked connection"
    );
    assert_eq!(
        app.fake().messages(my_chat).len(),
        1,
        "only the early notice"
    );
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    assert_eq!(ev["deliveries"][0]["status"], "cancelled");
}

/// The admin removed the app in Chatwork: the refresh is refused, the delivery fails
/// with what to do (link again), the connection is marked broken, and later events do not
/// try it.
async fn revoked_grant_breaks_the_connection_with_what_to_fix(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    app.fake().revoke_oauth_tokens(ADMIN_ACCOUNT);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after removal"}))
        .await;
    let ev = app.settled(ev).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "failed", "{ev:#}");
    assert_eq!(d["reason_code"], "connection_broken", "{ev:#}");
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("Link the Chatwork account again"),
        "{reason}"
    );
    let tokens = app.fake().oauth_token_requests();
    let last = tokens.last().unwrap();
    assert_eq!(last.field("grant_type"), Some("refresh_token"));
    assert_eq!(
        (last.status, last.error.as_deref()),
        (400, Some("invalid_grant"))
    );
    let (_, c) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(c["status"], "broken", "{c:#}");
    let posts_before = app.fake().requests().len();
    let later = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "later"}))
        .await;
    let later = app.settled(later).await;
    assert_ne!(statuses(&later), vec!["delivered"], "{later:#}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.fake().requests().len(),
        posts_before,
        "a broken link is not tried"
    );
    assert_eq!(app.fake().oauth_token_requests().len(), tokens.len());
}

/// Two nodes on one database: the API node refreshes the token (listing contacts) while
/// the sending node's lane is busy with a retry. The refresh token was rotated under the
/// lane: it must pick up the saved one rather than break the connection.
async fn refresh_on_another_node_does_not_break_a_busy_lane(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| {
        s.retry_initial_ms = 1_500;
        s.retry_max_delay_ms = 1_500;
    })
    .await
    else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let my_chat: i64 = conn["default_room"].as_str().unwrap().parse().unwrap();
    // Node B answers the API only; node A's workers send.
    let mut api_only = app.settings.clone();
    api_only.workers = false;
    let node_b = Node::start(&api_only).await.unwrap();

    let first = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "first"}))
        .await;
    assert_eq!(statuses(&app.settled(first).await), vec!["delivered"]);

    // The next notice meets a Chatwork hiccup and waits 1.5 s for its retry.
    app.fake().fail_next_on("/messages", 1, 500);
    let second = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "second"}))
        .await;
    app.wait_event(second, Duration::from_secs(5), |ev| {
        !ev["deliveries"][0]["attempts"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;

    // Meanwhile the access token expires and the admin lists contacts through node B.
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let resp = app
        .http
        .get(format!("{}/api/v1/connections/{id}/contacts", node_b.url()))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens = app.fake().oauth_token_requests();
    assert_eq!(tokens.len(), 2, "node B refreshed: {tokens:?}");
    assert_eq!(tokens[1].status, 200);

    let ev = app.settled(second).await;
    let tokens = app.fake().oauth_token_requests();
    node_b.shutdown().await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}\n{tokens:?}");
    assert_eq!(app.fake().messages(my_chat).len(), 2);
    let (_, c) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(c["status"], "connected", "{c:#}");
}

// ------------------------------------------------- failures that say what to fix

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_denied_ends_on_a_403_page() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    register_client(&app, CLIENT_SECRET, CLIENT_SECRET).await;
    app.fake().set_oauth_consent(Consent::Deny);
    let (_, location) = consent(&app).await;
    let back = query_of(&location);
    assert_eq!(back["error"], "access_denied");
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("Chatwork と連携できませんでした"), "{page}");
    assert!(page.contains("同意を拒否しました"), "{page}");
    assert!(page.contains("declined the consent"), "{page}");
    assert!(page.contains("許可"), "says what to press: {page}");
    assert!(app.fake().oauth_token_requests().is_empty());
    assert!(oauth_connections(&app).await.is_empty());

    // The admin tries again and allows: linked.
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let (_, location) = consent(&app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(oauth_connections(&app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_secret_ends_on_a_400_page_naming_id_and_secret() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let typo = "hm-secret-TYPO";
    register_client(&app, CLIENT_SECRET, typo).await;
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let (_, location) = consent(&app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("client ID and client secret"), "{page}");
    assert!(
        page.contains("クライアントIDとクライアントシークレット"),
        "{page}"
    );
    assert!(!page.contains(typo), "never shows the secret: {page}");
    let tokens = app.fake().oauth_token_requests();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].status, 401);
    assert_eq!(tokens[0].error.as_deref(), Some("invalid_client"));
    assert!(oauth_connections(&app).await.is_empty());

    // Fixing the secret in renkei and linking again works.
    let (s, _) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, location) = consent(&app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(oauth_connections(&app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_as_a_string_still_links_and_delivers() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.fake().set_expires_in_as_string(true);
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let stored = stored_oauth(&app, id).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expires_at = stored["expires_at"].as_i64().unwrap();
    assert!(
        (now + 1_700..=now + 1_900).contains(&expires_at),
        "\"1800\" read as 30 minutes: {expires_at} vs now {now}"
    );
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "string expiry"}))
        .await;
    assert_eq!(statuses(&app.settled(ev).await), vec!["delivered"]);
    // A refresh answered with a string too.
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after refresh"}))
        .await;
    assert_eq!(statuses(&app.settled(ev).await), vec!["delivered"]);
    assert_eq!(app.fake().oauth_token_requests().len(), 2);
}

/// Callback misuse: no state, an unknown state, an expired code (Chatwork's codes live 1
/// minute; 0.6 s scaled), and a callback with neither code nor error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_callbacks_end_on_400_pages() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    register_client(&app, CLIENT_SECRET, CLIENT_SECRET).await;
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });

    let (s, page) = open(&format!("{}?code=abc", callback_url(&app))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("Start linking again"), "{page}");
    let (s, page) = open(&format!(
        "{}?code=abc&state=forged-state",
        callback_url(&app)
    ))
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("expired or was already used"), "{page}");

    // The state is good but the code expired before the admin came back.
    let (_, location) = consent(&app).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("1 minute"), "{page}");
    let tokens = app.fake().oauth_token_requests();
    assert_eq!(
        tokens.last().unwrap().error.as_deref(),
        Some("invalid_grant")
    );

    // A valid state with no code.
    let (_, location) = consent(&app).await;
    let state = query_of(&location)["state"].clone();
    let (s, page) = open(&format!("{}?state={state}", callback_url(&app))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("no authorization code"), "{page}");
    assert!(oauth_connections(&app).await.is_empty());
}

// ------------------------------------------------------------ inbound webhooks

/// Chatwork's webhook token is Base64; the HMAC key is its decoded bytes.
const CW_WEBHOOK_TOKEN: &str = "cmVua2VpLXdlYmhvb2stdG9rZW4tMDAwMQ==";
const SLACK_SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const LW_BOT_SECRET: &str = "lw-bot-secret-0001";
const LINE_CHANNEL: &str = "2000000091";
const LINE_SECRET: &str = "0123456789abcdef0123456789abcdef";
const LINE_FRIEND: &str = "U0123456789abcdef0123456789abcdef";

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// POSTs `body` to renkei's receiver with these headers: status and answer.
async fn hook(
    app: &TestApp,
    path: &str,
    body: &str,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(text.len() <= 2_048, "answers stay small: {text}");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn assert_refused(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
}

async fn put_secret(app: &TestApp, id: i64, secret: &str) -> Value {
    let (s, view) = app
        .put(
            &format!("/api/v1/connections/{id}/inbound-secret"),
            json!({ "secret": secret }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    view
}

async fn slack_bot(app: &TestApp) -> i64 {
    app.fakes
        .slack
        .fake
        .add_bot("xoxb-hooks-0001", "U0HOOKBOT1", "renkei");
    let (s, c) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "slack", "owner": {"tenant": true},
                   "credentials": {"bot_token": "xoxb-hooks-0001"}, "room": "C0HOOKS001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

async fn line_works_bot(app: &TestApp, bot_secret: Option<&str>) -> i64 {
    let lw = &app.fakes.line_works.fake;
    lw.add_app(
        "hooks-lw-client",
        "hooks-lw-secret",
        "hooks.sa@renkei-test",
        renkei_fakes::keys::TEST_PUBLIC_KEY_PEM,
    );
    lw.add_bot(3_000_001, "renkei 通知");
    let mut creds = json!({
        "client_id": "hooks-lw-client",
        "client_secret": "hooks-lw-secret",
        "service_account": "hooks.sa@renkei-test",
        "private_key": renkei_fakes::keys::TEST_PRIVATE_KEY_PEM,
        "bot_id": "3000001",
    });
    if let Some(s) = bot_secret {
        creds["bot_secret"] = json!(s);
    }
    let (s, c) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line_works", "owner": {"tenant": true}, "credentials": creds}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

async fn line_channel(app: &TestApp) -> i64 {
    let line = &app.fakes.line.fake;
    line.add_channel(
        LINE_CHANNEL,
        LINE_SECRET,
        "Ud0000000000000000000000000000091",
        "@091renkei",
        "renkei 通知",
    );
    line.add_long_lived_token(LINE_CHANNEL, "hooks-line-token");
    line.add_user(LINE_FRIEND, "山田太郎");
    let (s, c) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line", "owner": {"tenant": true},
                   "credentials": {"channel_access_token": "hooks-line-token", "channel_secret": LINE_SECRET}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

/// Chatwork: no secret yet → 503; then the header or the query parameter, correctly
/// signed, is accepted; anything else is 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatwork_webhooks_are_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let conn = app
        .connect("cw-hooks-token", 77, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    let path = format!("/hooks/chatwork/{id}");
    let body = r#"{"webhook_setting_id":"1234","webhook_event_type":"mention_to_me","webhook_event_time":1498028130,"webhook_event":{"from_account_id":123456,"to_account_id":77,"room_id":567890123,"message_id":"789012345","body":"[To:77]了解です","send_time":1498028125,"update_time":0}}"#;
    let sig = sign_chatwork(CW_WEBHOOK_TOKEN, body.as_bytes()).unwrap();

    let got = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", sig.clone())],
    )
    .await;
    assert_refused(
        &got,
        StatusCode::SERVICE_UNAVAILABLE,
        "inbound_secret_missing",
    );
    assert!(got.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("/api/v1/connections/{id}/inbound-secret")));

    let view = put_secret(&app, id, CW_WEBHOOK_TOKEN).await;
    assert_eq!(view["url"], app.url(&path));
    assert_eq!(view["secret"], "…MQ==");
    assert!(!view.to_string().contains(CW_WEBHOOK_TOKEN));

    let ok = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", sig.clone())],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    // The query parameter, percent-encoded as Chatwork sends it.
    let encoded: String = url::form_urlencoded::byte_serialize(sig.as_bytes()).collect();
    let q = format!("{path}?chatwork_webhook_signature={encoded}");
    let ok = hook(&app, &q, body, &[]).await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    // Refused: another body under the same signature, a signature by another token, none.
    let tampered = body.replace("了解です", "至急");
    let got = hook(
        &app,
        &path,
        &tampered,
        &[("X-ChatWorkWebhookSignature", sig.clone())],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let other = sign_chatwork("b3RoZXItdG9rZW4=", body.as_bytes()).unwrap();
    let got = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", other.clone())],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(
        &app,
        &format!(
            "{path}?chatwork_webhook_signature={}",
            url::form_urlencoded::byte_serialize(other.as_bytes()).collect::<String>()
        ),
        body,
        &[],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(&app, &path, body, &[]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", "not base64!".into())],
    )
    .await;
    assert_eq!(got.0, StatusCode::UNAUTHORIZED, "{}", got.1);

    // The same connection under another provider's receiver does not exist.
    let got = hook(&app, &format!("/hooks/slack/{id}"), body, &[]).await;
    assert_refused(&got, StatusCode::NOT_FOUND, "not_found");
    let got = hook(
        &app,
        "/hooks/chatwork/999999",
        body,
        &[("X-ChatWorkWebhookSignature", sig)],
    )
    .await;
    assert_refused(&got, StatusCode::NOT_FOUND, "not_found");
}

/// Chatwork's Base64 signature in the query string, with its `+` not percent-encoded (a
/// form decoder reads it as a space): still accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatwork_query_signature_with_a_raw_plus_is_accepted() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let conn = app
        .connect("cw-hooks-token", 77, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    put_secret(&app, id, CW_WEBHOOK_TOKEN).await;
    let (body, sig) = (0..1_000)
        .map(|i| {
            let body =
                format!(r#"{{"webhook_setting_id":"{i}","webhook_event_type":"message_created"}}"#);
            let sig = sign_chatwork(CW_WEBHOOK_TOKEN, body.as_bytes()).unwrap();
            (body, sig)
        })
        .find(|(_, sig)| sig.contains('+') && !sig.contains('/'))
        .expect("some signature has a plus");
    let ok = hook(
        &app,
        &format!("/hooks/chatwork/{id}?chatwork_webhook_signature={sig}"),
        &body,
        &[],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
}

/// Slack: URL verification answered with the challenge once signed; stale timestamps,
/// wrong and missing signatures refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_requests_are_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = slack_bot(&app).await;
    let path = format!("/hooks/slack/{id}");
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let signed = |secret: &str, ts: i64, body: &str| {
        vec![
            ("X-Slack-Request-Timestamp", ts.to_string()),
            ("X-Slack-Signature", sign_slack(secret, ts, body.as_bytes())),
        ]
    };

    let got = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body),
    )
    .await;
    assert_refused(
        &got,
        StatusCode::SERVICE_UNAVAILABLE,
        "inbound_secret_missing",
    );
    assert!(got.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("signing_secret"));

    let view = put_secret(&app, id, SLACK_SIGNING_SECRET).await;
    assert_eq!(view["url"], app.url(&path));
    assert_eq!(view["secret"], "…85a5");

    let ok = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    assert_eq!(
        ok.1,
        json!({"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
    );
    let event = r#"{"token":"x","team_id":"T0000FAKE1","api_app_id":"A1","type":"event_callback","event_id":"Ev1","event_time":1,"event":{"type":"app_mention","user":"U0DEMO0001","channel":"C0HOOKS001","text":"hi"}}"#;
    let ok = hook(
        &app,
        &path,
        event,
        &signed(SLACK_SIGNING_SECRET, now_unix(), event),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    // A correctly signed request from more than 5 minutes ago (a replay).
    let old = now_unix() - 6 * 60;
    let got = hook(&app, &path, body, &signed(SLACK_SIGNING_SECRET, old, body)).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "stale_timestamp");
    // A little skew is fine.
    let ok = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix() - 60, body),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    let got = hook(
        &app,
        &path,
        body,
        &signed("another-signing-secret", now_unix(), body),
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    // The signature of one timestamp under another.
    let mut mixed = signed(SLACK_SIGNING_SECRET, now_unix(), body);
    mixed[0].1 = (now_unix() - 10).to_string();
    let got = hook(&app, &path, body, &mixed).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body)[..1],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body)[1..],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(&app, &path, body, &[]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
}

/// LINE WORKS: a bot without a bot secret cannot verify callbacks (503) until one is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_callbacks_are_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = line_works_bot(&app, None).await;
    let path = format!("/hooks/line_works/{id}");
    let body = r#"{"type":"message","source":{"userId":"yamada@renkei-test","domainId":10000001},"issuedTime":"2024-04-01T09:00:00.000Z","content":{"type":"text","text":"承認しました"}}"#;
    let headers = |secret: &str| {
        vec![
            (
                "X-WORKS-Signature",
                sign_line_works(secret, body.as_bytes()),
            ),
            ("X-WORKS-BotId", "3000001".to_string()),
        ]
    };
    let got = hook(&app, &path, body, &headers(LW_BOT_SECRET)).await;
    assert_refused(
        &got,
        StatusCode::SERVICE_UNAVAILABLE,
        "inbound_secret_missing",
    );
    assert!(got.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("bot_secret"));

    let view = put_secret(&app, id, LW_BOT_SECRET).await;
    assert_eq!(view["url"], app.url(&path));
    assert_eq!(view["secret"], "…0001");
    let ok = hook(&app, &path, body, &headers(LW_BOT_SECRET)).await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    let got = hook(&app, &path, body, &headers("some-other-bot-secret")).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(&app, &path, body, &headers(LW_BOT_SECRET)[1..]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");

    // A bot secret given with the credentials works from the start.
    let app2 = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id2 = line_works_bot(&app2, Some(LW_BOT_SECRET)).await;
    let ok = hook(
        &app2,
        &format!("/hooks/line_works/{id2}"),
        body,
        &headers(LW_BOT_SECRET),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
}

/// LINE: the channel secret from the connection signs webhooks; a follow from the fake
/// LINE is accepted and makes the user a follower, an unfollow ends it, and a
/// mis-signed one changes nothing.
async fn line_follow_webhooks_are_verified_and_recorded(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let id = line_channel(&app).await;
    let url = app.url(&format!("/hooks/line/{id}"));
    let line = &app.fakes.line.fake;

    // Signed by LINE with the channel secret given at connect: no extra setup needed.
    let status = line
        .send_follow(LINE_FRIEND, &url, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(line.is_friend(LINE_CHANNEL, LINE_FRIEND));
    let (s, followers) = app
        .get(&format!("/api/v1/connections/{id}/followers"))
        .await;
    assert_eq!(s, StatusCode::OK, "{followers}");
    let f = followers.as_array().unwrap();
    assert_eq!(f.len(), 1, "{followers}");
    assert_eq!(f[0]["user_id"], LINE_FRIEND);
    assert_eq!(f[0]["following"], true);

    // Forged: signed with another secret, or not at all.
    let other = "U99999999999999999999999999999999";
    let status = line
        .send_follow(other, &url, "ffffffffffffffffffffffffffffffff")
        .await
        .unwrap();
    assert_eq!(status, 401);
    let body = json!({"destination": "Ud0000000000000000000000000000091", "events": [
        {"type": "follow", "mode": "active", "timestamp": 1, "source": {"type": "user", "userId": other},
         "webhookEventId": "01H0000000000000000000000", "deliveryContext": {"isRedelivery": false}}]})
    .to_string();
    let got = hook(&app, &format!("/hooks/line/{id}"), &body, &[]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(
        &app,
        &format!("/hooks/line/{id}"),
        &body,
        &[("X-Line-Signature", sign_line(LINE_SECRET, b"{}"))],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let ok = hook(
        &app,
        &format!("/hooks/line/{id}"),
        &body,
        &[("X-Line-Signature", sign_line(LINE_SECRET, body.as_bytes()))],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    let (_, followers) = app
        .get(&format!("/api/v1/connections/{id}/followers"))
        .await;
    assert_eq!(followers.as_array().unwrap().len(), 2, "{followers}");

    // LINE's empty verification request ("Verify" in the console), signed.
    let verify = r#"{"destination":"Ud0000000000000000000000000000091","events":[]}"#;
    let ok = hook(
        &app,
        &format!("/hooks/line/{id}"),
        verify,
        &[(
            "X-Line-Signature",
            sign_line(LINE_SECRET, verify.as_bytes()),
        )],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    let status = line
        .send_unfollow(LINE_FRIEND, &url, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (_, followers) = app
        .get(&format!("/api/v1/connections/{id}/followers"))
        .await;
    let yamada = followers
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["user_id"] == LINE_FRIEND)
        .unwrap()
        .clone();
    assert_eq!(yamada["following"], false, "{followers}");

    // A new channel secret (reissued in the console) replaces the old one.
    let reissued = "fedcba9876543210fedcba9876543210";
    let view = put_secret(&app, id, reissued).await;
    assert_eq!(view["url"], url);
    assert_eq!(view["secret"], "…3210");
    assert_eq!(
        line.send_follow(LINE_FRIEND, &url, LINE_SECRET)
            .await
            .unwrap(),
        401
    );
    assert_eq!(
        line.send_follow(LINE_FRIEND, &url, reissued).await.unwrap(),
        200
    );
}

/// Providers that never call renkei have no receiver; unknown connections and bad input to
/// the secret endpoint are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_exist_only_for_providers_that_call_back() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = slack_bot(&app).await;
    for provider in ["teams", "google_chat", "discord"] {
        let got = hook(&app, &format!("/hooks/{provider}/{id}"), "{}", &[]).await;
        assert_refused(&got, StatusCode::NOT_FOUND, "not_found");
    }
    let got = hook(&app, "/hooks/slack/not-a-number", "{}", &[]).await;
    assert_refused(&got, StatusCode::NOT_FOUND, "not_found");
    // Only POST.
    let resp = app
        .http
        .get(app.url(&format!("/hooks/slack/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);

    let (s, err) = app
        .put(
            "/api/v1/connections/999999/inbound-secret",
            json!({"secret": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    let (s, err) = app
        .put(
            &format!("/api/v1/connections/{id}/inbound-secret"),
            json!({"secret": "   "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "invalid_secret");
    // Nothing was stored by the refused PUT.
    let ts = now_unix();
    let got = hook(
        &app,
        &format!("/hooks/slack/{id}"),
        "{}",
        &[
            ("X-Slack-Request-Timestamp", ts.to_string()),
            ("X-Slack-Signature", sign_slack("   ", ts, b"{}")),
        ],
    )
    .await;
    assert_refused(
        &got,
        StatusCode::SERVICE_UNAVAILABLE,
        "inbound_secret_missing",
    );
    // Another tenant's key cannot set it.
    let (_, other_key) = app.node().store.create_tenant("Other").await.unwrap();
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/connections/{id}/inbound-secret"),
            Some(json!({"secret": SLACK_SIGNING_SECRET})),
            &other_key,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A secret that can never verify a signature is refused when it is saved, as a LINE
/// channel secret is when connecting, instead of turning every webhook into a 503 later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_inbound_secrets_are_refused_when_saved() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let cw = app
        .connect("cw-hooks-token", 77, json!({"tenant": true}), None)
        .await;
    let cw = cw["id"].as_i64().unwrap();
    let line = line_channel(&app).await;
    for (id, bad) in [
        (cw, "not base64 at all!"),
        (line, "xoxb-not-a-channel-secret"),
    ] {
        let (s, err) = app
            .put(
                &format!("/api/v1/connections/{id}/inbound-secret"),
                json!({ "secret": bad }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {err}");
        assert_eq!(err["error"]["code"], "invalid_secret", "{err}");
    }
    // And the LINE connection keeps the secret it had: its webhooks still verify.
    let url = app.url(&format!("/hooks/line/{line}"));
    let status = app
        .fakes
        .line
        .fake
        .send_follow(LINE_FRIEND, &url, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
}

/// Chatwork webhooks for an OAuth connection keep verifying after its tokens are renewed:
/// saving the refreshed tokens must not drop the webhook token set beside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_refresh_keeps_the_webhook_token() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let path = format!("/hooks/chatwork/{id}");
    put_secret(&app, id, CW_WEBHOOK_TOKEN).await;
    let body = r#"{"webhook_setting_id":"1","webhook_event_type":"mention_to_me"}"#;
    let sig = vec![(
        "X-ChatWorkWebhookSignature",
        sign_chatwork(CW_WEBHOOK_TOKEN, body.as_bytes()).unwrap(),
    )];
    let ok = hook(&app, &path, body, &sig).await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "refresh"}))
        .await;
    assert_eq!(statuses(&app.settled(ev).await), vec!["delivered"]);
    assert_eq!(app.fake().oauth_token_requests().len(), 2, "refreshed");

    let after = hook(&app, &path, body, &sig).await;
    assert_eq!(after.0, StatusCode::OK, "{}", after.1);
}

// ------------------------------------------------------------ both backends

crate::on_both_backends!(
    oauth_client_registration_shows_redirect_and_scopes,
    oauth_consent_links_the_account,
    oauth_connection_delivers_and_refreshes,
    scenario_22_contacts_through_oauth,
    scenario_24_unlink_stops_delivery,
    line_follow_webhooks_are_verified_and_recorded,
    revoked_grant_breaks_the_connection_with_what_to_fix,
);

// Several nodes share one database on PostgreSQL only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refresh_on_another_node_does_not_break_a_busy_lane() {
    refresh_on_another_node_does_not_break_a_busy_lane(Backend::Postgres).await;
}
