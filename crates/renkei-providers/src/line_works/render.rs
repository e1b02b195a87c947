//! A notice as a LINE WORKS bot text message: `{"content":{"type":"text","text":"..."}}`.
//!
//! Text messages are plain text (no markup) of at most 2000 characters. Mentions use LINE
//! WORKS' text mention syntax `<m userId="ID">`, which LINE WORKS replaces with `@name`
//! (developers.worksmobile.com, "Mention Users"; at most 50 per message, in channel and
//! user messages). User text is defused so it cannot form a mention (`<m userId="all">`
//! would notify a whole room).

use renkei_core::model::{Mention, Notice};

/// LINE WORKS' limit on `content.text`.
pub const MAX_TEXT_CHARS: usize = 2000;
/// LINE WORKS' limit on mentions per message; further people are named without a mention.
pub const MAX_MENTIONS: usize = 50;
const TRUNCATED: &str = "…(省略)";
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Length as LINE WORKS may count it: UTF-16 units, which is never less than characters,
/// so a text within this count is within the limit under either reading.
fn length(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The mention of one member, or `None` if the ID cannot be written inside the tag (the
/// member is then named in plain text).
pub fn mention(user_id: &str) -> Option<String> {
    let usable = !user_id.is_empty()
        && user_id.len() <= 256
        && !user_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
    usable.then(|| format!("<m userId=\"{user_id}\">"))
}

/// Puts a zero-width space into every `<m` so user text cannot become a mention.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '<' && matches!(chars.peek(), Some('m' | 'M')) {
            out.push(ZERO_WIDTH_SPACE);
        }
    }
    out
}

/// Cuts `s` to at most `max` (UTF-16 units), ending with the truncation mark.
fn cut(s: &str, max: usize) -> String {
    if length(s) <= max {
        return s.to_string();
    }
    let budget = max.saturating_sub(length(TRUNCATED));
    let mut out = String::new();
    for c in s.chars() {
        if length(&out) + c.len_utf16() > budget {
            break;
        }
        out.push(c);
    }
    out.push_str(TRUNCATED);
    out
}

/// The message text: mentions, `【title】`, body, URL, confirmation link. A long body is
/// cut so the links (and the confirmation link above all) always fit.
pub fn text(notice: &Notice, mentions: &[Mention]) -> String {
    let mut head = String::new();
    let tags: Vec<String> = mentions
        .iter()
        .enumerate()
        .map(|(i, m)| match mention(&m.account_id) {
            Some(tag) if i < MAX_MENTIONS => tag,
            _ => format!("{}さん", escape(&m.name)),
        })
        .collect();
    if !tags.is_empty() {
        head.push_str(&tags.join(" "));
        head.push('\n');
    }
    if !notice.title.is_empty() {
        head.push_str(&format!("【{}】\n", escape(&notice.title)));
    }
    let mut tail = String::new();
    if let Some(url) = &notice.url {
        tail.push('\n');
        tail.push_str(&escape(url));
    }
    if let Some(confirm) = &notice.confirm_url {
        tail.push_str("\n確認 / Confirm: ");
        tail.push_str(&escape(confirm));
    }
    let body = escape(&notice.body);
    let room = MAX_TEXT_CHARS.saturating_sub(length(&head) + length(&tail));
    let whole = format!("{head}{}{tail}", cut(&body, room));
    let whole = whole.trim_start_matches('\n').to_string();
    // Only absurd titles or mention lists get here; the message must still be accepted.
    cut(&whole, MAX_TEXT_CHARS)
}

/// The JSON body of a text message.
pub fn text_message(text: &str) -> String {
    serde_json::json!({ "content": { "type": "text", "text": text } }).to_string()
}

/// The body to post for `rendered`: a rendered message as is; anything else (a plain text
/// handed over by other code) becomes a text message within the limit.
pub fn message_body(rendered: &str) -> String {
    let is_message = serde_json::from_str::<serde_json::Value>(rendered)
        .is_ok_and(|v| v.get("content").is_some_and(|c| c.is_object()));
    if is_message {
        rendered.to_string()
    } else {
        text_message(&cut(rendered, MAX_TEXT_CHARS))
    }
}

/// What [`crate::DeliveryProvider::render`] returns for LINE WORKS.
pub fn render(notice: &Notice, mentions: &[Mention]) -> String {
    text_message(&text(notice, mentions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(title: &str, body: &str) -> Notice {
        Notice {
            title: title.into(),
            body: body.into(),
            url: Some("https://a.example/1".into()),
            confirm_url: Some("https://renkei.example/c/1".into()),
        }
    }

    fn who(id: &str, name: &str) -> Mention {
        Mention {
            account_id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn message_has_the_text_content_shape() {
        let v: serde_json::Value =
            serde_json::from_str(&render(&notice("給与明細", "届きました"), &[])).unwrap();
        assert_eq!(v["content"]["type"], "text");
        assert_eq!(
            v["content"]["text"],
            "【給与明細】\n届きました\nhttps://a.example/1\n確認 / Confirm: https://renkei.example/c/1"
        );
    }

    #[test]
    fn mentions_use_the_m_tag_and_fall_back_to_names() {
        let t = text(
            &notice("t", "b"),
            &[who("user-1", "山田"), who("bad id\"", "佐藤")],
        );
        assert!(
            t.starts_with("<m userId=\"user-1\"> 佐藤さん\n【t】"),
            "{t}"
        );
        let many: Vec<Mention> = (0..55).map(|i| who(&format!("u{i}"), "名")).collect();
        let t = text(&notice("t", "b"), &many);
        assert_eq!(t.matches("<m userId=").count(), MAX_MENTIONS);
    }

    #[test]
    fn user_text_cannot_mention_anyone() {
        let t = text(&notice("<m userId=\"all\">", "<M userId=\"all\"> hi"), &[]);
        assert!(!t.contains("<m") && !t.contains("<M"), "{t}");
        assert_eq!(escape("a < b, <em> <mark>"), "a < b, <em> <\u{200B}mark>");
    }

    #[test]
    fn long_bodies_are_cut_but_links_survive() {
        let t = text(&notice("t", &"あ".repeat(5000)), &[]);
        assert_eq!(length(&t), MAX_TEXT_CHARS);
        assert!(t.contains(TRUNCATED));
        assert!(
            t.ends_with("確認 / Confirm: https://renkei.example/c/1"),
            "{t}"
        );
        // Characters outside the BMP count twice, so the limit holds for either count.
        let emoji = text(&notice("", &"😀".repeat(1500)), &[]);
        assert!(length(&emoji) <= MAX_TEXT_CHARS);
    }

    #[test]
    fn plain_text_is_wrapped_into_a_message() {
        let rendered = render(&notice("t", "b"), &[]);
        assert_eq!(message_body(&rendered), rendered);
        let wrapped: serde_json::Value = serde_json::from_str(&message_body("hi")).unwrap();
        assert_eq!(wrapped["content"]["text"], "hi");
    }

    #[test]
    fn untitled_notices_start_with_the_body() {
        let n = Notice {
            title: String::new(),
            body: "皆様へ".into(),
            url: None,
            confirm_url: None,
        };
        assert_eq!(text(&n, &[]), "皆様へ");
    }
}
