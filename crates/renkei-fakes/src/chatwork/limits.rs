//! Chatwork's two rate limits.
//!
//! - Per token: a fixed window that opens at the first request after the previous one
//!   ended; at most `token_limit` requests in it. Reported in `X-RateLimit-*` headers.
//! - Per room: message posts, at most `room_limit` in any sliding `room_window`, whatever
//!   token posts them. Not reported in headers, which is how a client tells them apart.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// What the `X-RateLimit-*` headers say about the token's current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds at which the window ends, rounded up.
    pub reset: u64,
}

/// One token's fixed window.
#[derive(Debug)]
pub(crate) struct TokenWindow {
    ends: Instant,
    ends_unix_ms: u128,
    used: u32,
}

impl TokenWindow {
    /// Counts one request against `window` (opening a new one if `window` is `None` or
    /// over). `Err` means the window is full: that request is refused and not counted.
    pub(crate) fn hit(
        window: &mut Option<TokenWindow>,
        now: Instant,
        now_unix_ms: u128,
        limit: u32,
        length: Duration,
    ) -> Result<RateHeaders, RateHeaders> {
        let w = match window {
            Some(w) if now < w.ends => w,
            _ => window.insert(TokenWindow {
                ends: now + length,
                ends_unix_ms: now_unix_ms + length.as_millis(),
                used: 0,
            }),
        };
        let reset = u64::try_from(w.ends_unix_ms.div_ceil(1000)).unwrap_or(u64::MAX);
        if w.used >= limit {
            return Err(RateHeaders {
                limit,
                remaining: 0,
                reset,
            });
        }
        w.used += 1;
        Ok(RateHeaders {
            limit,
            remaining: limit - w.used,
            reset,
        })
    }
}

/// Accepted message posts per room, oldest first, only those inside the window.
#[derive(Default)]
pub(crate) struct RoomWindows {
    posts: HashMap<i64, VecDeque<Instant>>,
}

impl RoomWindows {
    /// Takes a slot for one post in `room_id`, or `false` if the room is full.
    /// A refused post takes no slot, so a client that keeps retrying still recovers
    /// once the oldest accepted post leaves the window.
    pub(crate) fn try_post(
        &mut self,
        room_id: i64,
        now: Instant,
        limit: u32,
        window: Duration,
    ) -> bool {
        let q = self.posts.entry(room_id).or_default();
        while q.front().is_some_and(|&t| now.duration_since(t) >= window) {
            q.pop_front();
        }
        if q.len() >= limit as usize {
            return false;
        }
        q.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_window_is_fixed_and_refusals_do_not_count() {
        let t0 = Instant::now();
        let len = Duration::from_secs(10);
        let mut w = None;
        let first = TokenWindow::hit(&mut w, t0, 1_000_500, 2, len).unwrap();
        assert_eq!(
            first,
            RateHeaders {
                limit: 2,
                remaining: 1,
                reset: 1011
            }
        );
        let second = TokenWindow::hit(&mut w, t0 + len / 2, 0, 2, len).unwrap();
        assert_eq!(second.remaining, 0);
        assert_eq!(second.reset, 1011, "the window does not slide");
        let refused = TokenWindow::hit(&mut w, t0 + len / 2, 0, 2, len).unwrap_err();
        assert_eq!(refused.remaining, 0);
        let again = TokenWindow::hit(&mut w, t0 + len, 2_000_000, 2, len).unwrap();
        assert_eq!(
            again,
            RateHeaders {
                limit: 2,
                remaining: 1,
                reset: 2010
            }
        );
    }

    #[test]
    fn room_window_slides() {
        let t0 = Instant::now();
        let len = Duration::from_secs(10);
        let mut r = RoomWindows::default();
        assert!(r.try_post(1, t0, 2, len));
        assert!(r.try_post(1, t0 + Duration::from_secs(5), 2, len));
        assert!(!r.try_post(1, t0 + Duration::from_secs(9), 2, len));
        assert!(
            r.try_post(2, t0 + Duration::from_secs(9), 2, len),
            "rooms are separate"
        );
        // The first post has left the window, the second has not.
        assert!(r.try_post(1, t0 + Duration::from_secs(10), 2, len));
        assert!(!r.try_post(1, t0 + Duration::from_secs(14), 2, len));
    }
}
