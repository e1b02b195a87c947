//! The fake's world: workspaces, bot tokens, people, channels with their members, and
//! incoming webhooks; and who may post where, answered with Slack's error codes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Value};

/// The workspace bots and webhooks belong to unless a test adds others.
pub const DEFAULT_TEAM_ID: &str = "T0000FAKE1";
const DEFAULT_TEAM_NAME: &str = "renkei fake workspace";

/// Scopes a bot gets from [`World::add_bot`]: enough to post where it is a member, to DM
/// people and to list channels. Without `chat:write.public` it must be invited first.
pub(crate) const DEFAULT_BOT_SCOPES: &[&str] =
    &["chat:write", "channels:read", "groups:read", "im:write"];

pub(crate) struct Team {
    pub name: String,
    pub domain: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenState {
    Active,
    /// Uninstalled or rotated: `token_revoked`.
    Revoked,
    /// The workspace or bot user was deleted: `account_inactive`.
    Inactive,
}

pub(crate) struct Bot {
    pub team_id: String,
    pub user_id: String,
    pub bot_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub state: TokenState,
}

impl Bot {
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Default)]
pub(crate) struct Channel {
    pub name: String,
    pub is_private: bool,
    pub archived: bool,
    /// A workspace admin limited who may post (`restricted_action` / `action_prohibited`).
    pub restricted: bool,
    pub members: BTreeSet<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WebhookState {
    Live,
    /// Its app's token was revoked: 403 `invalid_token`.
    Revoked,
}

pub(crate) struct Webhook {
    pub channel: String,
    pub state: WebhookState,
}

/// Why a post was refused, as a Slack error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PostRefusal {
    ChannelNotFound,
    IsArchived,
    NotInChannel,
    Restricted,
}

impl PostRefusal {
    pub(crate) fn api_error(self) -> &'static str {
        match self {
            PostRefusal::ChannelNotFound => "channel_not_found",
            PostRefusal::IsArchived => "is_archived",
            PostRefusal::NotInChannel => "not_in_channel",
            PostRefusal::Restricted => "restricted_action",
        }
    }
}

/// Why a webhook cannot post: its HTTP status and plain-text body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WebhookRefusal {
    pub status: u16,
    pub error: &'static str,
}

#[derive(Default)]
pub(crate) struct World {
    teams: BTreeMap<String, Team>,
    pub(crate) bots: HashMap<String, Bot>,
    pub(crate) users: BTreeMap<String, String>,
    pub(crate) channels: BTreeMap<String, Channel>,
    /// Keyed by the full path, `/services/T…/B…/X…`.
    webhooks: HashMap<String, Webhook>,
    next_bot_id: u32,
}

impl World {
    pub(crate) fn new() -> Self {
        let mut w = World::default();
        w.add_team(DEFAULT_TEAM_ID, DEFAULT_TEAM_NAME);
        w
    }

    pub(crate) fn add_team(&mut self, id: &str, name: &str) {
        let domain: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let domain = if domain.is_empty() {
            id.to_ascii_lowercase()
        } else {
            domain
        };
        self.teams.insert(
            id.into(),
            Team {
                name: name.into(),
                domain,
            },
        );
    }

    pub(crate) fn add_bot(&mut self, team_id: &str, token: &str, user_id: &str, name: &str) {
        if !self.teams.contains_key(team_id) {
            self.add_team(team_id, team_id);
        }
        self.next_bot_id += 1;
        let bot = Bot {
            team_id: team_id.into(),
            user_id: user_id.into(),
            bot_id: format!("B{:08}", self.next_bot_id),
            name: name.into(),
            scopes: DEFAULT_BOT_SCOPES
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
            state: TokenState::Active,
        };
        // A bot is a member of the workspace like a person (it can be invited, DMed).
        self.users.insert(user_id.into(), name.into());
        self.bots.insert(token.into(), bot);
    }

    pub(crate) fn add_channel(&mut self, id: &str, name: &str, private: bool, members: &[&str]) {
        let channel = Channel {
            name: name.into(),
            is_private: private,
            members: members.iter().map(|m| (*m).to_string()).collect(),
            ..Channel::default()
        };
        self.channels.insert(id.into(), channel);
    }

    pub(crate) fn channel_mut(&mut self, id: &str) -> Option<&mut Channel> {
        self.channels.get_mut(id)
    }

    pub(crate) fn add_webhook(&mut self, path: String, channel: &str) {
        let hook = Webhook {
            channel: channel.into(),
            state: WebhookState::Live,
        };
        self.webhooks.insert(path, hook);
    }

    pub(crate) fn remove_webhook(&mut self, path: &str) {
        self.webhooks.remove(path);
    }

    pub(crate) fn revoke_webhook(&mut self, path: &str) {
        if let Some(h) = self.webhooks.get_mut(path) {
            h.state = WebhookState::Revoked;
        }
    }

    /// The `auth.test` answer for a live bot.
    pub(crate) fn auth_test_json(&self, bot: &Bot) -> Value {
        let (team, domain) = self
            .teams
            .get(&bot.team_id)
            .map_or(("", ""), |t| (t.name.as_str(), t.domain.as_str()));
        json!({
            "ok": true,
            "url": format!("https://{domain}.slack.com/"),
            "team": team,
            "user": bot.name,
            "team_id": bot.team_id,
            "user_id": bot.user_id,
            "bot_id": bot.bot_id,
            "is_enterprise_install": false,
        })
    }

    /// Where a `chat.postMessage` by `bot` to `channel` lands: a channel ID, or the DM
    /// channel (`D…`) for a member ID (`U…`/`W…`) or an existing DM ID.
    pub(crate) fn resolve_post(&self, bot: &Bot, channel: &str) -> Result<String, PostRefusal> {
        match channel.chars().next() {
            Some('U' | 'W') if self.users.contains_key(channel) => Ok(dm_channel_of(channel)),
            Some('D') if self.users.keys().any(|u| dm_channel_of(u) == channel) => {
                Ok(channel.into())
            }
            Some('C' | 'G') => {
                let c = self
                    .channels
                    .get(channel)
                    .ok_or(PostRefusal::ChannelNotFound)?;
                let member = c.members.contains(&bot.user_id);
                // Slack hides private channels from non-members entirely.
                if c.is_private && !member {
                    return Err(PostRefusal::ChannelNotFound);
                }
                if c.archived {
                    return Err(PostRefusal::IsArchived);
                }
                if c.restricted {
                    return Err(PostRefusal::Restricted);
                }
                // Private channels were settled above: a non-member here is in a public one.
                if !member && !bot.has_scope("chat:write.public") {
                    return Err(PostRefusal::NotInChannel);
                }
                Ok(channel.into())
            }
            // Unknown members, channel names (`#general`) and anything else.
            _ => Err(PostRefusal::ChannelNotFound),
        }
    }

    /// The channel a webhook posts into, or why it cannot (checked in Slack's order:
    /// the webhook itself, then its channel).
    pub(crate) fn webhook_channel(&self, path: &str) -> Result<String, WebhookRefusal> {
        let refuse = |status, error| Err(WebhookRefusal { status, error });
        let Some(hook) = self.webhooks.get(path) else {
            return refuse(404, "no_service");
        };
        if hook.state == WebhookState::Revoked {
            return refuse(403, "invalid_token");
        }
        let Some(channel) = self.channels.get(&hook.channel) else {
            return refuse(404, "channel_not_found");
        };
        if channel.archived {
            return refuse(410, "channel_is_archived");
        }
        if channel.restricted {
            return refuse(403, "action_prohibited");
        }
        Ok(hook.channel.clone())
    }

    /// `conversations.list`: public channels, plus private ones the bot is in when
    /// `private_channel` is among `types`.
    pub(crate) fn conversations_json(
        &self,
        bot: &Bot,
        types: &[&str],
        exclude_archived: bool,
    ) -> Vec<Value> {
        self.channels
            .iter()
            .filter(|(_, c)| !(exclude_archived && c.archived))
            .filter(|(_, c)| {
                let member = c.members.contains(&bot.user_id);
                if c.is_private {
                    types.contains(&"private_channel") && member
                } else {
                    types.contains(&"public_channel")
                }
            })
            .map(|(id, c)| {
                json!({
                    "id": id,
                    "name": c.name,
                    "is_channel": !c.is_private,
                    "is_group": c.is_private,
                    "is_im": false,
                    "is_private": c.is_private,
                    "is_archived": c.archived,
                    "is_member": c.members.contains(&bot.user_id),
                    "num_members": c.members.len(),
                })
            })
            .collect()
    }
}

/// The DM channel between the bot and member `U…`: `D` + the rest of the member ID, so
/// tests can predict it.
pub(crate) fn dm_channel_of(user: &str) -> String {
    let rest: String = user.chars().skip(1).collect();
    format!("D{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> (World, &'static str) {
        let mut w = World::new();
        w.add_bot(DEFAULT_TEAM_ID, "xoxb-1", "U0BOT0001", "bot");
        w.users.insert("U0PERSON1".into(), "Yamada".into());
        w.add_channel("C0PUBLIC1", "general", false, &["U0BOT0001"]);
        w.add_channel("C0PUBLIC2", "random", false, &[]);
        w.add_channel("G0SECRET1", "secret", true, &[]);
        (w, "xoxb-1")
    }

    #[test]
    fn posting_needs_membership_unless_public_and_scoped() {
        let (mut w, token) = world();
        let bot = &w.bots[token];
        assert_eq!(w.resolve_post(bot, "C0PUBLIC1"), Ok("C0PUBLIC1".into()));
        assert_eq!(
            w.resolve_post(bot, "C0PUBLIC2"),
            Err(PostRefusal::NotInChannel)
        );
        assert_eq!(
            w.resolve_post(bot, "G0SECRET1"),
            Err(PostRefusal::ChannelNotFound)
        );
        assert_eq!(
            w.resolve_post(bot, "#general"),
            Err(PostRefusal::ChannelNotFound)
        );
        w.bots
            .get_mut(token)
            .unwrap()
            .scopes
            .push("chat:write.public".into());
        let bot = &w.bots[token];
        assert_eq!(w.resolve_post(bot, "C0PUBLIC2"), Ok("C0PUBLIC2".into()));
        assert_eq!(
            w.resolve_post(bot, "G0SECRET1"),
            Err(PostRefusal::ChannelNotFound)
        );
    }

    #[test]
    fn members_are_reached_through_their_dm_channel() {
        let (w, token) = world();
        let bot = &w.bots[token];
        assert_eq!(w.resolve_post(bot, "U0PERSON1"), Ok("D0PERSON1".into()));
        assert_eq!(w.resolve_post(bot, "D0PERSON1"), Ok("D0PERSON1".into()));
        assert_eq!(
            w.resolve_post(bot, "U0NOBODY1"),
            Err(PostRefusal::ChannelNotFound)
        );
    }

    #[test]
    fn webhooks_fail_by_what_broke() {
        let (mut w, _) = world();
        w.add_webhook("/services/T/B/X".into(), "C0PUBLIC1");
        assert_eq!(w.webhook_channel("/services/T/B/X"), Ok("C0PUBLIC1".into()));
        w.channel_mut("C0PUBLIC1").unwrap().archived = true;
        assert_eq!(
            w.webhook_channel("/services/T/B/X").unwrap_err().status,
            410
        );
        w.revoke_webhook("/services/T/B/X");
        assert_eq!(
            w.webhook_channel("/services/T/B/X").unwrap_err().error,
            "invalid_token"
        );
        w.remove_webhook("/services/T/B/X");
        assert_eq!(
            w.webhook_channel("/services/T/B/X").unwrap_err().error,
            "no_service"
        );
    }
}
