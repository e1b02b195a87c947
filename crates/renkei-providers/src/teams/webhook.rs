//! Which pasted URLs are Teams Workflows (Power Automate) webhooks, and which are the
//! retired Office 365 connector URLs people still have lying around.

use url::Url;

use crate::target::{check_webhook_url, HostRule};
use crate::ConnectError;

/// Workflows webhooks live on Logic Apps (`prod-NN.<region>.logic.azure.com`) and on Power
/// Platform environments (`….environment.api.powerplatform.com`).
pub const HOSTS: &[HostRule] = &[
    HostRule::Suffix("logic.azure.com"),
    HostRule::Suffix("powerplatform.com"),
];

/// How to make a Workflows webhook, in both languages renkei speaks.
pub const HOW_TO_CREATE: &str = "Teams のチャネル名の「…」→「ワークフロー」→ テンプレート\
「Webhook 要求を受信するとチャネルに投稿する」を選んで作成し、表示された URL 全体をコピーしてください。 / \
In Teams, open the channel's \"…\" menu → Workflows → template \"Post to a channel when a webhook \
request is received\", create it, and copy the whole URL it shows.";

/// A checked Workflows webhook URL and its credential, the `sig` query value.
#[derive(Clone)]
pub struct WorkflowUrl {
    pub url: Url,
    pub sig: String,
}

impl std::fmt::Debug for WorkflowUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL carries the signature: show where it points, never the query.
        f.debug_struct("WorkflowUrl")
            .field("host", &self.url.host_str())
            .field("sig", &crate::credentials::hint(&self.sig))
            .finish()
    }
}

/// Office 365 connector ("Incoming Webhook") URLs: Microsoft retired them in 2024–2026.
pub fn is_retired_connector(url: &Url) -> bool {
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let path = url.path().to_ascii_lowercase();
    host == "webhook.office.com"
        || host.ends_with(".webhook.office.com")
        || ((host == "outlook.office.com" || host == "outlook.office365.com")
            && path.starts_with("/webhook"))
}

fn retired() -> ConnectError {
    ConnectError::invalid(
        "teams_connector_retired",
        format!(
            "これは Office 365 コネクタ（受信 Webhook）の URL です。Microsoft はこの方式を廃止したため \
             使えません（2024〜2026 年に段階的に停止）。 / This is an Office 365 connector \
             (Incoming Webhook) URL: Microsoft has retired these connectors (phased out 2024–2026), \
             so it cannot be used. {HOW_TO_CREATE}"
        ),
    )
}

fn not_a_workflow(why: &str) -> ConnectError {
    ConnectError::invalid(
        "invalid_webhook_url",
        format!("this is not a Teams Workflows webhook URL: {why}. {HOW_TO_CREATE}"),
    )
}

/// `/workflows/{id}/triggers/{name}/paths/invoke`, optionally under
/// `/powerautomate/automations/direct`.
fn is_workflow_path(url: &Url) -> bool {
    let Some(segments) = url.path_segments() else {
        return false;
    };
    let segments: Vec<&str> = segments.collect();
    let rest = match segments.as_slice() {
        ["powerautomate", "automations", "direct", rest @ ..] => rest,
        rest => rest,
    };
    matches!(rest, ["workflows", id, "triggers", trigger, "paths", "invoke"]
        if !id.is_empty() && !trigger.is_empty())
}

/// Checks a pasted URL: not a retired connector, on a Workflows host (or loopback when
/// `allow_private`), with the trigger path and a `sig`.
pub fn check(raw: &str, allow_private: bool) -> Result<WorkflowUrl, ConnectError> {
    if let Ok(url) = Url::parse(raw.trim()) {
        if is_retired_connector(&url) {
            return Err(retired());
        }
    }
    let url = check_webhook_url(raw, HOSTS, allow_private, HOW_TO_CREATE)?;
    if !is_workflow_path(&url) {
        return Err(not_a_workflow(
            "its path is not /workflows/…/triggers/…/paths/invoke",
        ));
    }
    let sig = url
        .query_pairs()
        .find(|(k, _)| k == "sig")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| not_a_workflow("it has no `sig` parameter (the URL was cut short)"))?;
    Ok(WorkflowUrl { url, sig })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIC: &str = "https://prod-12.japaneast.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SiGnAtUrE9876";
    const PLATFORM: &str = "https://default0123.45.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=xyz4321";

    #[test]
    fn workflows_urls_pass_with_their_sig() {
        let w = check(LOGIC, false).unwrap();
        assert_eq!(w.sig, "SiGnAtUrE9876");
        assert_eq!(check(PLATFORM, false).unwrap().sig, "xyz4321");
    }

    #[test]
    fn retired_connectors_are_named_as_such() {
        for url in [
            "https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d",
            "https://outlook.office.com/webhook/a@b/IncomingWebhook/c/d",
            "https://outlook.office365.com/webhook/a/IncomingWebhook/c/d",
        ] {
            let e = check(url, true).unwrap_err();
            assert_eq!(e.code, "teams_connector_retired", "{url}");
            assert!(e
                .message
                .contains("Webhook 要求を受信するとチャネルに投稿する"));
            assert!(e
                .message
                .contains("Post to a channel when a webhook request is received"));
        }
    }

    #[test]
    fn wrong_shapes_are_refused_without_echoing_the_secret() {
        for url in [
            "https://prod-12.japaneast.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01",
            "https://prod-12.japaneast.logic.azure.com/other/path?sig=abc",
            "https://evil.example.com/workflows/a/triggers/manual/paths/invoke?sig=abc",
            "http://prod-12.japaneast.logic.azure.com/workflows/a/triggers/manual/paths/invoke?sig=abc",
        ] {
            let e = check(url, false).unwrap_err();
            assert_eq!(e.code, "invalid_webhook_url", "{url}");
            assert!(!e.message.contains("sig=abc"), "{}", e.message);
        }
    }

    #[test]
    fn debug_hides_the_signature() {
        let w = check(LOGIC, false).unwrap();
        let shown = format!("{w:?}");
        assert!(!shown.contains("SiGnAtUrE9876"), "{shown}");
        assert!(shown.contains("9876"));
    }
}
