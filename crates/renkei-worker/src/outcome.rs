//! What a provider's answer turns a delivery into (delivered, retried at a time, failed), and
//! what it means for the lane: a room that rests, a connection that waits, credentials that
//! are broken. Decided without a database or a clock of its own: the caller says the time.

use std::time::Duration;

use rand::Rng;
use renkei_core::retry::RetryPolicy;
use renkei_core::routing::why;
use renkei_providers::{SendOutcome, SendResult};
use renkei_store::queue::Completion;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub completion: Completion,
    /// The room rests this long (the provider said it posts too fast).
    pub room_rest: Option<Duration>,
    /// The whole connection waits until this wall-clock ms (its token's limit was reached).
    pub pause_until_ms: Option<i64>,
    /// The credentials were refused: the connection is broken.
    pub broken: bool,
}

/// `attempts`: tries before this one; `first_ms`: when the first try began; `now_ms`: the
/// wall clock when the answer arrived.
pub(crate) fn decide(
    res: &SendResult,
    attempts: i64,
    first_ms: i64,
    now_ms: i64,
    policy: &RetryPolicy,
    rng: &mut impl Rng,
) -> Verdict {
    let now = now_ms;
    let mut retry_at = |after: Option<Duration>, attempts: i64| -> Option<i64> {
        let elapsed = Duration::from_millis((now - first_ms).max(0) as u64);
        let delay = match after {
            Some(a) => {
                Some(policy.clamp_server_wait(a)).filter(|a| elapsed + *a <= policy.give_up_after)
            }
            None => policy.next_delay(attempts as u32 + 1, elapsed, rng),
        };
        delay.map(|d| now + d.as_millis() as i64)
    };
    let error = res.error.clone();
    let mut verdict = Verdict {
        completion: Completion::Delivered { message_id: None },
        room_rest: None,
        pause_until_ms: None,
        broken: false,
    };
    verdict.completion = match &res.outcome {
        SendOutcome::Delivered { message_id } => Completion::Delivered {
            message_id: message_id.clone(),
        },
        SendOutcome::Retry { after } => match retry_at(*after, attempts) {
            Some(at) => Completion::Retry {
                next_attempt_at: at,
                code: res.outcome.code().into(),
                reason: why::text(
                    "will-retry",
                    &[("answer", &error.clone().unwrap_or_default())],
                ),
            },
            None => Completion::Failed {
                code: "retries_exhausted".into(),
                reason: why::text(
                    "gave-up",
                    &[
                        ("duration", &format!("{:?}", policy.give_up_after)),
                        ("answer", &error.clone().unwrap_or_default()),
                    ],
                ),
            },
        },
        SendOutcome::RoomRateLimited { after } => {
            verdict.room_rest = Some(*after);
            Completion::Retry {
                next_attempt_at: now + after.as_millis() as i64,
                code: res.outcome.code().into(),
                reason: why::text("room-rests", &[]),
            }
        }
        SendOutcome::CredentialRateLimited { until_unix } => {
            let until_ms = (until_unix * 1000).max(now + 1000);
            verdict.pause_until_ms = Some(until_ms);
            Completion::Retry {
                next_attempt_at: until_ms,
                code: res.outcome.code().into(),
                reason: match &error {
                    Some(answer) => why::text("connection-waits", &[("answer", answer)]),
                    None => why::text("token-limit", &[]),
                },
            }
        }
        SendOutcome::CredentialRejected => {
            verdict.broken = true;
            Completion::Failed {
                code: "connection_broken".into(),
                reason: why::text(
                    "credentials-refused",
                    &[("answer", &error.clone().unwrap_or_default())],
                ),
            }
        }
        SendOutcome::Refused { code } => Completion::Failed {
            code: (*code).to_string(),
            reason: error.clone().unwrap_or_default(),
        },
        SendOutcome::Permanent => Completion::Failed {
            code: res.outcome.code().into(),
            reason: why::text(
                "destination-refused",
                &[
                    (
                        "status",
                        &res.http_status.map_or("-".into(), |s| s.to_string()),
                    ),
                    ("answer", &error.clone().unwrap_or_default()),
                ],
            ),
        },
    };
    verdict
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
