//! Webhooks the fake LINE sends, signed like LINE's: `X-Line-Signature` is
//! Base64(HMAC-SHA256(channel secret, raw body)). The bodies follow line-webhook.yml.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::world::{random_from, random_hex};
use super::FakeLine;
use crate::common::unix_ms;

const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `X-Line-Signature` for `body` under `channel_secret`.
pub fn signature(channel_secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(channel_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn event(kind: &str, user_id: &str) -> Value {
    json!({
        "type": kind,
        "mode": "active",
        "timestamp": u64::try_from(unix_ms()).unwrap_or(u64::MAX),
        "source": { "type": "user", "userId": user_id },
        // A ULID, as LINE sends.
        "webhookEventId": random_from(CROCKFORD, 26),
        "deliveryContext": { "isRedelivery": false },
    })
}

impl FakeLine {
    /// The bot user ID of the channel with this secret (an unknown secret gets a stable
    /// made-up one, so a receiver can be tested without building a world).
    fn destination(&self, channel_secret: &str) -> (Option<String>, String) {
        let world = self.shared.world.lock();
        match world.channel_by_secret(channel_secret) {
            Some((id, c)) => (Some(id.clone()), c.bot_user_id.clone()),
            None => {
                let digest = Sha256::digest(channel_secret.as_bytes());
                (None, format!("U{}", &hex::encode(digest)[..32]))
            }
        }
    }

    /// `user_id` adds the official account as a friend (or unblocks it): the fake records
    /// the friendship and POSTs a signed `follow` event to `webhook_url`. Returns the
    /// receiver's HTTP status.
    pub async fn send_follow(
        &self,
        user_id: &str,
        webhook_url: &str,
        channel_secret: &str,
    ) -> Result<u16, String> {
        let (channel, destination) = self.destination(channel_secret);
        let unblocked = match &channel {
            Some(c) => {
                let mut world = self.shared.world.lock();
                let was_blocked = world.blocked.contains(&(c.clone(), user_id.to_string()));
                world.befriend(c, user_id);
                was_blocked
            }
            None => false,
        };
        let mut follow = event("follow", user_id);
        follow["replyToken"] = Value::String(random_hex(32));
        follow["follow"] = json!({ "isUnblocked": unblocked });
        let body = json!({ "destination": destination, "events": [follow] });
        self.post_signed(webhook_url, channel_secret, &body.to_string())
            .await
    }

    /// `user_id` blocks the official account: no longer a friend; a signed `unfollow`
    /// event goes to `webhook_url`.
    pub async fn send_unfollow(
        &self,
        user_id: &str,
        webhook_url: &str,
        channel_secret: &str,
    ) -> Result<u16, String> {
        let (channel, destination) = self.destination(channel_secret);
        if let Some(c) = &channel {
            self.shared.world.lock().block(c, user_id);
        }
        let body = json!({ "destination": destination, "events": [event("unfollow", user_id)] });
        self.post_signed(webhook_url, channel_secret, &body.to_string())
            .await
    }

    /// POSTs `body` as LINE's webhook delivery does, signed with `channel_secret`.
    pub async fn post_signed(
        &self,
        webhook_url: &str,
        channel_secret: &str,
        body: &str,
    ) -> Result<u16, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let resp = client
            .post(webhook_url)
            .header("content-type", "application/json; charset=utf-8")
            .header("user-agent", "LineBotWebhook/2.0")
            .header(
                "x-line-signature",
                signature(channel_secret, body.as_bytes()),
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("webhook delivery failed: {}", e.without_url()))?;
        Ok(resp.status().as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_base64_hmac_sha256() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), base64.
        assert_eq!(
            signature("key", b"The quick brown fox jumps over the lazy dog"),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
        );
    }
}
