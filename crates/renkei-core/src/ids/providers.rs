//! Rooms and identities for every provider, in the forms people paste them, normalised to
//! what the provider's API takes. One entry point per kind: [`parse_room`], [`parse_identity`].

use std::sync::OnceLock;

use regex::Regex;

use crate::model::Provider;

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

/// A room (channel, space) for `provider`, normalised; the error says which forms work.
pub fn parse_room(provider: Provider, input: &str) -> Result<String, String> {
    check_pasted("room", input)?;
    let s = input.trim();
    match provider {
        Provider::Chatwork => super::parse_chatwork_room(s)
            .map(|id| id.to_string())
            .map_err(|e| e.to_string()),
        Provider::Slack => slack_channel(s).ok_or_else(|| {
            format!(
                "`{input}` is not a Slack channel. Accepted forms: a channel ID like `C0123ABCD`, \
                 or the channel's link (`https://app.slack.com/client/T…/C…` or `https://WORKSPACE.slack.com/archives/C…`)"
            )
        }),
        Provider::LineWorks => line_works_channel(s).ok_or_else(|| {
            format!(
                "`{input}` is not a LINE WORKS channel ID. Copy it from the talk room's menu (チャンネルID): letters, digits and `-` only"
            )
        }),
        Provider::Teams | Provider::GoogleChat | Provider::Line => Err(format!(
            "{} has no rooms to choose: {}",
            provider.display_name(),
            match provider {
                Provider::Line => "LINE messages go to each person who added the official account as a friend",
                _ => "the webhook URL already fixes the channel or space; make one webhook per place",
            }
        )),
    }
}

/// A member's identity for `provider`, normalised.
pub fn parse_identity(provider: Provider, input: &str) -> Result<String, String> {
    check_pasted("identity", input)?;
    let s = input.trim();
    let parsed = match provider {
        Provider::Chatwork => super::parse_chatwork_account(s)
            .map(|id| id.to_string())
            .map_err(|e| e.to_string()),
        Provider::Slack => slack_member(s).ok_or_else(|| {
            format!("`{input}` is not a Slack member ID. Copy it from the person's profile (⋮ → メンバーIDをコピー / Copy member ID): it looks like `U0123ABCD`")
        }),
        Provider::Teams => teams_user(s).ok_or_else(|| {
            format!("`{input}` is not a Teams user ID: use the person's sign-in address (UPN, `name@company.example`) or their Entra object ID (a GUID)")
        }),
        Provider::GoogleChat => google_chat_user(s).ok_or_else(|| {
            format!("`{input}` is not a Google Chat user: use `users/` followed by the numeric user ID (e.g. `users/123456789`), or just the number")
        }),
        Provider::LineWorks => line_works_user(s).ok_or_else(|| {
            format!("`{input}` is not a LINE WORKS user ID: use the member's user ID (a UUID-like ID or their login ID `name@domain`)")
        }),
        Provider::Line => line_user(s).ok_or_else(|| {
            format!("`{input}` is not a LINE user ID (`U` followed by 32 hex digits). People link their LINE account themselves through the link page; the ID is not shown in the LINE app")
        }),
    }?;
    Ok(parsed)
}

/// Bounds what the forms below are matched against: one line, at most 1,024 characters.
fn check_pasted(field: &str, input: &str) -> Result<(), String> {
    crate::text::check(
        field,
        input.trim(),
        crate::text::Rule::one_line(crate::text::MAX_PASTED_ID_CHARS),
    )
}

fn slack_channel(s: &str) -> Option<String> {
    static ID: OnceLock<Regex> = OnceLock::new();
    static URL: OnceLock<Regex> = OnceLock::new();
    let id = re(&ID, r"^[CGD][A-Z0-9]{6,20}$");
    if id.is_match(s) {
        return Some(s.to_string());
    }
    let url = re(
        &URL,
        r"^https://(?:app\.slack\.com/client/T[A-Z0-9]+|[a-z0-9-]+\.(?:enterprise\.)?slack\.com/archives)/([CGD][A-Z0-9]{6,20})(?:[/?#].*)?$",
    );
    url.captures(s).map(|c| c[1].to_string())
}

fn slack_member(s: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    // `<@U123>` is what a mention looks like in a copied message.
    let s = s
        .strip_prefix("<@")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(s);
    re(&RE, r"^[UW][A-Z0-9]{6,20}$")
        .is_match(s)
        .then(|| s.to_string())
}

fn teams_user(s: &str) -> Option<String> {
    static UPN: OnceLock<Regex> = OnceLock::new();
    static GUID: OnceLock<Regex> = OnceLock::new();
    let upn = re(&UPN, r"^[^\s@<>]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$");
    let guid = re(
        &GUID,
        r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    );
    if guid.is_match(s) {
        return Some(s.to_ascii_lowercase());
    }
    upn.is_match(s).then(|| s.to_string())
}

fn google_chat_user(s: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let id = s.strip_prefix("users/").unwrap_or(s);
    re(&RE, r"^[0-9]{1,30}$")
        .is_match(id)
        .then(|| format!("users/{id}"))
}

fn line_works_user(s: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
        .is_match(s)
        .then(|| s.to_string())
}

fn line_works_channel(s: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"^[A-Za-z0-9-]{1,128}$")
        .is_match(s)
        .then(|| s.to_string())
}

fn line_user(s: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"^U[0-9a-f]{32}$")
        .is_match(s)
        .then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_values_are_one_bounded_line() {
        let long = format!(
            "https://acme.slack.com/archives/C0123ABCD/{}",
            "p".repeat(1100)
        );
        assert!(parse_room(Provider::Slack, &long)
            .unwrap_err()
            .contains("at most 1024"));
        let upn = format!("{}@example.com", "a".repeat(1100));
        assert!(parse_identity(Provider::Teams, &upn).is_err());
        let nul = parse_identity(Provider::Teams, "a\u{0}b@example.com").unwrap_err();
        assert!(nul.contains("U+0000"), "{nul}");
    }

    #[test]
    fn slack_channels_from_ids_and_links() {
        for (input, want) in [
            ("C0123ABCD", "C0123ABCD"),
            ("https://app.slack.com/client/T01ABC/C0123ABCD", "C0123ABCD"),
            (
                "https://acme.slack.com/archives/C0123ABCD/p1700000000",
                "C0123ABCD",
            ),
        ] {
            assert_eq!(parse_room(Provider::Slack, input).unwrap(), want, "{input}");
        }
        assert!(parse_room(Provider::Slack, "#general").is_err());
        assert!(parse_room(Provider::Slack, "https://evil.example/archives/C0123ABCD").is_err());
    }

    #[test]
    fn identities_per_provider() {
        let ok =
            |p, i: &str, want: &str| assert_eq!(parse_identity(p, i).unwrap(), want, "{p} {i}");
        ok(Provider::Chatwork, "[To:123] 山田さん", "123");
        ok(Provider::Slack, "<@U0123ABCD>", "U0123ABCD");
        ok(Provider::Teams, "yamada@acme.co.jp", "yamada@acme.co.jp");
        ok(
            Provider::Teams,
            "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        );
        ok(Provider::GoogleChat, "123456789", "users/123456789");
        ok(Provider::GoogleChat, "users/123456789", "users/123456789");
        ok(Provider::LineWorks, "yamada@acme", "yamada@acme");
        ok(
            Provider::Line,
            "U0123456789abcdef0123456789abcdef",
            "U0123456789abcdef0123456789abcdef",
        );
        for (p, bad) in [
            (Provider::Slack, "C0123ABCD"),
            (Provider::Teams, "yamada"),
            (Provider::GoogleChat, "users/all"),
            (Provider::LineWorks, "a b"),
            (Provider::Line, "U123"),
        ] {
            assert!(parse_identity(p, bad).is_err(), "{p} {bad}");
        }
    }

    #[test]
    fn webhook_providers_have_no_rooms() {
        let e = parse_room(Provider::Teams, "x").unwrap_err();
        assert!(e.contains("webhook"), "{e}");
        assert!(parse_room(Provider::Line, "x")
            .unwrap_err()
            .contains("friend"));
        assert_eq!(parse_room(Provider::LineWorks, " ch-1 ").unwrap(), "ch-1");
    }
}
