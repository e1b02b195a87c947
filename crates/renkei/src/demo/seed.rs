//! Seeding the demo tenant through the node's own HTTP API with the tenant's key, as a
//! product would: connections verified against the fakes, then clients, groups, members,
//! event types and the event history. Every step can run twice without doubling anything.

use std::collections::HashSet;
use std::io::Write;

use anyhow::Context;
use renkei_core::model::Provider;
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::fakes::Fakes;
use super::world::{ClientChatwork, CLIENTS, EVENT_TYPES, GROUPS, MEMBERS};

/// Events per `POST /events/batch`.
const BATCH: usize = 100;

/// The tenant's view of the API.
pub struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    pub fn new(base: &str, key: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_string(),
            key: key.to_string(),
        }
    }

    /// The status and JSON body of `METHOD /api/v1{path}`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} /api/v1{path}: the node did not answer"))?;
        let status = resp.status();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Like [`Self::call`], but anything other than a success is an error with the API's
    /// own code and message.
    async fn ok(&self, method: Method, path: &str, body: &Value) -> anyhow::Result<Value> {
        let (status, answer) = self.call(method.clone(), path, Some(body)).await?;
        if !status.is_success() {
            let err = &answer["error"];
            anyhow::bail!(
                "{method} /api/v1{path} answered {status} {}: {}",
                err["code"].as_str().unwrap_or("?"),
                err["message"].as_str().unwrap_or("")
            );
        }
        Ok(answer)
    }
}

/// What seeding learnt that the banner shows.
pub struct Seeded {
    pub failing_event: Option<i64>,
}

pub async fn run(api: &Api, fakes: &Fakes) -> anyhow::Result<Seeded> {
    let office = fakes.tenant_connections();
    step(
        "the office's connections",
        office.len(),
        connect(api, &office),
    )
    .await?;
    step("clients", CLIENTS.len(), clients(api)).await?;
    step("groups", GROUPS.len(), groups(api)).await?;
    step("members", MEMBERS.len(), members(api)).await?;
    let own = fakes.own_connections();
    step(
        "a client's and a member's own connections",
        own.len(),
        connect(api, &own),
    )
    .await?;
    step("event types", EVENT_TYPES.len(), event_types(api)).await?;
    let failing_event = events(api).await?;
    Ok(Seeded { failing_event })
}

fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

async fn step(
    what: &str,
    count: usize,
    work: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    say(&format!("  {what} ({count})… "));
    let done = work.await.with_context(|| format!("seeding {what}"));
    say(if done.is_ok() { "done\n" } else { "failed\n" });
    done
}

/// Connections the tenant already has (a run stopped halfway) are not made twice.
async fn connect(api: &Api, requests: &[Value]) -> anyhow::Result<()> {
    let (status, existing) = api.call(Method::GET, "/connections", None).await?;
    anyhow::ensure!(status.is_success(), "GET /connections answered {status}");
    let have: HashSet<(String, String)> = existing
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (c["provider"].to_string(), c["owner"].to_string()))
        .collect();
    for body in requests {
        if !have.contains(&(body["provider"].to_string(), body["owner"].to_string())) {
            api.ok(Method::POST, "/connections", body).await?;
        }
    }
    Ok(())
}

fn rooms(pairs: &[(Provider, Option<String>)]) -> Value {
    let map: Map<String, Value> = pairs
        .iter()
        .filter_map(|(p, room)| Some((p.to_string(), json!(room.as_ref()?))))
        .collect();
    Value::Object(map)
}

async fn clients(api: &Api) -> anyhow::Result<()> {
    for c in CLIENTS {
        // Pasted as the room URL an office worker would copy from the browser.
        let room = match c.chatwork {
            ClientChatwork::Room(r) | ClientChatwork::RoomWithoutOffice(r) => {
                Some(format!("https://www.chatwork.com/#!rid{r}"))
            }
            _ => None,
        };
        let body = json!({"name": c.name, "rooms": rooms(&[(Provider::Chatwork, room)])});
        api.ok(Method::PUT, &format!("/clients/{}", c.ext), &body)
            .await?;
    }
    Ok(())
}

async fn groups(api: &Api) -> anyhow::Result<()> {
    // Parents come first in the table, so each parent exists before its children.
    for g in GROUPS {
        let body = json!({
            "name": g.name,
            "parent": g.parent,
            "rooms": rooms(&[
                (Provider::Chatwork, g.chatwork_room.map(|r| format!("#!rid{r}"))),
                (Provider::Slack, g.slack_channel.map(str::to_string)),
                (Provider::LineWorks, g.line_works_channel.map(str::to_string)),
            ]),
        });
        api.ok(Method::PUT, &format!("/groups/{}", g.ext), &body)
            .await?;
    }
    Ok(())
}

async fn members(api: &Api) -> anyhow::Result<()> {
    for m in MEMBERS {
        let identities: Map<String, Value> = Provider::ALL
            .into_iter()
            .filter_map(|p| {
                let id = m.identity(p)?;
                Some((p.to_string(), json!({ p.identity_key(): id })))
            })
            .collect();
        let body = json!({
            "name": m.name,
            "email": m.email(),
            "client": m.client,
            "groups": m.groups,
            "identities": identities,
        });
        api.ok(Method::PUT, &format!("/members/{}", m.ext), &body)
            .await?;
    }
    Ok(())
}

async fn event_types(api: &Api) -> anyhow::Result<()> {
    for t in EVENT_TYPES {
        let defaults: Map<String, Value> = Provider::ALL
            .into_iter()
            .map(|p| (p.to_string(), json!(t.tools.contains(&p))))
            .collect();
        let body = json!({
            "name": t.name,
            "delivery": t.delivery.as_str(),
            "defaults": defaults,
            "confirmation_link_ttl_days": t.link_ttl_days,
        });
        api.ok(Method::PUT, &format!("/event-types/{}", t.key), &body)
            .await?;
    }
    Ok(())
}

/// Posts the history in batches; returns the ID of the event meant to fail.
async fn events(api: &Api) -> anyhow::Result<Option<i64>> {
    let all = super::events::all();
    say(&format!("  events ({})… ", all.len()));
    let mut failing = None;
    let mut sent = 0;
    for chunk in all.chunks(BATCH) {
        let answer = match api
            .ok(Method::POST, "/events/batch", &json!({"events": chunk}))
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                say("failed\n");
                return Err(e.context("seeding events"));
            }
        };
        let accepted = answer["events"].as_array().cloned().unwrap_or_default();
        anyhow::ensure!(
            accepted.len() == chunk.len(),
            "POST /events/batch accepted {} of {} events",
            accepted.len(),
            chunk.len()
        );
        for (event, answer) in chunk.iter().zip(&accepted) {
            if event["to"]["clients"][0] == super::world::FAILING_CLIENT {
                failing = answer["id"].as_i64();
            }
        }
        sent += chunk.len();
        say(&format!("{sent}… "));
    }
    say("done\n");
    Ok(failing)
}

/// A console link when the node serves the console; `None` when it does not (404).
pub async fn console_link(api: &Api) -> anyhow::Result<String> {
    let body = json!({"ttl_seconds": 3600});
    let (status, answer) = api
        .call(Method::POST, "/console-links", Some(&body))
        .await?;
    match status {
        StatusCode::CREATED => answer["url"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("the console link answer has no url: {answer}")),
        _ => anyhow::bail!(
            "POST /api/v1/console-links answered {status}: {}",
            answer["error"]["message"].as_str().unwrap_or("")
        ),
    }
}
