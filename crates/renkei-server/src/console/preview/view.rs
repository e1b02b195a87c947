//! The API's preview answer, shaped for the page: destinations first, then what would be
//! skipped, in the page's language where renkei has the words.

use renkei_store::directory::EventType;
use serde_json::Value;

use crate::api::preview::{Preview, PreviewDelivery};
use crate::console::page::Page;

/// An event type for the datalist: its key, with its name as the label.
pub struct TypeOption {
    pub key: String,
    pub name: String,
}

impl TypeOption {
    pub fn of(t: &EventType) -> TypeOption {
        TypeOption {
            key: t.key.clone(),
            name: t.name.clone(),
        }
    }
}

/// One delivery the event would make, or one it would not.
pub struct Destination {
    /// Whom it is for: "the office", "group 総務", ...
    pub target: String,
    pub tool: String,
    pub connection_id: Option<i64>,
    /// "Room 123" or "Direct (account 11)".
    pub place: String,
    pub mentions: Vec<String>,
    /// How routing decided, step by step (renkei's own record, in English).
    pub route: Vec<String>,
    pub warnings: Vec<String>,
    /// Why nothing would be sent (skipped only).
    pub skip_reason: String,
    /// The message as the tool would get it: text, or the JSON payload pretty-printed.
    pub rendered: Option<String>,
    pub rendered_is_json: bool,
}

pub struct Outcome {
    pub sends: Vec<Destination>,
    pub skips: Vec<Destination>,
    pub link_expires_at: Option<i64>,
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn of(page: &Page, p: Preview) -> Outcome {
        let (sends, skips): (Vec<_>, Vec<_>) = p
            .deliveries
            .into_iter()
            .map(|d| destination(page, d))
            .partition(|(sends, _)| *sends);
        Outcome {
            sends: sends.into_iter().map(|(_, d)| d).collect(),
            skips: skips.into_iter().map(|(_, d)| d).collect(),
            link_expires_at: p.confirmation_link_expires_at,
            notes: p.notes,
        }
    }
}

/// `member:yamada` → "Member yamada"; `tenant` → "The office".
pub fn target_label(page: &Page, target: &str) -> String {
    match target.split_once(':') {
        Some((kind @ ("client" | "group" | "member"), id)) => {
            page.tw(&format!("preview-target-{kind}"), "id", id)
        }
        _ if target == "tenant" => page.t("preview-target-tenant"),
        _ => target.to_string(),
    }
}

/// Why a path was skipped, in words when renkei has them, else its code.
pub fn skip_reason(page: &Page, code: &str) -> String {
    page.tr
        .maybe(&format!("preview-skip-{code}"))
        .unwrap_or_else(|| code.to_string())
}

fn place(page: &Page, destination: &Option<Value>) -> String {
    let Some(d) = destination else {
        return String::new();
    };
    let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
    match d["kind"].as_str() {
        Some("direct") => page.tw("preview-dest-direct", "account", text("account")),
        _ => page.tw("preview-dest-room", "room", text("room")),
    }
}

fn destination(page: &Page, d: PreviewDelivery) -> (bool, Destination) {
    let sends = d.status == "would_send";
    let mentions = d
        .mentions
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    format!(
                        "{} ({})",
                        m["name"].as_str().unwrap_or_default(),
                        m["account_id"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (rendered, rendered_is_json) = match &d.rendered {
        Some(r) if r.format == "json" => (
            Some(serde_json::to_string_pretty(&r.message).unwrap_or_default()),
            true,
        ),
        Some(r) => (r.message.as_str().map(String::from), false),
        None => (None, false),
    };
    let tool = d
        .provider
        .as_deref()
        .and_then(|p| p.parse::<renkei_core::model::Provider>().ok())
        .map_or_else(|| "-".to_string(), |p| p.display_name().to_string());
    (
        sends,
        Destination {
            target: target_label(page, &d.target),
            tool,
            connection_id: d.connection_id,
            place: place(page, &d.destination),
            mentions,
            route: crate::console::why::say_all(page.tr, &d.route),
            warnings: crate::console::why::say_all(page.tr, &d.warnings),
            skip_reason: d
                .reason_code
                .map(|c| skip_reason(page, c))
                .unwrap_or_default(),
            rendered,
            rendered_is_json,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Tr;
    use crate::console::landing::bare_page;
    use crate::pages::Lang;

    /// Every code routing skips with has words in both languages.
    #[test]
    fn skip_codes_and_targets_have_words() {
        for lang in [Lang::Ja, Lang::En] {
            let page = bare_page(Tr::new(lang), "preview-title", "/");
            for code in [
                "no_connection",
                "no_destination",
                "no_group",
                "no_identity",
                "no_members",
                "unknown_client",
                "unknown_group",
                "unknown_member",
                "preference_off",
                "connection_switched_off",
            ] {
                assert_ne!(skip_reason(&page, code), code, "{code} in {lang:?}");
            }
            for target in ["tenant", "client:a", "group:b", "member:c"] {
                assert!(!target_label(&page, target).contains('⟦'), "{target}");
            }
        }
        let page = bare_page(Tr::new(Lang::En), "preview-title", "/");
        assert_eq!(target_label(&page, "group:開発部"), "Group 開発部");
    }
}
