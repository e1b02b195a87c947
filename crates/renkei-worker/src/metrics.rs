//! What a node reports at `GET /metrics` (Prometheus / OpenMetrics text).
//!
//! Counters and the latency histogram are this node's own (Prometheus sums the nodes); the
//! queue depth and paused connections are read from the database at scrape time, so every
//! node reports the same shared queue.

use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Mutex<Registry>,
    deliveries: Family<Labels, Counter>,
    attempt_seconds: HistogramFamily,
    rate_limited: Family<Labels, Counter>,
    lane_pauses: Family<Labels, Counter>,
    events_accepted: Family<Labels, Counter>,
    queue_depth: Family<Labels, Gauge>,
    paused_connections: Gauge,
    lanes_running: Gauge,
}

fn attempt_buckets() -> Histogram {
    // 5 ms … about 41 s: provider answers, and timeouts.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        let m = Metrics {
            registry: Mutex::new(Registry::default()),
            deliveries: Family::default(),
            attempt_seconds: Family::new_with_constructor(attempt_buckets),
            rate_limited: Family::default(),
            lane_pauses: Family::default(),
            events_accepted: Family::default(),
            queue_depth: Family::default(),
            paused_connections: Gauge::default(),
            lanes_running: Gauge::default(),
        };
        {
            let mut r = m.registry.lock();
            r.register(
                "renkei_deliveries",
                "Deliveries that reached a status on this node (pending and skipped at intake; delivered, failed, cancelled when settled), by provider",
                m.deliveries.clone(),
            );
            r.register(
                "renkei_attempt_duration_seconds",
                "Time from sending an attempt to the provider's answer, by provider and outcome",
                m.attempt_seconds.clone(),
            );
            r.register(
                "renkei_rate_limited",
                "Answers HTTP 429 (or the provider's equivalent) received, by provider",
                m.rate_limited.clone(),
            );
            r.register(
                "renkei_lane_pauses",
                "Pauses taken because a provider's limit was reached: `credential` (the whole connection waits) or `room`",
                m.lane_pauses.clone(),
            );
            r.register(
                "renkei_events_accepted",
                "Events accepted by this node's API, by kind (event, bulk_send, calendar)",
                m.events_accepted.clone(),
            );
            r.register(
                "renkei_queue_depth",
                "Deliveries waiting to be sent (the shared queue), by provider",
                m.queue_depth.clone(),
            );
            r.register(
                "renkei_paused_connections",
                "Connections waiting for a provider's rate limit to reset",
                m.paused_connections.clone(),
            );
            r.register(
                "renkei_lanes_running",
                "Lanes (one per connection) this node is sending for",
                m.lanes_running.clone(),
            );
        }
        m
    }
}

fn provider(p: &str) -> Labels {
    vec![("provider", p.to_string())]
}

impl Metrics {
    pub fn delivery_status(&self, provider_name: &str, status: &str, n: u64) {
        let mut l = provider(provider_name);
        l.push(("status", status.to_string()));
        self.deliveries.get_or_create(&l).inc_by(n);
    }

    pub fn attempt(&self, provider_name: &str, outcome: &str, took: Duration) {
        let mut l = provider(provider_name);
        l.push(("outcome", outcome.to_string()));
        self.attempt_seconds
            .get_or_create(&l)
            .observe(took.as_secs_f64());
    }

    pub fn rate_limited(&self, provider_name: &str) {
        self.rate_limited
            .get_or_create(&provider(provider_name))
            .inc();
    }

    pub fn lane_paused(&self, provider_name: &str, scope: &'static str) {
        let mut l = provider(provider_name);
        l.push(("scope", scope.to_string()));
        self.lane_pauses.get_or_create(&l).inc();
    }

    pub fn events_accepted(&self, kind: &str, n: u64) {
        self.events_accepted
            .get_or_create(&vec![("kind", kind.to_string())])
            .inc_by(n);
    }

    pub(crate) fn set_lanes_running(&self, n: usize) {
        self.lanes_running.set(n as i64);
    }

    /// The text exposition, with the database-backed gauges as given.
    pub fn render(&self, queue_by_provider: &[(String, i64)], paused: i64) -> String {
        self.queue_depth.clear();
        for (p, n) in queue_by_provider {
            self.queue_depth.get_or_create(&provider(p)).set(*n);
        }
        self.paused_connections.set(paused);
        let mut out = String::new();
        encode(&mut out, &self.registry.lock()).expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_its_labels() {
        let m = Metrics::default();
        m.delivery_status("chatwork", "delivered", 3);
        m.attempt("slack", "delivered", Duration::from_millis(12));
        m.rate_limited("chatwork");
        m.lane_paused("chatwork", "credential");
        m.events_accepted("event", 5);
        let text = m.render(&[("line".into(), 7)], 1);
        for line in [
            r#"renkei_deliveries_total{provider="chatwork",status="delivered"} 3"#,
            r#"renkei_attempt_duration_seconds_bucket{le="0.02",provider="slack",outcome="delivered"} 1"#,
            r#"renkei_rate_limited_total{provider="chatwork"} 1"#,
            r#"renkei_lane_pauses_total{provider="chatwork",scope="credential"} 1"#,
            r#"renkei_events_accepted_total{kind="event"} 5"#,
            r#"renkei_queue_depth{provider="line"} 7"#,
            "renkei_paused_connections 1",
        ] {
            assert!(text.contains(line), "missing `{line}` in:\n{text}");
        }
        // A provider whose queue emptied is not reported with a stale depth.
        let text = m.render(&[], 0);
        assert!(
            !text.contains(r#"renkei_queue_depth{provider="line"}"#),
            "{text}"
        );
    }
}
