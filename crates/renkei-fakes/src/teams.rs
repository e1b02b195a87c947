//! A faithful fake of a Microsoft Teams **Workflows (Power Automate) webhook**, for tests,
//! benchmarks and demos.
//!
//! # What it does like Workflows
//! - Serves the trigger URL shapes `POST /workflows/{id}/triggers/manual/paths/invoke
//!   ?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=…` (Logic Apps hosts)
//!   and `POST /powerautomate/automations/direct/workflows/{id}/triggers/manual/paths/invoke
//!   ?api-version=1&…` (Power Platform hosts). The `sig` value is the credential.
//! - Errors in the Logic Apps envelope `{"error":{"code":"…","message":"…"}}`: a missing
//!   `api-version` → 400 `MissingApiVersionParameter`; an unknown (deleted) workflow → 404
//!   `WorkflowNotFound`; a missing `sig` → 401 `DirectApiAuthorizationRequired`; a wrong one
//!   → 401 `DirectApiInvalidAuthorizationSignature`; a method other than POST → 405
//!   `TriggerRequestMethodNotValid`; a `Content-Type` other than `application/json` (even
//!   with a JSON body) or a JSON type with a body that does not parse → 400
//!   `InvalidRequestContent`; a flow switched off ([`FakeTeams::set_flow_enabled`]) → 400
//!   `WorkflowTriggerIsNotEnabled` ("… with state 'Disabled': trigger is not enabled.").
//! - **Any JSON body is accepted with 202 and an empty body, even a broken card**, with the
//!   `x-ms-workflow-run-id` header. The flow's run is then recorded ([`FakeTeams::runs`])
//!   as `Succeeded` (with the cards posted) or `Failed` (with the reason Power Automate's run
//!   history shows), by checking each card as Teams would (see `flow.rs`).
//! - Throttling: a fixed window per workflow answers 429 `WorkflowRequestsThrottled`, with
//!   `Retry-After` or, with [`FakeTeams::set_retry_after`]`(false)`, without it.
//! - [`FakeTeams::legacy_throttle_next`]: the next requests answer **200** with the retired
//!   connectors' text `… Microsoft Teams endpoint returned HTTP error 429 …` and post nothing.
//!
//! # Choices where Workflows is undocumented
//! - The rate limit is unpublished: by default 100 requests per 60 s per workflow (the Teams
//!   connector's per-connection throttle), `Retry-After` = seconds left in the window.
//! - Order of checks: route (404 `NotFound`) → method (405) → `api-version` (400) → workflow
//!   exists (404) → `sig` (401) → flow switched on (400) → window (429) → injected fault → legacy throttle (200) →
//!   body is JSON (400) → 202. Requests refused before the window are not counted.
//! - Both bad-`sig` cases answer 401 (never 403). The run is decided synchronously, so
//!   [`FakeTeams::runs`] is complete when the 202 arrives (the real run lags behind).
//! - [`FakeTeams::set_delay`] waits after the request was handled (a run is already recorded):
//!   like a response lost on the way back.
//!
//! # Inspection routes (no auth, not recorded, not delayed)
//! `GET /_fake/requests`, `GET /_fake/runs`, `POST /_fake/workflows {"id","sig"}` → `{"url"}`,
//! `POST /_fake/fail {"count":N,"status":500}`, `POST /_fake/delay {"ms":N}`,
//! `POST /_fake/limits {"enabled":bool,"retry_after"?:bool}`, `POST /_fake/legacy_throttle {"count":N}`.
//!
//! # The demo world ([`FakeTeams::with_demo_world`])
//! Workflow `demo-workflow-0001` with `sig` `demo-sig-0001`: its webhook URL is
//! `http://ADDR/workflows/demo-workflow-0001/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=demo-sig-0001`.

mod api;
mod flow;
mod inspect;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use crate::common::{local_any_port, serve, Faults, FixedWindows, Journal, Recorded, Running};

pub use flow::MAX_MESSAGE_BYTES;

pub const DEMO_WORKFLOW: &str = "demo-workflow-0001";
pub const DEMO_SIG: &str = "demo-sig-0001";

#[derive(Clone, Debug)]
pub struct FakeTeamsConfig {
    /// Requests per workflow per window (unpublished; 100 by default).
    pub limit: u32,
    pub window: Duration,
    /// `false` never answers 429.
    pub limits_enabled: bool,
    /// Whether a 429 carries `Retry-After`.
    pub retry_after: bool,
}

impl Default for FakeTeamsConfig {
    fn default() -> Self {
        FakeTeamsConfig {
            limit: 100,
            window: Duration::from_secs(60),
            limits_enabled: true,
            retry_after: true,
        }
    }
}

impl FakeTeamsConfig {
    /// Multiplies the window by `factor` (0.01 → 600 ms); the limit is unchanged.
    pub fn scaled(mut self, factor: f64) -> Self {
        self.window = self.window.mul_f64(factor);
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RunStatus {
    Succeeded,
    Failed,
}

/// One run of a flow, as Power Automate's run history shows it.
#[derive(Clone, Debug, Serialize)]
pub struct FlowRun {
    pub run_id: String,
    pub workflow: String,
    pub status: RunStatus,
    /// Why the run failed.
    pub error: Option<String>,
    /// The cards posted to the channel (empty when the run failed).
    pub cards: Vec<Value>,
    /// The request body the flow was triggered with.
    pub payload: Value,
}

struct Shared {
    limits_enabled: AtomicBool,
    retry_after: AtomicBool,
    legacy_throttle: AtomicUsize,
    next_run: AtomicU64,
    /// Workflow id → its `sig`.
    workflows: Mutex<HashMap<String, String>>,
    /// Workflows whose flow was switched off.
    disabled: Mutex<HashSet<String>>,
    windows: FixedWindows,
    runs: Mutex<Vec<FlowRun>>,
    journal: Journal,
    faults: Faults,
    /// `http://ADDR` once serving, so [`FakeTeams::webhook_url`] gives whole URLs.
    base_url: Mutex<String>,
}

/// The fake Workflows service. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct FakeTeams {
    shared: Arc<Shared>,
}

impl FakeTeams {
    pub fn new(config: FakeTeamsConfig) -> Self {
        let shared = Shared {
            limits_enabled: AtomicBool::new(config.limits_enabled),
            retry_after: AtomicBool::new(config.retry_after),
            legacy_throttle: AtomicUsize::new(0),
            next_run: AtomicU64::new(1),
            workflows: Mutex::new(HashMap::new()),
            disabled: Mutex::new(HashSet::new()),
            windows: FixedWindows::new(config.limit, config.window),
            runs: Mutex::new(Vec::new()),
            journal: Journal::default(),
            faults: Faults::default(),
            base_url: Mutex::new(String::new()),
        };
        FakeTeams {
            shared: Arc::new(shared),
        }
    }

    /// One workflow, `demo-workflow-0001` signed `demo-sig-0001` (see the module docs).
    pub fn with_demo_world(config: FakeTeamsConfig) -> Self {
        let fake = Self::new(config);
        fake.add_workflow(DEMO_WORKFLOW, DEMO_SIG);
        fake
    }

    /// The trigger routes plus `/_fake/*`.
    pub fn router(&self) -> axum::Router {
        inspect::routes()
            .fallback(api::handle)
            .with_state(self.clone())
    }

    /// Serves on `127.0.0.1:0`.
    pub async fn start(&self) -> std::io::Result<Running> {
        self.start_on(local_any_port()).await
    }

    /// Serves on a chosen address (demos with a fixed port).
    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<Running> {
        let running = serve(self.router(), addr).await?;
        *self.shared.base_url.lock() = running.url();
        Ok(running)
    }

    // ---- world building ----

    /// Creates (or re-signs) a workflow; returns its Logic Apps-style webhook URL.
    pub fn add_workflow(&self, id: &str, sig: &str) -> String {
        self.shared
            .workflows
            .lock()
            .insert(id.to_owned(), sig.to_owned());
        self.webhook_url(id)
    }

    /// The flow was deleted: its URL answers 404.
    pub fn remove_workflow(&self, id: &str) {
        self.shared.workflows.lock().remove(id);
    }

    /// Switches the flow off (its URL then answers `WorkflowTriggerIsNotEnabled`) or on.
    pub fn set_flow_enabled(&self, id: &str, on: bool) {
        let mut disabled = self.shared.disabled.lock();
        if on {
            disabled.remove(id);
        } else {
            disabled.insert(id.to_owned());
        }
    }

    /// `http://ADDR/workflows/{id}/triggers/manual/paths/invoke?…&sig=…` with the
    /// workflow's current `sig` (empty when unknown). Before [`Self::start`] it is only the
    /// path and query.
    pub fn webhook_url(&self, id: &str) -> String {
        let base = self.shared.base_url.lock().clone();
        format!(
            "{base}/workflows/{id}/triggers/manual/paths/invoke?api-version=2016-06-01{}",
            self.query_tail(id)
        )
    }

    /// The same workflow in the Power Platform shape
    /// (`/powerautomate/automations/direct/workflows/…`).
    pub fn powerautomate_url(&self, id: &str) -> String {
        let base = self.shared.base_url.lock().clone();
        format!(
            "{base}/powerautomate/automations/direct/workflows/{id}/triggers/manual/paths/invoke?api-version=1{}",
            self.query_tail(id)
        )
    }

    fn query_tail(&self, id: &str) -> String {
        let sig = self
            .shared
            .workflows
            .lock()
            .get(id)
            .cloned()
            .unwrap_or_default();
        let sig: String = url::form_urlencoded::byte_serialize(sig.as_bytes()).collect();
        format!("&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}")
    }

    // ---- faults and switches ----

    /// The next `count` requests that pass the `sig` check answer `status`.
    pub fn fail_next(&self, count: usize, status: u16) {
        self.shared.faults.fail_next(None, count, status);
    }

    /// The next `count` requests that pass the `sig` check answer 200 with the retired
    /// connectors' throttling text, and post nothing.
    pub fn legacy_throttle_next(&self, count: usize) {
        self.shared.legacy_throttle.store(count, Ordering::Relaxed);
    }

    /// Forgets queued faults and legacy throttling.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
        self.shared.legacy_throttle.store(0, Ordering::Relaxed);
    }

    /// Every answer waits this long (after the request was handled).
    pub fn set_delay(&self, delay: Duration) {
        self.shared.faults.set_delay(delay);
    }

    pub fn set_limits_enabled(&self, on: bool) {
        self.shared.limits_enabled.store(on, Ordering::Relaxed);
    }

    /// Whether 429 answers carry `Retry-After`.
    pub fn set_retry_after(&self, on: bool) {
        self.shared.retry_after.store(on, Ordering::Relaxed);
    }

    // ---- inspection ----

    /// Every request so far, in the order answered (`sig` masked).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.journal.all()
    }

    /// Every flow run, oldest first.
    pub fn runs(&self) -> Vec<FlowRun> {
        self.shared.runs.lock().clone()
    }

    /// The cards the flows posted to their channels, oldest first.
    pub fn posted_cards(&self) -> Vec<Value> {
        let runs = self.shared.runs.lock();
        runs.iter().flat_map(|r| r.cards.iter().cloned()).collect()
    }

    pub fn count_status(&self, status: u16) -> usize {
        self.shared.journal.count_status(status)
    }
}
