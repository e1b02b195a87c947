//! What each provider's connect form asks for, and which field a refusal belongs to.
//!
//! Field names are the API's `credentials` keys (API.md), so what a person types goes to
//! `POST /api/v1/connections` unchanged.

use renkei_core::model::Provider;

/// How a field is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    /// Never shown again once sent (not even after a refusal).
    Secret,
    /// A URL that carries a credential (a webhook's signature): also never shown again.
    SecretUrl,
    /// A pasted key file (PEM): several lines, a secret.
    SecretKey,
}

impl Input {
    pub fn is_secret(self) -> bool {
        !matches!(self, Input::Text)
    }
}

/// One credential field of a connect form.
#[derive(Debug, Clone, Copy)]
pub struct CredentialField {
    /// The `credentials` key, also the input's `name` and `id`.
    pub name: &'static str,
    pub input: Input,
    pub required: bool,
}

const fn field(name: &'static str, input: Input, required: bool) -> CredentialField {
    CredentialField {
        name,
        input,
        required,
    }
}

/// The credential fields of a provider's connect form, in the order the provider's own
/// console shows them. Slack's two fields are alternatives (one of them is required).
pub fn credential_fields(provider: Provider) -> &'static [CredentialField] {
    const CHATWORK: &[CredentialField] = &[field("api_token", Input::Secret, true)];
    const SLACK: &[CredentialField] = &[
        field("webhook_url", Input::SecretUrl, false),
        field("bot_token", Input::Secret, false),
    ];
    const WEBHOOK: &[CredentialField] = &[field("webhook_url", Input::SecretUrl, true)];
    const LINE_WORKS: &[CredentialField] = &[
        field("client_id", Input::Text, true),
        field("client_secret", Input::Secret, true),
        field("service_account", Input::Text, true),
        field("private_key", Input::SecretKey, true),
        field("bot_id", Input::Text, true),
        field("bot_secret", Input::Secret, false),
    ];
    const LINE: &[CredentialField] = &[
        field("channel_access_token", Input::Secret, true),
        field("channel_secret", Input::Secret, true),
        field("login_channel_id", Input::Text, false),
        field("login_channel_secret", Input::Secret, false),
    ];
    match provider {
        Provider::Chatwork => CHATWORK,
        Provider::Slack => SLACK,
        Provider::Teams | Provider::GoogleChat => WEBHOOK,
        Provider::LineWorks => LINE_WORKS,
        Provider::Line => LINE,
    }
}

/// Whether the connection can be told where to post (webhooks and LINE cannot).
pub fn has_room(provider: Provider) -> bool {
    matches!(
        provider,
        Provider::Chatwork | Provider::Slack | Provider::LineWorks
    )
}

/// The form field an API refusal is about. `message` is the API's, which names the
/// credential at fault for the generic `invalid_credentials`; `filled` says which of
/// Slack's alternatives was used.
pub fn field_for_error(
    provider: Provider,
    code: &str,
    message: &str,
    filled: &[&'static str],
) -> &'static str {
    let named = match code {
        "invalid_owner" | "unknown_client" | "unknown_member" | "invalid_external_id" => {
            Some("owner_id")
        }
        "invalid_room" | "room_not_allowed" => Some("room"),
        "chatwork_invalid_token" => Some("api_token"),
        "invalid_webhook_url" | "slack_webhook_invalid" | "teams_connector_retired" => {
            Some("webhook_url")
        }
        "slack_invalid_token" | "slack_missing_scope" => Some("bot_token"),
        "line_works_invalid_private_key" => Some("private_key"),
        "line_works_unknown_bot" | "line_works_bot_access_denied" => Some("bot_id"),
        "line_works_invalid_credentials" | "line_works_scope_missing" => Some("client_id"),
        "line_invalid_token" => Some("channel_access_token"),
        _ => None,
    };
    if let Some(f) = named {
        return f;
    }
    let fields = credential_fields(provider);
    // "`channel_secret` must be …", "missing credentials field `kid`": the first field
    // of this form the message names in backticks.
    let mentioned = message
        .split('`')
        .skip(1)
        .step_by(2)
        .find_map(|word| fields.iter().find(|f| f.name == word));
    if let Some(f) = mentioned {
        return f.name;
    }
    filled
        .first()
        .copied()
        .unwrap_or_else(|| fields.first().map_or("owner_id", |f| f.name))
}

/// The catalogue key of a field's label (the same for every provider).
pub fn label_key(field: &str) -> String {
    format!("conn-label-{field}")
}

/// The catalogue key of a field's hint: where to find the value in this provider.
pub fn hint_key(provider: Provider, field: &str) -> String {
    hint_key_of(provider.as_str(), field)
}

/// [`hint_key`] for a provider named by its API value.
pub fn hint_key_of(provider: &str, field: &str) -> String {
    format!("conn-hint-{provider}-{field}")
}

/// The provider's own page where the values are found, for a link next to the steps.
pub fn provider_console_url(provider: Provider) -> Option<&'static str> {
    match provider {
        Provider::Chatwork => {
            Some("https://www.chatwork.com/service/packages/chatwork/subpackages/api/token.php")
        }
        Provider::Slack => Some("https://api.slack.com/apps"),
        Provider::Teams => None,
        Provider::GoogleChat => Some("https://chat.google.com/"),
        Provider::LineWorks => Some("https://dev.worksmobile.com/console/"),
        Provider::Line => Some("https://developers.line.biz/console/"),
    }
}

/// API error codes whose wording the catalogue has (`conn-err-<code>`), each given the
/// API's own message as `$detail`. Other codes show the API's message.
pub const WORDED_CODES: [&str; 22] = [
    "chatwork_invalid_token",
    "chatwork_unreachable",
    "chatwork_error",
    "invalid_credentials",
    "invalid_webhook_url",
    "slack_webhook_invalid",
    "slack_invalid_token",
    "slack_missing_scope",
    "teams_connector_retired",
    "line_works_invalid_private_key",
    "line_works_invalid_credentials",
    "line_works_scope_missing",
    "line_works_unknown_bot",
    "line_works_bot_access_denied",
    "line_invalid_token",
    "invalid_room",
    "room_not_allowed",
    "unknown_client",
    "unknown_member",
    "provider_unavailable",
    "invalid_secret",
    "invalid_oauth_client",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_land_on_the_field_they_are_about() {
        let cw = Provider::Chatwork;
        assert_eq!(
            field_for_error(cw, "chatwork_invalid_token", "", &[]),
            "api_token"
        );
        assert_eq!(field_for_error(cw, "invalid_room", "", &[]), "room");
        assert_eq!(field_for_error(cw, "unknown_client", "", &[]), "owner_id");
        let line = Provider::Line;
        assert_eq!(
            field_for_error(
                line,
                "invalid_credentials",
                "`channel_secret` must be the 32-character channel secret",
                &["channel_access_token", "channel_secret"],
            ),
            "channel_secret"
        );
        assert_eq!(
            field_for_error(
                line,
                "invalid_credentials",
                "give both `login_channel_id` and `login_channel_secret`",
                &[]
            ),
            "login_channel_id"
        );
        // Slack: the alternative that was filled in.
        assert_eq!(
            field_for_error(Provider::Slack, "slack_error", "HTTP 418", &["bot_token"]),
            "bot_token"
        );
        assert_eq!(
            field_for_error(Provider::LineWorks, "line_works_unknown_bot", "", &[]),
            "bot_id"
        );
    }

    #[test]
    fn every_worded_code_has_its_words_in_both_languages() {
        use crate::console::i18n::Tr;
        use crate::pages::Lang;
        for lang in [Lang::Ja, Lang::En] {
            for code in WORDED_CODES {
                let key = format!("conn-err-{code}");
                assert!(Tr::new(lang).maybe(&key).is_some(), "{lang:?}: no {key}");
            }
        }
        for lang in [Lang::Ja, Lang::En] {
            let tr = Tr::new(lang);
            for p in Provider::ALL {
                let mut keys: Vec<String> = credential_fields(p)
                    .iter()
                    .flat_map(|f| [label_key(f.name), hint_key(p, f.name)])
                    .collect();
                if has_room(p) {
                    keys.push(hint_key(p, "room"));
                }
                keys.push(format!("conn-intro-{}", p.as_str()));
                keys.push(format!("conn-steps-{}-1", p.as_str()));
                if crate::flows::hooks::inbound_secret_field(p).is_some() {
                    for part in ["intro", "secret", "where", "refused-no-secret"] {
                        keys.push(format!("conn-inbound-{part}-{}", p.as_str()));
                    }
                }
                for kind in ["token", "oauth", "webhook", "bot"] {
                    keys.push(format!("conn-kind-{kind}"));
                }
                for state in ["connected", "broken", "paused", "off"] {
                    keys.push(format!("conn-state-{state}"));
                }
                for owner in ["client", "member"] {
                    keys.push(format!("conn-owner-id-missing-{owner}"));
                }
                for key in keys {
                    assert!(tr.maybe(&key).is_some(), "{lang:?}: no {key}");
                }
            }
        }
    }
}
