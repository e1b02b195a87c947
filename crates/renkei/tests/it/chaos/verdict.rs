//! What the chaos must not break: every accepted event delivered, each message at the fake
//! at least once, Chatwork repeats only for what a kill left unrecorded, none on LINE.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::world::Fakes;

/// One delivery of an accepted event, once nothing is pending.
pub struct Settled {
    pub id: i64,
    pub title: String,
    pub provider: String,
    pub status: String,
    pub reason_code: Option<String>,
    /// The room (Chatwork) or the account (a LINE direct push).
    pub destination: String,
    pub message_id: Option<String>,
}

/// Every delivery of the event, all pages; `None` while any is pending.
async fn deliveries(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    id: i64,
) -> Option<Vec<Settled>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let ev: Value = http
            .get(format!("{base}/api/v1/events/{id}?after={after}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let counts = ev["delivery_counts"].as_object().expect("delivery_counts");
        if counts.get("pending").is_some_and(|n| n.as_i64() > Some(0)) {
            return None;
        }
        assert!(
            ev["deliveries_total"].as_i64() > Some(0),
            "no delivery: {ev:#}"
        );
        for d in ev["deliveries"].as_array().unwrap() {
            let dest = &d["destination"];
            let destination = dest["room"].as_str().or(dest["account"].as_str());
            out.push(Settled {
                id: d["id"].as_i64().unwrap(),
                title: ev["title"].as_str().unwrap().to_string(),
                provider: d["provider"].as_str().unwrap_or("-").to_string(),
                status: d["status"].as_str().unwrap().to_string(),
                reason_code: d["reason_code"].as_str().map(str::to_string),
                destination: destination.unwrap_or("-").to_string(),
                message_id: d["message_id"].as_str().map(str::to_string),
            });
        }
        match ev["next_deliveries_after"].as_i64() {
            Some(next) => after = next,
            None => return Some(out),
        }
    }
}

/// Waits until no delivery of any accepted event is pending; returns them all.
pub async fn settle_all(base: &str, key: &str, ids: &BTreeSet<i64>) -> Vec<Settled> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut all = Vec::new();
    for id in ids {
        loop {
            if let Some(ds) = deliveries(&http, base, key, *id).await {
                all.extend(ds);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "event {id} still pending after 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    all
}

/// What the fakes received, per provider.
#[derive(Debug)]
pub struct Tally {
    pub chatwork_messages: usize,
    pub chatwork_repeats: usize,
    pub line_pushes: usize,
    pub line_409: usize,
}

/// Asserts the delivery guarantees; `max_chatwork_repeats` is the bound the kills allow.
pub fn check(
    fakes: &Fakes,
    settled: &[Settled],
    line_connection: i64,
    max_chatwork_repeats: usize,
) -> Tally {
    // Each event is meant for one provider (its title ends with it): that delivery is
    // delivered; routing skipped the other one when the event was taken.
    let mut meant = HashMap::new();
    let mut wrong = Vec::new();
    for d in settled {
        if d.title.ends_with(&format!("-{}", d.provider)) {
            *meant.entry(d.title.as_str()).or_insert(0) += 1;
            if d.status != "delivered" {
                wrong.push(format!("{} {} {:?}", d.title, d.status, d.reason_code));
            }
        } else if d.status != "skipped" {
            wrong.push(format!("{} on {}: {}", d.title, d.provider, d.status));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} deliveries wrong: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    let titles: BTreeSet<&str> = settled.iter().map(|d| d.title.as_str()).collect();
    for t in titles {
        assert_eq!(meant.get(t), Some(&1), "{t}: one delivery on its provider");
    }

    // Chatwork: each delivery's message is in its room (the one it recorded, among any
    // repeats); repeats are posts of one (room, title) beyond the first.
    let mut posted: HashMap<(String, String), Vec<String>> = HashMap::new();
    let messages = fakes.chatwork().all_messages();
    for m in &messages {
        let title = m
            .body
            .strip_prefix("[info][title]")
            .and_then(|b| b.split("[/title]").next())
            .unwrap_or(&m.body);
        posted
            .entry((m.room_id.to_string(), title.to_string()))
            .or_default()
            .push(m.message_id.clone());
    }
    let chatwork_repeats = messages.len() - posted.len();
    for d in settled
        .iter()
        .filter(|d| d.provider == "chatwork" && d.status == "delivered")
    {
        let Some(ids) = posted.get(&(d.destination.clone(), d.title.clone())) else {
            panic!("{} never reached Chatwork room {}", d.title, d.destination);
        };
        let recorded = d
            .message_id
            .as_ref()
            .expect("a delivered Chatwork message ID");
        assert!(
            ids.contains(recorded),
            "{}: recorded {recorded}, posted {ids:?}",
            d.title
        );
    }
    assert!(
        chatwork_repeats <= max_chatwork_repeats,
        "{chatwork_repeats} Chatwork messages posted twice; the kills allow {max_chatwork_repeats}"
    );

    // LINE: every push carried a retry key, and each delivery was accepted exactly once:
    // by its key, and by its text (a second push under another key would show there).
    let pushes = fakes.line().pushes();
    assert!(
        pushes.iter().all(|p| p.retry_key.is_some()),
        "a push without a retry key"
    );
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    let mut by_text: HashMap<(String, Vec<String>), usize> = HashMap::new();
    for p in &pushes {
        *by_key.entry(p.retry_key.as_deref().unwrap()).or_default() += 1;
        *by_text.entry((p.to.clone(), p.texts())).or_default() += 1;
    }
    let repeated = by_text.values().filter(|n| **n > 1).count();
    assert_eq!(
        repeated, 0,
        "LINE received {repeated} messages more than once"
    );
    for d in settled
        .iter()
        .filter(|d| d.provider == "line" && d.status == "delivered")
    {
        let key = renkei_providers::line::retry_key(line_connection, d.id);
        assert_eq!(
            by_key.get(key.as_str()).copied().unwrap_or(0),
            1,
            "{} to {}: LINE must have accepted it exactly once",
            d.title,
            d.destination
        );
    }
    let line_409 = fakes.line().count_status(409);
    Tally {
        chatwork_messages: messages.len(),
        chatwork_repeats,
        line_pushes: pushes.len(),
        line_409,
    }
}
