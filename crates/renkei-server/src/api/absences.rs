//! Absence sync (WORKPLACE, scenario 20): a product creates, changes and removes a member's
//! absences; renkei mirrors each as an event in the member's LINE WORKS default calendar.
//! Every change becomes a queued delivery (kind `calendar`) through the tenant's LINE WORKS
//! connection, so it is retried, ordered per member and logged like any notice; the
//! calendar event ID is chosen by renkei, so re-runs are idempotent and a removal deletes
//! exactly the event a creation made.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::model::{ConnectionKind, Owner, Provider};
use renkei_core::routing::{Outcome, Planned};
use renkei_core::text::{self, Rule};
use renkei_providers::line_works::{
    event_id_for, render_calendar_op, Absence as CalendarAbsence, AbsenceTime, CalendarOp,
};
use renkei_store::absences::{Absence, AbsenceInput};
use renkei_store::events::{NewEvent, KIND_CALENDAR};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{check_external_id, check_text, member_row_id};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceBody {
    /// What the calendar shows, e.g. `有給休暇` or `外出`.
    pub summary: String,
    pub description: Option<String>,
    /// `2026-12-01` (all day) or `2026-12-01T14:00:00` (timed, in `time_zone`).
    pub start: String,
    /// All day: the last day absent (inclusive). Timed: when the absence ends.
    pub end: String,
    /// IANA time zone of timed absences; default `Asia/Tokyo`.
    pub time_zone: Option<String>,
}

fn parse_time(field: &str, value: &str) -> Result<AbsenceTime, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_string())).map_err(|_| {
        ApiError::unprocessable(
            "invalid_absence",
            format!("`{field}` must be YYYY-MM-DD (all day) or YYYY-MM-DDTHH:MM:SS (timed); got `{value}`"),
        )
    })
}

/// Summary, description and time zone against their documented limits.
fn check_absence_texts(body: &AbsenceBody) -> Result<(), ApiError> {
    let code = "invalid_absence";
    check_text(
        code,
        "summary",
        &body.summary,
        Rule::one_line(text::MAX_SUMMARY_CHARS),
    )?;
    if let Some(d) = &body.description {
        let rule = Rule::many_lines(text::MAX_DESCRIPTION_CHARS).optional();
        check_text(code, "description", d, rule)?;
    }
    if let Some(tz) = &body.time_zone {
        check_time_zone(tz.trim()).map_err(|m| ApiError::unprocessable("invalid_time_zone", m))?;
    }
    Ok(())
}

/// A name from the IANA time zone database, e.g. `Asia/Tokyo`: the calendar would refuse
/// anything else only when the sync runs, long after the request was answered.
pub(crate) fn check_time_zone(tz: &str) -> Result<(), String> {
    tz.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        format!("`time_zone` must be an IANA time zone name like `Asia/Tokyo` or `UTC`; got `{tz}`")
    })
}

/// The member's LINE WORKS user ID.
async fn calendar_user(
    state: &AppState,
    tenant: i64,
    member_ext: &str,
) -> Result<String, ApiError> {
    let member = state
        .store
        .member(tenant, member_ext)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))?;
    member
        .identities
        .get(&Provider::LineWorks)
        .cloned()
        .ok_or_else(|| {
            ApiError::unprocessable(
                "no_identity",
                format!("member {member_ext} has no LINE WORKS user ID: set identities.line_works.user_id first"),
            )
        })
}

/// The tenant's LINE WORKS bot connection, which writes into members' calendars.
async fn calendar_connection(state: &AppState, tenant: i64) -> Result<i64, ApiError> {
    state
        .store
        .connections(tenant)
        .await?
        .into_iter()
        .find(|c| {
            c.provider == Provider::LineWorks
                && c.owner == Owner::Tenant
                && c.kind == ConnectionKind::Bot
                && c.status == "connected"
        })
        .map(|c| c.id)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "no_connection",
                "the tenant has no LINE WORKS connection: connect the LINE WORKS bot (with the calendar scope) first",
            )
        })
}

/// Queues one calendar change and returns the sync event's ID.
async fn queue_op(
    state: &AppState,
    tenant: i64,
    member_ext: &str,
    connection: i64,
    user: &str,
    op: &CalendarOp,
) -> Result<i64, ApiError> {
    let what = match op {
        CalendarOp::Upsert { absence, .. } => format!("absence: {}", absence.summary),
        CalendarOp::Delete { .. } => "absence removed".to_string(),
    };
    let planned = Planned {
        target: format!("member:{member_ext}"),
        provider: Some(Provider::LineWorks),
        outcome: Outcome::Send {
            connection_id: connection,
            room: format!("calendar:{user}"),
            mentions: Vec::new(),
        },
        reasons: vec![renkei_core::routing::why::text(
            "absence-sync",
            &[("ext", &member_ext), ("user", &user), ("conn", &connection)],
        )],
        warnings: Vec::new(),
    };
    let event = NewEvent {
        kind: KIND_CALENDAR,
        event_type: "absence.sync".into(),
        idempotency_key: None,
        targets_json: serde_json::json!({"members": [member_ext]}).to_string(),
        title: what,
        body: render_calendar_op(op),
        url: None,
        link_expires_at: None,
        thread_key: None,
        planned: vec![planned],
    };
    let accepted = state.intake.submit(tenant, vec![event]).await?;
    let id = accepted.first().map(|a| a.id).unwrap_or_default();
    state.wake_lanes(&[connection]).await?;
    Ok(id)
}

#[utoipa::path(put, path = "/api/v1/members/{external_id}/absences/{absence_id}", request_body = AbsenceBody,
    params(("external_id" = String, Path), ("absence_id" = String, Path)),
    responses((status = 201, body = Absence), (status = 200, body = Absence), (status = 422)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Auth,
    Path((member_ext, absence_ext)): Path<(String, String)>,
    ApiJson(body): ApiJson<AbsenceBody>,
) -> Result<(StatusCode, ApiJson<Absence>), ApiError> {
    check_external_id(&absence_ext)?;
    check_absence_texts(&body)?;
    let tenant = auth.id();
    let member_id = member_row_id(&state, tenant, &member_ext).await?;
    let mut absence = CalendarAbsence::new(
        body.summary.trim(),
        parse_time("start", &body.start)?,
        parse_time("end", &body.end)?,
    );
    absence.description = body.description.clone().filter(|d| !d.trim().is_empty());
    if let Some(tz) = &body.time_zone {
        absence.time_zone = tz.trim().to_string();
    }
    absence
        .validate()
        .map_err(|e| ApiError::unprocessable("invalid_absence", e))?;
    let user = calendar_user(&state, tenant, &member_ext).await?;
    let connection = calendar_connection(&state, tenant).await?;
    let before = state.store.absence(tenant, member_id, &absence_ext).await?;
    // The member's LINE WORKS ID changed: remove the event from the old calendar first.
    if let Some(old) = before
        .as_ref()
        .filter(|a| !a.deleted && a.calendar_user != user)
    {
        let op = CalendarOp::Delete {
            event_id: old.calendar_event_id.clone(),
        };
        queue_op(
            &state,
            tenant,
            &member_ext,
            connection,
            &old.calendar_user,
            &op,
        )
        .await?;
    }
    let starts = absence.start.to_string();
    let ends = absence.end.to_string();
    let input = AbsenceInput {
        summary: &absence.summary,
        description: absence.description.as_deref(),
        starts: &starts,
        ends: &ends,
        all_day: matches!(absence.start, AbsenceTime::Date(_)),
        calendar_user: &user,
    };
    let event_id = event_id_for(tenant, &format!("{member_id}/{absence_ext}"));
    let stored = state
        .store
        .upsert_absence(tenant, member_id, &absence_ext, &input, &event_id)
        .await?;
    let op = CalendarOp::Upsert {
        event_id: stored.calendar_event_id.clone(),
        absence,
    };
    let sync = queue_op(&state, tenant, &member_ext, connection, &user, &op).await?;
    state.store.set_absence_sync_event(stored.id, sync).await?;
    let mut out = stored;
    out.sync_event_id = Some(sync);
    let status = if before.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, ApiJson(out)))
}

#[utoipa::path(delete, path = "/api/v1/members/{external_id}/absences/{absence_id}",
    params(("external_id" = String, Path), ("absence_id" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path((member_ext, absence_ext)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = auth.id();
    let member_id = member_row_id(&state, tenant, &member_ext).await?;
    let existing = state
        .store
        .absence(tenant, member_id, &absence_ext)
        .await?
        .filter(|a| !a.deleted)
        .ok_or_else(|| ApiError::not_found("absence"))?;
    // The removal goes to the calendar the event was written to, whatever the member's
    // LINE WORKS ID is now (or even without one).
    let connection = calendar_connection(&state, tenant).await?;
    state
        .store
        .delete_absence(tenant, member_id, &absence_ext)
        .await?;
    let op = CalendarOp::Delete {
        event_id: existing.calendar_event_id.clone(),
    };
    let sync = queue_op(
        &state,
        tenant,
        &member_ext,
        connection,
        &existing.calendar_user,
        &op,
    )
    .await?;
    state
        .store
        .set_absence_sync_event(existing.id, sync)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/members/{external_id}/absences", params(("external_id" = String, Path)),
    responses((status = 200, body = [Absence]), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(member_ext): Path<String>,
) -> Result<ApiJson<Vec<Absence>>, ApiError> {
    let member_id = member_row_id(&state, auth.id(), &member_ext).await?;
    Ok(ApiJson(state.store.absences(auth.id(), member_id).await?))
}

#[cfg(test)]
mod tests {
    use super::check_time_zone;

    #[test]
    fn time_zones_come_from_the_iana_database() {
        for tz in ["Asia/Tokyo", "UTC", "America/New_York", "Europe/London"] {
            assert!(check_time_zone(tz).is_ok(), "{tz}");
        }
        for tz in ["Asia/Tokio", "JST+9", "", "asia/tokyo\n"] {
            let err = check_time_zone(tz).unwrap_err();
            assert!(err.contains("IANA"), "{err}");
        }
    }
}
