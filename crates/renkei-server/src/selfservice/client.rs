//! A client's own page (`/client`, Cells Drive level ④ 事業所マイページ): the client connects
//! its own Chatwork token, and optionally a room, and sees where its notices go: its own
//! My Chat, its room, or the office's token posting into its room.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use renkei_core::model::{Owner, Provider};
use renkei_core::routing::Outcome;
use renkei_store::connections::Connection;
use serde::Deserialize;
use serde_json::json;

use super::session::{ClientForm, ClientSession};
use super::shell::Shell;
use crate::api::connections::{create, delete, patch, ConnectionBody, ConnectionPatch};
use crate::api::events::{route, EventBody, To};
use crate::console::landing::store_error;
use crate::console::page::{FieldError, Page};
use crate::console::session::NoFields;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Template)]
#[template(path = "self_service/client.html")]
struct ClientPage {
    page: Page,
    shell: Shell,
    own: Option<OwnChatwork>,
    room: String,
    office_room: Option<String>,
    steps: Vec<String>,
    routes: Vec<RouteLine>,
    q: String,
}

pub struct OwnChatwork {
    pub account: String,
    pub hint: Option<String>,
    pub broken: bool,
    pub status_reason: Option<String>,
}

/// Where the client's notices go through one tool, in words.
pub struct RouteLine {
    pub tool: &'static str,
    pub sends: bool,
    pub text: String,
}

/// The client's own Chatwork connection(s).
async fn own_chatwork(
    state: &AppState,
    c: &ClientSession,
) -> Result<Vec<Connection>, renkei_store::StoreError> {
    Ok(state
        .store
        .connections(c.ss.tenant.id)
        .await?
        .into_iter()
        .filter(|x| x.owner == Owner::Client(c.client.id) && x.provider == Provider::Chatwork)
        .collect())
}

/// Routes a notice for this client (nothing is sent) and says where each tool takes it.
async fn routes(
    state: &AppState,
    c: &ClientSession,
    page: &Page,
) -> Result<Vec<RouteLine>, ApiError> {
    let ev = EventBody {
        event_type: "renkei.where".into(),
        idempotency_key: None,
        to: To {
            clients: vec![c.client.external_id.clone()],
            ..To::default()
        },
        title: "-".into(),
        body: String::new(),
        url: None,
        delivery: None,
        thread_key: None,
    };
    let tenant = c.ss.tenant.id;
    let (planned, _) = route(state, tenant, std::slice::from_ref(&ev))
        .await?
        .pop()
        .expect("one event routed");
    let conns = state.store.connections(tenant).await?;
    let mut lines = Vec::new();
    for p in planned {
        let tool = p.provider.map_or("", Provider::display_name);
        let line = match p.outcome {
            Outcome::Send {
                connection_id,
                room,
                ..
            } => {
                let Some(conn) = conns.iter().find(|x| x.id == connection_id) else {
                    continue;
                };
                let account = conn
                    .account_name
                    .clone()
                    .or(conn.account_id.clone())
                    .unwrap_or_default();
                let own = conn.owner == Owner::Client(c.client.id);
                let key = match (own, conn.default_room.as_deref() == Some(room.as_str())) {
                    (true, true) => "ss-client-goes-own-my-chat",
                    (true, false) => "ss-client-goes-own-room",
                    (false, true) => "ss-client-goes-office-my-chat",
                    (false, false) => "ss-client-goes-office-room",
                };
                let mut args = fluent_bundle::FluentArgs::new();
                args.set("tool", tool);
                args.set("room", room.clone());
                args.set("account", account);
                RouteLine {
                    tool,
                    sends: true,
                    text: page.tr.format_args(key, &args),
                }
            }
            // This page is about Chatwork: other tools are listed only where they do reach
            // the client (the office may have rooms for it there).
            Outcome::Skip { .. } if p.provider.is_some_and(|x| x != Provider::Chatwork) => continue,
            Outcome::Skip { code } => RouteLine {
                tool,
                sends: false,
                text: page
                    .tr
                    .maybe(&format!("ss-client-skip-{code}"))
                    .unwrap_or_else(|| {
                        p.reasons
                            .last()
                            .map(|r| crate::console::why::say(page.tr, r))
                            .unwrap_or_default()
                    }),
            },
        };
        lines.push(line);
    }
    Ok(lines)
}

async fn render_page(
    state: &AppState,
    c: &ClientSession,
    errors: Vec<FieldError>,
    typed_room: Option<String>,
    query: Option<&str>,
    status: StatusCode,
) -> Response {
    let (mut page, mut shell) = c.ss.frame("/client", "ss-client-title", &c.client.name);
    c.ss.saved_from_query(&mut shell, query);
    let own = match own_chatwork(state, c).await {
        Ok(o) => o,
        Err(e) => return store_error(&page, &e),
    };
    let routes = match routes(state, c, &page).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let room = typed_room
        .or_else(|| own.first().and_then(|x| x.room.clone()))
        .unwrap_or_default();
    let own = own.first().map(|x| OwnChatwork {
        account: x
            .account_name
            .clone()
            .or(x.account_id.clone())
            .unwrap_or_default(),
        hint: x.secret_hint.clone(),
        broken: x.status != "connected",
        status_reason: x.status_reason.clone(),
    });
    page.errors = errors;
    let steps = vec![
        page.t("ss-client-step-1"),
        page.t("ss-client-step-2"),
        page.t("ss-client-step-3"),
    ];
    let template = ClientPage {
        office_room: c.client.rooms.get(&Provider::Chatwork).cloned(),
        page,
        shell,
        own,
        room,
        steps,
        routes,
        q: c.ss.view.href("", &[]),
    };
    c.ss.render(status, &template)
}

/// `GET /client`.
pub async fn show(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    c: ClientSession,
) -> Response {
    render_page(&state, &c, vec![], None, uri.query(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct ChatworkForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    room: String,
}

fn message(c: &ClientSession, e: &ApiError) -> String {
    super::member::forms::api_message(c.ss.tr, e)
}

/// `POST /client/chatwork`: connects the client's own token (verified with Chatwork,
/// replacing the one before), or changes the room of the one it has.
pub async fn connect(
    State(state): State<AppState>,
    ClientForm(c, form): ClientForm<ChatworkForm>,
) -> Response {
    let secret = form.secret.trim();
    let room = form.room.trim();
    let own = match own_chatwork(&state, &c).await {
        Ok(o) => o,
        Err(e) => return store_error(&c.ss.frame("/client", "ss-client-title", "").0, &e),
    };
    let fail = |field: &str, message: String| {
        let errors = vec![FieldError {
            field: field.into(),
            message,
        }];
        render_page(
            &state,
            &c,
            errors,
            Some(form.room.clone()),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if !room.is_empty() && renkei_core::ids::parse_chatwork_room(room).is_err() {
        return fail("client-room", c.ss.tr.get("ss-room-invalid")).await;
    }
    if secret.is_empty() {
        let Some(current) = own.first() else {
            return fail("client-secret", c.ss.tr.get("ss-chatwork-secret-missing")).await;
        };
        let body = ConnectionPatch {
            enabled: None,
            room: Some(room.to_string()),
        };
        if let Err(e) = patch(
            State(state.clone()),
            c.ss.auth(),
            Path(current.id.to_string()),
            ApiJson(body),
        )
        .await
        {
            return fail("client-room", message(&c, &e)).await;
        }
        c.audit(
            &state,
            "connection.update",
            "chatwork",
            &format!("room {}", if room.is_empty() { "(My Chat)" } else { room }),
        )
        .await;
        return c
            .ss
            .saved_redirect("/client", "saved", "client", "#chatwork");
    }
    let body = ConnectionBody {
        provider: "chatwork".into(),
        owner: json!({"client": c.client.external_id}),
        credentials: json!({"api_token": secret}),
        room: Some(room.to_string()).filter(|r| !r.is_empty()),
    };
    match create(State(state.clone()), c.ss.auth(), ApiJson(body)).await {
        Ok((_, ApiJson(made))) => {
            for old in &own {
                if let Err(e) =
                    delete(State(state.clone()), c.ss.auth(), Path(old.id.to_string())).await
                {
                    tracing::warn!(error = %e.message, "could not remove a client's replaced connection");
                }
            }
            let account = made.account.name.or(made.account.id).unwrap_or_default();
            c.audit(
                &state,
                "connection.create",
                "chatwork",
                &format!("own Chatwork connection {} ({account})", made.id),
            )
            .await;
            c.ss.saved_redirect("/client", "saved", "client", "#chatwork")
        }
        Err(e) => {
            let field = if matches!(e.code, "invalid_room" | "room_not_allowed") {
                "client-room"
            } else {
                "client-secret"
            };
            fail(field, message(&c, &e)).await
        }
    }
}

/// `POST /client/chatwork/disconnect`: removes the client's own token (the seed: delete the
/// token to stop the notices); notices then follow the office's settings again.
pub async fn disconnect(
    State(state): State<AppState>,
    ClientForm(c, NoFields {}): ClientForm<NoFields>,
) -> Response {
    let own = match own_chatwork(&state, &c).await {
        Ok(o) => o,
        Err(e) => return store_error(&c.ss.frame("/client", "ss-client-title", "").0, &e),
    };
    for x in own {
        if let Err(e) = delete(State(state.clone()), c.ss.auth(), Path(x.id.to_string())).await {
            return e.into_response();
        }
        c.audit(
            &state,
            "connection.delete",
            "chatwork",
            &format!("own Chatwork connection {}", x.id),
        )
        .await;
    }
    c.ss.saved_redirect("/client", "disconnected", "client", "#chatwork")
}
