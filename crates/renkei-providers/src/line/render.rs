//! A notice as one LINE text message. LINE text has no markup: the title goes in 【】 on
//! the first line, links on lines of their own (LINE makes bare URLs tappable).

use renkei_core::model::Notice;

/// LINE refuses text messages longer than this, counted in UTF-16 code units (an emoji
/// outside the BMP counts 2), per "Character counting in a text".
pub const MAX_TEXT_UNITS: usize = 5000;

/// Shown where the body was cut.
const CUT_MARK: &str = "…(省略 / truncated)";

/// Title, body, URL and the `確認 / Confirm:` link. Mentions are not rendered: a push goes
/// to one person, who is notified anyway.
pub fn render(notice: &Notice) -> String {
    let assemble = |body: &str| {
        let mut lines: Vec<String> = Vec::new();
        if !notice.title.is_empty() {
            lines.push(format!("【{}】", notice.title));
        }
        if !body.is_empty() {
            lines.push(body.to_string());
        }
        if let Some(url) = &notice.url {
            lines.push(url.clone());
        }
        if let Some(confirm) = &notice.confirm_url {
            lines.push(format!("確認 / Confirm: {confirm}"));
        }
        lines.join("\n")
    };
    let full = assemble(&notice.body);
    if units(&full) <= MAX_TEXT_UNITS {
        return full;
    }
    // Cut the body, never the links: a cut confirmation link would not work.
    let fixed = units(&assemble("")) + 1 + units(CUT_MARK);
    let budget = MAX_TEXT_UNITS.saturating_sub(fixed);
    let body = format!("{}{CUT_MARK}", prefix_within(&notice.body, budget));
    truncate_text(&assemble(&body))
}

/// Cuts any text to LINE's limit (a last guard for text not made by [`render`]).
pub fn truncate_text(text: &str) -> String {
    if units(text) <= MAX_TEXT_UNITS {
        return text.to_string();
    }
    let keep = prefix_within(text, MAX_TEXT_UNITS - units("…"));
    format!("{keep}…")
}

/// Length as LINE counts it.
pub fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The longest prefix of whole characters within `budget` UTF-16 units.
fn prefix_within(text: &str, budget: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.len_utf16();
        if used > budget {
            return &text[..i];
        }
    }
    text
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

    #[test]
    fn title_body_link_and_confirmation() {
        let mut n = notice("来客", "山田様がお見えです");
        n.url = Some("https://app.example/v/1".into());
        n.confirm_url = Some("https://renkei.example/c/abc".into());
        assert_eq!(
            render(&n),
            "【来客】\n山田様がお見えです\nhttps://app.example/v/1\n確認 / Confirm: https://renkei.example/c/abc"
        );
    }

    #[test]
    fn untitled_is_plain_body() {
        assert_eq!(render(&notice("", "皆様へ")), "皆様へ");
        let mut n = notice("", "");
        n.url = Some("https://a.example".into());
        assert_eq!(render(&n), "https://a.example");
    }

    #[test]
    fn long_bodies_are_cut_visibly_and_keep_the_links() {
        let mut n = notice("t", &"あ".repeat(6000));
        n.confirm_url = Some("https://renkei.example/c/abc".into());
        let out = render(&n);
        assert!(units(&out) <= MAX_TEXT_UNITS, "{}", units(&out));
        assert!(out.contains(CUT_MARK));
        assert!(out.ends_with("確認 / Confirm: https://renkei.example/c/abc"));
    }

    #[test]
    fn emoji_count_as_two_units() {
        let out = render(&notice("", &"😀".repeat(3000)));
        assert!(units(&out) <= MAX_TEXT_UNITS);
        assert!(
            out.chars().count() < 2600,
            "surrogate pairs were counted as one"
        );
        assert!(!out.contains('\u{FFFD}'), "a pair was split");
    }
}
