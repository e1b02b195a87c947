//! What people did with a delivery's confirmation link: each opening of its page by a
//! person is a view; pressing the page's button is the confirmation, kept once (the first).
//! Link previews (unfurlers) and HEAD requests are recorded as neither: the server decides.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::{now_ms, Result, Store};

/// The notice a confirmation link stands for (links are not tenant-scoped: the signature
/// is what authorises them).
#[derive(Debug, Clone)]
pub struct LinkTarget {
    pub tenant_id: i64,
    pub event_id: i64,
    pub delivery_id: i64,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    /// When this delivery was first confirmed (Unix ms).
    pub confirmed_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkView {
    pub at: i64,
    pub user_agent: Option<String>,
}

/// A delivery's link activity, as the event detail shows it.
#[derive(Debug, Clone, Default)]
pub struct LinkActivity {
    pub confirmed_at: Option<i64>,
    pub views: Vec<LinkView>,
}

impl Store {
    pub async fn link_target(&self, delivery_id: i64) -> Result<Option<LinkTarget>> {
        let row = sqlx::query(
            "SELECT e.tenant_id, e.id, e.title, e.body, e.url, c.at FROM deliveries d \
             JOIN events e ON e.id = d.event_id \
             LEFT JOIN link_confirmations c ON c.delivery_id = d.id WHERE d.id = $1",
        )
        .bind(delivery_id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(LinkTarget {
                tenant_id: r.try_get(0)?,
                event_id: r.try_get(1)?,
                delivery_id,
                title: r.try_get(2)?,
                body: r.try_get(3)?,
                url: r.try_get(4)?,
                confirmed_at: r.try_get(5)?,
            })
        })
        .transpose()
    }

    /// A person opened the link's page.
    pub async fn record_link_view(
        &self,
        target: &LinkTarget,
        user_agent: Option<&str>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO link_views (tenant_id, event_id, delivery_id, at, user_agent) VALUES ($1, $2, $3, $4, $5)")
            .bind(target.tenant_id)
            .bind(target.event_id)
            .bind(target.delivery_id)
            .bind(now_ms())
            .bind(user_agent)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// A person pressed "confirm". Only the first press is kept, also when two arrive at
    /// once (on any node): the answer is the time of that first confirmation.
    pub async fn record_link_confirmation(
        &self,
        target: &LinkTarget,
        user_agent: Option<&str>,
    ) -> Result<i64> {
        sqlx::query(
            "INSERT INTO link_confirmations (delivery_id, tenant_id, event_id, at, user_agent) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (delivery_id) DO NOTHING",
        )
        .bind(target.delivery_id)
        .bind(target.tenant_id)
        .bind(target.event_id)
        .bind(now_ms())
        .bind(user_agent)
        .execute(&self.write)
        .await?;
        let at = sqlx::query_scalar("SELECT at FROM link_confirmations WHERE delivery_id = $1")
            .bind(target.delivery_id)
            .fetch_one(&self.write)
            .await?;
        Ok(at)
    }

    /// Confirmations and views of a range of an event's deliveries (one page), by delivery.
    pub async fn link_activity(
        &self,
        tenant: i64,
        event_id: i64,
        first_delivery: i64,
        last_delivery: i64,
    ) -> Result<HashMap<i64, LinkActivity>> {
        let mut out: HashMap<i64, LinkActivity> = HashMap::new();
        let confirmed = sqlx::query(
            "SELECT delivery_id, at FROM link_confirmations WHERE event_id = $1 AND tenant_id = $2 \
             AND delivery_id BETWEEN $3 AND $4",
        )
        .bind(event_id)
        .bind(tenant)
        .bind(first_delivery)
        .bind(last_delivery)
        .fetch_all(&self.read)
        .await?;
        for r in confirmed {
            out.entry(r.try_get(0)?).or_default().confirmed_at = Some(r.try_get(1)?);
        }
        let views = sqlx::query(
            "SELECT delivery_id, at, user_agent FROM link_views WHERE event_id = $1 AND tenant_id = $2 \
             AND delivery_id BETWEEN $3 AND $4 ORDER BY id",
        )
        .bind(event_id)
        .bind(tenant)
        .bind(first_delivery)
        .bind(last_delivery)
        .fetch_all(&self.read)
        .await?;
        for r in views {
            out.entry(r.try_get(0)?).or_default().views.push(LinkView {
                at: r.try_get(1)?,
                user_agent: r.try_get(2)?,
            });
        }
        Ok(out)
    }
}
