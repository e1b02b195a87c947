//! LINE and LINE WORKS on the member's page (WORKPLACE scenario 18): the link page's flow is
//! part of the page — the login link, the official account's friend link and QR code — and
//! LINE Login comes back to the page with the result; unlink forgets the LINE user ID. LINE
//! WORKS takes the member's user ID, and the test notice comes from the tenant's bot.

use reqwest::StatusCode;

use super::{audited, member_browser, put_member};
use crate::console::browser::Browser;
use crate::helpers::{Backend, TestApp};
use crate::line_providers::{
    line, line_connect, line_world, lw, lw_connect, lw_world, LINE_BASIC_ID, LW_YAMADA, SATO,
};

/// The LINE login link on the page (absolute, signed, coming back to `/me`).
fn login_href(html: &str) -> String {
    let end = html.find("/start?back=me\"").expect("a LINE login link") + "/start?back=me".len();
    let start = html[..end].rfind("href=\"").unwrap() + "href=\"".len();
    html[start..end].to_string()
}

/// Follows the login link through the fake LINE Login: returns the callback URL LINE sends
/// the browser back to.
async fn through_line_login(start: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let to_line = http.get(start).send().await.unwrap();
    assert!(to_line.status().is_redirection(), "{}", to_line.status());
    let authorize = to_line.headers()["location"].to_str().unwrap().to_string();
    let back = http.get(&authorize).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::FOUND);
    back.headers()["location"].to_str().unwrap().to_string()
}

async fn a_member_links_line_from_their_page(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    line_world(&app);
    line_connect(&app).await;
    put_member(&app, "sato", "佐藤花子").await;
    let mut browser = member_browser(&app, "sato").await;
    let page = browser.open("/me").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.assert_has("id=\"tool-line\"");
    page.assert_has("まだ LINE と連携していません");
    page.assert_has(&renkei_providers::line::friend_url(LINE_BASIC_ID));
    page.assert_has("<svg");
    let start = login_href(&page.html);
    assert!(start.starts_with(&app.url("/link/line/")), "{start}");

    let callback = through_line_login(&start).await;
    let done = browser.open(&callback).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        done.location(),
        Some("/me?flash=line-linked&saved=line#tool-line")
    );
    let (_, member) = app.get("/api/v1/members/sato").await;
    assert_eq!(member["identities"]["line"], SATO);
    assert!(audited(&app, "member: sato", "identity.link").await);
    let page = browser.open("/me?flash=line-linked").await;
    page.assert_has("LINE と連携しました");
    page.assert_has("LINE と連携済みです");

    // Denied at LINE: back on the page, saying so; nothing changes.
    line(&app).set_login_denied();
    let callback = through_line_login(&login_href(&page.html)).await;
    let denied = browser.open(&callback).await;
    assert_eq!(
        denied.location(),
        Some("/me?line_error=line_login_denied#tool-line")
    );
    browser
        .open("/me?line_error=line_login_denied")
        .await
        .assert_has("LINE での連携がキャンセルされました");

    // Unlink forgets the LINE user ID.
    let out = browser.submit("/me", "/me/tools/line/unlink", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let (_, member) = app.get("/api/v1/members/sato").await;
    assert!(member["identities"].get("line").is_none(), "{member}");

    // Finished in a browser without the member's session (a new tab inside a frame that
    // kept its cookie partitioned): the result page, and the link is made all the same.
    line(&app).set_login_user(Some(SATO));
    let callback = through_line_login(&login_href(&browser.open("/me").await.html)).await;
    let elsewhere = Browser::new(&app).open(&callback).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.html);
    elsewhere.assert_has("LINE is linked");
    let (_, member) = app.get("/api/v1/members/sato").await;
    assert_eq!(member["identities"]["line"], SATO);
}

/// LINE WORKS (WORKPLACE): offered once the tenant has its bot; the member enters their user
/// ID, and a test notice reaches them as a message from the bot.
async fn a_member_enters_their_line_works_id_and_gets_a_test_message(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    put_member(&app, "yamada", "山田太郎").await;
    let mut browser = member_browser(&app, "yamada").await;
    let page = browser.open("/me").await;
    page.assert_has("id=\"tool-line_works\"");
    page.assert_has("LINE WORKS のユーザーID");

    let bad = browser
        .submit("/me", "/me/tools/line_works", &[("identity", "山田 太郎")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_has("LINE WORKS のユーザーIDではありません");
    let saved = browser
        .submit("/me", "/me/tools/line_works", &[("identity", LW_YAMADA)])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let (_, member) = app.get("/api/v1/members/yamada").await;
    assert_eq!(member["identities"]["line_works"], LW_YAMADA);

    let sent = browser
        .submit("/me", "/me/test", &[("provider", "line_works")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let location = sent.location().unwrap().to_string();
    let event: i64 = location["/me?test=".len()..location.find('#').unwrap()]
        .parse()
        .unwrap();
    let ev = app.settled(event).await;
    assert_eq!(ev["deliveries"][0]["status"], "delivered", "{ev:#}");
    assert_eq!(ev["deliveries"][0]["destination"]["kind"], "direct");
    assert_eq!(lw(&app).messages_to_user(LW_YAMADA).len(), 1);
    browser
        .open(&location)
        .await
        .assert_has("LINE WORKS（ダイレクト）");
}

crate::on_both_backends!(
    a_member_links_line_from_their_page,
    a_member_enters_their_line_works_id_and_gets_a_test_message,
);
