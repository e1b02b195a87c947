//! Shapes, auth, validation and fault injection of the fake Chatwork API.

mod common;

use std::time::Duration;

use common::{call, get, post_message, FORM, TOKEN};
use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig};
use serde_json::json;

fn demo() -> FakeChatwork {
    FakeChatwork::with_demo_world(FakeChatworkConfig::default())
}

#[tokio::test]
async fn bad_tokens_get_401_with_chatworks_body() {
    let fake = demo();
    let r = fake.router();
    let missing = call(&r, "GET", "/v2/me", None, None, "").await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.text(), r#"{"errors":["Invalid API token"]}"#);
    assert_eq!(get(&r, "/v2/me", "wrong").await.status, 401);

    assert_eq!(get(&r, "/v2/me", TOKEN).await.status, 200);
    fake.revoke_token(TOKEN);
    let revoked = get(&r, "/v2/me", TOKEN).await;
    assert_eq!(revoked.status, 401);
    assert_eq!(revoked.json(), json!({"errors": ["Invalid API token"]}));
    assert!(
        revoked.headers.get("x-ratelimit-limit").is_none(),
        "a refused token has no window"
    );
}

#[tokio::test]
async fn token_in_query_is_refused_and_not_logged() {
    let fake = demo();
    let uri = format!("/v2/me?x_chatworktoken={TOKEN}");
    let res = call(&fake.router(), "GET", &uri, None, None, "").await;
    assert_eq!(res.status, 401);
    let logged = &fake.requests()[0];
    assert_eq!(logged.status, 401);
    let query = logged.query.as_deref().unwrap();
    assert!(!query.contains(TOKEN), "token logged in full: {query}");
}

#[tokio::test]
async fn me_has_the_raml_shape_and_my_chat() {
    let fake = FakeChatwork::new(FakeChatworkConfig::default());
    let my_chat = fake.add_account("tok-abcd", 77, "Bot");
    let me = get(&fake.router(), "/v2/me", "tok-abcd").await.json();
    assert_eq!(me["account_id"], 77);
    assert_eq!(me["room_id"], my_chat);
    assert_eq!(me["name"], "Bot");
    for field in [
        "chatwork_id",
        "organization_name",
        "department",
        "title",
        "url",
        "introduction",
        "mail",
        "tel_organization",
        "tel_extension",
        "tel_mobile",
        "skype",
        "facebook",
        "twitter",
        "avatar_image_url",
        "login_mail",
    ] {
        assert!(me[field].is_string(), "{field} missing or not a string");
    }
    assert!(me["organization_id"].is_i64());
}

#[tokio::test]
async fn post_reads_only_a_urlencoded_body() {
    let fake = demo();
    let r = fake.router();
    let required = r#"{"errors":["Parameter 'body' is required"]}"#;
    // Query parameters on POST are ignored since 2025-07-03.
    let q = call(
        &r,
        "POST",
        "/v2/rooms/5001/messages?body=x",
        Some(TOKEN),
        None,
        "",
    )
    .await;
    assert_eq!((q.status, q.text().as_str()), (400, required));
    // A JSON body is not a form: the parameter is absent.
    let json_ct = Some("application/json");
    let j = call(
        &r,
        "POST",
        "/v2/rooms/5001/messages",
        Some(TOKEN),
        json_ct,
        r#"{"body":"x"}"#,
    );
    let j = j.await;
    assert_eq!((j.status, j.text().as_str()), (400, required));
    // Present but empty.
    let e = call(
        &r,
        "POST",
        "/v2/rooms/5001/messages",
        Some(TOKEN),
        Some(FORM),
        "body=",
    );
    assert_eq!(e.await.text(), required);
    assert!(fake.all_messages().is_empty());
    assert_eq!(fake.count_status(400), 3);
}

#[tokio::test]
async fn body_length_is_counted_in_characters() {
    let fake = demo();
    let r = fake.router();
    let max = "あ".repeat(65_535); // 196,605 bytes, still allowed
    assert_eq!(post_message(&r, 5001, TOKEN, &max).await.status, 200);
    let over = post_message(&r, 5001, TOKEN, &"a".repeat(65_536)).await;
    assert_eq!(over.status, 400);
    assert!(over.json()["errors"][0].as_str().unwrap().contains("65535"));
    assert_eq!(fake.messages(5001).len(), 1);
    assert_eq!(fake.messages(5001)[0].body.chars().count(), 65_535);
}

#[tokio::test]
async fn non_members_and_readonly_get_403_unknown_rooms_404() {
    let fake = demo();
    fake.add_room(6001, "外部", &[(2001, "admin")]);
    fake.add_room(6002, "掲示", &[(2001, "admin"), (1001, "readonly")]);
    let r = fake.router();

    assert_eq!(post_message(&r, 6001, TOKEN, "hi").await.status, 403);
    assert_eq!(get(&r, "/v2/rooms/6001/members", TOKEN).await.status, 403);
    let readonly = post_message(&r, 6002, TOKEN, "hi").await;
    assert_eq!(readonly.status, 403);
    assert!(readonly.json()["errors"][0].is_string());
    // A readonly member may still read the member list.
    assert_eq!(get(&r, "/v2/rooms/6002/members", TOKEN).await.status, 200);

    let missing = post_message(&r, 999, TOKEN, "hi").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), json!({"errors": ["Room not found"]}));
    assert_eq!(get(&r, "/v2/rooms/999/members", TOKEN).await.status, 404);
    assert!(fake.all_messages().is_empty());
}

#[tokio::test]
async fn unknown_routes_answer_404_not_found() {
    let r = demo().router();
    for uri in ["/v2/nothing", "/v2/rooms/5001/files", "/other"] {
        let res = get(&r, uri, TOKEN).await;
        assert_eq!(res.status, 404, "{uri}");
        assert_eq!(res.json(), json!({"errors": ["Not Found"]}));
    }
}

#[tokio::test]
async fn a_post_returns_a_string_id_above_2_pow_53_and_is_recorded() {
    let fake = demo();
    let r = fake.router();
    let form = "body=%5BTo%3A2001%5D+%E5%B1%B1%E7%94%B0%E3%81%95%E3%82%93&self_unread=1";
    let res = call(
        &r,
        "POST",
        "/v2/rooms/5001/messages",
        Some(TOKEN),
        Some(FORM),
        form,
    )
    .await;
    assert_eq!(res.status, 200);
    let id = res.json()["message_id"]
        .as_str()
        .expect("message_id is a string")
        .to_owned();
    let n: u64 = id.parse().unwrap();
    assert!(n > 1 << 53, "{n} fits in an f64 exactly");
    let second = post_message(&r, 5001, TOKEN, "2").await.json();
    let n2: u64 = second["message_id"].as_str().unwrap().parse().unwrap();
    assert!(n2 > n);

    let msgs = fake.messages(5001);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].message_id, id);
    assert_eq!(msgs[0].body, "[To:2001] 山田さん");
    assert_eq!(msgs[0].account_id, 1001);
    assert!(msgs[0].self_unread && !msgs[1].self_unread);

    let req = &fake.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v2/rooms/5001/messages")
    );
    assert_eq!(req.token_last4.as_deref(), Some("0001"));
    assert_eq!(req.form[0], ("body".into(), "[To:2001] 山田さん".into()));
    assert_eq!((req.status, req.error.as_deref()), (200, None));
}

#[tokio::test]
async fn fail_next_fails_message_posts_only_then_recovers() {
    let fake = demo();
    let r = fake.router();
    fake.fail_next(2, 500);
    assert_eq!(
        get(&r, "/v2/me", TOKEN).await.status,
        200,
        "other routes unaffected"
    );
    for _ in 0..2 {
        let res = post_message(&r, 5001, TOKEN, "x").await;
        assert_eq!(res.status, 500);
        assert_eq!(res.json(), json!({"errors": ["Internal Server Error"]}));
    }
    assert_eq!(post_message(&r, 5001, TOKEN, "x").await.status, 200);
    assert_eq!(fake.messages(5001).len(), 1, "failed posts store nothing");
    assert_eq!(fake.count_status(500), 2);

    fake.fail_next_on("/contacts", 1, 503);
    assert_eq!(get(&r, "/v2/contacts", TOKEN).await.status, 503);
    assert_eq!(get(&r, "/v2/contacts", TOKEN).await.status, 200);
    // Faults come after auth: a bad token still gets 401 and leaves the fault queued.
    fake.fail_next(1, 502);
    assert_eq!(post_message(&r, 5001, "bad", "x").await.status, 401);
    assert_eq!(post_message(&r, 5001, TOKEN, "x").await.status, 502);
}

#[tokio::test]
async fn contacts_are_204_when_empty_else_list_the_direct_room() {
    let fake = FakeChatwork::new(FakeChatworkConfig::default());
    fake.add_account("lonely", 10, "Lonely");
    let r = fake.router();
    let empty = get(&r, "/v2/contacts", "lonely").await;
    assert_eq!(empty.status, 204);
    assert!(empty.body.is_empty());

    fake.add_person(20, "山田太郎");
    let direct = fake.add_contact(10, 20);
    assert_eq!(fake.add_contact(20, 10), direct, "one direct room per pair");
    let list = get(&r, "/v2/contacts", "lonely").await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["account_id"], 20);
    assert_eq!(list[0]["room_id"], direct);
    assert_eq!(list[0]["name"], "山田太郎");

    let rooms = get(&r, "/v2/rooms", "lonely").await.json();
    let dm = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["room_id"] == direct)
        .unwrap();
    assert_eq!(
        (dm["type"].as_str(), dm["name"].as_str()),
        (Some("direct"), Some("山田太郎"))
    );
}

#[tokio::test]
async fn rooms_list_is_capped_at_100_with_the_raml_fields() {
    let fake = demo();
    for i in 0..150 {
        fake.add_room(10_000 + i, &format!("room {i}"), &[(1001, "member")]);
    }
    let r = fake.router();
    post_message(&r, 5001, TOKEN, "count me").await;
    let rooms = get(&r, "/v2/rooms", TOKEN).await.json();
    let rooms = rooms.as_array().unwrap();
    assert_eq!(rooms.len(), 100);
    let soumu = rooms.iter().find(|x| x["room_id"] == 5001).unwrap();
    assert_eq!(soumu["type"], "group");
    assert_eq!(soumu["role"], "admin");
    assert_eq!(soumu["message_num"], 1);
    for field in [
        "unread_num",
        "mention_num",
        "mytask_num",
        "file_num",
        "task_num",
    ] {
        assert!(soumu[field].is_i64(), "{field}");
    }
    assert!(soumu["sticky"].is_boolean() && soumu["icon_path"].is_string());
    assert!(soumu["last_update_time"].as_i64().unwrap() > 1_600_000_000);
}

#[tokio::test]
async fn members_list_roles_and_names() {
    let r = demo().router();
    let members = get(&r, "/v2/rooms/5002/members", TOKEN).await.json();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 2);
    let yamada = members.iter().find(|m| m["account_id"] == 2001).unwrap();
    assert_eq!(
        (yamada["role"].as_str(), yamada["name"].as_str()),
        (Some("member"), Some("山田太郎"))
    );
    assert!(yamada["avatar_image_url"].is_string() && yamada["organization_id"].is_i64());
}

#[tokio::test]
async fn inspection_routes_control_and_report_without_being_recorded() {
    let fake = demo();
    let r = fake.router();
    let json_ct = Some("application/json");
    let fail = call(
        &r,
        "POST",
        "/_fake/fail",
        None,
        json_ct,
        r#"{"count":1,"status":503}"#,
    );
    assert_eq!(fail.await.status, 204);
    assert_eq!(post_message(&r, 5001, TOKEN, "a").await.status, 503);
    assert_eq!(post_message(&r, 5001, TOKEN, "b").await.status, 200);

    let msgs = call(&r, "GET", "/_fake/messages?room_id=5001", None, None, "")
        .await
        .json();
    assert_eq!(msgs.as_array().unwrap().len(), 1);
    assert_eq!(msgs[0]["body"], "b");
    let reqs = call(&r, "GET", "/_fake/requests", None, None, "")
        .await
        .json();
    assert_eq!(reqs.as_array().unwrap().len(), 2, "only the API calls");
    assert_eq!(reqs[0]["status"], 503);
    let stats = call(&r, "GET", "/_fake/stats", None, None, "").await.json();
    assert_eq!(stats["by_status"]["200"], 1);

    let off = call(
        &r,
        "POST",
        "/_fake/limits",
        None,
        json_ct,
        r#"{"enabled":false}"#,
    );
    assert_eq!(off.await.status, 204);
    let res = get(&r, "/v2/me", TOKEN).await;
    assert!(res.headers.get("x-ratelimit-remaining").is_none());
}

#[tokio::test]
async fn delay_provokes_client_timeouts_after_the_work_is_done() {
    let fake = demo();
    fake.set_delay(Duration::from_millis(300));
    let r = fake.router();
    let slow = tokio::time::timeout(
        Duration::from_millis(50),
        post_message(&r, 5001, TOKEN, "x"),
    );
    assert!(slow.await.is_err(), "the client should have timed out");
    assert_eq!(fake.messages(5001).len(), 1, "the message landed anyway");
    fake.set_delay(Duration::ZERO);
    let fast = tokio::time::timeout(Duration::from_millis(200), get(&r, "/v2/me", TOKEN));
    assert_eq!(fast.await.expect("no delay any more").status, 200);
}

#[tokio::test]
async fn spawned_fake_serves_http_on_a_local_port() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let running = FakeChatwork::with_demo_world(FakeChatworkConfig::default())
        .start()
        .await
        .unwrap();
    assert_eq!(running.base_url(), format!("http://{}/v2", running.addr));
    let mut tcp = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    let req = format!(
        "GET /v2/me HTTP/1.1\r\nHost: x\r\nX-ChatWorkToken: {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    tcp.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(
        raw.to_ascii_lowercase()
            .contains("x-ratelimit-remaining: 299"),
        "{raw}"
    );
    assert!(raw.contains("\"account_id\":1001"), "{raw}");
    assert_eq!(running.fake.requests().len(), 1);
    running.stop();
}
