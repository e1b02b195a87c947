//! Sliding-window limits, used client-side so renkei stays under each provider's limits
//! instead of learning them from 429s.
//!
//! Each send is recorded at the moment its *response* arrived, and a new send is allowed
//! when fewer than `limit` responses arrived in the last `window`. Since the provider
//! received every earlier request before we got its response, and receives the new one
//! after we send it, the provider can never count more than `limit` in any window of its own,
//! whatever the network latency.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SlidingWindow {
    limit: usize,
    window: Duration,
    /// Completed sends inside the window, oldest first.
    done: VecDeque<Instant>,
    /// Sends started but not answered yet; they count against the limit too.
    in_flight: usize,
}

impl SlidingWindow {
    pub fn new(limit: u32, window: Duration) -> Self {
        SlidingWindow {
            limit: limit.max(1) as usize,
            window,
            done: VecDeque::new(),
            in_flight: 0,
        }
    }

    fn prune(&mut self, now: Instant) {
        while let Some(&t) = self.done.front() {
            if now.saturating_duration_since(t) >= self.window {
                self.done.pop_front();
            } else {
                break;
            }
        }
    }

    /// `None` when a send may start now, else the instant at which one may.
    /// With everything in flight the answer is unknown until a response arrives: then
    /// this returns `now + window` as an upper bound and the caller re-checks on completion.
    pub fn wait_until(&mut self, now: Instant) -> Option<Instant> {
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

    pub fn finish(&mut self, answered_at: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.done.push_back(answered_at);
    }

    /// A send that never reached the provider (connection refused): it does not count.
    pub fn abandon(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The provider says `remaining` sends are left until `reset`: trust it when stricter.
    pub fn sync_remaining(&mut self, now: Instant, remaining: u32, reset: Instant) {
        self.prune(now);
        let used_per_provider = self.limit.saturating_sub(remaining as usize);
        let used_here = self.done.len() + self.in_flight;
        // Pad the log with sends that expire at the provider's reset time.
        let pad_at = reset.checked_sub(self.window).unwrap_or(now).min(now);
        for _ in used_here..used_per_provider {
            self.done.push_front(pad_at);
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
    fn provider_remaining_count_is_respected() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(300, Duration::from_secs(300));
        // Another node used 299 of the window already: only one is left.
        w.sync_remaining(t0, 1, t0 + Duration::from_secs(120));
        assert_eq!(w.wait_until(t0), None);
        w.start();
        w.finish(t0);
        let until = w.wait_until(t0).expect("must wait");
        assert_eq!(until, t0 + Duration::from_secs(120));
    }
}
