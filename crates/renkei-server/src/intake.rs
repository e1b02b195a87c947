//! Group commit for event intake. Concurrent requests hand their events to a writer task,
//! which stores everything waiting in one transaction: one commit (one WAL append on SQLite)
//! serves many requests. Each request still gets its answer only after the commit.
//!
//! A request with more deliveries than one chunk (a fan-out to thousands of members) does
//! not go through the writer: it is written in chunks of short transactions from its own
//! task, so the writer's commits for everyone else get the database between its chunks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use renkei_core::routing::Outcome;
use renkei_store::events::{Accepted, NewEvent};
use renkei_store::intake::CHUNK_DELIVERIES;
use renkei_store::{Backend, Store, StoreError};
use renkei_worker::Metrics;
use tokio::sync::{mpsc, oneshot};
use tracing::warn;

/// Events per transaction at most; beyond it the writer commits and starts another.
const MAX_EVENTS_PER_COMMIT: usize = 2000;
/// Deliveries per group commit at most, for the same reason.
const MAX_DELIVERIES_PER_COMMIT: usize = CHUNK_DELIVERIES;

struct Job {
    tenant: i64,
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<Vec<Accepted>, StoreError>>,
}

#[derive(Clone)]
pub struct Intake {
    store: Store,
    metrics: Arc<Metrics>,
    writers: Arc<Vec<mpsc::Sender<Job>>>,
    next: Arc<AtomicUsize>,
}

impl Intake {
    /// SQLite has one writer anyway; PostgreSQL commits in parallel, so it gets several.
    pub fn start(store: Store, metrics: Arc<Metrics>) -> Intake {
        let count = match store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        let writers = (0..count)
            .map(|_| {
                let (tx, rx) = mpsc::channel(4096);
                tokio::spawn(writer(store.clone(), rx));
                tx
            })
            .collect();
        Intake {
            store,
            metrics,
            writers: Arc::new(writers),
            next: Arc::default(),
        }
    }

    pub async fn submit(
        &self,
        tenant: i64,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Accepted>, StoreError> {
        let deliveries = deliveries_of(&events);
        let tallies: Vec<Tally> = events.iter().map(tally).collect();
        let accepted = if deliveries > MAX_DELIVERIES_PER_COMMIT {
            self.store.insert_events_in_chunks(tenant, &events).await?
        } else {
            self.through_writer(tenant, events).await?
        };
        // Metrics: events and the deliveries they queued or skipped (duplicates add nothing).
        for (t, a) in tallies.iter().zip(&accepted) {
            if !a.duplicate {
                self.metrics.events_accepted(t.kind, 1);
                for ((provider, status), n) in &t.deliveries {
                    self.metrics.delivery_status(provider, status, *n);
                }
            }
        }
        Ok(accepted)
    }

    async fn through_writer(
        &self,
        tenant: i64,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Accepted>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.writers.len();
        let closed = || StoreError::Conflict("the intake writer has stopped".into());
        self.writers[i]
            .send(Job {
                tenant,
                events,
                reply,
            })
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut size = first.events.len();
        let mut rows = deliveries_of(&first.events);
        let mut jobs = vec![first];
        while size < MAX_EVENTS_PER_COMMIT && rows < MAX_DELIVERIES_PER_COMMIT {
            match rx.try_recv() {
                Ok(j) => {
                    size += j.events.len();
                    rows += deliveries_of(&j.events);
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let groups: Vec<(i64, &[NewEvent])> = jobs
            .iter()
            .map(|j| (j.tenant, j.events.as_slice()))
            .collect();
        let result = store.insert_event_groups(&groups).await;
        match result {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(Ok(answer));
                }
            }
            // One job's failure (e.g. two nodes racing on one idempotency key) must not fail
            // the others: store them one by one.
            Err(e) if jobs.len() > 1 => {
                warn!(error = %e, jobs = jobs.len(), "group commit failed; storing its requests one by one");
                for job in jobs {
                    let res = store.insert_events(job.tenant, &job.events).await;
                    let _ = job.reply.send(res);
                }
            }
            Err(e) => {
                for job in jobs {
                    let _ = job.reply.send(Err(StoreError::Conflict(e.to_string())));
                }
            }
        }
    }
}

fn deliveries_of(events: &[NewEvent]) -> usize {
    events.iter().map(|e| e.planned.len()).sum()
}

/// What one event adds to the metrics once stored.
struct Tally {
    kind: &'static str,
    deliveries: HashMap<(&'static str, &'static str), u64>,
}

fn tally(ev: &NewEvent) -> Tally {
    let mut deliveries = HashMap::new();
    for p in &ev.planned {
        let provider = p.provider.map_or("none", |p| p.as_str());
        let status = match p.outcome {
            Outcome::Send { .. } => "pending",
            Outcome::Skip { .. } => "skipped",
        };
        *deliveries.entry((provider, status)).or_insert(0) += 1;
    }
    Tally {
        kind: ev.kind,
        deliveries,
    }
}
