//! Sliding-window limits, used client-side so renkei stays under each provider's limits
//! instead of learning them from 429s.
//!
//! Each send is recorded at the moment its *response* arrived, and a new send is allowed
//! when fewer than `limit` responses arrived in the last `window`. Since the provider
//! received every earlier request before we got its response, and receives the new one
//! after we send it, the provider can never count more than `limit` in any window of its own,
//! whatever the network latency.
//!
//! Both types work on any monotonic instant (`I`): `std::time::Instant` by default, or the
//! worker's `tokio::time::Instant`, whose clock tests can pause and advance. Core stays free
//! of tokio.

use std::collections::VecDeque;
use std::ops::Add;
use std::time::{Duration, Instant};

/// What the limits need of an instant: order, and adding a duration.
pub trait Moment: Copy + Ord + Add<Duration, Output = Self> {}
impl<T: Copy + Ord + Add<Duration, Output = T>> Moment for T {}

#[derive(Debug, Clone)]
pub struct SlidingWindow<I = Instant> {
    limit: usize,
    window: Duration,
    /// Completed sends inside the window, oldest first.
    done: VecDeque<I>,
    /// Sends started but not answered yet; they count against the limit too.
    in_flight: usize,
}

impl<I: Moment> SlidingWindow<I> {
    pub fn new(limit: u32, window: Duration) -> Self {
        SlidingWindow {
            limit: limit.max(1) as usize,
            window,
            done: VecDeque::new(),
            in_flight: 0,
        }
    }

    fn prune(&mut self, now: I) {
        while let Some(&t) = self.done.front() {
            if t + self.window <= now {
                self.done.pop_front();
            } else {
                break;
            }
        }
    }

    /// `None` when a send may start now, else the instant at which one may.
    /// With everything in flight the answer is unknown until a response arrives: then
    /// this returns `now + window` as an upper bound and the caller re-checks on completion.
    pub fn wait_until(&mut self, now: I) -> Option<I> {
        self.prune(now);
        if self.done.len() + self.in_flight < self.limit {
            return None;
        }
        let over = self.done.len() + self.in_flight - self.limit;
        Some(
            self.done
                .get(over)
                .map_or(now + self.window, |t| *t + self.window),
        )
    }

    pub fn start(&mut self) {
        self.in_flight += 1;
    }

    pub fn finish(&mut self, answered_at: I) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.done.push_back(answered_at);
    }

    /// A send that never reached the provider (connection refused): it does not count.
    pub fn abandon(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

/// The provider's own count of what is left of the credential's window, from its response
/// headers. It sees requests renkei's window cannot (the `/me` check at connect time, other
/// applications sharing the token), so a lane obeys both.
#[derive(Debug, Clone)]
pub struct ProviderBudget<I = Instant> {
    /// Sends left in the provider's current window, as best known; `None` = unknown.
    left: Option<i64>,
    reset_unix: i64,
    reset_at: Option<I>,
}

// By hand: a derived `Default` would require `I: Default`, which instants are not.
impl<I> Default for ProviderBudget<I> {
    fn default() -> Self {
        ProviderBudget {
            left: None,
            reset_unix: 0,
            reset_at: None,
        }
    }
}

impl<I: Moment> ProviderBudget<I> {
    /// A response said `remaining` are left until `reset_unix` (reached at `reset_at`).
    /// Requests still in flight may or may not be counted in it: assume they are not.
    pub fn observe(&mut self, remaining: u32, reset_unix: i64, reset_at: I, in_flight: usize) {
        if reset_unix < self.reset_unix {
            return; // a late answer from an earlier window
        }
        let fresh = i64::from(remaining) - in_flight as i64;
        // Answers arrive out of order: within one window a stale (higher) count must not
        // raise the estimate, so keep the lowest.
        self.left = match self.left {
            Some(l) if reset_unix == self.reset_unix => Some(l.min(fresh)),
            _ => Some(fresh),
        };
        self.reset_unix = reset_unix;
        self.reset_at = Some(reset_at);
    }

    pub fn start(&mut self) {
        if let Some(l) = &mut self.left {
            *l -= 1;
        }
    }

    /// `None` when the provider's count allows a send now, else when its window resets.
    pub fn wait_until(&mut self, now: I) -> Option<I> {
        match (self.left, self.reset_at) {
            (Some(l), Some(reset)) if l <= 0 => {
                if now >= reset {
                    self.left = None; // a new window: unknown until the next answer
                    None
                } else {
                    Some(reset)
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_limit_then_waits_for_the_oldest_to_leave() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(3, Duration::from_secs(10));
        for i in 0..3 {
            assert_eq!(w.wait_until(t0), None);
            w.start();
            w.finish(t0 + Duration::from_secs(i));
        }
        assert_eq!(
            w.wait_until(t0 + Duration::from_secs(3)),
            Some(t0 + Duration::from_secs(10))
        );
        assert_eq!(w.wait_until(t0 + Duration::from_secs(10)), None);
    }

    #[test]
    fn in_flight_sends_count() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(2, Duration::from_secs(1));
        w.start();
        w.start();
        assert!(w.wait_until(t0).is_some());
        w.abandon();
        assert_eq!(w.wait_until(t0), None);
    }

    #[test]
    fn provider_budget_counts_what_renkei_cannot_see() {
        let t0 = Instant::now();
        let reset = t0 + Duration::from_secs(60);
        let mut b = ProviderBudget::default();
        assert_eq!(b.wait_until(t0), None, "unknown budget does not block");
        // Someone else used the window: 3 left, one of ours still in flight.
        b.observe(3, 1_000, reset, 1);
        b.start();
        assert_eq!(b.wait_until(t0), None);
        b.start();
        assert_eq!(b.wait_until(t0), Some(reset));
        // A late answer from the previous window changes nothing, nor does a stale one
        // (higher count) from this window.
        b.observe(250, 999, t0, 0);
        b.observe(2, 1_000, reset, 0);
        assert_eq!(b.wait_until(t0), Some(reset));
        // After the reset the budget is unknown again, and a fresh answer sets it.
        assert_eq!(b.wait_until(reset), None);
        b.observe(299, 1_060, reset + Duration::from_secs(60), 0);
        assert_eq!(b.wait_until(reset), None);
    }
}
