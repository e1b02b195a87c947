//! LINE (scenarios 17, 18): connecting, linking a member through LINE Login, and the push.

use renkei_fakes::common::mask;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{statuses, Backend, TestApp};

use super::{
    attempt_statuses, direct_type, line, line_connect, line_world, LINE_BOT, LINE_CHANNEL,
    LINE_SECRET, LINE_TOKEN, LOGIN_CHANNEL, SATO,
};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GET without following redirects: status, `Location`, body.
async fn get_raw(url: &str) -> (StatusCode, Option<String>, String) {
    let resp = no_redirects().get(url).send().await.expect("request");
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, resp.text().await.unwrap())
}

fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(url: &str, key: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The member's link page, then LINE Login up to LINE's redirect back to renkei: returns
/// the callback URL LINE sent the browser to.
async fn login_until_callback(app: &TestApp, page: &str) -> String {
    let (s, location, body) = get_raw(&format!("{page}/start")).await;
    // A redirect the browser follows with a GET (302 or 303).
    assert!(
        [StatusCode::FOUND, StatusCode::SEE_OTHER].contains(&s),
        "{s}: {body}"
    );
    let authorize = location.expect("redirect to LINE Login");
    let login_base = format!("{}/oauth2/v2.1/authorize?", app.fakes.line.login_url());
    assert!(authorize.starts_with(&login_base), "{authorize}");
    // The scope is sent as `profile%20openid`, exactly as LINE documents it.
    assert!(authorize.contains("scope=profile%20openid"), "{authorize}");
    assert_eq!(param(&authorize, "response_type").as_deref(), Some("code"));
    assert_eq!(
        param(&authorize, "client_id").as_deref(),
        Some(LOGIN_CHANNEL)
    );
    assert_eq!(
        param(&authorize, "redirect_uri"),
        Some(app.url("/link/line/callback"))
    );
    assert_eq!(
        param(&authorize, "bot_prompt").as_deref(),
        Some("aggressive")
    );
    let state = param(&authorize, "state").expect("state");
    let nonce = param(&authorize, "nonce").expect("nonce");
    assert!(state.len() >= 16 && nonce.len() >= 16, "{authorize}");
    assert_ne!(state, nonce);

    let (s, location, body) = get_raw(&authorize).await;
    assert_eq!(s, StatusCode::FOUND, "fake LINE Login: {body}");
    let callback = location.expect("LINE redirects back");
    assert!(
        callback.starts_with(&app.url("/link/line/callback?")),
        "{callback}"
    );
    assert_eq!(param(&callback, "state"), Some(state));
    let seen = line(app).authorizations().pop().unwrap();
    assert_eq!(seen.nonce, Some(nonce));
    assert_eq!(seen.bot_prompt.as_deref(), Some("aggressive"));
    assert_eq!(seen.scope, "profile openid");
    callback
}

async fn link_page(app: &TestApp, member: &str) -> String {
    let (s, page) = app
        .post(
            &format!("/api/v1/members/{member}/link-pages/line"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{page}");
    assert!(page["expires_at"].as_i64().unwrap() > 0);
    page["url"].as_str().unwrap().to_string()
}

/// Scenarios 17 and 18 (LINE): the tenant connects its official account (with a LINE Login
/// channel); a member links by logging in with LINE (asked to add the account as a friend);
/// a direct notice then reaches them by push with a retry key. The used login cannot be
/// replayed.
async fn line_connect_link_and_push(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    line_world(&app);
    let conn = line_connect(&app).await;
    assert_eq!(conn["status"], "connected");
    assert_eq!(conn["provider"], "line");
    assert_eq!(conn["account"]["id"], LINE_BOT);
    assert_eq!(conn["account"]["name"], "ワークプレイス通知");
    assert!(!conn.to_string().contains(LINE_TOKEN), "{conn}");
    let info = line(&app).requests().pop().unwrap();
    assert_eq!(
        (info.method.as_str(), info.path.as_str()),
        ("GET", "/v2/bot/info")
    );
    assert_eq!(info.status, 200);

    app.put("/api/v1/members/sato", json!({"name": "佐藤花子"}))
        .await;
    direct_type(&app).await;
    let page = link_page(&app, "sato").await;
    assert!(page.starts_with(&app.url("/link/line/")), "{page}");

    let (s, _, html) = get_raw(&page).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("https://line.me/R/ti/p/%40042wkpl"), "{html}");
    assert!(html.contains("<svg"), "QR code missing");
    assert!(html.contains("佐藤花子"));
    assert!(html.contains(&format!("{page}/start")), "{html}");
    assert!(!line(&app).is_friend(LINE_CHANNEL, SATO));

    let callback = login_until_callback(&app, &page).await;
    assert_eq!(
        param(&callback, "friendship_status_changed").as_deref(),
        Some("true")
    );
    assert!(
        line(&app).is_friend(LINE_CHANNEL, SATO),
        "bot_prompt befriended"
    );
    let (s, _, html) = get_raw(&callback).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("LINE is linked"), "{html}");
    // The code was exchanged at LINE's token endpoint with the same redirect URI.
    let exchange = line(&app)
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/oauth2/v2.1/token")
        .expect("code exchange");
    assert_eq!(exchange.status, 200);
    let form = exchange.form();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("grant_type"), Some("authorization_code"));
    assert_eq!(field("client_id"), Some(LOGIN_CHANNEL));
    assert_eq!(
        field("redirect_uri"),
        Some(app.url("/link/line/callback").as_str())
    );

    let (s, member) = app.get("/api/v1/members/sato").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(member["identities"]["line"], SATO, "{member}");
    let (_, _, html) = get_raw(&page).await;
    assert!(html.contains("Your LINE account is linked."), "{html}");

    // The same callback again (a reload, or a replay): refused, nothing changes.
    let (s, _, html) = get_raw(&callback).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("expired or was already used"), "{html}");

    // A direct notice: one push to the linked user, with a retry key.
    let id = app
        .send(json!({"type": "wf.direct", "to": {"members": ["sato"]}, "title": "承認されました", "body": "休暇申請 #7", "url": "https://wp.example/r/7"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(d["provider"], "line");
    assert_eq!(d["destination"]["account"], SATO, "{d}");
    assert_eq!(attempt_statuses(d), vec![Some(200)]);
    let pushes = line(&app).pushes();
    assert_eq!(pushes.len(), 1);
    let p = &pushes[0];
    assert_eq!(p.channel_id, LINE_CHANNEL);
    assert_eq!(p.to, SATO);
    assert!(p.delivered, "佐藤 is a friend now");
    assert_eq!(
        p.messages,
        vec![
            json!({"type": "text", "text": "【承認されました】\n休暇申請 #7\nhttps://wp.example/r/7"})
        ]
    );
    let key = p.retry_key.clone().expect("X-Line-Retry-Key");
    assert_eq!(
        key,
        renkei_providers::line::retry_key(conn["id"].as_i64().unwrap(), d["id"].as_i64().unwrap())
    );
    assert!(is_uuid(&key), "{key}");
    assert_eq!(d["message_id"], p.message_ids[0].as_str());
    let push = line(&app).requests().pop().unwrap();
    assert_eq!(push.path, "/v2/bot/message/push");
    assert_eq!(
        push.header("authorization"),
        Some(mask(&format!("Bearer {LINE_TOKEN}")).as_str())
    );
    assert!(push
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(push.json()["to"], SATO);
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == vec![8, 4, 4, 4, 12]
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// A member who cancels on LINE's consent screen ends on a 403 page that says to try
/// again; nothing is linked; that login cannot be replayed either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_denied_login_says_what_to_do() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    line_world(&app);
    line_connect(&app).await;
    app.put("/api/v1/members/sato", json!({"name": "佐藤花子"}))
        .await;
    line(&app).set_login_denied();
    let page = link_page(&app, "sato").await;
    let callback = login_until_callback(&app, &page).await;
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&callback, "code"), None);
    let (s, _, html) = get_raw(&callback).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("cancelled"), "{html}");
    assert!(html.contains("again"), "{html}");
    assert!(html.contains("キャンセル"), "{html}");
    let (_, member) = app.get("/api/v1/members/sato").await;
    assert!(member["identities"].get("line").is_none(), "{member}");
    assert!(
        !line(&app)
            .requests()
            .iter()
            .any(|r| r.path == "/oauth2/v2.1/token"),
        "no code to exchange"
    );
    let (s, _, _) = get_raw(&callback).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A made-up state is refused the same way.
    let (s, _, _) = get_raw(&app.url("/link/line/callback?code=x&state=forged-state")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The next try works.
    line(&app).set_login_user(Some(SATO));
    let callback = login_until_callback(&app, &page).await;
    let (s, _, html) = get_raw(&callback).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let (_, member) = app.get("/api/v1/members/sato").await;
    assert_eq!(member["identities"]["line"], SATO, "{member}");
}

/// The link page needs a LINE connection with a Login channel; bad tokens and bad links
/// are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_connect_and_link_page_errors() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    line_world(&app);
    app.put("/api/v1/members/sato", json!({"name": "佐藤花子"}))
        .await;
    let link = "/api/v1/members/sato/link-pages/line";
    let (s, err) = app.post(link, json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "no_connection", "{err}");

    let (s, err) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line", "owner": {"tenant": true}, "credentials": {
                "channel_access_token": "not-a-token", "channel_secret": LINE_SECRET}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "line_invalid_token", "{err}");
    let (s, err) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line", "owner": {"tenant": true}, "credentials": {
                "channel_access_token": LINE_TOKEN, "channel_secret": LINE_SECRET,
                "login_channel_id": LOGIN_CHANNEL}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "invalid_credentials", "{err}");

    let (s, conn) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line", "owner": {"tenant": true}, "credentials": {
                "channel_access_token": LINE_TOKEN, "channel_secret": LINE_SECRET}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{conn}");
    let (s, err) = app.post(link, json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "line_login_not_configured", "{err}");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("login_channel_id"));
    let (s, err) = app
        .post("/api/v1/members/nobody/link-pages/line", json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");

    for bad in ["/link/line/garbage", "/link/line/garbage/start"] {
        let (s, _, html) = get_raw(&app.url(bad)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            html.contains("Ask your administrator for a new link"),
            "{html}"
        );
    }
    let (s, _, _) = get_raw(&app.url("/link/line/callback")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(line(&app).authorizations().is_empty());
}

crate::on_both_backends!(line_connect_link_and_push);
