//! Domain vocabulary shared by every layer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A chat tool renkei delivers into. Each one is a module in `renkei-providers` and a fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Chatwork,
    Slack,
    Teams,
    GoogleChat,
    LineWorks,
    Line,
}

impl Provider {
    pub const ALL: [Provider; 6] = [
        Provider::Chatwork,
        Provider::Slack,
        Provider::Teams,
        Provider::GoogleChat,
        Provider::LineWorks,
        Provider::Line,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Chatwork => "chatwork",
            Provider::Slack => "slack",
            Provider::Teams => "teams",
            Provider::GoogleChat => "google_chat",
            Provider::LineWorks => "line_works",
            Provider::Line => "line",
        }
    }

    /// The key of a member's identity object for this provider (`identities.<p>.<key>`).
    pub fn identity_key(self) -> &'static str {
        match self {
            Provider::Chatwork => "account_id",
            Provider::Slack => "member_id",
            Provider::Teams | Provider::GoogleChat | Provider::LineWorks | Provider::Line => {
                "user_id"
            }
        }
    }

    /// How people name the tool in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Chatwork => "Chatwork",
            Provider::Slack => "Slack",
            Provider::Teams => "Microsoft Teams",
            Provider::GoogleChat => "Google Chat",
            Provider::LineWorks => "LINE WORKS",
            Provider::Line => "LINE",
        }
    }
}

/// What kind of credential a connection holds; decides what it can do (a webhook posts only
/// where it was made, a bot can also message people directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// Chatwork API token.
    Token,
    /// Chatwork OAuth2 access + refresh token.
    Oauth,
    /// Slack incoming webhook, Teams Workflows webhook, Google Chat webhook.
    Webhook,
    /// Slack bot token, LINE WORKS bot, LINE channel.
    Bot,
}

impl ConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Token => "token",
            ConnectionKind::Oauth => "oauth",
            ConnectionKind::Webhook => "webhook",
            ConnectionKind::Bot => "bot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ConnectionKind::Token,
            ConnectionKind::Oauth,
            ConnectionKind::Webhook,
            ConnectionKind::Bot,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether a connection of this kind can message one person (a webhook cannot).
    pub fn can_message_directly(self) -> bool {
        !matches!(self, ConnectionKind::Webhook)
    }

    /// Whether the connection can post into a room other than the one it was made for.
    pub fn chooses_room(self) -> bool {
        !matches!(self, ConnectionKind::Webhook)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown provider `{s}`; supported: chatwork, slack, teams, google_chat, line_works, line"
                )
            })
    }
}

/// Who owns a connection: its credentials speak for the tenant, one client or one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Tenant,
    Client(i64),
    Member(i64),
}

/// How an event type reaches members and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    #[default]
    Room,
    Direct,
    Both,
}

impl DeliveryMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Room => "room",
            DeliveryMode::Direct => "direct",
            DeliveryMode::Both => "both",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "room" => Some(DeliveryMode::Room),
            "direct" => Some(DeliveryMode::Direct),
            "both" => Some(DeliveryMode::Both),
            _ => None,
        }
    }
}

/// The life of one delivery. `pending` is the only state the worker picks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Cancelled,
    Skipped,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
            DeliveryStatus::Skipped => "skipped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
            DeliveryStatus::Cancelled,
            DeliveryStatus::Skipped,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The notice a product sends, as renderers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    /// A signed link the reader opens to confirm they saw the notice.
    pub confirm_url: Option<String>,
}

/// Someone a rendered notice must mention (`[To:123] 山田さん` on Chatwork).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub account_id: String,
    pub name: String,
}
