//! Embedding (issue 10 point 4): the tenant's allowed frame origins (API and console
//! settings), `frame-ancestors` on the self-service pages only, the compact `?embed=1`
//! layout kept across a save, the data `console.js` posts to the parent, and the cookie
//! that works in a frame over https.

use reqwest::StatusCode;
use serde_json::json;

use super::{member_browser, put_member};
use crate::console::browser::Browser;
use crate::helpers::{Backend, TestApp};

fn csp(page: &crate::console::browser::Page) -> String {
    page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string()
}

async fn allowed_origins_may_frame_the_self_service_pages_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_member(&app, "yamada", "山田太郎").await;
    let (_, settings) = app.get("/api/v1/settings").await;
    assert_eq!(settings["frame_origins"], json!([]));

    let mut browser = member_browser(&app, "yamada").await;
    let page = browser.open("/me").await;
    assert!(
        csp(&page).ends_with("frame-ancestors 'none'"),
        "{}",
        csp(&page)
    );
    assert!(csp(&page).contains("script-src 'self'"));
    assert!(!page.html.contains("data-frame-origins"));

    for bad in [
        json!(["app.example.com"]),
        json!(["https://app.example.com/settings"]),
        json!(["http://app.example.com"]),
        json!(["https://*.example.com"]),
    ] {
        let (s, e) = app
            .put("/api/v1/settings", json!({"frame_origins": bad}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(e["error"]["code"], "invalid_frame_origin", "{e}");
    }
    let (s, saved) = app
        .put(
            "/api/v1/settings",
            json!({"frame_origins": ["https://App.Example.com:443", "http://127.0.0.1:3000"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["frame_origins"],
        json!(["https://app.example.com", "http://127.0.0.1:3000"])
    );
    // Other settings keep their values when only the origins change, and the reverse.
    let (_, s2) = app.put("/api/v1/settings", json!({"language": "en"})).await;
    assert_eq!(s2["frame_origins"], saved["frame_origins"]);

    let page = browser.open("/me?embed=1").await;
    assert!(
        csp(&page).ends_with("frame-ancestors https://app.example.com http://127.0.0.1:3000"),
        "{}",
        csp(&page)
    );
    page.assert_has("class=\"bare self embed\"");
    page.assert_has("data-frame-origins=\"https://app.example.com http://127.0.0.1:3000\"");
    page.assert_has("action=\"/me/tools/slack?embed=1\"");
    // A refused form (no CSRF token) says so inside the frame too.
    let forged = browser
        .post_raw("/me/tools/slack?embed=1", &[("identity", "U0FORGED01")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        csp(&forged).ends_with("frame-ancestors https://app.example.com http://127.0.0.1:3000"),
        "{}",
        csp(&forged)
    );
    // A link opened in the frame with `?embed=1` lands on the compact page.
    let url = super::settings_link(&app, "members", "yamada").await;
    let mut framed = Browser::new(&app);
    let entered = framed.open(&format!("{url}?embed=1")).await;
    assert_eq!(entered.location(), Some("/me?embed=1"));
    // The console stays unframable.
    let mut admin = Browser::signed_in(&app).await;
    let console = admin.open("/console").await;
    assert!(csp(&console).ends_with("frame-ancestors 'none'"));

    // A save inside the frame comes back to the compact page, which tells the parent.
    let saved = browser
        .submit(
            "/me?embed=1",
            "/me/tools/slack?embed=1",
            &[("identity", "U0YAMADA01")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let to = saved.location().unwrap().to_string();
    assert_eq!(to, "/me?embed=1&flash=saved&saved=slack#tool-slack");
    let after = browser.open(&to).await;
    after.assert_has("data-saved=\"slack\"");
    after.assert_has("class=\"bare self embed\"");
    // A made-up section is not echoed into the page.
    let odd = browser.open("/me?saved=%22%3E%3Cscript%3E").await;
    assert!(!odd.html.contains("data-saved"));

    // The language switch keeps the view, in the query (a cookie may not stick in a frame).
    let page = browser.open("/me?embed=1").await;
    page.assert_has("href=\"/me?embed=1&#38;lang=en\"");
    let en = browser.open("/me?embed=1&lang=en").await;
    en.assert_has("Notification settings");
    en.assert_has("action=\"/me/tools/slack?embed=1&#38;lang=en\"");

    // The console's settings page edits the same list.
    let form = admin.open("/console/settings").await;
    form.assert_has("https://app.example.com\nhttp://127.0.0.1:3000</textarea>");
    let refused = admin
        .submit(
            "/console/settings",
            "/console/settings",
            &[
                ("link_ttl_days", ""),
                ("time_zone", "Asia/Tokyo"),
                ("language", "ja"),
                (
                    "frame_origins",
                    "https://ok.example.com\nftp://files.example.com",
                ),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("href=\"#frame-origins\"");
    refused.assert_has("ftp://files.example.com</textarea>");
    let saved = admin
        .submit(
            "/console/settings",
            "/console/settings",
            &[
                ("link_ttl_days", ""),
                ("time_zone", "Asia/Tokyo"),
                ("language", "ja"),
                ("frame_origins", "https://portal.example.jp\n"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let (_, settings) = app.get("/api/v1/settings").await;
    assert_eq!(
        settings["frame_origins"],
        json!(["https://portal.example.jp"])
    );
    let page = browser.open("/me").await;
    assert!(csp(&page).ends_with("frame-ancestors https://portal.example.jp"));
}

async fn over_https_the_cookie_works_in_a_frame(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.public_url = Some("https://renkei.example.jp".into());
    })
    .await
    else {
        return;
    };
    put_member(&app, "yamada", "山田太郎").await;
    let (_, link) = app
        .post("/api/v1/members/yamada/settings-links", json!({}))
        .await;
    let url = link["url"].as_str().unwrap();
    let token = url
        .strip_prefix("https://renkei.example.jp/enter/")
        .expect("links use the public URL");
    let mut browser = Browser::new(&app);
    let entered = browser.open(&format!("/enter/{token}")).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER);
    let cookie = entered.headers["set-cookie"].to_str().unwrap();
    for part in ["HttpOnly", "Secure", "SameSite=None", "Partitioned"] {
        assert!(cookie.contains(part), "{part} missing: {cookie}");
    }
    // CSRF still holds for a form posted from the frame.
    let page = browser.open("/me").await;
    assert_eq!(page.status, StatusCode::OK);
    let forged = browser
        .post_raw("/me/tools/slack", &[("identity", "U0YAMADA01")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // The console's cookie stays Lax.
    let (_, console) = app.post("/api/v1/console-links", json!({})).await;
    let token = console["url"]
        .as_str()
        .unwrap()
        .strip_prefix("https://renkei.example.jp/enter/")
        .unwrap()
        .to_string();
    let entered = Browser::new(&app).open(&format!("/enter/{token}")).await;
    let cookie = entered.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("SameSite=Lax") && cookie.contains("Secure"),
        "{cookie}"
    );
}

crate::on_both_backends!(
    allowed_origins_may_frame_the_self_service_pages_only,
    over_https_the_cookie_works_in_a_frame,
);
