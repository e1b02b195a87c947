//! The pages of a confirmation link, in the reader's language (ja/en). The notice itself
//! is shown as the sender wrote it; everything else is fixed text.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use renkei_store::confirmations::LinkTarget;

use crate::pages::{esc, lang_page, Lang};

/// Dates on these pages are in Japan time: the tenants' default time zone.
fn jst(ms: i64) -> String {
    let tokyo = FixedOffset::east_opt(9 * 3600).expect("valid offset");
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tokyo).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn notice_html(t: &LinkTarget) -> String {
    let body = esc(&t.body).replace('\n', "<br>");
    let link = t.url.as_deref().map_or(String::new(), |u| {
        format!(
            "<p><a href=\"{u}\" rel=\"noreferrer noopener\">{u}</a></p>",
            u = esc(u)
        )
    });
    format!(
        "<div class=\"notice\"><h2>{}</h2><p>{body}</p>{link}</div>",
        esc(&t.title)
    )
}

/// The notice, and the button that confirms it (or when it was confirmed).
pub fn notice(lang: Lang, t: &LinkTarget) -> Response {
    let action = match t.confirmed_at {
        Some(at) => format!(
            "<p>{}</p>",
            esc(&match lang {
                Lang::Ja => format!("この通知は {} (日本時間) に確認済みです。", jst(at)),
                Lang::En => format!("This notice was confirmed on {} (Japan time).", jst(at)),
            })
        ),
        // No `action`: the form posts back to this very URL, signed token and `?lang` included.
        None => format!(
            "<form method=\"post\"><button type=\"submit\">{}</button></form><p class=\"muted\">{}</p>",
            lang.pick("確認しました", "I have read this"),
            lang.pick(
                "ボタンを押すと、この通知を確認したことが送信元に記録されます。",
                "Pressing the button records for the sender that you have read this notice."
            ),
        ),
    };
    lang_page(
        lang,
        StatusCode::OK,
        lang.pick("通知の確認", "Confirm this notice"),
        &format!("{}{action}", notice_html(t)),
    )
}

pub fn confirmed(lang: Lang, t: &LinkTarget, at: i64) -> Response {
    let text = match lang {
        Lang::Ja => format!(
            "{} (日本時間) に確認したことが記録されました。このページは閉じて構いません。",
            jst(at)
        ),
        Lang::En => format!(
            "Your confirmation of {} (Japan time) has been recorded. You can close this page.",
            jst(at)
        ),
    };
    lang_page(
        lang,
        StatusCode::OK,
        lang.pick("確認しました", "Confirmed"),
        &format!("<p>{}</p>{}", esc(&text), notice_html(t)),
    )
}

fn message(lang: Lang, status: StatusCode, title: (&str, &str), text: (&str, &str)) -> Response {
    lang_page(
        lang,
        status,
        lang.pick(title.0, title.1),
        &format!("<p>{}</p>", esc(lang.pick(text.0, text.1))),
    )
}

pub fn invalid(lang: Lang) -> Response {
    message(
        lang,
        StatusCode::BAD_REQUEST,
        ("リンクが正しくありません", "This link is not valid"),
        (
            "このリンクは途中で切れているか、変更されています。通知に記載されたリンクをそのまま開いてください。",
            "The link is damaged or was changed. Open the link exactly as it appears in the notification.",
        ),
    )
}

pub fn expired(lang: Lang) -> Response {
    message(
        lang,
        StatusCode::GONE,
        ("リンクの有効期限が切れています", "This link has expired"),
        (
            "この確認リンクは有効期間を過ぎたため、確認に使えません。必要なら送信元に新しい通知を依頼してください。",
            "This confirmation link is past its lifetime and can no longer confirm the notice. Ask the sender for a new notification if needed.",
        ),
    )
}

pub fn gone(lang: Lang) -> Response {
    message(
        lang,
        StatusCode::NOT_FOUND,
        ("通知が見つかりません", "Notification not found"),
        (
            "この通知はもう存在しません。",
            "This notification no longer exists.",
        ),
    )
}

pub fn cross_site(lang: Lang) -> Response {
    message(
        lang,
        StatusCode::FORBIDDEN,
        ("確認できませんでした", "Not confirmed"),
        (
            "確認は、通知のリンクで開いたページのボタンからのみ受け付けます。通知のリンクをもう一度開いてください。",
            "A confirmation is accepted only from the button on the page the notification's link opens. Open the link in the notification again.",
        ),
    )
}

pub fn internal_error(lang: Lang) -> Response {
    message(
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        ("一時的なエラー", "Temporary error"),
        (
            "記録できませんでした。少し待ってからもう一度お試しください。",
            "This could not be recorded. Please try again in a moment.",
        ),
    )
}
