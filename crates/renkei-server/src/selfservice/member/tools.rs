//! The member's tools: one card per tool the tenant offers, with the member's own things as
//! API.md names them (a personal token or webhook = a member-owned connection; an account
//! ID = an identity) and the steps the seed manuals give to find them. The forms that link,
//! change and unlink them are in [`super::forms`].

use renkei_core::model::{ConnectionKind, Provider};

use super::tests::TestView;
use super::Connections;
use crate::console::page::Page;
use crate::selfservice::session::MemberSession;
use crate::AppState;

/// What a member can set for one tool on this page.
pub struct Spec {
    pub provider: Provider,
    /// In catalogue keys (`ss-<slug>-...`).
    pub slug: &'static str,
    /// The credential of a connection the member owns (`api_token`, `webhook_url`).
    pub secret: Option<&'static str>,
    /// A room for that connection (Chatwork: post into this room instead of My Chat).
    pub room: bool,
    /// The member's account on the tool (to be mentioned, or messaged by the tenant's bot).
    pub identity: bool,
    /// Shown only when the tenant has a connection of this tool (a bot to message them).
    pub needs_tenant: bool,
    /// How many "where do I find this" steps the catalogue has (`ss-<slug>-step-N`).
    pub steps: u8,
}

pub const SPECS: [Spec; 6] = [
    Spec {
        provider: Provider::Chatwork,
        slug: "chatwork",
        secret: Some("api_token"),
        room: true,
        identity: true,
        needs_tenant: false,
        steps: 3,
    },
    Spec {
        provider: Provider::Slack,
        slug: "slack",
        secret: Some("webhook_url"),
        room: false,
        identity: true,
        needs_tenant: false,
        steps: 2,
    },
    Spec {
        provider: Provider::Teams,
        slug: "teams",
        secret: Some("webhook_url"),
        room: false,
        identity: false,
        needs_tenant: false,
        steps: 2,
    },
    Spec {
        provider: Provider::GoogleChat,
        slug: "google-chat",
        secret: Some("webhook_url"),
        room: false,
        identity: false,
        needs_tenant: false,
        steps: 3,
    },
    Spec {
        provider: Provider::LineWorks,
        slug: "line-works",
        secret: None,
        room: false,
        identity: true,
        needs_tenant: true,
        steps: 1,
    },
    Spec {
        provider: Provider::Line,
        slug: "line",
        secret: None,
        room: false,
        identity: false,
        needs_tenant: true,
        steps: 2,
    },
];

pub fn spec_of(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.provider.as_str() == key)
}

/// What the member typed into a form that failed (never the secret).
pub struct Typed {
    pub provider: Provider,
    pub room: Option<String>,
    pub identity: Option<String>,
}

/// The member's own connection of a tool, as the card shows it.
pub struct OwnView {
    pub broken: bool,
    pub status_reason: Option<String>,
    pub account: Option<String>,
    /// Where it posts, in words.
    pub place: String,
    /// The last 4 characters of the token or webhook URL.
    pub hint: Option<String>,
    pub enabled: bool,
}

/// LINE: linked or not, the login link, and the official account's friend link and QR code.
pub struct LineView {
    pub linked: bool,
    pub login_href: String,
    pub friend_url: Option<String>,
    pub qr_svg: String,
}

pub struct ToolCard {
    pub key: &'static str,
    pub name: &'static str,
    pub intro: String,
    pub steps: Vec<String>,
    pub linked: bool,
    pub own: Option<OwnView>,
    pub secret_label: Option<String>,
    pub secret_hint: String,
    /// The room field's value, when the tool has one.
    pub room: Option<String>,
    /// The account ID field's value, when the tool has one.
    pub identity: Option<String>,
    pub identity_label: String,
    pub identity_hint: String,
    pub identity_stored: bool,
    /// Nothing to connect, only an account ID to save (LINE WORKS).
    pub identity_only: bool,
    /// The form is shown unfolded (it just failed, and says why).
    pub open: bool,
    /// Why there is no account field (Teams).
    pub note: Option<String>,
    /// The seed's advice for a badge (Chatwork: a notification-only account).
    pub advice: Vec<String>,
    /// A mention that will show no badge, as soon as it applies.
    pub warning: Option<String>,
    pub can_test: bool,
    pub test: Option<TestView>,
    pub line: Option<LineView>,
    pub line_error: Option<String>,
}

pub(super) fn offered(spec: &Spec, conns: &Connections) -> bool {
    !spec.needs_tenant || conns.tenant_has(spec.provider)
}

/// Where a connection posts, in the page's words.
fn place(page: &Page, c: &renkei_store::connections::Connection) -> String {
    match (&c.room, c.kind) {
        (Some(room), _) => page.tw("ss-place-room", "room", room),
        (None, ConnectionKind::Webhook) => page.t("ss-place-webhook"),
        (None, _) if c.provider == Provider::Chatwork => page.t("ss-place-my-chat"),
        (None, _) => page.t("ss-place-default"),
    }
}

/// The cards of every tool offered, in the order of [`SPECS`].
pub async fn cards(
    state: &AppState,
    me: &MemberSession,
    page: &Page,
    conns: &Connections,
    typed: Option<&Typed>,
    test: Option<TestView>,
    line_error: Option<&str>,
) -> Result<Vec<ToolCard>, renkei_store::StoreError> {
    let mut cards = Vec::new();
    let mut test = test;
    for spec in SPECS.iter().filter(|s| offered(s, conns)) {
        let p = spec.provider;
        let slug = spec.slug;
        let own = conns.own_of(p);
        let stored = me.member.identities.get(&p).cloned();
        let typed = typed.filter(|t| t.provider == p);
        let identity_value = typed
            .and_then(|t| t.identity.clone())
            .or_else(|| stored.clone())
            .unwrap_or_default();
        let room_value = typed
            .and_then(|t| t.room.clone())
            .or_else(|| own.and_then(|c| c.room.clone()))
            .unwrap_or_default();
        let bot = conns
            .tenant
            .iter()
            .any(|c| c.provider == p && c.kind.can_message_directly() && c.enabled);
        let can_test =
            own.is_some_and(|c| c.enabled && c.status == "connected") || (bot && stored.is_some());
        let warning = (p == Provider::Chatwork)
            .then(|| self_mention(page, conns, stored.as_deref()))
            .flatten();
        let line = if p == Provider::Line {
            Some(line_view(state, me, stored.is_some()).await?)
        } else {
            None
        };
        cards.push(ToolCard {
            key: p.as_str(),
            name: p.display_name(),
            intro: page.t(&format!("ss-{slug}-intro")),
            steps: (1..=spec.steps)
                .map(|n| page.t(&format!("ss-{slug}-step-{n}")))
                .collect(),
            // An account ID counts where this page uses one (Teams and Google Chat
            // identities, set by the administrator, are not the member's link here).
            linked: own.is_some() || (stored.is_some() && (spec.identity || p == Provider::Line)),
            identity_only: spec.secret.is_none(),
            open: typed.is_some(),
            own: own.map(|c| OwnView {
                broken: c.status != "connected",
                status_reason: c.status_reason.clone(),
                account: c.account_name.clone().or_else(|| c.account_id.clone()),
                place: place(page, c),
                hint: c.secret_hint.clone(),
                enabled: c.enabled,
            }),
            secret_label: spec
                .secret
                .map(|_| page.t(&format!("ss-{slug}-secret-label"))),
            secret_hint: if spec.secret.is_some() {
                page.t(&format!("ss-{slug}-secret-hint"))
            } else {
                String::new()
            },
            room: spec.room.then_some(room_value),
            identity: spec.identity.then_some(identity_value),
            identity_label: if spec.identity {
                page.t(&format!("ss-{slug}-identity-label"))
            } else {
                String::new()
            },
            identity_hint: if spec.identity {
                page.t(&format!("ss-{slug}-identity-hint"))
            } else {
                String::new()
            },
            identity_stored: stored.is_some(),
            note: (p == Provider::Teams).then(|| page.t("ss-teams-no-mention")),
            advice: if p == Provider::Chatwork {
                (1..=4)
                    .map(|n| page.t(&format!("ss-chatwork-advice-{n}")))
                    .collect()
            } else {
                vec![]
            },
            warning,
            can_test,
            test: test.take_if(|t| t.provider == p),
            line,
            line_error: line_error.filter(|_| p == Provider::Line).map(|code| {
                page.tr
                    .maybe(&format!("ss-line-error-{code}"))
                    .unwrap_or_else(|| page.t("ss-line-error"))
            }),
        });
    }
    Ok(cards)
}

/// Chatwork shows no badge for a mention of yourself: warn as soon as the member's account
/// is the one their own token, or the tenant's, posts as (Save Point).
fn self_mention(page: &Page, conns: &Connections, account: Option<&str>) -> Option<String> {
    let account = account?;
    let same = conns
        .own
        .iter()
        .chain(conns.tenant.iter())
        .any(|c| c.provider == Provider::Chatwork && c.account_id.as_deref() == Some(account));
    same.then(|| page.tw("ss-chatwork-self-mention", "account", account))
}

async fn line_view(
    state: &AppState,
    me: &MemberSession,
    linked: bool,
) -> Result<LineView, renkei_store::StoreError> {
    let tenant = me.ss.tenant.id;
    let basic = crate::flows::line_link::tenant_line(state, tenant)
        .await
        .ok()
        .flatten()
        .and_then(|(_, c)| c["basic_id"].as_str().map(str::to_string));
    let friend_url = basic.map(|b| renkei_providers::line::friend_url(&b));
    Ok(LineView {
        linked,
        login_href: crate::flows::line_link::start_href(state, tenant, me.member.id, true),
        qr_svg: friend_url
            .as_deref()
            .map(crate::flows::line_link::qr_svg)
            .unwrap_or_default(),
        friend_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::{keys, EN_FILES, JA_FILES};

    /// The keys the cards build at run time exist in both catalogues.
    #[test]
    fn every_card_key_exists() {
        let mut wanted = vec![];
        for s in &SPECS {
            let slug = s.slug;
            wanted.push(format!("ss-{slug}-intro"));
            for n in 1..=s.steps {
                wanted.push(format!("ss-{slug}-step-{n}"));
            }
            if s.secret.is_some() {
                wanted.push(format!("ss-{slug}-secret-label"));
                wanted.push(format!("ss-{slug}-secret-hint"));
                wanted.push(format!("ss-{slug}-secret-missing"));
            }
            if s.identity {
                for k in ["label", "hint", "invalid"] {
                    wanted.push(format!("ss-{slug}-identity-{k}"));
                }
            }
        }
        for n in 1..=4 {
            wanted.push(format!("ss-chatwork-advice-{n}"));
        }
        for files in [&JA_FILES[..], &EN_FILES[..]] {
            let known = keys(files);
            let missing: Vec<_> = wanted.iter().filter(|k| !known.contains(*k)).collect();
            assert!(missing.is_empty(), "missing: {missing:?}");
        }
    }
}
