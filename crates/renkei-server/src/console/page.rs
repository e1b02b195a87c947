//! What every page template shares: language, the console's navigation, the CSRF field,
//! the error summary, the flash message, and times in the tenant's time zone.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::TimeZone;
use chrono_tz::Tz;

use super::i18n::Tr;
use crate::pages::Lang;

/// The console's sections, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Connections,
    Clients,
    Groups,
    Members,
    EventTypes,
    BulkSend,
    Log,
    Preview,
    Settings,
    Audit,
    /// A page outside the console (sign-in, member and client pages).
    None,
}

impl Section {
    const ALL: [(Section, &'static str, &'static str); 11] = [
        (Section::Home, "/console", "nav-home"),
        (
            Section::Connections,
            "/console/connections",
            "nav-connections",
        ),
        (Section::Clients, "/console/clients", "nav-clients"),
        (Section::Groups, "/console/groups", "nav-groups"),
        (Section::Members, "/console/members", "nav-members"),
        (
            Section::EventTypes,
            "/console/event-types",
            "nav-event-types",
        ),
        (
            Section::BulkSend,
            "/console/bulk-sends/new",
            "nav-bulk-send",
        ),
        (Section::Log, "/console/events", "nav-log"),
        (Section::Preview, "/console/preview", "nav-preview"),
        (Section::Settings, "/console/settings", "nav-settings"),
        (Section::Audit, "/console/audit", "nav-audit"),
    ];
}

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// A problem with one form field: shown next to the field and in the summary at the top.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The field's `id` (the summary links to it).
    pub field: String,
    pub message: String,
}

/// The parts of a page every template reads as `page`.
#[derive(Clone)]
pub struct Page {
    pub tr: Tr,
    pub section: Section,
    pub title: String,
    pub tenant_name: String,
    pub csrf: String,
    /// This page's path and query, for the language switch to come back to.
    pub here: String,
    pub flash: Option<String>,
    pub errors: Vec<FieldError>,
    pub tz: Tz,
    /// The console's header and navigation; off for the compact self-service pages.
    pub chrome: bool,
}

impl Page {
    pub fn lang(&self) -> Lang {
        self.tr.lang
    }

    pub fn lang_code(&self) -> &'static str {
        self.tr.lang.code()
    }

    /// The text for a catalogue key.
    pub fn t(&self, key: &str) -> String {
        self.tr.get(key)
    }

    /// A stored reason (a route's step, what became of a send) in the page's language.
    pub fn why(&self, sentence: &str) -> String {
        super::why::say(self.tr, sentence)
    }

    /// The text for a key with one argument `$name`.
    pub fn tw(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.tr.with(key, name, value)
    }

    /// The text for a key with a number `$name` (plural forms).
    pub fn tn(&self, key: &str, name: &str, n: impl TryInto<i64>) -> String {
        self.tr.count(key, name, n.try_into().unwrap_or(i64::MAX))
    }

    /// A Unix-millisecond time as the tenant reads it: `2026-12-04 16:05`.
    pub fn time(&self, ms: &i64) -> String {
        match self.tz.timestamp_millis_opt(*ms).single() {
            Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            None => String::new(),
        }
    }

    /// Like [`Page::time`], for an optional time; empty when absent.
    pub fn time_opt(&self, ms: &Option<i64>) -> String {
        ms.as_ref().map(|m| self.time(m)).unwrap_or_default()
    }

    /// The tenant's time zone's name, for labels ("times in Asia/Tokyo").
    pub fn tz_name(&self) -> &'static str {
        self.tz.name()
    }

    pub fn csrf_field(&self) -> String {
        // The token is URL-safe base64: nothing in it needs escaping.
        format!(
            "<input type=\"hidden\" name=\"_csrf\" value=\"{}\">",
            self.csrf
        )
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `aria-describedby`/`aria-invalid` for a field: empty when it has no error.
    pub fn invalid(&self, field: &str) -> String {
        if self.error_for(field).is_some() {
            format!("aria-invalid=\"true\" aria-describedby=\"{field}-error\"")
        } else {
            String::new()
        }
    }

    /// For a field with a hint (`<p class="hint" id="x-hint">`): `aria-describedby` naming
    /// the hint and, on error, the error too, plus `aria-invalid` (an element can carry
    /// only one `aria-describedby`, so this replaces `invalid` on such fields).
    pub fn described(&self, field: &str) -> String {
        if self.error_for(field).is_some() {
            format!("aria-describedby=\"{field}-hint {field}-error\" aria-invalid=\"true\"")
        } else {
            format!("aria-describedby=\"{field}-hint\"")
        }
    }

    pub fn nav(&self) -> Vec<NavItem> {
        Section::ALL
            .iter()
            .map(|(section, href, key)| NavItem {
                href,
                label: self.t(key),
                current: *section == self.section,
            })
            .collect()
    }

    /// The other language's name, written in that language.
    pub fn other_lang_name(&self) -> &'static str {
        match self.tr.lang {
            Lang::Ja => "English",
            Lang::En => "日本語",
        }
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.tr.lang.other().code()
    }

    /// The language switch: sets the choice, then comes back here.
    pub fn switch_href(&self) -> String {
        let back = query_value(&self.here);
        format!("/lang/{}?back={back}", self.other_lang_code())
    }
}

/// A value in a URL query, percent-encoded.
pub fn query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A key as one path segment: everything but unreserved ASCII percent-encoded (keys may
/// hold `/`, spaces or Japanese).
pub fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A list page's address: `path` with those of `params` that have a value (filters, paging).
pub fn list_href(path: &str, params: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", query_value(v)))
        .collect();
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", pairs.join("&"))
    }
}

/// Renders a template as an HTML answer. Security headers are added by
/// [`super::security_headers`] for every page.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "page failed to render").into_response()
        }
    }
}

/// 303 to `to` (after a form, so that reloading does not post again).
pub fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_one_path_segment() {
        assert_eq!(path_segment("visitor.arrived"), "visitor.arrived");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("称賛"), "%E7%A7%B0%E8%B3%9B");
    }

    #[test]
    fn list_addresses_keep_only_the_parameters_with_a_value() {
        assert_eq!(list_href("/console/events", &[]), "/console/events");
        assert_eq!(
            list_href(
                "/console/members",
                &[("q", "山田 太郎"), ("group", ""), ("after", "m&1")]
            ),
            "/console/members?q=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E&after=m%261"
        );
    }
}
