//! Google Chat incoming webhook URLs: `https://chat.googleapis.com/v1/spaces/{SPACE}/messages
//! ?key=KEY&token=TOKEN`. Both query values are needed; the token is the secret part.

use url::Url;

use crate::target::{check_webhook_url, HostRule};
use crate::ConnectError;

pub const HOSTS: &[HostRule] = &[HostRule::Exact("chat.googleapis.com")];

pub const HOW_TO_COPY: &str = "Google Chat のスペース名 →「アプリと統合」→「Webhook」で作成し、\
URL 全体（key= と token= を含む）をコピーしてください。 / In Google Chat open the space's name → \
Apps & integrations → Webhooks, and copy the whole URL (it includes key= and token=).";

/// A checked webhook, its URL reduced to the space path plus `key` and `token`.
#[derive(Clone)]
pub struct SpaceWebhook {
    pub url: Url,
    /// `spaces/{SPACE}`.
    pub space: String,
    pub token: String,
}

impl std::fmt::Debug for SpaceWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpaceWebhook")
            .field("space", &self.space)
            .field("token", &crate::credentials::hint(&self.token))
            .finish()
    }
}

fn incomplete(why: &str) -> ConnectError {
    ConnectError::invalid(
        "invalid_webhook_url",
        format!("this Google Chat webhook URL is incomplete: {why}. {HOW_TO_COPY}"),
    )
}

/// Checks a pasted URL and keeps only what posting needs (other query values, such as a
/// reply option, are renkei's to choose per message).
pub fn check(raw: &str, allow_private: bool) -> Result<SpaceWebhook, ConnectError> {
    let url = check_webhook_url(raw, HOSTS, allow_private, HOW_TO_COPY)?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    let space = match segments.as_slice() {
        ["v1", "spaces", space, "messages"] if !space.is_empty() => (*space).to_string(),
        _ => return Err(incomplete("its path is not /v1/spaces/…/messages")),
    };
    let value = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let key = value("key").ok_or_else(|| incomplete("it has no `key` parameter"))?;
    let token = value("token").ok_or_else(|| incomplete("it has no `token` parameter"))?;
    let mut clean = url.clone();
    clean.set_query(None);
    clean.set_fragment(None);
    clean
        .query_pairs_mut()
        .append_pair("key", &key)
        .append_pair("token", &token);
    Ok(SpaceWebhook {
        url: clean,
        space: format!("spaces/{space}"),
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str =
        "https://chat.googleapis.com/v1/spaces/AAAAbc123/messages?key=AIzaKEY&token=tok-9876%3D";

    #[test]
    fn a_copied_url_passes_and_keeps_key_and_token() {
        let w = check(URL, false).unwrap();
        assert_eq!(w.space, "spaces/AAAAbc123");
        assert_eq!(w.token, "tok-9876=");
        assert_eq!(w.url.as_str(), URL);
    }

    #[test]
    fn extra_query_values_are_dropped() {
        let w = check(
            &format!("{URL}&messageReplyOption=REPLY_MESSAGE_OR_FAIL#x"),
            false,
        )
        .unwrap();
        assert_eq!(w.url.as_str(), URL);
    }

    #[test]
    fn cut_urls_explain_how_to_copy() {
        for (url, missing) in [
            (
                "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=K",
                "token",
            ),
            (
                "https://chat.googleapis.com/v1/spaces/AAAA/messages?token=T",
                "key",
            ),
            (
                "https://chat.googleapis.com/v1/spaces/AAAA?key=K&token=T",
                "path",
            ),
        ] {
            let e = check(url, false).unwrap_err();
            assert_eq!(e.code, "invalid_webhook_url");
            assert!(e.message.contains(missing), "{url}: {}", e.message);
            assert!(e.message.contains("Apps & integrations"));
        }
    }

    #[test]
    fn other_hosts_are_refused() {
        for url in [
            "https://chat.googleapis.com.evil.example/v1/spaces/A/messages?key=K&token=T",
            "http://chat.googleapis.com/v1/spaces/A/messages?key=K&token=T",
            "https://142.250.1.1/v1/spaces/A/messages?key=K&token=T",
        ] {
            assert_eq!(
                check(url, false).unwrap_err().code,
                "invalid_webhook_url",
                "{url}"
            );
        }
    }
}
