//! Every fake provider besides Chatwork, started next to each test node with the same
//! scaled time, and the node's provider URLs pointed at them.

use renkei::settings::Settings;
use renkei_fakes::common::Running;
use renkei_fakes::google_chat::{FakeGoogleChat, FakeGoogleChatConfig};
use renkei_fakes::line::{FakeLine, FakeLineConfig, RunningFakeLine};
use renkei_fakes::line_works::{FakeLineWorks, FakeLineWorksConfig, RunningFakeLineWorks};
use renkei_fakes::slack::{FakeSlack, FakeSlackConfig, RunningFakeSlack};
use renkei_fakes::teams::{FakeTeams, FakeTeamsConfig};

pub struct Fakes {
    pub slack: RunningFakeSlack,
    pub teams: FakeTeams,
    /// The servers serve until the test's runtime ends; kept for their addresses.
    pub _teams_server: Running,
    pub google_chat: FakeGoogleChat,
    pub _google_chat_server: Running,
    pub line_works: RunningFakeLineWorks,
    pub line: RunningFakeLine,
}

impl Fakes {
    /// Starts them all and points `settings` at them.
    pub async fn start(scale: f64, settings: &mut Settings) -> Fakes {
        let slack = FakeSlack::new(FakeSlackConfig::default().scaled(scale))
            .start()
            .await
            .unwrap();
        let teams = FakeTeams::new(FakeTeamsConfig::default().scaled(scale));
        let teams_server = teams.start().await.unwrap();
        let google_chat = FakeGoogleChat::new(FakeGoogleChatConfig::default().scaled(scale));
        let google_chat_server = google_chat.start().await.unwrap();
        let line_works = FakeLineWorks::new(FakeLineWorksConfig::default().scaled(scale))
            .start()
            .await
            .unwrap();
        let line = FakeLine::new(FakeLineConfig::default().scaled(scale))
            .start()
            .await
            .unwrap();
        settings.slack_api_url = slack.base_url();
        settings.lineworks_auth_url = line_works.auth_url();
        settings.lineworks_api_url = line_works.api_url();
        settings.line_api_url = line.api_url();
        settings.line_login_url = line.login_url();
        Fakes {
            slack,
            teams,
            _teams_server: teams_server,
            google_chat,
            _google_chat_server: google_chat_server,
            line_works,
            line,
        }
    }
}
