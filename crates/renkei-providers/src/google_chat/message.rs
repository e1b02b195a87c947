//! The webhook message: `text` carries mentions, the title (`*bold*`) and the body, so
//! people get notified and previews read well; a `cardsV2` card adds buttons for the
//! notice's link and its confirmation link.
//!
//! In `text`, Google Chat reads `<users/ID>` as a mention (`<users/all>` notifies everyone)
//! and `<URL|label>` as a link. [`escape`] puts a zero-width space after every `<` in user
//! text, so neither can be forged; a person still reads the same characters. `*`, `_`, `~`
//! and backticks are left alone: at worst they change how the text looks.

use renkei_core::model::{Mention, Notice};
use serde_json::{json, Value};

/// Google refuses messages above 32,000 bytes.
pub const MAX_MESSAGE_BYTES: usize = 32_000;
/// renkei keeps `text` to this many characters (see docs/decisions.md).
pub const MAX_TEXT_CHARS: usize = 4_096;

const ZERO_WIDTH_SPACE: char = '\u{200B}';
const ELLIPSIS: char = '…';
const NO_TEXT: &str = "（本文なし / no text）";

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        out.push(c);
        if c == '<' {
            out.push(ZERO_WIDTH_SPACE);
        }
    }
    out
}

/// `users/123` or `123` → `123`; `None` for anything that is not a plain user ID (and for
/// `all`, which would notify the whole space).
pub fn user_id(identity: &str) -> Option<&str> {
    let id = identity.trim();
    let id = id.strip_prefix("users/").unwrap_or(id);
    let plain = !id.is_empty()
        && !id.eq_ignore_ascii_case("all")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._-+".contains(c));
    plain.then_some(id)
}

fn is_web_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

fn mention_line(mentions: &[Mention]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut parts = Vec::new();
    for m in mentions {
        match user_id(&m.account_id) {
            Some(id) if seen.contains(&id) => {}
            Some(id) => {
                seen.push(id);
                parts.push(format!("<users/{id}>"));
            }
            None if !m.name.trim().is_empty() => parts.push(escape(m.name.trim())),
            None => {}
        }
    }
    parts.join(" ")
}

fn cut(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push(ELLIPSIS);
    out
}

fn links_card(buttons: Vec<Value>) -> Value {
    json!([{
        "cardId": "renkei-links",
        "card": {"sections": [{"widgets": [{"buttonList": {"buttons": buttons}}]}]},
    }])
}

/// The message for a notice: `text` within [`MAX_TEXT_CHARS`] (the body is cut first,
/// then the title) and the whole message within [`MAX_MESSAGE_BYTES`].
pub fn render(notice: &Notice, mentions: &[Mention]) -> Value {
    let mut head = mention_line(mentions);
    let title = escape(notice.title.trim());
    if !title.is_empty() {
        if !head.is_empty() {
            head.push('\n');
        }
        head.push_str(&format!("*{title}*"));
    }
    let mut tail = escape(notice.body.trim());
    let mut buttons = Vec::new();
    for (label, link) in [
        ("開く / Open", &notice.url),
        ("確認 / Confirm", &notice.confirm_url),
    ] {
        let Some(link) = link.as_deref().map(str::trim).filter(|l| !l.is_empty()) else {
            continue;
        };
        if is_web_url(link) {
            buttons.push(json!({"text": label, "onClick": {"openLink": {"url": link}}}));
        } else {
            // Not a web URL: it cannot be a button, so it is shown (defused) as text.
            tail.push_str(&format!("\n{label}: {}", escape(link)));
        }
    }
    let tail = tail.trim_start().to_string();
    let head = cut(&head, MAX_TEXT_CHARS);
    let room_left = MAX_TEXT_CHARS.saturating_sub(head.chars().count() + 1);
    let text = match (head.is_empty(), tail.is_empty()) {
        (true, true) => NO_TEXT.to_string(),
        (false, true) => head,
        (true, false) => cut(&tail, MAX_TEXT_CHARS),
        (false, false) if room_left > 1 => format!("{head}\n{}", cut(&tail, room_left)),
        (false, false) => head,
    };
    let mut message = json!({ "text": text });
    if !buttons.is_empty() {
        message["cardsV2"] = links_card(buttons);
    }
    // 4,096 characters of text is at most ~16 KB and two URLs rarely come close to the
    // rest; a pair of huge URLs loses its buttons rather than the message.
    if message.to_string().len() > MAX_MESSAGE_BYTES {
        if let Some(obj) = message.as_object_mut() {
            obj.remove("cardsV2");
        }
    }
    message
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
    fn user_ids_with_or_without_prefix_and_never_all() {
        assert_eq!(user_id("users/123"), Some("123"));
        assert_eq!(user_id(" 123 "), Some("123"));
        assert_eq!(user_id("users/all"), None);
        assert_eq!(user_id("ALL"), None);
        assert_eq!(user_id("1> <users/all"), None);
        assert_eq!(user_id(""), None);
    }

    #[test]
    fn mentions_come_first_once_each() {
        let m = [
            mention("users/1", "A"),
            mention("1", "A"),
            mention("", "B"),
            mention("all", "C"),
        ];
        let msg = render(&notice("T", "b"), &m);
        assert_eq!(msg["text"], "<users/1> B C\n*T*\nb");
    }

    #[test]
    fn user_text_cannot_mention_or_link() {
        let msg = render(
            &notice("<users/all>", "see <https://evil.example|bank>"),
            &[],
        );
        let text = msg["text"].as_str().unwrap();
        assert!(!text.contains("<users/"), "{text}");
        assert!(!text.contains("<https://"), "{text}");
        assert_eq!(
            text.replace(ZERO_WIDTH_SPACE, ""),
            "*<users/all>*\nsee <https://evil.example|bank>"
        );
    }

    #[test]
    fn links_become_buttons() {
        let mut n = notice("T", "b");
        n.url = Some("https://a.example/1".into());
        n.confirm_url = Some("https://renkei.example/c/1".into());
        let msg = render(&n, &[]);
        let buttons =
            &msg["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["buttonList"]["buttons"];
        assert_eq!(
            buttons[0]["onClick"]["openLink"]["url"],
            "https://a.example/1"
        );
        assert_eq!(buttons[1]["text"], "確認 / Confirm");
        assert_eq!(
            buttons[1]["onClick"]["openLink"]["url"],
            "https://renkei.example/c/1"
        );
        assert_eq!(msg["text"], "*T*\nb");
    }

    #[test]
    fn long_bodies_are_cut_and_empty_notices_have_text() {
        let msg = render(&notice("T", &"あ".repeat(10_000)), &[]);
        let text = msg["text"].as_str().unwrap();
        assert_eq!(text.chars().count(), MAX_TEXT_CHARS);
        assert!(text.starts_with("*T*\nあ") && text.ends_with('…'));
        assert_eq!(render(&notice("", ""), &[])["text"], NO_TEXT);
        assert!(render(&notice("", ""), &[]).get("cardsV2").is_none());
    }
}
