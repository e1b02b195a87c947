//! A tenant's own settings: confirmation-link lifetime, time zone and language.

use sqlx::Row;

use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    /// Days a confirmation link stays valid; `None` = no link.
    pub link_ttl_days: Option<i64>,
    /// IANA name, e.g. `Asia/Tokyo`: how the console shows times.
    pub time_zone: String,
    /// `ja` or `en`: the console's language when the browser does not say.
    pub language: String,
}

/// What a settings change sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange<'a> {
    /// `Some(None)` switches links off.
    pub link_ttl_days: Option<Option<i64>>,
    pub time_zone: Option<&'a str>,
    pub language: Option<&'a str>,
}

impl Store {
    pub async fn tenant_settings(&self, tenant: i64) -> Result<TenantSettings> {
        let r = sqlx::query("SELECT link_ttl_days, time_zone, language FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_one(&self.read)
            .await?;
        Ok(TenantSettings {
            link_ttl_days: r.try_get(0)?,
            time_zone: r.try_get(1)?,
            language: r.try_get(2)?,
        })
    }

    /// Applies the fields given in one statement and returns the settings as they now are.
    pub async fn update_tenant_settings(
        &self,
        tenant: i64,
        change: &SettingsChange<'_>,
    ) -> Result<TenantSettings> {
        sqlx::query(
            "UPDATE tenants SET \
             link_ttl_days = CASE WHEN $1 = 1 THEN $2 ELSE link_ttl_days END, \
             time_zone = COALESCE($3, time_zone), language = COALESCE($4, language) WHERE id = $5",
        )
        .bind(i64::from(change.link_ttl_days.is_some()))
        .bind(change.link_ttl_days.flatten())
        .bind(change.time_zone)
        .bind(change.language)
        .bind(tenant)
        .execute(&self.write)
        .await?;
        self.tenant_settings(tenant).await
    }
}
