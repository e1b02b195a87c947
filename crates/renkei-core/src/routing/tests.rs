use super::*;

fn conn(id: i64, owner: Owner, room: Option<&str>, my_chat: Option<&str>) -> ConnectionView {
    ConnectionView {
        id,
        provider: Provider::Chatwork,
        owner,
        room: room.map(Into::into),
        default_room: my_chat.map(Into::into),
        account_id: Some(format!("{}", 1000 + id)),
    }
}

fn client(id: i64, ext: &str, room: Option<&str>) -> ClientView {
    let mut rooms = BTreeMap::new();
    if let Some(r) = room {
        rooms.insert(Provider::Chatwork, r.to_string());
    }
    ClientView {
        id,
        external_id: ext.into(),
        rooms,
    }
}

fn sends(p: &[Planned]) -> Vec<(i64, String)> {
    p.iter()
        .filter_map(|p| match &p.outcome {
            Outcome::Send {
                connection_id,
                room,
                ..
            } => Some((*connection_id, room.clone())),
            Outcome::Skip { .. } => None,
        })
        .collect()
}

fn skips(p: &[Planned]) -> Vec<&'static str> {
    p.iter()
        .filter_map(|p| match &p.outcome {
            Outcome::Skip { code } => Some(*code),
            Outcome::Send { .. } => None,
        })
        .collect()
}

fn to_tenant() -> Targets {
    Targets {
        tenant: true,
        ..Default::default()
    }
}

fn to_client(ext: &str) -> Targets {
    Targets {
        clients: vec![ext.into()],
        ..Default::default()
    }
}

#[test]
fn scenario_1_tenant_token_without_room_goes_to_my_chat() {
    let s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, None, Some("900"))],
        ..Default::default()
    };
    let p = plan(&s, &to_tenant(), DeliveryMode::Room);
    assert_eq!(sends(&p), vec![(1, "900".into())]);
    assert!(p[0].reasons[0].contains("My Chat"));
}

#[test]
fn scenario_3_tenant_room_wins_over_my_chat() {
    let s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, Some("555"), Some("900"))],
        ..Default::default()
    };
    assert_eq!(
        sends(&plan(&s, &to_tenant(), DeliveryMode::Room)),
        vec![(1, "555".into())]
    );
}

#[test]
fn tenant_without_connection_is_skipped() {
    let p = plan(&Snapshot::default(), &to_tenant(), DeliveryMode::Room);
    assert_eq!(skips(&p), vec!["no_connection"]);
}

#[test]
fn scenario_4_client_room_through_tenant_connection() {
    let mut s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, Some("555"), Some("900"))],
        ..Default::default()
    };
    s.clients.insert("c1".into(), client(10, "c1", Some("777")));
    let p = plan(&s, &to_client("c1"), DeliveryMode::Room);
    assert_eq!(sends(&p), vec![(1, "777".into())]);
}

#[test]
fn scenario_5_client_own_token_my_chat_or_its_room() {
    let mut s = Snapshot {
        connections: vec![
            conn(1, Owner::Tenant, Some("555"), Some("900")),
            conn(2, Owner::Client(10), None, Some("901")),
        ],
        ..Default::default()
    };
    s.clients.insert("c1".into(), client(10, "c1", None));
    assert_eq!(
        sends(&plan(&s, &to_client("c1"), DeliveryMode::Room)),
        vec![(2, "901".into())]
    );
    s.clients.insert("c1".into(), client(10, "c1", Some("777")));
    assert_eq!(
        sends(&plan(&s, &to_client("c1"), DeliveryMode::Room)),
        vec![(2, "777".into())]
    );
}

#[test]
fn client_without_room_or_connection_is_skipped_with_reason() {
    let mut s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, Some("555"), Some("900"))],
        ..Default::default()
    };
    s.clients.insert("c1".into(), client(10, "c1", None));
    let p = plan(&s, &to_client("c1"), DeliveryMode::Room);
    assert_eq!(skips(&p), vec!["no_destination"]);
    assert!(
        p[0].reasons[0].contains("no chatwork room"),
        "{:?}",
        p[0].reasons
    );
    assert_eq!(
        skips(&plan(&s, &to_client("nobody"), DeliveryMode::Room)),
        vec!["unknown_client"]
    );
}

#[test]
fn same_destination_is_sent_once() {
    let mut s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, Some("555"), Some("900"))],
        ..Default::default()
    };
    s.clients.insert("c1".into(), client(10, "c1", Some("555")));
    let targets = Targets {
        tenant: true,
        clients: vec!["c1".into(), "c1".into()],
        ..Default::default()
    };
    let p = plan(&s, &targets, DeliveryMode::Room);
    assert_eq!(sends(&p), vec![(1, "555".into())]);
    assert!(p[0]
        .reasons
        .iter()
        .any(|r| r.starts_with("also for client:c1")));
}

fn group(id: i64, ext: &str, parent: Option<i64>, room: Option<&str>) -> GroupView {
    let mut rooms = BTreeMap::new();
    if let Some(r) = room {
        rooms.insert(Provider::Chatwork, r.to_string());
    }
    GroupView {
        id,
        external_id: ext.into(),
        name: ext.into(),
        parent,
        rooms,
    }
}

fn seed_tree() -> Snapshot {
    let mut s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, Some("100"), Some("900"))],
        ..Default::default()
    };
    for g in [
        group(1, "総務", None, Some("200")),
        group(2, "開発部", None, Some("300")),
        group(3, "開発一課", Some(2), None),
        group(4, "営業部", None, None),
        group(5, "営業一課", Some(4), None),
    ] {
        s.groups.insert(g.id, g);
    }
    s
}

#[test]
fn group_rooms_walk_up_the_tree_as_in_the_seed() {
    let s = seed_tree();
    let to = |g: &str| Targets {
        groups: vec![g.into()],
        ..Default::default()
    };
    assert_eq!(
        sends(&plan(&s, &to("総務"), DeliveryMode::Room)),
        vec![(1, "200".into())]
    );
    let p = plan(&s, &to("開発一課"), DeliveryMode::Room);
    assert_eq!(sends(&p), vec![(1, "300".into())]);
    assert!(
        p[0].reasons[0].contains("開発一課 → parent 開発部"),
        "{:?}",
        p[0].reasons
    );
    assert_eq!(
        sends(&plan(&s, &to("営業一課"), DeliveryMode::Room)),
        vec![(1, "100".into())]
    );
}

#[test]
fn a_cycle_does_not_hang_the_walk() {
    let mut s = seed_tree();
    s.groups.insert(6, group(6, "a", Some(7), None));
    s.groups.insert(7, group(7, "b", Some(6), None));
    let (room, chain) = group_room(&s, &s.groups[&6], Provider::Chatwork);
    assert_eq!(room, None);
    assert_eq!(chain, vec!["a", "b"]);
}

#[test]
fn members_in_one_room_share_one_post_mentioning_each() {
    let mut s = seed_tree();
    for (id, ext, name, acc) in [(1, "m1", "山田", "11"), (2, "m2", "佐藤", "22")] {
        s.members.insert(
            ext.into(),
            MemberView {
                id,
                external_id: ext.into(),
                name: name.into(),
                groups: vec![3, 1],
                identities: BTreeMap::from([(Provider::Chatwork, acc.to_string())]),
            },
        );
    }
    let t = Targets {
        members: vec!["m1".into(), "m2".into()],
        ..Default::default()
    };
    let p = plan(&s, &t, DeliveryMode::Room);
    assert_eq!(sends(&p), vec![(1, "300".into())]);
    let Outcome::Send { mentions, .. } = &p[0].outcome else {
        panic!()
    };
    assert_eq!(
        mentions
            .iter()
            .map(|m| m.account_id.as_str())
            .collect::<Vec<_>>(),
        vec!["11", "22"]
    );
}
