//! Chatwork notation: `[To:123] name`, `[info][title]T[/title]body[/info]`.
//!
//! Chatwork has no escape syntax, so user text is defused by putting a zero-width space
//! after every `[` that could open a tag (a letter or `/` follows). The text reads the same
//! to a person, but `[toall]` inside a file name can no longer become notation.

use crate::model::{Mention, Notice};

/// Chatwork refuses message bodies longer than this (characters).
pub const MAX_BODY_CHARS: usize = 65_535;
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Escapes user text so it cannot form Chatwork notation.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' {
            if let Some(&next) = chars.peek() {
                if next.is_ascii_alphabetic() || next == '/' || next == ':' {
                    out.push(ZERO_WIDTH_SPACE);
                }
            }
        }
    }
    out
}

/// The message body posted to `POST /rooms/{id}/messages`. A notice without a title (a
/// hand-written bulk message) is posted as plain text.
pub fn render(notice: &Notice, mentions: &[Mention]) -> String {
    let mut out = String::new();
    for m in mentions {
        out.push_str(&format!("[To:{}] {}さん\n", m.account_id, escape(&m.name)));
    }
    let mut text = escape(&notice.body);
    for (label, link) in [("", &notice.url), ("確認 / Confirm: ", &notice.confirm_url)] {
        let Some(link) = link else { continue };
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(label);
        text.push_str(&escape(link));
    }
    if notice.title.is_empty() {
        out.push_str(&text);
        return truncate(out, "…");
    }
    out.push_str("[info][title]");
    out.push_str(&escape(&notice.title));
    out.push_str("[/title]");
    out.push_str(&text);
    out.push_str("[/info]");
    truncate(out, "…[/info]")
}

/// Cuts to Chatwork's limit, ending with `closing` (which keeps the notation well-formed).
fn truncate(s: String, closing: &str) -> String {
    if s.chars().count() <= MAX_BODY_CHARS {
        return s;
    }
    let keep = MAX_BODY_CHARS - closing.chars().count();
    let mut t: String = s.chars().take(keep).collect();
    t.push_str(closing);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(title: &str, body: &str, url: Option<&str>) -> Notice {
        Notice {
            title: title.into(),
            body: body.into(),
            url: url.map(Into::into),
            confirm_url: None,
        }
    }

    #[test]
    fn info_block_with_title_body_and_link() {
        let out = render(
            &notice(
                "ファイル受信",
                "給与明細.pdf が届きました",
                Some("https://drive.example/f/1"),
            ),
            &[],
        );
        assert_eq!(
            out,
            "[info][title]ファイル受信[/title]給与明細.pdf が届きました\nhttps://drive.example/f/1[/info]"
        );
    }

    #[test]
    fn mentions_come_first() {
        let m = Mention {
            account_id: "123".into(),
            name: "山田".into(),
        };
        let out = render(&notice("t", "b", None), &[m]);
        assert!(out.starts_with("[To:123] 山田さん\n[info]"), "{out}");
    }

    #[test]
    fn user_text_cannot_become_notation() {
        let out = render(
            &notice(
                "[toall] 至急",
                "file [To:1] [info]x[/info] [/title].pdf",
                None,
            ),
            &[],
        );
        for tag in ["[toall]", "[To:1]", "[info]x", "[/info] ", "[/title].pdf"] {
            assert!(!out.contains(tag), "{tag} survived in {out}");
        }
        // The notation renkei itself writes is intact.
        assert!(out.starts_with("[info][title]"));
        assert!(out.ends_with("[/info]"));
        // A person still reads the same characters.
        assert_eq!(
            out.replace('\u{200B}', ""),
            "[info][title][toall] 至急[/title]file [To:1] [info]x[/info] [/title].pdf[/info]"
        );
    }

    #[test]
    fn confirmation_link_follows_the_url() {
        let mut n = notice("t", "b", Some("https://a.example/1"));
        n.confirm_url = Some("https://renkei.example/c/1.2.x".into());
        assert_eq!(render(&n, &[]), "[info][title]t[/title]b\nhttps://a.example/1\n確認 / Confirm: https://renkei.example/c/1.2.x[/info]");
    }

    #[test]
    fn a_link_equal_to_the_confirmation_link_is_not_labelled_as_one() {
        // Found by props_render_chatwork: the label was chosen by comparing the texts.
        let mut n = notice("t", "b", Some("https://a.example/1"));
        n.confirm_url = n.url.clone();
        assert_eq!(
            render(&n, &[]),
            "[info][title]t[/title]b\nhttps://a.example/1\n確認 / Confirm: https://a.example/1[/info]"
        );
    }

    #[test]
    fn untitled_notices_are_plain_text() {
        assert_eq!(
            render(&notice("", "皆様へ [toall]", None), &[]),
            "皆様へ [\u{200B}toall]"
        );
    }

    #[test]
    fn brackets_that_are_not_tags_stay_untouched() {
        assert_eq!(escape("[1] a[ ] [[ 2]"), "[1] a[ ] [[ 2]");
    }

    #[test]
    fn long_bodies_are_cut_within_the_limit() {
        let out = render(&notice("t", &"あ".repeat(70_000), None), &[]);
        assert_eq!(out.chars().count(), MAX_BODY_CHARS);
        assert!(out.ends_with("…[/info]"));
    }
}
