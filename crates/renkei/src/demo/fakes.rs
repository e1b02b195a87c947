//! The six fake providers, in this process, each with a world made from the demo's tables:
//! the office's Chatwork account with its rooms and contacts, a Slack workspace with the
//! bot in its channels, a Teams workflow, a Google Chat space, a LINE WORKS domain with its
//! bot, and a LINE official account with the people who added it as a friend.

use std::future::Future;
use std::net::SocketAddr;

use renkei_core::model::Provider;
use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig, RunningFakeChatwork};
use renkei_fakes::common::Running;
use renkei_fakes::google_chat::{FakeGoogleChat, FakeGoogleChatConfig};
use renkei_fakes::keys::{TEST_PRIVATE_KEY_PEM, TEST_PUBLIC_KEY_PEM};
use renkei_fakes::line::{FakeLine, FakeLineConfig, RunningFakeLine};
use renkei_fakes::line_works::{FakeLineWorks, FakeLineWorksConfig, RunningFakeLineWorks};
use renkei_fakes::slack::{FakeSlack, FakeSlackConfig, RunningFakeSlack};
use renkei_fakes::teams::{FakeTeams, FakeTeamsConfig};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::world::{
    ClientChatwork, Member, CLIENTS, GROUPS, LINE_NOT_FRIEND, LINE_WORKS_DEFAULT_CHANNEL, MEMBERS,
    OFFICE_CHATWORK_ACCOUNT, OFFICE_CHATWORK_TOKEN, OFFICE_OWNER_MEMBER, OWN_WEBHOOK_CHANNEL,
    OWN_WEBHOOK_MEMBER, OWN_WEBHOOK_PATH, SLACK_DEFAULT_CHANNEL,
};
use crate::settings::Settings;

const SLACK_BOT_TOKEN: &str = "xoxb-demo-office-0001";
const SLACK_BOT_USER: &str = "U0RENKEIBT";
const TEAMS_WORKFLOW: &str = "demo-office-workflow";
const TEAMS_SIG: &str = "demo-office-sig";
const GOOGLE_CHAT_SPACE: &str = "AAAAsharoushi";
const GOOGLE_CHAT_KEY: &str = "demo-office-key";
const GOOGLE_CHAT_TOKEN: &str = "demo-office-space-token";
const LINE_WORKS_CLIENT: &str = "demo-office-lw-client";
const LINE_WORKS_SECRET: &str = "demo-office-lw-secret";
const LINE_WORKS_SERVICE_ACCOUNT: &str = "office.serviceaccount@demo-sr";
const LINE_WORKS_BOT: i64 = 2_000_101;
const LINE_CHANNEL: &str = "1650000101";
const LINE_SECRET: &str = "d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0";
const LINE_BOT_USER: &str = "Ud3e0000000000000000000000000d3e0";
const LINE_TOKEN: &str = "demo-office-line-token";
const LINE_LOGIN_CHANNEL: &str = "1650000102";
const LINE_LOGIN_SECRET: &str = "10d310d310d310d310d310d310d310d3";

/// Where the fakes listened, kept with a reused data directory: the webhook URLs stored
/// in the database name these ports, so the next run takes them again when it can.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    pub chatwork: u16,
    pub slack: u16,
    pub teams: u16,
    pub google_chat: u16,
    pub line_works: u16,
    pub line: u16,
}

pub struct Fakes {
    pub chatwork: RunningFakeChatwork,
    pub slack: RunningFakeSlack,
    pub teams: FakeTeams,
    teams_server: Running,
    pub google_chat: FakeGoogleChat,
    google_chat_server: Running,
    pub line_works: RunningFakeLineWorks,
    pub line: RunningFakeLine,
    /// Fakes that could not get their previous port back (another program took it).
    pub moved: Vec<&'static str>,
}

/// Serves on `preferred` when it is free (0: any port); says whether it had to move.
async fn on_port<T, Fut>(
    preferred: u16,
    start: impl Fn(SocketAddr) -> Fut,
) -> std::io::Result<(T, bool)>
where
    Fut: Future<Output = std::io::Result<T>>,
{
    let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
    if preferred != 0 {
        if let Ok(running) = start(local(preferred)).await {
            return Ok((running, false));
        }
    }
    Ok((start(local(0)).await?, preferred != 0))
}

impl Fakes {
    /// Starts the six fakes with their worlds, on `previous` ports where possible.
    pub async fn start(previous: Ports) -> std::io::Result<Fakes> {
        let mut moved = Vec::new();
        let mut note = |name, was_moved| {
            if was_moved {
                moved.push(name);
            }
        };
        let chatwork = chatwork_world();
        let (chatwork, m) = on_port(previous.chatwork, |a| chatwork.start_on(a)).await?;
        note("Chatwork", m);
        let slack = slack_world();
        let (slack, m) = on_port(previous.slack, |a| slack.start_on(a)).await?;
        note("Slack", m);
        let teams = FakeTeams::new(FakeTeamsConfig::default());
        let (teams_server, m) = on_port(previous.teams, |a| teams.start_on(a)).await?;
        note("Teams", m);
        teams.add_workflow(TEAMS_WORKFLOW, TEAMS_SIG);
        let google_chat = FakeGoogleChat::new(FakeGoogleChatConfig::default());
        let (google_chat_server, m) =
            on_port(previous.google_chat, |a| google_chat.start_on(a)).await?;
        note("Google Chat", m);
        google_chat.add_webhook(GOOGLE_CHAT_SPACE, GOOGLE_CHAT_KEY, GOOGLE_CHAT_TOKEN);
        let line_works = line_works_world();
        let (line_works, m) = on_port(previous.line_works, |a| line_works.start_on(a)).await?;
        note("LINE WORKS", m);
        let line = line_world();
        let (line, m) = on_port(previous.line, |a| line.start_on(a)).await?;
        note("LINE", m);
        Ok(Fakes {
            chatwork,
            slack,
            teams,
            teams_server,
            google_chat,
            google_chat_server,
            line_works,
            line,
            moved,
        })
    }

    pub fn ports(&self) -> Ports {
        Ports {
            chatwork: self.chatwork.addr.port(),
            slack: self.slack.addr.port(),
            teams: self.teams_server.addr.port(),
            google_chat: self.google_chat_server.addr.port(),
            line_works: self.line_works.server.addr.port(),
            line: self.line.addr().port(),
        }
    }

    /// Points the node's provider URLs at the fakes.
    pub fn configure(&self, settings: &mut Settings) {
        settings.chatwork_api_url = self.chatwork.base_url();
        settings.chatwork_oauth_url = self.chatwork.oauth_url();
        settings.chatwork_login_url = self.chatwork.login_url();
        settings.slack_api_url = self.slack.base_url();
        settings.lineworks_auth_url = self.line_works.auth_url();
        settings.lineworks_api_url = self.line_works.api_url();
        settings.line_api_url = self.line.api_url();
        settings.line_login_url = self.line.login_url();
    }

    /// `(provider, root URL)` of each fake, for the banner.
    pub fn addresses(&self) -> Vec<(Provider, String)> {
        vec![
            (Provider::Chatwork, format!("http://{}", self.chatwork.addr)),
            (Provider::Slack, self.slack.url()),
            (Provider::Teams, self.teams_server.url()),
            (Provider::GoogleChat, self.google_chat_server.url()),
            (Provider::LineWorks, self.line_works.server.url()),
            (Provider::Line, self.line.api_url()),
        ]
    }

    /// The office's six tools (`POST /api/v1/connections` bodies).
    pub fn tenant_connections(&self) -> Vec<Value> {
        let tenant = json!({"tenant": true});
        vec![
            json!({"provider": "chatwork", "owner": tenant,
                   "credentials": {"api_token": OFFICE_CHATWORK_TOKEN}}),
            json!({"provider": "slack", "owner": tenant, "room": SLACK_DEFAULT_CHANNEL,
                   "credentials": {"bot_token": SLACK_BOT_TOKEN}}),
            json!({"provider": "teams", "owner": tenant,
                   "credentials": {"webhook_url": self.teams.webhook_url(TEAMS_WORKFLOW)}}),
            json!({"provider": "google_chat", "owner": tenant, "credentials": {"webhook_url":
                   self.google_chat.webhook_url(GOOGLE_CHAT_SPACE, GOOGLE_CHAT_KEY, GOOGLE_CHAT_TOKEN)}}),
            json!({"provider": "line_works", "owner": tenant, "room": LINE_WORKS_DEFAULT_CHANNEL,
            "credentials": {
                "client_id": LINE_WORKS_CLIENT,
                "client_secret": LINE_WORKS_SECRET,
                "service_account": LINE_WORKS_SERVICE_ACCOUNT,
                "private_key": TEST_PRIVATE_KEY_PEM,
                "bot_id": LINE_WORKS_BOT.to_string(),
            }}),
            json!({"provider": "line", "owner": tenant, "credentials": {
                "channel_access_token": LINE_TOKEN,
                "channel_secret": LINE_SECRET,
                "login_channel_id": LINE_LOGIN_CHANNEL,
                "login_channel_secret": LINE_LOGIN_SECRET,
            }}),
        ]
    }

    /// Connections clients and members saved themselves: the clinic's own Chatwork token
    /// and 田中's own Slack webhook (they need the client and the member to exist).
    pub fn own_connections(&self) -> Vec<Value> {
        let mut out = vec![
            json!({"provider": "slack", "owner": {"member": OWN_WEBHOOK_MEMBER},
            "credentials": {"webhook_url": self.slack.webhook_url(OWN_WEBHOOK_PATH)}}),
        ];
        for c in CLIENTS {
            if let ClientChatwork::OwnToken { token, .. } = c.chatwork {
                out.push(json!({"provider": "chatwork", "owner": {"client": c.ext},
                                "credentials": {"api_token": token}}));
            }
        }
        out
    }

    pub fn stop(&self) {
        self.chatwork.stop();
        self.slack.stop();
        self.teams_server.stop();
        self.google_chat_server.stop();
        self.line_works.stop();
        self.line.stop();
    }
}

fn staff_in(group: &str) -> impl Iterator<Item = &'static Member> + '_ {
    MEMBERS.iter().filter(move |m| m.groups.contains(&group))
}

fn people_of(client: &str) -> impl Iterator<Item = &'static Member> + '_ {
    MEMBERS.iter().filter(move |m| m.client == Some(client))
}

/// The office's token (佐藤's own account), everyone as its contact, and the rooms of the
/// clients and groups; one client's room leaves the office's account out.
fn chatwork_world() -> FakeChatwork {
    let f = FakeChatwork::new(FakeChatworkConfig::default());
    let owner = super::world::member(OFFICE_OWNER_MEMBER).map_or("所長", |m| m.name);
    f.add_account(OFFICE_CHATWORK_TOKEN, OFFICE_CHATWORK_ACCOUNT, owner);
    for m in MEMBERS {
        match m.chatwork_account() {
            Some(a) if a != OFFICE_CHATWORK_ACCOUNT => {
                f.add_person(a, m.name);
                f.add_contact(OFFICE_CHATWORK_ACCOUNT, a);
            }
            _ => {}
        }
    }
    let office = (OFFICE_CHATWORK_ACCOUNT, "admin");
    for c in CLIENTS {
        let people = people_of(c.ext).filter_map(|m| Some((m.chatwork_account()?, "member")));
        match c.chatwork {
            ClientChatwork::Room(room) => {
                let members: Vec<_> = std::iter::once(office).chain(people).collect();
                f.add_room(room, c.name, &members);
            }
            ClientChatwork::RoomWithoutOffice(room) => {
                let members: Vec<_> = people.map(|(a, _)| (a, "admin")).collect();
                f.add_room(room, c.name, &members);
            }
            ClientChatwork::OwnToken {
                token,
                account,
                account_name,
            } => {
                f.add_account(token, account, account_name);
            }
            ClientChatwork::Nothing => {}
        }
    }
    for g in GROUPS {
        if let Some(room) = g.chatwork_room {
            let people = staff_in(g.ext).filter_map(|m| Some((m.chatwork_account()?, "member")));
            let members: Vec<_> = std::iter::once(office).chain(people).collect();
            f.add_room(room, g.name, &members);
        }
    }
    f
}

/// The office's bot in an all-staff channel and the groups' channels; 田中's own channel
/// with her incoming webhook.
fn slack_world() -> FakeSlack {
    let f = FakeSlack::new(FakeSlackConfig::default());
    f.add_bot(SLACK_BOT_TOKEN, SLACK_BOT_USER, "renkei 通知");
    for m in MEMBERS {
        if let Some(id) = m.identity(Provider::Slack) {
            f.add_user(&id, m.name);
        }
    }
    let channel = |id: &str, name: &str, people: Vec<String>| {
        let mut members = vec![SLACK_BOT_USER.to_string()];
        members.extend(people);
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        f.add_channel(id, name, &members);
    };
    let slack_ids = |it: &mut dyn Iterator<Item = &'static Member>| -> Vec<String> {
        it.filter_map(|m| m.identity(Provider::Slack)).collect()
    };
    channel(
        SLACK_DEFAULT_CHANNEL,
        "zentai",
        slack_ids(&mut MEMBERS.iter().filter(|m| m.is_staff())),
    );
    for g in GROUPS {
        if let Some(id) = g.slack_channel {
            channel(id, g.ext, slack_ids(&mut staff_in(g.ext)));
        }
    }
    let own = super::world::member(OWN_WEBHOOK_MEMBER).and_then(|m| m.identity(Provider::Slack));
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    f.add_channel(OWN_WEBHOOK_CHANNEL, "tanaka-todo", &own);
    f.add_webhook(OWN_WEBHOOK_PATH, OWN_WEBHOOK_CHANNEL);
    f
}

fn line_works_world() -> FakeLineWorks {
    let f = FakeLineWorks::new(FakeLineWorksConfig::default());
    f.add_app(
        LINE_WORKS_CLIENT,
        LINE_WORKS_SECRET,
        LINE_WORKS_SERVICE_ACCOUNT,
        TEST_PUBLIC_KEY_PEM,
    );
    f.add_bot(LINE_WORKS_BOT, "renkei 通知");
    for m in MEMBERS {
        if let Some(id) = m.identity(Provider::LineWorks) {
            f.add_user(&id);
        }
    }
    f.add_channel(LINE_WORKS_DEFAULT_CHANNEL, &[LINE_WORKS_BOT]);
    for g in GROUPS {
        if let Some(id) = g.line_works_channel {
            f.add_channel(id, &[LINE_WORKS_BOT]);
        }
    }
    f
}

/// The office's official account; everyone linked is its friend except one person.
fn line_world() -> FakeLine {
    let f = FakeLine::new(FakeLineConfig::default());
    f.add_channel(
        LINE_CHANNEL,
        LINE_SECRET,
        LINE_BOT_USER,
        "@demo-sr",
        "デモ社労士事務所",
    );
    f.add_long_lived_token(LINE_CHANNEL, LINE_TOKEN);
    f.add_login_channel(
        LINE_LOGIN_CHANNEL,
        LINE_LOGIN_SECRET,
        Some(LINE_CHANNEL),
        &[],
    );
    for m in MEMBERS {
        if let Some(id) = m.identity(Provider::Line) {
            f.add_user(&id, m.name);
            if m.ext != LINE_NOT_FRIEND {
                f.add_friend(LINE_CHANNEL, &id);
            }
        }
    }
    f
}
