//! Building the fake's world: workspaces, bots, people, channels and webhooks, and
//! breaking them the ways Slack breaks.

use super::world::{self, DEFAULT_TEAM_ID};
use super::{webhook_path, FakeSlack};

impl FakeSlack {
    /// Another workspace (only `auth.test` tells workspaces apart).
    pub fn add_team(&self, team_id: &str, name: &str) {
        self.shared.world.write().add_team(team_id, name);
    }

    /// A bot in the default workspace ([`DEFAULT_TEAM_ID`]) whose token is `token`, with
    /// the default scopes (`chat:write`, `channels:read`, `groups:read`, `im:write`).
    /// Its user is also a workspace member: invite it with [`Self::join_channel`].
    pub fn add_bot(&self, token: &str, bot_user_id: &str, name: &str) {
        self.add_bot_in_team(DEFAULT_TEAM_ID, token, bot_user_id, name);
    }

    pub fn add_bot_in_team(&self, team_id: &str, token: &str, bot_user_id: &str, name: &str) {
        self.shared
            .world
            .write()
            .add_bot(team_id, token, bot_user_id, name);
    }

    /// Replaces the bot's scopes (e.g. add `chat:write.public`, or drop `chat:write`).
    pub fn set_bot_scopes(&self, token: &str, scopes: &[&str]) {
        if let Some(bot) = self.shared.world.write().bots.get_mut(token) {
            bot.scopes = scopes.iter().map(|s| (*s).to_string()).collect();
        }
    }

    /// The app was uninstalled: later calls answer `token_revoked`.
    pub fn revoke_token(&self, token: &str) {
        self.set_token_state(token, world::TokenState::Revoked);
    }

    /// The bot user or its workspace was deactivated: later calls answer `account_inactive`.
    pub fn deactivate_bot(&self, token: &str) {
        self.set_token_state(token, world::TokenState::Inactive);
    }

    fn set_token_state(&self, token: &str, state: world::TokenState) {
        if let Some(bot) = self.shared.world.write().bots.get_mut(token) {
            bot.state = state;
        }
    }

    /// A person (`U…` or `W…`) the bot can DM.
    pub fn add_user(&self, user_id: &str, name: &str) {
        self.shared
            .world
            .write()
            .users
            .insert(user_id.into(), name.into());
    }

    /// A public channel with these members (people or bot users); replaces one with the ID.
    pub fn add_channel(&self, channel_id: &str, name: &str, members: &[&str]) {
        self.shared
            .world
            .write()
            .add_channel(channel_id, name, false, members);
    }

    /// A private channel: non-members cannot even see it (`channel_not_found`).
    pub fn add_private_channel(&self, channel_id: &str, name: &str, members: &[&str]) {
        self.shared
            .world
            .write()
            .add_channel(channel_id, name, true, members);
    }

    /// `/invite @bot`. No-op for an unknown channel.
    pub fn join_channel(&self, channel_id: &str, user_id: &str) {
        if let Some(c) = self.shared.world.write().channel_mut(channel_id) {
            c.members.insert(user_id.into());
        }
    }

    pub fn leave_channel(&self, channel_id: &str, user_id: &str) {
        if let Some(c) = self.shared.world.write().channel_mut(channel_id) {
            c.members.remove(user_id);
        }
    }

    pub fn archive_channel(&self, channel_id: &str, archived: bool) {
        if let Some(c) = self.shared.world.write().channel_mut(channel_id) {
            c.archived = archived;
        }
    }

    /// An admin limited who may post there (bots and webhooks included).
    pub fn restrict_channel(&self, channel_id: &str, restricted: bool) {
        if let Some(c) = self.shared.world.write().channel_mut(channel_id) {
            c.restricted = restricted;
        }
    }

    /// The channel is gone: its webhooks answer 404 `channel_not_found`.
    pub fn delete_channel(&self, channel_id: &str) {
        self.shared.world.write().channels.remove(channel_id);
    }

    /// An incoming webhook posting into `channel_id`; `path` is `/services/T…/B…/X…` or
    /// `T…/B…/X…`. Returns the full path.
    pub fn add_webhook(&self, path: &str, channel_id: &str) -> String {
        let path = webhook_path(path);
        self.shared
            .world
            .write()
            .add_webhook(path.clone(), channel_id);
        path
    }

    /// Removed from the app's settings: 404 `no_service`.
    pub fn remove_webhook(&self, path: &str) {
        self.shared
            .world
            .write()
            .remove_webhook(&webhook_path(path));
    }

    /// Its app's token was revoked: 403 `invalid_token`.
    pub fn revoke_webhook(&self, path: &str) {
        self.shared
            .world
            .write()
            .revoke_webhook(&webhook_path(path));
    }
}
