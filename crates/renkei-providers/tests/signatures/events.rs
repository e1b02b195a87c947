//! The webhook body parsers: the fields receivers use, unknown fields ignored.

use renkei_providers::signatures::{chatwork, line, line_works, slack};

/// LINE's connectivity check (also the signed vector in the parent module).
const LINE_VERIFY_BODY: &[u8] = br#"{"destination":"U0123","events":[]}"#;

#[test]
fn line_follow_events_parse_and_ignore_unknown_fields() {
    let body = br#"{"destination":"Uabc","events":[
      {"type":"follow","mode":"active","timestamp":1700000000000,"webhookEventId":"01H1",
       "deliveryContext":{"isRedelivery":true},"replyToken":"r","follow":{"isUnblocked":false},
       "source":{"type":"user","userId":"U111"},"brandNew":{"x":1}},
      {"type":"unfollow","mode":"active","timestamp":1,"webhookEventId":"01H2",
       "deliveryContext":{"isRedelivery":false},"source":{"type":"user","userId":"U222"}},
      {"type":"message","mode":"active","timestamp":2,"webhookEventId":"01H3",
       "deliveryContext":{"isRedelivery":false},"source":{"type":"group","groupId":"C1","userId":"U333"},
       "message":{"type":"text","id":"1","text":"hi"}}]}"#;
    let parsed = line::FollowEvents::parse(body).unwrap();
    assert_eq!(parsed.destination, "Uabc");
    assert!(!parsed.is_verification());
    assert_eq!(parsed.followed_user_ids().collect::<Vec<_>>(), ["U111"]);
    assert_eq!(parsed.unfollowed_user_ids().collect::<Vec<_>>(), ["U222"]);
    let first = &parsed.events[0];
    assert!(first.is_redelivery() && first.webhook_event_id == "01H1");
    assert_eq!(first.timestamp, 1_700_000_000_000);
    assert!(line::FollowEvents::parse(LINE_VERIFY_BODY)
        .unwrap()
        .is_verification());
    let err = line::FollowEvents::parse(b"not json").unwrap_err();
    assert_eq!(err.code(), "malformed_event");
}

#[test]
fn slack_envelopes_are_told_apart() {
    let challenge = br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    assert_eq!(
        slack::parse_inbound(challenge).unwrap(),
        slack::Inbound::UrlVerification {
            challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        }
    );
    let event = br#"{"token":"t","team_id":"T1","api_app_id":"A1","type":"event_callback",
      "event_id":"Ev1","event_time":1700000000,"authorizations":[],
      "event":{"type":"app_mention","user":"U9","channel":"C5","text":"<@U0> hi"}}"#;
    let slack::Inbound::Event(env) = slack::parse_inbound(event).unwrap() else {
        panic!("not an event");
    };
    assert_eq!(
        (env.team_id.as_deref(), env.event_id.as_deref()),
        (Some("T1"), Some("Ev1"))
    );
    assert_eq!(
        (env.event.kind.as_str(), env.event.user_id()),
        ("app_mention", Some("U9"))
    );
    assert_eq!(env.event.rest["text"], "<@U0> hi");
    let team_join =
        br#"{"type":"event_callback","event":{"type":"team_join","user":{"id":"U7","name":"n"}}}"#;
    let slack::Inbound::Event(env) = slack::parse_inbound(team_join).unwrap() else {
        panic!("not an event");
    };
    assert_eq!(env.event.user_id(), Some("U7"));
    let limited = slack::parse_inbound(br#"{"type":"app_rate_limited","minute_rate_limited":1}"#);
    assert_eq!(
        limited.unwrap(),
        slack::Inbound::Other {
            kind: "app_rate_limited".into()
        }
    );
    assert!(slack::parse_inbound(br#"{"type":"url_verification"}"#).is_err());
    assert!(slack::parse_inbound(br#"{"type":"event_callback"}"#).is_err());
}

#[test]
fn chatwork_events_accept_string_or_number_ids() {
    let mention = br#"{"webhook_setting_id":"12345","webhook_event_type":"mention_to_me",
      "webhook_event_time":1498028130,"webhook_event":{"from_account_id":123456,
      "to_account_id":1484814,"room_id":567890123,"message_id":"789012345",
      "body":"[To:1484814]hi","send_time":1498028125,"update_time":0}}"#;
    let e = chatwork::WebhookEvent::parse(mention).unwrap();
    assert_eq!(e.webhook_setting_id.as_deref(), Some("12345"));
    assert_eq!(e.webhook_event_type, "mention_to_me");
    assert_eq!(e.sender_account_id(), Some("123456"));
    assert_eq!(e.webhook_event.to_account_id.as_deref(), Some("1484814"));
    assert_eq!(e.webhook_event.room_id.as_deref(), Some("567890123"));
    let created = br#"{"webhook_setting_id":7,"webhook_event_type":"message_created",
      "webhook_event_time":1,"webhook_event":{"message_id":"1","room_id":2,"account_id":"3","body":"x","new":true}}"#;
    let e = chatwork::WebhookEvent::parse(created).unwrap();
    assert_eq!(
        (e.webhook_setting_id.as_deref(), e.sender_account_id()),
        (Some("7"), Some("3"))
    );
    assert!(chatwork::WebhookEvent::parse(br#"{"webhook_event_type":"x"}"#).is_err());
}

#[test]
fn line_works_callbacks_parse() {
    let body =
        br#"{"type":"message","source":{"userId":"a1b2","channelId":"ch","domainId":10000001},
      "issuedTime":"2022-02-03T02:44:53.212Z","content":{"type":"text","text":"hello"},"extra":1}"#;
    let c = line_works::Callback::parse(body).unwrap();
    assert_eq!((c.kind.as_str(), c.user_id()), ("message", Some("a1b2")));
    assert_eq!(
        c.source.as_ref().unwrap().domain_id.as_deref(),
        Some("10000001")
    );
    assert_eq!(c.issued_unix_ms(), Some(1_643_856_293_212));
    assert_eq!(c.content.unwrap()["text"], "hello");
    assert!(line_works::Callback::parse(br#"{"source":{}}"#).is_err());
}
