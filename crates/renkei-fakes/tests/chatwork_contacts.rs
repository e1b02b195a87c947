//! Incoming contact requests (`/incoming_requests`) and contacts ending (`remove_contact`).

mod common;

use common::{call, get, post_message, TOKEN};
use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig};
use serde_json::{json, Value};

fn demo() -> FakeChatwork {
    FakeChatwork::with_demo_world(FakeChatworkConfig::default())
}

async fn put(r: &axum::Router, uri: &str, token: &str) -> common::Resp {
    call(r, "PUT", uri, Some(token), None, "").await
}

async fn delete(r: &axum::Router, uri: &str, token: &str) -> common::Resp {
    call(r, "DELETE", uri, Some(token), None, "").await
}

/// Exactly these keys, with these JSON types (`i` integer, `s` string).
fn assert_shape(v: &Value, fields: &[(&str, char)]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want: Vec<&str> = fields.iter().map(|f| f.0).collect();
    want.sort_unstable();
    assert_eq!(keys, want, "{v}");
    for &(name, kind) in fields {
        let ok = match kind {
            'i' => obj[name].is_i64(),
            's' => obj[name].is_string(),
            _ => unreachable!(),
        };
        assert!(ok, "{name} has the wrong type in {v}");
    }
}

const LIST_ITEM: &[(&str, char)] = &[
    ("request_id", 'i'),
    ("account_id", 'i'),
    ("message", 's'),
    ("name", 's'),
    ("chatwork_id", 's'),
    ("organization_id", 'i'),
    ("organization_name", 's'),
    ("department", 's'),
    ("avatar_image_url", 's'),
];

const APPROVAL: &[(&str, char)] = &[
    ("account_id", 'i'),
    ("room_id", 'i'),
    ("name", 's'),
    ("chatwork_id", 's'),
    ("organization_id", 'i'),
    ("organization_name", 's'),
    ("department", 's'),
    ("avatar_image_url", 's'),
];

#[tokio::test]
async fn incoming_requests_are_204_when_none_else_the_raml_list() {
    let fake = demo();
    let r = fake.router();
    let none = get(&r, "/v2/incoming_requests", TOKEN).await;
    assert_eq!(none.status, 204);
    assert!(none.body.is_empty());
    assert!(none.headers.get("content-type").is_none());

    fake.add_person(3001, "佐藤花子");
    let first = fake.add_incoming_request(1001, 3001, "よろしくお願いします");
    let second = fake.add_incoming_request(1001, 3002, "");
    // Addressed to someone else: not in the bot's list.
    fake.add_incoming_request(2001, 3003, "hi");
    assert_ne!(first, second);
    assert_eq!(fake.incoming_requests_of(1001), vec![first, second]);

    let list = get(&r, "/v2/incoming_requests", TOKEN).await;
    assert_eq!(list.status, 200);
    let list = list.json();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert_shape(item, LIST_ITEM);
    }
    assert_eq!(items[0]["request_id"], first);
    assert_eq!(items[0]["account_id"], 3001);
    assert_eq!(items[0]["name"], "佐藤花子");
    assert_eq!(items[0]["message"], "よろしくお願いします");
    assert_eq!(items[1]["account_id"], 3002);
    assert_eq!(
        items[1]["name"], "User 3002",
        "unknown senders get a placeholder"
    );

    // Asking again replaces the message, not the request.
    assert_eq!(fake.add_incoming_request(1001, 3001, "再送"), first);
    let again = get(&r, "/v2/incoming_requests", TOKEN).await.json();
    assert_eq!(again.as_array().unwrap().len(), 2);
    assert_eq!(again[0]["message"], "再送");
}

#[tokio::test]
async fn incoming_requests_list_is_capped_at_100() {
    let fake = demo();
    for i in 0..120 {
        fake.add_incoming_request(1001, 40_000 + i, "");
    }
    let list = get(&fake.router(), "/v2/incoming_requests", TOKEN)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 100);
    assert_eq!(list[0]["account_id"], 40_000, "oldest first");
}

#[tokio::test]
async fn approving_makes_contacts_with_a_direct_room() {
    let fake = demo();
    fake.add_person(3001, "佐藤花子");
    let id = fake.add_incoming_request(1001, 3001, "よろしく");
    let r = fake.router();

    let res = put(&r, &format!("/v2/incoming_requests/{id}"), TOKEN).await;
    assert_eq!(res.status, 200);
    let contact = res.json();
    assert_shape(&contact, APPROVAL);
    assert_eq!(contact["account_id"], 3001);
    assert_eq!(contact["name"], "佐藤花子");
    let room = contact["room_id"].as_i64().unwrap();

    assert_eq!(fake.contacts_of(1001), vec![2001, 3001]);
    assert_eq!(fake.contacts_of(3001), vec![1001]);
    assert!(fake.incoming_requests_of(1001).is_empty());
    // Same room as add_contact would give: it is the pair's one direct room.
    assert_eq!(fake.add_contact(3001, 1001), room);

    let contacts = get(&r, "/v2/contacts", TOKEN).await.json();
    let listed = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account_id"] == 3001)
        .expect("approved person listed in /contacts");
    assert_eq!(listed["room_id"], room);
    let rooms = get(&r, "/v2/rooms", TOKEN).await.json();
    let dm = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["room_id"] == room)
        .unwrap();
    assert_eq!(
        (dm["type"].as_str(), dm["name"].as_str()),
        (Some("direct"), Some("佐藤花子"))
    );
    assert_eq!(post_message(&r, room, TOKEN, "ようこそ").await.status, 200);

    // The request is gone: approving again, or rejecting, is a 404; the list is 204.
    let twice = put(&r, &format!("/v2/incoming_requests/{id}"), TOKEN).await;
    assert_eq!(twice.status, 404);
    let gone = delete(&r, &format!("/v2/incoming_requests/{id}"), TOKEN).await;
    assert_eq!(gone.status, 404);
    assert_eq!(get(&r, "/v2/incoming_requests", TOKEN).await.status, 204);
}

#[tokio::test]
async fn rejecting_answers_204_and_forgets_the_request() {
    let fake = demo();
    let keep = fake.add_incoming_request(1001, 3001, "a");
    let drop = fake.add_incoming_request(1001, 3002, "b");
    let r = fake.router();

    let res = delete(&r, &format!("/v2/incoming_requests/{drop}"), TOKEN).await;
    assert_eq!(res.status, 204);
    assert!(res.body.is_empty());
    assert_eq!(fake.incoming_requests_of(1001), vec![keep]);
    assert_eq!(fake.contacts_of(1001), vec![2001], "no contact made");
    let list = get(&r, "/v2/incoming_requests", TOKEN).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["request_id"], keep);

    let again = delete(&r, &format!("/v2/incoming_requests/{drop}"), TOKEN).await;
    assert_eq!(again.status, 404);
    let approve = put(&r, &format!("/v2/incoming_requests/{drop}"), TOKEN).await;
    assert_eq!(approve.status, 404);
    assert_eq!(fake.contacts_of(3002), Vec::<i64>::new());
}

#[tokio::test]
async fn requests_of_others_and_unknown_ids_are_404() {
    let fake = demo();
    let theirs = fake.add_incoming_request(2001, 3001, "not for the bot");
    let r = fake.router();
    let not_found = json!({"errors": ["Incoming request not found"]});
    for uri in [
        format!("/v2/incoming_requests/{theirs}"),
        "/v2/incoming_requests/1".to_owned(),
        // An account id is not a request id.
        "/v2/incoming_requests/3001".to_owned(),
    ] {
        let a = put(&r, &uri, TOKEN).await;
        assert_eq!((a.status, a.json()), (404, not_found.clone()), "PUT {uri}");
        let d = delete(&r, &uri, TOKEN).await;
        assert_eq!(
            (d.status, d.json()),
            (404, not_found.clone()),
            "DELETE {uri}"
        );
    }
    assert_eq!(fake.incoming_requests_of(2001), vec![theirs], "untouched");
    assert_eq!(fake.contacts_of(3001), Vec::<i64>::new());
    assert_eq!(
        fake.requests().last().unwrap().error.as_deref(),
        Some("Incoming request not found")
    );

    // Not API routes at all: the generic 404, before any token check.
    for (method, uri) in [
        ("GET", "/v2/incoming_requests/1"),
        ("PUT", "/v2/incoming_requests"),
        ("POST", "/v2/incoming_requests"),
        ("PUT", "/v2/incoming_requests/abc"),
    ] {
        let res = call(&r, method, uri, None, None, "").await;
        assert_eq!(res.status, 404, "{method} {uri}");
        assert_eq!(res.json(), json!({"errors": ["Not Found"]}));
    }
}

#[tokio::test]
async fn incoming_requests_share_auth_limits_faults_and_the_log() {
    let cfg = FakeChatworkConfig {
        token_limit: 4,
        ..Default::default()
    };
    let fake = FakeChatwork::with_demo_world(cfg);
    let id = fake.add_incoming_request(1001, 3001, "");
    let uri = format!("/v2/incoming_requests/{id}");
    let r = fake.router();

    // Auth first: no token or a bad one is a 401 and the request stays.
    let none = call(&r, "PUT", &uri, None, None, "").await;
    assert_eq!(none.status, 401);
    assert_eq!(none.json(), json!({"errors": ["Invalid API token"]}));
    assert_eq!(delete(&r, &uri, "wrong").await.status, 401);
    assert_eq!(get(&r, "/v2/incoming_requests", "wrong").await.status, 401);

    // Faults by path, after auth; a failed approval changes nothing.
    fake.fail_next_on("/incoming_requests", 2, 503);
    assert_eq!(get(&r, "/v2/incoming_requests", TOKEN).await.status, 503);
    let failed = put(&r, &uri, TOKEN).await;
    assert_eq!(failed.status, 503);
    assert_eq!(failed.json(), json!({"errors": ["Service Unavailable"]}));
    assert_eq!(fake.incoming_requests_of(1001), vec![id]);

    // The token window counts these calls and reports it in the headers.
    let ok = get(&r, "/v2/incoming_requests", TOKEN).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.num("x-ratelimit-remaining"), Some(1));
    let approved = put(&r, &uri, TOKEN).await;
    assert_eq!(approved.status, 200);
    assert_eq!(approved.num("x-ratelimit-remaining"), Some(0));
    let over = get(&r, "/v2/incoming_requests", TOKEN).await;
    assert_eq!(over.status, 429);
    assert_eq!(over.num("x-ratelimit-remaining"), Some(0));

    let log: Vec<(String, String, u16)> = fake
        .requests()
        .into_iter()
        .map(|q| (q.method, q.path, q.status))
        .collect();
    let list = "/v2/incoming_requests".to_owned();
    let want = vec![
        ("PUT".to_owned(), uri.clone(), 401),
        ("DELETE".to_owned(), uri.clone(), 401),
        ("GET".to_owned(), list.clone(), 401),
        ("GET".to_owned(), list.clone(), 503),
        ("PUT".to_owned(), uri.clone(), 503),
        ("GET".to_owned(), list.clone(), 200),
        ("PUT".to_owned(), uri.clone(), 200),
        ("GET".to_owned(), list, 429),
    ];
    assert_eq!(log, want);
    assert_eq!(fake.requests()[6].token_last4.as_deref(), Some("0001"));
}

#[tokio::test]
async fn remove_contact_unlists_and_leaves_the_direct_room() {
    let fake = demo();
    let r = fake.router();
    let contacts = get(&r, "/v2/contacts", TOKEN).await.json();
    let direct = contacts[0]["room_id"].as_i64().unwrap();
    assert_eq!(post_message(&r, direct, TOKEN, "before").await.status, 200);

    fake.remove_contact(2001, 1001);
    assert!(fake.contacts_of(1001).is_empty());
    assert!(fake.contacts_of(2001).is_empty(), "contacts are mutual");
    let empty = get(&r, "/v2/contacts", TOKEN).await;
    assert_eq!(empty.status, 204);
    assert!(empty.body.is_empty());

    // The room still exists (403, not 404) but the bot is no longer in it.
    let refused = post_message(&r, direct, TOKEN, "after").await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json(),
        json!({"errors": ["You don't have permission to access this room"]})
    );
    assert_eq!(
        get(&r, &format!("/v2/rooms/{direct}/members"), TOKEN)
            .await
            .status,
        403
    );
    let rooms = get(&r, "/v2/rooms", TOKEN).await.json();
    assert!(
        rooms
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["room_id"] != direct),
        "direct room still in /rooms: {rooms}"
    );
    // Group rooms with the person are untouched.
    assert_eq!(post_message(&r, 5001, TOKEN, "group").await.status, 200);
    assert_eq!(fake.messages(direct).len(), 1);

    // Removing again is a no-op; becoming contacts again restores the same room.
    fake.remove_contact(1001, 2001);
    let id = fake.add_incoming_request(1001, 2001, "また");
    let back = put(&r, &format!("/v2/incoming_requests/{id}"), TOKEN)
        .await
        .json();
    assert_eq!(back["room_id"], direct);
    assert_eq!(fake.contacts_of(1001), vec![2001]);
    assert_eq!(post_message(&r, direct, TOKEN, "again").await.status, 200);
    let members = get(&r, &format!("/v2/rooms/{direct}/members"), TOKEN)
        .await
        .json();
    assert_eq!(members.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn becoming_contacts_settles_pending_requests() {
    let fake = demo();
    fake.add_incoming_request(1001, 3001, "");
    fake.add_incoming_request(3001, 1001, "");
    let other = fake.add_incoming_request(1001, 3002, "");
    fake.add_contact(3001, 1001);
    assert_eq!(fake.incoming_requests_of(1001), vec![other]);
    assert!(fake.incoming_requests_of(3001).is_empty());
}
