//! Talking HTTP to providers: the shared client, reading a whole answer, and the pieces of
//! an answer every provider reads the same way (`Retry-After`, error text without secrets).

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::{SendOutcome, SendResult};

/// One HTTP client for all providers: rustls, bounded time per request, no redirects to
/// elsewhere (provider APIs never redirect a POST).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .user_agent(concat!("renkei/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client")
}

/// A transport error's text without its URL: webhook URLs carry their secret.
pub(crate) fn transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut msg = kind.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    // Some sources repeat the URL (with its query); cut anything that looks like one.
    match msg.find("http") {
        Some(i) => format!("{}<url>", &msg[..i]),
        None => msg,
    }
}

/// A provider's answer, read in full.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// Sends a request and reads the whole answer. A request that got no answer is a
/// [`SendOutcome::Retry`]: a timeout may have reached the provider (and counts against its
/// limits), a refused connection did not.
pub(crate) async fn exchange(req: reqwest::RequestBuilder) -> Result<Answer, SendResult> {
    let resp = req.send().await.map_err(|e| SendResult {
        outcome: SendOutcome::Retry { after: None },
        http_status: None,
        error: Some(transport_error(&e)),
        rate: None,
        reached_provider: !e.is_connect(),
    })?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.map_err(|e| SendResult {
        outcome: SendOutcome::Retry { after: None },
        http_status: Some(status),
        error: Some(transport_error(&e)),
        rate: None,
        reached_provider: true,
    })?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Cuts a provider's error text to 300 characters with URLs and `sig`/`key`/`token`
/// values removed: some error messages repeat the request URL, which carries the secret.
pub fn scrub(text: &str) -> String {
    let words: Vec<String> = text
        .split(' ')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            if lower.contains("http://") || lower.contains("https://") {
                "<url>".to_string()
            } else if ["sig=", "key=", "token="].iter().any(|k| lower.contains(k)) {
                "<secret>".to_string()
            } else {
                word.to_string()
            }
        })
        .collect();
    words.join(" ").trim().chars().take(300).collect()
}

/// `Retry-After` as seconds or an HTTP date; `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(u64::try_from(wait).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "12".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(12)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a past date means now"
        );
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
