//! Small bilingual (ja/en) HTML pages for people who arrive in a browser: confirmation
//! links, OAuth and LINE Login results, member link pages. The web UI will restyle them.

pub mod lang;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

pub use lang::Lang;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page with a Japanese and an English part. The texts are plain text (escaped here).
pub fn page(status: StatusCode, ja_title: &str, ja: &str, en_title: &str, en: &str) -> Response {
    page_html(status, ja_title, &esc(ja), en_title, &esc(en), "")
}

/// Like [`page`], but the bodies are trusted HTML, plus `extra` HTML after both parts.
pub fn page_html(
    status: StatusCode,
    ja_title: &str,
    ja_html: &str,
    en_title: &str,
    en_html: &str,
    extra: &str,
) -> Response {
    let (ja_title, en_title) = (esc(ja_title), esc(en_title));
    let html = format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{ja_title} / {en_title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222;overflow-wrap:anywhere}}\
         h1{{font-size:1.4rem}}p{{line-height:1.6}}.en{{color:#555}}a.button{{display:inline-block;padding:.6rem 1.2rem;\
         background:#06c755;color:#fff;border-radius:.4rem;text-decoration:none}}svg{{max-width:12rem}}</style></head>\
         <body><h1>{ja_title}</h1><p>{ja_html}</p><h1 class=\"en\" lang=\"en\">{en_title}</h1><p class=\"en\" lang=\"en\">{en_html}</p>{extra}</body></html>"
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// A page in one language, with a link to the other. `body_html` is trusted HTML. The page
/// loads nothing, runs no script, cannot be framed and sends no `Referer` onwards (its own
/// URL may be a signed link).
pub fn lang_page(lang: Lang, status: StatusCode, title: &str, body_html: &str) -> Response {
    let other = lang.other();
    let switch = match other {
        Lang::Ja => "日本語",
        Lang::En => "English",
    };
    // `overflow-wrap:anywhere`: a long URL in a notice wraps instead of widening a phone's page.
    let html = format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222;overflow-wrap:anywhere}}\
         h1{{font-size:1.4rem}}p{{line-height:1.6}}.notice{{border:1px solid #ddd;border-radius:.4rem;padding:0 1rem;margin:1rem 0}}\
         .notice h2{{font-size:1.1rem}}.muted{{color:#666;font-size:.9rem}}button{{font-size:1rem;padding:.6rem 1.4rem;border:0;\
         border-radius:.4rem;background:#047a35;color:#fff;cursor:pointer}}nav{{text-align:right;font-size:.9rem}}</style></head>\
         <body><nav><a href=\"?lang={other_code}\" lang=\"{other_code}\">{switch}</a></nav><h1>{title}</h1>{body_html}</body></html>",
        code = lang.code(),
        other_code = other.code(),
        title = esc(title),
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::CONTENT_LANGUAGE, lang.code()),
        ],
        Html(html),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            super::esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
