//! Domain vocabulary shared by every layer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A chat tool renkei delivers into. Each one is a module in `renkei-providers` and a fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Chatwork,
}

impl Provider {
    pub const ALL: [Provider; 1] = [Provider::Chatwork];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Chatwork => "chatwork",
        }
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
            .ok_or_else(|| format!("unknown provider `{s}`; supported: chatwork"))
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
