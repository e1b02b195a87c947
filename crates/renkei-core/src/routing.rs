//! Who receives an event: targets → planned deliveries, each with the reasons that led there.
//!
//! The store loads a [`Snapshot`] of the tenant's configuration; [`plan`] turns an event's
//! targets into deliveries (or `skipped` entries that say why nothing was sent). The same
//! function serves intake and `POST /route-preview`, so a preview is exactly what would happen.

mod members;
mod rooms;
pub mod why;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::{ConnectionKind, DeliveryMode, Mention, Owner, Provider};

pub use rooms::{
    group_destination, group_room, group_room_holder, GroupDestination, GroupRoomSource,
};

#[derive(Debug, Clone)]
pub struct ConnectionView {
    pub id: i64,
    pub provider: Provider,
    /// A webhook posts only where it was made; a token or bot can choose rooms and DM.
    pub kind: ConnectionKind,
    pub owner: Owner,
    /// The room the owner chose for this connection, if any.
    pub room: Option<String>,
    /// Where the connection posts when no room is chosen (Chatwork: the owner's My Chat).
    pub default_room: Option<String>,
    /// The provider account the credentials act as.
    pub account_id: Option<String>,
    /// The owner can switch a connection off without deleting it.
    pub enabled: bool,
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

/// The tenant's configuration as routing needs it. Member and client maps are keyed by
/// external ID, groups by row ID.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub connections: Vec<ConnectionView>,
    pub clients: HashMap<String, ClientView>,
    pub groups: HashMap<i64, GroupView>,
    pub members: HashMap<String, MemberView>,
    /// Members (external IDs) of each group, for direct delivery to a group.
    pub group_members: HashMap<i64, Vec<String>>,
    /// A member's own choice per (member ID, event type, provider).
    pub member_prefs: HashMap<(i64, String, Provider), bool>,
    /// The tenant's default per (event type, provider); absent means on.
    pub type_defaults: HashMap<(String, Provider), bool>,
}

impl Snapshot {
    fn group_by_external(&self, ext: &str) -> Option<&GroupView> {
        self.groups.values().find(|g| g.external_id == ext)
    }

    fn connection(&self, id: i64) -> Option<&ConnectionView> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// The group and every group below it, each once.
    pub fn subtree(&self, root: i64) -> Vec<i64> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            let mut children: Vec<i64> = self
                .groups
                .values()
                .filter(|g| g.parent == Some(parent))
                .map(|g| g.id)
                .collect();
            children.sort_unstable();
            for c in children {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            i += 1;
        }
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub tenant: bool,
    pub clients: Vec<String>,
    pub groups: Vec<String>,
    pub members: Vec<String>,
    /// Direct delivery to a group also reaches the members of its sub-groups.
    pub subgroups: bool,
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
    /// Things that work but not as the sender probably hopes (e.g. a mention with no badge).
    pub warnings: Vec<String>,
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

/// Rooms of the form `dm:<account>` are direct chats, resolved when sending (Chatwork: from
/// the bot's contacts).
const DIRECT_PREFIX: &str = "dm:";

pub fn direct_room(account_id: &str) -> String {
    format!("{DIRECT_PREFIX}{account_id}")
}

/// The account a direct destination is for, or `None` for a plain room.
pub fn direct_account(room: &str) -> Option<&str> {
    room.strip_prefix(DIRECT_PREFIX)
}

/// What routing needs to know about the event itself.
#[derive(Debug, Clone, Copy)]
pub struct EventKind<'a> {
    pub event_type: &'a str,
    pub mode: DeliveryMode,
}

/// Turns targets into deliveries. Deliveries to the same destination through the same
/// connection are merged into one post that mentions everyone concerned.
pub fn plan(snapshot: &Snapshot, targets: &Targets, kind: EventKind<'_>) -> Vec<Planned> {
    let mut out = Vec::new();
    if targets.tenant {
        rooms::plan_tenant(snapshot, &mut out);
    }
    for ext in dedup(&targets.clients) {
        rooms::plan_client(snapshot, ext, &mut out);
    }
    for ext in dedup(&targets.groups) {
        members::plan_group(snapshot, ext, targets.subgroups, kind, &mut out);
    }
    for ext in dedup(&targets.members) {
        members::plan_member(snapshot, ext, kind, &mut out);
    }
    let out = apply_switches(snapshot, kind, out);
    let mut out = merge_same_destination(out);
    warn_self_mentions(snapshot, &mut out);
    out
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
        warnings: Vec::new(),
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
        warnings: Vec::new(),
    }
}

fn tenant_connections(s: &Snapshot) -> impl Iterator<Item = &ConnectionView> {
    s.connections.iter().filter(|c| c.owner == Owner::Tenant)
}

impl MemberView {
    /// How a post through `provider` mentions this member, when their identity is known.
    pub fn mention_on(&self, provider: Provider) -> Option<Mention> {
        self.identities.get(&provider).map(|a| Mention {
            account_id: a.clone(),
            name: self.name.clone(),
        })
    }
}

/// Switched-off connections and the tenant's per-type defaults remove paths before anything
/// is queued. (Members' own choices are applied where their paths are planned.)
fn apply_switches(s: &Snapshot, kind: EventKind<'_>, planned: Vec<Planned>) -> Vec<Planned> {
    planned
        .into_iter()
        .map(|mut p| {
            let Outcome::Send { connection_id, .. } = &p.outcome else {
                return p;
            };
            let Some(c) = s.connection(*connection_id) else {
                return p;
            };
            let off = if !c.enabled {
                Some((
                    "connection_switched_off",
                    why::text("switched-off", &[("conn", &c.id)]),
                ))
            } else if s
                .type_defaults
                .get(&(kind.event_type.to_string(), c.provider))
                == Some(&false)
            {
                Some((
                    "preference_off",
                    why::text(
                        "tenant-default-off",
                        &[("provider", &c.provider), ("type", &kind.event_type)],
                    ),
                ))
            } else {
                None
            };
            if let Some((code, reason)) = off {
                p.outcome = Outcome::Skip { code };
                p.reasons.push(reason);
            }
            p
        })
        .collect()
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
                first.reasons.push(why::text(
                    "also-for",
                    &[("target", &p.target), ("rest", &p.reasons.join("; "))],
                ));
                continue;
            }
            index.insert((*connection_id, room.clone()), out.len());
        }
        out.push(p);
    }
    out
}

/// A post that mentions the very account it is posted as gives that person no unread badge.
fn warn_self_mentions(s: &Snapshot, planned: &mut [Planned]) {
    for p in planned {
        let Outcome::Send {
            connection_id,
            mentions,
            ..
        } = &p.outcome
        else {
            continue;
        };
        let Some(c) = s.connection(*connection_id) else {
            continue;
        };
        // Only Chatwork hides the badge of a self-mention (its posts are the token owner's).
        if c.provider != Provider::Chatwork {
            continue;
        }
        for m in mentions
            .iter()
            .filter(|m| Some(&m.account_id) == c.account_id.as_ref())
        {
            p.warnings
                .push(self_mention_warning(c.id, &m.name, &m.account_id));
        }
    }
}

/// The warning shown on deliveries, members and connections when an account mentions itself.
pub fn self_mention_warning(connection: i64, name: &str, account: &str) -> String {
    why::text(
        "self-mention",
        &[
            ("name", &name),
            ("account", &account),
            ("conn", &connection),
        ],
    )
}

#[cfg(test)]
mod tests;
