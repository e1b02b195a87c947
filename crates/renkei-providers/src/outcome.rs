//! How a send ended, in terms the delivery engine acts on.

use std::time::Duration;

/// The provider's own view of the credential's rate limit, from response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the window resets.
    pub reset_unix: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Delivered {
        message_id: Option<String>,
    },
    /// Worth retrying later (5xx, timeout, connection error); `after` when the provider said.
    Retry {
        after: Option<Duration>,
    },
    /// This room is posting too fast: pause only the room.
    RoomRateLimited {
        after: Duration,
    },
    /// The whole credential is out of requests until the given Unix time (seconds).
    CredentialRateLimited {
        until_unix: i64,
    },
    /// The credentials were refused: the connection is broken until someone fixes it.
    CredentialRejected,
    /// This destination will never accept it (not a member, no such room, bad request).
    Permanent,
    /// Refused for a reason the provider module names (e.g. `chatwork_not_a_contact`); the
    /// error text says what the person must do.
    Refused {
        code: &'static str,
    },
}

#[derive(Debug, Clone)]
#[must_use]
pub struct SendResult {
    pub outcome: SendOutcome,
    pub http_status: Option<u16>,
    /// The provider's error text (or the transport error), never a credential.
    pub error: Option<String>,
    pub rate: Option<RateInfo>,
    /// Whether the request reached the provider (and so counts against its limits).
    pub reached_provider: bool,
}

impl SendOutcome {
    /// Machine-readable code stored with the delivery.
    pub fn code(&self) -> &'static str {
        match self {
            SendOutcome::Delivered { .. } => "delivered",
            SendOutcome::Retry { .. } => "provider_unavailable",
            SendOutcome::RoomRateLimited { .. } => "room_rate_limited",
            SendOutcome::CredentialRateLimited { .. } => "credential_rate_limited",
            SendOutcome::CredentialRejected => "credentials_rejected",
            SendOutcome::Permanent => "destination_refused",
            SendOutcome::Refused { code } => code,
        }
    }
}

impl SendResult {
    /// A failure decided before any request was made.
    pub fn local(outcome: SendOutcome, error: String) -> Self {
        SendResult {
            outcome,
            http_status: None,
            error: Some(error),
            rate: None,
            reached_provider: false,
        }
    }
}
