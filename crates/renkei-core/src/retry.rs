//! When to try a failed delivery again, and when to give up.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff with jitter, bounded by a total time since the first attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max_delay: Duration,
    /// After this long since the first attempt the delivery ends `failed`.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    /// About 24 hours of retries: 10 s, 20 s, 40 s, … capped at one hour between tries.
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_secs(10),
            max_delay: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (1 = after the first failure), with
    /// "equal jitter": half the exponential step fixed, half random, so nodes retrying
    /// after one outage do not all come back in the same millisecond.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let step = self.step(attempt);
        let half = step / 2;
        let jitter_ms = rng.gen_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms)
    }

    fn step(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        self.initial.saturating_mul(1u32 << exp).min(self.max_delay)
    }

    /// The delay to wait, or `None` when the next try would fall past `give_up_after`.
    pub fn next_delay(
        &self,
        attempt: u32,
        elapsed_since_first: Duration,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        let d = self.delay(attempt, rng);
        (elapsed_since_first + d <= self.give_up_after).then_some(d)
    }

    /// A server-given wait (Retry-After, a reset time) clamped to something sane.
    pub fn clamp_server_wait(&self, wait: Duration) -> Duration {
        wait.clamp(Duration::from_millis(100), self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn grows_exponentially_with_jitter_and_a_cap() {
        let p = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        for attempt in 1..40 {
            let step = p.step(attempt);
            let d = p.delay(attempt, &mut rng);
            assert!(
                d >= step / 2 && d <= step,
                "attempt {attempt}: {d:?} vs {step:?}"
            );
        }
        assert_eq!(p.step(1), Duration::from_secs(10));
        assert_eq!(p.step(2), Duration::from_secs(20));
        assert_eq!(p.step(30), Duration::from_secs(3600));
    }

    #[test]
    fn default_gives_up_after_about_a_day() {
        let p = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        let mut elapsed = Duration::ZERO;
        let mut attempt = 1;
        while let Some(d) = p.next_delay(attempt, elapsed, &mut rng) {
            elapsed += d;
            attempt += 1;
        }
        assert!(elapsed <= Duration::from_secs(24 * 3600));
        assert!(elapsed >= Duration::from_secs(22 * 3600), "{elapsed:?}");
        assert!((15..60).contains(&attempt), "{attempt}");
    }
}
