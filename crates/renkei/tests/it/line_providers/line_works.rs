//! LINE WORKS bot (scenario 17): connecting, direct and channel messages, refusals.

use renkei_fakes::keys::TEST_PUBLIC_KEY_PEM;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{statuses, Backend, TestApp};

use super::{
    attempt_statuses, form_value, lw, lw_connect, lw_credentials, lw_directory, lw_world,
    token_requests, LW_BOT, LW_CHANNEL, LW_CHANNEL_NO_BOT, LW_CLIENT, LW_SECRET,
    LW_SERVICE_ACCOUNT, LW_YAMADA,
};

/// Decodes one base64url (unpadded) JWT segment as JSON.
fn jwt_part(jwt: &str, i: usize) -> Value {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let seg = jwt.split('.').nth(i).expect("JWT segment");
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in seg.bytes() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .expect("base64url character") as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    serde_json::from_slice(&out).expect("JSON in the JWT")
}

/// Scenario 17 (LINE WORKS): the tenant connects its bot with API 2.0 credentials (API 1.0
/// fields are refused with the mapping); a direct event reaches the member's 1:1 chat with
/// the bot and a room event reaches the group's channel with a `<m userId>` mention.
async fn line_works_connect_direct_and_channel(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    lw_world(&app);

    // API 1.0 words: refused before anything is sent to LINE WORKS.
    let mut api1 = lw_credentials();
    api1["api_id"] = json!("jp1AbCdEfGh");
    api1["server_list_id"] = json!("0123456789abcdef");
    let (s, err) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line_works", "owner": {"tenant": true}, "credentials": api1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "line_works_api1_fields", "{err}");
    let msg = err["error"]["message"].as_str().unwrap();
    for word in [
        "API 2.0",
        "Server List ID",
        "Client ID",
        "Service Account",
        "Server API Consumer Key",
    ] {
        assert!(msg.contains(word), "`{word}` missing from: {msg}");
    }
    assert!(
        lw(&app).requests().is_empty(),
        "nothing may reach LINE WORKS"
    );

    let conn = lw_connect(&app).await;
    assert_eq!(conn["status"], "connected");
    assert_eq!(conn["provider"], "line_works");
    assert_eq!(conn["kind"], "bot");
    assert_eq!(conn["account"]["id"], LW_BOT.to_string());
    assert_eq!(conn["account"]["name"], "renkei 通知");
    let shown = conn.to_string();
    assert!(
        !shown.contains(LW_SECRET) && !shown.contains("PRIVATE KEY"),
        "secrets leaked: {shown}"
    );
    // Verified with a JWT grant for the bot scope, then the bot itself.
    let reqs = lw(&app).requests();
    let token = token_requests(&reqs);
    assert_eq!(token.len(), 1, "{reqs:#?}");
    assert_eq!(token[0].method, "POST");
    assert!(token[0]
        .header("content-type")
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    assert_eq!(
        form_value(token[0], "grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    assert_eq!(
        form_value(token[0], "client_id").as_deref(),
        Some(LW_CLIENT)
    );
    assert_eq!(form_value(token[0], "scope").as_deref(), Some("bot"));
    assert_eq!(token[0].status, 200);
    let assertion = &lw(&app).assertions()[0];
    let header = jwt_part(assertion, 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    let claims = jwt_part(assertion, 1);
    assert_eq!(claims["iss"], LW_CLIENT);
    assert_eq!(claims["sub"], LW_SERVICE_ACCOUNT);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp > iat && exp - iat <= 3600, "{claims}");
    let bot = reqs.iter().find(|r| r.method == "GET").unwrap();
    assert_eq!(bot.path, format!("/v1.0/bots/{LW_BOT}"));
    assert_eq!(bot.status, 200);

    lw_directory(&app).await;

    // Direct: the bot's 1:1 chat with the member.
    let id = app
        .send(json!({"type": "wf.direct", "to": {"members": ["yamada"]}, "title": "承認依頼", "body": "経費精算 #12 を承認してください", "url": "https://wp.example/r/12"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(d["provider"], "line_works");
    assert_eq!(d["connection_id"], conn["id"]);
    assert_eq!(d["destination"]["kind"], "direct", "{d}");
    assert_eq!(d["destination"]["account"], LW_YAMADA, "{d}");
    assert_eq!(attempt_statuses(d), vec![Some(201)]);
    let text = "【承認依頼】\n経費精算 #12 を承認してください\nhttps://wp.example/r/12";
    let dm = lw(&app).messages_to_user(LW_YAMADA);
    assert_eq!(dm.len(), 1);
    assert_eq!(dm[0].bot_id, LW_BOT);
    assert_eq!(dm[0].content, json!({"type": "text", "text": text}));
    let post = lw(&app)
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .unwrap();
    assert_eq!(
        post.path,
        format!("/v1.0/bots/{LW_BOT}/users/{LW_YAMADA}/messages")
    );
    assert_eq!(post.status, 201);
    assert!(post.header("authorization").unwrap().starts_with("***"));
    assert!(post
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        post.json(),
        json!({"content": {"type": "text", "text": text}})
    );

    // Room: the primary group's channel, mentioning the member.
    let id = app
        .send(json!({"type": "wf.room", "to": {"members": ["yamada"]}, "title": "回覧", "body": "<m userId=\"all\"> 総務からのお知らせ"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(d["destination"]["room"], LW_CHANNEL, "{d}");
    let posted = lw(&app).messages_in_channel(LW_CHANNEL);
    assert_eq!(posted.len(), 1);
    let text = posted[0].text().unwrap();
    assert!(
        text.starts_with(&format!("<m userId=\"{LW_YAMADA}\">\n【回覧】\n")),
        "{text}"
    );
    // The body's own tag is defused: only the member is mentioned.
    assert_eq!(text.matches("<m ").count(), 1, "{text}");
    let post = lw(&app).requests().pop().unwrap();
    assert_eq!(
        post.path,
        format!("/v1.0/bots/{LW_BOT}/channels/{LW_CHANNEL}/messages")
    );
    assert_eq!(post.json()["content"]["type"], "text");
    // One bot token served both messages (plus the connect check).
    assert_eq!(lw(&app).tokens_issued(), 2);
}

/// A channel the bot is not in: LINE WORKS' 403 `ACCESS_DENIED` fails the delivery at once
/// with a reason that says to invite the bot (no retry, no token renewal).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_channel_without_bot_fails_with_help() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    app.put(
        "/api/v1/groups/nobot",
        json!({"name": "営業", "rooms": {"line_works": LW_CHANNEL_NO_BOT}}),
    )
    .await;
    app.put(
        "/api/v1/event-types/wf.room",
        json!({"name": "room", "delivery": "room"}),
    )
    .await;
    let id = app
        .send(json!({"type": "wf.room", "to": {"groups": ["nobot"]}, "title": "x"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "failed", "{ev:#}");
    assert_eq!(d["reason_code"], "line_works_access_denied", "{d}");
    assert!(
        d["reason"].as_str().unwrap().contains("invite the bot"),
        "{d}"
    );
    assert_eq!(attempt_statuses(d), vec![Some(403)]);
    assert_eq!(
        lw(&app).tokens_issued(),
        2,
        "ACCESS_DENIED is no token problem"
    );
}

/// What LINE WORKS refuses when connecting, each with its own code and a hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_connect_errors() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    let connect = async |credentials: Value| {
        app.post(
            "/api/v1/connections",
            json!({"provider": "line_works", "owner": {"tenant": true}, "credentials": credentials}),
        )
        .await
    };
    let with = |k: &str, v: Value| {
        let mut c = lw_credentials();
        c[k] = v;
        c
    };
    let mut missing = lw_credentials();
    missing.as_object_mut().unwrap().remove("service_account");
    for (creds, code, hint) in [
        (missing, "invalid_credentials", "service_account"),
        (
            with("private_key", json!(TEST_PUBLIC_KEY_PEM)),
            "line_works_invalid_private_key",
            "public key",
        ),
        (
            with("client_secret", json!("wrong")),
            "line_works_invalid_credentials",
            "Client Secret",
        ),
        (
            with("bot_id", json!("9999999")),
            "line_works_unknown_bot",
            "Bot ID",
        ),
    ] {
        let (s, err) = connect(creds).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{code}: {err}");
        assert_eq!(err["error"]["code"], code, "{err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(hint),
            "{code}: {err}"
        );
    }
    lw(&app).set_app_scopes(LW_CLIENT, &["calendar"]);
    let (s, err) = connect(lw_credentials()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "line_works_scope_missing", "{err}");
    let (_, list) = app.get("/api/v1/connections").await;
    assert_eq!(list, json!([]), "nothing stored");
}

crate::on_both_backends!(line_works_connect_direct_and_channel);
