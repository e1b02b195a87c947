//! Words for the machine codes a delivery's reason and an attempt's outcome carry. The
//! record's own detail (renkei's or the provider's, in English) is shown beside them.

use crate::console::page::Page;

/// Every code renkei stores as a delivery's reason or an attempt's outcome: routing's
/// skips, the worker's outcomes, the providers' refusals, cancellations (the test below
/// checks each has words).
#[cfg(test)]
pub const KNOWN: &[&str] = &[
    "delivered",
    "provider_unavailable",
    "room_rate_limited",
    "credential_rate_limited",
    "credentials_rejected",
    "destination_refused",
    "retries_exhausted",
    "connection_broken",
    "connection_deleted",
    "connection_switched_off",
    "bulk_send_cancelled",
    "client_deleted",
    "group_deleted",
    "member_deleted",
    "preference_off",
    "no_connection",
    "no_destination",
    "no_group",
    "no_identity",
    "no_members",
    "unknown_client",
    "unknown_group",
    "unknown_member",
    "chatwork_not_a_contact",
    "chatwork_insufficient_scope",
    "direct_not_supported",
    "line_invalid_user_id",
    "line_not_linked",
    "line_works_access_denied",
    "line_works_scope_missing",
    "slack_not_in_channel",
    "teams_invalid_card",
];

/// A code in the page's language when renkei has words for it, else the code itself.
pub fn words(page: &Page, code: &str) -> String {
    page.tr
        .maybe(&format!("log-code-{code}"))
        .unwrap_or_else(|| code.to_string())
}

/// `member:yamada` → "Member yamada"; `tenant` → "The whole office".
pub fn target_label(page: &Page, target: &str) -> String {
    match target.split_once(':') {
        Some((kind @ ("client" | "group" | "member"), id)) => {
            page.tw(&format!("log-target-{kind}"), "id", id)
        }
        _ if target == "tenant" => page.t("log-target-tenant"),
        _ => target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Tr;
    use crate::console::landing::bare_page;
    use crate::pages::Lang;

    #[test]
    fn every_known_code_and_target_has_words_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let page = bare_page(Tr::new(lang), "log-title", "/");
            for code in KNOWN {
                assert_ne!(words(&page, code), *code, "{code} in {lang:?}");
            }
            for target in ["tenant", "client:a", "group:b", "member:c"] {
                assert!(!target_label(&page, target).contains('⟦'), "{target}");
            }
            assert_eq!(words(&page, "something_new"), "something_new");
        }
        let en = bare_page(Tr::new(Lang::En), "log-title", "/");
        assert_eq!(target_label(&en, "member:山田"), "Member 山田");
    }
}
