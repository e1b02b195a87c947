//! The Chatwork user-list CSV import (ACALL: 管理者設定 → ユーザーリスト → CSVエクスポート):
//! upload → a preview of every row (new / changed / unchanged / problem, with the reason) →
//! apply. Both steps are the API's own `POST /api/v1/identity-imports/chatwork` (dry run,
//! then `apply=true`).
//!
//! Between the two steps the preview page carries the uploaded file itself, base64 in a
//! hidden field of the apply form (the CSRF token protects the form like any other), plus a
//! digest of the changes the preview showed. Apply runs the dry run again and applies only if
//! it would still make exactly those changes; otherwise it shows the new preview. See
//! docs/decisions.md, "Console CSV import: the file rides in the apply form".

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde::Deserialize;

use super::api_message;
use super::import_rows::{plan_of, preview_rows, PreviewRow};
use crate::api::imports::{chatwork as api_import, ImportParams, ImportReport};
use crate::console::i18n::Tr;
use crate::console::landing::{message_page, store_error};
use crate::console::page::{render, see_other, FieldError, Page, Section};
use crate::console::session::{check_form, Console};
use crate::error::ApiJson;
use crate::AppState;

/// The apply form carries the file (base64): room for the largest upload axum accepts (2 MB).
const MAX_APPLY_FORM_BYTES: usize = 4 << 20;

/// The import's result, carried to the member list after the redirect.
#[derive(Debug, Default, Deserialize)]
pub struct ImportNote {
    pub imported: Option<usize>,
    #[serde(default)]
    pub import_problems: usize,
}

impl ImportNote {
    pub fn flash(&self, tr: Tr) -> Option<String> {
        let linked = self.imported?;
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("linked", linked);
        args.set("problems", self.import_problems);
        Some(tr.format_args("dir-import-done", &args))
    }
}

#[derive(Template)]
#[template(path = "console/directory/import.html")]
struct UploadPage {
    page: Page,
}

fn upload_page(console: &Console, errors: Vec<FieldError>, status: StatusCode) -> Response {
    let mut page = console.page(Section::Members, "dir-import-title");
    page.errors = errors;
    render(status, &UploadPage { page })
}

pub async fn form(console: Console) -> Response {
    upload_page(&console, vec![], StatusCode::OK)
}

#[derive(Template)]
#[template(path = "console/directory/import_preview.html")]
struct PreviewPage {
    page: Page,
    rows: Vec<PreviewRow>,
    new: usize,
    changed: usize,
    unchanged: usize,
    problems: usize,
    encoding: &'static str,
    csv: String,
    plan: String,
}

async fn run(
    state: &AppState,
    console: &Console,
    csv: &[u8],
    apply: bool,
) -> Result<ImportReport, crate::error::ApiError> {
    api_import(
        State(state.clone()),
        console.auth(),
        Query(ImportParams { apply }),
        Bytes::copy_from_slice(csv),
    )
    .await
    .map(|ApiJson(report)| report)
}

async fn preview_page(
    state: &AppState,
    console: &Console,
    csv: &[u8],
    report: &ImportReport,
    stale: bool,
) -> Response {
    let mut page = console.page(Section::Members, "dir-import-preview-title");
    if stale {
        page.flash = Some(page.t("dir-import-stale"));
    }
    let rows = match preview_rows(state, console, csv, report).await {
        Ok(rows) => rows,
        Err(e) => return store_error(&page, &e),
    };
    let count = |kind: &str| rows.iter().filter(|r| r.kind == kind).count();
    render(
        if stale {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        },
        &PreviewPage {
            new: count("new"),
            changed: count("changed"),
            unchanged: count("unchanged"),
            problems: count("problem"),
            encoding: match report.encoding {
                "shift_jis" => "Shift_JIS",
                _ => "UTF-8",
            },
            csv: base64::engine::general_purpose::STANDARD.encode(csv),
            plan: plan_of(report),
            rows,
            page,
        },
    )
}

/// The form check of [`check_form`] for a body that is not URL-encoded: the token sent as a
/// field of the upload, with the request's headers. Returns the refusal, if any.
fn refusal(
    state: &AppState,
    console: &Console,
    headers: HeaderMap,
    token: &str,
) -> Option<Response> {
    let mut parts = Request::new(()).into_parts().0;
    parts.headers = headers;
    let body = Bytes::from(format!("_csrf={}", super::q(token)));
    check_form(&parts, &body, &console.session.csrf, state)
        .err()
        .map(|key| {
            message_page(
                console.tr,
                StatusCode::FORBIDDEN,
                "form-refused-title",
                &[key],
            )
        })
}

/// `POST /console/members/import`: the uploaded file (multipart, with the CSRF token as a
/// field) → the preview. Nothing changes yet.
pub async fn preview(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let file_error = |key: &str| {
        let message = console.tr.get(key);
        upload_page(
            &console,
            vec![FieldError {
                field: "file".into(),
                message,
            }],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Ok(mut multipart) = multipart else {
        return message_page(
            console.tr,
            StatusCode::BAD_REQUEST,
            "form-refused-title",
            &["form-unreadable"],
        );
    };
    let (mut token, mut file) = (String::new(), None::<Bytes>);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let data = match field.bytes().await {
                    Ok(d) => d,
                    Err(_) => return file_error("dir-import-too-large"),
                };
                match name.as_str() {
                    "_csrf" => token = String::from_utf8_lossy(&data).into_owned(),
                    "file" => file = Some(data),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return file_error("dir-import-too-large"),
        }
    }
    if let Some(refused) = refusal(&state, &console, headers, &token) {
        return refused;
    }
    let Some(csv) = file.filter(|f| !f.is_empty()) else {
        return file_error("dir-import-no-file");
    };
    match run(&state, &console, &csv, false).await {
        Ok(report) => preview_page(&state, &console, &csv, &report, false).await,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let message = api_message(console.tr, &e);
            let errors = vec![FieldError {
                field: "file".into(),
                message,
            }];
            upload_page(&console, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => store_error(
            &console.page(Section::Members, "dir-import-title"),
            &e.message,
        ),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ApplyForm {
    #[serde(default)]
    csv: String,
    #[serde(default)]
    plan: String,
}

/// `POST /console/members/import/apply`: the file the preview showed, applied if it still
/// makes the changes the preview listed.
pub async fn apply(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let refused =
        |status, key: &str| message_page(console.tr, status, "form-refused-title", &[key]);
    let Ok(bytes) = axum::body::to_bytes(body, MAX_APPLY_FORM_BYTES).await else {
        return refused(StatusCode::PAYLOAD_TOO_LARGE, "form-too-large");
    };
    let mut parts = Request::new(()).into_parts().0;
    parts.headers = headers;
    if let Err(key) = check_form(&parts, &bytes, &console.session.csrf, &state) {
        return refused(StatusCode::FORBIDDEN, key);
    }
    let Ok(form) = serde_html_form::from_bytes::<ApplyForm>(&bytes) else {
        return refused(StatusCode::BAD_REQUEST, "form-unreadable");
    };
    let Ok(csv) = base64::engine::general_purpose::STANDARD.decode(form.csv.trim()) else {
        return refused(StatusCode::BAD_REQUEST, "form-unreadable");
    };
    let error_page = |e: crate::error::ApiError| {
        if e.status == StatusCode::UNPROCESSABLE_ENTITY {
            let errors = vec![FieldError {
                field: "file".into(),
                message: api_message(console.tr, &e),
            }];
            upload_page(&console, errors, StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            store_error(
                &console.page(Section::Members, "dir-import-title"),
                &e.message,
            )
        }
    };
    let dry = match run(&state, &console, &csv, false).await {
        Ok(report) => report,
        Err(e) => return error_page(e),
    };
    if plan_of(&dry) != form.plan {
        return preview_page(&state, &console, &csv, &dry, true).await;
    }
    let report = match run(&state, &console, &csv, true).await {
        Ok(report) => report,
        Err(e) => return error_page(e),
    };
    let detail = format!(
        "Chatwork user list ({}): linked {}, unchanged {}, problems {}",
        report.encoding,
        report.linked,
        report.unchanged,
        report.problems.len()
    );
    console
        .audit(&state, "member.import", "chatwork", &detail)
        .await;
    see_other(&format!(
        "/console/members?imported={}&import_problems={}",
        report.linked,
        report.problems.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;

    #[test]
    fn every_problem_and_outcome_has_words() {
        // The codes renkei_core::import gives rows (see its parse and matching modules).
        let codes = [
            "missing_account_id",
            "invalid_account_id",
            "duplicate_account_id",
            "ambiguous_email",
            "no_member",
            "ambiguous_name",
            "member_matched_twice",
            "account_taken",
        ];
        for lang in [Lang::Ja, Lang::En] {
            let tr = Tr::new(lang);
            for code in codes {
                assert!(
                    tr.maybe(&format!("dir-import-problem-{code}")).is_some(),
                    "{code}"
                );
            }
            for kind in ["new", "changed", "unchanged", "problem"] {
                assert!(
                    tr.maybe(&format!("dir-import-kind-{kind}")).is_some(),
                    "{kind}"
                );
            }
            for code in [
                "csv_encoding",
                "csv_no_account_column",
                "csv_malformed",
                "csv_empty",
            ] {
                assert!(tr.maybe(&format!("dir-err-{code}")).is_some(), "{code}");
            }
        }
        let note = ImportNote {
            imported: Some(3),
            import_problems: 1,
        };
        assert_eq!(
            note.flash(Tr::new(Lang::Ja)).unwrap(),
            "CSV から 3人のメンバーに Chatwork のアカウント ID を設定しました。要確認の 1 行は取り込んでいません。"
        );
        assert!(ImportNote::default().flash(Tr::new(Lang::Ja)).is_none());
    }
}
