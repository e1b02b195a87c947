//! Connecting a tool: one form per provider with the fields of the API and the seeds'
//! steps for finding each value. Saving verifies against the provider (through
//! `api::connections::create`); a refusal comes back next to the field it is about.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use serde_json::json;

use super::fields::{self, credential_fields, has_room, hint_key, label_key, Input};
use super::{api_message, failed};
use crate::api::connections::ConnectionBody;
use crate::console::i18n::Tr;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// One input of the form, ready for the template.
pub struct FieldView {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    /// `text`, `password`, `url` or `textarea`.
    pub kind: &'static str,
    pub required: bool,
    /// What was typed, kept after a refusal; always empty for secrets.
    pub value: String,
}

#[derive(Template)]
#[template(path = "console/connections/new.html")]
struct NewPage {
    page: Page,
    provider: &'static str,
    name: &'static str,
    intro: String,
    steps: Vec<String>,
    notes: Vec<String>,
    console_url: Option<&'static str>,
    /// LINE WORKS: how the API 1.0 words of older manuals map to this form.
    mapping: Vec<(String, String)>,
    /// LINE: the LINE Login channel's callback URL, to register in LINE Developers.
    login_callback: Option<String>,
    fields: Vec<FieldView>,
    room: Option<FieldView>,
    owner: String,
    owner_id: String,
}

/// What was typed: every input by name (the form's fields differ per provider).
type Typed = BTreeMap<String, String>;

fn typed<'a>(values: &'a Typed, name: &str) -> &'a str {
    values.get(name).map_or("", |v| v.trim())
}

/// Catalogue texts `<prefix>-1`, `<prefix>-2`, … as far as they go.
pub fn numbered(tr: Tr, prefix: &str) -> Vec<String> {
    (1..)
        .map_while(|i| tr.maybe(&format!("{prefix}-{i}")))
        .collect()
}

fn field_view(
    tr: Tr,
    provider: Provider,
    f: &fields::CredentialField,
    values: &Typed,
) -> FieldView {
    FieldView {
        name: f.name,
        label: tr.get(&label_key(f.name)),
        hint: tr.get(&hint_key(provider, f.name)),
        kind: match f.input {
            Input::Text => "text",
            Input::Secret => "password",
            Input::SecretUrl => "url",
            Input::SecretKey => "textarea",
        },
        required: f.required,
        value: if f.input.is_secret() {
            String::new()
        } else {
            typed(values, f.name).to_string()
        },
    }
}

fn build(
    state: &AppState,
    console: &Console,
    provider: Provider,
    values: &Typed,
    errors: Vec<FieldError>,
) -> NewPage {
    let tr = console.tr;
    let mut page = console.page(Section::Connections, "conn-new-title");
    page.title = tr.with("conn-new-title", "tool", provider.display_name());
    page.errors = errors;
    let p = provider.as_str();
    let room = has_room(provider).then(|| FieldView {
        name: "room",
        label: tr.get("conn-label-room"),
        hint: tr.get(&hint_key(provider, "room")),
        kind: "text",
        required: false,
        value: typed(values, "room").to_string(),
    });
    let mapping = if provider == Provider::LineWorks {
        numbered(tr, "conn-lw-old")
            .into_iter()
            .zip(numbered(tr, "conn-lw-new"))
            .collect()
    } else {
        vec![]
    };
    NewPage {
        provider: p,
        name: provider.display_name(),
        intro: tr.get(&format!("conn-intro-{p}")),
        steps: numbered(tr, &format!("conn-steps-{p}")),
        notes: numbered(tr, &format!("conn-note-{p}")),
        console_url: fields::provider_console_url(provider),
        mapping,
        login_callback: (provider == Provider::Line)
            .then(|| format!("{}/link/line/callback", state.public_url)),
        fields: credential_fields(provider)
            .iter()
            .map(|f| field_view(tr, provider, f, values))
            .collect(),
        room,
        owner: match typed(values, "owner") {
            "client" => "client",
            "member" => "member",
            _ => "tenant",
        }
        .to_string(),
        owner_id: typed(values, "owner_id").to_string(),
        page,
    }
}

fn unknown_provider(console: &Console) -> Response {
    let page = console.page(Section::Connections, "conn-list-title");
    failed(&page, &ApiError::not_found("provider"))
}

/// `GET /console/connections/new/{provider}`: the empty form.
pub async fn form(
    State(state): State<AppState>,
    console: Console,
    Path(provider): Path<String>,
) -> Response {
    let Ok(provider) = provider.parse::<Provider>() else {
        return unknown_provider(&console);
    };
    render(
        StatusCode::OK,
        &build(&state, &console, provider, &Typed::new(), vec![]),
    )
}

/// `POST /console/connections/new/{provider}`: checks what is missing, then lets the API
/// verify the credentials with the provider and store them.
pub async fn create(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    ConsoleForm(console, values): ConsoleForm<Typed>,
) -> Response {
    let Ok(provider) = provider.parse::<Provider>() else {
        return unknown_provider(&console);
    };
    let tr = console.tr;
    let (body, filled, mut errors) = body_of(tr, provider, &values);
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&state, &console, provider, &values, errors),
        );
    }
    let owner = body.owner.clone();
    match crate::api::connections::create(State(state.clone()), console.auth(), ApiJson(body)).await
    {
        Ok((_, ApiJson(view))) => {
            let detail = format!(
                "{} ({}), {}, account {}",
                provider.display_name(),
                view.kind,
                owner_for_log(&owner),
                view.account.name.as_deref().unwrap_or("-"),
            );
            console
                .audit(&state, "connection.create", &view.id.to_string(), &detail)
                .await;
            see_other(&format!(
                "/console/connections/{}?flash=conn-connected",
                view.id
            ))
        }
        Err(e) if e.code == "internal" => {
            failed(&console.page(Section::Connections, "conn-new-title"), &e)
        }
        Err(e) => {
            errors.push(FieldError {
                field: fields::field_for_error(provider, e.code, &e.message, &filled).into(),
                message: api_message(tr, Some(provider), &e),
            });
            render(
                e.status,
                &build(&state, &console, provider, &values, errors),
            )
        }
    }
}

/// The API body from the form, the credential fields that were filled in, and what is
/// missing (each next to its field).
fn body_of(
    tr: Tr,
    provider: Provider,
    values: &Typed,
) -> (ConnectionBody, Vec<&'static str>, Vec<FieldError>) {
    let mut errors = vec![];
    let owner_id = typed(values, "owner_id");
    let owner = match typed(values, "owner") {
        kind @ ("client" | "member") => {
            if owner_id.is_empty() {
                errors.push(FieldError {
                    field: "owner_id".into(),
                    message: tr.get(&format!("conn-owner-id-missing-{kind}")),
                });
            }
            json!({ kind: owner_id })
        }
        _ => json!({"tenant": true}),
    };
    let mut credentials = serde_json::Map::new();
    let mut filled = vec![];
    for f in credential_fields(provider) {
        let value = typed(values, f.name);
        if value.is_empty() {
            if f.required {
                errors.push(FieldError {
                    field: f.name.into(),
                    message: tr.with("conn-required", "field", tr.get(&label_key(f.name))),
                });
            }
            continue;
        }
        filled.push(f.name);
        credentials.insert(f.name.into(), json!(value));
    }
    // Slack: a webhook URL or a bot token, exactly one.
    if provider == Provider::Slack && filled.len() != 1 {
        errors.push(FieldError {
            field: "webhook_url".into(),
            message: tr.get("conn-slack-one-of"),
        });
    }
    let room = Some(typed(values, "room"))
        .filter(|r| has_room(provider) && !r.is_empty())
        .map(str::to_string);
    let body = ConnectionBody {
        provider: provider.as_str().to_string(),
        owner,
        credentials: serde_json::Value::Object(credentials),
        room,
    };
    (body, filled, errors)
}

/// The owner as the audit log says it: `office`, `client acme`, `member yamada`.
pub fn owner_for_log(owner: &serde_json::Value) -> String {
    match owner.as_object().and_then(|o| o.iter().next()) {
        Some((kind, serde_json::Value::String(ext))) => format!("{kind} {ext}"),
        _ => "office".to_string(),
    }
}
