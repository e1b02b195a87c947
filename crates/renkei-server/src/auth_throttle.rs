//! Throttles API-key guessing: after [`MAX_FAILURES`] refused keys from one client address
//! within [`WINDOW`], that address gets 429 until the window is over, whatever key it sends
//! (answering a right key normally would tell a guesser it hit one).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at once; beyond it the oldest window is dropped, so a flood of
/// addresses costs bounded memory (about 1 MB).
pub const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl Window {
    fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.started) >= WINDOW
    }
}

#[derive(Debug, Default)]
pub struct AuthThrottle {
    windows: Mutex<HashMap<IpAddr, Window>>,
}

/// The address a client is counted under: IPv6 clients usually hold a whole /64, so one
/// counter covers it; IPv4-mapped IPv6 counts as IPv4.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
        },
    }
}

impl AuthThrottle {
    /// How long `client` must wait before its keys are checked again, when it must.
    pub fn blocked_for(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let windows = self.windows.lock();
        let w = windows.get(&client)?;
        (w.failures >= MAX_FAILURES && !w.expired(now))
            .then(|| (w.started + WINDOW).saturating_duration_since(now))
    }

    /// Counts one refused key; returns the failures in the client's current window.
    pub fn record_failure(&self, client: IpAddr, now: Instant) -> u32 {
        let mut windows = self.windows.lock();
        if !windows.contains_key(&client) && windows.len() >= MAX_TRACKED {
            make_room(&mut windows, now);
        }
        let w = windows.entry(client).or_insert(Window {
            started: now,
            failures: 0,
        });
        if w.expired(now) {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures += 1;
        w.failures
    }

    pub fn tracked(&self) -> usize {
        self.windows.lock().len()
    }
}

/// Drops expired windows, and the oldest one if none has expired.
fn make_room(windows: &mut HashMap<IpAddr, Window>, now: Instant) {
    windows.retain(|_, w| !w.expired(now));
    if windows.len() >= MAX_TRACKED {
        if let Some(oldest) = windows
            .iter()
            .min_by_key(|(_, w)| w.started)
            .map(|(k, _)| *k)
        {
            windows.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ten_failures_in_a_minute_block_until_the_minute_is_over() {
        let t = AuthThrottle::default();
        let start = Instant::now();
        let a = ip("192.0.2.1");
        for i in 1..MAX_FAILURES {
            assert_eq!(t.record_failure(a, start), i);
            assert_eq!(t.blocked_for(a, start), None);
        }
        t.record_failure(a, start);
        let later = start + Duration::from_secs(20);
        assert_eq!(t.blocked_for(a, later), Some(Duration::from_secs(40)));
        assert_eq!(
            t.blocked_for(ip("192.0.2.2"), later),
            None,
            "others are not blocked"
        );
        assert_eq!(t.blocked_for(a, start + WINDOW), None);
        assert_eq!(
            t.record_failure(a, start + WINDOW),
            1,
            "a new window starts"
        );
    }

    #[test]
    fn memory_is_bounded() {
        let t = AuthThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 50) {
            t.record_failure(IpAddr::V4(i.into()), now);
        }
        assert_eq!(t.tracked(), MAX_TRACKED);
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_key(ip("192.0.2.7")), ip("192.0.2.7"));
    }
}
