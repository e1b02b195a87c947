//! The Workflows payload: one Adaptive Card in a `message` envelope.
//!
//! User text goes into TextBlocks, which Teams reads as a Markdown subset and scans for
//! `<at>…</at>` mention tags. [`escape`] puts a zero-width space after a `<` that could open
//! a tag and between `]` and `(` of a Markdown link, so a notice cannot forge a mention or
//! disguise a link; a person still reads the same characters. Emphasis and list markers
//! (`**`, `_`, `- `) are left alone: at worst they change how the text looks.

use renkei_core::model::{Mention, Notice};
use serde_json::{json, Value};

/// The Adaptive Card version renkei writes (Teams renders up to 1.5 on every client).
pub const CARD_VERSION: &str = "1.4";
pub const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";
/// Teams refuses messages above about 28 KB; renkei stays under this many bytes of JSON.
pub const MAX_PAYLOAD_BYTES: usize = 28_000;

const ZERO_WIDTH_SPACE: char = '\u{200B}';
const ELLIPSIS: &str = "…";
const NO_TEXT: &str = "（本文なし / no text）";

/// Escapes user text so it cannot form mention tags or Markdown links.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        let next = chars.peek().copied();
        let opens_tag = c == '<' && next.is_some_and(|n| n.is_ascii_alphabetic() || n == '/');
        let opens_link_target = c == ']' && next == Some('(');
        if opens_tag || opens_link_target {
            out.push(ZERO_WIDTH_SPACE);
        }
    }
    out
}

fn is_web_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// A mention Teams can resolve: the text shown and the Entra identity behind it.
struct Tagged {
    text: String,
    id: String,
    name: String,
}

/// Mentions with an ID become `<at>Name</at>` tags (one per person, names made unique so
/// each tag maps to one entity); those without an ID are written as plain names.
fn tag_mentions(mentions: &[Mention]) -> (Vec<Tagged>, Vec<String>) {
    let mut tagged: Vec<Tagged> = Vec::new();
    let mut plain = Vec::new();
    for m in mentions {
        let id = m.account_id.trim();
        let name = escape(m.name.trim());
        if id.is_empty() {
            if !name.is_empty() {
                plain.push(name);
            }
            continue;
        }
        if tagged.iter().any(|t| t.id == id) {
            continue;
        }
        let base = if name.is_empty() { escape(id) } else { name };
        let mut shown = base.clone();
        let mut n = 1;
        while tagged.iter().any(|t| t.name == shown) {
            n += 1;
            shown = format!("{base} ({n})");
        }
        tagged.push(Tagged {
            text: format!("<at>{shown}</at>"),
            id: id.to_string(),
            name: shown,
        });
    }
    (tagged, plain)
}

fn text_block(text: &str) -> Value {
    json!({"type": "TextBlock", "text": text, "wrap": true})
}

/// The parts of a card, kept apart so [`render`] can shorten them to fit.
struct Parts {
    tagged: Vec<Tagged>,
    plain: Vec<String>,
    title: String,
    body: String,
    links: Vec<(&'static str, String)>,
    /// Links that are not web URLs cannot be buttons; they are shown as text.
    link_lines: Vec<String>,
}

impl Parts {
    fn card(&self) -> Value {
        let mut body = Vec::new();
        let who: Vec<&str> = self
            .tagged
            .iter()
            .map(|t| t.text.as_str())
            .chain(self.plain.iter().map(String::as_str))
            .collect();
        if !who.is_empty() {
            body.push(text_block(&who.join(" ")));
        }
        if !self.title.is_empty() {
            let mut title = text_block(&self.title);
            title["size"] = json!("Large");
            title["weight"] = json!("Bolder");
            body.push(title);
        }
        if !self.body.is_empty() {
            body.push(text_block(&self.body));
        }
        body.extend(self.link_lines.iter().map(|l| text_block(l)));
        if body.is_empty() {
            body.push(text_block(NO_TEXT));
        }
        let entities: Vec<Value> = self
            .tagged
            .iter()
            .map(|t| json!({"type": "mention", "text": t.text, "mentioned": {"id": t.id, "name": t.name}}))
            .collect();
        let mut content = json!({
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": body,
            "msteams": {"width": "Full", "entities": entities},
        });
        if !self.links.is_empty() {
            let actions: Vec<Value> = self
                .links
                .iter()
                .map(|(title, url)| json!({"type": "Action.OpenUrl", "title": title, "url": url}))
                .collect();
            content["actions"] = json!(actions);
        }
        json!({
            "type": "message",
            "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": null, "content": content}],
        })
    }
}

/// Bytes `c` takes inside a JSON string as serde_json writes it.
fn json_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Drops characters from the end until at least `excess` JSON bytes are gone (room for
/// the ellipsis included), then marks the cut.
fn cut(text: &str, excess: usize) -> String {
    let need = excess + ELLIPSIS.len();
    let mut removed = 0;
    let mut chars: Vec<char> = text.chars().collect();
    while removed < need {
        match chars.pop() {
            Some(c) => removed += json_len(c),
            None => return String::new(),
        }
    }
    let mut out: String = chars.into_iter().collect();
    out.push_str(ELLIPSIS);
    out
}

/// The payload for a notice, always within [`MAX_PAYLOAD_BYTES`]: a long body is cut
/// first, then the title, then mentions from the end.
pub fn render(notice: &Notice, mentions: &[Mention]) -> Value {
    let (tagged, plain) = tag_mentions(mentions);
    let mut links = Vec::new();
    let mut link_lines = Vec::new();
    for (title, link) in [
        ("開く / Open", &notice.url),
        ("確認 / Confirm", &notice.confirm_url),
    ] {
        let Some(link) = link.as_deref().map(str::trim).filter(|l| !l.is_empty()) else {
            continue;
        };
        if is_web_url(link) {
            links.push((title, link.to_string()));
        } else {
            link_lines.push(format!("{title}: {}", escape(link)));
        }
    }
    let mut parts = Parts {
        tagged,
        plain,
        title: escape(notice.title.trim()),
        body: escape(notice.body.trim()),
        links,
        link_lines,
    };
    loop {
        let card = parts.card();
        let size = card.to_string().len();
        if size <= MAX_PAYLOAD_BYTES {
            return card;
        }
        let excess = size - MAX_PAYLOAD_BYTES;
        if !parts.body.is_empty() {
            parts.body = cut(&parts.body, excess);
        } else if !parts.title.is_empty() {
            parts.title = cut(&parts.title, excess);
        } else if !parts.link_lines.is_empty() {
            parts.link_lines.pop();
        } else if parts.plain.pop().is_none() && parts.tagged.pop().is_none() {
            // Only fixed text is left, far below the limit: cannot happen.
            return card;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(title: &str, body: &str) -> Notice {
        Notice {
            title: title.into(),
            body: body.into(),
            url: None,
            confirm_url: None,
        }
    }

    fn mention(id: &str, name: &str) -> Mention {
        Mention {
            account_id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn escape_defuses_tags_and_links_only() {
        assert_eq!(escape("<at>x</at>"), "<\u{200B}at>x<\u{200B}/at>");
        assert_eq!(escape("[a](http://e)"), "[a]\u{200B}(http://e)");
        assert_eq!(escape("1 < 2 and [x] (y) **b**"), "1 < 2 and [x] (y) **b**");
    }

    #[test]
    fn same_names_get_distinct_tags_and_repeats_are_dropped() {
        let card = render(
            &notice("t", "b"),
            &[
                mention("a@x.jp", "山田"),
                mention("b@x.jp", "山田"),
                mention("a@x.jp", "山田"),
            ],
        );
        let entities = &card["attachments"][0]["content"]["msteams"]["entities"];
        assert_eq!(entities.as_array().unwrap().len(), 2);
        assert_eq!(entities[1]["text"], "<at>山田 (2)</at>");
        assert_eq!(entities[1]["mentioned"]["id"], "b@x.jp");
    }

    #[test]
    fn non_web_links_become_text() {
        let mut n = notice("t", "b");
        n.url = Some("javascript:alert(1)".into());
        n.confirm_url = Some("https://renkei.example/c/1".into());
        let content = &render(&n, &[])["attachments"][0]["content"];
        assert_eq!(content["actions"].as_array().unwrap().len(), 1);
        assert_eq!(content["actions"][0]["url"], "https://renkei.example/c/1");
        assert_eq!(
            content["body"][2]["text"],
            "開く / Open: javascript:alert(1)"
        );
    }

    #[test]
    fn cuts_measure_json_bytes() {
        assert_eq!(cut("abcdef", 1), "ab…");
        assert_eq!(cut("abcd\"", 1), "ab…", "a quote takes two bytes");
        assert_eq!(cut("ab", 10), "");
    }

    #[test]
    fn an_empty_notice_still_has_a_body() {
        let card = render(&notice("", "  "), &[]);
        assert_eq!(
            card["attachments"][0]["content"]["body"][0]["text"],
            NO_TEXT
        );
    }
}
