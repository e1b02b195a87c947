//! Event intake (single and batch) and the event detail with deliveries and attempts.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use renkei_core::model::DeliveryMode;
use renkei_core::routing::{self, EventKind, Planned, Targets};
use renkei_core::text::{self, Rule};
use renkei_store::directory::EventPolicy;
use renkei_store::events::{Accepted, DeliveryPage, EventDetail, NewEvent};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::event_warnings::{event_warnings, Warning};
use super::{check_external_id_in, check_text, parse_id};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

pub const MAX_BATCH: usize = 1000;
/// Requests naming this few groups and members (and not the whole tenant) are routed inline.
const SMALL_ROUTING: usize = 50;

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct To {
    #[serde(default)]
    pub tenant: bool,
    #[serde(default)]
    pub clients: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub members: Vec<String>,
    /// Direct delivery to a group also reaches its sub-groups' members.
    #[serde(default)]
    pub subgroups: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// The event type's key, e.g. `file.uploaded`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The same key within a tenant yields the same event and no second delivery.
    pub idempotency_key: Option<String>,
    pub to: To,
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub url: Option<String>,
    /// Overrides the event type's delivery for this event: `room`, `direct` or `both`.
    pub delivery: Option<String>,
    /// Notices with the same key share a thread where the tool has threads (Google Chat),
    /// e.g. `request-123` for every step of one approval request. Up to 200 characters.
    pub thread_key: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    pub events: Vec<EventBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedView {
    pub id: i64,
    /// True when the idempotency key named an event accepted earlier.
    pub duplicate: bool,
    pub status: &'static str,
    /// Names in the event that match nothing in the tenant (a likely typo).
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAccepted {
    pub events: Vec<AcceptedView>,
}

fn view(a: &Accepted, warnings: Vec<Warning>) -> AcceptedView {
    AcceptedView {
        id: a.id,
        duplicate: a.duplicate,
        status: "accepted",
        warnings,
    }
}

/// Every field against its documented limit (see `renkei_core::text`), before any lookup.
pub(crate) fn validate(ev: &EventBody) -> Result<(), ApiError> {
    let bad = |code, msg: String| Err(ApiError::unprocessable(code, msg));
    check_text("invalid_type", "type", &ev.event_type, text::EXTERNAL_ID)?;
    check_text(
        "invalid_title",
        "title",
        &ev.title,
        Rule::many_lines(text::MAX_TITLE_CHARS),
    )?;
    check_text(
        "invalid_body",
        "body",
        &ev.body,
        Rule::many_lines(text::MAX_BODY_CHARS).optional(),
    )?;
    if let Some(k) = &ev.thread_key {
        check_text("invalid_thread_key", "thread_key", k, Rule::one_line(200))?;
    }
    if let Some(url) = &ev.url {
        check_text(
            "invalid_url",
            "url",
            url,
            Rule::one_line(text::MAX_URL_CHARS),
        )?;
        let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return bad(
                "invalid_url",
                format!("`url` must be an absolute http(s) URL; got `{url}`"),
            );
        }
    }
    if let Some(k) = &ev.idempotency_key {
        check_text(
            "invalid_idempotency_key",
            "idempotency_key",
            k,
            text::EXTERNAL_ID,
        )?;
    }
    let to = &ev.to;
    if !to.tenant && to.clients.is_empty() && to.groups.is_empty() && to.members.is_empty() {
        return bad(
            "no_targets",
            "`to` names nobody: set `tenant: true` or list `clients`, `groups` or `members`".into(),
        );
    }
    for (list, ids) in [
        ("clients", &to.clients),
        ("groups", &to.groups),
        ("members", &to.members),
    ] {
        for (i, id) in ids.iter().enumerate() {
            check_external_id_in(&format!("to.{list}[{i}]"), id)?;
        }
    }
    Ok(())
}

fn targets(to: &To) -> Targets {
    Targets {
        tenant: to.tenant,
        clients: to.clients.clone(),
        groups: to.groups.clone(),
        members: to.members.clone(),
        subgroups: to.subgroups,
    }
}

pub(crate) fn parse_delivery(d: &str) -> Result<DeliveryMode, ApiError> {
    DeliveryMode::parse(d).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_delivery",
            format!("`delivery` is `{d}`; use `room`, `direct` or `both`"),
        )
    })
}

/// Routes a batch of events against one snapshot: the deliveries each would make.
pub(crate) async fn route(
    state: &AppState,
    tenant: i64,
    events: &[EventBody],
) -> Result<Vec<(Vec<Planned>, EventPolicy)>, ApiError> {
    let mut all = Targets::default();
    for ev in events {
        let t = &ev.to;
        all.tenant |= t.tenant;
        all.clients.extend(t.clients.iter().cloned());
        all.groups.extend(t.groups.iter().cloned());
        all.members.extend(t.members.iter().cloned());
    }
    for v in [&mut all.clients, &mut all.groups, &mut all.members] {
        v.sort();
        v.dedup();
    }
    let (snapshot, policies) = state.store.snapshot(tenant, &all).await?;
    let mut jobs = Vec::with_capacity(events.len());
    let mut chosen = Vec::with_capacity(events.len());
    for ev in events {
        let policy = policies.of(&ev.event_type);
        let mode = match &ev.delivery {
            Some(d) => parse_delivery(d)?,
            None => policy.mode,
        };
        jobs.push((targets(&ev.to), ev.event_type.clone(), mode));
        chosen.push(policy);
    }
    let plan_all = move || {
        jobs.iter()
            .map(|(to, event_type, mode)| {
                let kind = EventKind {
                    event_type,
                    mode: *mode,
                };
                routing::plan(&snapshot, to, kind)
            })
            .collect::<Vec<_>>()
    };
    // Planning a fan-out to thousands of members takes milliseconds of CPU: off the threads
    // that answer everyone else's requests.
    let planned = if all.tenant || all.groups.len() + all.members.len() > SMALL_ROUTING {
        tokio::task::spawn_blocking(plan_all)
            .await
            .map_err(|e| ApiError::internal(format!("routing failed: {e}")))?
    } else {
        plan_all()
    };
    let total: usize = planned.iter().map(Vec::len).sum();
    if total > state.max_deliveries {
        return Err(ApiError::unprocessable(
            "too_many_recipients",
            format!(
                "this request would make {total} deliveries; one request may make at most {}. \
                 Split the recipients over several events (e.g. one per group)",
                state.max_deliveries
            ),
        )
        .with_details(json!({"deliveries": total, "max": state.max_deliveries})));
    }
    Ok(planned.into_iter().zip(chosen).collect())
}

/// Validates every event (all or nothing), routes them against one snapshot of the tenant,
/// stores them in one transaction and wakes the lanes concerned.
async fn accept(
    state: &AppState,
    tenant: i64,
    events: Vec<EventBody>,
) -> Result<Vec<AcceptedView>, ApiError> {
    let mut problems: Vec<(usize, ApiError)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, ev)| validate(ev).err().map(|e| (i, e)))
        .collect();
    if events.len() == 1 {
        if let Some((_, e)) = problems.pop() {
            return Err(e);
        }
    }
    if let Some((_, first)) = problems.first() {
        let message = format!(
            "{} of {} events are invalid; nothing was stored. First: {}",
            problems.len(),
            events.len(),
            first.message
        );
        let details: Vec<_> = problems
            .iter()
            .map(|(i, e)| json!({"index": i, "code": e.code, "message": e.message}))
            .collect();
        return Err(ApiError::unprocessable("invalid_events", message).with_details(json!(details)));
    }
    let routed = route(state, tenant, &events).await?;
    let warnings: Vec<_> = events
        .iter()
        .zip(&routed)
        .map(|(ev, (planned, policy))| event_warnings(&ev.event_type, policy.type_known, planned))
        .collect();
    let now = renkei_store::now_ms();
    let new_events = events
        .into_iter()
        .zip(routed)
        .map(|(ev, (planned, policy))| NewEvent {
            kind: "event",
            targets_json: serde_json::to_string(&ev.to).expect("serialisable"),
            event_type: ev.event_type,
            idempotency_key: ev.idempotency_key,
            title: ev.title,
            body: ev.body,
            url: ev.url,
            link_expires_at: policy.link_ttl_days.map(|d| now + d * 86_400_000),
            thread_key: ev.thread_key,
            planned,
        })
        .collect();
    let accepted = state.intake.submit(tenant, new_events).await?;
    let mut conns: Vec<i64> = accepted
        .iter()
        .flat_map(|a| a.connections.iter().copied())
        .collect();
    conns.sort_unstable();
    conns.dedup();
    state.wake_lanes(&conns).await?;
    Ok(accepted
        .iter()
        .zip(warnings)
        .map(|(a, w)| view(a, w))
        .collect())
}

/// Accepts one event. It is stored durably, with its deliveries queued, before the answer.
#[utoipa::path(post, path = "/api/v1/events", request_body = EventBody,
    responses((status = 202, body = AcceptedView), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<(StatusCode, ApiJson<AcceptedView>), ApiError> {
    let mut accepted = accept(&state, auth.id(), vec![body]).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(accepted.remove(0))))
}

/// Accepts up to 1,000 events in one request, all or nothing.
#[utoipa::path(post, path = "/api/v1/events/batch", request_body = BatchBody,
    responses((status = 202, body = BatchAccepted), (status = 422)))]
pub async fn create_batch(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<BatchBody>,
) -> Result<(StatusCode, ApiJson<BatchAccepted>), ApiError> {
    if body.events.is_empty() || body.events.len() > MAX_BATCH {
        return Err(ApiError::unprocessable(
            "invalid_batch_size",
            format!(
                "a batch holds 1 to {MAX_BATCH} events; this one has {}",
                body.events.len()
            ),
        ));
    }
    let events = accept(&state, auth.id(), body.events).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(BatchAccepted { events })))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveryPageQuery {
    /// Deliveries with an ID above this one (the previous page's `next_deliveries_after`).
    pub after: Option<i64>,
    /// Deliveries per page, 1 to 1,000 (default 1,000).
    pub limit: Option<i64>,
    /// Only deliveries in this status: pending, delivered, failed, cancelled or skipped (the
    /// counts by status still cover every delivery). Paging with `after` keeps to it.
    pub status: Option<String>,
}

/// The event with each delivery's destination, status, reason, route and attempts, a page of
/// deliveries at a time (counts by status cover them all).
#[utoipa::path(get, path = "/api/v1/events/{id}", params(("id" = i64, Path), DeliveryPageQuery),
    responses((status = 200, body = EventDetail), (status = 404),
        (status = 422, description = "invalid_limit, invalid_status")))]
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<DeliveryPageQuery>,
) -> Result<ApiJson<EventDetail>, ApiError> {
    let id = parse_id(&id, "event")?;
    let limit = q.limit.unwrap_or(DeliveryPage::MAX);
    if !(1..=DeliveryPage::MAX).contains(&limit) {
        return Err(ApiError::unprocessable(
            "invalid_limit",
            format!("`limit` must be 1 to {}; got {limit}", DeliveryPage::MAX),
        ));
    }
    let status = super::event_log::nonempty(&q.status)
        .map(super::event_log::parse_status)
        .transpose()?;
    let page = DeliveryPage {
        after: q.after.unwrap_or(0),
        limit,
        status,
    };
    let ev = state
        .store
        .event_detail(auth.id(), id, page)
        .await?
        .ok_or_else(|| ApiError::not_found("event"))?;
    Ok(ApiJson(ev))
}
