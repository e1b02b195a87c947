//! Pacing on tokio's paused clock: time moves only when a test advances it, so "not yet"
//! and "now" are exact.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use renkei_core::retry::RetryPolicy;
use renkei_providers::{LaneLimits, RateInfo, SendOutcome, SendResult};
use renkei_store::queue::Completion;
use tokio::time::{advance, Instant};

use super::{Candidate, Pacing};
use crate::outcome::{decide, Verdict};

/// An arbitrary wall clock (ms) that tests move together with tokio's.
const WALL0: i64 = 1_700_000_000_000;

struct Clock {
    t0: Instant,
}

impl Clock {
    fn start() -> Self {
        Clock { t0: Instant::now() }
    }
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> i64 {
        WALL0 + self.t0.elapsed().as_millis() as i64
    }
    fn at_ms(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }
}

fn q(id: i64, room: &'static str) -> Candidate<'static> {
    Candidate {
        id,
        room,
        next_attempt_at: 0,
    }
}

fn limits(credential: Option<(u32, u64)>, room: Option<(u32, u64)>) -> LaneLimits {
    LaneLimits {
        per_credential: credential.map(|(n, ms)| (n, Duration::from_millis(ms))),
        per_room: room.map(|(n, ms)| (n, Duration::from_millis(ms))),
    }
}

fn answer(outcome: SendOutcome) -> SendResult {
    SendResult {
        outcome,
        http_status: Some(200),
        error: None,
        rate: None,
        reached_provider: true,
    }
}

fn delivered() -> SendResult {
    answer(SendOutcome::Delivered { message_id: None })
}

/// The verdict a lane would reach for `res` on a first try now.
fn verdict(res: &SendResult, clock: &Clock) -> Verdict {
    let wall = clock.wall();
    decide(
        res,
        0,
        wall,
        wall,
        &RetryPolicy::default(),
        &mut StdRng::seed_from_u64(1),
    )
}

/// Reports `res` for a send into `room` answered now.
fn answered(p: &mut Pacing, room: &str, res: &SendResult, clock: &Clock) -> Verdict {
    let v = verdict(res, clock);
    p.answered(room, res, &v, clock.now(), clock.wall(), 0);
    v
}

#[tokio::test(start_paused = true)]
async fn only_a_rooms_oldest_goes_and_the_next_waits_for_its_answer() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(None, None));
    let queue = [q(1, "a"), q(2, "a"), q(3, "b"), q(4, "b"), q(5, "c")];
    let (started, next) = p.pick(queue, 10, clock.now(), clock.wall());
    assert_eq!(started, vec![1, 3, 5]);
    assert_eq!(next, None, "nothing waits on time");
    // Rooms a and b are busy: their second deliveries stay queued, however often asked.
    let rest = [q(2, "a"), q(4, "b")];
    assert_eq!(
        p.pick(rest, 10, clock.now(), clock.wall()).0,
        Vec::<i64>::new()
    );
    answered(&mut p, "b", &delivered(), &clock);
    assert_eq!(p.pick(rest, 10, clock.now(), clock.wall()).0, vec![4]);
}

#[tokio::test(start_paused = true)]
async fn capacity_caps_the_sends_started_at_once() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(None, None));
    let queue = [q(1, "a"), q(2, "b"), q(3, "c")];
    assert_eq!(p.pick(queue, 2, clock.now(), clock.wall()).0, vec![1, 2]);
    assert_eq!(
        p.pick([q(3, "c")], 0, clock.now(), clock.wall()).0,
        Vec::<i64>::new()
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_for_its_time_and_holds_its_room_meanwhile() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(None, None));
    let later = Candidate {
        next_attempt_at: clock.wall() + 1_500,
        ..q(1, "a")
    };
    let queue = [later, q(2, "a"), q(3, "b")];
    let (started, next) = p.pick(queue, 10, clock.now(), clock.wall());
    // Delivery 2 does not overtake the retry ahead of it in room a.
    assert_eq!(started, vec![3]);
    assert_eq!(next, Some(clock.at_ms(1_500)));
    advance(Duration::from_millis(1_499)).await;
    let queue = [later, q(2, "a")];
    assert_eq!(
        p.pick(queue, 10, clock.now(), clock.wall()).0,
        Vec::<i64>::new()
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(p.pick(queue, 10, clock.now(), clock.wall()).0, vec![1]);
}

#[tokio::test(start_paused = true)]
async fn a_rooms_window_holds_that_room_until_its_oldest_answer_leaves() {
    let clock = Clock::start();
    // One post per room per second.
    let mut p = Pacing::new(limits(None, Some((1, 1_000))));
    assert_eq!(
        p.pick([q(1, "a")], 10, clock.now(), clock.wall()).0,
        vec![1]
    );
    advance(Duration::from_millis(200)).await;
    answered(&mut p, "a", &delivered(), &clock);
    let (started, next) = p.pick([q(2, "a"), q(3, "b")], 10, clock.now(), clock.wall());
    assert_eq!(started, vec![3], "other rooms are not held back");
    // The window counts from the answer (200 ms), not from the start.
    assert_eq!(next, Some(clock.at_ms(1_200)));
    advance(Duration::from_millis(999)).await;
    assert_eq!(
        p.pick([q(2, "a")], 10, clock.now(), clock.wall()).0,
        Vec::<i64>::new()
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(
        p.pick([q(2, "a")], 10, clock.now(), clock.wall()).0,
        vec![2]
    );
}

#[tokio::test(start_paused = true)]
async fn the_credentials_window_holds_every_room() {
    let clock = Clock::start();
    // Two requests per 10 s for the whole token.
    let mut p = Pacing::new(limits(Some((2, 10_000)), None));
    let queue = [q(1, "a"), q(2, "b"), q(3, "c")];
    let (started, next) = p.pick(queue, 10, clock.now(), clock.wall());
    assert_eq!(started, vec![1, 2]);
    // Both still in flight: the upper bound is a whole window, re-checked on an answer.
    assert_eq!(next, Some(clock.at_ms(10_000)));
    advance(Duration::from_millis(300)).await;
    answered(&mut p, "a", &delivered(), &clock);
    answered(&mut p, "b", &delivered(), &clock);
    let (started, next) = p.pick([q(3, "c")], 10, clock.now(), clock.wall());
    assert!(started.is_empty());
    assert_eq!(next, Some(clock.at_ms(10_300)));
    advance(Duration::from_millis(10_000)).await;
    assert_eq!(
        p.pick([q(3, "c")], 10, clock.now(), clock.wall()).0,
        vec![3]
    );
}

#[tokio::test(start_paused = true)]
async fn a_send_that_never_reached_the_provider_uses_no_window() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(Some((1, 10_000)), Some((1, 10_000))));
    assert_eq!(
        p.pick([q(1, "a")], 10, clock.now(), clock.wall()).0,
        vec![1]
    );
    let refused = SendResult {
        reached_provider: false,
        ..answer(SendOutcome::Retry { after: None })
    };
    let v = verdict(&refused, &clock);
    p.answered("a", &refused, &v, clock.now(), clock.wall(), 0);
    assert_eq!(
        p.pick([q(2, "a")], 10, clock.now(), clock.wall()).0,
        vec![2]
    );
}

#[tokio::test(start_paused = true)]
async fn the_providers_count_of_zero_left_waits_for_its_reset() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(Some((300, 300_000)), None));
    assert_eq!(
        p.pick([q(1, "a")], 10, clock.now(), clock.wall()).0,
        vec![1]
    );
    // Another application used the token up: the headers say 0 left, reset in 4 s.
    let reset_unix = (clock.wall() + 4_000) / 1000;
    let used_up = SendResult {
        rate: Some(RateInfo {
            limit: 300,
            remaining: 0,
            reset_unix,
        }),
        ..delivered()
    };
    answered(&mut p, "a", &used_up, &clock);
    let reset_at = clock.at_ms((reset_unix * 1000 - WALL0) as u64);
    let (started, next) = p.pick([q(2, "b")], 10, clock.now(), clock.wall());
    assert!(started.is_empty());
    assert_eq!(next, Some(reset_at));
    advance(reset_at - clock.now()).await;
    assert_eq!(
        p.pick([q(2, "b")], 10, clock.now(), clock.wall()).0,
        vec![2]
    );
}

#[tokio::test(start_paused = true)]
async fn a_tokens_429_pauses_every_room_until_its_reset() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(None, None));
    assert_eq!(
        p.pick([q(1, "a")], 10, clock.now(), clock.wall()).0,
        vec![1]
    );
    let until_unix = (clock.wall() + 60_000) / 1000;
    let v = answered(
        &mut p,
        "a",
        &answer(SendOutcome::CredentialRateLimited { until_unix }),
        &clock,
    );
    let until_ms = until_unix * 1000;
    assert_eq!(v.pause_until_ms, Some(until_ms));
    assert!(
        matches!(v.completion, Completion::Retry { next_attempt_at, .. } if next_attempt_at == until_ms)
    );
    let resume = clock.at_ms((until_ms - WALL0) as u64);
    let (started, next) = p.pick([q(2, "b")], 10, clock.now(), clock.wall());
    assert!(started.is_empty(), "room b waits too");
    assert_eq!(next, Some(resume));
    advance(resume - clock.now() - Duration::from_millis(1)).await;
    assert!(p
        .pick([q(2, "b")], 10, clock.now(), clock.wall())
        .0
        .is_empty());
    advance(Duration::from_millis(1)).await;
    assert_eq!(
        p.pick([q(2, "b")], 10, clock.now(), clock.wall()).0,
        vec![2]
    );
}

#[tokio::test(start_paused = true)]
async fn a_rooms_429_rests_only_that_room() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(None, None));
    assert_eq!(
        p.pick([q(1, "a")], 10, clock.now(), clock.wall()).0,
        vec![1]
    );
    let after = Duration::from_millis(2_000);
    let v = answered(
        &mut p,
        "a",
        &answer(SendOutcome::RoomRateLimited { after }),
        &clock,
    );
    assert_eq!((v.room_rest, v.pause_until_ms), (Some(after), None));
    // Even a delivery already due (say, stored by an older version) waits for the rest.
    let retry = q(1, "a");
    let (started, next) = p.pick([retry, q(2, "b")], 10, clock.now(), clock.wall());
    assert_eq!(started, vec![2]);
    assert_eq!(next, Some(clock.at_ms(2_000)));
    advance(after).await;
    assert_eq!(p.pick([retry], 10, clock.now(), clock.wall()).0, vec![1]);
}

#[tokio::test(start_paused = true)]
async fn a_pause_stored_by_another_node_holds_the_lane_until_then() {
    let clock = Clock::start();
    let mut p = Pacing::new(limits(None, None));
    // A pause already over changes nothing.
    p.pause_until_wall(clock.wall() - 1, clock.now(), clock.wall());
    assert_eq!(
        p.pick([q(1, "a")], 10, clock.now(), clock.wall()).0,
        vec![1]
    );
    p.pause_until_wall(clock.wall() + 750, clock.now(), clock.wall());
    let (started, next) = p.pick([q(2, "b")], 10, clock.now(), clock.wall());
    assert!(started.is_empty());
    assert_eq!(next, Some(clock.at_ms(750)));
    advance(Duration::from_millis(750)).await;
    assert_eq!(
        p.pick([q(2, "b")], 10, clock.now(), clock.wall()).0,
        vec![2]
    );
}
