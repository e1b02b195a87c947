//! Properties of the pasted webhook URL checks (Teams Workflows, Google Chat): any text is
//! accepted or refused without a panic, whatever is accepted points at the provider over
//! HTTPS, and an accepted URL is canonical: checking it again gives the same credential.

mod props_support;

use proptest::prelude::*;
use renkei_providers::{google_chat, teams};
use url::form_urlencoded::byte_serialize;

use props_support::config;

fn enc(s: &str) -> String {
    byte_serialize(s.as_bytes()).collect()
}

/// Pasted text: URL-shaped more often than not, sometimes anything.
fn pasted() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "(https?|ftp)://([a-z0-9-]{1,8}\\.)?(chat\\.googleapis\\.com|prod-1\\.japaneast\\.logic\\.azure\\.com|x\\.powerplatform\\.com|127\\.0\\.0\\.1|\\[::1\\]|evil\\.example)(:[0-9]{1,5})?/[ -~]{0,60}",
        1 => " ?https?://(chat\\.googleapis\\.com|localhost:[0-9]{2})/v1/spaces/[A-Za-z0-9%]{1,5}/messages\\?(key=[a-z%+ 0-9]{0,5}&)?token=[a-z%+= 0-9]{0,6}[&#a-z=%]{0,6} ?",
        1 => "https://prod-1\\.x\\.logic\\.azure\\.com(/powerautomate/automations/direct)?/workflows/[a-z%]{0,3}/triggers/[a-z]{0,3}/paths/invoke\\?(sig=[a-zA-Z%+= 0-9]{0,6})?[&#a-z=%]{0,6}",
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Anything pasted is accepted or refused without a panic; an accepted URL uses HTTPS
    /// on one of the provider's hosts (loopback only when private targets are allowed),
    /// and checking it again gives the same credential.
    #[test]
    fn accepted_webhooks_are_the_providers_and_canonical(raw in pasted(), allow_private in any::<bool>()) {
        if let Ok(w) = google_chat::check_webhook_url(&raw, allow_private) {
            let host = w.url.host_str().unwrap_or_default().to_string();
            prop_assert!(allow_private || (w.url.scheme() == "https" && host == "chat.googleapis.com"), "{}", w.url);
            let again = google_chat::check_webhook_url(w.url.as_str(), allow_private)
                .map_err(|e| TestCaseError::fail(e.message))?;
            prop_assert_eq!(again.url, w.url.clone());
            prop_assert_eq!(again.space, w.space);
            prop_assert_eq!(again.token, w.token);
        }
        if let Ok(w) = teams::check_webhook_url(&raw, allow_private) {
            let host = w.url.host_str().unwrap_or_default().to_ascii_lowercase();
            prop_assert!(allow_private || (w.url.scheme() == "https"
                && (host.ends_with(".logic.azure.com") || host.ends_with(".powerplatform.com"))), "{}", w.url);
            let again = teams::check_webhook_url(w.url.as_str(), allow_private)
                .map_err(|e| TestCaseError::fail(e.message))?;
            prop_assert_eq!(again.sig, w.sig);
        }
    }

    /// A Google Chat webhook copied with extra query values, a fragment or blanks around
    /// it keeps its space and its exact token (any characters, percent-encoded).
    #[test]
    fn google_chat_keeps_space_and_token(
        space in "[A-Za-z0-9_-]{1,20}",
        key in "[A-Za-z0-9_-]{1,40}",
        token in "[!-~][ -~あ=+%&]{0,40}[!-~]",
        extra in "(&[a-zA-Z]{1,10}=[a-zA-Z0-9]{0,10}){0,3}(#[a-z]{0,5})?",
        pad in "[ \t]{0,2}",
    ) {
        let raw = format!("{pad}https://chat.googleapis.com/v1/spaces/{space}/messages?key={}&token={}{extra}{pad}", enc(&key), enc(&token));
        let w = google_chat::check_webhook_url(&raw, false).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(w.space, format!("spaces/{space}"));
        prop_assert_eq!(w.token, token.trim());
    }

    /// A Teams Workflows URL keeps its exact `sig`, whatever else the query holds.
    #[test]
    fn teams_keeps_the_sig(
        host in "prod-[0-9]{2}\\.[a-z]{4,10}\\.logic\\.azure\\.com",
        id in "[a-f0-9]{8,32}",
        sig in "[A-Za-z0-9_-][A-Za-z0-9_=+/-]{0,42}",
        direct in any::<bool>(),
    ) {
        let prefix = if direct { "/powerautomate/automations/direct" } else { "" };
        let raw = format!("https://{host}:443{prefix}/workflows/{id}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={}", enc(&sig));
        let w = teams::check_webhook_url(&raw, false).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(w.sig, sig);
    }
}
