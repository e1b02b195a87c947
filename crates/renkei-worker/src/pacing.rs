//! A lane's pacing, decided without a database: which queued deliveries may start now (only
//! a room's oldest, one at a time per room, within the credential's and the room's windows,
//! not while the connection or the room rests, not before their retry time), and what an
//! answer does to those windows and rests.
//!
//! Time is tokio's, so tests run it paused and advance it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use renkei_core::ratelimit::{ProviderBudget, SlidingWindow};
use renkei_providers::{LaneLimits, SendResult};
use tokio::time::Instant;

use crate::outcome::Verdict;

/// One queued delivery as pacing sees it; a lane lists them oldest first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate<'a> {
    pub id: i64,
    pub room: &'a str,
    /// Wall-clock milliseconds (as stored) before which it must not be tried.
    pub next_attempt_at: i64,
}

pub(crate) struct Pacing {
    credential_window: Option<SlidingWindow<Instant>>,
    /// What the provider's headers say is left for the credential.
    budget: ProviderBudget<Instant>,
    per_room: Option<(u32, Duration)>,
    room_windows: HashMap<String, SlidingWindow<Instant>>,
    /// Rooms resting because the provider said they post too fast.
    room_paused: HashMap<String, Instant>,
    /// The whole connection waits (its token's limit, or a pause another node recorded).
    paused_until: Option<Instant>,
    /// Rooms with a send in flight.
    busy_rooms: HashSet<String>,
}

impl Pacing {
    pub fn new(limits: LaneLimits) -> Self {
        Pacing {
            credential_window: limits.per_credential.map(|(n, w)| SlidingWindow::new(n, w)),
            budget: ProviderBudget::default(),
            per_room: limits.per_room,
            room_windows: HashMap::new(),
            room_paused: HashMap::new(),
            paused_until: None,
            busy_rooms: HashSet::new(),
        }
    }

    /// The connection's stored pause (wall-clock ms), when it is still ahead.
    pub fn pause_until_wall(&mut self, until_ms: i64, now: Instant, now_wall: i64) {
        if until_ms > now_wall {
            self.paused_until = Some(now + Duration::from_millis((until_ms - now_wall) as u64));
        }
    }

    /// Picks, oldest first and at most `capacity`, the deliveries that may start now, and
    /// counts them as started (their rooms busy, their windows used). Also returns when the
    /// next one held back may go (`None`: nothing waits on time, only on answers).
    pub fn pick<'a>(
        &mut self,
        queue: impl IntoIterator<Item = Candidate<'a>>,
        capacity: usize,
        now: Instant,
        now_wall: i64,
    ) -> (Vec<i64>, Option<Instant>) {
        if let Some(p) = self.paused_until {
            if p > now {
                return (Vec::new(), Some(p));
            }
            self.paused_until = None;
        }
        let mut next: Option<Instant> = None;
        let mut earliest = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        let mut heads_seen: HashSet<&str> = HashSet::new();
        let mut to_start = Vec::new();
        for d in queue {
            if to_start.len() >= capacity {
                break;
            }
            // Only a room's oldest delivery may go: order per room.
            if !heads_seen.insert(d.room) || self.busy_rooms.contains(d.room) {
                continue;
            }
            if d.next_attempt_at > now_wall {
                earliest(now + Duration::from_millis((d.next_attempt_at - now_wall) as u64));
                continue;
            }
            if let Some(&until) = self.room_paused.get(d.room) {
                if until > now {
                    earliest(until);
                    continue;
                }
            }
            if let Some(w) = &mut self.credential_window {
                if let Some(t) = w.wait_until(now).or_else(|| self.budget.wait_until(now)) {
                    earliest(t);
                    break;
                }
            }
            if let Some((n, win)) = self.per_room {
                let w = self
                    .room_windows
                    .entry(d.room.to_string())
                    .or_insert_with(|| SlidingWindow::new(n, win));
                if let Some(t) = w.wait_until(now) {
                    earliest(t);
                    continue;
                }
                w.start();
            }
            if let Some(w) = &mut self.credential_window {
                w.start();
                self.budget.start();
            }
            self.busy_rooms.insert(d.room.to_string());
            to_start.push(d.id);
        }
        (to_start, next)
    }

    /// A send into `room` was answered at `answered` (or never reached the provider): its
    /// room is free again, the windows count it, the provider's rate headers are taken in,
    /// and the verdict's rests begin.
    pub fn answered(
        &mut self,
        room: &str,
        res: &SendResult,
        verdict: &Verdict,
        answered: Instant,
        now_wall: i64,
        still_in_flight: usize,
    ) {
        self.busy_rooms.remove(room);
        let room_window = self.room_windows.get_mut(room);
        if res.reached_provider {
            if let Some(w) = room_window {
                w.finish(answered);
            }
            if let Some(w) = &mut self.credential_window {
                w.finish(answered);
                if let Some(r) = res.rate {
                    let reset_in =
                        Duration::from_millis((r.reset_unix * 1000 - now_wall).max(0) as u64);
                    self.budget.observe(
                        r.remaining,
                        r.reset_unix,
                        answered + reset_in,
                        still_in_flight,
                    );
                }
            }
        } else {
            if let Some(w) = room_window {
                w.abandon();
            }
            if let Some(w) = &mut self.credential_window {
                w.abandon();
            }
        }
        if let Some(rest) = verdict.room_rest {
            self.room_paused.insert(room.to_string(), answered + rest);
        }
        if let Some(until_ms) = verdict.pause_until_ms {
            self.paused_until =
                Some(answered + Duration::from_millis((until_ms - now_wall).max(0) as u64));
        }
    }
}

#[cfg(test)]
#[path = "pacing_tests.rs"]
mod tests;
