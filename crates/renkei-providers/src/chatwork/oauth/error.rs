//! Why linking Chatwork by OAuth failed, in words that tell the admin what to do. Never
//! carries a secret: only Chatwork's `error_description` (which names at most the client
//! ID) and status codes.

use std::fmt;

/// A failed consent, code exchange or refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    /// Unknown client ID or wrong client secret (`invalid_client`).
    InvalidClient { description: String },
    /// The code expired (it lives 1 minute), was already used, or does not match the PKCE
    /// verifier (`invalid_grant` on a code exchange).
    InvalidGrant { description: String },
    /// The refresh token expired (14 days without `offline_access`), was rotated away, or
    /// the app was removed in Chatwork (`invalid_grant` on a refresh).
    RefreshRejected { description: String },
    /// The redirect URL differs from the one registered for the client.
    RedirectMismatch { description: String },
    /// The admin declined on Chatwork's consent page (`error=access_denied`).
    AccessDenied,
    /// Chatwork does not accept the scopes asked for (`invalid_scope`).
    InvalidScope { description: String },
    /// Any other OAuth error code.
    Other { code: String, description: String },
    /// The token endpoint answered something that is not an OAuth answer (5xx, HTML).
    Unavailable { status: u16 },
    /// A 200 whose body could not be read.
    InvalidResponse(String),
    /// Chatwork could not be reached.
    Transport(String),
}

impl OAuthError {
    /// From an OAuth `error` code and its description (token endpoint or callback).
    pub fn from_code(code: &str, description: &str) -> OAuthError {
        let description = description.to_owned();
        match code {
            "invalid_client" | "unauthorized_client" => OAuthError::InvalidClient { description },
            "invalid_grant" if description.to_ascii_lowercase().contains("redirect") => {
                OAuthError::RedirectMismatch { description }
            }
            "invalid_grant" => OAuthError::InvalidGrant { description },
            "redirect_uri_mismatch" => OAuthError::RedirectMismatch { description },
            "access_denied" => OAuthError::AccessDenied,
            "invalid_scope" => OAuthError::InvalidScope { description },
            other => OAuthError::Other {
                code: other.to_owned(),
                description,
            },
        }
    }

    /// From the `error` (and `error_description`) query parameters of the callback.
    pub fn from_callback(error: &str, description: Option<&str>) -> OAuthError {
        OAuthError::from_code(error, description.unwrap_or_default())
    }

    /// A stable code for API answers and logs.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidClient { .. } => "chatwork_invalid_client",
            OAuthError::InvalidGrant { .. } => "chatwork_code_expired",
            OAuthError::RefreshRejected { .. } => "chatwork_link_expired",
            OAuthError::RedirectMismatch { .. } => "chatwork_redirect_mismatch",
            OAuthError::AccessDenied => "chatwork_access_denied",
            OAuthError::InvalidScope { .. } => "chatwork_invalid_scope",
            OAuthError::Other { .. } => "chatwork_oauth_error",
            OAuthError::Unavailable { .. }
            | OAuthError::InvalidResponse(_)
            | OAuthError::Transport(_) => "chatwork_unavailable",
        }
    }

    /// Whether trying the same request again later may work (Chatwork was unreachable).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            OAuthError::Unavailable { .. } | OAuthError::Transport(_)
        )
    }

    fn chatwork_said(&self) -> Option<&str> {
        match self {
            OAuthError::InvalidClient { description }
            | OAuthError::InvalidGrant { description }
            | OAuthError::RefreshRejected { description }
            | OAuthError::RedirectMismatch { description }
            | OAuthError::InvalidScope { description }
            | OAuthError::Other { description, .. } => {
                Some(description.as_str()).filter(|d| !d.is_empty())
            }
            _ => None,
        }
    }

    pub fn message_en(&self) -> String {
        let text = match self {
            OAuthError::InvalidClient { .. } => "Chatwork does not recognise this OAuth client. Check the client ID and client secret against Chatwork's OAuth client settings and enter them again.".to_owned(),
            OAuthError::InvalidGrant { .. } => "The authorisation from Chatwork expired (it is valid for 1 minute) or was already used. Start linking again.".to_owned(),
            OAuthError::RefreshRejected { .. } => "Chatwork no longer accepts this connection's authorisation (it expired, or the app was removed in Chatwork). Link the Chatwork account again.".to_owned(),
            OAuthError::RedirectMismatch { .. } => "The redirect URL does not match the one registered for this OAuth client. Register exactly the redirect URL shown by renkei in Chatwork's OAuth client settings.".to_owned(),
            OAuthError::AccessDenied => "The Chatwork administrator declined the consent. Ask them to link again and press 許可 (Allow).".to_owned(),
            OAuthError::InvalidScope { .. } => "Chatwork refused the permissions asked for. Make sure the OAuth client allows the scopes renkei shows, then link again.".to_owned(),
            OAuthError::Other { code, .. } => format!("Chatwork refused the link ({code}). Start linking again; if it keeps failing, check the OAuth client settings."),
            OAuthError::Unavailable { status } => format!("Chatwork answered HTTP {status}. Try again in a few minutes."),
            OAuthError::InvalidResponse(e) => format!("Chatwork's answer could not be read ({e}). Try again."),
            OAuthError::Transport(e) => format!("Could not reach Chatwork ({e}). Try again."),
        };
        match self.chatwork_said() {
            Some(d) => format!("{text} (Chatwork: {d})"),
            None => text,
        }
    }

    pub fn message_ja(&self) -> String {
        let text = match self {
            OAuthError::InvalidClient { .. } => "Chatworkがこの OAuth クライアントを認識できません。ChatworkのOAuthクライアント設定でクライアントIDとクライアントシークレットを確認し、入力し直してください。".to_owned(),
            OAuthError::InvalidGrant { .. } => "Chatworkの認可の有効期限(1分)が切れたか、すでに使用されています。連携をもう一度最初からやり直してください。".to_owned(),
            OAuthError::RefreshRejected { .. } => "Chatworkがこの連携の認可を受け付けなくなりました(有効期限切れ、またはChatwork側でアプリが削除されました)。Chatworkアカウントをもう一度連携してください。".to_owned(),
            OAuthError::RedirectMismatch { .. } => "リダイレクト先URLがOAuthクライアントに登録されたものと一致しません。renkeiに表示されたリダイレクト先URLをそのままChatworkのOAuthクライアント設定に登録してください。".to_owned(),
            OAuthError::AccessDenied => "Chatworkの管理者が同意を拒否しました。もう一度連携し、同意画面で「許可」を押すよう依頼してください。".to_owned(),
            OAuthError::InvalidScope { .. } => "Chatworkが要求した権限(スコープ)を受け付けませんでした。renkeiに表示されたスコープをOAuthクライアントで許可してから、もう一度連携してください。".to_owned(),
            OAuthError::Other { code, .. } => format!("Chatworkが連携を拒否しました({code})。もう一度連携し、繰り返す場合はOAuthクライアント設定を確認してください。"),
            OAuthError::Unavailable { status } => format!("ChatworkがHTTP {status}を返しました。数分後にもう一度お試しください。"),
            OAuthError::InvalidResponse(_) => "Chatworkの応答を読み取れませんでした。もう一度お試しください。".to_owned(),
            OAuthError::Transport(_) => "Chatworkに接続できませんでした。もう一度お試しください。".to_owned(),
        };
        match self.chatwork_said() {
            Some(d) => format!("{text}(Chatwork: {d})"),
            None => text,
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_what_to_fix() {
        let unknown = OAuthError::from_code("invalid_client", "The client ID `x` is unknown.");
        assert!(unknown.message_en().contains("client ID and client secret"));
        assert!(unknown.message_ja().contains("クライアントID"));
        assert!(unknown
            .message_en()
            .contains("The client ID `x` is unknown."));
        let redirect = OAuthError::from_code(
            "invalid_grant",
            "The redirect URI does not match the one used in the authorization request.",
        );
        assert_eq!(redirect.code(), "chatwork_redirect_mismatch");
        let expired = OAuthError::from_code(
            "invalid_grant",
            "The authorization code is invalid or expired.",
        );
        assert!(expired.message_en().contains("1 minute"));
        let denied = OAuthError::from_callback("access_denied", None);
        assert_eq!(denied, OAuthError::AccessDenied);
        assert!(denied.message_ja().contains("許可"));
        assert!(!denied.is_temporary());
        assert!(OAuthError::Unavailable { status: 503 }.is_temporary());
    }
}
