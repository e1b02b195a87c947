//! Query parameters shared by the lists: `after` (the previous page's `next_after`) and
//! `limit`, read as text so a wrong value gets a 422 that says what to send.

use renkei_store::lists::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PageParams {
    /// The previous page's `next_after`: items after it (external ID order).
    pub after: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<String>,
}

impl PageParams {
    pub fn page(&self) -> Result<PageRequest<'_>, ApiError> {
        Ok(PageRequest {
            after: self.after.as_deref().filter(|a| !a.is_empty()),
            limit: parse_limit(
                self.limit.as_deref(),
                PageRequest::DEFAULT_LIMIT,
                PageRequest::MAX_LIMIT,
            )?,
        })
    }
}

/// `limit` as a number from 1 to `max`; `default` when absent.
pub(crate) fn parse_limit(raw: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(default);
    };
    raw.parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_limit",
                format!("`limit` must be a whole number from 1 to {max}; got `{raw}`"),
            )
        })
}

/// An optional `provider` parameter.
pub(crate) fn parse_provider(
    field: &str,
    raw: Option<&str>,
) -> Result<Option<renkei_core::model::Provider>, ApiError> {
    raw.filter(|r| !r.is_empty())
        .map(|r| {
            r.parse().map_err(|e: String| {
                ApiError::unprocessable("unknown_provider", format!("`{field}`: {e}"))
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_range_say_what_to_send() {
        assert_eq!(parse_limit(None, 50, 200).unwrap(), 50);
        assert_eq!(parse_limit(Some("200"), 50, 200).unwrap(), 200);
        for bad in ["0", "201", "ten", "-1"] {
            let e = parse_limit(Some(bad), 50, 200).unwrap_err();
            assert_eq!(e.code, "invalid_limit");
            assert!(e.message.contains("1 to 200"), "{}", e.message);
        }
    }
}
