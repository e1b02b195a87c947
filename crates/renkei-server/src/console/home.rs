//! Home: is every connection healthy, what went out in the last 24 hours, and what needs
//! the administrator's attention.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::{Owner, Provider};
use renkei_store::connections::Connection;
use renkei_store::now_ms;

use super::page::{render, Page, Section};
use super::session::Console;
use crate::AppState;

/// One connection's line in the health table.
pub struct Health {
    pub id: i64,
    pub provider: &'static str,
    pub owner: String,
    pub account: String,
    /// `connected`, `broken`, `paused` or `off`.
    pub state: &'static str,
    pub reason: String,
    pub paused_until: Option<i64>,
}

/// Something to fix, with where to fix it.
pub struct Attention {
    pub text: String,
    pub href: String,
}

/// The home page counts up to this many of each status, then says "10000+": a busy day
/// costs the same as a quiet one.
const TOTAL_CAP: i64 = 10_000;

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    page: Page,
    health: Vec<Health>,
    delivered: String,
    failed: String,
    failed_any: bool,
    pending: String,
    attention: Vec<Attention>,
}

pub async fn show(State(state): State<AppState>, console: Console) -> Result<Response, Response> {
    let tenant = console.tenant.id;
    let page = console.page(Section::Home, "home-title");
    let fail = |e: renkei_store::StoreError| super::landing::store_error(&page, &e);
    let connections = state.store.connections(tenant).await.map_err(fail)?;
    let totals = state
        .store
        .delivery_totals_since(
            tenant,
            now_ms() - 24 * 3600 * 1000,
            &["delivered", "failed", "pending", "staged"],
            TOTAL_CAP,
        )
        .await
        .map_err(fail)?;
    let attention = attention(&state, &console, &connections)
        .await
        .map_err(fail)?;
    let now = now_ms();
    let health = connections
        .iter()
        .map(|c| health(&console, c, now))
        .collect();
    let count = |s: &str| totals.get(s).copied().unwrap_or(0);
    let shown = |n: i64| {
        if n >= TOTAL_CAP {
            console.tr.with("home-at-least", "count", TOTAL_CAP)
        } else {
            n.to_string()
        }
    };
    Ok(render(
        StatusCode::OK,
        &HomePage {
            delivered: shown(count("delivered")),
            failed_any: count("failed") > 0,
            failed: shown(count("failed")),
            pending: shown(count("pending") + count("staged")),
            page,
            health,
            attention,
        },
    ))
}

fn health(console: &Console, c: &Connection, now: i64) -> Health {
    let state = if c.status == "broken" {
        "broken"
    } else if !c.enabled {
        "off"
    } else if c.paused_until > now {
        "paused"
    } else {
        "connected"
    };
    Health {
        id: c.id,
        provider: c.provider.display_name(),
        owner: owner_label(console, c),
        account: c.account_name.clone().unwrap_or_default(),
        state,
        reason: c.status_reason.clone().unwrap_or_default(),
        paused_until: (c.paused_until > now).then_some(c.paused_until),
    }
}

/// "The office", "client acme", "member yamada".
pub fn owner_label(console: &Console, c: &Connection) -> String {
    let ext = c.owner_external_id.clone().unwrap_or_default();
    match c.owner {
        Owner::Tenant => console.tr.get("owner-tenant"),
        Owner::Client(_) => console.tr.with("owner-client", "id", ext),
        Owner::Member(_) => console.tr.with("owner-member", "id", ext),
    }
}

async fn attention(
    state: &AppState,
    console: &Console,
    connections: &[Connection],
) -> Result<Vec<Attention>, renkei_store::StoreError> {
    let tr = console.tr;
    let tenant = console.tenant.id;
    let mut out = vec![];
    for c in connections.iter().filter(|c| c.status == "broken") {
        out.push(Attention {
            text: tr.with(
                "attention-broken",
                "tool",
                format!(
                    "{} ({})",
                    c.provider.display_name(),
                    c.account_name.as_deref().unwrap_or("-")
                ),
            ),
            href: format!("/console/connections/{}", c.id),
        });
    }
    let tenant_owned: Vec<&Connection> = connections
        .iter()
        .filter(|c| matches!(c.owner, Owner::Tenant) && c.status == "connected")
        .collect();
    // Chatwork shows no badge for a mention of the account that posts.
    for c in tenant_owned
        .iter()
        .filter(|c| c.provider == Provider::Chatwork)
    {
        let Some(account) = c.account_id.as_deref() else {
            continue;
        };
        for (ext, name) in state
            .store
            .members_with_identity(tenant, Provider::Chatwork, account)
            .await?
        {
            out.push(Attention {
                text: tr.with("attention-self-mention", "name", name),
                href: super::directory::href("members", &ext),
            });
        }
    }
    // Groups whose room posts land in the connection's default room (no group in their
    // chain has a room for that tool): often a room ID not yet set.
    for group in state.store.group_overviews(tenant).await? {
        for (source, key) in [
            ("default_room", "attention-group-default-room"),
            ("none", "attention-group-no-room"),
        ] {
            let tools: Vec<&str> = group
                .effective_rooms
                .iter()
                // Only tools that post into rooms: LINE sends to people, never to a room.
                .filter(|(p, room)| {
                    super::directory::ROOM_TOOLS.contains(p)
                        && room.source == source
                        && room.connection_id.is_some()
                })
                .map(|(provider, _)| provider.display_name())
                .collect();
            if !tools.is_empty() {
                let mut args = fluent_bundle::FluentArgs::new();
                args.set("group", group.name.clone());
                args.set("tools", tools.join(", "));
                out.push(Attention {
                    text: tr.format_args(key, &args),
                    href: super::directory::href("groups", &group.external_id),
                });
            }
        }
    }
    let members = state.store.member_count(tenant).await?;
    let mut providers: Vec<Provider> = tenant_owned.iter().map(|c| c.provider).collect();
    providers.sort_by_key(|p| p.as_str());
    providers.dedup();
    providers.retain(|p| has_member_identity(*p));
    for (provider, missing) in state
        .store
        .members_without_identity(tenant, &providers)
        .await?
    {
        if members > 0 && missing > 0 {
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("count", missing);
            args.set("tool", provider.display_name());
            out.push(Attention {
                text: tr.format_args("attention-missing-identity", &args),
                href: format!("/console/members?missing_identity={}", provider.as_str()),
            });
        }
    }
    Ok(out)
}

/// Tools through which the office's connection can reach a member personally.
fn has_member_identity(p: Provider) -> bool {
    matches!(
        p,
        Provider::Chatwork | Provider::Slack | Provider::LineWorks | Provider::Line
    )
}
