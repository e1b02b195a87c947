//! The event type × tool matrix (WORKPLACE 通知管理): a ticked box lets that tool carry
//! that type of notice; a cleared one switches it off for everyone (the event type's
//! per-tool default `false`, which routing applies before anything is queued).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use renkei_store::directory::EventType;
use serde::Deserialize;

use super::form::{put_type, TypeForm};
use super::{list_event_types, list_page};
use crate::console::landing::store_error;
use crate::console::page::{see_other, FieldError, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::AppState;

pub struct ToolColumn {
    /// `chatwork`, `line_works`, ...
    pub provider: &'static str,
    pub name: &'static str,
    /// The tenant has a connection for this tool (else the column is there because a type
    /// names it).
    pub connected: bool,
}

pub struct Cell {
    /// The checkbox's value and (with the row) its id.
    pub value: String,
    pub id: String,
    pub tool: &'static str,
    pub on: bool,
}

pub struct MatrixRow {
    pub key: String,
    pub name: String,
    pub cells: Vec<Cell>,
}

pub struct Matrix {
    pub tools: Vec<ToolColumn>,
    pub rows: Vec<MatrixRow>,
}

/// A box's value: the provider first, which never holds `:`, so any key can follow.
fn cell_value(provider: Provider, key: &str) -> String {
    format!("{}:{key}", provider.as_str())
}

impl Matrix {
    /// Columns: the tools the tenant has connected, and any a type already switches off.
    pub async fn build(
        state: &AppState,
        console: &Console,
        types: &[EventType],
    ) -> Result<Matrix, renkei_store::StoreError> {
        let connected: BTreeSet<Provider> = state
            .store
            .connections(console.tenant.id)
            .await?
            .iter()
            .map(|c| c.provider)
            .collect();
        let named: BTreeSet<Provider> = types
            .iter()
            .flat_map(|t| t.defaults.keys().copied())
            .collect();
        let providers: Vec<Provider> = Provider::ALL
            .into_iter()
            .filter(|p| connected.contains(p) || named.contains(p))
            .collect();
        let rows = types
            .iter()
            .enumerate()
            .map(|(i, t)| MatrixRow {
                key: t.key.clone(),
                name: t.name.clone(),
                cells: providers
                    .iter()
                    .map(|p| Cell {
                        value: cell_value(*p, &t.key),
                        id: format!("tool-{i}-{}", p.as_str()),
                        tool: p.display_name(),
                        on: t.defaults.get(p) != Some(&false),
                    })
                    .collect(),
            })
            .collect();
        let tools = providers
            .iter()
            .map(|p| ToolColumn {
                provider: p.as_str(),
                name: p.display_name(),
                connected: connected.contains(p),
            })
            .collect();
        Ok(Matrix { tools, rows })
    }
}

/// The matrix as sent: the ticked boxes, and which rows and columns the page showed (a
/// type or tool added since is left as it is).
#[derive(Debug, Deserialize)]
pub struct MatrixForm {
    #[serde(default)]
    on: Vec<String>,
    #[serde(default)]
    row: Vec<String>,
    #[serde(default)]
    tool: Vec<String>,
}

/// The type's per-tool defaults after the form: shown tools set from the boxes (only
/// "off" is stored: absent means on), others kept.
fn new_defaults(
    t: &EventType,
    tools: &[Provider],
    ticked: &BTreeSet<&str>,
) -> BTreeMap<Provider, bool> {
    let mut defaults = t.defaults.clone();
    for p in tools {
        if ticked.contains(cell_value(*p, &t.key).as_str()) {
            defaults.remove(p);
        } else {
            defaults.insert(*p, false);
        }
    }
    defaults
}

/// `POST /console/event-types/matrix`: each changed type is saved through the API's PUT.
pub async fn save(
    State(state): State<AppState>,
    ConsoleForm(console, form): ConsoleForm<MatrixForm>,
) -> Response {
    let mut page = console.page(Section::EventTypes, "et-title");
    let types = match list_event_types(&state, &console).await {
        Ok(types) => types,
        Err(e) => return store_error(&page, &e.message),
    };
    let tools: Vec<Provider> = form.tool.iter().filter_map(|t| t.parse().ok()).collect();
    let ticked: BTreeSet<&str> = form.on.iter().map(String::as_str).collect();
    let mut changed = 0;
    for t in types.iter().filter(|t| form.row.contains(&t.key)) {
        let defaults = new_defaults(t, &tools, &ticked);
        if defaults == t.defaults {
            continue;
        }
        if let Err(errors) = put_type(&state, &console, &TypeForm::of(t), defaults.clone()).await {
            page.errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: "matrix".into(),
                    message: format!("{}: {}", t.name, e.message),
                })
                .collect();
            let blank = TypeForm::new_type();
            return list_page(
                &state,
                &console,
                page,
                blank,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        console
            .audit(
                &state,
                "event_type.tools",
                &t.key,
                &describe(&tools, &defaults),
            )
            .await;
        changed += 1;
    }
    let flash = if changed == 0 {
        "et-matrix-unchanged"
    } else {
        "et-matrix-saved"
    };
    see_other(&format!("/console/event-types?flash={flash}#matrix"))
}

/// `Chatwork on, Slack off`, for the audit log.
fn describe(tools: &[Provider], defaults: &BTreeMap<Provider, bool>) -> String {
    tools
        .iter()
        .map(|p| {
            let on = defaults.get(p) != Some(&false);
            format!("{} {}", p.display_name(), if on { "on" } else { "off" })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_core::model::DeliveryMode;

    fn et(key: &str, defaults: &[(Provider, bool)]) -> EventType {
        EventType {
            key: key.into(),
            name: key.into(),
            delivery: DeliveryMode::Room,
            defaults: defaults.iter().copied().collect(),
            confirmation_link_ttl_days: None,
        }
    }

    #[test]
    fn shown_tools_follow_the_boxes_and_others_are_kept() {
        let t = et("a:b", &[(Provider::Slack, false), (Provider::Line, false)]);
        let tools = [Provider::Chatwork, Provider::Slack];
        // Chatwork cleared, Slack ticked; LINE was not shown, so it stays off.
        let ticked: BTreeSet<&str> = ["slack:a:b"].into_iter().collect();
        let d = new_defaults(&t, &tools, &ticked);
        assert_eq!(
            d,
            [(Provider::Chatwork, false), (Provider::Line, false)]
                .into_iter()
                .collect()
        );
        assert_eq!(describe(&tools, &d), "Chatwork off, Slack on");
    }
}
