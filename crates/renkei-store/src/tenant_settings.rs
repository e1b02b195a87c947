//! A tenant's own settings: confirmation-link lifetime, time zone, language, and the
//! origins that may frame its self-service pages.

use sqlx::Row;

use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    /// Days a confirmation link stays valid; `None` = no link.
    pub link_ttl_days: Option<i64>,
    /// IANA name, e.g. `Asia/Tokyo`: how the console shows times.
    pub time_zone: String,
    /// `ja` or `en`: the console's language when the browser does not say.
    pub language: String,
    /// Origins (`https://app.example.com`) allowed to show the member and client pages in a
    /// frame; empty: no frame at all.
    pub frame_origins: Vec<String>,
}

/// What a settings change sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange<'a> {
    /// `Some(None)` switches links off.
    pub link_ttl_days: Option<Option<i64>>,
    pub time_zone: Option<&'a str>,
    pub language: Option<&'a str>,
    /// Replaces the list (already validated and normalised by the caller).
    pub frame_origins: Option<&'a [String]>,
}

impl Store {
    pub async fn tenant_settings(&self, tenant: i64) -> Result<TenantSettings> {
        let r = sqlx::query(
            "SELECT link_ttl_days, time_zone, language, frame_origins FROM tenants WHERE id = $1",
        )
        .bind(tenant)
        .fetch_one(&self.read)
        .await?;
        let origins: String = r.try_get(3)?;
        Ok(TenantSettings {
            link_ttl_days: r.try_get(0)?,
            time_zone: r.try_get(1)?,
            language: r.try_get(2)?,
            frame_origins: serde_json::from_str(&origins)
                .map_err(|e| StoreError::Corrupt(format!("tenants.frame_origins: {e}")))?,
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
             time_zone = COALESCE($3, time_zone), language = COALESCE($4, language), \
             frame_origins = COALESCE($5, frame_origins) WHERE id = $6",
        )
        .bind(i64::from(change.link_ttl_days.is_some()))
        .bind(change.link_ttl_days.flatten())
        .bind(change.time_zone)
        .bind(change.language)
        .bind(
            change
                .frame_origins
                .map(|o| serde_json::to_string(o).expect("a list of strings serialises")),
        )
        .bind(tenant)
        .execute(&self.write)
        .await?;
        self.tenant_settings(tenant).await
    }
}
