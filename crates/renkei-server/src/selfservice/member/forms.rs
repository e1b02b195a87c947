//! The forms of the member's tool cards: link (connect their own token or webhook, verified
//! by the provider; set their account ID), change the room, disconnect, unlink. Every change
//! goes through the API's own functions and is recorded as the member's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use renkei_core::ids;
use renkei_core::model::Provider;
use renkei_store::connections::Connection;
use serde::Deserialize;
use serde_json::json;

use super::tools::{offered, spec_of, Spec, Typed};
use super::{page, Connections, Extras};
use crate::api::connections::{create, delete, patch, ConnectionBody, ConnectionPatch};
use crate::api::directory::IdentityBody;
use crate::api::member_tools::{delete_identity, put_identity};
use crate::console::i18n::Tr;
use crate::console::page::FieldError;
use crate::console::session::NoFields;
use crate::error::{ApiError, ApiJson};
use crate::selfservice::session::{MemberForm, MemberSession};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ToolForm {
    #[serde(default)]
    secret: String,
    room: Option<String>,
    identity: Option<String>,
}

fn unknown_tool(me: &MemberSession) -> Response {
    let page = crate::console::landing::message_page(
        me.ss.tr,
        StatusCode::NOT_FOUND,
        "ss-unknown-tool-title",
        &["ss-unknown-tool-body"],
    );
    crate::selfservice::view::with_frame_policy(page, &me.ss.frame_origins)
}

/// The offered tool named in the path, or the page to answer.
async fn offered_spec(
    state: &AppState,
    me: &MemberSession,
    key: &str,
) -> Result<(&'static Spec, Connections), Response> {
    let Some(spec) = spec_of(key) else {
        return Err(unknown_tool(me));
    };
    let conns = Connections::load(state, me).await.map_err(|e| {
        crate::console::landing::store_error(&me.ss.frame("/me", "ss-me-title", "").0, &e)
    })?;
    if !offered(spec, &conns) {
        return Err(unknown_tool(me));
    }
    Ok((spec, conns))
}

/// The message for an API refusal: the page's own words for the code when it has them.
pub fn api_message(tr: Tr, e: &ApiError) -> String {
    tr.maybe(&format!("ss-err-{}", e.code))
        .or_else(|| tr.maybe(&format!("err-{}", e.code)))
        .unwrap_or_else(|| e.message.clone())
}

/// One tool's form, read and checked before anything is changed.
struct Checked<'a> {
    spec: &'static Spec,
    secret: &'a str,
    room: &'a str,
    /// `Some("")`: the field was emptied (remove the account ID).
    identity_field: Option<&'a str>,
    identity: Option<String>,
}

fn field_id(p: Provider, field: &str) -> String {
    format!("{}-{field}", p.as_str())
}

fn check<'a>(
    spec: &'static Spec,
    form: &'a ToolForm,
    own: Option<&Connection>,
    tr: Tr,
) -> Result<Checked<'a>, Vec<FieldError>> {
    let p = spec.provider;
    let mut errors = Vec::new();
    let identity_field = form
        .identity
        .as_deref()
        .map(str::trim)
        .filter(|_| spec.identity);
    let identity = match identity_field {
        Some("") | None => None,
        Some(raw) => ids::parse_identity(p, raw)
            .map_err(|_| {
                errors.push(FieldError {
                    field: field_id(p, "identity"),
                    message: tr.get(&format!("ss-{}-identity-invalid", spec.slug)),
                })
            })
            .ok(),
    };
    let room = form
        .room
        .as_deref()
        .map(str::trim)
        .filter(|_| spec.room)
        .unwrap_or("");
    if !room.is_empty() && ids::parse_room(p, room).is_err() {
        errors.push(FieldError {
            field: field_id(p, "room"),
            message: tr.get("ss-room-invalid"),
        });
    }
    let secret = form.secret.trim();
    // A webhook-only tool with nothing connected and nothing pasted: nothing to save.
    if spec.secret.is_some() && secret.is_empty() && own.is_none() && !spec.identity {
        errors.push(FieldError {
            field: field_id(p, "secret"),
            message: tr.get(&format!("ss-{}-secret-missing", spec.slug)),
        });
    }
    if errors.is_empty() {
        Ok(Checked {
            spec,
            secret,
            room,
            identity_field,
            identity,
        })
    } else {
        Err(errors)
    }
}

/// Connects the pasted token or webhook (the provider verifies it), replacing the member's
/// earlier one of the same tool.
async fn connect(
    state: &AppState,
    me: &MemberSession,
    conns: &Connections,
    c: &Checked<'_>,
    field: &str,
) -> Result<(), FieldError> {
    let p = c.spec.provider;
    let body = ConnectionBody {
        provider: p.as_str().to_string(),
        owner: json!({"member": me.member.external_id}),
        credentials: json!({ field: c.secret }),
        room: Some(c.room.to_string()).filter(|r| !r.is_empty()),
    };
    let (_, ApiJson(made)) = create(State(state.clone()), me.ss.auth(), ApiJson(body))
        .await
        .map_err(|e| FieldError {
            field: if matches!(e.code, "invalid_room" | "room_not_allowed") {
                field_id(p, "room")
            } else {
                field_id(p, "secret")
            },
            message: api_message(me.ss.tr, &e),
        })?;
    for old in conns.own.iter().filter(|x| x.provider == p) {
        if let Err(e) = delete(State(state.clone()), me.ss.auth(), Path(old.id.to_string())).await {
            tracing::warn!(error = %e.message, "could not remove a member's replaced connection");
        }
    }
    let account = made.account.name.or(made.account.id).unwrap_or_default();
    let detail = format!(
        "own {} connection {} ({account})",
        p.display_name(),
        made.id
    );
    me.audit(state, "connection.create", p.as_str(), &detail)
        .await;
    Ok(())
}

/// Moves the member's own connection to another room (or back to its default place) when
/// the form asks for a different one.
async fn change_room(
    state: &AppState,
    me: &MemberSession,
    own: &Connection,
    c: &Checked<'_>,
) -> Result<(), FieldError> {
    let p = c.spec.provider;
    let wanted = Some(c.room).filter(|r| !r.is_empty());
    let changed = match (wanted, own.room.as_deref()) {
        (Some(w), Some(now)) => ids::parse_room(p, w).ok().as_deref() != Some(now),
        (w, now) => w.is_some() != now.is_some(),
    };
    if !changed {
        return Ok(());
    }
    let body = ConnectionPatch {
        enabled: None,
        room: Some(wanted.unwrap_or("").to_string()),
    };
    patch(
        State(state.clone()),
        me.ss.auth(),
        Path(own.id.to_string()),
        ApiJson(body),
    )
    .await
    .map_err(|e| FieldError {
        field: field_id(p, "room"),
        message: api_message(me.ss.tr, &e),
    })?;
    let detail = format!("room {}", wanted.unwrap_or("(default place)"));
    me.audit(state, "connection.update", p.as_str(), &detail)
        .await;
    Ok(())
}

/// Sets the account ID the form names, or removes it when the field was emptied.
async fn save_identity(
    state: &AppState,
    me: &MemberSession,
    c: &Checked<'_>,
) -> Result<(), FieldError> {
    let p = c.spec.provider;
    let path = Path((me.member.external_id.clone(), p.as_str().to_string()));
    let stored = me.member.identities.get(&p);
    match (&c.identity, stored) {
        (Some(new), old) if old != Some(new) => {
            let body = IdentityBody([(p.identity_key().to_string(), new.clone())].into());
            put_identity(State(state.clone()), me.ss.auth(), path, ApiJson(body))
                .await
                .map_err(|e| FieldError {
                    field: field_id(p, "identity"),
                    message: api_message(me.ss.tr, &e),
                })?;
            let detail = format!("{} {new}", p.identity_key());
            me.audit(state, "identity.update", p.as_str(), &detail)
                .await;
        }
        (None, Some(_)) if c.identity_field == Some("") => {
            delete_identity(State(state.clone()), me.ss.auth(), path)
                .await
                .map_err(|e| FieldError {
                    field: field_id(p, "identity"),
                    message: api_message(me.ss.tr, &e),
                })?;
            me.audit(state, "identity.remove", p.as_str(), "").await;
        }
        _ => {}
    }
    Ok(())
}

/// `POST /me/tools/{provider}`: connect the member's own token or webhook (verified with the
/// provider, replacing the one before), change its room, and set or clear their account ID.
pub async fn save(
    State(state): State<AppState>,
    Path(key): Path<String>,
    MemberForm(me, form): MemberForm<ToolForm>,
) -> Response {
    let (spec, conns) = match offered_spec(&state, &me, &key).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = spec.provider;
    let own = conns.own_of(p);
    let typed = || Typed {
        provider: p,
        room: form.room.clone(),
        identity: form.identity.clone(),
    };
    let checked = match check(spec, &form, own, me.ss.tr) {
        Ok(c) => c,
        Err(errors) => return failed(&state, &me, errors, typed()).await,
    };
    let done = match (spec.secret, own) {
        (Some(field), _) if !checked.secret.is_empty() => {
            connect(&state, &me, &conns, &checked, field).await
        }
        (_, Some(own)) if spec.room => change_room(&state, &me, own, &checked).await,
        _ => Ok(()),
    };
    let done = match done {
        Ok(()) if spec.identity => save_identity(&state, &me, &checked).await,
        other => other,
    };
    match done {
        Ok(()) => {
            me.ss
                .saved_redirect("/me", "saved", p.as_str(), &format!("#tool-{}", p.as_str()))
        }
        Err(error) => failed(&state, &me, vec![error], typed()).await,
    }
}

async fn failed(
    state: &AppState,
    me: &MemberSession,
    errors: Vec<FieldError>,
    typed: Typed,
) -> Response {
    let extras = Extras {
        errors,
        typed: Some(typed),
        ..Extras::default()
    };
    page(state, me, extras, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /me/tools/{provider}/disconnect`: removes the member's own token or webhook of
/// the tool; what was waiting to be sent through it is cancelled (as the API does).
pub async fn disconnect(
    State(state): State<AppState>,
    Path(key): Path<String>,
    MemberForm(me, NoFields {}): MemberForm<NoFields>,
) -> Response {
    let (spec, conns) = match offered_spec(&state, &me, &key).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = spec.provider;
    for c in conns.own.iter().filter(|c| c.provider == p) {
        if let Err(e) = delete(State(state.clone()), me.ss.auth(), Path(c.id.to_string())).await {
            return e.into_response();
        }
        let detail = format!("own {} connection {}", p.display_name(), c.id);
        me.audit(&state, "connection.delete", p.as_str(), &detail)
            .await;
    }
    let anchor = format!("#tool-{}", p.as_str());
    me.ss
        .saved_redirect("/me", "disconnected", p.as_str(), &anchor)
}

/// `POST /me/tools/{provider}/unlink`: forgets the member's account on the tool (LINE: the
/// LINE user ID that LINE Login stored).
pub async fn unlink(
    State(state): State<AppState>,
    Path(key): Path<String>,
    MemberForm(me, NoFields {}): MemberForm<NoFields>,
) -> Response {
    let (spec, _) = match offered_spec(&state, &me, &key).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = spec.provider;
    if me.member.identities.contains_key(&p) {
        let path = Path((me.member.external_id.clone(), p.as_str().to_string()));
        if let Err(e) = delete_identity(State(state.clone()), me.ss.auth(), path).await {
            return e.into_response();
        }
        me.audit(&state, "identity.remove", p.as_str(), "").await;
    }
    let anchor = format!("#tool-{}", p.as_str());
    me.ss.saved_redirect("/me", "unlinked", p.as_str(), &anchor)
}
