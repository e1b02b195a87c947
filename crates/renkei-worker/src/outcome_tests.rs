use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use renkei_core::retry::RetryPolicy;
use renkei_providers::{SendOutcome, SendResult};
use renkei_store::queue::Completion;

use super::decide;

const NOW: i64 = 1_700_000_000_000;

fn policy() -> RetryPolicy {
    RetryPolicy {
        initial: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
        give_up_after: Duration::from_secs(60),
    }
}

fn result(outcome: SendOutcome, error: Option<&str>) -> SendResult {
    SendResult {
        outcome,
        http_status: Some(503),
        error: error.map(str::to_string),
        rate: None,
        reached_provider: true,
    }
}

fn retry_at(c: &Completion) -> i64 {
    match c {
        Completion::Retry {
            next_attempt_at, ..
        } => *next_attempt_at,
        other => panic!("expected a retry, got {other:?}"),
    }
}

#[test]
fn a_failed_try_is_retried_later_each_time_then_given_up_after_the_window() {
    let p = policy();
    let mut rng = StdRng::seed_from_u64(3);
    let unavailable = result(SendOutcome::Retry { after: None }, Some("HTTP 503"));
    // Attempt n waits between half and all of min(1 s * 2^(n-1), 8 s).
    for (attempts, step_ms) in [(0, 1_000), (1, 2_000), (3, 8_000), (9, 8_000)] {
        let v = decide(&unavailable, attempts, NOW, NOW, &p, &mut rng);
        let wait = retry_at(&v.completion) - NOW;
        assert!(
            (step_ms / 2..=step_ms).contains(&wait),
            "after {attempts} tries: {wait} ms"
        );
        assert!(!v.broken && v.room_rest.is_none() && v.pause_until_ms.is_none());
    }
    // 57 s after the first try, even the shortest next wait (4 s) would end past 60 s.
    let v = decide(&unavailable, 5, NOW - 57_000, NOW, &p, &mut rng);
    match v.completion {
        Completion::Failed { code, reason } => {
            assert_eq!(code, "retries_exhausted");
            assert!(reason.contains("HTTP 503"), "{reason}");
        }
        other => panic!("expected to give up, got {other:?}"),
    }
}

#[test]
fn a_servers_wait_is_clamped_and_still_bounded_by_the_window() {
    let p = policy();
    let mut rng = StdRng::seed_from_u64(3);
    let asked = |after| result(SendOutcome::Retry { after: Some(after) }, None);
    let v = decide(&asked(Duration::from_millis(5)), 0, NOW, NOW, &p, &mut rng);
    assert_eq!(retry_at(&v.completion), NOW + 100, "at least 100 ms");
    let v = decide(&asked(Duration::from_secs(3600)), 0, NOW, NOW, &p, &mut rng);
    assert_eq!(retry_at(&v.completion), NOW + 8_000, "at most max_delay");
    let v = decide(
        &asked(Duration::from_secs(5)),
        0,
        NOW - 56_000,
        NOW,
        &p,
        &mut rng,
    );
    assert!(matches!(v.completion, Completion::Failed { .. }), "{v:?}");
}

#[test]
fn a_rooms_limit_rests_the_room_and_retries_when_it_ends() {
    let after = Duration::from_millis(2_500);
    let v = decide(
        &result(SendOutcome::RoomRateLimited { after }, None),
        0,
        NOW,
        NOW,
        &policy(),
        &mut StdRng::seed_from_u64(3),
    );
    assert_eq!(v.room_rest, Some(after));
    assert_eq!(v.pause_until_ms, None);
    assert_eq!(retry_at(&v.completion), NOW + 2_500);
}

#[test]
fn a_tokens_limit_pauses_the_connection_at_least_a_second() {
    let token_out = |until_unix| result(SendOutcome::CredentialRateLimited { until_unix }, None);
    let mut rng = StdRng::seed_from_u64(3);
    let v = decide(
        &token_out(NOW / 1000 + 90),
        0,
        NOW,
        NOW,
        &policy(),
        &mut rng,
    );
    assert_eq!(v.pause_until_ms, Some((NOW / 1000 + 90) * 1000));
    assert_eq!(retry_at(&v.completion), (NOW / 1000 + 90) * 1000);
    // A reset already past (clock skew) still waits a second rather than hammering.
    let v = decide(&token_out(NOW / 1000 - 5), 0, NOW, NOW, &policy(), &mut rng);
    assert_eq!(v.pause_until_ms, Some(NOW + 1_000));
}

#[test]
fn refused_credentials_break_the_connection_and_fail_the_delivery() {
    let v = decide(
        &result(SendOutcome::CredentialRejected, Some("invalid token")),
        0,
        NOW,
        NOW,
        &policy(),
        &mut StdRng::seed_from_u64(3),
    );
    assert!(v.broken);
    match v.completion {
        Completion::Failed { code, reason } => {
            assert_eq!(code, "connection_broken");
            assert!(reason.contains("invalid token"), "{reason}");
        }
        other => panic!("expected failed, got {other:?}"),
    }
}

#[test]
fn a_refused_destination_fails_with_its_code() {
    let mut rng = StdRng::seed_from_u64(3);
    let v = decide(
        &result(SendOutcome::Permanent, Some("no such room")),
        2,
        NOW,
        NOW,
        &policy(),
        &mut rng,
    );
    assert!(
        matches!(&v.completion, Completion::Failed { code, reason } if code == "destination_refused" && reason.contains("HTTP 503")),
        "{v:?}"
    );
    let v = decide(
        &result(
            SendOutcome::Refused {
                code: "chatwork_not_a_contact",
            },
            Some("ask them to accept"),
        ),
        0,
        NOW,
        NOW,
        &policy(),
        &mut rng,
    );
    assert_eq!(
        v.completion,
        Completion::Failed {
            code: "chatwork_not_a_contact".into(),
            reason: "ask them to accept".into()
        }
    );
    assert!(!v.broken);
}
