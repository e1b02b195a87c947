//! Every provider this node can use, built once from [`ProviderConfig`]. Adding a provider
//! adds one line here.

use std::collections::HashMap;
use std::sync::Arc;

use renkei_core::model::Provider;

use crate::chatwork::Chatwork;
use crate::config::ProviderConfig;
use crate::google_chat::GoogleChat;
use crate::line::Line;
use crate::line_works::LineWorks;
use crate::slack::Slack;
use crate::target::webhook_http_client;
use crate::teams::Teams;
use crate::{http_client, CredentialStore, DeliveryProvider};

#[derive(Clone)]
pub struct Registry {
    map: HashMap<Provider, Arc<dyn DeliveryProvider>>,
    /// Typed handles for what goes beyond delivery (listing rooms, OAuth, linking).
    pub chatwork: Chatwork,
    pub line: Line,
    pub line_works: LineWorks,
    pub config: Arc<ProviderConfig>,
}

impl Registry {
    pub fn build(config: &ProviderConfig, credentials: Arc<dyn CredentialStore>) -> Registry {
        let http = http_client(config.timeout);
        // Pasted webhook URLs go through the client that never connects to private
        // addresses (Slack builds its own for webhooks and uses `http` for its Web API).
        let guarded = webhook_http_client(config.timeout, config.allow_private_targets);
        let chatwork = Chatwork::with_oauth(
            http.clone(),
            &config.chatwork_api_url,
            &config.chatwork_oauth_url,
            crate::chatwork::ChatworkLimits::scaled(config.rate_window_scale),
            credentials.clone(),
        );
        let line = Line::new(http.clone(), config, credentials.clone());
        let line_works = LineWorks::new(http.clone(), config, credentials);
        let mut map: HashMap<Provider, Arc<dyn DeliveryProvider>> = HashMap::new();
        map.insert(Provider::Chatwork, Arc::new(chatwork.clone()));
        map.insert(Provider::Slack, Arc::new(Slack::new(http.clone(), config)));
        map.insert(
            Provider::Teams,
            Arc::new(Teams::new(guarded.clone(), config)),
        );
        map.insert(
            Provider::GoogleChat,
            Arc::new(GoogleChat::new(guarded, config)),
        );
        map.insert(Provider::LineWorks, Arc::new(line_works.clone()));
        map.insert(Provider::Line, Arc::new(line.clone()));
        Registry {
            map,
            chatwork,
            line,
            line_works,
            config: Arc::new(config.clone()),
        }
    }

    /// Chatwork's OAuth consent page.
    pub fn chatwork_login_url(&self) -> &str {
        &self.config.chatwork_login_url
    }

    /// Drops what any provider keeps in memory for a connection (issued tokens), when it
    /// is unlinked or replaced.
    pub fn forget(&self, connection: i64) {
        self.chatwork.forget_oauth_tokens(connection);
    }

    pub fn get(&self, provider: Provider) -> Option<Arc<dyn DeliveryProvider>> {
        self.map.get(&provider).cloned()
    }
}

/// A [`CredentialStore`] that keeps nothing (tools that never renew tokens).
pub struct NoCredentialStore;

impl CredentialStore for NoCredentialStore {
    fn save<'a>(
        &'a self,
        _connection: i64,
        _credentials: &'a serde_json::Value,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}
