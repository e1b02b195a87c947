//! What the fake remembers: every request (with the status it got), every posted
//! message, and the faults still waiting to be injected.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use serde::Serialize;

use super::world::RoomStats;

/// Oldest entries are dropped past this, so a long benchmark cannot exhaust memory.
pub(crate) const LOG_CAP: usize = 1_000_000;

/// One request as the fake saw it. The token is never kept, only its last 4 characters.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Query string; values of parameters whose name contains "token" are masked.
    pub query: Option<String>,
    /// Last 4 characters of the API token or OAuth bearer token.
    pub token_last4: Option<String>,
    /// `token` (`X-ChatWorkToken`), `bearer` (OAuth access token) or `basic` (OAuth client
    /// at the token endpoint); `None` when the request had no credential.
    pub auth_scheme: Option<String>,
    pub content_type: Option<String>,
    /// The form fields, if the body was `application/x-www-form-urlencoded`.
    pub form: Vec<(String, String)>,
    pub status: u16,
    /// Unix milliseconds at arrival.
    pub received_at_ms: u128,
    /// The `errors[0]` text (OAuth: `error_description`) answered, if any.
    pub error: Option<String>,
}

/// A message accepted by `POST /rooms/{room_id}/messages`.
#[derive(Clone, Debug, Serialize)]
pub struct PostedMessage {
    pub message_id: String,
    pub room_id: i64,
    pub account_id: i64,
    pub body: String,
    pub self_unread: bool,
    pub received_at_ms: u128,
}

/// The request log plus per-status counters (which survive the log's cap).
pub(crate) struct Journal {
    log: Mutex<VecDeque<RecordedRequest>>,
    /// Indexed by status code; statuses are 100..=999 in `http`.
    by_status: Box<[AtomicUsize]>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            log: Mutex::new(VecDeque::new()),
            by_status: (0..1000).map(|_| AtomicUsize::new(0)).collect(),
        }
    }
}

impl Journal {
    pub(crate) fn record(&self, req: RecordedRequest) {
        if let Some(c) = self.by_status.get(usize::from(req.status)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let mut log = self.log.lock();
        if log.len() >= LOG_CAP {
            log.pop_front();
        }
        log.push_back(req);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.log.lock().iter().cloned().collect()
    }

    pub(crate) fn count_status(&self, status: u16) -> usize {
        self.by_status
            .get(usize::from(status))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Non-zero counters, for `GET /_fake/stats`.
    pub(crate) fn status_counts(&self) -> Vec<(u16, usize)> {
        (0u16..1000)
            .map(|s| (s, self.count_status(s)))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// Chatwork's message ids are strings holding numbers above 2^53, which breaks clients
/// that parse them as f64 / JS numbers. Start well above that.
const FIRST_MESSAGE_ID: u64 = 1_600_000_000_000_000_000;

pub(crate) struct MessageStore {
    all: VecDeque<PostedMessage>,
    stats: HashMap<i64, RoomStats>,
    next_id: u64,
}

impl Default for MessageStore {
    fn default() -> Self {
        MessageStore {
            all: VecDeque::new(),
            stats: HashMap::new(),
            next_id: FIRST_MESSAGE_ID,
        }
    }
}

impl MessageStore {
    /// Stores a message and returns its id; ids follow arrival order.
    pub(crate) fn post(
        &mut self,
        room_id: i64,
        account_id: i64,
        body: String,
        self_unread: bool,
        received_at_ms: u128,
    ) -> String {
        let message_id = self.next_id.to_string();
        self.next_id += 1;
        let s = self.stats.entry(room_id).or_default();
        s.message_num += 1;
        s.last_update_time = i64::try_from(received_at_ms / 1000).unwrap_or(i64::MAX);
        if self.all.len() >= LOG_CAP {
            self.all.pop_front();
        }
        self.all.push_back(PostedMessage {
            message_id: message_id.clone(),
            room_id,
            account_id,
            body,
            self_unread,
            received_at_ms,
        });
        message_id
    }

    pub(crate) fn stats(&self, room_id: i64) -> RoomStats {
        self.stats.get(&room_id).copied().unwrap_or_default()
    }

    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }

    pub(crate) fn list(&self, room_id: Option<i64>) -> Vec<PostedMessage> {
        self.all
            .iter()
            .filter(|m| room_id.is_none_or(|r| m.room_id == r))
            .cloned()
            .collect()
    }
}

/// Which requests a fault rule hits.
pub(crate) enum FaultTarget {
    /// `POST /v2/rooms/{room_id}/messages`.
    PostMessages,
    /// Any method, any path containing this text.
    PathContains(String),
}

struct FaultRule {
    target: FaultTarget,
    remaining: usize,
    status: u16,
}

/// Faults waiting to be injected, consumed first-added first.
#[derive(Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<FaultRule>>,
    /// Total `remaining` over all rules: lets the hot path skip the lock when idle.
    pending: AtomicUsize,
}

impl Faults {
    pub(crate) fn add(&self, target: FaultTarget, count: usize, status: u16) {
        if count == 0 {
            return;
        }
        let mut rules = self.rules.lock();
        rules.push(FaultRule {
            target,
            remaining: count,
            status,
        });
        self.pending.fetch_add(count, Ordering::Release);
    }

    /// Drops every fault still queued (the provider "recovers").
    pub(crate) fn clear(&self) {
        let mut rules = self.rules.lock();
        rules.clear();
        self.pending.store(0, Ordering::Release);
    }

    /// The status to answer instead, if a rule matches this request (and uses it up).
    pub(crate) fn take(&self, path: &str, is_post_message: bool) -> Option<u16> {
        if self.pending.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.rules.lock();
        let i = rules.iter().position(|r| match &r.target {
            FaultTarget::PostMessages => is_post_message,
            FaultTarget::PathContains(p) => path.contains(p.as_str()),
        })?;
        let status = rules[i].status;
        rules[i].remaining -= 1;
        if rules[i].remaining == 0 {
            rules.remove(i);
        }
        self.pending.fetch_sub(1, Ordering::Release);
        Some(status)
    }
}
