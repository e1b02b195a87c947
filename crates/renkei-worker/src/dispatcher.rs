//! Finds lanes with work, leases them, and runs one task per leased lane.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

// tokio's clock, not std's: tests pause and advance it.
use tokio::time::Instant;

use futures::StreamExt;
use parking_lot::Mutex;
use renkei_store::exclusive::ExclusiveLock;
use renkei_store::signals::LaneSignal;
use renkei_store::Store;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::backoff::IdleBackoff;
use crate::lane::{self, LaneHandle};
use crate::metrics::Metrics;
use crate::{Registry, WorkerConfig};

pub struct Dispatcher {
    pub(crate) store: Store,
    pub(crate) providers: Registry,
    pub(crate) config: WorkerConfig,
    lanes: Mutex<HashMap<i64, LaneHandle>>,
    idle: Mutex<IdleBackoff>,
    scan: Notify,
    pub(crate) stop: watch::Sender<bool>,
    stats: DispatcherStats,
    pub(crate) metrics: Arc<Metrics>,
}

/// Counters for tests, metrics and health.
#[derive(Debug, Default)]
pub struct DispatcherStats {
    /// Looks for lanes with work.
    pub scans: AtomicU64,
    /// Lanes started on this node.
    pub lanes_started: AtomicU64,
    /// Lanes ended on this node (started minus finished: lanes running).
    pub lanes_finished: AtomicU64,
}

/// A write interrupted by a crash on another PostgreSQL node is removed once it is this old
/// (no live write of one request takes anywhere near as long).
const ABANDONED_WRITE_AFTER: Duration = Duration::from_secs(15 * 60);
/// How often a node looks for such writes.
const RECOVER_EVERY: Duration = Duration::from_secs(60);

impl Dispatcher {
    pub fn new(store: Store, providers: Registry, config: WorkerConfig) -> Arc<Self> {
        Arc::new(Dispatcher {
            store,
            providers,
            config,
            lanes: Mutex::new(HashMap::new()),
            idle: Mutex::new(IdleBackoff::default()),
            scan: Notify::new(),
            stop: watch::channel(false).0,
            stats: DispatcherStats::default(),
            metrics: Arc::default(),
        })
    }

    pub fn node_id(&self) -> &str {
        &self.config.node_id
    }

    pub fn stats(&self) -> &DispatcherStats {
        &self.stats
    }

    /// This node's metrics (the API counts intake into them too).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Starts the scan loop. Returns its handle; [`Dispatcher::shutdown`] ends it.
    ///
    /// `exclusive` is the node's lock on a SQLite database: only with it are the leases a
    /// killed process left behind dropped at once (without it they expire after their TTL).
    pub async fn start(self: &Arc<Self>, exclusive: Option<&ExclusiveLock>) -> JoinHandle<()> {
        if let Some(lock) = exclusive {
            if let Err(e) = self.store.reset_stale_leases(lock).await {
                warn!(error = %e, "could not clear stale lane leases");
            }
        }
        // With the database to ourselves every unfinished write is a crash's leftover;
        // otherwise only old ones are (another node may be writing right now).
        let writing_before = match exclusive {
            Some(_) => renkei_store::now_ms() + 1,
            None => renkei_store::now_ms() - ABANDONED_WRITE_AFTER.as_millis() as i64,
        };
        self.recover_intake(writing_before).await;
        self.listen_for_signals().await;
        let this = self.clone();
        tokio::spawn(async move { this.run().await })
    }

    async fn recover_intake(&self, writing_before: i64) {
        if let Err(e) = self.store.recover_intake(writing_before).await {
            warn!(error = %e, "could not recover interrupted event writes; will try again");
        }
    }

    /// Other nodes' changes that concern our lanes (PostgreSQL only).
    async fn listen_for_signals(self: &Arc<Self>) {
        let stream = match self.store.lane_signals().await {
            Ok(Some(s)) => s,
            Ok(None) => return,
            Err(e) => {
                warn!(error = %e, "cannot listen for lane signals; lanes will notice changes at their periodic check");
                return;
            }
        };
        let this = self.clone();
        let mut stop = self.stop.subscribe();
        tokio::spawn(async move {
            futures::pin_mut!(stream);
            loop {
                tokio::select! {
                    next = stream.next() => match next {
                        Some((LaneSignal::Stop, ids)) => ids.iter().for_each(|c| this.stop_lane(*c)),
                        Some((LaneSignal::Resync, ids)) => this.resync(&ids),
                        Some((LaneSignal::Wake, ids)) => { this.wake(&ids); }
                        None => break,
                    },
                    _ = stop.changed() => break,
                }
            }
        });
    }

    /// New deliveries for these connections were committed: get their lanes going. Returns
    /// the connections with no lane on this node (another node may hold it: tell it).
    pub fn wake(&self, connections: &[i64]) -> Vec<i64> {
        {
            let mut idle = self.idle.lock();
            connections.iter().for_each(|c| idle.woken(*c));
        }
        let lanes = self.lanes.lock();
        let mut elsewhere = Vec::new();
        for c in connections {
            match lanes.get(c) {
                Some(l) => l.wake.notify_one(),
                None => elsewhere.push(*c),
            }
        }
        drop(lanes);
        if !elsewhere.is_empty() {
            self.scan.notify_one();
        }
        elsewhere
    }

    /// Deliveries of these connections were settled elsewhere (e.g. a bulk send cancelled):
    /// their lanes re-read the queue before sending anything more.
    pub fn resync(&self, connections: &[i64]) {
        let lanes = self.lanes.lock();
        for c in connections {
            if let Some(l) = lanes.get(c) {
                l.resync.store(true, std::sync::atomic::Ordering::Release);
                l.wake.notify_one();
            }
        }
    }

    /// The connection was deleted: stop its lane now rather than at its next check.
    pub fn stop_lane(&self, connection: i64) {
        if let Some(l) = self.lanes.lock().get(&connection) {
            l.stop.send_replace(true);
            l.wake.notify_one();
        }
    }

    /// A lane ended; `progressed`: it sent or settled something.
    pub(crate) fn lane_finished(&self, connection: i64, progressed: bool) {
        {
            let mut lanes = self.lanes.lock();
            lanes.remove(&connection);
            self.metrics.set_lanes_running(lanes.len());
        }
        self.stats.lanes_finished.fetch_add(1, Ordering::Relaxed);
        self.idle
            .lock()
            .finished(connection, progressed, Instant::now());
        if progressed {
            // Work may have arrived between the lane's last look and now.
            self.scan.notify_one();
        }
    }

    /// Stops taking work, lets sends in flight finish (up to the grace period), commits
    /// their outcomes and releases the leases.
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        let handles: Vec<JoinHandle<()>> = self
            .lanes
            .lock()
            .values_mut()
            .filter_map(|l| {
                l.stop.send_replace(true);
                l.wake.notify_one();
                l.task.take()
            })
            .collect();
        let deadline = tokio::time::sleep(self.config.shutdown_grace + Duration::from_secs(2));
        tokio::pin!(deadline);
        for h in handles {
            tokio::select! {
                _ = h => {}
                _ = &mut deadline => { warn!("shutdown grace period over; lanes still running were abandoned"); break; }
            }
        }
        info!("delivery workers stopped");
    }

    async fn run(self: Arc<Self>) {
        let mut stop = self.stop.subscribe();
        let renew_every = self.config.lease_ttl / 3;
        let mut last_renew = Instant::now();
        let mut last_recover = Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            if last_renew.elapsed() >= renew_every {
                self.renew().await;
                last_renew = Instant::now();
            }
            if last_recover.elapsed() >= RECOVER_EVERY {
                let before = renkei_store::now_ms() - ABANDONED_WRITE_AFTER.as_millis() as i64;
                self.recover_intake(before).await;
                self.idle.lock().prune(Instant::now());
                last_recover = Instant::now();
            }
            self.stats.scans.fetch_add(1, Ordering::Relaxed);
            self.claim_new_lanes().await;
            tokio::select! {
                _ = self.scan.notified() => {}
                _ = tokio::time::sleep(self.config.scan_interval) => {}
                _ = stop.changed() => {}
            }
        }
    }

    async fn renew(&self) {
        let ttl = self.config.lease_ttl.as_millis() as i64;
        match self.store.renew_lanes(&self.config.node_id, ttl).await {
            Ok(held) => {
                // Lanes whose lease was taken away (e.g. the connection was deleted) stop.
                let lanes = self.lanes.lock();
                for (c, l) in lanes.iter() {
                    if !held.contains(c) {
                        debug!(connection = c, "lease lost; stopping lane");
                        l.stop.send_replace(true);
                        l.wake.notify_one();
                    }
                }
            }
            Err(e) => warn!(error = %e, "could not renew lane leases"),
        }
    }

    async fn claim_new_lanes(self: &Arc<Self>) {
        let candidates = match self.store.lanes_with_work(&self.config.node_id).await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "could not look for lanes with work");
                return;
            }
        };
        let ttl = self.config.lease_ttl.as_millis() as i64;
        let now = Instant::now();
        for conn in candidates {
            if self.lanes.lock().contains_key(&conn) || !self.idle.lock().may_claim(conn, now) {
                continue;
            }
            match self.store.claim_lane(conn, &self.config.node_id, ttl).await {
                Ok(true) => {
                    // Spawn under the lock so the lane cannot finish before it is registered.
                    let mut lanes = self.lanes.lock();
                    lanes.insert(conn, lane::spawn(self.clone(), conn));
                    self.stats.lanes_started.fetch_add(1, Ordering::Relaxed);
                    self.metrics.set_lanes_running(lanes.len());
                }
                Ok(false) => {}
                Err(e) => warn!(error = %e, connection = conn, "could not claim lane"),
            }
        }
    }
}
