//! A minimal browser for page tests over HTTP: keeps the session cookie, sends forms with
//! the page's CSRF token, never follows redirects (tests look at them).

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> Option<String> {
        let at = self.html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
        let rest = &self.html[at..];
        Some(rest[..rest.find('"')?].to_string())
    }

    /// Fails the test with the page's text when `needle` is not on it.
    #[track_caller]
    pub fn assert_has(&self, needle: &str) {
        assert!(
            self.html.contains(needle),
            "the page ({}) does not say {needle:?}:\n{}",
            self.status,
            self.html
        );
    }
}

pub struct Browser {
    base: String,
    http: reqwest::Client,
    /// `name=value` of the cookies set so far.
    cookies: Vec<(String, String)>,
    pub accept_language: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.node().url(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: vec![],
            accept_language: "ja".to_string(),
        }
    }

    /// A browser signed in to the console of `app`'s tenant (through a minted link).
    pub async fn signed_in(app: &TestApp) -> Browser {
        let mut browser = Browser::new(app);
        let url = console_link(app, &app.key).await;
        let page = browser.open(&url).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
        assert_eq!(page.location(), Some("/console"));
        browser
    }

    /// The cookies this browser holds, as a `Cookie:` header value.
    pub fn cookie_header_for_tests(&self) -> String {
        self.cookie_header()
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for set in headers.get_all(SET_COOKIE) {
            let Ok(set) = set.to_str() else { continue };
            let pair = set.split(';').next().unwrap_or("");
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(n, _)| n != name);
            let removed = set.contains("Max-Age=0") || set.contains("1970");
            if !removed {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        let html = response.text().await.unwrap();
        Page {
            status,
            headers,
            html,
        }
    }

    /// GET a page.
    pub async fn open(&mut self, path_or_url: &str) -> Page {
        let response = self
            .http
            .get(self.absolute(path_or_url))
            .header(COOKIE, self.cookie_header())
            .header("accept-language", &self.accept_language)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// POST a form as the browser would, with the CSRF token of the page at `form_page`.
    pub async fn submit(&mut self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.open(form_page).await;
        let csrf = page
            .csrf()
            .unwrap_or_else(|| panic!("no form on {form_page}: {}", page.html));
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    /// POST exactly these fields (no CSRF token added), same-origin like a real form.
    pub async fn post_raw(&mut self, action: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(self.absolute(action))
            .header(COOKIE, self.cookie_header())
            .header("accept-language", &self.accept_language)
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }
}

/// Mints a console link with the tenant's API key.
pub async fn console_link(app: &TestApp, key: &str) -> String {
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/console-links",
            Some(json!({})),
            key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["url"].as_str().unwrap().to_string()
}
