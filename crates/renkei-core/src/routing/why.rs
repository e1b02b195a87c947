//! The sentences that explain a route (and what became of a send), kept in one table.
//!
//! Routing records its reasons as English sentences (the API returns them as they are, and
//! they are what is stored with each delivery). Every sentence comes from a template below,
//! so a page can read a stored sentence back into its key and values ([`parse`]) and say
//! the same thing in the reader's language; a sentence from an older version that matches no
//! template is simply shown as it is.

use std::fmt::Display;

use crate::model::Provider;

/// A reason's key (its message is `why-<key>` in the pages' catalogues) and English text,
/// with `{name}` for each value.
pub struct Template {
    pub key: &'static str,
    pub en: &'static str,
}

impl Template {
    /// The names of its values, in the order they appear (a name used twice, twice).
    pub fn names(&self) -> Vec<&'static str> {
        parts(self.en)
            .into_iter()
            .filter_map(|p| match p {
                Part::Value(n) => Some(n),
                Part::Literal(_) => None,
            })
            .collect()
    }
}

const fn t(key: &'static str, en: &'static str) -> Template {
    Template { key, en }
}

/// Every reason routing (and the bulk send and absence sync) can give. More specific
/// sentences come before the shorter ones they begin with.
pub const TEMPLATES: &[Template] = &[
    t("switched-off", "connection {conn} is switched off by its owner"),
    t("tenant-default-off", "the tenant switched {provider} off for {type} by default"),
    t("also-for", "also for {target}: {rest}"),
    t("member-pref-off", "member {ext} switched {provider} off for {type}"),
    t("unknown-group", "no group with external_id `{ext}`"),
    t("unknown-member", "no member with external_id `{ext}`"),
    t("unknown-client", "no client with external_id `{ext}`"),
    t("group-no-members", "group {group} has no members to message directly"),
    t("group-member-direct", "member of group {group} (direct delivery to a group)"),
    t("member-primary-group", "member {ext}'s primary group is {group}"),
    t("member-no-group", "member {ext} belongs to no group, so has no room"),
    t("member-owns", "member {ext} owns connection {conn}"),
    t("member-conn-nowhere", "member {ext}'s connection {conn} has no place to post"),
    t(
        "direct-chatwork",
        "direct message through connection {conn} to {provider} account {account} (the direct chat is found in the bot's contacts when sending)",
    ),
    t("direct", "direct message through connection {conn} to {provider} account {account}"),
    t(
        "no-line-link",
        "member {ext} has not linked LINE yet: give them their link page (POST /api/v1/members/{ext}/link-pages/line)",
    ),
    t(
        "no-identity",
        "member {ext} has no {provider} account ID; set identities.{provider}.{field}",
    ),
    t(
        "no-direct-connection",
        "the tenant has no connection that can send direct messages (a webhook cannot)",
    ),
    t("conn-room", "connection {conn}'s room {room}"),
    t("conn-my-chat", "connection {conn} has no room set → its My Chat {room}"),
    t(
        "conn-webhook-channel",
        "connection {conn} has no room set → the webhook's own channel {room}",
    ),
    t("conn-default-place", "connection {conn} has no room set → its default place {room}"),
    t("conn-nowhere", "connection {conn} has neither a room nor a My Chat"),
    t("tenant-no-connection", "the tenant has no connection"),
    t(
        "no-room-connection",
        "the tenant has no connection to post into a room",
    ),
    t(
        "client-nothing",
        "client {ext} has no connection and no room, and the tenant has no connection",
    ),
    t(
        "client-own-room",
        "client {ext} has its own {provider} connection {conn} → the client's room {room}",
    ),
    t("client-own", "client {ext} has its own {provider} connection {conn}"),
    t("client-conn-nowhere", "client {ext}'s connection {conn} has no place to post"),
    t(
        "client-tenant-conn",
        "client {ext} has no {provider} connection of its own → the tenant's connection {conn} posts into the client's room {room}",
    ),
    t(
        "client-room-no-conn",
        "client {ext} has {provider} room {room} but neither the client nor the tenant has a {provider} connection",
    ),
    t(
        "client-no-destination",
        "client {ext} has no {provider} connection of its own and no {provider} room",
    ),
    t("group-room", "group {path} has {provider} room {room} → via connection {conn}"),
    t(
        "group-default-room",
        "group {path} has no {provider} room → the tenant's default room {room} via connection {conn}",
    ),
    t("group-webhook", "connection {conn} is a {provider} webhook → its own channel"),
    t(
        "group-nowhere",
        "group {path} has no {provider} room and the tenant's connection {conn} has no default room",
    ),
    t("bulk-send", "bulk send through connection {conn}"),
    // What settled a delivery before it was sent.
    t(
        "connection-deleted",
        "the connection was deleted before this could be sent",
    ),
    t("connection-broken", "the connection is broken; reconnect it"),
    t(
        "target-deleted",
        "the {kind} was deleted before this could be sent",
    ),
    t(
        "bulk-cancelled",
        "the bulk send was cancelled before this room's turn",
    ),
    // What became of a send (the worker's outcome), with the provider's own answer.
    t("will-retry", "will retry: {answer}"),
    t("gave-up", "gave up after retrying for {duration}: {answer}"),
    t(
        "room-rests",
        "the room's posting limit was reached; the room rests briefly",
    ),
    t("connection-waits", "the whole connection waits: {answer}"),
    t(
        "token-limit",
        "the token's rate limit was reached; the whole connection waits for its reset",
    ),
    t(
        "credentials-refused-http",
        "the provider refused the credentials (HTTP {status}: {answer}); fix what it says, or reconnect",
    ),
    t(
        "credentials-refused",
        "the provider refused the credentials ({answer}); fix what it says, or reconnect",
    ),
    t(
        "destination-refused",
        "the provider refused this destination (HTTP {status}): {answer}",
    ),
    t(
        "self-mention",
        "{name} (account {account}) is mentioned through connection {conn}, which posts as that same account: \
         Chatwork shows no unread badge for a mention of yourself. Connect a separate notification-only account instead",
    ),
    t(
        "absence-sync",
        "member {ext}'s absence mirrored into LINE WORKS user {user}'s default calendar through connection {conn}",
    ),
];

/// How a group and the groups above it are joined in the `path` value (`開発部 → parent 本社`).
pub const PATH_JOINER: &str = " → parent ";

fn template(key: &str) -> &'static Template {
    TEMPLATES
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no reason template `{key}`"))
}

/// The English sentence for `key` with its values. Every `{name}` of the template must be
/// given (a programming error otherwise; the routing tests produce every one).
pub fn text(key: &str, values: &[(&str, &dyn Display)]) -> String {
    let mut out = String::new();
    for part in parts(template(key).en) {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Value(name) => {
                let (_, v) = values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("reason `{key}` needs a value for {{{name}}}"));
                out.push_str(&v.to_string());
            }
        }
    }
    out
}

/// A stored sentence read back: its template's key and each value by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub key: &'static str,
    pub values: Vec<(&'static str, String)>,
}

impl Parsed {
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The template a sentence was made from, or `None` (an older or unknown sentence).
pub fn parse(sentence: &str) -> Option<Parsed> {
    TEMPLATES.iter().find_map(|t| {
        let mut values = Vec::new();
        matches(sentence, &parts(t.en), &mut values).then_some(Parsed { key: t.key, values })
    })
}

enum Part<'a> {
    Literal(&'a str),
    Value(&'static str),
}

fn parts(template: &'static str) -> Vec<Part<'static>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').expect("closed placeholder");
        if open > 0 {
            out.push(Part::Literal(&rest[..open]));
        }
        out.push(Part::Value(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Part::Literal(rest));
    }
    out
}

/// Values that are IDs or provider names must look like one: this keeps a short template
/// from swallowing a longer sentence (`… connection 5` vs `… connection 5 → the client's room`).
fn plausible(name: &str, value: &str) -> bool {
    match name {
        "conn" => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
        "provider" => value.parse::<Provider>().is_ok(),
        "kind" => matches!(value, "client" | "group" | "member"),
        _ => !value.is_empty(),
    }
}

/// Matches `s` against the parts, trying each place a value could end (shortest first).
/// A name used twice must have the same value both times.
fn matches(s: &str, parts: &[Part<'_>], values: &mut Vec<(&'static str, String)>) -> bool {
    match parts.split_first() {
        None => s.is_empty(),
        Some((Part::Literal(lit), rest)) => s
            .strip_prefix(lit)
            .is_some_and(|s| matches(s, rest, values)),
        Some((Part::Value(name), rest)) => {
            let ends: Vec<usize> = match rest.first() {
                None => vec![s.len()],
                // Every place the next words start, overlapping ones included.
                Some(Part::Literal(next)) => (0..s.len())
                    .filter(|&i| s.is_char_boundary(i) && s[i..].starts_with(next))
                    .collect(),
                Some(Part::Value(_)) => unreachable!("two values side by side"),
            };
            for end in ends {
                let value = &s[..end];
                if !plausible(name, value) {
                    continue;
                }
                let seen = values
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone());
                if seen.as_deref().is_some_and(|v| v != value) {
                    continue;
                }
                let mark = values.len();
                if seen.is_none() {
                    values.push((name, value.to_string()));
                }
                if matches(&s[end..], rest, values) {
                    return true;
                }
                values.truncate(mark);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_reads_back_its_own_sentence() {
        for t in TEMPLATES {
            let names = t.names();
            // Values that contain the templates' own words and separators.
            let sample = |n: &str| match n {
                "conn" => "12".to_string(),
                "provider" => "slack".to_string(),
                "kind" => "group".to_string(),
                "path" => format!("開発部 → room{PATH_JOINER}本社 has"),
                other => format!("{other} → has no connection 3"),
            };
            let owned: Vec<(&str, String)> = names.iter().map(|n| (*n, sample(n))).collect();
            let values: Vec<(&str, &dyn Display)> =
                owned.iter().map(|(n, v)| (*n, v as &dyn Display)).collect();
            let sentence = text(t.key, &values);
            let parsed = parse(&sentence).unwrap_or_else(|| panic!("{sentence}"));
            assert_eq!(parsed.key, t.key, "{sentence}");
            for (n, v) in &owned {
                assert_eq!(parsed.value(n), Some(v.as_str()), "{} in {sentence}", n);
            }
        }
    }

    #[test]
    fn keys_are_unique_and_unknown_sentences_are_not_guessed() {
        let mut keys: Vec<_> = TEMPLATES.iter().map(|t| t.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), TEMPLATES.len());
        assert_eq!(parse("something renkei never said"), None);
        // A template's value must look like what it names.
        assert_eq!(parse("connection x is switched off by its owner"), None);
        assert_eq!(
            parse("client a has its own chatwork connection 5 → the client's room 7")
                .map(|p| p.key),
            Some("client-own-room")
        );
        // A name used twice must agree with itself.
        assert_eq!(
            parse("member a has no slack account ID; set identities.line.user_id"),
            None
        );
    }
}
