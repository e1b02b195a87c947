//! Member destinations: a group's room or each of its members, a member's primary group's
//! room (with a mention), a DM through the tenant's bot, and the member's own connections.
//! Members' preferences apply to every path that is for them.

use super::rooms::{group_room_deliveries, own_place};
use super::{
    direct_room, send, skip, tenant_connections, why, EventKind, MemberView, Outcome, Planned,
    Snapshot,
};
use crate::model::{DeliveryMode, Owner, Provider};

fn wants_room(mode: DeliveryMode) -> bool {
    matches!(mode, DeliveryMode::Room | DeliveryMode::Both)
}

fn wants_direct(mode: DeliveryMode) -> bool {
    matches!(mode, DeliveryMode::Direct | DeliveryMode::Both)
}

/// The member's own choice for this event type and provider wins; otherwise on.
/// (The tenant's defaults are applied to every path afterwards.)
fn member_allows(
    s: &Snapshot,
    m: &MemberView,
    kind: EventKind<'_>,
    provider: Provider,
) -> Result<(), (&'static str, String)> {
    match s
        .member_prefs
        .get(&(m.id, kind.event_type.to_string(), provider))
    {
        Some(false) => Err((
            "preference_off",
            why::text(
                "member-pref-off",
                &[
                    ("ext", &m.external_id),
                    ("provider", &provider),
                    ("type", &kind.event_type),
                ],
            ),
        )),
        _ => Ok(()),
    }
}

pub(super) fn plan_group(
    s: &Snapshot,
    ext: &str,
    subgroups: bool,
    kind: EventKind<'_>,
    out: &mut Vec<Planned>,
) {
    let target = format!("group:{ext}");
    let Some(group) = s.group_by_external(ext) else {
        out.push(skip(
            target,
            None,
            "unknown_group",
            why::text("unknown-group", &[("ext", &ext)]),
        ));
        return;
    };
    if wants_room(kind.mode) {
        group_room_deliveries(s, &target, group, None, &|_| Ok(()), out);
    }
    if wants_direct(kind.mode) {
        let groups = if subgroups {
            s.subtree(group.id)
        } else {
            vec![group.id]
        };
        let mut seen = std::collections::HashSet::new();
        let members: Vec<&MemberView> = groups
            .iter()
            .flat_map(|g| s.group_members.get(g).into_iter().flatten())
            .filter(|m| seen.insert(m.as_str()))
            .filter_map(|m| s.members.get(m))
            .collect();
        if members.is_empty() {
            out.push(skip(
                target,
                None,
                "no_members",
                why::text("group-no-members", &[("group", &group.name)]),
            ));
            return;
        }
        for m in members {
            let before = out.len();
            direct(s, &format!("member:{}", m.external_id), m, kind, out);
            for p in &mut out[before..] {
                p.reasons.insert(
                    0,
                    why::text("group-member-direct", &[("group", &group.name)]),
                );
            }
        }
    }
}

pub(super) fn plan_member(s: &Snapshot, ext: &str, kind: EventKind<'_>, out: &mut Vec<Planned>) {
    let target = format!("member:{ext}");
    let Some(member) = s.members.get(ext) else {
        out.push(skip(
            target,
            None,
            "unknown_member",
            why::text("unknown-member", &[("ext", &ext)]),
        ));
        return;
    };
    if wants_room(kind.mode) {
        match member.groups.first().and_then(|g| s.groups.get(g)) {
            Some(primary) => {
                let before = out.len();
                let allowed = |p: Provider| member_allows(s, member, kind, p);
                group_room_deliveries(s, &target, primary, Some(member), &allowed, out);
                for p in &mut out[before..] {
                    p.reasons.insert(
                        0,
                        why::text(
                            "member-primary-group",
                            &[("ext", &ext), ("group", &primary.name)],
                        ),
                    );
                }
            }
            None => out.push(skip(
                target.clone(),
                None,
                "no_group",
                why::text("member-no-group", &[("ext", &ext)]),
            )),
        }
    }
    if wants_direct(kind.mode) {
        direct(s, &target, member, kind, out);
    }
    // Always: the member's own connections (a personal token or webhook).
    for c in s
        .connections
        .iter()
        .filter(|c| c.owner == Owner::Member(member.id))
    {
        if let Err((code, reason)) = member_allows(s, member, kind, c.provider) {
            out.push(skip(target.clone(), Some(c.provider), code, reason));
            continue;
        }
        match own_place(c) {
            Some((room, why)) => {
                let mut p = send(
                    target.clone(),
                    c,
                    room,
                    vec![
                        why::text("member-owns", &[("ext", &ext), ("conn", &c.id)]),
                        why,
                    ],
                );
                // The member stored their ID so their own post mentions them (Save Point).
                if let (Some(m), Outcome::Send { mentions, .. }) =
                    (member.mention_on(c.provider), &mut p.outcome)
                {
                    mentions.push(m);
                }
                out.push(p);
            }
            None => out.push(skip(
                target.clone(),
                Some(c.provider),
                "no_destination",
                why::text("member-conn-nowhere", &[("ext", &ext), ("conn", &c.id)]),
            )),
        }
    }
}

/// A DM through each tenant connection to the member's account on that provider.
fn direct(s: &Snapshot, target: &str, m: &MemberView, kind: EventKind<'_>, out: &mut Vec<Planned>) {
    let mut any = false;
    // A webhook posts only into its own channel: it cannot reach one person.
    for c in tenant_connections(s).filter(|c| c.kind.can_message_directly()) {
        any = true;
        if let Err((code, reason)) = member_allows(s, m, kind, c.provider) {
            out.push(skip(target.into(), Some(c.provider), code, reason));
            continue;
        }
        match m.identities.get(&c.provider) {
            Some(account) => {
                // Chatwork finds the direct chat among the bot's contacts when sending.
                let key = if c.provider == Provider::Chatwork {
                    "direct-chatwork"
                } else {
                    "direct"
                };
                let values: [(&str, &dyn std::fmt::Display); 3] = [
                    ("conn", &c.id),
                    ("provider", &c.provider),
                    ("account", account),
                ];
                out.push(send(
                    target.into(),
                    c,
                    direct_room(account),
                    vec![why::text(key, &values)],
                ));
            }
            None if c.provider == Provider::Line => out.push(skip(
                target.into(),
                Some(c.provider),
                "no_identity",
                why::text("no-line-link", &[("ext", &m.external_id)]),
            )),
            None => out.push(skip(
                target.into(),
                Some(c.provider),
                "no_identity",
                why::text(
                    "no-identity",
                    &[
                        ("ext", &m.external_id),
                        ("provider", &c.provider),
                        ("field", &c.provider.identity_key()),
                    ],
                ),
            )),
        }
    }
    if !any {
        out.push(skip(
            target.into(),
            None,
            "no_connection",
            why::text("no-direct-connection", &[]),
        ));
    }
}
