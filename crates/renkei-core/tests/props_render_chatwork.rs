//! Properties of Chatwork notation escaping (`renkei_core::render::chatwork`): user text
//! never opens a tag (`[To:…]`, `[toall]`, `[info]`, `[/title]`, …), a person still reads
//! exactly what was written, and a rendered notice carries only the notation renkei wrote,
//! within Chatwork's length limit.

mod support;

use proptest::prelude::*;
use renkei_core::model::{Mention, Notice};
use renkei_core::render::chatwork::{escape, render, MAX_BODY_CHARS};

use support::{config, only_inserts};

const ZWSP: char = '\u{200B}';

/// User text as products and people write it, biased towards Chatwork notation and the
/// characters around it.
fn user_text() -> impl Strategy<Value = String> {
    let notation = proptest::sample::select(vec![
        "[To:1]",
        "[toall]",
        "[TOALL]",
        "[info]",
        "[/info]",
        "[title]",
        "[/title]",
        "[rp aid=1 to=2-3]",
        "[qt][qtmeta aid=1 time=1][/qt]",
        "[code]",
        "[hr]",
        "[piconname:1]",
        "[picon:1]",
        "[:]",
        "[",
        "]",
        "[[",
        "[\u{200B}To:1]",
        "\u{200B}",
        "a\u{301}",
        "👨‍👩‍👧",
        "\n",
        "\r\n",
        " ",
        "山田",
        "[1]",
    ]);
    prop_oneof![
        3 => proptest::collection::vec(
            prop_oneof![notation.prop_map(str::to_string), "[a-zA-Z0-9/:\\[\\] ]{1,4}"],
            0..16,
        ).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

/// Each `[` that is directly followed by what could make it a tag: a letter, `/` or `:`.
fn tag_openers(s: &str) -> usize {
    let chars: Vec<char> = s.chars().collect();
    chars
        .windows(2)
        .filter(|w| w[0] == '[' && (w[1].is_ascii_alphabetic() || w[1] == '/' || w[1] == ':'))
        .count()
}

fn notice() -> impl Strategy<Value = Notice> {
    (
        user_text(),
        user_text(),
        proptest::option::of(user_text()),
        proptest::option::of(user_text()),
    )
        .prop_map(|(title, body, url, confirm_url)| Notice {
            title,
            body,
            url,
            confirm_url,
        })
}

/// Mentions as renkei stores them: numeric account IDs, names that anyone typed.
fn mentions() -> impl Strategy<Value = Vec<Mention>> {
    proptest::collection::vec(
        (1..=i64::MAX, user_text()).prop_map(|(id, name)| Mention {
            account_id: id.to_string(),
            name,
        }),
        0..4,
    )
}

/// The notice laid out as renkei lays it, before escaping.
fn plain_layout(n: &Notice, mentions: &[Mention]) -> String {
    let mut out = String::new();
    for m in mentions {
        out.push_str(&format!("[To:{}] {}さん\n", m.account_id, m.name));
    }
    let mut text = n.body.clone();
    for (prefix, link) in [("", &n.url), ("確認 / Confirm: ", &n.confirm_url)] {
        if let Some(link) = link {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(prefix);
            text.push_str(link);
        }
    }
    if n.title.is_empty() {
        out + &text
    } else {
        format!("{out}[info][title]{}[/title]{text}[/info]", n.title)
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Escaped text opens no tag, and differs from the original only by zero-width spaces
    /// (so it reads the same).
    #[test]
    fn escaped_text_opens_no_tag_and_reads_the_same(text in user_text()) {
        let escaped = escape(&text);
        prop_assert_eq!(tag_openers(&escaped), 0, "{:?} -> {:?}", text, escaped);
        prop_assert!(only_inserts(&text, &escaped, ZWSP), "{:?} -> {:?}", text, escaped);
    }

    /// A rendered notice holds exactly renkei's notation: one `[To:…]` per mention and,
    /// with a title, `[info][title]…[/title]…[/info]`; everything else is the user's text
    /// with zero-width spaces added.
    #[test]
    fn rendered_notices_carry_only_renkei_notation(n in notice(), mentions in mentions()) {
        let out = render(&n, &mentions);
        let layout = 4 * usize::from(!n.title.is_empty());
        prop_assert_eq!(tag_openers(&out), mentions.len() + layout, "{:?}", out);
        prop_assert!(only_inserts(&plain_layout(&n, &mentions), &out, ZWSP), "{:?}", out);
        let mut rest = out.as_str();
        for m in &mentions {
            let to = format!("[To:{}] ", m.account_id);
            prop_assert!(rest.starts_with(&to), "{:?}", out);
            rest = &rest[to.len() + escape(&m.name).len() + "さん\n".len()..];
        }
        if !n.title.is_empty() {
            prop_assert!(rest.starts_with("[info][title]") && rest.ends_with("[/info]"), "{:?}", out);
        }
    }
}

proptest! {
    // Each case renders up to a few hundred thousand characters: fewer of them.
    #![proptest_config(config(64))]

    /// However long the text, the message stays within Chatwork's limit, the notation
    /// stays closed, and no tag is formed where the text was cut.
    #[test]
    fn long_notices_are_cut_within_the_limit(
        piece in user_text(),
        repeat in 1..4000usize,
        titled in any::<bool>(),
        mentions in mentions(),
    ) {
        let n = Notice {
            title: if titled { "件名 [toall]".into() } else { String::new() },
            body: piece.repeat(repeat),
            url: Some("https://example.com/[info]".into()),
            confirm_url: None,
        };
        let out = render(&n, &mentions);
        prop_assert!(out.chars().count() <= MAX_BODY_CHARS);
        let layout = if titled { 4 } else { 0 };
        prop_assert_eq!(tag_openers(&out), mentions.len() + layout);
        if titled {
            prop_assert!(out.ends_with("[/info]"));
        }
    }
}

/// Bodies from `corpus/chatwork_bodies.txt` (one per line, `\n` written as `⏎`): each
/// is rendered alone and as a title, and must come out with no notation of its own.
#[test]
fn corpus_of_notation_lookalikes() {
    let text = std::fs::read_to_string(support::corpus("chatwork_bodies.txt")).expect("corpus");
    let bodies: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("//"))
        .map(|l| l.replace('⏎', "\n"))
        .collect();
    assert!(bodies.len() >= 10, "the corpus lost its cases");
    for body in bodies {
        let escaped = escape(&body);
        assert_eq!(tag_openers(&escaped), 0, "{body:?} -> {escaped:?}");
        assert!(only_inserts(&body, &escaped, ZWSP), "{body:?}");
        let n = Notice {
            title: body.clone(),
            body: body.clone(),
            url: Some(body.clone()),
            confirm_url: None,
        };
        let mention = Mention {
            account_id: "42".into(),
            name: body.clone(),
        };
        let out = render(&n, &[mention]);
        let titled = 4 * usize::from(!body.is_empty());
        assert_eq!(tag_openers(&out), 1 + titled, "{out:?}");
    }
}
