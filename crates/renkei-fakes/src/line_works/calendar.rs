//! Events of each user's default calendar: create with a client-chosen `eventId`, read,
//! replace, delete, and the body checks LINE WORKS makes (documented ones, plus the
//! fake's reading of all-day ends, see the module docs of [`super`]).

use axum::http::Method;
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

use super::api::Reply;
use super::world::World;

const SUMMARY_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 5000;
const EVENT_ID_MAX: usize = 255;

enum When {
    Date(NaiveDate),
    DateTime(NaiveDateTime, String),
}

fn when(v: &Value, field: &str) -> Result<When, String> {
    let obj = v.as_object().ok_or(format!("{field} must be an object"))?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str);
    match (text("date"), text("dateTime")) {
        (Some(d), None) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(When::Date)
            .map_err(|_| format!("{field}.date must be YYYY-MM-DD")),
        (None, Some(t)) => {
            let tz = text("timeZone").filter(|z| !z.is_empty());
            let tz = tz.ok_or(format!(
                "{field}.timeZone is required with {field}.dateTime"
            ))?;
            NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
                .map(|t| When::DateTime(t, tz.to_string()))
                .map_err(|_| format!("{field}.dateTime must be YYYY-MM-DDThh:mm:ss"))
        }
        _ => Err(format!("{field} needs either date or dateTime")),
    }
}

fn check_text(c: &Value, key: &str, max: usize, required: bool) -> Result<(), String> {
    match c.get(key) {
        None | Some(Value::Null) if !required => Ok(()),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(()),
        Some(Value::String(_)) => Err(format!("{key} exceeds {max} characters")),
        _ if required => Err(format!("{key} is required")),
        _ => Err(format!("{key} must be a string")),
    }
}

fn check_choice(c: &Value, key: &str, allowed: &[&str]) -> Result<(), String> {
    match c.get(key) {
        None => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        _ => Err(format!("{key} must be one of {}", allowed.join(", "))),
    }
}

/// The event component a create or update stores; `Err` is the 400 description.
fn component(body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "Invalid request body".to_string())?;
    let comps = v
        .get("eventComponents")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or("eventComponents is required")?;
    if v.get("sendNotification").is_some_and(|s| !s.is_boolean()) {
        return Err("sendNotification must be a boolean".into());
    }
    let c = &comps[0];
    let id = c.get("eventId");
    if comps.iter().any(|o| o.get("eventId") != id) {
        return Err("all eventComponents must have the same eventId".into());
    }
    if let Some(id) = id {
        let len = id.as_str().map(|s| s.chars().count()).unwrap_or_default();
        if !(1..=EVENT_ID_MAX).contains(&len) {
            return Err(format!("eventId must have 1 to {EVENT_ID_MAX} characters"));
        }
    }
    check_text(c, "summary", SUMMARY_MAX, true)?;
    check_text(c, "description", DESCRIPTION_MAX, false)?;
    check_choice(c, "transparency", &["OPAQUE", "TRANSPARENT"])?;
    check_choice(c, "visibility", &["PUBLIC", "PRIVATE"])?;
    let start = when(c.get("start").ok_or("start is required")?, "start")?;
    if let Some(end) = c.get("end") {
        let end = when(end, "end")?;
        match (&start, &end) {
            (When::Date(s), When::Date(e)) if e <= s => {
                return Err("end.date must be after start.date (the end date is exclusive)".into())
            }
            (When::DateTime(s, sz), When::DateTime(e, ez)) if sz == ez && e <= s => {
                return Err("end must be after start".into())
            }
            (When::Date(_), When::DateTime(..)) | (When::DateTime(..), When::Date(_)) => {
                return Err("start and end must both be dates or both be dateTimes".into())
            }
            _ => {}
        }
    }
    Ok(c.clone())
}

fn answer(status: u16, c: &Value) -> Reply {
    Reply::json(status, &json!({ "eventComponents": [c] }))
}

fn no_user() -> Reply {
    Reply::error(404, "NOT_FOUND", "User not found")
}

fn no_event() -> Reply {
    Reply::error(404, "NOT_FOUND", "Event not found")
}

/// `POST /users/{userId}/calendar/events`: 201 with the event; 409 if the chosen ID exists.
pub(super) fn create(world: &mut World, user: &str, body: &[u8]) -> Reply {
    if !world.users.contains(user) {
        return no_user();
    }
    let mut c = match component(body) {
        Ok(c) => c,
        Err(msg) => return Reply::error(400, "INVALID_PARAMETER", &msg),
    };
    let id = match c.get("eventId").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => format!("fake-event-{}", uuid::Uuid::new_v4().simple()),
    };
    c["eventId"] = json!(id);
    let events = world.events.entry(user.to_string()).or_default();
    if events.contains_key(&id) {
        return Reply::error(409, "CONFLICT", "An event with this eventId already exists");
    }
    events.insert(id, c.clone());
    answer(201, &c)
}

/// `GET|PUT|DELETE /users/{userId}/calendar/events/{eventId}`.
pub(super) fn by_id(
    world: &mut World,
    method: &Method,
    user: &str,
    id: &str,
    body: &[u8],
) -> Reply {
    if !world.users.contains(user) {
        return no_user();
    }
    let events = world.events.entry(user.to_string()).or_default();
    match *method {
        Method::GET => events.get(id).map_or_else(no_event, |c| answer(200, c)),
        Method::DELETE => match events.remove(id) {
            Some(_) => Reply::empty(204),
            None => no_event(),
        },
        _ => {
            let c = match component(body) {
                Ok(c) => c,
                Err(msg) => return Reply::error(400, "INVALID_PARAMETER", &msg),
            };
            if c.get("eventId").and_then(Value::as_str) != Some(id) {
                return Reply::error(400, "INVALID_PARAMETER", "eventId must match the path");
            }
            match events.get_mut(id) {
                Some(stored) => {
                    *stored = c.clone();
                    answer(200, &c)
                }
                None => no_event(),
            }
        }
    }
}
