//! Building the fake's world, injecting faults, and looking at what it received.

use std::sync::atomic::Ordering;
use std::time::Duration;

use jsonwebtoken::DecodingKey;

use super::world::{Channel, LoginAs, LoginChannel, Token};
use super::{AuthorizeRequest, FakeLine, PushedMessage};
use crate::common::Recorded;

impl FakeLine {
    // ---- world building ----

    /// A Messaging API channel (an official account) with no tokens yet.
    pub fn add_channel(
        &self,
        channel_id: &str,
        secret: &str,
        bot_user_id: &str,
        basic_id: &str,
        name: &str,
    ) {
        let channel = Channel {
            secret: secret.into(),
            bot_user_id: bot_user_id.into(),
            basic_id: basic_id.into(),
            display_name: name.into(),
            assertion_keys: Default::default(),
            monthly_limit: None,
            usage: 0,
        };
        self.shared
            .world
            .lock()
            .channels
            .insert(channel_id.into(), channel);
    }

    pub fn add_long_lived_token(&self, channel_id: &str, token: &str) {
        let t = Token {
            channel_id: channel_id.into(),
            expires_at_ms: None,
            key_id: None,
        };
        self.shared.world.lock().tokens.insert(token.into(), t);
    }

    /// Registers a public key (SPKI PEM) for v2.1 assertions under `kid`.
    ///
    /// # Panics
    /// When the PEM is not an RSA public key, or the channel does not exist (test setup).
    pub fn register_assertion_key(&self, channel_id: &str, kid: &str, public_pem: &str) {
        let key = DecodingKey::from_rsa_pem(public_pem.as_bytes()).expect("an RSA public key PEM");
        let mut world = self.shared.world.lock();
        let channel = world
            .channels
            .get_mut(channel_id)
            .expect("add_channel first");
        channel.assertion_keys.insert(kid.into(), key);
    }

    pub fn add_user(&self, user_id: &str, name: &str) {
        self.shared
            .world
            .lock()
            .users
            .insert(user_id.into(), name.into());
    }

    /// The user adds the channel's account as a friend (no webhook; see [`Self::send_follow`]).
    pub fn add_friend(&self, channel_id: &str, user_id: &str) {
        self.shared.world.lock().befriend(channel_id, user_id);
    }

    /// The user blocks the account: pushes still answer 200 but are not delivered.
    pub fn remove_friend(&self, channel_id: &str, user_id: &str) {
        self.shared.world.lock().block(channel_id, user_id);
    }

    pub fn is_friend(&self, channel_id: &str, user_id: &str) -> bool {
        self.shared.world.lock().is_friend(channel_id, user_id)
    }

    /// `None`: no target limit. Pushes beyond the limit answer the monthly 429.
    pub fn set_monthly_quota(&self, channel_id: &str, limit: Option<u64>) {
        if let Some(c) = self.shared.world.lock().channels.get_mut(channel_id) {
            c.monthly_limit = limit;
        }
    }

    pub fn set_monthly_usage(&self, channel_id: &str, used: u64) {
        if let Some(c) = self.shared.world.lock().channels.get_mut(channel_id) {
            c.usage = used;
        }
    }

    pub fn monthly_usage(&self, channel_id: &str) -> u64 {
        self.shared
            .world
            .lock()
            .channels
            .get(channel_id)
            .map_or(0, |c| c.usage)
    }

    pub fn channel_secret(&self, channel_id: &str) -> Option<String> {
        self.shared
            .world
            .lock()
            .channels
            .get(channel_id)
            .map(|c| c.secret.clone())
    }

    /// Later requests with this token answer 401.
    pub fn revoke_token(&self, token: &str) {
        self.shared.world.lock().tokens.remove(token);
    }

    /// Every v2.1 token issued for the channel stops working (revoked or expired early).
    pub fn revoke_issued_tokens(&self, channel_id: &str) {
        let mut world = self.shared.world.lock();
        world
            .tokens
            .retain(|_, t| t.channel_id != channel_id || t.key_id.is_none());
    }

    /// v2.1 tokens issued so far for the channel that are still valid.
    pub fn issued_tokens(&self, channel_id: &str) -> usize {
        let now = crate::common::unix_ms();
        self.shared.world.lock().valid_v21_tokens(channel_id, now)
    }

    /// A LINE Login channel; `linked_channel` is the Messaging API channel whose account
    /// `bot_prompt` offers; an empty `callback_urls` accepts any redirect URI.
    pub fn add_login_channel(
        &self,
        channel_id: &str,
        secret: &str,
        linked_channel: Option<&str>,
        callback_urls: &[&str],
    ) {
        let channel = LoginChannel {
            secret: secret.into(),
            linked_channel: linked_channel.map(str::to_string),
            callback_urls: callback_urls.iter().map(|u| u.to_string()).collect(),
        };
        self.shared
            .world
            .lock()
            .login_channels
            .insert(channel_id.into(), channel);
    }

    /// Who logs in at the authorize endpoint (an unknown user is created as "LINE User").
    pub fn set_login_user(&self, user_id: Option<&str>) {
        let mut world = self.shared.world.lock();
        world.login_as = match user_id {
            Some(u) => {
                world
                    .users
                    .entry(u.into())
                    .or_insert_with(|| "LINE User".into());
                LoginAs::User(u.into())
            }
            None => LoginAs::Nobody,
        };
    }

    /// The next logins are cancelled on the consent screen.
    pub fn set_login_denied(&self) {
        self.shared.world.lock().login_as = LoginAs::Denied;
    }

    /// Every authorize request that passed its checks, oldest first.
    pub fn authorizations(&self) -> Vec<AuthorizeRequest> {
        self.shared.world.lock().authorizations.clone()
    }

    // ---- faults ----

    /// The next `count` pushes answer `status` in LINE's error shape.
    pub fn fail_next(&self, count: usize, status: u16) {
        self.fail_next_on("/v2/bot/message/push", count, status);
    }

    /// The next `count` requests whose path contains `path_contains` answer `status`
    /// (after the token and rate checks on `/v2/bot/*`).
    pub fn fail_next_on(&self, path_contains: &str, count: usize, status: u16) {
        self.shared
            .faults
            .fail_next(Some(path_contains), count, status);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Every answer waits this long (after the request was handled).
    pub fn set_delay(&self, delay: Duration) {
        self.shared.faults.set_delay(delay);
    }

    pub fn set_limits_enabled(&self, on: bool) {
        self.shared.limits_enabled.store(on, Ordering::Relaxed);
    }

    // ---- inspection ----

    /// Every request so far, in the order answered (secrets masked).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.journal.all()
    }

    /// Every accepted push (one entry per multicast recipient), in order.
    pub fn pushes(&self) -> Vec<PushedMessage> {
        self.shared.world.lock().pushes.clone()
    }

    pub fn count_status(&self, status: u16) -> usize {
        self.shared.journal.count_status(status)
    }
}
