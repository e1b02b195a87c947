//! Lanes that end without doing anything are not claimed again at once.
//!
//! A lane ends when its queue is empty. If it ends having sent and settled nothing while its
//! connection still has pending deliveries (its provider has no client on this node, the
//! database failed, its deliveries are not due yet), claiming it again at the next scan
//! would start and stop it in a loop. Each such lane waits before its next claim, longer
//! after every fruitless run; new work for the connection (a wake-up) or a productive run
//! clears the wait.

use std::collections::HashMap;
use std::time::Duration;

// tokio's clock, not std's: tests pause and advance it.
use tokio::time::Instant;

const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(crate) struct IdleBackoff {
    waits: HashMap<i64, (Instant, u32)>,
}

impl IdleBackoff {
    /// Records how a lane ended.
    pub fn finished(&mut self, connection: i64, progressed: bool, now: Instant) {
        if progressed {
            self.waits.remove(&connection);
            return;
        }
        let strikes = self.waits.get(&connection).map_or(0, |w| w.1) + 1;
        let wait = FIRST_WAIT
            .saturating_mul(1 << (strikes - 1).min(16))
            .min(LONGEST_WAIT);
        self.waits.insert(connection, (now + wait, strikes));
    }

    /// Whether the connection's lane may be claimed now.
    pub fn may_claim(&self, connection: i64, now: Instant) -> bool {
        self.waits.get(&connection).is_none_or(|w| w.0 <= now)
    }

    /// New deliveries arrived for the connection: its next lane starts without waiting.
    pub fn woken(&mut self, connection: i64) {
        self.waits.remove(&connection);
    }

    /// Forgets connections whose wait ended long ago, so the map stays small.
    pub fn prune(&mut self, now: Instant) {
        self.waits.retain(|_, w| w.0 + LONGEST_WAIT > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fruitless_runs_wait_longer_each_time_up_to_a_minute() {
        let mut b = IdleBackoff::default();
        let t0 = Instant::now();
        assert!(b.may_claim(7, t0));
        b.finished(7, false, t0);
        assert!(!b.may_claim(7, t0));
        assert!(!b.may_claim(7, t0 + Duration::from_millis(999)));
        assert!(b.may_claim(7, t0 + Duration::from_secs(1)));
        b.finished(7, false, t0);
        assert!(!b.may_claim(7, t0 + Duration::from_millis(1999)));
        assert!(b.may_claim(7, t0 + Duration::from_secs(2)));
        for _ in 0..20 {
            b.finished(7, false, t0);
        }
        assert!(!b.may_claim(7, t0 + Duration::from_secs(59)));
        assert!(b.may_claim(7, t0 + LONGEST_WAIT));
        // Other connections are not affected.
        assert!(b.may_claim(8, t0));
    }

    #[test]
    fn progress_or_new_work_clears_the_wait() {
        let mut b = IdleBackoff::default();
        let t0 = Instant::now();
        b.finished(1, false, t0);
        b.finished(2, false, t0);
        b.finished(1, true, t0);
        b.woken(2);
        assert!(b.may_claim(1, t0) && b.may_claim(2, t0));
        // And the next fruitless run starts again from the shortest wait.
        b.finished(1, false, t0);
        assert!(b.may_claim(1, t0 + FIRST_WAIT));
    }

    #[test]
    fn prune_keeps_only_recent_waits() {
        let mut b = IdleBackoff::default();
        let t0 = Instant::now();
        b.finished(1, false, t0);
        b.prune(t0 + Duration::from_secs(2) + LONGEST_WAIT);
        assert!(b.waits.is_empty());
    }
}
