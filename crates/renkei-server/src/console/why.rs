//! Why a notice went where it went, in the reader's language. Routing stores its reasons as
//! English sentences (the API returns them as they are); each is read back into its template
//! ([`renkei_core::routing::why`]) and said again from the catalogue (`why-<key>`). A sentence
//! that matches no template (an older version's, or a provider's answer) is shown as stored.

use fluent_bundle::{FluentArgs, FluentValue};
use renkei_core::model::Provider;
use renkei_core::routing::why;

use super::i18n::Tr;

/// One stored reason, in `tr`'s language.
pub fn say(tr: Tr, sentence: &str) -> String {
    let Some(parsed) = why::parse(sentence) else {
        return sentence.to_string();
    };
    let mut args = FluentArgs::new();
    for (name, value) in &parsed.values {
        let shown = match *name {
            "provider" => value
                .parse::<Provider>()
                .map_or_else(|_| value.clone(), |p| p.display_name().to_string()),
            "path" => value
                .split(why::PATH_JOINER)
                .collect::<Vec<_>>()
                .join(&tr.get("why-path-joiner")),
            "target" => target(tr, value),
            "kind" => tr
                .maybe(&format!("why-kind-{value}"))
                .unwrap_or_else(|| value.clone()),
            "rest" => several(tr, value),
            _ => value.clone(),
        };
        args.set(name.to_string(), FluentValue::from(shown));
    }
    tr.format_args(&format!("why-{}", parsed.key), &args)
}

/// Every reason of a route, each in `tr`'s language.
pub fn say_all<'a>(tr: Tr, sentences: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    sentences.into_iter().map(|s| say(tr, s)).collect()
}

fn target(tr: Tr, target: &str) -> String {
    match target.split_once(':') {
        Some((kind @ ("client" | "group" | "member"), id)) => {
            tr.with(&format!("log-target-{kind}"), "id", id)
        }
        _ if target == "tenant" => tr.get("log-target-tenant"),
        _ => target.to_string(),
    }
}

/// Reasons joined with "; " (a merged destination's other targets). A reason may itself hold
/// "; ", so pieces are put back together until they read as one.
fn several(tr: Tr, joined: &str) -> String {
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in joined.split("; ") {
        if !current.is_empty() {
            current.push_str("; ");
        }
        current.push_str(piece);
        if why::parse(&current).is_some() {
            out.push(say(tr, &current));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.join(&tr.get("why-list-joiner"))
}

#[cfg(test)]
mod tests {
    use std::fmt::Display;

    use super::*;
    use crate::pages::Lang;

    /// Each template in both languages: every value appears in the words, and none is left
    /// as a key or an unfilled variable.
    #[test]
    fn every_reason_has_words_in_both_languages_using_all_its_values() {
        for t in why::TEMPLATES {
            let names = t.names();
            let sample = |n: &str| match n {
                "conn" => "41".to_string(),
                "provider" => "line_works".to_string(),
                "target" => "member:m-7".to_string(),
                "rest" => "member m-7 owns connection 5".to_string(),
                "kind" => "group".to_string(),
                other => format!("<{other}>"),
            };
            let owned: Vec<(&str, String)> = names.iter().map(|n| (*n, sample(n))).collect();
            let values: Vec<(&str, &dyn Display)> =
                owned.iter().map(|(n, v)| (*n, v as &dyn Display)).collect();
            let sentence = why::text(t.key, &values);
            for lang in [Lang::Ja, Lang::En] {
                let said = say(Tr::new(lang), &sentence);
                assert!(!said.contains('⟦') && !said.contains("{$"), "{said}");
                if lang == Lang::Ja {
                    assert_ne!(said, sentence, "{} reads as stored", t.key);
                }
                for (n, v) in &owned {
                    let expected = match *n {
                        "provider" => "LINE WORKS",
                        "target" => "m-7",
                        "rest" => "#5",
                        "kind" if lang == Lang::Ja => "グループ",
                        _ => v.as_str(),
                    };
                    assert!(
                        said.contains(expected),
                        "{} lacks {n} in {lang:?}: {said}",
                        t.key
                    );
                }
            }
        }
    }

    #[test]
    fn japanese_reads_a_stored_route_and_leaves_unknown_sentences_alone() {
        let ja = Tr::new(Lang::Ja);
        assert_eq!(
            say(
                ja,
                "group 開発一課 → parent 開発部 has chatwork room 200 → via connection 1"
            ),
            "グループ 開発一課 → 親グループ 開発部 の Chatwork ルーム 200 へ、連携 #1 から"
        );
        assert_eq!(
            say(
                ja,
                "also for member:sato: member sato has no slack account ID; set identities.slack.member_id; member sato owns connection 4"
            ),
            "メンバー sato 宛てとしても（メンバー sato の Slack の ID（member_id）が登録されていません。メンバーのページで登録してください、メンバー sato 自身の連携 #4）"
        );
        // renkei's words around a provider's answer are translated; the answer is not.
        assert_eq!(
            say(
                ja,
                "the provider refused this destination (HTTP 403): You don't have permission"
            ),
            "送信先への投稿を断られました（HTTP 403: You don't have permission）"
        );
        let answer = "You don't have permission to access this room";
        assert_eq!(say(ja, answer), answer);
    }
}
