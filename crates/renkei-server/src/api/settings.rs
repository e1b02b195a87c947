//! The tenant's settings: confirmation-link lifetime, time zone, language, and the origins
//! allowed to frame the member and client pages.

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
    /// Origins allowed to show the member and client self-service pages in a frame
    /// (`Content-Security-Policy: frame-ancestors`), e.g. `["https://app.example.com"]`;
    /// empty (the default): they cannot be framed. The console is never framable.
    pub frame_origins: Vec<String>,
}

impl From<TenantSettings> for Settings {
    fn from(s: TenantSettings) -> Self {
        Settings {
            confirmation_link_ttl_days: s.link_ttl_days,
            time_zone: s.time_zone,
            language: s.language,
            frame_origins: s.frame_origins,
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
    /// Replaces the list: each an origin (`https://host[:port]`; `http://` only for
    /// `localhost` and loopback addresses), at most 10. `[]` allows no frame.
    pub frame_origins: Option<Vec<String>>,
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
        (status = 422, description = "invalid_link_ttl, invalid_time_zone, invalid_language, invalid_frame_origin")))]
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
    let frame_origins = body
        .frame_origins
        .as_deref()
        .map(check_frame_origins)
        .transpose()?;
    let change = SettingsChange {
        link_ttl_days: body.confirmation_link_ttl_days,
        time_zone,
        language: body.language.as_deref(),
        frame_origins: frame_origins.as_deref(),
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

/// The most origins a tenant may allow to frame its pages.
pub const MAX_FRAME_ORIGINS: usize = 10;

/// Each entry as an origin the way browsers compare them (`https://app.example.com`,
/// lower case, default port dropped), without repeats. An origin names a scheme, a host and
/// a port and nothing else: paths, queries, wildcards and user names are refused, and plain
/// `http` only for this machine (a product in development), since a page framed over http
/// can be read and changed on the way.
pub fn check_frame_origins(raw: &[String]) -> Result<Vec<String>, ApiError> {
    if raw.len() > MAX_FRAME_ORIGINS {
        return Err(ApiError::unprocessable(
            "invalid_frame_origin",
            format!(
                "at most {MAX_FRAME_ORIGINS} frame origins; {} were sent",
                raw.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for entry in raw {
        let origin = check_frame_origin(entry.trim())?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

fn check_frame_origin(raw: &str) -> Result<String, ApiError> {
    let bad = |why: &str| {
        ApiError::unprocessable(
            "invalid_frame_origin",
            format!("`{raw}` is not a frame origin: {why}. Write the product's origin, e.g. `https://app.example.com` or `https://app.example.com:8443`"),
        )
    };
    let url = url::Url::parse(raw).map_err(|_| bad("it does not parse as a URL"))?;
    let host = url.host_str().ok_or_else(|| bad("it names no host"))?;
    if raw.contains('*') {
        return Err(bad("wildcards are not accepted; list each origin"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it must not carry a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("an origin has no path, query or fragment"));
    }
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(bad("use https (plain http only for localhost)")),
        _ => return Err(bad("the scheme must be https")),
    }
    Ok(url.origin().ascii_serialization())
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
    fn frame_origins_are_origins_only() {
        let ok = check_frame_origins(&[
            "https://App.Example.com".into(),
            "https://app.example.com:443/".into(),
            "https://app.example.com:8443".into(),
            "http://127.0.0.1:3000".into(),
            "http://localhost:5173".into(),
        ])
        .unwrap();
        assert_eq!(
            ok,
            [
                "https://app.example.com",
                "https://app.example.com:8443",
                "http://127.0.0.1:3000",
                "http://localhost:5173"
            ]
        );
        for bad in [
            "app.example.com",
            "https://app.example.com/settings",
            "https://app.example.com?x=1",
            "https://*.example.com",
            "http://app.example.com",
            "javascript:alert(1)",
            "https://user@app.example.com",
            "https://a.example.com; script-src *",
            "",
        ] {
            let e = check_frame_origins(&[bad.to_string()]).unwrap_err();
            assert_eq!(e.code, "invalid_frame_origin", "{bad}");
        }
        let many: Vec<String> = (0..11)
            .map(|i| format!("https://a{i}.example.com"))
            .collect();
        assert_eq!(
            check_frame_origins(&many).unwrap_err().code,
            "invalid_frame_origin"
        );
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
