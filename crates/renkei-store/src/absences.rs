//! Members' absences, mirrored into their LINE WORKS calendars. The row keeps the calendar
//! event ID renkei chose, so a change becomes an update and a removal a delete.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::{now_ms, Result, Store};

/// An absence as stored. `starts`/`ends` are `YYYY-MM-DD` when `all_day`, else
/// `YYYY-MM-DDTHH:MM:SS` (local time of the tenant's calendar).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Absence {
    #[serde(skip)]
    pub id: i64,
    #[serde(rename = "id")]
    pub external_id: String,
    pub member: String,
    pub summary: String,
    pub description: Option<String>,
    pub starts: String,
    pub ends: String,
    pub all_day: bool,
    pub deleted: bool,
    /// The calendar event renkei creates and keeps in step.
    pub calendar_event_id: String,
    /// The LINE WORKS user whose calendar holds it.
    pub calendar_user: String,
    /// The sync event carrying the latest change: `GET /api/v1/events/{id}` shows its outcome.
    pub sync_event_id: Option<i64>,
    pub updated_at: i64,
}

pub struct AbsenceInput<'a> {
    pub summary: &'a str,
    pub description: Option<&'a str>,
    pub starts: &'a str,
    pub ends: &'a str,
    pub all_day: bool,
    pub calendar_user: &'a str,
}

const SELECT: &str =
    "SELECT a.id, a.external_id, m.external_id, a.summary, a.description, a.starts, a.ends, \
     a.all_day, a.deleted, a.calendar_event_id, a.last_event_id, a.updated_at, a.calendar_user \
     FROM absences a JOIN members m ON m.id = a.member_id";

fn from_row(r: &AnyRow) -> Result<Absence> {
    Ok(Absence {
        id: r.try_get(0)?,
        external_id: r.try_get(1)?,
        member: r.try_get(2)?,
        summary: r.try_get(3)?,
        description: r.try_get(4)?,
        starts: r.try_get(5)?,
        ends: r.try_get(6)?,
        all_day: r.try_get::<i64, _>(7)? != 0,
        deleted: r.try_get::<i64, _>(8)? != 0,
        calendar_event_id: r.try_get(9)?,
        sync_event_id: r.try_get(10)?,
        updated_at: r.try_get(11)?,
        calendar_user: r.try_get(12)?,
    })
}

impl Store {
    /// Creates or changes an absence (a deleted one comes back). `event_id` is used only
    /// when the row is new: an existing absence keeps its calendar event.
    pub async fn upsert_absence(
        &self,
        tenant: i64,
        member_id: i64,
        external_id: &str,
        input: &AbsenceInput<'_>,
        event_id: &str,
    ) -> Result<Absence> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO absences (tenant_id, member_id, external_id, calendar_event_id, summary, description, starts, ends, all_day, deleted, created_at, updated_at, calendar_user) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10, $11) \
             ON CONFLICT (tenant_id, member_id, external_id) DO UPDATE SET summary = excluded.summary, \
             description = excluded.description, starts = excluded.starts, ends = excluded.ends, \
             all_day = excluded.all_day, deleted = 0, updated_at = excluded.updated_at, calendar_user = excluded.calendar_user",
        )
        .bind(tenant)
        .bind(member_id)
        .bind(external_id)
        .bind(event_id)
        .bind(input.summary)
        .bind(input.description)
        .bind(input.starts)
        .bind(input.ends)
        .bind(i64::from(input.all_day))
        .bind(now)
        .bind(input.calendar_user)
        .execute(&self.write)
        .await?;
        self.absence(tenant, member_id, external_id)
            .await?
            .ok_or_else(|| crate::StoreError::Corrupt("absence vanished".into()))
    }

    pub async fn absence(
        &self,
        tenant: i64,
        member_id: i64,
        external_id: &str,
    ) -> Result<Option<Absence>> {
        let sql =
            format!("{SELECT} WHERE a.tenant_id = $1 AND a.member_id = $2 AND a.external_id = $3");
        let row = sqlx::query(&sql)
            .bind(tenant)
            .bind(member_id)
            .bind(external_id)
            .fetch_optional(&self.write)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// A member's absences, deleted ones included (their removal may still be syncing).
    pub async fn absences(&self, tenant: i64, member_id: i64) -> Result<Vec<Absence>> {
        let sql =
            format!("{SELECT} WHERE a.tenant_id = $1 AND a.member_id = $2 ORDER BY a.starts, a.id");
        let rows = sqlx::query(&sql)
            .bind(tenant)
            .bind(member_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Marks an absence removed; false when there is none (or it was already removed).
    pub async fn delete_absence(
        &self,
        tenant: i64,
        member_id: i64,
        external_id: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE absences SET deleted = 1, updated_at = $1 WHERE tenant_id = $2 AND member_id = $3 AND external_id = $4 AND deleted = 0",
        )
        .bind(now_ms())
        .bind(tenant)
        .bind(member_id)
        .bind(external_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Remembers which sync event carries the absence's latest change.
    pub async fn set_absence_sync_event(&self, absence_id: i64, event_id: i64) -> Result<()> {
        sqlx::query("UPDATE absences SET last_event_id = $1 WHERE id = $2")
            .bind(event_id)
            .bind(absence_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
