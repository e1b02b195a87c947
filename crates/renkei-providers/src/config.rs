//! Where each provider lives and how this node talks to them. Tests, demos and private
//! deployments point the URLs at the fakes (API.md lists the environment variables).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Time allowed for one provider request.
    pub timeout: Duration,
    /// Multiplies every rate-limit window (tests use small values with fakes scaled the
    /// same way); `0` switches client-side limits off.
    pub rate_window_scale: f64,
    /// Lets pasted webhook URLs point at loopback and private addresses (tests only).
    pub allow_private_targets: bool,
    pub chatwork_api_url: String,
    pub chatwork_oauth_url: String,
    pub chatwork_login_url: String,
    pub slack_api_url: String,
    pub lineworks_auth_url: String,
    pub lineworks_api_url: String,
    pub line_api_url: String,
    pub line_login_url: String,
}

pub const CHATWORK_API_URL: &str = "https://api.chatwork.com/v2";
pub const CHATWORK_OAUTH_URL: &str = "https://oauth.chatwork.com";
pub const CHATWORK_LOGIN_URL: &str = "https://www.chatwork.com/packages/oauth2/login.php";
pub const SLACK_API_URL: &str = "https://slack.com/api";
pub const LINEWORKS_AUTH_URL: &str = "https://auth.worksmobile.com/oauth2/v2.0";
pub const LINEWORKS_API_URL: &str = "https://www.worksapis.com/v1.0";
pub const LINE_API_URL: &str = "https://api.line.me";
pub const LINE_LOGIN_URL: &str = "https://access.line.me";

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            timeout: Duration::from_secs(15),
            rate_window_scale: 1.0,
            allow_private_targets: false,
            chatwork_api_url: CHATWORK_API_URL.into(),
            chatwork_oauth_url: CHATWORK_OAUTH_URL.into(),
            chatwork_login_url: CHATWORK_LOGIN_URL.into(),
            slack_api_url: SLACK_API_URL.into(),
            lineworks_auth_url: LINEWORKS_AUTH_URL.into(),
            lineworks_api_url: LINEWORKS_API_URL.into(),
            line_api_url: LINE_API_URL.into(),
            line_login_url: LINE_LOGIN_URL.into(),
        }
    }
}

/// A base URL without its trailing slash, so paths join cleanly.
pub fn base(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}
