//! Properties of how user text is escaped per provider: no text from a notice can form a
//! broadcast, a mention or a disguised link (Slack `<!channel>`/`<@U…>`/`<url|label>`,
//! Teams `<at>`/`[label](url)`, Google Chat `<users/all>`, LINE WORKS `<m userId=…>`),
//! the escaping is lossless where the provider shows the text back, and every message
//! stays within its provider's limits.

mod props_support;

use proptest::prelude::*;
use renkei_core::model::{Mention, Notice};
use renkei_providers::{google_chat, line, line_works, slack, teams};
use serde_json::Value;

use props_support::{config, only_inserts};

const ZWSP: char = '\u{200B}';

/// User text biased towards every provider's markup.
fn user_text() -> impl Strategy<Value = String> {
    let markup = proptest::sample::select(vec![
        "<!channel>",
        "<!here|here>",
        "<!everyone>",
        "<@U0123ABCD>",
        "<#C0123ABCD>",
        "<https://evil.example|your bank>",
        "https://ok.example/a?b=1&c=<2>",
        "http://x",
        "&lt;",
        "&amp;",
        "&",
        "<",
        ">",
        "|",
        "*",
        "<at>",
        "</at>",
        "<at>Yamada</at>",
        "[click](https://evil.example)",
        "](",
        "<users/all>",
        "<users/123>",
        "<m userId=\"all\">",
        "<M userid=\"x\">",
        "<m",
        "@here",
        "\n",
        "\r\n",
        " ",
        "\u{200B}",
        "e\u{301}",
        "👨‍👩‍👧",
        "山田",
        "…",
    ]);
    prop_oneof![
        3 => proptest::collection::vec(
            prop_oneof![markup.prop_map(str::to_string), "[a-zA-Z0-9<>&|/:@!#*\\[\\]() .]{1,4}"],
            0..12,
        ).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

fn notice() -> impl Strategy<Value = Notice> {
    (
        user_text(),
        user_text(),
        proptest::option::of(prop_oneof![user_text(), "https://[a-z.]{1,10}/[ -~]{0,20}"]),
        proptest::option::of(prop_oneof![
            user_text(),
            "https://renkei\\.example/c/[a-z0-9.]{1,10}"
        ]),
    )
        .prop_map(|(title, body, url, confirm_url)| Notice {
            title,
            body,
            url,
            confirm_url,
        })
}

/// Mentions with IDs of every provider's shape and some that are not IDs at all.
fn mentions() -> impl Strategy<Value = Vec<Mention>> {
    let id = prop_oneof![
        "[UW][A-Z0-9]{6,10}",
        "[0-9]{1,12}",
        "users/[0-9]{1,6}",
        "[a-z]{1,6}@acme\\.example",
        user_text(),
        Just("all".to_string()),
        Just(String::new()),
    ];
    proptest::collection::vec(
        (id, user_text()).prop_map(|(account_id, name)| Mention { account_id, name }),
        0..4,
    )
}

// ---- Slack ----

fn slack_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every `<…>` in Slack mrkdwn is a member mention of `mentions` or a plain web link, and
/// every `&` starts one of the three entities.
fn check_slack_markup(text: &str, mentions: &[Mention]) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find(['<', '>']) {
        if rest[i..].starts_with('>') {
            return Err(format!("a `>` outside a link in {text:?}"));
        }
        let inner_end = rest[i + 1..].find(['<', '>']).map(|j| i + 1 + j);
        let Some(end) = inner_end.filter(|&e| rest[e..].starts_with('>')) else {
            return Err(format!("an unclosed `<` in {text:?}"));
        };
        let inner = &rest[i + 1..end];
        let mention = inner
            .strip_prefix('@')
            .is_some_and(|id| mentions.iter().any(|m| m.account_id == id));
        let link = (inner.starts_with("https://") || inner.starts_with("http://"))
            && !inner.contains(['|', ' ', '\n']);
        if !mention && !link {
            return Err(format!(
                "`<{inner}>` is neither a mention nor a link in {text:?}"
            ));
        }
        rest = &rest[end + 1..];
    }
    for (i, _) in text.match_indices('&') {
        if !["&amp;", "&lt;", "&gt;"]
            .iter()
            .any(|e| text[i..].starts_with(e))
        {
            return Err(format!("a bare `&` in {text:?}"));
        }
    }
    Ok(())
}

fn slack_texts(n: &Notice, mentions: &[Mention]) -> (Value, Vec<String>) {
    let out: Value = serde_json::from_str(&slack::render(n, mentions)).expect("JSON");
    let mut texts = vec![out["text"].as_str().expect("text").to_string()];
    for b in out["blocks"].as_array().into_iter().flatten() {
        texts.push(
            b["text"]["text"]
                .as_str()
                .expect("section text")
                .to_string(),
        );
    }
    (out, texts)
}

// ---- Teams ----

/// Each `<` followed by a letter or `/`, and each `](`: the markup a TextBlock can hold.
fn teams_markup(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut found = Vec::new();
    for (i, w) in chars.windows(2).enumerate() {
        if w[0] == '<' && (w[1].is_ascii_alphabetic() || w[1] == '/') {
            let tag: String = chars[i..].iter().take_while(|c| **c != '>').collect();
            found.push(tag);
        } else if w == [']', '('] {
            found.push("](".into());
        }
    }
    found
}

fn check_teams_card(card: &Value) -> Result<(), String> {
    teams::validate_card(card)?;
    let content = &card["attachments"][0]["content"];
    let entities = content["msteams"]["entities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut tags = Vec::new();
    for block in content["body"].as_array().into_iter().flatten() {
        tags.extend(teams_markup(block["text"].as_str().unwrap_or_default()));
    }
    // Every tag renkei wrote is `<at>` + a mention entity's text + `</at>`, nothing else.
    let mut want = Vec::new();
    for e in &entities {
        let text = e["text"].as_str().unwrap_or_default();
        want.push("<at".to_string());
        want.extend(
            teams_markup(text.strip_prefix("<at>").unwrap_or(text))
                .into_iter()
                .filter(|t| t != "</at"),
        );
        want.push("</at".to_string());
    }
    let mut got = tags.clone();
    got.sort();
    want.sort();
    if got != want {
        return Err(format!("markup {tags:?} in {card}"));
    }
    for action in content["actions"].as_array().into_iter().flatten() {
        let url = action["url"].as_str().unwrap_or_default();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!("a button to {url:?}"));
        }
    }
    Ok(())
}

// ---- Google Chat ----

/// Every `<` is defused (followed by a zero-width space or, where the text was cut, by
/// the ellipsis) or is one of renkei's `<users/ID>` mentions, never `<users/all>`.
fn check_google_chat_text(text: &str, mentions: &[Mention]) -> Result<(), String> {
    for (i, _) in text.match_indices('<') {
        let after = &text[i + 1..];
        if after.starts_with(ZWSP) || after == "…" {
            continue;
        }
        let id = after
            .strip_prefix("users/")
            .and_then(|r| r.split_once('>'))
            .map(|(id, _)| id);
        let ok = id.is_some_and(|id| {
            !id.eq_ignore_ascii_case("all")
                && mentions
                    .iter()
                    .any(|m| google_chat::user_id(&m.account_id) == Some(id))
        });
        if !ok {
            return Err(format!("an undefused `<` at {i} in {text:?}"));
        }
    }
    Ok(())
}

// ---- LINE WORKS ----

/// The only `<m` in the text are renkei's mention tags, for usable IDs of `mentions`.
fn check_line_works_text(text: &str, mentions: &[Mention]) -> Result<(), String> {
    let mut count = 0;
    let opens = text
        .char_indices()
        .filter(|(i, _)| text[*i..].starts_with("<m") || text[*i..].starts_with("<M"));
    for (i, _) in opens {
        let tag_ok = mentions.iter().take(line_works::MAX_MENTIONS).any(|m| {
            line_works::mention(&m.account_id).is_some_and(|tag| text[i..].starts_with(&tag))
        });
        if !tag_ok {
            return Err(format!("a `<m` not written by renkei at {i} in {text:?}"));
        }
        count += 1;
    }
    if count > line_works::MAX_MENTIONS {
        return Err(format!("{count} mentions"));
    }
    Ok(())
}

fn line_works_text(n: &Notice, mentions: &[Mention]) -> String {
    line_works::render_text(n, mentions)
}

/// Every provider's checks on one notice.
fn check_all(n: &Notice, mentions: &[Mention]) -> Result<(), String> {
    let (slack_out, texts) = slack_texts(n, mentions);
    for t in &texts {
        check_slack_markup(t, mentions)?;
    }
    let blocks = slack_out["blocks"].as_array().map_or(0, Vec::len);
    if blocks > slack::MAX_BLOCKS || texts[0].chars().count() > slack::MAX_TEXT_CHARS {
        return Err(format!("Slack message too big: {blocks} blocks"));
    }
    if texts[1..]
        .iter()
        .any(|t| t.chars().count() > slack::MAX_SECTION_CHARS)
    {
        return Err("a Slack section over 3,000 characters".into());
    }
    check_teams_card(&teams::render_card(n, mentions))?;
    let gchat = google_chat::render_message(n, mentions);
    let text = gchat["text"].as_str().expect("text");
    check_google_chat_text(text, mentions)?;
    if text.chars().count() > google_chat::MAX_TEXT_CHARS
        || gchat.to_string().len() > google_chat::MAX_MESSAGE_BYTES
    {
        return Err("Google Chat message too big".into());
    }
    let lw = line_works_text(n, mentions);
    check_line_works_text(&lw, mentions)?;
    if lw.encode_utf16().count() > line_works::MAX_TEXT_CHARS {
        return Err("LINE WORKS text too long".into());
    }
    if line::render_text(n).encode_utf16().count() > line::MAX_TEXT_UNITS {
        return Err("LINE text too long".into());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// No notice forms markup renkei did not write, in any provider, and every message
    /// stays within its provider's limits.
    #[test]
    fn user_text_forms_no_markup_anywhere(n in notice(), mentions in mentions()) {
        check_all(&n, &mentions).map_err(TestCaseError::fail)?;
    }

    /// Slack shows escaped text back exactly (it decodes the three entities), and escaped
    /// text holds no `<` or `>`.
    #[test]
    fn slack_escaping_is_lossless(text in user_text()) {
        let escaped = slack::escape(&text);
        prop_assert!(!escaped.contains(['<', '>']));
        prop_assert_eq!(slack_unescape(&escaped), text);
    }

    /// A body alone reads back exactly from Slack's `text`: drop the brackets of the links
    /// renkei made and decode the entities.
    #[test]
    fn slack_body_reads_back_exactly(body in user_text()) {
        prop_assume!(!body.trim().is_empty());
        let n = Notice { title: String::new(), body: body.clone(), url: None, confirm_url: None };
        let (_, texts) = slack_texts(&n, &[]);
        let shown = slack_unescape(&texts[0].replace(['<', '>'], ""));
        prop_assert_eq!(shown, body.trim_end());
    }

    /// Teams, Google Chat and LINE WORKS escaping only adds zero-width spaces, so a person
    /// reads exactly what was written.
    #[test]
    fn zero_width_escaping_reads_the_same(text in user_text()) {
        for escaped in [teams::escape(&text), google_chat::escape(&text)] {
            prop_assert!(only_inserts(&text, &escaped, ZWSP), "{:?} -> {:?}", text, escaped);
        }
        // LINE WORKS escapes inside the text it renders: a title alone is `【title】`.
        prop_assume!(!text.is_empty());
        let n = Notice { title: text.clone(), body: String::new(), url: None, confirm_url: None };
        let shown = line_works::render_text(&n, &[]);
        prop_assert!(only_inserts(&format!("【{text}】\n"), &shown, ZWSP), "{:?} -> {:?}", text, shown);
        prop_assert!(teams_markup(&teams::escape(&text)).is_empty());
    }
}

proptest! {
    // Each case renders tens of thousands of characters four ways: fewer of them.
    #![proptest_config(config(32))]

    /// Long notices are cut within every provider's limits without letting markup through
    /// at the cut.
    #[test]
    fn long_notices_stay_within_limits_and_defused(piece in user_text(), repeat in 100..1500usize, n in notice(), mentions in mentions()) {
        let n = Notice { body: piece.repeat(repeat), ..n };
        check_all(&n, &mentions).map_err(TestCaseError::fail)?;
    }
}

/// `corpus/markup_injections.txt`: markup people pasted or attackers tried, one per line
/// (`⏎` is a line break), each used as title, body, link and mention name at once.
#[test]
fn corpus_of_markup_injections() {
    let text =
        std::fs::read_to_string(props_support::corpus("markup_injections.txt")).expect("corpus");
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("//"))
        .map(|l| l.replace('⏎', "\n"))
        .collect();
    assert!(lines.len() >= 15, "the corpus lost its cases");
    for s in lines {
        let n = Notice {
            title: s.clone(),
            body: s.clone(),
            url: Some(s.clone()),
            confirm_url: Some(s.clone()),
        };
        let mentions = [
            Mention {
                account_id: s.clone(),
                name: s.clone(),
            },
            Mention {
                account_id: "U0123ABCD".into(),
                name: s.clone(),
            },
        ];
        check_all(&n, &mentions).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(slack_unescape(&slack::escape(&s)), s);
    }
}
