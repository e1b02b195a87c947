//! Pieces every fake shares: a request log, fault injection, a delay, rate windows, and
//! serving on a local port. Each provider's fake keeps its own world and answers.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::Serialize;
use tokio::task::JoinHandle;

/// Oldest entries are dropped past this, so a long benchmark cannot exhaust memory.
pub const LOG_CAP: usize = 200_000;

/// One request as a fake saw it. Secrets are masked: an `Authorization` header and any
/// query value whose name contains `token`, `sig` or `key` keep only their last 4 chars.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case header names with their values (masked as above).
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8).
    pub body: String,
    pub status: u16,
    pub received_at_ms: u128,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body parsed as a form.
    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(&self.body).unwrap_or_default()
    }
}

/// Masks all but the last 4 characters.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("***{tail}")
}

fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("token") || n.contains("sig") || n.contains("key") || n == "authorization"
}

/// A query string with secret values masked.
pub fn masked_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if secret_name(k) => format!("{k}={}", mask(v)),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The request log.
#[derive(Default)]
pub struct Journal {
    log: Mutex<VecDeque<Recorded>>,
}

impl Journal {
    /// Records a request and the status it got.
    pub fn record(
        &self,
        method: &axum::http::Method,
        uri: &axum::http::Uri,
        headers: &axum::http::HeaderMap,
        body: &[u8],
        status: u16,
    ) {
        let headers = headers
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).to_string();
                let v = if secret_name(k.as_str()) { mask(&v) } else { v };
                (k.as_str().to_string(), v)
            })
            .collect();
        let entry = Recorded {
            method: method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().map(masked_query),
            headers,
            body: String::from_utf8_lossy(body).to_string(),
            status,
            received_at_ms: unix_ms(),
        };
        let mut log = self.log.lock();
        if log.len() >= LOG_CAP {
            log.pop_front();
        }
        log.push_back(entry);
    }

    pub fn all(&self) -> Vec<Recorded> {
        self.log.lock().iter().cloned().collect()
    }

    pub fn count_status(&self, status: u16) -> usize {
        self.log
            .lock()
            .iter()
            .filter(|r| r.status == status)
            .count()
    }
}

struct FaultRule {
    path_contains: Option<String>,
    remaining: usize,
    status: u16,
}

/// Faults waiting to be injected, consumed first-added first.
#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
    delay_us: AtomicU64,
}

impl Faults {
    /// The next `count` requests (whose path contains `path_contains`, if given) answer
    /// `status` in the provider's error shape.
    pub fn fail_next(&self, path_contains: Option<&str>, count: usize, status: u16) {
        if count > 0 {
            self.rules.lock().push(FaultRule {
                path_contains: path_contains.map(str::to_string),
                remaining: count,
                status,
            });
        }
    }

    pub fn clear(&self) {
        self.rules.lock().clear();
    }

    /// The status to answer instead, if a rule matches `path` (and uses it up).
    pub fn take(&self, path: &str) -> Option<u16> {
        let mut rules = self.rules.lock();
        let i = rules
            .iter()
            .position(|r| r.path_contains.as_deref().is_none_or(|p| path.contains(p)))?;
        let status = rules[i].status;
        rules[i].remaining -= 1;
        if rules[i].remaining == 0 {
            rules.remove(i);
        }
        Some(status)
    }

    /// Every answer waits this long (after the request was handled, like a response lost
    /// on the way back: a client that times out and retries has already been served once).
    pub fn set_delay(&self, delay: Duration) {
        let us = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.delay_us.store(us, Ordering::Relaxed);
    }

    pub async fn apply_delay(&self) {
        let us = self.delay_us.load(Ordering::Relaxed);
        if us > 0 {
            tokio::time::sleep(Duration::from_micros(us)).await;
        }
    }
}

/// Fixed windows per key (a token, a webhook, a space): `limit` requests per `window`.
pub struct FixedWindows {
    pub limit: u32,
    pub window: Duration,
    state: Mutex<HashMap<String, (Instant, u32)>>,
}

/// The window's state after a request was counted (or refused).
#[derive(Debug, Clone, Copy)]
pub struct WindowState {
    pub allowed: bool,
    pub remaining: u32,
    /// Time until the window resets.
    pub reset_in: Duration,
}

impl FixedWindows {
    pub fn new(limit: u32, window: Duration) -> Self {
        FixedWindows {
            limit,
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key` unless the window is full.
    pub fn hit(&self, key: &str) -> WindowState {
        let now = Instant::now();
        let mut state = self.state.lock();
        let entry = state.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let reset_in = self.window.saturating_sub(now.duration_since(entry.0));
        if entry.1 >= self.limit {
            return WindowState {
                allowed: false,
                remaining: 0,
                reset_in,
            };
        }
        entry.1 += 1;
        WindowState {
            allowed: true,
            remaining: self.limit - entry.1,
            reset_in,
        }
    }
}

/// A fake served on a local port.
pub struct Running {
    pub addr: SocketAddr,
    handle: JoinHandle<()>,
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(&self) {
        self.handle.abort();
    }
}

/// Serves `router` on `addr` (port 0 picks a free one) in a tokio task.
pub async fn serve(router: axum::Router, addr: SocketAddr) -> std::io::Result<Running> {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "fake provider stopped");
        }
    });
    Ok(Running { addr, handle })
}

/// `127.0.0.1:0`.
pub fn local_any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_queries_are_masked() {
        assert_eq!(
            masked_query("api-version=1&sig=abcdefgh&key=K12345&token=t9876"),
            "api-version=1&sig=***efgh&key=***2345&token=***9876"
        );
    }

    #[test]
    fn fixed_window_counts_and_refuses() {
        let w = FixedWindows::new(2, Duration::from_secs(60));
        assert!(w.hit("a").allowed);
        let second = w.hit("a");
        assert!(second.allowed && second.remaining == 0);
        assert!(!w.hit("a").allowed);
        assert!(w.hit("b").allowed, "windows are per key");
    }

    #[test]
    fn faults_match_paths_and_run_out() {
        let f = Faults::default();
        f.fail_next(Some("/messages"), 1, 500);
        assert_eq!(f.take("/other"), None);
        assert_eq!(f.take("/x/messages"), Some(500));
        assert_eq!(f.take("/x/messages"), None);
    }
}
