//! A notice as a Slack message: `{"text": fallback, "blocks": [sections]}` in mrkdwn.
//!
//! Safety of user text (titles, bodies, names, links come from products and people):
//! - `&`, `<`, `>` are escaped, the only escaping Slack has, so no text can form
//!   `<!channel>`, `<@U…>` or `<url|label>`; only renkei writes those.
//! - Section texts are `verbatim`, so Slack does not auto-parse `@here`, `#channel` or
//!   bare URLs in them either. renkei writes links itself instead: the notice's URL, its
//!   confirm link, and each `http(s)://` URL in the body become explicit `<url>` links
//!   (ended at whitespace, `<`, `>`, `"`, `|` or trailing punctuation, so a label or a
//!   second link cannot be smuggled in); a URL too long for one section stays text.
//! - mrkdwn has no escape for `*`, `_`, `~`, `` ` ``. Only the title is wrapped in markup
//!   (`*title*`), so only there does it matter: a `*` in the title is replaced by `∗`
//!   (U+2217), which looks the same but cannot end the bold early, and line breaks become
//!   spaces because bold cannot span lines. Formatting characters in the body are left
//!   alone: at worst they style a few words, they cannot change who is notified.
//!
//! Limits: a section holds at most 3,000 characters, so the body is split over several
//! sections at line breaks; the texts of all blocks together must stay under Slack's
//! ~12,000 (`msg_blocks_too_long`), so renkei keeps them within 10,000 and cuts a longer
//! body with a visible marker, the links still following it (the same cut in `text` and
//! `blocks`; `text` alone may hold 40,000); at most 50 blocks.

use renkei_core::model::{Mention, Notice};
use serde_json::{json, Value};

/// Characters in one section's text (Slack: 3,000).
pub const MAX_SECTION_CHARS: usize = 3_000;
/// Characters in the top-level `text` (Slack: 40,000).
pub const MAX_TEXT_CHARS: usize = 40_000;
/// Blocks in one message (Slack: 50).
pub const MAX_BLOCKS: usize = 50;
/// Characters in all blocks' texts together. Slack refuses more than about 12,000 with
/// `msg_blocks_too_long` and counts some container overhead too (see docs/decisions.md).
pub const MAX_BLOCKS_TEXT_CHARS: usize = 10_000;
/// Mentions take at most this many characters; the rest are dropped with the marker, so a
/// huge list cannot crowd out the body.
const MAX_MENTION_CHARS: usize = 2_900;
/// Appended where text was cut.
pub const TRUNCATED: &str = "…（以下省略 / truncated）";
/// A title longer than this (after escaping) is cut, so the bold line fits one section.
const MAX_TITLE_CHARS: usize = 1_000;
/// A name shown instead of a mention is cut at this many characters.
const MAX_NAME_CHARS: usize = 100;

/// Escapes the three characters Slack gives meaning to.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A Slack member ID (`U…`/`W…`, upper-case letters and digits). Anything else is shown
/// as a name, never written into `<@…>`.
fn is_member_id(id: &str) -> bool {
    id.len() >= 2
        && id.starts_with(['U', 'W'])
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn mention(m: &Mention) -> String {
    if is_member_id(&m.account_id) {
        format!("<@{}>", m.account_id)
    } else {
        format!("@{}", cut(&escape(&m.name), MAX_NAME_CHARS))
    }
}

/// Mentions separated by spaces, in lines that each fit a section; a mention is never
/// split across lines.
fn mention_lines(mentions: &[Mention]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for m in mentions {
        let token = mention(m);
        used += chars(&token) + 1;
        if used > MAX_MENTION_CHARS {
            cur.push(' ');
            cur.push_str(TRUNCATED);
            break;
        }
        if !cur.is_empty() && chars(&cur) + 1 + chars(&token) > MAX_SECTION_CHARS {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&token);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `prefix<url>` for an http(s) URL (`|` would start a label, so it is percent-encoded);
/// anything else, or a link too long for a section, is shown as escaped text.
fn link_line(prefix: &str, url: &str) -> String {
    let url = url.trim();
    let is_web = url.starts_with("https://") || url.starts_with("http://");
    if is_web && !url.chars().any(char::is_whitespace) {
        let line = format!("{prefix}<{}>", escape(&url.replace('|', "%7C")));
        if chars(&line) <= MAX_SECTION_CHARS {
            return line;
        }
    }
    cut(&format!("{prefix}{}", escape(url)), MAX_SECTION_CHARS)
}

/// The title inside `*…*` (see the module docs for why `*` and line breaks change).
fn bold_title(title: &str) -> String {
    let flat: String = title
        .trim()
        .chars()
        .map(|c| match c {
            '*' => '∗',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect();
    format!("*{}*", cut(&escape(&flat), MAX_TITLE_CHARS))
}

/// The byte index of the `max`-th character of `s` (or its end), moved back so that
/// `s[..at]` does not end inside an `&…;` entity or a `<…>` link that starts after 0.
fn boundary(s: &str, max: usize) -> usize {
    let mut at = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
    for (open, close) in [('<', '>'), ('&', ';')] {
        if let Some(start) = s[..at].rfind(open) {
            if start > 0 && !s[start..at].contains(close) {
                at = start;
            }
        }
    }
    at
}

/// `s` cut to `max` characters (marker included) without breaking an entity or a link.
fn cut(s: &str, max: usize) -> String {
    if chars(s) <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(chars(TRUNCATED));
    let mut out = s[..boundary(s, keep)].to_string();
    out.push_str(TRUNCATED);
    out
}

/// Where a URL that starts at the beginning of `s` ends (a byte index).
fn url_end(s: &str) -> usize {
    let end = s
        .find(|c: char| c.is_whitespace() || !c.is_ascii() || matches!(c, '<' | '>' | '"' | '|'))
        .unwrap_or(s.len());
    // Sentence punctuation right after a URL is not part of it.
    s[..end]
        .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"'])
        .len()
}

/// Body text escaped, with its `http(s)://` URLs written as `<url>` links.
fn escape_linking(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("http") {
        let tail = &rest[start..];
        let is_url = tail.starts_with("https://") || tail.starts_with("http://");
        // `xhttp://` is not a URL start; neither is a bare scheme.
        let word_start = rest[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let end = url_end(tail);
        let has_host = end > tail.find("//").map_or(usize::MAX, |i| i + 2);
        if is_url && word_start && has_host {
            out.push_str(&escape(&rest[..start]));
            let url = escape(&tail[..end]);
            if chars(&url) + 2 <= MAX_SECTION_CHARS {
                out.push('<');
                out.push_str(&url);
                out.push('>');
            } else {
                // A `<…>` longer than a section would be split inside it: text instead.
                out.push_str(&url);
            }
            rest = &tail[end..];
        } else {
            out.push_str(&escape(&rest[..start + 4]));
            rest = &rest[start + 4..];
        }
    }
    out.push_str(&escape(rest));
    out
}

/// The body escaped and linked, cut to `budget` characters with the marker when longer.
fn body_within(body: &str, budget: usize) -> String {
    cut(&escape_linking(body.trim_end()), budget)
}

/// Splits escaped text into pieces of at most `max` characters, at line breaks where
/// possible, never inside an entity or a link; blank pieces are dropped.
fn split(escaped: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in escaped.split_inclusive('\n') {
        if chars(&cur) + chars(line) <= max {
            cur.push_str(line);
            continue;
        }
        out.push(std::mem::take(&mut cur));
        if chars(line) <= max {
            cur.push_str(line);
            continue;
        }
        // One line longer than a section: cut between characters, keeping entities and
        // links whole.
        let mut rest = line;
        while chars(rest) > max {
            let at = boundary(rest, max);
            out.push(rest[..at].to_string());
            rest = &rest[at..];
        }
        cur.push_str(rest);
    }
    out.push(cur);
    out.into_iter()
        .map(|p| p.trim_end_matches('\n').to_string())
        .filter(|p| !p.trim().is_empty())
        .collect()
}

/// Joins lines into as few pieces of at most `max` characters as possible.
fn pack(lines: &[String], max: usize) -> Vec<String> {
    split(&lines.join("\n"), max)
}

fn section(text: String) -> Value {
    json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": text, "verbatim": true },
    })
}

/// The JSON payload (`text` and `blocks`) for a notice; `chat.postMessage` adds `channel`.
pub fn render(notice: &Notice, mentions: &[Mention]) -> String {
    render_value(notice, mentions).to_string()
}

pub(crate) fn render_value(notice: &Notice, mentions: &[Mention]) -> Value {
    // Mentions first, then the bold title.
    let mut head = mention_lines(mentions);
    if !notice.title.trim().is_empty() {
        head.push(bold_title(&notice.title));
    }
    let mut links: Vec<String> = Vec::new();
    if let Some(url) = &notice.url {
        links.push(link_line("", url));
    }
    if let Some(confirm) = &notice.confirm_url {
        links.push(link_line("確認 / Confirm: ", confirm));
    }

    // The body gets what is left after the head and links, of both `text`'s budget (with
    // newlines) and the blocks' budget.
    let fixed: usize = head.iter().chain(&links).map(|l| chars(l) + 1).sum();
    let budget = MAX_TEXT_CHARS
        .saturating_sub(fixed + 1)
        .min(MAX_BLOCKS_TEXT_CHARS.saturating_sub(fixed));
    let body = body_within(&notice.body, budget);

    let mut text_parts: Vec<&str> = head.iter().map(String::as_str).collect();
    if !body.trim().is_empty() {
        text_parts.push(&body);
    }
    text_parts.extend(links.iter().map(String::as_str));
    let text = cut(&text_parts.join("\n"), MAX_TEXT_CHARS);
    if text.trim().is_empty() {
        // Slack refuses a message with nothing in it; say so instead of failing.
        return json!({ "text": "(empty notice)" });
    }

    let mut sections = pack(&head, MAX_SECTION_CHARS);
    sections.extend(split(&body, MAX_SECTION_CHARS));
    sections.extend(pack(&links, MAX_SECTION_CHARS));
    if sections.len() > MAX_BLOCKS {
        sections.truncate(MAX_BLOCKS - 1);
        sections.push(TRUNCATED.to_string());
    }
    let blocks: Vec<Value> = sections.into_iter().map(section).collect();
    json!({ "text": text, "blocks": blocks })
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
