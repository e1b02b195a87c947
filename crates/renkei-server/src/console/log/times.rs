//! Times as people type and read them in the log: `datetime-local` values in the tenant's
//! time zone, turned into RFC 3339 times for the API.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// What a date typed without a time of day stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateAlone {
    /// The start of that day ("since 1 April").
    StartOfDay,
    /// The start of the next day, so that the day itself is included ("until 1 April").
    EndOfDay,
}

/// A time typed into a `datetime-local` field (`2025-04-01T09:00`, seconds optional, a space
/// instead of the `T` accepted) or a date alone (`2025-04-01`, `2025/4/1`), read in the
/// tenant's zone. `None` when it is not such a time.
pub fn parse_local(raw: &str, tz: Tz, date_alone: DateAlone) -> Option<DateTime<Tz>> {
    let raw = raw.trim().replace('/', "-");
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&raw, f).ok())
    .or_else(|| {
        let day = NaiveDate::parse_from_str(&raw, "%Y-%m-%d").ok()?;
        let day = match date_alone {
            DateAlone::StartOfDay => day,
            DateAlone::EndOfDay => day.succ_opt()?,
        };
        day.and_hms_opt(0, 0, 0)
    })?;
    // A time skipped by a daylight-saving change means the hour after; a repeated one, its
    // first occurrence.
    tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
    })
}

/// A Unix-millisecond time as a `datetime-local` field's value in the tenant's zone.
pub fn input_value(ms: i64, tz: Tz) -> String {
    tz.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A Unix-millisecond time to the second (attempts a few hundred ms apart must differ).
pub fn with_seconds(ms: i64, tz: Tz) -> String {
    tz.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    #[test]
    fn typed_times_are_read_in_the_tenant_zone() {
        let t = parse_local("2025-04-01T09:00", TOKYO, DateAlone::StartOfDay).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-04-01T09:00:00+09:00");
        assert_eq!(t.timestamp_millis(), 1_743_465_600_000);
        let t = parse_local(" 2025/04/01 09:00:30 ", TOKYO, DateAlone::StartOfDay).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-04-01T09:00:30+09:00");
        let ny = parse_local(
            "2025-01-15T09:00",
            chrono_tz::America::New_York,
            DateAlone::StartOfDay,
        );
        assert_eq!(ny.unwrap().to_rfc3339(), "2025-01-15T09:00:00-05:00");
        assert!(parse_local("yesterday", TOKYO, DateAlone::StartOfDay).is_none());
        assert!(parse_local("2025-02-30", TOKYO, DateAlone::StartOfDay).is_none());
    }

    #[test]
    fn a_date_alone_is_the_start_or_the_end_of_that_day() {
        let since = parse_local("2025-04-01", TOKYO, DateAlone::StartOfDay).unwrap();
        assert_eq!(since.to_rfc3339(), "2025-04-01T00:00:00+09:00");
        let until = parse_local("2025-04-30", TOKYO, DateAlone::EndOfDay).unwrap();
        assert_eq!(until.to_rfc3339(), "2025-05-01T00:00:00+09:00");
    }

    #[test]
    fn a_skipped_hour_means_the_hour_after() {
        // New York skipped 02:00-03:00 on 9 March 2025.
        let t = parse_local(
            "2025-03-09T02:30",
            chrono_tz::America::New_York,
            DateAlone::StartOfDay,
        );
        assert_eq!(t.unwrap().to_rfc3339(), "2025-03-09T03:30:00-04:00");
    }

    #[test]
    fn times_are_shown_in_the_tenant_zone() {
        assert_eq!(input_value(1_743_465_600_000, TOKYO), "2025-04-01T09:00");
        assert_eq!(
            with_seconds(1_743_465_601_500, TOKYO),
            "2025-04-01 09:00:01"
        );
    }
}
