//! The tenant's settings: confirmation-link lifetime, time zone and language.

use axum::extract::State;
use renkei_store::tenant_settings::{SettingsChange, TenantSettings};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::directory::check_link_ttl;
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// The languages the console speaks.
pub const LANGUAGES: [&str; 2] = ["ja", "en"];

#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    /// Lifetime of the confirmation link put in each notice, in days (1, 3, 7 or 30);
    /// `null` (the default): no link.
    pub confirmation_link_ttl_days: Option<i64>,
    /// IANA time zone the console shows times in (default `Asia/Tokyo`).
    pub time_zone: String,
    /// `ja` (default) or `en`: the console's language when the browser does not ask for one.
    pub language: String,
}

impl From<TenantSettings> for Settings {
    fn from(s: TenantSettings) -> Self {
        Settings {
            confirmation_link_ttl_days: s.link_ttl_days,
            time_zone: s.time_zone,
            language: s.language,
        }
    }
}

/// Fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// Days (1, 3, 7 or 30), or `null` for no confirmation link.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub confirmation_link_ttl_days: Option<Option<i64>>,
    /// An IANA time zone, e.g. `Asia/Tokyo`, `Europe/Berlin`, `UTC`.
    pub time_zone: Option<String>,
    /// `ja` or `en`.
    pub language: Option<String>,
}

/// A key that is present becomes `Some`, even when its value is `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[utoipa::path(get, path = "/api/v1/settings", responses((status = 200, body = Settings)))]
pub async fn get_settings(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<Settings>, ApiError> {
    Ok(ApiJson(
        state.store.tenant_settings(auth.id()).await?.into(),
    ))
}

#[utoipa::path(put, path = "/api/v1/settings", request_body = SettingsBody,
    responses((status = 200, body = Settings),
        (status = 422, description = "invalid_link_ttl, invalid_time_zone, invalid_language")))]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SettingsBody>,
) -> Result<ApiJson<Settings>, ApiError> {
    if let Some(ttl) = body.confirmation_link_ttl_days {
        check_link_ttl(ttl)?;
    }
    let time_zone = body.time_zone.as_deref().map(check_time_zone).transpose()?;
    if let Some(lang) = body.language.as_deref() {
        check_language(lang)?;
    }
    let change = SettingsChange {
        link_ttl_days: body.confirmation_link_ttl_days,
        time_zone,
        language: body.language.as_deref(),
    };
    let now = state
        .store
        .update_tenant_settings(auth.id(), &change)
        .await?;
    Ok(ApiJson(now.into()))
}

/// The IANA name as the time zone database spells it (`asia/tokyo` → `Asia/Tokyo`).
pub fn check_time_zone(raw: &str) -> Result<&'static str, ApiError> {
    let name = raw.trim();
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
        .map(|tz| tz.name())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_time_zone",
                format!("`{raw}` is not an IANA time zone; use a name such as `Asia/Tokyo`, `Europe/Berlin` or `UTC`"),
            )
        })
}

pub fn check_language(raw: &str) -> Result<(), ApiError> {
    if LANGUAGES.contains(&raw) {
        return Ok(());
    }
    Err(ApiError::unprocessable(
        "invalid_language",
        format!("`language` is `ja` or `en`; got `{raw}`"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names_spelled_as_the_database_does() {
        assert_eq!(check_time_zone("Asia/Tokyo").unwrap(), "Asia/Tokyo");
        assert_eq!(check_time_zone("europe/berlin").unwrap(), "Europe/Berlin");
        assert_eq!(check_time_zone("UTC").unwrap(), "UTC");
        for bad in ["", "Tokyo", "Asia/Atlantis", "+09:00"] {
            assert_eq!(check_time_zone(bad).unwrap_err().code, "invalid_time_zone");
        }
    }

    #[test]
    fn an_absent_ttl_differs_from_a_null_one() {
        let absent: SettingsBody = serde_json::from_str(r#"{"language": "en"}"#).unwrap();
        assert_eq!(absent.confirmation_link_ttl_days, None);
        let null: SettingsBody =
            serde_json::from_str(r#"{"confirmation_link_ttl_days": null}"#).unwrap();
        assert_eq!(null.confirmation_link_ttl_days, Some(None));
        let seven: SettingsBody =
            serde_json::from_str(r#"{"confirmation_link_ttl_days": 7}"#).unwrap();
        assert_eq!(seven.confirmation_link_ttl_days, Some(Some(7)));
    }
}
