use super::*;
use serde_json::json;

fn notice(title: &str, body: &str, url: Option<&str>) -> Notice {
    Notice {
        title: title.into(),
        body: body.into(),
        url: url.map(Into::into),
        confirm_url: None,
    }
}

fn mention(id: &str, name: &str) -> Mention {
    Mention {
        account_id: id.into(),
        name: name.into(),
    }
}

/// The mrkdwn texts of the sections, in order.
fn sections(v: &Value) -> Vec<String> {
    v["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn title_body_links_in_sections_with_a_plain_fallback() {
    let mut n = notice(
        "ファイル受信",
        "給与明細.pdf が届きました",
        Some("https://drive.example/f/1"),
    );
    n.confirm_url = Some("https://renkei.example/c/1.2.x".into());
    let out: Value = serde_json::from_str(&render(&n, &[])).unwrap();
    assert_eq!(
        out["text"],
        "*ファイル受信*\n給与明細.pdf が届きました\n<https://drive.example/f/1>\n確認 / Confirm: <https://renkei.example/c/1.2.x>"
    );
    assert_eq!(
        out["blocks"][0],
        json!({"type": "section", "text": {"type": "mrkdwn", "text": "*ファイル受信*", "verbatim": true}})
    );
    assert_eq!(
        sections(&out)[1..],
        [
            "給与明細.pdf が届きました",
            "<https://drive.example/f/1>\n確認 / Confirm: <https://renkei.example/c/1.2.x>"
        ]
    );
}

#[test]
fn user_text_cannot_mention_or_link() {
    let n = notice(
        "<!channel> 至急 & <@U0AAAAAAA>",
        "see <https://evil.example|your bank> <!here>",
        None,
    );
    let out = render_value(&n, &[]);
    let text = out["text"].as_str().unwrap();
    assert_eq!(
        text,
        "*&lt;!channel&gt; 至急 &amp; &lt;@U0AAAAAAA&gt;*\nsee &lt;<https://evil.example>|your bank&gt; &lt;!here&gt;"
    );
    // The only markup left is the plain link renkei wrote, without a label.
    let all = sections(&out).join("\n");
    assert_eq!(all.matches('<').count(), 1, "{all}");
    assert!(all.contains("<https://evil.example>|"), "{all}");
}

#[test]
fn mentions_come_first_and_only_real_member_ids_become_mentions() {
    let ms = [
        mention("U0123ABCD", "山田"),
        mention("W0123ABCD", "Sato"),
        mention("!channel", "<!everyone> & co"),
    ];
    let out = render_value(&notice("t", "b", None), &ms);
    assert_eq!(
        sections(&out)[0],
        "<@U0123ABCD> <@W0123ABCD> @&lt;!everyone&gt; &amp; co\n*t*"
    );
    assert!(out["text"]
        .as_str()
        .unwrap()
        .starts_with("<@U0123ABCD> <@W0123ABCD> @"));
}

#[test]
fn a_title_cannot_break_its_own_bold() {
    let out = render_value(&notice("*重要* お知らせ\n2行目", "", None), &[]);
    assert_eq!(sections(&out), ["*∗重要∗ お知らせ 2行目*"]);
}

#[test]
fn links_are_explicit_and_only_for_web_urls() {
    let out = render_value(
        &notice("", "", Some("https://a.example/x?a=1&b=<2>|3")),
        &[],
    );
    assert_eq!(out["text"], "<https://a.example/x?a=1&amp;b=&lt;2&gt;%7C3>");
    let out = render_value(&notice("", "", Some("javascript:alert(1)")), &[]);
    assert_eq!(out["text"], "javascript:alert(1)");
}

#[test]
fn untitled_notices_are_just_the_body() {
    let out = render_value(&notice("", "皆様へ", None), &[]);
    assert_eq!(out["text"], "皆様へ");
    assert_eq!(sections(&out), ["皆様へ"]);
    assert_eq!(
        render_value(&notice(" ", "", None), &[])["text"],
        "(empty notice)"
    );
}

#[test]
fn long_bodies_split_at_lines_and_stay_within_slack_limits() {
    let line = format!("{}\n", "あ".repeat(999));
    let body = line.repeat(5); // 5,000 characters in lines of 1,000
    let out = render_value(&notice("t", &body, None), &[]);
    let s = sections(&out);
    assert_eq!(s.len(), 3, "title + two body sections");
    assert_eq!(
        chars(&s[1]),
        3 * 1000 - 1,
        "three whole lines fit one section"
    );
    assert!(s.iter().all(|x| chars(x) <= MAX_SECTION_CHARS));

    let huge = "x".repeat(100_000);
    let out = render_value(&notice("t", &huge, Some("https://a.example")), &[]);
    let text = out["text"].as_str().unwrap();
    assert!(chars(text) <= MAX_TEXT_CHARS);
    assert!(
        text.contains(TRUNCATED) && text.ends_with("<https://a.example>"),
        "the link survives the cut"
    );
    let s = sections(&out);
    assert!(s.len() <= MAX_BLOCKS && s.iter().all(|x| chars(x) <= MAX_SECTION_CHARS));
    assert!(s.last().unwrap().contains("https://a.example"));
}

#[test]
fn cuts_never_split_an_entity() {
    let body = "&".repeat(2_000); // 10,000 characters once escaped
    let out = render_value(&notice("", &body, None), &[]);
    for s in sections(&out) {
        assert!(chars(&s) <= MAX_SECTION_CHARS);
        assert_eq!(s.replace("&amp;", ""), "", "a broken entity in {s}");
    }
    assert_eq!(
        cut(&"&amp;".repeat(10), 7 + chars(TRUNCATED)),
        format!("&amp;{TRUNCATED}")
    );
}

#[test]
fn urls_in_the_body_become_links_that_cannot_carry_a_label() {
    let body = "詳細: https://a.example/x?a=1&b=2. 他 http://b.example/y|偽 <https://c.example>\nxhttps://no.example https:// end";
    let out = render_value(&notice("", body, None), &[]);
    assert_eq!(
        out["text"],
        "詳細: <https://a.example/x?a=1&amp;b=2>. 他 <http://b.example/y>|偽 &lt;<https://c.example>&gt;\nxhttps://no.example https:// end"
    );
}

#[test]
fn cuts_never_split_a_link() {
    let url = format!("https://a.example/{}", "p".repeat(100));
    let body = format!("{} {url}", "x".repeat(2_950));
    let s = sections(&render_value(&notice("", &body, None), &[]));
    assert_eq!(s.len(), 2);
    assert_eq!(
        s[1],
        format!("<{url}>"),
        "the link moved whole to the next section"
    );
    assert_eq!(boundary("ab<cd", 4), 2);
    assert_eq!(
        boundary("<abc", 2),
        2,
        "a link at the very start is cut rather than looping"
    );
}

/// Characters of all section texts together: what Slack's `msg_blocks_too_long` counts.
fn blocks_text_chars(v: &Value) -> usize {
    sections(v).iter().map(|s| chars(s)).sum()
}

#[test]
fn a_long_body_arrives_split_and_capped_with_its_link_last() {
    let body = format!("{}\n", "本文".repeat(499)).repeat(20); // 20,000 characters
    let mut n = notice("長い通知", &body, Some("https://a.example/long"));
    n.confirm_url = Some("https://renkei.example/c/9".into());
    let out = render_value(&n, &[]);
    let s = sections(&out);
    assert!(s.len() > 3, "the body spans several sections: {}", s.len());
    assert!(s.iter().all(|x| chars(x) <= MAX_SECTION_CHARS));
    assert!(
        blocks_text_chars(&out) <= MAX_BLOCKS_TEXT_CHARS,
        "{} characters in blocks",
        blocks_text_chars(&out)
    );
    let all = s.join("\n");
    assert!(all.contains(TRUNCATED), "the cut is visible");
    assert!(
        s.last()
            .unwrap()
            .ends_with("確認 / Confirm: <https://renkei.example/c/9>")
            && s.last().unwrap().contains("<https://a.example/long>"),
        "the links follow the cut: {}",
        s.last().unwrap()
    );
    assert!(out["text"].as_str().unwrap().contains(TRUNCATED));
}

#[test]
fn a_body_within_the_cap_is_not_cut() {
    let body = "x".repeat(MAX_BLOCKS_TEXT_CHARS - 100);
    let out = render_value(&notice("t", &body, None), &[]);
    assert!(!sections(&out).join("").contains(TRUNCATED));
    assert_eq!(blocks_text_chars(&out), MAX_BLOCKS_TEXT_CHARS - 100 + 3);
}

#[test]
fn a_huge_mention_list_cannot_crowd_out_the_cap() {
    let ms: Vec<Mention> = (0..2_000)
        .map(|i| mention(&format!("U{i:08}"), "x"))
        .collect();
    let out = render_value(&notice("t", &"y".repeat(20_000), None), &ms);
    let s = sections(&out);
    assert!(s[0].starts_with("<@U00000000> <@U00000001>"));
    assert!(s[0].contains(TRUNCATED));
    assert!(s.iter().all(|x| chars(x) <= MAX_SECTION_CHARS));
    assert!(blocks_text_chars(&out) <= MAX_BLOCKS_TEXT_CHARS);
    assert!(s.len() > 2, "the body still arrives");
}

#[test]
fn a_url_longer_than_a_section_stays_text() {
    // Found by props_escaping: a 3,000+ character URL was split inside its `<…>`, leaving
    // an unclosed `<` at the end of one section and a stray `>` in the next.
    let url = format!("https://a.example/{}", "x)[y](".repeat(600));
    let out = render_value(&notice("", &format!("see {url} end"), None), &[]);
    let s = sections(&out);
    assert!(s.iter().all(|x| !x.contains(['<', '>'])), "{s:?}");
    assert!(s.iter().all(|x| chars(x) <= MAX_SECTION_CHARS));
    assert_eq!(s.concat(), format!("see {url} end"));
    // A URL that fits stays a link.
    let out = render_value(&notice("", "see https://a.example/ok end", None), &[]);
    assert_eq!(sections(&out), ["see <https://a.example/ok> end"]);
}
