//! Writing accepted events with their deliveries.
//!
//! Small requests are written in one transaction (the server's group commit puts many of them
//! into one). Large ones (a fan-out to tens of thousands of members) are written in chunks,
//! each its own short transaction, so other tenants' requests get the database in between:
//! the event is `writing` and its deliveries `staged` (invisible to lanes) until every row is
//! stored; then the event becomes `accepted` and its deliveries are released, chunk by chunk.
//!
//! Routing read the tenant's connections before the write: one may have been deleted or
//! broken since. Every write re-checks the connections it queues for, under a row lock on
//! PostgreSQL (a delete waits for us, or we see it), so no delivery is ever queued for a lane
//! that will never run.

use std::collections::{HashMap, HashSet};

use renkei_core::routing::{Outcome, Planned};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::settle::{dead_connections, DeadConnection};
use crate::{now_ms, values_placeholders, Result, Store, StoreError};

pub struct NewEvent {
    /// `event` (routed) or `bulk_send` (rooms picked by hand).
    pub kind: &'static str,
    pub event_type: String,
    pub idempotency_key: Option<String>,
    /// The event's `to`, as JSON, kept for the event detail.
    pub targets_json: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    /// When the confirmation link in the notice stops working; `None` = no link.
    pub link_expires_at: Option<i64>,
    /// Related notices share a thread where the tool has threads.
    pub thread_key: Option<String>,
    pub planned: Vec<Planned>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Accepted {
    pub id: i64,
    /// True when the idempotency key named an event accepted earlier.
    pub duplicate: bool,
    /// Connections that got new pending deliveries (to wake their lanes).
    #[serde(skip)]
    pub connections: Vec<i64>,
}

/// Rows per multi-row INSERT statement (SQLite allows 32,766 bound values).
const ROWS_PER_STATEMENT: usize = 400;
const DELIVERY_COLS: usize = 14;

/// Deliveries a large write stores (or releases) per transaction: small enough that another
/// request waits a few milliseconds for the database, not seconds.
pub const CHUNK_DELIVERIES: usize = 2_000;

/// How a delivery row starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Written and released in one transaction.
    Direct,
    /// Part of a large write: held back until the whole event is stored.
    Staged,
}

impl Phase {
    /// The status a live connection's delivery is written with.
    fn status(self) -> &'static str {
        match self {
            Phase::Direct => "pending",
            Phase::Staged => "staged",
        }
    }
}

impl NewEvent {
    fn connections(&self) -> impl Iterator<Item = i64> + '_ {
        self.planned.iter().filter_map(|p| match p.outcome {
            Outcome::Send { connection_id, .. } => Some(connection_id),
            Outcome::Skip { .. } => None,
        })
    }
}

impl Store {
    /// Stores events with their planned deliveries in one transaction. An event whose
    /// idempotency key is already known is not stored again: its first ID is returned.
    pub async fn insert_events(&self, tenant: i64, events: &[NewEvent]) -> Result<Vec<Accepted>> {
        let mut out = self.insert_event_groups(&[(tenant, events)]).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Several tenants' batches in one transaction (group commit): one answer per group.
    pub async fn insert_event_groups(
        &self,
        groups: &[(i64, &[NewEvent])],
    ) -> Result<Vec<Vec<Accepted>>> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        let wanted: HashSet<i64> = groups
            .iter()
            .flat_map(|(_, evs)| evs.iter().flat_map(NewEvent::connections))
            .collect();
        let dead = dead_connections(&mut tx, self.backend, &wanted).await?;
        let mut answers = Vec::with_capacity(groups.len());
        let mut seen_keys: HashMap<(i64, String), i64> = HashMap::new();
        let mut rows: Vec<(i64, i64, &Planned)> = Vec::new();
        for &(tenant, events) in groups {
            let mut out = Vec::with_capacity(events.len());
            for ev in events {
                let accepted =
                    insert_event_row(&mut tx, tenant, ev, now, "accepted", &mut seen_keys).await?;
                if !accepted.duplicate {
                    rows.extend(ev.planned.iter().map(|p| (tenant, accepted.id, p)));
                }
                out.push(live_only(accepted, &dead));
            }
            answers.push(out);
        }
        insert_deliveries(&mut tx, &rows, now, Phase::Direct, &dead).await?;
        tx.commit().await?;
        Ok(answers)
    }

    /// Stores a large request (all or nothing) in transactions of about
    /// [`CHUNK_DELIVERIES`] rows each, so other requests are served in between, then releases
    /// its deliveries to the lanes. Answers as [`Store::insert_events`] does.
    pub async fn insert_events_in_chunks(
        &self,
        tenant: i64,
        events: &[NewEvent],
    ) -> Result<Vec<Accepted>> {
        let now = now_ms();
        let mut answers = Vec::with_capacity(events.len());
        let mut seen_keys: HashMap<(i64, String), i64> = HashMap::new();
        let mut rows: Vec<(i64, i64, &Planned)> = Vec::new();
        let mut written: Vec<i64> = Vec::new();
        let result: Result<()> = async {
            let mut tx = self.write.begin().await?;
            for ev in events {
                let accepted =
                    insert_event_row(&mut tx, tenant, ev, now, "writing", &mut seen_keys).await?;
                if !accepted.duplicate {
                    written.push(accepted.id);
                    rows.extend(ev.planned.iter().map(|p| (tenant, accepted.id, p)));
                }
                answers.push(accepted);
            }
            tx.commit().await?;
            let none = HashMap::new();
            for chunk in rows.chunks(CHUNK_DELIVERIES) {
                let mut tx = self.write.begin().await?;
                insert_deliveries(&mut tx, chunk, now, Phase::Staged, &none).await?;
                tx.commit().await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            // Nothing was acknowledged: take back what was written (a crash leaves it to
            // `recover_intake`).
            if let Err(cleanup) = self.discard_writing(&written).await {
                tracing::warn!(error = %cleanup, "could not remove a partly written event; the next start will");
            }
            return Err(e);
        }
        self.mark_accepted(&written).await?;
        let mut live: HashMap<i64, HashSet<i64>> = HashMap::new();
        for id in &written {
            live.insert(*id, self.release_staged(*id).await?);
        }
        Ok(answers
            .into_iter()
            .map(|mut a| {
                a.connections = live
                    .get(&a.id)
                    .map(|c| c.iter().copied().collect())
                    .unwrap_or_default();
                a.connections.sort_unstable();
                a
            })
            .collect())
    }

    async fn mark_accepted(&self, ids: &[i64]) -> Result<()> {
        for id in ids {
            sqlx::query("UPDATE events SET state = 'accepted' WHERE id = $1")
                .bind(id)
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    /// Releases an accepted event's staged deliveries, a chunk per transaction, each chunk
    /// re-checking its connections. Returns the connections that got pending deliveries.
    pub async fn release_staged(&self, event_id: i64) -> Result<HashSet<i64>> {
        let mut woken = HashSet::new();
        loop {
            let mut tx = self.write.begin().await?;
            let rows = sqlx::query(
                "SELECT id, connection_id FROM deliveries WHERE event_id = $1 AND status = 'staged' \
                 ORDER BY id LIMIT $2",
            )
            .bind(event_id)
            .bind(CHUNK_DELIVERIES as i64)
            .fetch_all(&mut *tx)
            .await?;
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                return Ok(woken);
            };
            let (first, last): (i64, i64) = (first.try_get(0)?, last.try_get(0)?);
            let mut conns = HashSet::new();
            for r in &rows {
                conns.insert(r.try_get::<i64, _>(1)?);
            }
            let dead = dead_connections(&mut tx, self.backend, &conns).await?;
            let now = now_ms();
            for (conn, why) in &dead {
                sqlx::query(
                    "UPDATE deliveries SET status = $1, reason_code = $2, reason = $3, updated_at = $4 \
                     WHERE event_id = $5 AND status = 'staged' AND id BETWEEN $6 AND $7 AND connection_id = $8",
                )
                .bind(why.status)
                .bind(why.code)
                .bind(&why.reason)
                .bind(now)
                .bind(event_id)
                .bind(first)
                .bind(last)
                .bind(conn)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE deliveries SET status = 'pending', updated_at = $1 \
                 WHERE event_id = $2 AND status = 'staged' AND id BETWEEN $3 AND $4",
            )
            .bind(now)
            .bind(event_id)
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            woken.extend(conns.into_iter().filter(|c| !dead.contains_key(c)));
        }
    }

    async fn discard_writing(&self, ids: &[i64]) -> Result<()> {
        for id in ids {
            let mut tx = self.write.begin().await?;
            sqlx::query("DELETE FROM deliveries WHERE event_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM events WHERE id = $1 AND state = 'writing'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// After a crash: removes events whose write started before `writing_before` (Unix ms)
    /// and never finished (never acknowledged), and releases what an accepted event still
    /// holds staged. Returns the connections that got pending deliveries.
    pub async fn recover_intake(&self, writing_before: i64) -> Result<Vec<i64>> {
        let abandoned: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM events WHERE state = 'writing' AND created_at < $1")
                .bind(writing_before)
                .fetch_all(&self.read)
                .await?;
        if !abandoned.is_empty() {
            tracing::warn!(
                events = abandoned.len(),
                "removing events whose write a crash interrupted (they were never acknowledged)"
            );
            self.discard_writing(&abandoned).await?;
        }
        let unreleased: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT d.event_id FROM deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.status = 'staged' AND e.state = 'accepted'",
        )
        .fetch_all(&self.read)
        .await?;
        let mut woken = HashSet::new();
        for id in unreleased {
            woken.extend(self.release_staged(id).await?);
        }
        Ok(woken.into_iter().collect())
    }
}

/// Inserts the event row, or finds the event its idempotency key already names.
async fn insert_event_row(
    tx: &mut AnyConnection,
    tenant: i64,
    ev: &NewEvent,
    now: i64,
    state: &str,
    seen_keys: &mut HashMap<(i64, String), i64>,
) -> Result<Accepted> {
    if let Some(key) = &ev.idempotency_key {
        let known = match seen_keys.get(&(tenant, key.clone())) {
            Some(id) => Some((*id, "accepted".to_string())),
            None => sqlx::query(
                "SELECT id, state FROM events WHERE tenant_id = $1 AND idempotency_key = $2",
            )
            .bind(tenant)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?,
        };
        match known {
            Some((_, s)) if s == "writing" => {
                return Err(StoreError::InProgress(format!(
                    "an event with idempotency key `{key}` is still being stored; ask again in a few seconds"
                )))
            }
            Some((id, _)) => {
                return Ok(Accepted {
                    id,
                    duplicate: true,
                    connections: Vec::new(),
                })
            }
            None => {}
        }
    }
    let id: i64 = sqlx::query(
        "INSERT INTO events (tenant_id, type, idempotency_key, targets, title, body, url, created_at, kind, link_expires_at, thread_key, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(tenant)
    .bind(&ev.event_type)
    .bind(&ev.idempotency_key)
    .bind(&ev.targets_json)
    .bind(&ev.title)
    .bind(&ev.body)
    .bind(&ev.url)
    .bind(now)
    .bind(ev.kind)
    .bind(ev.link_expires_at)
    .bind(&ev.thread_key)
    .bind(state)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    if let Some(key) = &ev.idempotency_key {
        seen_keys.insert((tenant, key.clone()), id);
    }
    Ok(Accepted {
        id,
        duplicate: false,
        connections: ev.connections().collect(),
    })
}

/// The accepted event wakes only the lanes of connections still alive.
fn live_only(mut a: Accepted, dead: &HashMap<i64, DeadConnection>) -> Accepted {
    a.connections.retain(|c| !dead.contains_key(c));
    a.connections.sort_unstable();
    a.connections.dedup();
    a
}

/// Multi-row inserts of planned deliveries. A delivery for a connection found dead is
/// written settled, with the reason, instead of pending.
async fn insert_deliveries(
    tx: &mut AnyConnection,
    rows: &[(i64, i64, &Planned)],
    now: i64,
    phase: Phase,
    dead: &HashMap<i64, DeadConnection>,
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO deliveries (tenant_id, event_id, target, provider, connection_id, room, mentions, status, \
             reason_code, reason, reasons, created_at, updated_at, warnings) VALUES {}",
            values_placeholders(chunk.len(), DELIVERY_COLS)
        );
        let mut q = sqlx::query(&sql);
        for (tenant, event_id, p) in chunk {
            let (conn, room, mentions, status, code, reason) = match &p.outcome {
                Outcome::Send {
                    connection_id,
                    room,
                    mentions,
                } => {
                    let (status, code, reason) = match dead.get(connection_id) {
                        Some(why) => (why.status, Some(why.code), Some(why.reason.clone())),
                        None => (phase.status(), None, None),
                    };
                    (
                        Some(*connection_id),
                        Some(room.clone()),
                        serde_json::to_string(mentions).expect("serialisable"),
                        status,
                        code,
                        reason,
                    )
                }
                Outcome::Skip { code } => (
                    None,
                    None,
                    "[]".to_string(),
                    "skipped",
                    Some(*code),
                    p.reasons.last().cloned(),
                ),
            };
            q = q
                .bind(*tenant)
                .bind(*event_id)
                .bind(p.target.clone())
                .bind(p.provider.map(|pr| pr.as_str()))
                .bind(conn)
                .bind(room)
                .bind(mentions)
                .bind(status)
                .bind(code)
                .bind(reason)
                .bind(serde_json::to_string(&p.reasons).expect("serialisable"))
                .bind(now)
                .bind(now)
                .bind(serde_json::to_string(&p.warnings).expect("serialisable"));
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}
