//! Room destinations: the tenant's and clients' connections, and the group tree.

use std::collections::HashSet;

use super::MemberView;
use super::{
    send, skip, tenant_connections, why, ConnectionView, GroupView, Outcome, Planned, Snapshot,
};
use crate::model::{ConnectionKind, Owner, Provider};

/// The connection's own place: its chosen room, else its default (My Chat).
pub(super) fn own_place(c: &ConnectionView) -> Option<(String, String)> {
    if let Some(room) = &c.room {
        return Some((
            room.clone(),
            why::text("conn-room", &[("conn", &c.id), ("room", room)]),
        ));
    }
    let place = match (c.provider, c.kind) {
        (Provider::Chatwork, _) => "conn-my-chat",
        (_, ConnectionKind::Webhook) => "conn-webhook-channel",
        _ => "conn-default-place",
    };
    c.default_room
        .as_ref()
        .map(|r| (r.clone(), why::text(place, &[("conn", &c.id), ("room", r)])))
}

pub(super) fn plan_tenant(s: &Snapshot, out: &mut Vec<Planned>) {
    let mut any = false;
    for c in tenant_connections(s) {
        any = true;
        match own_place(c) {
            Some((room, why)) => out.push(send("tenant".into(), c, room, vec![why])),
            None => out.push(skip(
                "tenant".into(),
                Some(c.provider),
                "no_destination",
                why::text("conn-nowhere", &[("conn", &c.id)]),
            )),
        }
    }
    if !any {
        out.push(skip(
            "tenant".into(),
            None,
            "no_connection",
            why::text("tenant-no-connection", &[]),
        ));
    }
}

pub(super) fn plan_client(s: &Snapshot, ext: &str, out: &mut Vec<Planned>) {
    let target = format!("client:{ext}");
    let Some(client) = s.clients.get(ext) else {
        out.push(skip(
            target,
            None,
            "unknown_client",
            why::text("unknown-client", &[("ext", &ext)]),
        ));
        return;
    };
    // Only providers the client or tenant uses at all: six "no destination" lines for tools
    // nobody connected would bury the one that matters.
    let relevant: Vec<Provider> = Provider::ALL
        .into_iter()
        .filter(|p| {
            client.rooms.contains_key(p)
                || s.connections.iter().any(|c| {
                    c.provider == *p
                        && (c.owner == Owner::Client(client.id) || c.owner == Owner::Tenant)
                })
        })
        .collect();
    if relevant.is_empty() {
        out.push(skip(
            target,
            None,
            "no_connection",
            why::text("client-nothing", &[("ext", &ext)]),
        ));
        return;
    }
    for provider in relevant {
        let room = client.rooms.get(&provider);
        let own: Vec<_> = s
            .connections
            .iter()
            .filter(|c| c.provider == provider && c.owner == Owner::Client(client.id))
            .collect();
        if !own.is_empty() {
            for c in own {
                if let Some(room) = room {
                    out.push(client_room_send(&target, "client-own-room", ext, c, room));
                } else if let Some((r, why)) = own_place(c) {
                    out.push(send(
                        target.clone(),
                        c,
                        r,
                        vec![
                            why::text(
                                "client-own",
                                &[("ext", &ext), ("provider", &provider), ("conn", &c.id)],
                            ),
                            why,
                        ],
                    ));
                } else {
                    out.push(skip(
                        target.clone(),
                        Some(provider),
                        "no_destination",
                        why::text("client-conn-nowhere", &[("ext", &ext), ("conn", &c.id)]),
                    ));
                }
            }
            continue;
        }
        let tenant_conn =
            tenant_connections(s).find(|c| c.provider == provider && c.kind.chooses_room());
        match (room, tenant_conn) {
            (Some(room), Some(c)) => out.push(client_room_send(
                &target,
                "client-tenant-conn",
                ext,
                c,
                room,
            )),
            (Some(room), None) => out.push(skip(
                target.clone(),
                Some(provider),
                "no_connection",
                why::text(
                    "client-room-no-conn",
                    &[("ext", &ext), ("provider", &provider), ("room", room)],
                ),
            )),
            (None, _) => out.push(skip(
                target.clone(),
                Some(provider),
                "no_destination",
                why::text(
                    "client-no-destination",
                    &[("ext", &ext), ("provider", &provider)],
                ),
            )),
        }
    }
}

/// A post into the client's room through `c` (the client's own connection or the tenant's).
fn client_room_send(target: &str, key: &str, ext: &str, c: &ConnectionView, room: &str) -> Planned {
    let values: [(&str, &dyn std::fmt::Display); 4] = [
        ("ext", &ext),
        ("provider", &c.provider),
        ("conn", &c.id),
        ("room", &room),
    ];
    send(target.into(), c, room.into(), vec![why::text(key, &values)])
}

/// A group's room for `provider`: its own, else the nearest ancestor's. The chain of groups
/// visited is returned for the reason text. Cycles stop the walk (they are refused on write).
pub fn group_room<'a>(
    s: &'a Snapshot,
    group: &'a GroupView,
    provider: Provider,
) -> (Option<&'a String>, Vec<&'a str>) {
    let (found, chain) = group_room_holder(s, group, provider);
    (found.map(|(room, _)| room), chain)
}

/// As [`group_room`], also naming the group the room belongs to.
pub fn group_room_holder<'a>(
    s: &'a Snapshot,
    group: &'a GroupView,
    provider: Provider,
) -> (Option<(&'a String, &'a GroupView)>, Vec<&'a str>) {
    let mut chain = Vec::new();
    let mut seen = HashSet::new();
    let mut cur = Some(group);
    while let Some(g) = cur {
        if !seen.insert(g.id) {
            break;
        }
        chain.push(g.name.as_str());
        if let Some(room) = g.rooms.get(&provider) {
            return (Some((room, g)), chain);
        }
        cur = g.parent.and_then(|p| s.groups.get(&p));
    }
    (None, chain)
}

/// Where a post for a group through one tenant connection goes, and why.
#[derive(Debug, Clone)]
pub enum GroupRoomSource<'a> {
    /// The group's own room.
    Own,
    /// The room of this ancestor (the nearest one that has a room for the provider).
    Inherited(&'a GroupView),
    /// No group in the chain has a room: the tenant connection's own room.
    ConnectionRoom,
    /// A webhook posts only into its own channel, whatever the group's rooms.
    WebhookChannel,
    /// Nowhere: no room in the chain and the connection has no room of its own.
    Nowhere,
}

#[derive(Debug, Clone)]
pub struct GroupDestination<'a> {
    pub room: Option<&'a String>,
    pub source: GroupRoomSource<'a>,
    /// The groups walked, the group itself first (names, for reason texts).
    pub chain: Vec<&'a str>,
}

/// The room a group's posts through tenant connection `c` go to: the group's own room, else
/// the nearest ancestor's, else the connection's room (a webhook: always its own channel).
/// Routing and the console's "effective room" both ask this.
pub fn group_destination<'a>(
    s: &'a Snapshot,
    group: &'a GroupView,
    c: &'a ConnectionView,
) -> GroupDestination<'a> {
    let (found, chain) = group_room_holder(s, group, c.provider);
    // A webhook cannot post into the group's room: only into its own channel.
    let found = found.filter(|_| c.kind.chooses_room());
    let (room, source) = match (found, &c.room) {
        (Some((r, holder)), _) if holder.id == group.id => (Some(r), GroupRoomSource::Own),
        (Some((r, holder)), _) => (Some(r), GroupRoomSource::Inherited(holder)),
        (None, Some(r)) => (Some(r), GroupRoomSource::ConnectionRoom),
        (None, None) if !c.kind.chooses_room() && c.default_room.is_some() => {
            (c.default_room.as_ref(), GroupRoomSource::WebhookChannel)
        }
        (None, None) => (None, GroupRoomSource::Nowhere),
    };
    GroupDestination {
        room,
        source,
        chain,
    }
}

/// Room delivery into a group's room through each tenant connection the `allowed` filter keeps.
pub(super) fn group_room_deliveries(
    s: &Snapshot,
    target: &str,
    group: &GroupView,
    mention: Option<&MemberView>,
    allowed: &dyn Fn(Provider) -> Result<(), (&'static str, String)>,
    out: &mut Vec<Planned>,
) {
    let mut any = false;
    for c in tenant_connections(s) {
        any = true;
        if let Err((code, reason)) = allowed(c.provider) {
            out.push(skip(target.into(), Some(c.provider), code, reason));
            continue;
        }
        let dest = group_destination(s, group, c);
        let path = dest.chain.join(why::PATH_JOINER);
        let group_room = |key: &str, r: &String| {
            let values: [(&str, &dyn std::fmt::Display); 4] = [
                ("path", &path),
                ("provider", &c.provider),
                ("room", r),
                ("conn", &c.id),
            ];
            (r.clone(), why::text(key, &values))
        };
        let (room, why) = match (dest.room, &dest.source) {
            (Some(r), GroupRoomSource::Own | GroupRoomSource::Inherited(_)) => {
                group_room("group-room", r)
            }
            (Some(r), GroupRoomSource::ConnectionRoom) => group_room("group-default-room", r),
            (Some(r), GroupRoomSource::WebhookChannel) => (
                r.clone(),
                why::text(
                    "group-webhook",
                    &[("conn", &c.id), ("provider", &c.provider)],
                ),
            ),
            _ => {
                out.push(skip(
                    target.into(),
                    Some(c.provider),
                    "no_destination",
                    why::text(
                        "group-nowhere",
                        &[("path", &path), ("provider", &c.provider), ("conn", &c.id)],
                    ),
                ));
                continue;
            }
        };
        let mut p = send(target.into(), c, room, vec![why]);
        if let (Some(m), Outcome::Send { mentions, .. }) = (
            mention.and_then(|m| m.mention_on(c.provider)),
            &mut p.outcome,
        ) {
            mentions.push(m);
        }
        out.push(p);
    }
    if !any {
        out.push(skip(
            target.into(),
            None,
            "no_connection",
            why::text("no-room-connection", &[]),
        ));
    }
}
