//! The member's tools (scenarios 14, 16, 18): linking their own Slack webhook and member
//! ID, a Chatwork token with room and account ID (and the self-mention warning), Teams
//! without a mention field; a test notice that really arrives; errors on the form; unlink.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{audited, member_browser, own_connections, put_member};
use crate::helpers::{eventually, Backend, TestApp};

const HOOK: &str = "T0000FAKE1/B0SELF0001/selfwebhooksecret4321";

async fn a_member_links_slack_and_gets_a_test_notice(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_member(&app, "yamada", "山田太郎").await;
    put_member(&app, "sato", "佐藤花子").await;
    let slack = &app.fakes.slack.fake;
    slack.add_channel("C0SELF0001", "yamada-notify", &[]);
    let hook = slack.add_webhook(HOOK, "C0SELF0001");
    let webhook_url = app.fakes.slack.webhook_url(&hook);

    let mut browser = member_browser(&app, "yamada").await;
    let page = browser.open("/me").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.assert_has("通知を受け取るツール");
    page.assert_has("id=\"tool-slack\"");
    page.assert_has("メンバーIDをコピー");
    // Teams: a webhook and the reason why there is no ID to mention.
    page.assert_has("特定の人をメンションした通知を送れないため");
    // LINE WORKS and LINE only appear once the tenant offers them.
    assert!(!page.html.contains("id=\"tool-line_works\""));
    assert!(!page.html.contains("id=\"tool-line\""));
    assert_eq!(
        browser
            .submit("/me", "/me/tools/line_works", &[("identity", "x")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A wrong member ID and a URL that is no webhook: both said on the form, nothing kept.
    let refused = browser
        .submit(
            "/me",
            "/me/tools/slack",
            &[("secret", &webhook_url), ("identity", "yamada")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("Slack のメンバーIDではありません");
    refused.assert_has("href=\"#slack-identity\"");
    refused.assert_has("value=\"yamada\"");
    assert!(
        !refused.html.contains(&webhook_url),
        "a secret was shown back"
    );
    assert!(own_connections(&app, "yamada", "slack").await.is_empty());
    let refused = browser
        .submit(
            "/me",
            "/me/tools/slack",
            &[
                ("secret", "https://example.com/not-slack"),
                ("identity", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("href=\"#slack-secret\"");
    refused.assert_has("id=\"slack-secret-error\"");
    // Without the CSRF token: refused.
    let forged = browser
        .post_raw("/me/tools/slack", &[("secret", &webhook_url)])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(own_connections(&app, "yamada", "slack").await.is_empty());

    let saved = browser
        .submit(
            "/me",
            "/me/tools/slack",
            &[("secret", &webhook_url), ("identity", "U0YAMADA01")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        saved.location(),
        Some("/me?flash=saved&saved=slack#tool-slack")
    );
    let conns = own_connections(&app, "yamada", "slack").await;
    assert_eq!(conns.len(), 1, "{conns:?}");
    assert_eq!(conns[0]["kind"], "webhook");
    let (_, member) = app.get("/api/v1/members/yamada").await;
    assert_eq!(member["identities"]["slack"], "U0YAMADA01");
    let page = browser.open("/me?flash=saved&saved=slack").await;
    page.assert_has("保存しました");
    page.assert_has("…4321");
    assert!(
        !page.html.contains("selfwebhooksecret"),
        "the webhook was shown"
    );
    page.assert_has("value=\"U0YAMADA01\"");
    assert!(audited(&app, "member: yamada", "connection.create").await);

    // The test notice: a real delivery, into the member's channel, mentioning them.
    let sent = browser
        .submit("/me", "/me/test", &[("provider", "slack")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let location = sent.location().unwrap().to_string();
    assert!(location.starts_with("/me?test="), "{location}");
    let event: i64 = location["/me?test=".len()..location.find('#').unwrap()]
        .parse()
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "the test notice in Slack",
        async || !slack.messages("C0SELF0001").is_empty(),
    )
    .await;
    let posted = slack.messages("C0SELF0001");
    assert_eq!(posted.len(), 1);
    assert!(posted[0].text.contains("<@U0YAMADA01>"), "{:?}", posted[0]);
    let ev = app.settled(event).await;
    assert_eq!(ev["kind"], "test_notice");
    assert_eq!(ev["deliveries"][0]["target"], "member:yamada");
    let result = browser.open(&location).await;
    result.assert_has("届きました");
    result.assert_has("data-done=\"true\"");
    let fragment = browser.open(&format!("/me/test/{event}")).await;
    assert_eq!(fragment.status, StatusCode::OK);
    fragment.assert_has("届きました");
    // The latest notices list it.
    browser.open("/me").await.assert_has("テスト通知");

    // Another member cannot read it, and sees nothing of it on their page.
    let mut sato = member_browser(&app, "sato").await;
    assert_eq!(
        sato.open(&format!("/me/test/{event}")).await.status,
        StatusCode::NOT_FOUND
    );
    let theirs = sato.open(&format!("/me?test={event}")).await;
    assert!(!theirs.html.contains("届きました"));
    // Nothing to test on a tool they have not linked: said on the page.
    let nothing = sato
        .submit("/me", "/me/test", &[("provider", "slack")])
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    nothing.assert_has("まだ Slack で通知を受け取れる設定がありません");

    // The same through the API.
    let (s, e) = app
        .post(
            "/api/v1/members/sato/test-notices",
            json!({"provider": "slack"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "nothing_to_test", "{e}");
    let (s, accepted) = app
        .post(
            "/api/v1/members/yamada/test-notices",
            json!({"provider": "slack", "language": "en"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{accepted}");
    let ev = app.settled(accepted["id"].as_i64().unwrap()).await;
    assert_eq!(ev["title"], "Test notice from renkei (Slack)");

    // Disconnect: the webhook goes, the member ID stays until unlinked.
    let out = browser
        .submit("/me", "/me/tools/slack/disconnect", &[])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(own_connections(&app, "yamada", "slack").await.is_empty());
    let out = browser.submit("/me", "/me/tools/slack/unlink", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let (_, member) = app.get("/api/v1/members/yamada").await;
    assert!(member["identities"].get("slack").is_none(), "{member}");
    assert!(audited(&app, "member: yamada", "connection.delete").await);
    assert!(audited(&app, "member: yamada", "identity.remove").await);
}

async fn chatwork_token_room_and_the_self_mention_warning(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_member(&app, "yamada", "山田太郎").await;
    app.fake().add_account("yamada-own-token", 3001, "山田太郎");
    app.fake().add_account("notify-only-token", 3002, "通知用");
    let mut browser = member_browser(&app, "yamada").await;
    let page = browser.open("/me").await;
    page.assert_has("通知バッジを表示させるには");
    page.assert_has("通知専用の Chatwork アカウント");

    // A refused token: the page's words, nothing stored.
    let refused = browser
        .submit(
            "/me",
            "/me/tools/chatwork",
            &[
                ("secret", "wrong-token"),
                ("room", ""),
                ("identity", "3001"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("Chatwork がこの API トークンを受け付けませんでした");
    refused.assert_has("value=\"3001\"");
    let bad_room = browser
        .submit(
            "/me",
            "/me/tools/chatwork",
            &[
                ("secret", "yamada-own-token"),
                ("room", "room five"),
                ("identity", ""),
            ],
        )
        .await;
    assert_eq!(bad_room.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad_room.assert_has("href=\"#chatwork-room\"");
    assert!(own_connections(&app, "yamada", "chatwork").await.is_empty());

    // Their own token mentioning their own account: the badge warning at once.
    let saved = browser
        .submit(
            "/me",
            "/me/tools/chatwork",
            &[
                ("secret", "yamada-own-token"),
                ("room", ""),
                ("identity", "[To:3001] 山田太郎"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let page = browser.open("/me").await;
    page.assert_has("この設定では通知バッジが表示されません");
    page.assert_has("マイチャット");
    let (_, member) = app.get("/api/v1/members/yamada").await;
    assert_eq!(member["identities"]["chatwork"], "3001");

    // The seed's advice followed: a notification-only account's token replaces it, posting
    // into a room pasted as a URL; the warning is gone.
    let saved = browser
        .submit(
            "/me",
            "/me/tools/chatwork",
            &[
                ("secret", "notify-only-token"),
                ("room", "https://www.chatwork.com/#!rid5001"),
                ("identity", "3001"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let conns = own_connections(&app, "yamada", "chatwork").await;
    assert_eq!(conns.len(), 1, "the new token replaced the old: {conns:?}");
    assert_eq!(conns[0]["account"]["id"], "3002");
    assert_eq!(conns[0]["room"], "5001");
    let page = browser.open("/me").await;
    assert!(!page.html.contains("この設定では通知バッジが表示されません"));
    page.assert_has("ルーム 5001");

    // The room changes without pasting the token again; empty goes back to My Chat.
    let moved = browser
        .submit(
            "/me",
            "/me/tools/chatwork",
            &[("secret", ""), ("room", "#!rid5002"), ("identity", "3001")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    let conns = own_connections(&app, "yamada", "chatwork").await;
    assert_eq!(conns[0]["room"], "5002");
    assert_eq!(conns[0]["account"]["id"], "3002", "the same connection");
    browser
        .submit(
            "/me",
            "/me/tools/chatwork",
            &[("secret", ""), ("room", ""), ("identity", "3001")],
        )
        .await;
    let conns = own_connections(&app, "yamada", "chatwork").await;
    assert!(conns[0]["room"].is_null(), "{conns:?}");
    assert!(audited(&app, "member: yamada", "connection.update").await);

    // A Teams workflow webhook of their own.
    let teams_url = app.fakes.teams.add_workflow("wf-yamada", "sig-yamada-4321");
    let saved = browser
        .submit("/me", "/me/tools/teams", &[("secret", &teams_url)])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(own_connections(&app, "yamada", "teams").await.len(), 1);
    // Nothing pasted for a tool that needs a webhook: said on the field.
    let empty = browser
        .submit("/me", "/me/tools/google_chat", &[("secret", "")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_has("Google Chat の Webhook URL を貼り付けてください");

    // The API's own identity calls: one identity, the others kept.
    let (s, m) = app
        .put(
            "/api/v1/members/yamada/identities/slack",
            json!({"member_id": "U0API00001"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["identities"]["slack"], "U0API00001");
    assert_eq!(m["identities"]["chatwork"], "3001");
    let (s, e) = app
        .put(
            "/api/v1/members/yamada/identities/slack",
            json!({"member_id": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "invalid_identity");
    let (s, e) = app
        .put(
            "/api/v1/members/yamada/identities/fax",
            json!({"user_id": "1"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "unknown_provider");
    let (s, _) = app.delete("/api/v1/members/yamada/identities/slack").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.delete("/api/v1/members/nobody/identities/slack").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, m) = app.get("/api/v1/members/yamada").await;
    assert!(m["identities"].get("slack").is_none());
    assert_eq!(m["identities"]["chatwork"], "3001");
}

crate::on_both_backends!(
    a_member_links_slack_and_gets_a_test_notice,
    chatwork_token_room_and_the_self_mention_warning,
);
