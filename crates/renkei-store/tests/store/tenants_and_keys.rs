//! An event is shown only to its tenant, and an idempotency key names one event per tenant,
//! even when the same key comes twice in one group commit.

use renkei_store::events::DeliveryPage;

use super::{connection, event, open, sends, statuses, Backend};

async fn an_event_is_shown_only_to_its_tenant(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (mine, _) = s.create_tenant("mine").await.unwrap();
    let (theirs, _) = s.create_tenant("theirs").await.unwrap();
    let conn = connection(s, mine.id).await;
    let id = s
        .insert_events(mine.id, &[event(sends(conn, 1), None)])
        .await
        .unwrap()[0]
        .id;
    assert!(s
        .event_detail(theirs.id, id, DeliveryPage::default())
        .await
        .unwrap()
        .is_none());
    assert_eq!(statuses(s, mine.id, id).await, vec![("pending".into(), 1)]);
}

async fn a_key_repeated_in_one_group_commit_is_one_event_per_tenant(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (one, _) = s.create_tenant("one").await.unwrap();
    let (two, _) = s.create_tenant("two").await.unwrap();
    let c1 = connection(s, one.id).await;
    let c2 = connection(s, two.id).await;
    let ones = [
        event(sends(c1, 2), Some("k")),
        event(sends(c1, 2), Some("k")),
    ];
    let twos = [event(sends(c2, 2), Some("k"))];
    let answers = s
        .insert_event_groups(&[(one.id, &ones[..]), (two.id, &twos[..])])
        .await
        .unwrap();
    let (first, again) = (&answers[0][0], &answers[0][1]);
    assert!(!first.duplicate);
    assert_eq!((again.id, again.duplicate), (first.id, true));
    // The duplicate added no deliveries.
    assert_eq!(
        statuses(s, one.id, first.id).await,
        vec![("pending".into(), 2)]
    );
    // Another tenant's same key is its own event.
    let theirs = &answers[1][0];
    assert!(!theirs.duplicate);
    assert_ne!(theirs.id, first.id);
}

on_both_backends!(
    an_event_is_shown_only_to_its_tenant,
    a_key_repeated_in_one_group_commit_is_one_event_per_tenant,
);
