//! `GET /api/v1/providers`: what each provider needs, for settings screens: the credential
//! fields, the member identity, the room forms, and help texts (ja/en). LINE WORKS also
//! explains how the API 1.0 words in older manuals map to API 2.0.

use renkei_core::model::Provider;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderInfo {
    pub provider: &'static str,
    pub name: &'static str,
    /// Each accepted `credentials` shape: required fields, then optional ones (`?`).
    pub credentials: Vec<Vec<&'static str>>,
    /// The key of `identities.<provider>`.
    pub identity: &'static str,
    /// Whether a connection can post into rooms chosen per group or client.
    pub rooms: bool,
    pub help_ja: &'static str,
    pub help_en: &'static str,
    /// LINE WORKS: how API 1.0 terms (older manuals) map to the 2.0 fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<&'static str>,
}

fn info(p: Provider) -> ProviderInfo {
    let (credentials, rooms, help_ja, help_en): (Vec<Vec<&'static str>>, bool, &str, &str) = match p {
        Provider::Chatwork => (
            vec![vec!["api_token"]],
            true,
            "Chatwork の「サービス連携 → API トークン」を貼り付けるか、OAuth で連携します（通知専用アカウントを推奨）。",
            "Paste the API token from Chatwork (Service integration → API token), or link with OAuth. A notification-only account is recommended.",
        ),
        Provider::Slack => (
            vec![vec!["webhook_url"], vec!["bot_token"]],
            true,
            "Incoming Webhook の URL（チャンネル固定）か、chat:write 権限の Bot トークン（xoxb-…）を使います。",
            "Use an incoming webhook URL (fixed channel) or a bot token (xoxb-…) with the chat:write scope.",
        ),
        Provider::Teams => (
            vec![vec!["webhook_url"]],
            false,
            "Teams のチャネルで「ワークフロー → Webhook 要求を受信するとチャネルに投稿する」を作成し、URL を貼り付けます。旧 Office 365 コネクタの URL は廃止済みで使えません。",
            "In the Teams channel create Workflows → \"Post to a channel when a webhook request is received\" and paste its URL. Retired Office 365 connector URLs no longer work.",
        ),
        Provider::GoogleChat => (
            vec![vec!["webhook_url"]],
            false,
            "スペースの「アプリと統合 → Webhook」で作成した URL を、key と token を含めてそのまま貼り付けます。",
            "Paste the whole URL from the space's Apps & integrations → Webhooks, including key and token.",
        ),
        Provider::LineWorks => (
            vec![vec!["client_id", "client_secret", "service_account", "private_key", "bot_id", "bot_secret?"]],
            true,
            "Developer Console で API 2.0 のアプリ（scope: bot calendar）と Bot を作成し、各値と秘密鍵ファイルの中身を入力します。",
            "Create an API 2.0 app (scopes: bot calendar) and a bot in the Developer Console, then enter its values and the contents of the private key file.",
        ),
        Provider::Line => (
            vec![
                vec!["channel_access_token", "channel_secret", "login_channel_id?", "login_channel_secret?"],
                vec!["channel_id", "private_key", "kid", "channel_secret", "login_channel_id?", "login_channel_secret?"],
            ],
            false,
            "Messaging API チャネルの長期チャネルアクセストークンとチャネルシークレット（または v2.1 の鍵）を入力します。メンバーの連携には同じプロバイダーの LINE ログインチャネルが必要です。",
            "Enter the Messaging API channel's long-lived access token and channel secret (or a v2.1 key). Linking members needs a LINE Login channel under the same provider.",
        ),
    };
    ProviderInfo {
        provider: p.as_str(),
        name: p.display_name(),
        credentials,
        identity: p.identity_key(),
        rooms,
        help_ja,
        help_en,
        migration: (p == Provider::LineWorks)
            .then_some(renkei_providers::line_works::API1_MIGRATION_HELP),
    }
}

#[utoipa::path(get, path = "/api/v1/providers", responses((status = 200, body = [ProviderInfo])))]
pub async fn list(_auth: Auth) -> Result<ApiJson<Vec<ProviderInfo>>, ApiError> {
    Ok(ApiJson(Provider::ALL.into_iter().map(info).collect()))
}
