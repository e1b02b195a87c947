//! The console's connections: connect forms verified against the (fake) providers, the
//! list, tenant isolation, CSRF and English. Managing one connection (switch, room,
//! inbound webhook, disconnect) and Chatwork OAuth are in the submodules.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::browser::{console_link, Browser, Page};
use crate::helpers::{Backend, TestApp};

mod manage;
mod oauth;
mod tools;

const TOKEN: &str = "cw-token-for-the-office-7a3f";
const ACCOUNT: i64 = 71_001;
const ACCOUNT_NAME: &str = "通知用アカウント";

/// A browser signed in to another tenant's console: what it must not see is `app`'s.
pub async fn other_tenant_browser(app: &TestApp) -> Browser {
    let (_, key) = app
        .node()
        .store
        .create_tenant("Other office")
        .await
        .unwrap();
    let mut browser = Browser::new(app);
    let entered = browser.open(&console_link(app, &key).await).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.html);
    browser
}

/// The connection ID a successful form sent the browser to, with the flash it asked for.
#[track_caller]
pub fn connection_id_of(page: &Page, flash: &str) -> i64 {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let to = page.location().expect("a redirect");
    let rest = to
        .strip_prefix("/console/connections/")
        .unwrap_or_else(|| panic!("not a connection page: {to}"));
    let (id, query) = rest.split_once('?').expect("a flash");
    assert_eq!(query, format!("flash={flash}"));
    id.parse().unwrap()
}

pub async fn api_connections(app: &TestApp) -> Vec<Value> {
    let (status, list) = app.get("/api/v1/connections").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

/// Cells Drive level 1 and 2 through the form: the token is verified with Chatwork, the
/// room pasted as a URL is stored as its ID, and the connection is listed with its account.
async fn chatwork_connects_through_the_form(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let my_chat = app.fake().add_account(TOKEN, ACCOUNT, ACCOUNT_NAME);
    let mut browser = Browser::signed_in(&app).await;
    let form = browser.open("/console/connections/new/chatwork").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    for says in [
        "API トークン",
        "サービス連携",
        "#!rid",
        "通知専用のアカウント",
        "name=\"api_token\"",
    ] {
        form.assert_has(says);
    }

    let sent = browser
        .submit(
            "/console/connections/new/chatwork",
            "/console/connections/new/chatwork",
            &[
                ("api_token", TOKEN),
                ("room", "https://www.chatwork.com/#!rid5001"),
                ("owner", "tenant"),
            ],
        )
        .await;
    let id = connection_id_of(&sent, "conn-connected");
    let conns = api_connections(&app).await;
    assert_eq!(conns.len(), 1, "{conns:#?}");
    assert_eq!(conns[0]["id"], id);
    assert_eq!(conns[0]["room"], "5001");
    assert_eq!(conns[0]["account"]["name"], ACCOUNT_NAME);
    assert_eq!(conns[0]["owner"], json!({"tenant": true}));
    // Chatwork was asked (GET /me with the token).
    assert!(
        app.fake()
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/me")),
        "the token was not verified with Chatwork"
    );

    let page = browser
        .open(&format!("/console/connections/{id}?flash=conn-connected"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.assert_has("接続しました");
    page.assert_has(ACCOUNT_NAME);
    page.assert_has("マイチャット");
    page.assert_has(&format!("#!rid{my_chat}"));
    page.assert_has("5001");
    page.assert_has("…7a3f");
    assert!(
        !page.html.contains(TOKEN),
        "the token is shown: {}",
        page.html
    );

    let list = browser.open("/console/connections").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_has(&format!("href=\"/console/connections/{id}\">Chatwork</a>"));
    list.assert_has(ACCOUNT_NAME);
    list.assert_has("事務所（全体）");
    list.assert_has("接続中");

    let audit = browser.open("/console/audit").await;
    audit.assert_has("connection.create");
    assert!(!audit.html.contains(TOKEN), "{}", audit.html);
}

/// A token Chatwork refuses comes back next to the token field, 422, with what was typed
/// kept (but never the token); nothing is stored.
async fn a_refused_token_is_shown_on_the_form(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut browser = Browser::signed_in(&app).await;
    let refused = browser
        .submit(
            "/console/connections/new/chatwork",
            "/console/connections/new/chatwork",
            &[
                ("api_token", "not-a-token-chatwork-knows"),
                ("room", "5001"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    refused.assert_has("id=\"api_token-error\"");
    refused.assert_has("Chatwork がこの API トークンを受け付けませんでした");
    refused.assert_has("aria-invalid=\"true\"");
    // In the summary too, linked to the field.
    refused.assert_has("<a href=\"#api_token\">Chatwork がこの API トークン");
    refused.assert_has("value=\"5001\"");
    assert!(!refused.html.contains("not-a-token-chatwork-knows"));
    assert!(api_connections(&app).await.is_empty());

    // Nothing typed: said before asking Chatwork.
    let empty = browser
        .submit(
            "/console/connections/new/chatwork",
            "/console/connections/new/chatwork",
            &[("api_token", " "), ("owner", "client")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_has("API トークンを入力してください");
    empty.assert_has("顧問先の外部 ID を入力してください");

    // An owner that does not exist lands on the owner field.
    app.fake().add_account(TOKEN, ACCOUNT, ACCOUNT_NAME);
    let unknown = browser
        .submit(
            "/console/connections/new/chatwork",
            "/console/connections/new/chatwork",
            &[
                ("api_token", TOKEN),
                ("owner", "client"),
                ("owner_id", "nobody"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    unknown.assert_has("id=\"owner_id-error\"");
    unknown.assert_has("この外部 ID の顧問先は登録されていません");
    unknown.assert_has("value=\"nobody\"");
    assert!(api_connections(&app).await.is_empty());
}

/// Another tenant's connection IDs answer 404 on every page and form, and change nothing.
async fn another_tenants_connection_is_not_found(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = app
        .connect(TOKEN, ACCOUNT, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    let mut other = other_tenant_browser(&app).await;
    for path in ["", "/delete", "/rooms"] {
        let page = other
            .open(&format!("/console/connections/{id}{path}"))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.html);
        page.assert_has("接続が見つかりません");
    }
    let list = other.open("/console/connections").await;
    assert!(!list.html.contains(&format!("/console/connections/{id}\"")));
    let posts: [(&str, &[(&str, &str)]); 4] = [
        ("enabled", &[("enabled", "false")]),
        ("room", &[("room", "999")]),
        ("inbound-secret", &[("secret", "c2VjcmV0")]),
        ("delete", &[]),
    ];
    for (action, fields) in posts {
        let page = other
            .submit(
                "/console/connections",
                &format!("/console/connections/{id}/{action}"),
                fields,
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{action}: {}",
            page.html
        );
    }
    let (s, after) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["enabled"], true);
    assert_eq!(after["room"], Value::Null);
}

/// Forms without the session's CSRF token are refused and change nothing.
async fn posts_without_csrf_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.fake().add_account(TOKEN, ACCOUNT, ACCOUNT_NAME);
    let conn = app
        .connect(
            "cw-existing-token-0001",
            71_002,
            json!({"tenant": true}),
            None,
        )
        .await;
    let id = conn["id"].as_i64().unwrap();
    let mut browser = Browser::signed_in(&app).await;
    let create = browser
        .post_raw("/console/connections/new/chatwork", &[("api_token", TOKEN)])
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    let delete = browser
        .post_raw(
            &format!("/console/connections/{id}/delete"),
            &[("_csrf", "forged")],
        )
        .await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    let off = browser
        .post_raw(
            &format!("/console/connections/{id}/enabled"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(off.status, StatusCode::FORBIDDEN);
    let oauth = browser
        .post_raw(
            "/console/connections/oauth/chatwork",
            &[("client_id", "x"), ("client_secret", "y")],
        )
        .await;
    assert_eq!(oauth.status, StatusCode::FORBIDDEN);
    let conns = api_connections(&app).await;
    assert_eq!(conns.len(), 1, "{conns:#?}");
    assert_eq!(conns[0]["enabled"], true);
    let (_, client) = app.get("/api/v1/oauth-clients/chatwork").await;
    assert_eq!(client["registered"], false);
}

/// The pages in English, and the language switch's way back.
async fn english_pages_render(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = app
        .connect(TOKEN, ACCOUNT, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    let mut browser = Browser::signed_in(&app).await;
    browser.accept_language = "en-US,en;q=0.8".into();
    let checks: [(String, &[&str]); 5] = [
        (
            "/console/connections".into(),
            &["Connected tools", "Connect a tool", "The office"],
        ),
        (
            "/console/connections/new/chatwork".into(),
            &[
                "Connect Chatwork",
                "API token",
                "Service integration",
                "notification-only account",
            ],
        ),
        (
            "/console/connections/new/line_works".into(),
            &["Older manuals (API 1.0)", "Service account"],
        ),
        (
            format!("/console/connections/{id}"),
            &["Chatwork connection", "Switch off", "My Chat"],
        ),
        (
            format!("/console/connections/{id}/delete"),
            &["What happens", "Disconnect"],
        ),
    ];
    for (path, says) in checks {
        let page = browser.open(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
        page.assert_has("<html lang=\"en\">");
        for s in says {
            page.assert_has(s);
        }
        assert!(
            !page.html.contains('⟦'),
            "{path} lacks words: {}",
            page.html
        );
    }
}

crate::on_both_backends!(
    chatwork_connects_through_the_form,
    a_refused_token_is_shown_on_the_form,
    another_tenants_connection_is_not_found,
    posts_without_csrf_are_refused,
    english_pages_render,
);
