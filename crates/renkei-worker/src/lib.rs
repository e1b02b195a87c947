//! The delivery engine. A [`Dispatcher`] per node leases lanes (one per connection, i.e.
//! per credential) from the database and runs each lane as a task that sends within the
//! provider's limits, keeps order per room, retries, and records every attempt.

mod backoff;
mod credentials;
mod direct;
mod dispatcher;
mod lane;
pub mod metrics;
mod outcome;
mod pacing;

use std::time::Duration;

use renkei_core::retry::RetryPolicy;
use renkei_store::links::LinkSigner;

pub use credentials::StoredCredentials;
pub use dispatcher::{Dispatcher, DispatcherStats};
pub use metrics::Metrics;
pub use renkei_providers::Registry;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Identifies this process in leases and attempt logs.
    pub node_id: String,
    /// A lane lease not renewed for this long passes to another node.
    pub lease_ttl: Duration,
    /// How often to look for lanes with work besides being woken by intake.
    pub scan_interval: Duration,
    /// Sends per lane in flight at once (at most one per room).
    pub lane_concurrency: usize,
    /// How many pending deliveries a lane holds in memory.
    pub lane_batch: i64,
    /// Attempt outcomes are committed in batches at least this often.
    pub flush_interval: Duration,
    pub retry: RetryPolicy,
    /// How long shutdown waits for sends in flight.
    pub shutdown_grace: Duration,
    /// Signs the confirmation links put into notices; `None`: no links.
    pub links: Option<LinkSigner>,
}

/// Attempt outcomes a lane commits in one transaction at most (it commits sooner after
/// `flush_interval`).
pub const COMMIT_BATCH: usize = 256;

impl WorkerConfig {
    /// The most sends a lane keeps sent but not committed (in flight, or answered and waiting
    /// for the batch commit): the most a crash can make it send twice. Committing after every
    /// few sends would lower it but stall the lane on each commit (a quarter of the drain rate
    /// when it was tried with 32).
    pub fn max_uncommitted(&self) -> usize {
        self.lane_concurrency + COMMIT_BATCH
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            node_id: format!("node-{:08x}", rand::random::<u32>()),
            lease_ttl: Duration::from_secs(30),
            scan_interval: Duration::from_millis(500),
            lane_concurrency: 32,
            lane_batch: 1000,
            flush_interval: Duration::from_millis(5),
            retry: RetryPolicy::default(),
            shutdown_grace: Duration::from_secs(30),
            links: None,
        }
    }
}
