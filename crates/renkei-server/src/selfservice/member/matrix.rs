//! Which notices reach the member through which tool (Save Point 「通知させたいもの」,
//! WORKPLACE 通知管理): the tenant's event types × the member's tools, on or off, saved as
//! the member's preferences through the API. A box nobody touched shows the tenant's
//! default (on); a tool the administrator switched off for a type is off for everyone, so
//! its box is shown off and cannot be changed.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use serde::Deserialize;

use super::{page, Connections, Extras};
use crate::api::directory::{put_preferences, PreferencesBody};
use crate::console::page::{FieldError, Page};
use crate::error::ApiJson;
use crate::selfservice::session::{MemberForm, MemberSession};
use crate::AppState;

pub struct Cell {
    /// `type|provider`, the form's value for this box.
    pub value: String,
    pub on: bool,
    /// Switched off by the administrator for this type: shown, not changeable.
    pub locked: bool,
    /// The box's accessible name: "<type> — <tool>".
    pub label: String,
}

pub struct Row {
    pub name: String,
    pub key: String,
    pub cells: Vec<Cell>,
}

pub struct Matrix {
    pub tools: Vec<&'static str>,
    pub rows: Vec<Row>,
    /// Some box is off by the member's own choice (offer to go back to the defaults).
    pub changed: bool,
    /// Some tool is switched off by the administrator for some type (explain the dash).
    pub any_locked: bool,
}

/// The member's tools: those the tenant connected (its bot or webhook can carry their
/// notices) and those the member connected themselves.
pub fn member_tools(conns: &Connections) -> Vec<Provider> {
    Provider::ALL
        .into_iter()
        .filter(|p| conns.tenant_has(*p) || conns.own_of(*p).is_some())
        .collect()
}

pub async fn build(
    state: &AppState,
    me: &MemberSession,
    page: &Page,
    conns: &Connections,
) -> Result<Matrix, renkei_store::StoreError> {
    let tenant = me.ss.tenant.id;
    let tools = member_tools(conns);
    let types = state.store.event_types(tenant).await?;
    let prefs = state.store.preferences(tenant, me.member.id).await?;
    let mut changed = false;
    let rows: Vec<Row> = types
        .into_iter()
        .map(|t| {
            let cells = tools
                .iter()
                .map(|p| {
                    let locked = t.defaults.get(p) == Some(&false);
                    let chosen = prefs.get(&t.key).and_then(|m| m.get(p)).copied();
                    changed |= chosen == Some(false) && !locked;
                    Cell {
                        value: format!("{}|{}", t.key, p.as_str()),
                        on: !locked && chosen != Some(false),
                        locked,
                        label: page
                            .tr
                            .format_args("ss-matrix-cell", &cell_args(&t.name, p.display_name())),
                    }
                })
                .collect();
            Row {
                name: t.name,
                key: t.key,
                cells,
            }
        })
        .collect();
    let any_locked = rows.iter().any(|r: &Row| r.cells.iter().any(|c| c.locked));
    Ok(Matrix {
        tools: tools.iter().map(|p| p.display_name()).collect(),
        rows,
        changed,
        any_locked,
    })
}

fn cell_args<'a>(event_type: &'a str, tool: &'a str) -> fluent_bundle::FluentArgs<'a> {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("type", event_type);
    args.set("tool", tool);
    args
}

#[derive(Debug, Deserialize)]
pub struct MatrixForm {
    /// Every box the page showed (changeable ones), as `type|provider`.
    #[serde(default)]
    cell: Vec<String>,
    /// The boxes ticked.
    #[serde(default)]
    on: Vec<String>,
    /// "Back to the defaults": forget every choice of the member.
    reset: Option<String>,
}

/// `POST /me/preferences`: the boxes shown become the member's choices; types and tools
/// added meanwhile (not on the page the member saw) keep theirs.
pub async fn save(
    State(state): State<AppState>,
    MemberForm(me, form): MemberForm<MatrixForm>,
) -> Response {
    let tenant = me.ss.tenant.id;
    let current = match state.store.preferences(tenant, me.member.id).await {
        Ok(p) => p,
        Err(e) => {
            let (page, _) = me.ss.frame("/me", "ss-me-title", &me.member.name);
            return crate::console::landing::store_error(&page, &e);
        }
    };
    let mut prefs: std::collections::BTreeMap<String, std::collections::BTreeMap<String, bool>> =
        current
            .into_iter()
            .map(|(t, m)| {
                (
                    t,
                    m.into_iter().map(|(p, on)| (p.to_string(), on)).collect(),
                )
            })
            .collect();
    if form.reset.is_some() {
        prefs.clear();
    } else {
        let ticked: BTreeSet<&str> = form.on.iter().map(String::as_str).collect();
        for cell in &form.cell {
            let Some((event_type, provider)) = cell.split_once('|') else {
                continue;
            };
            let per_type = prefs.entry(event_type.to_string()).or_default();
            if ticked.contains(cell.as_str()) {
                // On is the default: the member's own "off" is simply forgotten.
                per_type.remove(provider);
            } else {
                per_type.insert(provider.to_string(), false);
            }
        }
        prefs.retain(|_, m| !m.is_empty());
    }
    let summary = if form.reset.is_some() {
        "back to the defaults".to_string()
    } else {
        let off: Vec<String> = prefs
            .iter()
            .flat_map(|(t, m)| {
                m.iter()
                    .filter(|(_, on)| !**on)
                    .map(move |(p, _)| format!("{t}/{p}"))
            })
            .collect();
        if off.is_empty() {
            "everything on".to_string()
        } else {
            format!("off: {}", off.join(", "))
        }
    };
    let ext = me.member.external_id.clone();
    match put_preferences(
        State(state.clone()),
        me.ss.auth(),
        axum::extract::Path(ext),
        ApiJson(PreferencesBody(prefs)),
    )
    .await
    {
        Ok(_) => {
            me.audit(&state, "preferences.update", "preferences", &summary)
                .await;
            me.ss
                .saved_redirect("/me", "preferences-saved", "preferences", "#notices")
        }
        Err(e) => {
            let message = me
                .ss
                .tr
                .maybe(&format!("err-{}", e.code))
                .unwrap_or(e.message);
            let extras = Extras {
                errors: vec![FieldError {
                    field: "matrix".into(),
                    message,
                }],
                ..Extras::default()
            };
            page(&state, &me, extras, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
