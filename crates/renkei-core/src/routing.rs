//! Who receives an event: targets → planned deliveries, each with the reasons that led there.
//!
//! The store loads a [`Snapshot`] of the tenant's configuration; [`plan`] turns an event's
//! targets into deliveries (or `skipped` entries that say why nothing was sent), so the
//! same rules serve intake and, later, route previews.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::{DeliveryMode, Mention, Owner, Provider};

#[derive(Debug, Clone)]
pub struct ConnectionView {
    pub id: i64,
    pub provider: Provider,
    pub owner: Owner,
    /// The room the owner chose for this connection, if any.
    pub room: Option<String>,
    /// Where the connection posts when no room is chosen (Chatwork: the owner's My Chat).
    pub default_room: Option<String>,
    /// The provider account the credentials act as.
    pub account_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ClientView {
    pub id: i64,
    pub external_id: String,
    pub rooms: BTreeMap<Provider, String>,
}

#[derive(Debug, Clone)]
pub struct GroupView {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub parent: Option<i64>,
    pub rooms: BTreeMap<Provider, String>,
}

#[derive(Debug, Clone)]
pub struct MemberView {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    /// Primary first.
    pub groups: Vec<i64>,
    pub identities: BTreeMap<Provider, String>,
}

/// The tenant's configuration as routing needs it. Maps are keyed by external ID.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub connections: Vec<ConnectionView>,
    pub clients: HashMap<String, ClientView>,
    pub groups: HashMap<i64, GroupView>,
    pub members: HashMap<String, MemberView>,
}

impl Snapshot {
    fn group_by_external(&self, ext: &str) -> Option<&GroupView> {
        self.groups.values().find(|g| g.external_id == ext)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub tenant: bool,
    pub clients: Vec<String>,
    pub groups: Vec<String>,
    pub members: Vec<String>,
}

/// One delivery the event will make, or one target that yields none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The target this came from, e.g. `tenant`, `client:acme`, `member:42`.
    pub target: String,
    pub provider: Option<Provider>,
    pub outcome: Outcome,
    /// Human-readable chain of decisions, first to last.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Send {
        connection_id: i64,
        room: String,
        mentions: Vec<Mention>,
    },
    Skip {
        code: &'static str,
    },
}

/// Turns targets into deliveries. Deliveries to the same room through the same connection are
/// merged into one post that mentions everyone concerned.
pub fn plan(snapshot: &Snapshot, targets: &Targets, mode: DeliveryMode) -> Vec<Planned> {
    let mut out = Vec::new();
    if targets.tenant {
        plan_tenant(snapshot, &mut out);
    }
    for ext in dedup(&targets.clients) {
        plan_client(snapshot, ext, &mut out);
    }
    for ext in dedup(&targets.groups) {
        plan_group(snapshot, ext, mode, &mut out);
    }
    for ext in dedup(&targets.members) {
        plan_member(snapshot, ext, mode, &mut out);
    }
    merge_same_destination(out)
}

fn dedup(v: &[String]) -> impl Iterator<Item = &String> {
    let mut seen = HashSet::new();
    v.iter().filter(move |s| seen.insert(s.as_str()))
}

fn skip(target: String, provider: Option<Provider>, code: &'static str, reason: String) -> Planned {
    Planned {
        target,
        provider,
        outcome: Outcome::Skip { code },
        reasons: vec![reason],
    }
}

fn send(target: String, c: &ConnectionView, room: String, reasons: Vec<String>) -> Planned {
    Planned {
        target,
        provider: Some(c.provider),
        outcome: Outcome::Send {
            connection_id: c.id,
            room,
            mentions: Vec::new(),
        },
        reasons,
    }
}

/// The connection's own place: its chosen room, else its default (My Chat).
fn own_place(c: &ConnectionView) -> Option<(String, String)> {
    if let Some(room) = &c.room {
        return Some((room.clone(), format!("connection {}'s room {room}", c.id)));
    }
    c.default_room.as_ref().map(|r| {
        (
            r.clone(),
            format!("connection {} has no room set → its My Chat {r}", c.id),
        )
    })
}

fn tenant_connections(s: &Snapshot) -> impl Iterator<Item = &ConnectionView> {
    s.connections.iter().filter(|c| c.owner == Owner::Tenant)
}

fn plan_tenant(s: &Snapshot, out: &mut Vec<Planned>) {
    let mut any = false;
    for c in tenant_connections(s) {
        any = true;
        match own_place(c) {
            Some((room, why)) => out.push(send("tenant".into(), c, room, vec![why])),
            None => out.push(skip(
                "tenant".into(),
                Some(c.provider),
                "no_destination",
                format!("connection {} has neither a room nor a My Chat", c.id),
            )),
        }
    }
    if !any {
        out.push(skip(
            "tenant".into(),
            None,
            "no_connection",
            "the tenant has no connection".into(),
        ));
    }
}

fn plan_client(s: &Snapshot, ext: &str, out: &mut Vec<Planned>) {
    let target = format!("client:{ext}");
    let Some(client) = s.clients.get(ext) else {
        out.push(skip(
            target,
            None,
            "unknown_client",
            format!("no client with external_id `{ext}`"),
        ));
        return;
    };
    for provider in Provider::ALL {
        let room = client.rooms.get(&provider);
        let own: Vec<_> = s
            .connections
            .iter()
            .filter(|c| c.provider == provider && c.owner == Owner::Client(client.id))
            .collect();
        if !own.is_empty() {
            for c in own {
                if let Some(room) = room {
                    out.push(send(target.clone(), c, room.clone(), vec![format!(
                        "client {ext} has its own {provider} connection {} → the client's room {room}",
                        c.id
                    )]));
                } else if let Some((r, why)) = own_place(c) {
                    out.push(send(
                        target.clone(),
                        c,
                        r,
                        vec![
                            format!("client {ext} has its own {provider} connection {}", c.id),
                            why,
                        ],
                    ));
                } else {
                    out.push(skip(
                        target.clone(),
                        Some(provider),
                        "no_destination",
                        format!("client {ext}'s connection {} has no place to post", c.id),
                    ));
                }
            }
            continue;
        }
        match (room, tenant_connections(s).find(|c| c.provider == provider)) {
            (Some(room), Some(c)) => out.push(send(target.clone(), c, room.clone(), vec![format!(
                "client {ext} has no {provider} connection of its own → the tenant's connection {} posts into the client's room {room}",
                c.id
            )])),
            (Some(room), None) => out.push(skip(target.clone(), Some(provider), "no_connection", format!(
                "client {ext} has {provider} room {room} but neither the client nor the tenant has a {provider} connection"
            ))),
            (None, _) => out.push(skip(target.clone(), Some(provider), "no_destination", format!(
                "client {ext} has no {provider} connection of its own and no {provider} room"
            ))),
        }
    }
}

/// A group's room for `provider`: its own, else the nearest ancestor's. The chain of groups
/// visited is returned for the reason text. Cycles stop the walk (they are refused on write).
pub fn group_room<'a>(
    s: &'a Snapshot,
    group: &'a GroupView,
    provider: Provider,
) -> (Option<&'a String>, Vec<&'a str>) {
    let mut chain = Vec::new();
    let mut seen = HashSet::new();
    let mut cur = Some(group);
    while let Some(g) = cur {
        if !seen.insert(g.id) {
            break;
        }
        chain.push(g.name.as_str());
        if let Some(room) = g.rooms.get(&provider) {
            return (Some(room), chain);
        }
        cur = g.parent.and_then(|p| s.groups.get(&p));
    }
    (None, chain)
}

/// Room delivery into a group's room through each tenant connection.
fn group_room_deliveries(
    s: &Snapshot,
    target: &str,
    group: &GroupView,
    mention: Option<Mention>,
    out: &mut Vec<Planned>,
) {
    let mut any = false;
    for c in tenant_connections(s) {
        any = true;
        let (room, chain) = group_room(s, group, c.provider);
        let path = chain.join(" → parent ");
        let (room, why) = match (room, &c.room) {
            (Some(r), _) => (
                r.clone(),
                format!(
                    "group {path} has {} room {r} → via connection {}",
                    c.provider, c.id
                ),
            ),
            (None, Some(r)) => (
                r.clone(),
                format!(
                    "group {path} has no {} room → the tenant's default room {r} via connection {}",
                    c.provider, c.id
                ),
            ),
            (None, None) => {
                out.push(skip(target.into(), Some(c.provider), "no_destination", format!(
                    "group {path} has no {} room and the tenant's connection {} has no default room", c.provider, c.id
                )));
                continue;
            }
        };
        let mut p = send(target.into(), c, room, vec![why]);
        if let (Some(m), Outcome::Send { mentions, .. }) = (mention.clone(), &mut p.outcome) {
            mentions.push(m);
        }
        out.push(p);
    }
    if !any {
        out.push(skip(
            target.into(),
            None,
            "no_connection",
            "the tenant has no connection to post into a room".into(),
        ));
    }
}

fn plan_group(s: &Snapshot, ext: &str, mode: DeliveryMode, out: &mut Vec<Planned>) {
    let target = format!("group:{ext}");
    let Some(group) = s.group_by_external(ext) else {
        out.push(skip(
            target,
            None,
            "unknown_group",
            format!("no group with external_id `{ext}`"),
        ));
        return;
    };
    if matches!(mode, DeliveryMode::Room | DeliveryMode::Both) {
        group_room_deliveries(s, &target, group, None, out);
    }
    if matches!(mode, DeliveryMode::Direct | DeliveryMode::Both) {
        out.push(skip(
            target,
            None,
            "direct_not_available",
            "direct delivery to members is not available yet".into(),
        ));
    }
}

fn plan_member(s: &Snapshot, ext: &str, mode: DeliveryMode, out: &mut Vec<Planned>) {
    let target = format!("member:{ext}");
    let Some(member) = s.members.get(ext) else {
        out.push(skip(
            target,
            None,
            "unknown_member",
            format!("no member with external_id `{ext}`"),
        ));
        return;
    };
    if matches!(mode, DeliveryMode::Room | DeliveryMode::Both) {
        match member.groups.first().and_then(|g| s.groups.get(g)) {
            Some(primary) => {
                let mention = member.identities.get(&Provider::Chatwork).map(|a| Mention {
                    account_id: a.clone(),
                    name: member.name.clone(),
                });
                let before = out.len();
                group_room_deliveries(s, &target, primary, mention, out);
                for p in &mut out[before..] {
                    p.reasons.insert(
                        0,
                        format!("member {ext}'s primary group is {}", primary.name),
                    );
                }
            }
            None => out.push(skip(
                target.clone(),
                None,
                "no_group",
                format!("member {ext} belongs to no group, so has no room"),
            )),
        }
    }
    if matches!(mode, DeliveryMode::Direct | DeliveryMode::Both) {
        out.push(skip(
            target.clone(),
            None,
            "direct_not_available",
            "direct delivery to members is not available yet".into(),
        ));
    }
    for c in s
        .connections
        .iter()
        .filter(|c| c.owner == Owner::Member(member.id))
    {
        match own_place(c) {
            Some((room, why)) => out.push(send(
                target.clone(),
                c,
                room,
                vec![format!("member {ext} owns connection {}", c.id), why],
            )),
            None => out.push(skip(
                target.clone(),
                Some(c.provider),
                "no_destination",
                format!("member {ext}'s connection {} has no place to post", c.id),
            )),
        }
    }
}

/// One post per (connection, room): later plans for the same destination add their mentions
/// and reasons to the first.
fn merge_same_destination(planned: Vec<Planned>) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::with_capacity(planned.len());
    let mut index: HashMap<(i64, String), usize> = HashMap::new();
    for p in planned {
        if let Outcome::Send {
            connection_id,
            room,
            mentions,
        } = &p.outcome
        {
            if let Some(&i) = index.get(&(*connection_id, room.clone())) {
                let first = &mut out[i];
                if let Outcome::Send { mentions: m0, .. } = &mut first.outcome {
                    for m in mentions {
                        if !m0.contains(m) {
                            m0.push(m.clone());
                        }
                    }
                }
                first
                    .reasons
                    .push(format!("also for {}: {}", p.target, p.reasons.join("; ")));
                continue;
            }
            index.insert((*connection_id, room.clone()), out.len());
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests;
