//! How a self-service page is shown, carried from page to page in the query: `?embed=1`
//! (inside the product's frame: the compact layout) and `?lang=` (the language chosen with
//! the switch; a cookie set inside another site's frame may not be kept, a query is). Also
//! the `frame-ancestors` policy built from the tenant's allowed origins.

use axum::http::{header, HeaderValue};
use axum::response::Response;

use crate::pages::Lang;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct View {
    pub embed: bool,
    /// The language the switch chose (`?lang=`), kept in every link and form of the page.
    pub lang: Option<Lang>,
}

impl View {
    pub fn from_query(query: Option<&str>) -> View {
        let mut view = View::default();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "embed" => view.embed = v == "1",
                "lang" => view.lang = Lang::parse(&v),
                _ => {}
            }
        }
        view
    }

    /// `path` with this view's parameters and `extra` ones, e.g.
    /// `/me?embed=1&flash=saved`.
    pub fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if self.embed {
            q.append_pair("embed", "1");
        }
        if let Some(lang) = self.lang {
            q.append_pair("lang", lang.code());
        }
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        let q = q.finish();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }

    /// The same page in `lang`.
    pub fn switch_href(&self, path: &str, lang: Lang) -> String {
        View {
            lang: Some(lang),
            ..*self
        }
        .href(path, &[])
    }
}

/// The `Content-Security-Policy` of a self-service page: the console's, except that the
/// tenant's allowed origins may frame it (none by default).
pub fn csp(frame_origins: &[String]) -> String {
    let ancestors = if frame_origins.is_empty() {
        "'none'".to_string()
    } else {
        frame_origins.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {ancestors}"
    )
}

/// Puts the page's own policy on a response (the shared layer then leaves it alone).
pub fn with_frame_policy(mut response: Response, frame_origins: &[String]) -> Response {
    // Origins are validated when saved (scheme, host and port only), so the value is
    // always a valid header; a failure would fall back to the layer's 'none'.
    if let Ok(v) = HeaderValue::from_str(&csp(frame_origins)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_carried_in_links() {
        let v = View::from_query(Some("embed=1&lang=en&flash=x"));
        assert!(v.embed);
        assert_eq!(v.lang, Some(Lang::En));
        assert_eq!(v.href("/me", &[]), "/me?embed=1&lang=en");
        assert_eq!(
            v.href("/me", &[("flash", "saved")]),
            "/me?embed=1&lang=en&flash=saved"
        );
        assert_eq!(View::default().href("/me", &[]), "/me");
        assert_eq!(View::default().switch_href("/me", Lang::En), "/me?lang=en");
        assert_eq!(View::from_query(Some("embed=0")), View::default());
    }

    #[test]
    fn frames_are_refused_unless_origins_are_allowed() {
        assert!(csp(&[]).ends_with("frame-ancestors 'none'"));
        let allowed = csp(&[
            "https://app.example.com".into(),
            "http://127.0.0.1:3000".into(),
        ]);
        assert!(allowed.ends_with("frame-ancestors https://app.example.com http://127.0.0.1:3000"));
        assert!(allowed.contains("script-src 'self';"));
    }
}
