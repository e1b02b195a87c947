//! The load generator: single events and batches, with and without idempotency keys, to
//! Chatwork client rooms and LINE members, posted continuously to whichever node it picks.
//! It records the ID of every event a node answered 202 for; a request with keys that got
//! no answer (the node was killed) is sent again until one does, as a client would.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::world::{CHATWORK_ROOMS, LINE_MEMBERS};

pub struct Load {
    stop: watch::Sender<bool>,
    task: JoinHandle<Accepted>,
}

#[derive(Debug, Default)]
pub struct Accepted {
    pub ids: BTreeSet<i64>,
    pub requests: usize,
    /// Requests with no answer (a killed or starting node), by kind.
    pub unanswered_with_keys: usize,
    pub unanswered_without_keys: usize,
    /// Answers other than 202, by status.
    pub refused: BTreeMap<u16, usize>,
    /// Events a repeated key answered with the event accepted the first time.
    pub duplicates_answered: usize,
}

struct Request {
    path: &'static str,
    body: Value,
    keyed: bool,
}

impl Load {
    pub fn start(ports: Vec<u16>, key: String, seed: u64) -> Load {
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(ports, key, seed, stop_rx));
        Load { stop, task }
    }

    /// Stops making new requests, sends again what still has no answer, and returns.
    pub async fn finish(self) -> Accepted {
        self.stop.send_replace(true);
        self.task.await.expect("load generator")
    }
}

fn event(rng: &mut StdRng, seq: u64, key: Option<String>) -> Value {
    // The title names the provider meant to carry it (the other one skips the event).
    let mut ev = if rng.gen_bool(0.4) {
        let client = format!("c{}", rng.gen_range(0..CHATWORK_ROOMS));
        json!({"type": "t", "to": {"clients": [client]}, "title": format!("chaos-{seq}-chatwork")})
    } else {
        let member = format!("m{}", rng.gen_range(0..LINE_MEMBERS));
        json!({"type": "wf.direct", "to": {"members": [member]}, "title": format!("chaos-{seq}-line")})
    };
    if let Some(k) = key {
        ev["idempotency_key"] = json!(k);
    }
    ev
}

fn next_request(rng: &mut StdRng, seq: &mut u64, seed: u64) -> Request {
    let keyed = rng.gen_bool(0.5);
    let mut one = |rng: &mut StdRng| {
        *seq += 1;
        let key = keyed.then(|| format!("chaos-{seed}-{seq}"));
        event(rng, *seq, key)
    };
    if rng.gen_bool(0.3) {
        let n = rng.gen_range(2..=12);
        let events: Vec<Value> = (0..n).map(|_| one(rng)).collect();
        Request {
            path: "/api/v1/events/batch",
            body: json!({ "events": events }),
            keyed,
        }
    } else {
        Request {
            path: "/api/v1/events",
            body: one(rng),
            keyed,
        }
    }
}

async fn run(ports: Vec<u16>, key: String, seed: u64, stop: watch::Receiver<bool>) -> Accepted {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x10ad);
    let mut seq = 0;
    let mut again: VecDeque<Request> = VecDeque::new();
    let mut out = Accepted::default();
    let mut stopped_at: Option<Instant> = None;
    loop {
        if stopped_at.is_none() && *stop.borrow() {
            stopped_at = Some(Instant::now());
        }
        if let Some(t) = stopped_at {
            if again.is_empty() {
                return out;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "{} keyed requests still unanswered 30 s after the chaos ended",
                again.len()
            );
        }
        let req = match again.pop_front() {
            Some(r) => r,
            None if stopped_at.is_some() => continue,
            None => next_request(&mut rng, &mut seq, seed),
        };
        let port = ports[rng.gen_range(0..ports.len())];
        out.requests += 1;
        let answer = http
            .post(format!("http://127.0.0.1:{port}{}", req.path))
            .bearer_auth(&key)
            .json(&req.body)
            .send()
            .await;
        let answered = match answer {
            // No body: killed while answering.
            Ok(resp) if resp.status() == 202 => resp.json::<Value>().await.ok(),
            Ok(resp) => {
                let status = resp.status().as_u16();
                *out.refused.entry(status).or_default() += 1;
                None
            }
            Err(_) => None,
        };
        match answered {
            Some(v) => {
                let accepted = match v.get("events") {
                    Some(list) => list.as_array().unwrap().clone(),
                    None => vec![v],
                };
                for a in accepted {
                    out.ids.insert(a["id"].as_i64().expect("event id"));
                    if a["duplicate"] == true {
                        out.duplicates_answered += 1;
                    }
                }
            }
            None if req.keyed => {
                out.unanswered_with_keys += 1;
                again.push_back(req);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            None => {
                // Maybe stored, maybe not: its messages may arrive, but it is not counted.
                out.unanswered_without_keys += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        if stopped_at.is_none() {
            tokio::time::sleep(Duration::from_millis(rng.gen_range(3..25))).await;
        }
    }
}
