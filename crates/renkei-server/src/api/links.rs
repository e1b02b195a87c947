//! Confirmation links (Cells Drive 確認リンク): opening one records who (the delivery) and
//! when, then shows a confirmed page or forwards to the event's URL; an expired link shows a
//! 410 page, an altered one a 400 page. Pages are bilingual (ja/en).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_store::links::LinkError;
use tracing::info;

use crate::pages::page;
use crate::AppState;

pub async fn open(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = renkei_store::now_ms();
    match state.links.verify(&token, now) {
        Err(LinkError::Invalid) => page(
            StatusCode::BAD_REQUEST,
            "リンクが正しくありません",
            "このリンクは無効です。通知に記載されたリンクをそのまま開いてください。",
            "This link is not valid",
            "The link is damaged or was changed. Open the link exactly as it appears in the notification.",
        ),
        Err(LinkError::Expired { .. }) => page(
            StatusCode::GONE,
            "リンクの有効期限が切れています",
            "この確認リンクは有効期間を過ぎたため使用できません。送信元にお問い合わせください。",
            "This link has expired",
            "This confirmation link is past its lifetime. Ask the sender for a new notification.",
        ),
        Ok(delivery_id) => {
            let target = match state.store.link_target(delivery_id).await {
                Ok(Some(t)) => t,
                Ok(None) => {
                    return page(StatusCode::NOT_FOUND, "見つかりません", "この通知は存在しません。", "Not found", "This notification no longer exists.")
                }
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            };
            let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(300).collect::<String>());
            if state.store.record_click(&target, delivery_id, ua.as_deref()).await.is_err() {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            info!(tenant = target.tenant_id, event = target.event_id, delivery = delivery_id, "confirmation link opened");
            match target.url {
                Some(url) => Redirect::to(&url).into_response(),
                None => page(
                    StatusCode::OK,
                    "確認しました",
                    "通知を確認したことが記録されました。このページは閉じて構いません。",
                    "Confirmed",
                    "Your confirmation has been recorded. You can close this page.",
                ),
            }
        }
    }
}
