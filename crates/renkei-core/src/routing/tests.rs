use super::*;

/// Every test's plan also checks that each reason reads back into its template (so pages
/// can say it in Japanese): a reason written without one fails here.
fn plan(s: &Snapshot, targets: &Targets, kind: EventKind<'_>) -> Vec<Planned> {
    let planned = super::plan(s, targets, kind);
    for reason in planned.iter().flat_map(|p| &p.reasons) {
        assert!(why::parse(reason).is_some(), "no template reads: {reason}");
    }
    planned
}

const ROOM: EventKind<'static> = EventKind {
    event_type: "t",
    mode: DeliveryMode::Room,
};
const DIRECT: EventKind<'static> = EventKind {
    event_type: "t",
    mode: DeliveryMode::Direct,
};

fn conn(id: i64, owner: Owner, room: Option<&str>, my_chat: Option<&str>) -> ConnectionView {
    ConnectionView {
        id,
        provider: Provider::Chatwork,
        kind: ConnectionKind::Token,
        owner,
        room: room.map(Into::into),
        default_room: my_chat.map(Into::into),
        account_id: Some(format!("{}", 1000 + id)),
        enabled: true,
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
    let p = plan(&s, &to_tenant(), ROOM);
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
        sends(&plan(&s, &to_tenant(), ROOM)),
        vec![(1, "555".into())]
    );
}

#[test]
fn tenant_without_connection_is_skipped() {
    let p = plan(&Snapshot::default(), &to_tenant(), ROOM);
    assert_eq!(skips(&p), vec!["no_connection"]);
}

#[test]
fn scenario_4_client_room_through_tenant_connection() {
    let mut s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, Some("555"), Some("900"))],
        ..Default::default()
    };
    s.clients.insert("c1".into(), client(10, "c1", Some("777")));
    let p = plan(&s, &to_client("c1"), ROOM);
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
        sends(&plan(&s, &to_client("c1"), ROOM)),
        vec![(2, "901".into())]
    );
    s.clients.insert("c1".into(), client(10, "c1", Some("777")));
    assert_eq!(
        sends(&plan(&s, &to_client("c1"), ROOM)),
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
    let p = plan(&s, &to_client("c1"), ROOM);
    assert_eq!(skips(&p), vec!["no_destination"]);
    assert!(
        p[0].reasons[0].contains("no chatwork room"),
        "{:?}",
        p[0].reasons
    );
    assert_eq!(
        skips(&plan(&s, &to_client("nobody"), ROOM)),
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
    let p = plan(&s, &targets, ROOM);
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
    assert_eq!(sends(&plan(&s, &to("総務"), ROOM)), vec![(1, "200".into())]);
    let p = plan(&s, &to("開発一課"), ROOM);
    assert_eq!(sends(&p), vec![(1, "300".into())]);
    assert!(
        p[0].reasons[0].contains("開発一課 → parent 開発部"),
        "{:?}",
        p[0].reasons
    );
    assert_eq!(
        sends(&plan(&s, &to("営業一課"), ROOM)),
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

/// The console's "effective room" is routing's own answer, with where it comes from.
#[test]
fn group_destination_names_where_the_room_comes_from() {
    let s = seed_tree();
    let office = s.connections[0].clone();
    let dest = |s: &Snapshot, g: i64, c: &ConnectionView| {
        let d = group_destination(s, &s.groups[&g], c);
        (d.room.cloned(), d.source.label())
    };
    assert_eq!(dest(&s, 2, &office), (Some("300".into()), "own".into()));
    assert_eq!(
        dest(&s, 3, &office),
        (Some("300".into()), "inherited from 開発部".into())
    );
    assert_eq!(
        dest(&s, 5, &office),
        (Some("100".into()), "connection room".into())
    );
    let mut bare = office.clone();
    bare.room = None;
    assert_eq!(dest(&s, 5, &bare), (None, "nowhere".into()));
    let mut webhook = bare.clone();
    webhook.kind = ConnectionKind::Webhook;
    webhook.default_room = Some("hook".into());
    assert_eq!(
        dest(&s, 2, &webhook),
        (Some("hook".into()), "webhook".into())
    );
}

impl GroupRoomSource<'_> {
    fn label(&self) -> String {
        match self {
            GroupRoomSource::Own => "own".into(),
            GroupRoomSource::Inherited(g) => format!("inherited from {}", g.name),
            GroupRoomSource::ConnectionRoom => "connection room".into(),
            GroupRoomSource::WebhookChannel => "webhook".into(),
            GroupRoomSource::Nowhere => "nowhere".into(),
        }
    }
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
    let p = plan(&s, &t, ROOM);
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

fn member(id: i64, ext: &str, name: &str, groups: Vec<i64>, account: Option<&str>) -> MemberView {
    let identities = account
        .map(|a| BTreeMap::from([(Provider::Chatwork, a.to_string())]))
        .unwrap_or_default();
    MemberView {
        id,
        external_id: ext.into(),
        name: name.into(),
        groups,
        identities,
    }
}

fn to_members(m: &[&str]) -> Targets {
    Targets {
        members: m.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn direct_delivery_goes_to_the_members_account_through_the_bot() {
    let mut s = seed_tree();
    s.members
        .insert("m1".into(), member(1, "m1", "山田", vec![3], Some("11")));
    s.members
        .insert("m2".into(), member(2, "m2", "佐藤", vec![3], None));
    let p = plan(&s, &to_members(&["m1", "m2"]), DIRECT);
    assert_eq!(sends(&p), vec![(1, "dm:11".into())]);
    assert_eq!(direct_account("dm:11"), Some("11"));
    assert_eq!(direct_account("300"), None);
    assert_eq!(skips(&p), vec!["no_identity"]);
    assert!(
        p[1].reasons[0].contains("identities.chatwork.account_id"),
        "{:?}",
        p[1].reasons
    );
}

#[test]
fn both_sends_to_the_room_and_directly() {
    let mut s = seed_tree();
    s.members
        .insert("m1".into(), member(1, "m1", "山田", vec![3], Some("11")));
    let both = EventKind {
        event_type: "t",
        mode: DeliveryMode::Both,
    };
    assert_eq!(
        sends(&plan(&s, &to_members(&["m1"]), both)),
        vec![(1, "300".into()), (1, "dm:11".into())]
    );
}

#[test]
fn direct_to_a_group_reaches_each_member_once_and_subgroups_on_request() {
    let mut s = seed_tree();
    s.members
        .insert("m1".into(), member(1, "m1", "山田", vec![2, 3], Some("11")));
    s.members
        .insert("m2".into(), member(2, "m2", "佐藤", vec![3], Some("22")));
    s.group_members.insert(2, vec!["m1".into()]);
    s.group_members.insert(3, vec!["m1".into(), "m2".into()]);
    let t = |sub| Targets {
        groups: vec!["開発部".into()],
        subgroups: sub,
        ..Default::default()
    };
    assert_eq!(
        sends(&plan(&s, &t(false), DIRECT)),
        vec![(1, "dm:11".into())]
    );
    assert_eq!(
        sends(&plan(&s, &t(true), DIRECT)),
        vec![(1, "dm:11".into()), (1, "dm:22".into())]
    );
    assert_eq!(s.subtree(2), vec![2, 3]);
}

#[test]
fn preferences_remove_paths_with_the_reason() {
    let mut s = seed_tree();
    s.members
        .insert("m1".into(), member(1, "m1", "山田", vec![3], Some("11")));
    s.member_prefs
        .insert((1, "survey.reminder".into(), Provider::Chatwork), false);
    let kind = EventKind {
        event_type: "survey.reminder",
        mode: DeliveryMode::Both,
    };
    let p = plan(&s, &to_members(&["m1"]), kind);
    assert!(sends(&p).is_empty());
    assert_eq!(skips(&p), vec!["preference_off", "preference_off"]);
    assert_eq!(
        p[0].reasons.last().unwrap(),
        "member m1 switched chatwork off for survey.reminder"
    );
    // Another event type is unaffected.
    let other = EventKind {
        event_type: "praise",
        mode: DeliveryMode::Direct,
    };
    assert_eq!(
        sends(&plan(&s, &to_members(&["m1"]), other)),
        vec![(1, "dm:11".into())]
    );
}

#[test]
fn tenant_defaults_and_switched_off_connections_skip() {
    let mut s = seed_tree();
    s.type_defaults
        .insert(("t".into(), Provider::Chatwork), false);
    let p = plan(&s, &to_tenant(), ROOM);
    assert_eq!(skips(&p), vec!["preference_off"]);
    assert!(p[0]
        .reasons
        .last()
        .unwrap()
        .contains("switched chatwork off for t by default"));
    s.type_defaults.clear();
    s.connections[0].enabled = false;
    let p = plan(&s, &to_tenant(), ROOM);
    assert_eq!(skips(&p), vec!["connection_switched_off"]);
}

#[test]
fn mentioning_the_sending_account_warns() {
    let mut s = seed_tree();
    // Connection 1 posts as account 1001; member m1 is that same account.
    s.members
        .insert("m1".into(), member(1, "m1", "山田", vec![3], Some("1001")));
    s.members
        .insert("m2".into(), member(2, "m2", "佐藤", vec![3], Some("22")));
    let p = plan(&s, &to_members(&["m1", "m2"]), ROOM);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].warnings.len(), 1, "{:?}", p[0].warnings);
    assert!(p[0].warnings[0].contains("no unread badge"));
    assert!(p[0].warnings[0].contains("notification-only account"));
}

#[test]
fn deep_trees_find_the_nearest_ancestor_room() {
    let mut s = Snapshot {
        connections: vec![conn(1, Owner::Tenant, Some("100"), None)],
        ..Default::default()
    };
    // A chain of 200 groups; only the 50th from the top has a room.
    for id in 1..=200 {
        let room = (id == 50).then_some("5050");
        s.groups.insert(
            id,
            group(id, &format!("g{id}"), (id > 1).then(|| id - 1), room),
        );
    }
    let (room, chain) = group_room(&s, &s.groups[&200], Provider::Chatwork);
    assert_eq!(room.map(String::as_str), Some("5050"));
    assert_eq!(chain.len(), 151);
    let (room, chain) = group_room(&s, &s.groups[&49], Provider::Chatwork);
    assert_eq!((room, chain.len()), (None, 49));
    assert_eq!(s.subtree(199), vec![199, 200]);
    assert_eq!(s.subtree(1).len(), 200);
}

#[test]
fn a_cycle_does_not_hang_the_subtree_walk() {
    let mut s = seed_tree();
    s.groups.insert(6, group(6, "a", Some(7), None));
    s.groups.insert(7, group(7, "b", Some(6), None));
    assert_eq!(s.subtree(6), vec![6, 7]);
}

fn webhook(id: i64, provider: Provider) -> ConnectionView {
    ConnectionView {
        id,
        provider,
        kind: ConnectionKind::Webhook,
        owner: Owner::Tenant,
        room: None,
        default_room: Some("webhook".into()),
        account_id: None,
        enabled: true,
    }
}

fn slack_bot(id: i64, channel: Option<&str>) -> ConnectionView {
    ConnectionView {
        id,
        provider: Provider::Slack,
        kind: ConnectionKind::Bot,
        owner: Owner::Tenant,
        room: channel.map(Into::into),
        default_room: None,
        account_id: Some("UBOT0001".into()),
        enabled: true,
    }
}

#[test]
fn a_webhook_posts_group_notices_into_its_own_channel_and_never_dms() {
    let mut s = seed_tree();
    s.connections.push(webhook(7, Provider::Teams));
    let mut m = member(1, "m1", "山田", vec![3], Some("11"));
    m.identities
        .insert(Provider::Teams, "yamada@acme.example".into());
    s.members.insert("m1".into(), m);
    // Room delivery: Chatwork into 開発部's room, Teams into the webhook's channel with a
    // Teams mention (not the Chatwork account).
    let p = plan(&s, &to_members(&["m1"]), ROOM);
    assert_eq!(sends(&p), vec![(1, "300".into()), (7, "webhook".into())]);
    let Outcome::Send { mentions, .. } = &p[1].outcome else {
        panic!("{p:?}")
    };
    assert_eq!(mentions[0].account_id, "yamada@acme.example");
    // Direct delivery: only the Chatwork token can reach one person.
    let p = plan(&s, &to_members(&["m1"]), DIRECT);
    assert_eq!(sends(&p), vec![(1, "dm:11".into())]);
}

#[test]
fn a_slack_bot_uses_group_channels_and_dms_by_member_id() {
    let mut s = Snapshot {
        connections: vec![slack_bot(3, Some("CDEFAULT1"))],
        ..Default::default()
    };
    let mut g = group(1, "総務", None, None);
    g.rooms.insert(Provider::Slack, "CSOUMU001".into());
    s.groups.insert(1, g);
    s.groups.insert(2, group(2, "営業", None, None));
    let mut m = member(1, "m1", "山田", vec![1], None);
    m.identities.insert(Provider::Slack, "U0000YAMA".into());
    s.members.insert("m1".into(), m);
    s.members
        .insert("m2".into(), member(2, "m2", "佐藤", vec![2], None));
    let p = plan(&s, &to_members(&["m1", "m2"]), ROOM);
    assert_eq!(
        sends(&p),
        vec![(3, "CSOUMU001".into()), (3, "CDEFAULT1".into())]
    );
    let p = plan(&s, &to_members(&["m1", "m2"]), DIRECT);
    assert_eq!(sends(&p), vec![(3, "dm:U0000YAMA".into())]);
    assert!(
        p[1].reasons[0].contains("identities.slack.member_id"),
        "{p:?}"
    );
}

#[test]
fn self_mention_warnings_are_only_for_chatwork() {
    let mut s = Snapshot {
        connections: vec![slack_bot(3, Some("C0000001"))],
        ..Default::default()
    };
    s.groups.insert(1, group(1, "g", None, None));
    let mut m = member(1, "m1", "bot", vec![1], None);
    m.identities.insert(Provider::Slack, "UBOT0001".into());
    s.members.insert("m1".into(), m);
    let p = plan(&s, &to_members(&["m1"]), ROOM);
    assert_eq!(sends(&p).len(), 1);
    assert!(p[0].warnings.is_empty(), "{:?}", p[0].warnings);
}
