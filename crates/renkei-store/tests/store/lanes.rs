//! What lanes rely on: leases that pass between nodes only when free or expired, the queue
//! read oldest first and from an ID on, and attempt outcomes committed in batches.

use renkei_store::events::DeliveryPage;
use renkei_store::now_ms;
use renkei_store::queue::{AttemptRecord, Completion};

use super::{connection, event, open, sends, Backend};

async fn leases_pass_between_nodes_only_when_free_or_expired(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (tenant, _) = s.create_tenant("t").await.unwrap();
    let conn = connection(s, tenant.id).await;
    s.insert_events(tenant.id, &[event(sends(conn, 1), None)])
        .await
        .unwrap();
    assert_eq!(s.lanes_with_work("a").await.unwrap(), vec![conn]);
    assert!(s.claim_lane(conn, "a", 60_000).await.unwrap());
    assert!(
        !s.claim_lane(conn, "b", 60_000).await.unwrap(),
        "a holds it"
    );
    assert!(s.claim_lane(conn, "a", 60_000).await.unwrap(), "a again");
    // Work on a lane another node holds is not offered to b.
    assert!(s.lanes_with_work("b").await.unwrap().is_empty());
    assert_eq!(s.renew_lanes("a", 60_000).await.unwrap(), vec![conn]);
    assert!(s.renew_lanes("b", 60_000).await.unwrap().is_empty());
    // b cannot release a's lease; a can.
    s.release_lane(conn, "b").await.unwrap();
    assert!(!s.claim_lane(conn, "b", 60_000).await.unwrap());
    s.release_lane(conn, "a").await.unwrap();
    assert!(s.claim_lane(conn, "b", 60_000).await.unwrap());
    // A lease left to expire (its node died) passes on, and its old holder learns so.
    s.release_lane(conn, "b").await.unwrap();
    assert!(s.claim_lane(conn, "a", -1_000).await.unwrap());
    assert_eq!(s.lanes_with_work("b").await.unwrap(), vec![conn]);
    assert!(s.claim_lane(conn, "b", 60_000).await.unwrap());
    assert!(s.renew_lanes("a", 60_000).await.unwrap().is_empty());
}

async fn pending_for_lane_reads_the_oldest_first_from_an_id_on(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (tenant, _) = s.create_tenant("t").await.unwrap();
    let conn = connection(s, tenant.id).await;
    let other = connection(s, tenant.id).await;
    s.insert_events(
        tenant.id,
        &[
            event(sends(conn, 3), None),
            event(sends(other, 2), None),
            event(sends(conn, 2), None),
        ],
    )
    .await
    .unwrap();
    let head = s.pending_for_lane(conn, 0, 3).await.unwrap();
    let rooms: Vec<&str> = head.iter().map(|d| d.room.as_str()).collect();
    assert_eq!(rooms, ["direct:0", "direct:1", "direct:2"]);
    let rest = s.pending_for_lane(conn, head[2].id, 10).await.unwrap();
    let rooms: Vec<&str> = rest.iter().map(|d| d.room.as_str()).collect();
    assert_eq!(
        rooms,
        ["direct:0", "direct:1"],
        "the second event's, not the other lane's"
    );
    let ids: Vec<i64> = head.iter().chain(&rest).map(|d| d.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "queue order: {ids:?}");
    assert!(s
        .pending_for_lane(conn, rest[1].id, 10)
        .await
        .unwrap()
        .is_empty());
}

fn attempt(delivery_id: i64, outcome: &'static str, completion: Completion) -> AttemptRecord {
    AttemptRecord {
        delivery_id,
        started_at: now_ms(),
        latency_ms: 12,
        http_status: Some(if outcome == "delivered" { 200 } else { 503 }),
        outcome,
        error: None,
        completion,
    }
}

async fn a_retry_keeps_the_delivery_pending_until_it_is_delivered(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (tenant, _) = s.create_tenant("t").await.unwrap();
    let conn = connection(s, tenant.id).await;
    let ev = s
        .insert_events(tenant.id, &[event(sends(conn, 2), None)])
        .await
        .unwrap()[0]
        .id;
    let queued = s.pending_for_lane(conn, 0, 10).await.unwrap();
    let (first, second) = (queued[0].id, queued[1].id);
    let retry_at = now_ms() + 60_000;
    let retry = Completion::Retry {
        next_attempt_at: retry_at,
        code: "provider_unavailable".into(),
        reason: "will retry: HTTP 503".into(),
    };
    let delivered = |m: &str| Completion::Delivered {
        message_id: Some(m.into()),
    };
    let settled_elsewhere = s
        .complete_attempts(
            "a",
            &[
                attempt(first, "provider_unavailable", retry.clone()),
                attempt(second, "delivered", delivered("m2")),
            ],
        )
        .await
        .unwrap();
    assert!(settled_elsewhere.is_empty(), "{settled_elsewhere:?}");
    let queued = s.pending_for_lane(conn, 0, 10).await.unwrap();
    assert_eq!(queued.len(), 1, "only the retried one is left");
    assert_eq!(
        (queued[0].id, queued[0].attempts, queued[0].next_attempt_at),
        (first, 1, retry_at)
    );
    assert!(queued[0].first_attempt_at.is_some());
    s.complete_attempts("a", &[attempt(first, "delivered", delivered("m1"))])
        .await
        .unwrap();
    // A retry answered for a delivery no longer pending (delivered, cancelled meanwhile)
    // leaves it as it is and is named, so the lane drops it instead of sending it again.
    let settled_elsewhere = s
        .complete_attempts("a", &[attempt(second, "provider_unavailable", retry)])
        .await
        .unwrap();
    assert_eq!(settled_elsewhere, [second]);
    assert!(s.pending_for_lane(conn, 0, 10).await.unwrap().is_empty());
    let detail = s
        .event_detail(tenant.id, ev, DeliveryPage::default())
        .await
        .unwrap()
        .unwrap();
    let d = detail.deliveries.iter().find(|d| d.id == first).unwrap();
    assert_eq!(
        (d.status.as_str(), d.message_id.as_deref()),
        ("delivered", Some("m1"))
    );
    let outcomes: Vec<&str> = d.attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["provider_unavailable", "delivered"]);
}

on_both_backends!(
    leases_pass_between_nodes_only_when_free_or_expired,
    pending_for_lane_reads_the_oldest_first_from_an_id_on,
    a_retry_keeps_the_delivery_pending_until_it_is_delivered,
);
