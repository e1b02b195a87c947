//! Chatwork OAuth (HiManager): register the OAuth client made in Chatwork, with the
//! redirect URL and the scopes to tick shown to copy; then the consent round trip, which
//! ends on `/oauth/chatwork/callback` and comes back to the new connection's page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use renkei_core::model::Provider;
use serde::Deserialize;
use serde_json::json;

use super::{api_message, failed};
use crate::console::i18n::Tr;
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{Console, ConsoleForm};
use crate::error::ApiJson;
use crate::flows::chatwork_oauth::{AuthorizeBody, OAuthClientBody, OAuthClientView};
use crate::AppState;

/// A scope to tick in Chatwork, with the words Chatwork's screen uses for it.
pub struct Scope {
    pub code: String,
    pub label: Option<String>,
}

#[derive(Template)]
#[template(path = "console/connections/oauth.html")]
struct OAuthPage {
    page: Page,
    client: OAuthClientView,
    scopes: Vec<Scope>,
    steps: Vec<String>,
    https: bool,
    /// The registration form's values.
    client_id: String,
    scopes_typed: String,
    /// The consent form's values.
    owner: String,
    owner_id: String,
    room: String,
}

/// The words of a scope in Chatwork's own client settings, when the catalogue has them.
fn scope_label(tr: Tr, code: &str) -> Option<String> {
    let key: String = code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    tr.maybe(&format!("conn-scope-{key}"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Typed {
    client_id: String,
    client_secret: String,
    scopes: String,
    owner: String,
    owner_id: String,
    room: String,
}

async fn oauth_page(
    state: &AppState,
    console: &Console,
    typed: &Typed,
    errors: Vec<FieldError>,
) -> Response {
    let mut page = console.page(Section::Connections, "conn-oauth-title");
    let client = match crate::flows::chatwork_oauth::get_client(
        State(state.clone()),
        console.auth(),
    )
    .await
    {
        Ok(ApiJson(client)) => client,
        Err(e) => return failed(&page, &e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.errors = errors;
    let tr = console.tr;
    let scopes = client
        .scopes
        .iter()
        .map(|code| Scope {
            code: code.clone(),
            label: scope_label(tr, code),
        })
        .collect();
    let client_id = if typed.client_id.is_empty() {
        client.client_id.clone().unwrap_or_default()
    } else {
        typed.client_id.trim().to_string()
    };
    render(
        status,
        &OAuthPage {
            steps: super::new::numbered(tr, "conn-oauth-steps"),
            https: client.redirect_uri.starts_with("https://"),
            scopes,
            client_id,
            scopes_typed: typed.scopes.trim().to_string(),
            owner: match typed.owner.as_str() {
                "client" => "client",
                "member" => "member",
                _ => "tenant",
            }
            .to_string(),
            owner_id: typed.owner_id.trim().to_string(),
            room: typed.room.trim().to_string(),
            client,
            page,
        },
    )
}

/// `GET /console/connections/oauth/chatwork`.
pub async fn show(State(state): State<AppState>, console: Console) -> Response {
    oauth_page(&state, &console, &Typed::default(), vec![]).await
}

fn error(field: &str, message: String) -> FieldError {
    FieldError {
        field: field.into(),
        message,
    }
}

/// `POST /console/connections/oauth/chatwork`: registers the client (ID and secret).
pub async fn register(
    State(state): State<AppState>,
    ConsoleForm(console, typed): ConsoleForm<Typed>,
) -> Response {
    let tr = console.tr;
    let mut errors = vec![];
    for (field, label) in [
        ("client_id", "conn-label-client_id"),
        ("client_secret", "conn-label-client_secret"),
    ] {
        let value = if field == "client_id" {
            &typed.client_id
        } else {
            &typed.client_secret
        };
        if value.trim().is_empty() {
            errors.push(error(
                field,
                tr.with("conn-required", "field", tr.get(label)),
            ));
        }
    }
    if !errors.is_empty() {
        return oauth_page(&state, &console, &typed, errors).await;
    }
    let body = OAuthClientBody {
        client_id: typed.client_id.trim().to_string(),
        client_secret: typed.client_secret.trim().to_string(),
        scopes: Some(typed.scopes.trim().to_string()).filter(|s| !s.is_empty()),
    };
    match crate::flows::chatwork_oauth::put_client(
        State(state.clone()),
        console.auth(),
        ApiJson(body),
    )
    .await
    {
        Ok(ApiJson(view)) => {
            let detail = format!(
                "client {}, scopes {}",
                view.client_id.as_deref().unwrap_or("-"),
                view.scopes.join(" ")
            );
            console
                .audit(&state, "oauth_client.put", "chatwork", &detail)
                .await;
            see_other("/console/connections/oauth/chatwork?flash=conn-oauth-client-saved")
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let field = if e.code == "invalid_scope" {
                "scopes"
            } else {
                "client_id"
            };
            let message = api_message(tr, Some(Provider::Chatwork), &e);
            oauth_page(&state, &console, &typed, vec![error(field, message)]).await
        }
        Err(e) => failed(&console.page(Section::Connections, "conn-oauth-title"), &e),
    }
}

/// `POST /console/connections/oauth/chatwork/start`: sends the browser to Chatwork's
/// consent page (the console's CSP does not restrict where a form may lead).
pub async fn start(
    State(state): State<AppState>,
    ConsoleForm(console, typed): ConsoleForm<Typed>,
) -> Response {
    let tr = console.tr;
    let owner_id = typed.owner_id.trim();
    let owner = match typed.owner.as_str() {
        kind @ ("client" | "member") => {
            if owner_id.is_empty() {
                let message = tr.get(&format!("conn-owner-id-missing-{kind}"));
                return oauth_page(&state, &console, &typed, vec![error("owner_id", message)])
                    .await;
            }
            Some(json!({ kind: owner_id }))
        }
        _ => None,
    };
    let body = AuthorizeBody {
        owner,
        room: Some(typed.room.trim().to_string()).filter(|r| !r.is_empty()),
    };
    match crate::flows::chatwork_oauth::authorize(
        State(state.clone()),
        console.auth(),
        ApiJson(body),
    )
    .await
    {
        Ok((_, ApiJson(started))) => see_other(&started.authorize_url),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let field = match e.code {
                "invalid_room" => "room",
                "oauth_client_missing" => "client_id",
                _ => "owner_id",
            };
            let message = api_message(tr, Some(Provider::Chatwork), &e);
            oauth_page(&state, &console, &typed, vec![error(field, message)]).await
        }
        Err(e) => failed(&console.page(Section::Connections, "conn-oauth-title"), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::pages::Lang;

    #[test]
    fn the_recommended_scopes_have_chatworks_words() {
        for lang in [Lang::Ja, Lang::En] {
            for code in renkei_providers::chatwork::oauth::SCOPES_RECOMMENDED.split_whitespace() {
                assert!(
                    scope_label(Tr::new(lang), code).is_some(),
                    "{lang:?}: no words for {code}"
                );
            }
        }
    }

    #[test]
    fn unknown_errors_are_not_lost() {
        let e = ApiError::unprocessable("something_new", "what to fix");
        assert_eq!(api_message(Tr::new(Lang::Ja), None, &e), "what to fix");
    }
}
