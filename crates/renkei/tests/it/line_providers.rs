//! WORKPLACE (seed 003) end to end: LINE WORKS (bot messages, token renewal, 429s, absence
//! sync into the calendar, scenarios 17 and 20) and LINE (Login linking with the friend
//! prompt, push with retry keys, the monthly quota, follow webhooks, scenarios 17 and 18).

use std::time::{Duration, Instant};

use renkei_fakes::common::{mask, Recorded};
use renkei_fakes::keys::{TEST_PRIVATE_KEY_PEM, TEST_PUBLIC_KEY_PEM};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{eventually, statuses, Backend, TestApp};

// ---------------------------------------------------------------------------------------
// LINE WORKS
// ---------------------------------------------------------------------------------------

const LW_CLIENT: &str = "lw-client-e2e";
const LW_SECRET: &str = "lw-secret-e2e";
const LW_SERVICE_ACCOUNT: &str = "e2e.serviceaccount@workplace-test";
const LW_BOT: i64 = 3_000_042;
const LW_YAMADA: &str = "yamada@workplace-test";
const LW_CHANNEL: &str = "ch-somu-e2e";
const LW_CHANNEL_NO_BOT: &str = "ch-nobot-e2e";

fn lw(app: &TestApp) -> &renkei_fakes::line_works::FakeLineWorks {
    &app.fakes.line_works.fake
}

/// A LINE WORKS domain like the demo one: an API 2.0 app, its bot, a user, two channels.
fn lw_world(app: &TestApp) {
    let f = lw(app);
    f.add_app(
        LW_CLIENT,
        LW_SECRET,
        LW_SERVICE_ACCOUNT,
        TEST_PUBLIC_KEY_PEM,
    );
    f.add_bot(LW_BOT, "renkei 通知");
    f.add_user(LW_YAMADA);
    f.add_channel(LW_CHANNEL, &[LW_BOT]);
    f.add_channel(LW_CHANNEL_NO_BOT, &[]);
}

fn lw_credentials() -> Value {
    json!({
        "client_id": LW_CLIENT,
        "client_secret": LW_SECRET,
        "service_account": LW_SERVICE_ACCOUNT,
        "private_key": TEST_PRIVATE_KEY_PEM,
        "bot_id": LW_BOT.to_string(),
    })
}

/// Connects the tenant's LINE WORKS bot; returns the connection.
async fn lw_connect(app: &TestApp) -> Value {
    let (status, conn) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line_works", "owner": {"tenant": true}, "credentials": lw_credentials()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conn}");
    conn
}

/// A group with the LINE WORKS channel as its room and 山田 in it, with his LINE WORKS ID.
async fn lw_directory(app: &TestApp) {
    let (s, g) = app
        .put(
            "/api/v1/groups/somu",
            json!({"name": "総務", "rooms": {"line_works": LW_CHANNEL}}),
        )
        .await;
    assert!(s.is_success(), "{g}");
    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "groups": ["somu"], "identities": {"line_works": {"user_id": LW_YAMADA}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    for (key, delivery) in [("wf.direct", "direct"), ("wf.room", "room")] {
        let (s, t) = app
            .put(
                &format!("/api/v1/event-types/{key}"),
                json!({"name": key, "delivery": delivery}),
            )
            .await;
        assert!(s.is_success(), "{t}");
    }
}

fn token_requests(reqs: &[Recorded]) -> Vec<&Recorded> {
    reqs.iter()
        .filter(|r| r.path == "/oauth2/v2.0/token")
        .collect()
}

fn form_value(r: &Recorded, key: &str) -> Option<String> {
    r.form().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

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

fn attempt_statuses(d: &Value) -> Vec<Option<i64>> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["http_status"].as_i64())
        .collect()
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

/// The access token expires mid-run: LINE WORKS answers 403 `UNAUTHORIZED`, renkei fetches
/// a new token and repeats the post, within the same attempt. A short token life is renewed
/// before it runs out, with no refusal at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_expired_token_is_renewed() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let send = |n: u32| json!({"type": "wf.direct", "to": {"members": ["yamada"]}, "title": format!("n{n}"), "body": "b"});
    let ev = app.settled(app.send(send(1)).await).await;
    assert_eq!(statuses(&ev), vec!["delivered"]);
    assert_eq!(lw(&app).tokens_issued(), 2);

    lw(&app).expire_tokens();
    let before = lw(&app).requests().len();
    let ev = app.settled(app.send(send(2)).await).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(
        attempt_statuses(d),
        vec![Some(201)],
        "renewed within one attempt"
    );
    let after: Vec<(String, String, u16)> = lw(&app).requests()[before..]
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.status))
        .collect();
    let msg_path = format!("/v1.0/bots/{LW_BOT}/users/{LW_YAMADA}/messages");
    assert_eq!(
        after,
        vec![
            ("POST".into(), msg_path.clone(), 403),
            ("POST".into(), "/oauth2/v2.0/token".into(), 200),
            ("POST".into(), msg_path.clone(), 201),
        ]
    );
    assert_eq!(lw(&app).tokens_issued(), 3);
    let refused = &lw(&app).requests()[before];
    assert_eq!(
        refused.json(),
        lw(&app).requests()[before + 2].json(),
        "the same message is repeated"
    );
    let texts: Vec<String> = lw(&app)
        .messages_to_user(LW_YAMADA)
        .iter()
        .map(|m| m.text().unwrap().to_string())
        .collect();
    assert_eq!(texts, vec!["【n1】\nb", "【n2】\nb"]);

    // Tokens living 2 s: the next send after they ran out asks for a new one first.
    lw(&app).set_token_lifetime(Duration::from_secs(2));
    lw(&app).expire_tokens();
    app.settled(app.send(send(3)).await).await;
    let issued = lw(&app).tokens_issued();
    assert_eq!(issued, 4);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let before = lw(&app).requests().len();
    let ev = app.settled(app.send(send(4)).await).await;
    assert_eq!(statuses(&ev), vec!["delivered"]);
    let after: Vec<(String, u16)> = lw(&app).requests()[before..]
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(
        after,
        vec![("/oauth2/v2.0/token".into(), 200), (msg_path, 201)],
        "renewed before expiry, never refused"
    );
    assert_eq!(lw(&app).tokens_issued(), issued + 1);
}

/// LINE WORKS' 429 `TOO_MANY_REQUESTS` pauses the connection until `rateLimit-reset`, then
/// the message is delivered; a 500 is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_429_and_500_are_retried() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    let conn = lw_connect(&app).await;
    lw_directory(&app).await;
    lw(&app).fail_next(Some("/messages"), 1, 429);
    let started = Instant::now();
    let id = app
        .send(json!({"type": "wf.room", "to": {"groups": ["somu"]}, "title": "混雑"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(attempt_statuses(d), vec![Some(429), Some(201)]);
    let first = &d["attempts"][0];
    assert_eq!(first["outcome"], "credential_rate_limited", "{first}");
    assert!(
        first["error"]
            .as_str()
            .unwrap()
            .contains("TOO_MANY_REQUESTS"),
        "{first}"
    );
    // rateLimit-reset is in whole seconds: the connection waited at least one.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let (c, _) = app
        .node()
        .store
        .connection_for_worker(conn["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(c.paused_until > 0, "the 429 paused the whole connection");
    assert_eq!(lw(&app).messages_in_channel(LW_CHANNEL).len(), 1);

    lw(&app).fail_next(Some("/messages"), 1, 500);
    let ev = app
        .settled(
            app.send(json!({"type": "wf.room", "to": {"groups": ["somu"]}, "title": "再送"}))
                .await,
        )
        .await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![Some(500), Some(201)]);
    assert_eq!(lw(&app).messages_in_channel(LW_CHANNEL).len(), 2);
}

// ---- absence sync (scenario 20) ----

fn calendar_requests(app: &TestApp) -> Vec<(String, String, u16)> {
    lw(app)
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/calendar/"))
        .map(|r| (r.method, r.path, r.status))
        .collect()
}

/// Scenario 20: an all-day absence becomes a calendar event whose end date is the day after
/// the last day; changing it updates the same event; removing it deletes the event. Each
/// change is a sync event that ends `delivered`.
async fn absence_sync_create_change_delete(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let path = "/api/v1/members/yamada/absences/leave-1";

    let (s, a) = app
        .put(path, json!({"summary": "有給休暇", "description": "私用のため", "start": "2026-12-01", "end": "2026-12-02"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["id"], "leave-1");
    assert_eq!(a["member"], "yamada");
    assert_eq!(a["all_day"], true);
    assert_eq!(a["deleted"], false);
    assert_eq!(a["calendar_user"], LW_YAMADA);
    let event_id = a["calendar_event_id"].as_str().unwrap().to_string();
    assert!(event_id.starts_with("renkei-"), "{event_id}");
    let sync = app.settled(a["sync_event_id"].as_i64().unwrap()).await;
    assert_eq!(statuses(&sync), vec!["delivered"], "{sync:#}");
    let d = &sync["deliveries"][0];
    assert_eq!(d["provider"], "line_works");
    assert_eq!(d["message_id"], event_id.as_str(), "{d}");
    assert_eq!(sync["type"], "absence.sync");
    let events = lw(&app).events_of(LW_YAMADA);
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert_eq!(e["eventId"], event_id.as_str());
    assert_eq!(e["summary"], "有給休暇");
    assert_eq!(e["description"], "私用のため");
    assert_eq!(e["start"], json!({"date": "2026-12-01"}));
    assert_eq!(
        e["end"],
        json!({"date": "2026-12-03"}),
        "exclusive end date"
    );
    assert_eq!(e["transparency"], "OPAQUE");
    let items = format!("/v1.0/users/{LW_YAMADA}/calendar/events/{event_id}");
    let list = format!("/v1.0/users/{LW_YAMADA}/calendar/events");
    assert_eq!(
        calendar_requests(&app),
        vec![
            ("PUT".into(), items.clone(), 404),
            ("POST".into(), list.clone(), 201),
        ]
    );
    let created = lw(&app)
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == list)
        .unwrap();
    let body = created.json();
    assert_eq!(body["sendNotification"], false);
    assert_eq!(body["eventComponents"][0]["end"]["date"], "2026-12-03");
    // The calendar has its own token (scope `calendar`).
    let scopes: Vec<Option<String>> = token_requests(&lw(&app).requests())
        .iter()
        .map(|r| form_value(r, "scope"))
        .collect();
    assert!(scopes.contains(&Some("calendar".into())), "{scopes:?}");

    // Changed: another summary and a timed range → the same event, updated in place.
    let (s, a2) = app
        .put(path, json!({"summary": "午前休", "start": "2026-12-01T09:00:00", "end": "2026-12-01T12:30:00"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{a2}");
    assert_eq!(a2["calendar_event_id"], event_id.as_str());
    assert_eq!(a2["all_day"], false);
    let sync2 = a2["sync_event_id"].as_i64().unwrap();
    assert_ne!(sync2, a["sync_event_id"].as_i64().unwrap());
    assert_eq!(statuses(&app.settled(sync2).await), vec!["delivered"]);
    let events = lw(&app).events_of(LW_YAMADA);
    assert_eq!(events.len(), 1, "still one event: {events:#?}");
    let e = &events[0];
    assert_eq!(e["eventId"], event_id.as_str());
    assert_eq!(e["summary"], "午前休");
    assert_eq!(
        e["start"],
        json!({"dateTime": "2026-12-01T09:00:00", "timeZone": "Asia/Tokyo"})
    );
    assert_eq!(
        e["end"],
        json!({"dateTime": "2026-12-01T12:30:00", "timeZone": "Asia/Tokyo"})
    );
    assert_eq!(
        calendar_requests(&app).last().unwrap(),
        &("PUT".to_string(), items.clone(), 200)
    );

    // Removed: the event is gone, and the absence stays listed as deleted.
    let (s, body) = app.delete(path).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, listed) = app.get("/api/v1/members/yamada/absences").await;
    assert_eq!(s, StatusCode::OK);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], "leave-1");
    assert_eq!(listed[0]["deleted"], true);
    let sync3 = listed[0]["sync_event_id"].as_i64().unwrap();
    assert_ne!(sync3, sync2);
    assert_eq!(statuses(&app.settled(sync3).await), vec!["delivered"]);
    assert!(lw(&app).events_of(LW_YAMADA).is_empty());
    assert_eq!(
        calendar_requests(&app).last().unwrap(),
        &("DELETE".to_string(), items, 204)
    );
    // Deleting again: nothing left to delete.
    let (s, err) = app.delete(path).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
}

/// A calendar call failing with 500 is retried and the event still arrives (once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_sync_retries_a_failed_calendar_call() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    lw(&app).fail_next(Some("/calendar/events"), 1, 500);
    let (s, a) = app
        .put(
            "/api/v1/members/yamada/absences/trip",
            json!({"summary": "出張", "start": "2026-12-10", "end": "2026-12-10"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let sync = app.settled(a["sync_event_id"].as_i64().unwrap()).await;
    let d = &sync["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{sync:#}");
    assert_eq!(attempt_statuses(d), vec![Some(500), Some(201)]);
    assert_eq!(d["attempts"][0]["outcome"], "provider_unavailable");
    let events = lw(&app).events_of(LW_YAMADA);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["start"], json!({"date": "2026-12-10"}));
    assert_eq!(events[0]["end"], json!({"date": "2026-12-11"}));
}

/// What the absence API refuses, with codes: bad dates, a member without a LINE WORKS ID,
/// a tenant without a LINE WORKS connection, unknown members and absences.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_sync_errors() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "identities": {"line_works": {"user_id": LW_YAMADA}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    app.put("/api/v1/members/sato", json!({"name": "佐藤"}))
        .await;
    let app = &app;
    let put = |member: &'static str, body: Value| async move {
        app.put(&format!("/api/v1/members/{member}/absences/a1"), body)
            .await
    };
    let day = json!({"summary": "休み", "start": "2026-12-01", "end": "2026-12-01"});

    // No LINE WORKS connection yet.
    let (s, err) = put("yamada", day.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "no_connection");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("LINE WORKS"));

    lw_connect(app).await;
    let (s, err) = put("sato", day.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "no_identity");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("identities.line_works.user_id"));

    for (body, hint) in [
        (
            json!({"summary": "休み", "start": "2026-13-01", "end": "2026-12-01"}),
            "start",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-01", "end": "12/02"}),
            "end",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-03", "end": "2026-12-01"}),
            "before",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-01", "end": "2026-12-01T10:00:00"}),
            "all-day",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-01T10:00:00", "end": "2026-12-01T10:00:00"}),
            "before",
        ),
        (
            json!({"summary": "  ", "start": "2026-12-01", "end": "2026-12-01"}),
            "summary",
        ),
    ] {
        let (s, err) = put("yamada", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {err}");
        assert_eq!(err["error"]["code"], "invalid_absence", "{body} → {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(hint),
            "{body} → {err}"
        );
    }
    let (s, err) = put("nobody", day.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    let (s, err) = app.delete("/api/v1/members/yamada/absences/none").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    // Nothing was queued or written for any of them.
    let (_, listed) = app.get("/api/v1/members/yamada/absences").await;
    assert_eq!(listed, json!([]));
    assert!(calendar_requests(app).is_empty());
}

/// The calendar follows the member: after their LINE WORKS ID changes, the next PUT moves
/// the event (deleted from the old calendar, created in the new one); a removed absence PUT
/// again comes back; quick changes of one absence reach the calendar in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_sync_follows_the_member_and_keeps_order() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    const NEW_ID: &str = "yamada.new@workplace-test";
    lw_world(&app);
    lw(&app).add_user(NEW_ID);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let delivered = async |n: i64| {
        eventually(
            Duration::from_secs(10),
            &format!("{n} delivered"),
            async || {
                let counts = app.node().store.delivery_counts().await.unwrap();
                counts.get("delivered").copied() == Some(n) && !counts.contains_key("pending")
            },
        )
        .await;
    };
    let day = json!({"summary": "休暇", "start": "2026-12-01", "end": "2026-12-01"});
    let (s, a) = app
        .put("/api/v1/members/yamada/absences/a1", day.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let event_id = a["calendar_event_id"].as_str().unwrap().to_string();
    delivered(1).await;
    assert_eq!(lw(&app).events_of(LW_YAMADA).len(), 1);

    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "groups": ["somu"], "identities": {"line_works": {"user_id": NEW_ID}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    let (s, a) = app
        .put("/api/v1/members/yamada/absences/a1", day.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["calendar_user"], NEW_ID);
    assert_eq!(a["calendar_event_id"], event_id.as_str());
    delivered(3).await;
    assert!(
        lw(&app).events_of(LW_YAMADA).is_empty(),
        "left the old calendar"
    );
    let moved = lw(&app).events_of(NEW_ID);
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["eventId"], event_id.as_str());

    // Removed, then PUT again: back in the calendar, no longer flagged deleted.
    let (s, _) = app.delete("/api/v1/members/yamada/absences/a1").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    delivered(4).await;
    assert!(lw(&app).events_of(NEW_ID).is_empty());
    let (s, a) = app
        .put("/api/v1/members/yamada/absences/a1", day.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["deleted"], false);
    delivered(5).await;
    assert_eq!(lw(&app).events_of(NEW_ID).len(), 1);

    // Create, change and remove at once: applied in that order.
    let path = "/api/v1/members/yamada/absences/a2";
    let before = calendar_requests(&app).len();
    let (_, a2) = app
        .put(path, json!({"summary": "外出", "start": "2026-12-05T13:00:00", "end": "2026-12-05T15:00:00"}))
        .await;
    let a2_id = a2["calendar_event_id"].as_str().unwrap().to_string();
    assert_ne!(a2_id, event_id);
    let (s, _) = app
        .put(path, json!({"summary": "外出 (延長)", "start": "2026-12-05T13:00:00", "end": "2026-12-05T17:00:00"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.delete(path).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    delivered(8).await;
    let a2_calls: Vec<(String, u16)> = calendar_requests(&app)[before..]
        .iter()
        .map(|(m, _, s)| (m.clone(), *s))
        .collect();
    assert_eq!(
        a2_calls,
        vec![
            ("PUT".into(), 404),
            ("POST".into(), 201),
            ("PUT".into(), 200),
            ("DELETE".into(), 204),
        ],
        "{:#?}",
        calendar_requests(&app)
    );
    let left: Vec<Value> = lw(&app).events_of(NEW_ID);
    assert_eq!(left.len(), 1, "only a1 remains: {left:#?}");
    assert_eq!(left[0]["eventId"], event_id.as_str());
}

/// A member whose LINE WORKS ID was removed can still have their absences removed: the
/// event lives in the calendar recorded with the absence, which needs no current ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_delete_after_the_identity_was_removed() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let path = "/api/v1/members/yamada/absences/a1";
    let (s, a) = app
        .put(
            path,
            json!({"summary": "休暇", "start": "2026-12-01", "end": "2026-12-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    app.settled(a["sync_event_id"].as_i64().unwrap()).await;
    assert_eq!(lw(&app).events_of(LW_YAMADA).len(), 1);
    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "groups": ["somu"]}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    assert!(m["identities"].get("line_works").is_none(), "{m}");
    let (s, err) = app.delete(path).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{err}");
    let (_, listed) = app.get("/api/v1/members/yamada/absences").await;
    let sync = listed[0]["sync_event_id"].as_i64().unwrap();
    assert_eq!(statuses(&app.settled(sync).await), vec!["delivered"]);
    assert!(lw(&app).events_of(LW_YAMADA).is_empty());
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

// ---------------------------------------------------------------------------------------
// LINE
// ---------------------------------------------------------------------------------------

const LINE_CHANNEL: &str = "1650000042";
const LINE_SECRET: &str = "0f1e2d3c4b5a69780f1e2d3c4b5a6978";
const LINE_BOT: &str = "Ubbbbbbbbbbbbbbbbbbbbbbbbbbbb0042";
const LINE_BASIC_ID: &str = "@042wkpl";
const LINE_TOKEN: &str = "e2e-long-lived-channel-token-0042";
const LOGIN_CHANNEL: &str = "1650000043";
const LOGIN_SECRET: &str = "a1b2c3d4e5f60718a1b2c3d4e5f60718";
const SATO: &str = "U22222222222222222222222222222222";
const YAMADA: &str = "U11111111111111111111111111111111";

fn line(app: &TestApp) -> &renkei_fakes::line::FakeLine {
    &app.fakes.line.fake
}

/// An official account with a long-lived token, a LINE Login channel linked to it that
/// only accepts renkei's callback, and two people (佐藤 logs in).
fn line_world(app: &TestApp) {
    let f = line(app);
    f.add_channel(
        LINE_CHANNEL,
        LINE_SECRET,
        LINE_BOT,
        LINE_BASIC_ID,
        "ワークプレイス通知",
    );
    f.add_long_lived_token(LINE_CHANNEL, LINE_TOKEN);
    let callback = app.url("/link/line/callback");
    f.add_login_channel(
        LOGIN_CHANNEL,
        LOGIN_SECRET,
        Some(LINE_CHANNEL),
        &[&callback],
    );
    f.add_user(SATO, "佐藤花子");
    f.add_user(YAMADA, "山田太郎");
    f.set_login_user(Some(SATO));
}

async fn line_connect(app: &TestApp) -> Value {
    let (s, conn) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line", "owner": {"tenant": true}, "credentials": {
                "channel_access_token": LINE_TOKEN,
                "channel_secret": LINE_SECRET,
                "login_channel_id": LOGIN_CHANNEL,
                "login_channel_secret": LOGIN_SECRET,
            }}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{conn}");
    conn
}

async fn direct_type(app: &TestApp) {
    let (s, t) = app
        .put(
            "/api/v1/event-types/wf.direct",
            json!({"name": "ワークフロー", "delivery": "direct"}),
        )
        .await;
    assert!(s.is_success(), "{t}");
}

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

/// A LINE connection with 佐藤 linked (through the API) and a friend of the account.
async fn line_linked(app: &TestApp) -> Value {
    line_world(app);
    line(app).add_friend(LINE_CHANNEL, SATO);
    let conn = line_connect(app).await;
    let (s, m) = app
        .put(
            "/api/v1/members/sato",
            json!({"name": "佐藤花子", "identities": {"line": {"user_id": SATO}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    direct_type(app).await;
    conn
}

fn to_sato(title: &str) -> Value {
    json!({"type": "wf.direct", "to": {"members": ["sato"]}, "title": title})
}

/// A push answered 500 is retried with the same `X-Line-Retry-Key`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_500_is_retried_with_the_same_retry_key() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let conn = line_linked(&app).await;
    line(&app).fail_next(1, 500);
    let ev = app.settled(app.send(to_sato("再送")).await).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![Some(500), Some(200)]);
    let key =
        renkei_providers::line::retry_key(conn["id"].as_i64().unwrap(), d["id"].as_i64().unwrap());
    let pushes: Vec<Recorded> = line(&app)
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v2/bot/message/push")
        .collect();
    assert_eq!(pushes.len(), 2);
    assert_eq!(pushes[0].status, 500);
    assert_eq!(pushes[1].status, 200);
    // The log masks the key (its name has "key"): both show the same masked key.
    for p in &pushes {
        assert_eq!(p.header("x-line-retry-key"), Some(mask(&key).as_str()));
    }
    assert_eq!(pushes[0].body, pushes[1].body, "the same message again");
    let accepted = line(&app).pushes();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].retry_key.as_deref(), Some(key.as_str()));
}

/// The answer to an accepted push is lost (renkei times out); the retry with the same key
/// gets LINE's 409 with `x-line-accepted-request-id`, which counts as delivered: one
/// message reached the person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_409_for_an_accepted_key_counts_as_delivered() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    line_linked(&app).await;
    // Longer than renkei's 2 s provider timeout.
    line(&app).set_delay(Duration::from_millis(2_600));
    let id = app.send(to_sato("一度だけ")).await;
    eventually(
        Duration::from_secs(5),
        "the first push accepted",
        async || !line(&app).pushes().is_empty(),
    )
    .await;
    line(&app).set_delay(Duration::ZERO);
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![None, Some(409)], "{d}");
    let pushes = line(&app).pushes();
    assert_eq!(pushes.len(), 1, "delivered once");
    assert_eq!(d["message_id"], pushes[0].message_ids[0].as_str(), "{d}");
    let statuses: Vec<u16> = line(&app)
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/bot/message/push")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![200, 409]);
}

/// An ordinary 429 (rate limit) is retried; the monthly-limit 429 pauses the connection
/// until the month resets (JST) and the delivery stays pending with that reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_rate_limit_retried_monthly_limit_pauses() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let conn = line_linked(&app).await;
    let conn_id = conn["id"].as_i64().unwrap();
    line(&app).fail_next(1, 429);
    let ev = app.settled(app.send(to_sato("混雑")).await).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![Some(429), Some(200)]);
    assert_eq!(d["attempts"][0]["outcome"], "provider_unavailable");
    let (c, _) = app
        .node()
        .store
        .connection_for_worker(conn_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.paused_until, 0,
        "a rate-limit 429 does not pause the connection"
    );

    line(&app).set_monthly_quota(LINE_CHANNEL, Some(100));
    line(&app).set_monthly_usage(LINE_CHANNEL, 100);
    let now = renkei_store::now_ms() / 1000;
    let reset = renkei_providers::line::next_month_start_jst(now);
    let id = app.send(to_sato("今月はもう送れない")).await;
    let ev = app
        .wait_event(id, Duration::from_secs(5), |ev| {
            !ev["deliveries"][0]["attempts"]
                .as_array()
                .unwrap()
                .is_empty()
        })
        .await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "pending", "{ev:#}");
    assert_eq!(d["reason_code"], "credential_rate_limited", "{d}");
    let reason = d["reason"].as_str().unwrap();
    assert!(reason.contains("monthly"), "{reason}");
    let reset_text = renkei_providers::line::jst_text(reset);
    assert!(
        reason.contains(&format!("resets at {reset_text}")),
        "{reason}"
    );
    assert_eq!(d["next_attempt_at"], reset * 1000, "{d}");
    assert_eq!(attempt_statuses(d), vec![Some(429)]);
    let (c, _) = app
        .node()
        .store
        .connection_for_worker(conn_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.paused_until, reset * 1000, "the connection is paused");
    assert_eq!(c.status, "connected", "paused, not broken");

    // The next notice waits too: nothing more is sent this month.
    let pushes_before = line(&app).requests().len();
    let id2 = app.send(to_sato("次の通知")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, ev2) = app.get(&format!("/api/v1/events/{id2}")).await;
    let d2 = &ev2["deliveries"][0];
    assert_eq!(d2["status"], "pending", "{ev2:#}");
    assert!(d2["attempts"].as_array().unwrap().is_empty(), "{d2}");
    assert_eq!(line(&app).requests().len(), pushes_before);
    assert_eq!(line(&app).pushes().len(), 1, "only the first notice");
}

/// LINE's signed `follow` webhook (secret: the channel secret from the credentials) records
/// the follower, with the linked member's external ID; `unfollow` flips it; a wrong
/// signature is refused with 401 `bad_signature`.
async fn line_follow_webhook_lists_followers(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = line_linked(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let hook = app.url(&format!("/hooks/line/{id}"));
    let followers = format!("/api/v1/connections/{id}/followers");
    let (s, list) = app.get(&followers).await;
    assert_eq!((s, list), (StatusCode::OK, json!([])));

    let status = line(&app)
        .send_follow(SATO, &hook, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let status = line(&app)
        .send_follow(YAMADA, &hook, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (s, list) = app.get(&followers).await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    let entry = |u: &str| list.iter().find(|f| f["user_id"] == u).unwrap().clone();
    assert_eq!(entry(SATO)["following"], true);
    assert_eq!(entry(SATO)["member"], "sato");
    assert_eq!(entry(YAMADA)["following"], true);
    assert_eq!(entry(YAMADA)["member"], Value::Null);

    let status = line(&app)
        .send_unfollow(YAMADA, &hook, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (_, list) = app.get(&followers).await;
    let yamada = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["user_id"] == YAMADA)
        .unwrap()
        .clone();
    assert_eq!(yamada["following"], false);

    // Signed with another secret, or not signed at all: refused, nothing recorded.
    let forged = json!({"destination": LINE_BOT, "events": [{"type": "follow", "mode": "active", "timestamp": 1, "source": {"type": "user", "userId": "U33333333333333333333333333333333"}, "webhookEventId": "01J", "deliveryContext": {"isRedelivery": false}}]}).to_string();
    let client = reqwest::Client::new();
    let resp = client
        .post(&hook)
        .header("content-type", "application/json")
        .header(
            "x-line-signature",
            renkei_fakes::line::signature("ffffffffffffffffffffffffffffffff", forged.as_bytes()),
        )
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_signature", "{body}");
    let resp = client
        .post(&hook)
        .header("content-type", "application/json")
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let status = line(&app)
        .post_signed(&hook, "ffffffffffffffffffffffffffffffff", &forged)
        .await
        .unwrap();
    assert_eq!(status, 401);
    let (_, list) = app.get(&followers).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    // A connection that does not exist has no receiver.
    let status = line(&app)
        .send_follow(SATO, &app.url("/hooks/line/999999"), LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 404);
}

crate::on_both_backends!(
    line_works_connect_direct_and_channel,
    absence_sync_create_change_delete,
    line_connect_link_and_push,
    line_follow_webhook_lists_followers,
);

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
