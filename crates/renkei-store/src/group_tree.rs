//! The group tree as the console shows it: each group's own rooms and, per provider, the room
//! its posts really go to and where that comes from, computed by routing's own rule
//! ([`renkei_core::routing::group_destination`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use renkei_core::model::{Owner, Provider};
use renkei_core::routing::{
    group_destination, group_room_holder, ConnectionView, GroupRoomSource, GroupView, Snapshot,
};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::directory::{parse_map, Rooms};
use crate::lists::PageRequest;
use crate::{Result, Store};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupRef {
    pub external_id: String,
    pub name: String,
}

/// Where a group's posts through one provider go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EffectiveRoom {
    /// The room posts go to; absent when they go nowhere.
    pub room: Option<String>,
    /// `own` (the group's room), `inherited` (an ancestor's, see `inherited_from`),
    /// `default_room` (no group in the chain has one: the tenant connection's room),
    /// `webhook_channel` (a webhook posts only into its own channel) or `none`.
    pub source: &'static str,
    pub inherited_from: Option<GroupRef>,
    /// The tenant connection that posts there (when the tenant has several for the provider,
    /// the first switched-on one). Absent: the tenant has no connection for the provider,
    /// so nothing is posted for it.
    pub connection_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupOverview {
    pub external_id: String,
    pub name: String,
    /// The parent group's external ID.
    pub parent: Option<String>,
    /// The group's own rooms per provider.
    #[schema(value_type = Object)]
    pub rooms: Rooms,
    /// Direct sub-groups' external IDs.
    pub children: Vec<String>,
    /// Members who belong to this group directly.
    pub member_count: i64,
    /// Per provider the tenant has a connection for, or a room is set for in the chain.
    #[schema(value_type = BTreeMap<String, EffectiveRoom>)]
    pub effective_rooms: BTreeMap<Provider, EffectiveRoom>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<GroupOverview>,
    pub next_after: Option<String>,
}

impl Store {
    /// Every group of the tenant in external ID order (the tree needs them all).
    pub async fn group_overviews(&self, tenant: i64) -> Result<Vec<GroupOverview>> {
        let rows = sqlx::query(
            "SELECT id, external_id, name, parent_id, rooms FROM tenant_groups WHERE tenant_id = $1",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await?;
        let mut snap = Snapshot {
            connections: self
                .connection_views(tenant)
                .await?
                .into_iter()
                .filter(|c| c.owner == Owner::Tenant)
                .collect(),
            ..Default::default()
        };
        for r in rows {
            let g = GroupView {
                id: r.try_get(0)?,
                external_id: r.try_get(1)?,
                name: r.try_get(2)?,
                parent: r.try_get(3)?,
                rooms: parse_map(&r.try_get::<String, _>(4)?)?,
            };
            snap.groups.insert(g.id, g);
        }
        let counts: HashMap<i64, i64> = sqlx::query(
            "SELECT mg.group_id, COUNT(*) FROM member_groups mg JOIN tenant_groups g ON g.id = mg.group_id \
             WHERE g.tenant_id = $1 GROUP BY mg.group_id",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_>>()?;
        let mut out: Vec<GroupOverview> = snap
            .groups
            .values()
            .map(|g| overview(&snap, g, counts.get(&g.id).copied().unwrap_or(0)))
            .collect();
        out.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        Ok(out)
    }

    pub async fn group_overview(&self, tenant: i64, ext: &str) -> Result<Option<GroupOverview>> {
        Ok(self
            .group_overviews(tenant)
            .await?
            .into_iter()
            .find(|g| g.external_id == ext))
    }

    /// A page of [`Store::group_overviews`], with groups whose name or external ID contains `q`.
    pub async fn group_page(
        &self,
        tenant: i64,
        q: Option<&str>,
        page: PageRequest<'_>,
    ) -> Result<GroupPage> {
        let needle = q
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| q.to_lowercase());
        let mut items: Vec<GroupOverview> = self
            .group_overviews(tenant)
            .await?
            .into_iter()
            .filter(|g| page.after.is_none_or(|a| g.external_id.as_str() > a))
            .filter(|g| {
                needle.as_ref().is_none_or(|n| {
                    g.name.to_lowercase().contains(n) || g.external_id.to_lowercase().contains(n)
                })
            })
            .take(page.limit as usize + 1)
            .collect();
        let next_after = if items.len() > page.limit as usize {
            items.truncate(page.limit as usize);
            items.last().map(|g| g.external_id.clone())
        } else {
            None
        };
        Ok(GroupPage { items, next_after })
    }
}

fn overview(s: &Snapshot, g: &GroupView, member_count: i64) -> GroupOverview {
    let mut children: Vec<String> = s
        .groups
        .values()
        .filter(|c| c.parent == Some(g.id))
        .map(|c| c.external_id.clone())
        .collect();
    children.sort();
    // Providers the tenant posts with, and those a room is set for along the chain.
    let mut providers: BTreeSet<Provider> = s.connections.iter().map(|c| c.provider).collect();
    providers.extend(
        Provider::ALL
            .into_iter()
            .filter(|p| group_room_holder(s, g, *p).0.is_some()),
    );
    let effective_rooms = providers
        .into_iter()
        .map(|p| (p, effective(s, g, p)))
        .collect();
    GroupOverview {
        external_id: g.external_id.clone(),
        name: g.name.clone(),
        parent: g
            .parent
            .and_then(|p| s.groups.get(&p))
            .map(|p| p.external_id.clone()),
        rooms: g.rooms.clone(),
        children,
        member_count,
        effective_rooms,
    }
}

fn effective(s: &Snapshot, g: &GroupView, provider: Provider) -> EffectiveRoom {
    let inherited = |holder: &GroupView| GroupRef {
        external_id: holder.external_id.clone(),
        name: holder.name.clone(),
    };
    let conn: Option<&ConnectionView> = s
        .connections
        .iter()
        .filter(|c| c.provider == provider)
        .min_by_key(|c| (!c.enabled, c.id));
    let Some(c) = conn else {
        // Nothing is posted without a connection; still say what the room would be.
        let (found, _) = group_room_holder(s, g, provider);
        return match found {
            Some((room, holder)) => EffectiveRoom {
                room: Some(room.clone()),
                source: if holder.id == g.id {
                    "own"
                } else {
                    "inherited"
                },
                inherited_from: (holder.id != g.id).then(|| inherited(holder)),
                connection_id: None,
            },
            None => EffectiveRoom {
                room: None,
                source: "none",
                inherited_from: None,
                connection_id: None,
            },
        };
    };
    let dest = group_destination(s, g, c);
    let (source, from) = match dest.source {
        GroupRoomSource::Own => ("own", None),
        GroupRoomSource::Inherited(holder) => ("inherited", Some(inherited(holder))),
        GroupRoomSource::ConnectionRoom => ("default_room", None),
        GroupRoomSource::WebhookChannel => ("webhook_channel", None),
        GroupRoomSource::Nowhere => ("none", None),
    };
    EffectiveRoom {
        room: dest.room.cloned(),
        source,
        inherited_from: from,
        connection_id: Some(c.id),
    }
}
