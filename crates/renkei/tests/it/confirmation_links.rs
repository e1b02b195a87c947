//! Confirmation links count people, not robots: link previews and HEAD requests record
//! nothing, only the page's button confirms (once), and forged cross-site posts do not.

use reqwest::header::{ACCEPT_LANGUAGE, ORIGIN, USER_AGENT};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::bulk_and_links::link_in;
use crate::helpers::{my_chat, Backend, TestApp};

const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0";

/// A tenant whose notices carry a 3-day link; sends one and returns (event ID, link).
async fn notice_with_link(app: &TestApp, event: Value) -> (i64, String) {
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let (s, _) = app
        .put("/api/v1/settings", json!({"confirmation_link_ttl_days": 3}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = app.send(event).await;
    app.settled(id).await;
    let link = link_in(&app.fake().messages(my_chat(&conn))[0].body);
    (id, link)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn delivery(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/v1/events/{id}")).await.1["deliveries"][0].clone()
}

/// Slack's, Teams', Google's and LINE's previewers, and HEAD, see the page but neither
/// confirm nor count as views; a person's opening is a view, not a confirmation.
async fn link_previews_and_head_count_for_nothing(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (id, link) = notice_with_link(
        &app,
        json!({"type": "file.uploaded", "to": {"tenant": true}, "title": "請求書", "body": "<b>至急</b>\n2行目", "url": "https://drive.example/f/1"}),
    )
    .await;
    let http = client();
    for ua in [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
        "Mozilla/5.0 (compatible; Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/))",
        "facebookexternalhit/1.1;line-poker/1.0",
    ] {
        let resp = http.get(&link).header(USER_AGENT, ua).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{ua}");
    }
    let resp = http
        .head(&link)
        .header(USER_AGENT, BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let d = delivery(&app, id).await;
    assert_eq!(
        (d["confirmed_at"].clone(), d["views"].clone()),
        (Value::Null, json!([])),
        "{d}"
    );

    // A person: the notice (escaped, the event's URL as a link that sends no Referer) and
    // the button, which is a plain POST form with no script.
    let resp = http
        .get(&link)
        .header(USER_AGENT, BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["referrer-policy"], "no-referrer");
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let page = resp.text().await.unwrap();
    for part in [
        "請求書",
        "&lt;b&gt;至急&lt;/b&gt;<br>2行目",
        "<a href=\"https://drive.example/f/1\" rel=\"noreferrer noopener\">",
        "<form method=\"post\"><button type=\"submit\">確認しました</button></form>",
    ] {
        assert!(page.contains(part), "{part} missing from {page}");
    }
    assert!(!page.contains("<script"), "{page}");
    let d = delivery(&app, id).await;
    assert_eq!(d["confirmed_at"], Value::Null, "{d}");
    assert_eq!(d["views"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["views"][0]["user_agent"], BROWSER);
}

/// The button confirms once (the first time is kept); later openings are views and show
/// when it was confirmed; a post from another site confirms nothing.
async fn only_the_pages_button_confirms_and_only_once(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (id, link) = notice_with_link(
        &app,
        json!({"type": "file.uploaded", "to": {"tenant": true}, "title": "書類"}),
    )
    .await;
    let http = client();
    let here = app.node().url().trim_end_matches('/').to_string();
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let resp = http.post(&link).header(name, value).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    assert_eq!(delivery(&app, id).await["confirmed_at"], Value::Null);

    let before = renkei_store::now_ms();
    let resp = http
        .post(&link)
        .header(ORIGIN, &here)
        .header("sec-fetch-site", "same-origin")
        .header(USER_AGENT, BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("確認しました"));
    let first = delivery(&app, id).await["confirmed_at"].as_i64().unwrap();
    assert!(
        (before..=renkei_store::now_ms()).contains(&first),
        "{first}"
    );

    let again = http.post(&link).header(ORIGIN, &here).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let resp = http
        .get(&link)
        .header(USER_AGENT, BROWSER)
        .header(ACCEPT_LANGUAGE, "en-US,en;q=0.9,ja;q=0.5")
        .send()
        .await
        .unwrap();
    let page = resp.text().await.unwrap();
    assert!(page.contains("This notice was confirmed on"), "{page}");
    assert!(!page.contains("<form"), "{page}");
    let d = delivery(&app, id).await;
    assert_eq!(d["confirmed_at"], first, "{d}");
    assert_eq!(d["views"].as_array().unwrap().len(), 1, "{d}");
}

/// Expired and altered links answer a page in the reader's language, for GET and POST,
/// and confirm nothing.
async fn dead_links_answer_a_page_in_the_readers_language(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (id, link) = notice_with_link(
        &app,
        json!({"type": "file.uploaded", "to": {"tenant": true}, "title": "古い通知"}),
    )
    .await;
    let delivery_id = delivery(&app, id).await["id"].as_i64().unwrap();
    let signer = app.node().store.secrets().link_signer(&app.node().url());
    let expired = signer.url(delivery_id, renkei_store::now_ms() - 1);
    let http = client();
    let resp = http.get(&expired).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("有効期限が切れています"));
    let resp = http
        .post(&expired)
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(resp.text().await.unwrap().contains("This link has expired"));
    // The page's own switch wins over the browser's language.
    let resp = http
        .get(format!("{expired}?lang=en"))
        .header(ACCEPT_LANGUAGE, "ja")
        .send()
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().contains("This link has expired"));

    let (head, sig) = link.rsplit_once('.').unwrap();
    let altered = format!("{head}.{}", sig.chars().rev().collect::<String>());
    let resp = http.post(&altered).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("リンクが正しくありません"));
    assert_eq!(delivery(&app, id).await["confirmed_at"], Value::Null);
}

crate::on_both_backends!(
    link_previews_and_head_count_for_nothing,
    only_the_pages_button_confirms_and_only_once,
    dead_links_answer_a_page_in_the_readers_language
);
