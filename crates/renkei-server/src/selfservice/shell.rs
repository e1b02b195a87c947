//! The frame of a self-service page (`templates/self_service/base.html`): no console
//! navigation, a small header with the person's name and the language switch, the compact
//! layout inside the product's frame, and what `console.js` needs to tell the product that
//! something was saved.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::session::SelfService;
use crate::console::page::{render, see_other, Page, Section};

/// Sections a save can be reported for (`renkei:saved` message to the framing product).
const SAVED_SECTIONS: [&str; 8] = [
    "chatwork",
    "slack",
    "teams",
    "google_chat",
    "line_works",
    "line",
    "preferences",
    "client",
];

/// What `self_service/base.html` reads besides `page`.
pub struct Shell {
    /// The office's name (the tenant), shown above the person's.
    pub tenant_name: String,
    /// Whose page this is: the member's or the client's name.
    pub person: String,
    pub embed: bool,
    pub switch_href: String,
    /// The section just saved, for the message to the framing page.
    pub saved: Option<&'static str>,
    /// The origins allowed to frame the page, space-separated (`data-frame-origins`).
    pub frame_origins: String,
}

impl SelfService {
    /// The page and shell for a page at `path` (without query) titled by `title_key`.
    pub fn frame(&self, path: &str, title_key: &str, person: &str) -> (Page, Shell) {
        let here = self.view.href(path, &[]);
        let page = Page {
            tr: self.tr,
            section: Section::None,
            title: self.tr.get(title_key),
            tenant_name: self.tenant.name.clone(),
            csrf: self.session.csrf.clone(),
            here,
            flash: self.flash.clone(),
            errors: vec![],
            tz: self.tz,
            chrome: false,
        };
        let shell = Shell {
            tenant_name: self.tenant.name.clone(),
            person: person.to_string(),
            embed: self.view.embed,
            switch_href: self.view.switch_href(path, self.tr.lang.other()),
            saved: None,
            frame_origins: self.frame_origins.join(" "),
        };
        (page, shell)
    }

    /// Marks the section named by `?saved=` (after a redirect) for the framing product.
    pub fn saved_from_query(&self, shell: &mut Shell, query: Option<&str>) {
        let saved = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(k, _)| k == "saved")
            .map(|(_, v)| v.into_owned());
        shell.saved = saved.and_then(|s| SAVED_SECTIONS.iter().copied().find(|k| *k == s));
    }

    /// Renders with this tenant's frame policy.
    pub fn render(&self, status: StatusCode, template: &impl Template) -> Response {
        super::view::with_frame_policy(render(status, template), &self.frame_origins)
    }

    /// 303 back to `path` after a save: with the flash, the section saved, and this view.
    pub fn saved_redirect(&self, path: &str, flash: &str, section: &str, anchor: &str) -> Response {
        let to = self
            .view
            .href(path, &[("flash", flash), ("saved", section)]);
        see_other(&format!("{to}{anchor}"))
    }

    /// 303 back to `path` with extra parameters (no save to report).
    pub fn redirect(&self, path: &str, extra: &[(&str, &str)], anchor: &str) -> Response {
        see_other(&format!("{}{anchor}", self.view.href(path, extra)))
    }
}
