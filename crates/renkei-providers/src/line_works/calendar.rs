//! Absence sync into a member's LINE WORKS default calendar (scenario 20).
//!
//! The engine hands `send` a [`CalendarOp`] rendered by [`render_calendar_op`] with the room
//! `calendar:<userId>`. renkei picks each event's ID itself ([`event_id_for`]), so creating,
//! updating and deleting are idempotent: a retry or a re-run of the sync lands on the same
//! event instead of adding a second one.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const DEFAULT_TIME_ZONE: &str = "Asia/Tokyo";
/// LINE WORKS' limits on an event's `summary` and `description`.
pub const MAX_SUMMARY_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// LINE WORKS' limit on `eventId`.
pub const MAX_EVENT_ID_CHARS: usize = 255;
const DATE_FORMAT: &str = "%Y-%m-%d";
const DATE_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// A day, or a local time in the absence's time zone. Serialised as `2026-12-01` or
/// `2026-12-01T14:00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsenceTime {
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl fmt::Display for AbsenceTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbsenceTime::Date(d) => write!(f, "{}", d.format(DATE_FORMAT)),
            AbsenceTime::DateTime(t) => write!(f, "{}", t.format(DATE_TIME_FORMAT)),
        }
    }
}

impl Serialize for AbsenceTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AbsenceTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if let Ok(t) = NaiveDateTime::parse_from_str(&s, DATE_TIME_FORMAT) {
            return Ok(AbsenceTime::DateTime(t));
        }
        NaiveDate::parse_from_str(&s, DATE_FORMAT)
            .map(AbsenceTime::Date)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{s}` is neither YYYY-MM-DD nor YYYY-MM-DDTHH:MM:SS"
                ))
            })
    }
}

fn default_time_zone() -> String {
    DEFAULT_TIME_ZONE.to_string()
}

/// One absence. All-day absences use [`AbsenceTime::Date`] for both ends and `end` is the
/// **last day absent** (inclusive, as people say it); timed ones use
/// [`AbsenceTime::DateTime`] and `end` is when the absence is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub start: AbsenceTime,
    pub end: AbsenceTime,
    /// IANA name for timed absences.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
}

impl Absence {
    /// An absence in [`DEFAULT_TIME_ZONE`] without a description.
    pub fn new(summary: impl Into<String>, start: AbsenceTime, end: AbsenceTime) -> Self {
        Absence {
            summary: summary.into(),
            description: None,
            start,
            end,
            time_zone: default_time_zone(),
        }
    }

    /// Both ends of one kind, in order, and a summary to show.
    pub fn validate(&self) -> Result<(), String> {
        if self.summary.trim().is_empty() {
            return Err("an absence needs a summary".into());
        }
        match (self.start, self.end) {
            (AbsenceTime::Date(s), AbsenceTime::Date(e)) if e < s => {
                Err(format!("the absence ends ({e}) before it starts ({s})"))
            }
            (AbsenceTime::DateTime(s), AbsenceTime::DateTime(e)) if e <= s => Err(format!(
                "the absence ends ({e}) before or when it starts ({s})"
            )),
            (AbsenceTime::DateTime(_), AbsenceTime::DateTime(_))
                if self.time_zone.trim().is_empty() =>
            {
                Err("a timed absence needs a time zone".into())
            }
            (AbsenceTime::Date(_), AbsenceTime::Date(_))
            | (AbsenceTime::DateTime(_), AbsenceTime::DateTime(_)) => Ok(()),
            _ => Err("an absence is either all-day (dates) or timed (date-times), not both".into()),
        }
    }
}

/// What to do in the member's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CalendarOp {
    /// Create the event, or update it if it exists.
    Upsert { event_id: String, absence: Absence },
    /// Remove the event; one already gone counts as done.
    Delete { event_id: String },
}

impl CalendarOp {
    pub fn event_id(&self) -> &str {
        match self {
            CalendarOp::Upsert { event_id, .. } | CalendarOp::Delete { event_id } => event_id,
        }
    }
}

/// The `rendered` string `send` takes for a `calendar:<userId>` room.
pub fn render_calendar_op(op: &CalendarOp) -> String {
    // Plain structs and strings: serialising them cannot fail.
    serde_json::to_string(op).unwrap_or_default()
}

/// Reads [`render_calendar_op`]'s output and checks it.
pub fn parse_calendar_op(rendered: &str) -> Result<CalendarOp, String> {
    let op: CalendarOp = serde_json::from_str(rendered)
        .map_err(|e| format!("not a LINE WORKS calendar operation: {e}"))?;
    let id = op.event_id();
    if id.is_empty() || id.chars().count() > MAX_EVENT_ID_CHARS {
        return Err(format!(
            "event IDs have 1 to {MAX_EVENT_ID_CHARS} characters"
        ));
    }
    if let CalendarOp::Upsert { absence, .. } = &op {
        absence.validate()?;
    }
    Ok(op)
}

/// The `end.date` LINE WORKS gets for an all-day event whose last day is `last_day`.
///
/// **Unconfirmed:** LINE WORKS does not document whether an all-day `end.date` is inclusive.
/// Its event model follows iCalendar (`eventComponents`, `transparency`, `recurrence`,
/// `sequence`), where a date `DTEND` is exclusive, so the end is the day after the last
/// day. If LINE WORKS turns out to read it as inclusive, this one function changes (to
/// `last_day`) and every all-day event follows.
pub fn all_day_end(last_day: NaiveDate) -> NaiveDate {
    last_day.succ_opt().unwrap_or(last_day)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

fn time_json(t: AbsenceTime, time_zone: &str, is_end: bool) -> Value {
    match t {
        AbsenceTime::Date(d) => {
            let d = if is_end { all_day_end(d) } else { d };
            json!({ "date": d.format(DATE_FORMAT).to_string() })
        }
        AbsenceTime::DateTime(dt) => json!({
            "dateTime": dt.format(DATE_TIME_FORMAT).to_string(),
            "timeZone": time_zone,
        }),
    }
}

/// The body of `POST|PUT .../calendar/events`: one private, busy event, no notification.
pub fn event_body(event_id: &str, absence: &Absence) -> Value {
    let mut component = json!({
        "eventId": event_id,
        "summary": truncate(&absence.summary, MAX_SUMMARY_CHARS),
        "start": time_json(absence.start, &absence.time_zone, false),
        "end": time_json(absence.end, &absence.time_zone, true),
        "transparency": "OPAQUE",
        "visibility": "PRIVATE",
    });
    if let Some(d) = absence.description.as_deref().filter(|d| !d.is_empty()) {
        component["description"] = json!(truncate(d, MAX_DESCRIPTION_CHARS));
    }
    json!({ "eventComponents": [component], "sendNotification": false })
}

/// The event ID renkei uses for one absence of one tenant: stable across runs, URL-safe,
/// and not revealing the key (`renkei-` + 32 hex digits).
pub fn event_id_for(tenant: i64, absence_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(tenant.to_be_bytes());
    h.update(absence_key.as_bytes());
    format!("renkei-{}", hex::encode(&h.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, DATE_FORMAT).unwrap()
    }

    #[test]
    fn all_day_end_is_the_day_after_the_last_day() {
        assert_eq!(all_day_end(day("2026-12-01")), day("2026-12-02"));
        assert_eq!(all_day_end(day("2026-12-31")), day("2027-01-01"));
        assert_eq!(all_day_end(day("2028-02-28")), day("2028-02-29"));
    }

    #[test]
    fn ops_round_trip_through_the_rendered_string() {
        let mut a = Absence::new(
            "休暇",
            AbsenceTime::Date(day("2026-12-01")),
            AbsenceTime::Date(day("2026-12-03")),
        );
        a.description = Some("有給".into());
        let op = CalendarOp::Upsert {
            event_id: "renkei-1".into(),
            absence: a,
        };
        let s = render_calendar_op(&op);
        assert!(s.contains(r#""start":"2026-12-01""#), "{s}");
        assert_eq!(parse_calendar_op(&s).unwrap(), op);
        let del = CalendarOp::Delete {
            event_id: "renkei-1".into(),
        };
        assert_eq!(parse_calendar_op(&render_calendar_op(&del)).unwrap(), del);
    }

    #[test]
    fn bad_absences_are_refused() {
        let d = |s| AbsenceTime::Date(day(s));
        let t =
            |s| AbsenceTime::DateTime(NaiveDateTime::parse_from_str(s, DATE_TIME_FORMAT).unwrap());
        assert!(Absence::new("x", d("2026-12-02"), d("2026-12-01"))
            .validate()
            .is_err());
        assert!(Absence::new("x", d("2026-12-01"), d("2026-12-01"))
            .validate()
            .is_ok());
        let same = t("2026-12-01T10:00:00");
        assert!(Absence::new("x", same, same).validate().is_err());
        assert!(Absence::new("x", d("2026-12-01"), same).validate().is_err());
        assert!(Absence::new(" ", d("2026-12-01"), d("2026-12-01"))
            .validate()
            .is_err());
        let upsert = r#"{"op":"upsert","event_id":"","absence":{"summary":"x","start":"2026-12-01","end":"2026-12-01"}}"#;
        assert!(parse_calendar_op(upsert).is_err());
        assert!(parse_calendar_op("hello").is_err());
    }

    #[test]
    fn event_ids_are_stable_url_safe_and_distinct() {
        let a = event_id_for(7, "leave:42");
        assert_eq!(a, event_id_for(7, "leave:42"));
        assert_ne!(a, event_id_for(8, "leave:42"));
        assert_ne!(a, event_id_for(7, "leave:43"));
        assert_eq!(a.len(), "renkei-".len() + 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn long_texts_are_cut_to_the_limits() {
        let mut a = Absence::new(
            "あ".repeat(300),
            AbsenceTime::Date(day("2026-12-01")),
            AbsenceTime::Date(day("2026-12-01")),
        );
        a.description = Some("い".repeat(6000));
        let c = &event_body("e", &a)["eventComponents"][0];
        assert_eq!(
            c["summary"].as_str().unwrap().chars().count(),
            MAX_SUMMARY_CHARS
        );
        assert_eq!(
            c["description"].as_str().unwrap().chars().count(),
            MAX_DESCRIPTION_CHARS
        );
    }
}
