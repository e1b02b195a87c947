//! "Send me a test notice": a real notice through renkei's queue, to one member only, on one
//! tool. It is routed like a direct notice to that member (a DM through the tenant's bot,
//! and the member's own connections) and keeps only that tool's paths, so nobody else's
//! room ever gets it. The event is of kind `test_notice`, so the delivery log shows it as
//! what it is.

use renkei_core::model::Provider;
use renkei_core::routing::{Outcome, Planned};
use renkei_store::directory::Member;
use renkei_store::events::{DeliveryPage, EventDetail, NewEvent};
use serde_json::json;

use crate::api::events::{route, EventBody, To};
use crate::console::i18n::Tr;
use crate::error::ApiError;
use crate::pages::Lang;
use crate::AppState;

pub const TEST_KIND: &str = "test_notice";
pub const TEST_TYPE: &str = "renkei.test";

/// Queues a test notice to `member` through `provider`; returns the event's ID. 422
/// `nothing_to_test` (saying why) when no path of that tool reaches the member.
pub async fn send(
    state: &AppState,
    tenant: i64,
    member: &Member,
    provider: Provider,
    lang: Lang,
) -> Result<i64, ApiError> {
    let tr = Tr::new(lang);
    let title = tr.with("ss-test-title", "tool", provider.display_name());
    let body = tr.with("ss-test-body", "name", &member.name);
    let ev = EventBody {
        event_type: TEST_TYPE.into(),
        idempotency_key: None,
        to: To {
            members: vec![member.external_id.clone()],
            ..To::default()
        },
        title: title.clone(),
        body: body.clone(),
        url: None,
        delivery: Some("direct".into()),
        thread_key: None,
    };
    let mut routed = route(state, tenant, std::slice::from_ref(&ev)).await?;
    let (planned, _) = routed.pop().expect("one event routed");
    let (sends, others): (Vec<Planned>, Vec<Planned>) = planned
        .into_iter()
        .filter(|p| p.provider == Some(provider))
        .partition(|p| matches!(p.outcome, Outcome::Send { .. }));
    if sends.is_empty() {
        let why: Vec<String> = others
            .iter()
            .flat_map(|p| p.reasons.last().cloned())
            .collect();
        let why = if why.is_empty() {
            format!(
                "member {} has no {provider} link: connect their own {} or set their {provider} ID where the tenant has a {provider} bot",
                member.external_id,
                provider.display_name()
            )
        } else {
            why.join("; ")
        };
        return Err(ApiError::unprocessable(
            "nothing_to_test",
            format!(
                "no {provider} path reaches member {}: {why}",
                member.external_id
            ),
        ));
    }
    let event = NewEvent {
        kind: TEST_KIND,
        event_type: TEST_TYPE.into(),
        idempotency_key: None,
        targets_json: json!({"members": [member.external_id], "provider": provider.as_str()})
            .to_string(),
        title,
        body,
        url: None,
        link_expires_at: None,
        thread_key: None,
        planned: sends,
    };
    let accepted = state.intake.submit(tenant, vec![event]).await?;
    let accepted = accepted
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("the test notice was not stored"))?;
    state.wake_lanes(&accepted.connections).await?;
    Ok(accepted.id)
}

/// The test notice `event` if it is one, and only that member's: a session never sees
/// another member's test (the event's every delivery must be for `member`).
pub async fn load(
    state: &AppState,
    tenant: i64,
    member_ext: &str,
    event: i64,
) -> Result<Option<EventDetail>, ApiError> {
    let Some(ev) = state
        .store
        .event_detail(tenant, event, DeliveryPage::default())
        .await?
    else {
        return Ok(None);
    };
    let target = format!("member:{member_ext}");
    let mine = ev.kind == TEST_KIND
        && !ev.deliveries.is_empty()
        && ev.deliveries.iter().all(|d| d.target == target);
    Ok(mine.then_some(ev))
}
