//! Settings (Cells Drive 確認リンク, and the console's own defaults): how long the
//! confirmation link in each notice lives, the time zone times are shown in, and the
//! language the pages fall back to when the browser names neither Japanese nor English.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::landing::store_error;
use super::page::{render, see_other, FieldError, Page, Section};
use super::session::{Console, ConsoleForm};
use crate::api::settings::{put_settings, SettingsBody};
use crate::error::ApiJson;
use crate::AppState;

/// The lifetimes offered, as in the Cells Drive settings ("" = no link).
const LIFETIMES: [&str; 5] = ["", "1", "3", "7", "30"];

/// Zones people here pick most; any other IANA name can be typed.
const COMMON_ZONES: [&str; 8] = [
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Bangkok",
    "America/Los_Angeles",
    "Europe/London",
    "UTC",
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings", get(show).post(save))
}

pub struct Lifetime {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "console/settings.html")]
struct SettingsPage {
    page: Page,
    lifetimes: Vec<Lifetime>,
    time_zone: String,
    zones: &'static [&'static str],
    language: String,
    /// The origins allowed to frame the member and client pages, one per line.
    frame_origins: String,
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    link_ttl_days: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    frame_origins: String,
}

fn lifetimes(page: &Page, current: &str) -> Vec<Lifetime> {
    LIFETIMES
        .iter()
        .map(|value| Lifetime {
            value,
            label: if value.is_empty() {
                page.t("settings-link-none")
            } else {
                page.tn(
                    "settings-link-days",
                    "days",
                    value.parse::<i64>().unwrap_or(0),
                )
            },
            checked: *value == current,
        })
        .collect()
}

fn form_page(
    page: Page,
    ttl: &str,
    time_zone: String,
    language: String,
    frame_origins: String,
) -> SettingsPage {
    SettingsPage {
        lifetimes: lifetimes(&page, ttl),
        page,
        time_zone,
        zones: &COMMON_ZONES,
        language,
        frame_origins,
    }
}

/// The textarea's lines (spaces and commas also separate), empty ones dropped.
fn origin_lines(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

async fn show(State(state): State<AppState>, console: Console) -> Response {
    let page = console.page(Section::Settings, "settings-title");
    let settings = match state.store.tenant_settings(console.tenant.id).await {
        Ok(s) => s,
        Err(e) => return store_error(&page, &e),
    };
    let ttl = settings
        .link_ttl_days
        .map(|d| d.to_string())
        .unwrap_or_default();
    let origins = settings.frame_origins.join("\n");
    render(
        StatusCode::OK,
        &form_page(page, &ttl, settings.time_zone, settings.language, origins),
    )
}

async fn save(
    State(state): State<AppState>,
    ConsoleForm(console, form): ConsoleForm<SettingsForm>,
) -> Response {
    let mut page = console.page(Section::Settings, "settings-title");
    let ttl = match form.link_ttl_days.trim() {
        "" => Ok(None),
        days => days.parse::<i64>().map(Some),
    };
    let Ok(ttl) = ttl else {
        page.errors.push(FieldError {
            field: "link-ttl-0".into(),
            message: page.t("settings-err-link"),
        });
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(page, "", form.time_zone, form.language, form.frame_origins),
        );
    };
    let body = SettingsBody {
        confirmation_link_ttl_days: Some(ttl),
        time_zone: Some(form.time_zone.clone()),
        language: Some(form.language.clone()),
        frame_origins: Some(origin_lines(&form.frame_origins)),
    };
    match put_settings(State(state.clone()), console.auth(), ApiJson(body)).await {
        Ok(ApiJson(saved)) => {
            let detail = format!(
                "link {}, {}, {}, frame origins: {}",
                saved
                    .confirmation_link_ttl_days
                    .map_or("none".to_string(), |d| format!("{d} days")),
                saved.time_zone,
                saved.language,
                if saved.frame_origins.is_empty() {
                    "none".to_string()
                } else {
                    saved.frame_origins.join(" ")
                }
            );
            console
                .audit(&state, "settings.update", "settings", &detail)
                .await;
            see_other("/console/settings?flash=saved")
        }
        Err(e) => {
            let (field, key) = match e.code {
                "invalid_time_zone" => ("time-zone", "settings-err-time-zone"),
                "invalid_language" => ("language-ja", "settings-err-language"),
                "invalid_frame_origin" => ("frame-origins", "settings-err-frame-origins"),
                _ => ("link-ttl-0", "settings-err-link"),
            };
            let message = if e.code == "invalid_frame_origin" {
                // The API names the entry that is wrong; the page's words come first.
                format!("{} ({})", page.t(key), e.message)
            } else {
                page.t(key)
            };
            page.errors.push(FieldError {
                field: field.into(),
                message,
            });
            let ttl = ttl.map(|d| d.to_string()).unwrap_or_default();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(
                    page,
                    &ttl,
                    form.time_zone,
                    form.language,
                    form.frame_origins,
                ),
            )
        }
    }
}
