//! One lane: the sender for one connection (credential).
//!
//! It holds the oldest pending deliveries in memory, sends the head of each room's queue
//! (so order per room is kept) as the credential's and the room's windows allow, and commits
//! outcomes in small batches. Only the head of a room is ever in flight or waiting to retry.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use renkei_core::model::Notice;
use renkei_core::routing::direct_account;
use renkei_providers::{DeliveryProvider, DirectStyle, SendContext, SendOutcome, SendResult};
use renkei_store::now_ms;
use renkei_store::queue::{AttemptRecord, Completion, QueuedDelivery};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
// tokio's clock, not std's: tests pause and advance it.
use tokio::time::Instant;
use tracing::{info, warn, Instrument};

use crate::direct::DirectCache;
use crate::outcome::{self, Verdict};
use crate::pacing::{Candidate, Pacing};
use crate::Dispatcher;

pub(crate) struct LaneHandle {
    pub wake: Arc<Notify>,
    /// Set (then `wake`) when deliveries were settled behind the lane's back (cancelled):
    /// it must re-read its queue before sending more.
    pub resync: Arc<std::sync::atomic::AtomicBool>,
    pub stop: watch::Sender<bool>,
    pub task: Option<JoinHandle<()>>,
}

pub(crate) fn spawn(dispatcher: Arc<Dispatcher>, connection: i64) -> LaneHandle {
    let wake = Arc::new(Notify::new());
    let resync = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop, stop_rx) = watch::channel(false);
    let span = tracing::info_span!("lane", connection, node = %dispatcher.config.node_id);
    let w = wake.clone();
    let r = resync.clone();
    let task = tokio::spawn(
        async move {
            let d = dispatcher.clone();
            let progressed = match Lane::run(dispatcher, connection, w, r, stop_rx).await {
                Ok(progressed) => progressed,
                Err(e) => {
                    warn!(error = %e, "lane stopped on a database error; it will be picked up again");
                    false
                }
            };
            let _ = d.store.release_lane(connection, &d.config.node_id).await;
            d.lane_finished(connection, progressed);
        }
        .instrument(span),
    );
    LaneHandle {
        wake,
        resync,
        stop,
        task: Some(task),
    }
}

type InFlight = futures::future::BoxFuture<'static, (QueuedDelivery, i64, Instant, SendResult)>;

struct Lane {
    dispatcher: Arc<Dispatcher>,
    connection: i64,
    provider: Arc<dyn DeliveryProvider>,
    credentials: Arc<serde_json::Value>,
    /// Pending deliveries by ID (= queue order).
    queue: BTreeMap<i64, QueuedDelivery>,
    /// Direct chats of this credential, shared by its sends in flight.
    direct: Arc<DirectCache>,
    /// IDs sent or decided but not yet committed: a refetch must not bring them back.
    uncommitted: HashSet<i64>,
    results: Vec<AttemptRecord>,
    /// When the oldest uncommitted result must be committed at the latest.
    flush_due: Option<Instant>,
    /// Windows, rests and busy rooms: what may be sent when.
    pacing: Pacing,
    /// The last fetch was cut at its limit: more pending rows wait in the database.
    more_in_db: bool,
    /// Highest delivery ID fetched so far.
    max_seen: i64,
    last_check: Instant,
    /// Sent or settled something: the dispatcher may claim the lane again at once.
    progressed: bool,
}

/// What the lane must read from the queue before its next round.
enum Fetch {
    Nothing,
    /// Deliveries newer than the newest seen (after a wake-up).
    New,
    /// The connection and the whole head of the queue.
    Full,
}

/// Even when woken for new work only, re-read everything this often (pauses set by other
/// nodes, deliveries cancelled or committed out of ID order).
const FULL_CHECK_EVERY: Duration = Duration::from_secs(5);

enum Stop {
    Idle,
    Requested,
    Broken,
}

impl Lane {
    async fn run(
        dispatcher: Arc<Dispatcher>,
        connection: i64,
        wake: Arc<Notify>,
        resync: Arc<std::sync::atomic::AtomicBool>,
        mut stop: watch::Receiver<bool>,
    ) -> renkei_store::Result<bool> {
        let Some((conn, creds)) = dispatcher.store.connection_for_worker(connection).await? else {
            // Deleted or broken: what it still has pending can never be sent.
            let settled = dispatcher.store.settle_dead_connection(connection).await?;
            if settled > 0 {
                info!(
                    settled,
                    "settled deliveries left for a connection that is gone"
                );
            }
            return Ok(settled > 0);
        };
        let Some(provider) = dispatcher.providers.get(conn.provider) else {
            warn!(provider = %conn.provider, "no client for this provider on this node");
            return Ok(false);
        };
        let mut lane = Lane {
            connection,
            credentials: Arc::new(creds),
            queue: BTreeMap::new(),
            direct: Arc::default(),
            uncommitted: HashSet::new(),
            results: Vec::new(),
            flush_due: None,
            pacing: Pacing::new(provider.limits()),
            more_in_db: false,
            max_seen: 0,
            last_check: Instant::now(),
            progressed: false,
            provider,
            dispatcher,
        };
        lane.apply_pause(conn.paused_until);
        let mut in_flight: FuturesUnordered<InFlight> = FuturesUnordered::new();
        let mut fetch = Fetch::Full;
        let cfg = lane.dispatcher.config.clone();
        let outcome = loop {
            if *stop.borrow() {
                break Stop::Requested;
            }
            if lane.last_check.elapsed() > FULL_CHECK_EVERY
                || resync.swap(false, std::sync::atomic::Ordering::AcqRel)
            {
                fetch = Fetch::Full;
            }
            match std::mem::replace(&mut fetch, Fetch::Nothing) {
                Fetch::Full => {
                    if !lane.refresh().await? {
                        break Stop::Broken;
                    }
                    if lane.queue.is_empty() && in_flight.is_empty() && lane.results.is_empty() {
                        break Stop::Idle;
                    }
                }
                Fetch::New => lane.fetch_new().await?,
                Fetch::Nothing => {}
            }
            // A crash repeats what was sent but not committed: at most one commit batch plus
            // what is in flight (`WorkerConfig::max_uncommitted`). At the cap, commit now.
            if lane.uncommitted.len() >= cfg.max_uncommitted() && !lane.results.is_empty() {
                lane.flush().await?;
            }
            let next_due = lane.start_sends(&mut in_flight, cfg.lane_concurrency);
            let flush_at = lane.flush_due;
            // Sleep until the next send may go, but no longer than the next full check.
            let check_at = lane.last_check + FULL_CHECK_EVERY;
            let wake_at = Some(next_due.map_or(check_at, |t| t.min(check_at)));
            tokio::select! {
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    if lane.finish(done, in_flight.len()).await? {
                        break Stop::Broken;
                    }
                    if lane.queue.is_empty() && in_flight.is_empty() {
                        // Looks idle: a full look confirms it before the lane ends.
                        fetch = Fetch::Full;
                    } else if lane.queue.len() < (cfg.lane_batch as usize) / 2 && lane.more_in_db {
                        fetch = Fetch::New;
                    }
                }
                _ = wake.notified() => fetch = Fetch::New,
                _ = sleep_until(flush_at) => lane.flush().await?,
                _ = sleep_until(wake_at) => {}
                _ = stop.changed() => {}
            }
        };
        // Let sends in flight finish so their outcomes are recorded, not repeated.
        let grace = tokio::time::sleep(cfg.shutdown_grace);
        tokio::pin!(grace);
        while !in_flight.is_empty() {
            tokio::select! {
                Some(done) = in_flight.next() => { lane.finish(done, in_flight.len()).await?; }
                _ = &mut grace => break,
            }
        }
        lane.flush().await?;
        if matches!(outcome, Stop::Requested) {
            info!("lane stopped");
        }
        Ok(lane.progressed)
    }

    fn apply_pause(&mut self, paused_until_ms: i64) {
        self.pacing
            .pause_until_wall(paused_until_ms, Instant::now(), now_ms());
    }

    /// Re-reads the connection and the head of the queue. False when the connection is gone.
    async fn refresh(&mut self) -> renkei_store::Result<bool> {
        self.last_check = Instant::now();
        self.flush().await?;
        let store = self.dispatcher.store.clone();
        let Some((conn, creds)) = store.connection_for_worker(self.connection).await? else {
            self.queue.clear();
            // Settled by whoever deleted or broke it, but rows committed since (or by an
            // older version) are settled here.
            if store.settle_dead_connection(self.connection).await? > 0 {
                self.progressed = true;
            }
            return Ok(false);
        };
        self.credentials = Arc::new(creds);
        self.apply_pause(conn.paused_until);
        let limit = self.dispatcher.config.lane_batch;
        let rows = store.pending_for_lane(self.connection, 0, limit).await?;
        self.more_in_db = rows.len() as i64 == limit;
        let fetched: HashSet<i64> = rows.iter().map(|d| d.id).collect();
        // Deliveries settled elsewhere (cancelled, failed by a 401) are no longer ours.
        self.queue.retain(|id, _| fetched.contains(id));
        self.merge(rows);
        Ok(true)
    }

    /// Fetches only deliveries newer than any seen: cheap enough to do on every wake-up.
    /// (One committed late with a lower ID is found by the next full refresh.)
    async fn fetch_new(&mut self) -> renkei_store::Result<()> {
        let room = self.dispatcher.config.lane_batch - self.queue.len() as i64;
        if room <= 0 {
            self.more_in_db = true;
            return Ok(());
        }
        let rows = self
            .dispatcher
            .store
            .pending_for_lane(self.connection, self.max_seen, room)
            .await?;
        self.more_in_db = rows.len() as i64 == room;
        self.merge(rows);
        Ok(())
    }

    fn merge(&mut self, rows: Vec<QueuedDelivery>) {
        for d in rows {
            self.max_seen = self.max_seen.max(d.id);
            if !self.uncommitted.contains(&d.id) {
                self.queue.entry(d.id).or_insert(d);
            }
        }
    }

    /// Starts every send that is allowed now, keeping at most `max` sent but uncommitted;
    /// returns when the next blocked one may go.
    fn start_sends(
        &mut self,
        in_flight: &mut FuturesUnordered<InFlight>,
        max: usize,
    ) -> Option<Instant> {
        let queued = self.queue.iter().map(|(id, d)| Candidate {
            id: *id,
            room: &d.room,
            next_attempt_at: d.next_attempt_at,
        });
        // At most `max` in flight, and at most `max_uncommitted` sent but not committed
        // (in flight, or answered and waiting for the batch commit).
        let capacity = max.saturating_sub(in_flight.len()).min(
            self.dispatcher
                .config
                .max_uncommitted()
                .saturating_sub(self.uncommitted.len()),
        );
        let (to_start, next) = self.pacing.pick(queued, capacity, Instant::now(), now_ms());
        for id in to_start {
            let d = self.queue.remove(&id).expect("queued");
            self.uncommitted.insert(d.id);
            let provider = self.provider.clone();
            let creds = self.credentials.clone();
            let direct = self.direct.clone();
            let confirm_url = match (&self.dispatcher.config.links, d.link_expires_at) {
                (Some(signer), Some(expires)) => Some(signer.url(d.id, expires)),
                _ => None,
            };
            let notice = Notice {
                title: d.title.clone(),
                body: d.body.clone(),
                url: d.url.clone(),
                confirm_url,
            };
            // A calendar change carries the provider's payload already; a notice is rendered.
            let rendered = if d.prerendered {
                d.body.clone()
            } else {
                provider.render(&notice, &d.mentions)
            };
            let connection = self.connection;
            // Every log line of this attempt names what it was for.
            let span = tracing::info_span!(
                "attempt",
                tenant = d.tenant_id,
                event = d.event_id,
                delivery = d.id,
                provider = provider.provider().as_str(),
                connection,
            );
            in_flight.push(Box::pin(
                async move {
                    let started_ms = now_ms();
                    let started = Instant::now();
                    let ctx = SendContext {
                        connection,
                        delivery: d.id,
                        credentials: &creds,
                        thread_key: d.thread_key.as_deref(),
                    };
                    let res = match direct_account(&d.room) {
                        None => provider.send(ctx, &d.room, &rendered).await,
                        Some(account) => match provider.direct_style() {
                            DirectStyle::ByAccount => {
                                let to = provider.direct_destination(account);
                                provider.send(ctx, &to, &rendered).await
                            }
                            DirectStyle::LookedUp => match direct
                                .room_for(provider.as_ref(), ctx, account, started)
                                .await
                            {
                                Ok(Some(room)) => provider.send(ctx, &room, &rendered).await,
                                Ok(None) => provider.not_reachable_directly(account),
                                Err(failed) => failed,
                            },
                            DirectStyle::Unsupported => provider.not_reachable_directly(account),
                        },
                    };
                    (d, started_ms, started, res)
                }
                .instrument(span),
            ));
        }
        next
    }

    /// Records a send's outcome and decides what happens next. True when the credential is
    /// broken and the lane must stop.
    async fn finish(
        &mut self,
        (mut d, started_ms, started, res): (QueuedDelivery, i64, Instant, SendResult),
        still_in_flight: usize,
    ) -> renkei_store::Result<bool> {
        let answered = Instant::now();
        self.progressed = true;
        let latency_ms = answered.duration_since(started).as_millis() as i64;
        let now = now_ms();
        let first = d.first_attempt_at.unwrap_or(started_ms);
        let verdict = outcome::decide(
            &res,
            d.attempts,
            first,
            now,
            &self.dispatcher.config.retry,
            &mut rand::thread_rng(),
        );
        self.pacing
            .answered(&d.room, &res, &verdict, answered, now, still_in_flight);
        if let Some(until_ms) = verdict.pause_until_ms {
            self.dispatcher
                .store
                .pause_connection(self.connection, until_ms)
                .await?;
        }
        let Verdict {
            completion, broken, ..
        } = verdict;
        let error = res.error.clone();
        self.observe(&d, &res, &completion, answered.duration_since(started));
        let retry = matches!(completion, Completion::Retry { .. });
        if let Completion::Retry {
            next_attempt_at, ..
        } = &completion
        {
            // Back to the head of its room, to be retried in place so order holds.
            d.attempts += 1;
            d.next_attempt_at = *next_attempt_at;
            d.first_attempt_at = Some(first);
            self.uncommitted.remove(&d.id);
            self.queue.insert(d.id, d.clone());
        }
        if self.results.is_empty() {
            self.flush_due = Some(Instant::now() + self.dispatcher.config.flush_interval);
        }
        self.results.push(AttemptRecord {
            delivery_id: d.id,
            started_at: started_ms,
            latency_ms,
            http_status: res.http_status.map(i64::from),
            outcome: res.outcome.code(),
            error,
            completion,
        });
        // A retry is committed before anything more is sent: the commit is what tells a
        // delivery cancelled while its post was in flight (its resync came and went) from
        // one still ours, and a cancelled one must not be posted again.
        if retry || self.results.len() >= crate::COMMIT_BATCH {
            self.flush().await?;
        }
        if broken {
            self.flush().await?;
            let reason = renkei_core::routing::why::text(
                "credentials-refused-http",
                &[
                    (
                        "status",
                        &res.http_status.map_or("-".into(), |s| s.to_string()),
                    ),
                    ("answer", &res.error.as_deref().unwrap_or("no detail")),
                ],
            );
            let n = self
                .dispatcher
                .store
                .mark_connection_broken(self.connection, "connection_broken", &reason)
                .await?;
            warn!(failed = n, "credentials refused; connection marked broken");
            self.queue.clear();
        }
        Ok(broken)
    }

    /// Metrics and the log line for one attempt's outcome.
    fn observe(
        &self,
        d: &QueuedDelivery,
        res: &SendResult,
        completion: &Completion,
        took: Duration,
    ) {
        let m = &self.dispatcher.metrics;
        let provider = self.provider.provider().as_str();
        let outcome = res.outcome.code();
        m.attempt(provider, outcome, took);
        match res.outcome {
            SendOutcome::RoomRateLimited { .. } => {
                m.rate_limited(provider);
                m.lane_paused(provider, "room");
            }
            SendOutcome::CredentialRateLimited { .. } => {
                m.rate_limited(provider);
                m.lane_paused(provider, "credential");
            }
            _ if res.http_status == Some(429) => m.rate_limited(provider),
            _ => {}
        }
        let (tenant, event, delivery) = (d.tenant_id, d.event_id, d.id);
        match completion {
            Completion::Delivered { .. } => m.delivery_status(provider, "delivered", 1),
            Completion::Failed { code, reason } => {
                m.delivery_status(provider, "failed", 1);
                warn!(tenant, event, delivery, provider, code = %code, reason = %reason, "delivery failed");
            }
            Completion::Retry {
                code,
                next_attempt_at,
                ..
            } => {
                tracing::debug!(tenant, event, delivery, provider, code = %code, next_attempt_at, "attempt failed; will retry");
            }
        }
    }

    async fn flush(&mut self) -> renkei_store::Result<()> {
        if self.results.is_empty() {
            return Ok(());
        }
        let settled_elsewhere = self
            .dispatcher
            .store
            .complete_attempts(&self.dispatcher.config.node_id, &self.results)
            .await?;
        for id in settled_elsewhere {
            self.queue.remove(&id);
        }
        self.flush_due = None;
        for r in self.results.drain(..) {
            self.uncommitted.remove(&r.delivery_id);
        }
        Ok(())
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
