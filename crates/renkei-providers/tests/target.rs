//! The SSRF-safe webhook client against real local servers: the resolver refuses
//! loopback unless private targets are allowed, and redirects stay on the same host.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use renkei_fakes::common::{local_any_port, serve, Running};
use renkei_providers::target::{check_before_send, webhook_http_client};
use url::Url;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A server that records `(path, body)` of every request; paths in `redirects` answer
/// 307 with that `Location`, everything else 200.
struct Server {
    running: Running,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

#[derive(Clone)]
struct St {
    seen: Arc<Mutex<Vec<(String, String)>>>,
    redirects: Arc<Vec<(&'static str, String)>>,
}

async fn handle(State(st): State<St>, uri: Uri, body: String) -> Response {
    let path = uri.path().to_string();
    st.seen.lock().push((path.clone(), body));
    match st.redirects.iter().find(|(p, _)| *p == path) {
        Some((_, to)) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, to.clone())],
        )
            .into_response(),
        None => (StatusCode::OK, "ok").into_response(),
    }
}

async fn start(redirects: Vec<(&'static str, String)>) -> Server {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let st = St {
        seen: seen.clone(),
        redirects: Arc::new(redirects),
    };
    let router = axum::Router::new().fallback(handle).with_state(st);
    let running = serve(router, local_any_port()).await.unwrap();
    Server { running, seen }
}

impl Server {
    /// The server reached through the host name `localhost`, so the resolver is used.
    fn by_name(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.running.addr.port())
    }
    fn paths(&self) -> Vec<String> {
        self.seen.lock().iter().map(|(p, _)| p.clone()).collect()
    }
}

/// The error with all its sources, as `transport_error` would read it.
fn chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        out = format!("{out}: {s}");
        src = s.source();
    }
    out
}

#[tokio::test]
async fn localhost_is_refused_by_the_resolver_and_never_reached() {
    let server = start(vec![]).await;
    let err = webhook_http_client(TIMEOUT, false)
        .post(server.by_name("/hook"))
        .body("payload")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let text = chain(&err);
    assert!(
        text.contains("localhost resolves only to private, loopback or reserved addresses"),
        "{text}"
    );
    assert!(server.paths().is_empty(), "the server must see nothing");
}

#[tokio::test]
async fn localhost_is_reached_when_private_targets_are_allowed() {
    let server = start(vec![]).await;
    let res = webhook_http_client(TIMEOUT, true)
        .post(server.by_name("/hook"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        *server.seen.lock(),
        vec![("/hook".to_string(), "payload".to_string())]
    );
}

#[tokio::test]
async fn redirect_to_another_host_is_not_followed() {
    let other = start(vec![]).await;
    let to_ip = format!("http://127.0.0.1:{}/hook", other.running.addr.port());
    let first = start(vec![("/away", to_ip)]).await;
    let res = webhook_http_client(TIMEOUT, true)
        .post(first.by_name("/away"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307, "the redirect comes back to the caller");
    assert_eq!(first.paths(), ["/away"]);
    assert!(other.paths().is_empty(), "the other host must see nothing");
}

#[tokio::test]
async fn redirect_to_another_port_of_the_same_name_is_not_followed() {
    let other = start(vec![]).await;
    let first = start(vec![("/away", other.by_name("/hook"))]).await;
    let res = webhook_http_client(TIMEOUT, true)
        .post(first.by_name("/away"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307);
    assert!(other.paths().is_empty());
}

#[tokio::test]
async fn same_host_redirect_is_followed_with_the_body() {
    let server = start(vec![("/moved", "/hook".to_string())]).await;
    let res = webhook_http_client(TIMEOUT, true)
        .post(server.by_name("/moved"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let seen = server.seen.lock().clone();
    assert_eq!(seen.len(), 2);
    // 307 keeps method and body.
    assert_eq!(seen[1], ("/hook".to_string(), "payload".to_string()));
}

#[tokio::test]
async fn redirects_stop_after_three_hops() {
    let server = start(vec![("/loop", "/loop".to_string())]).await;
    let res = webhook_http_client(TIMEOUT, true)
        .post(server.by_name("/loop"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307);
    assert_eq!(
        server.paths().len(),
        4,
        "the original request plus three redirects"
    );
}

fn before_send(raw: &str, allow_private: bool) -> Result<(), String> {
    check_before_send(&Url::parse(raw).unwrap(), allow_private)
}

#[test]
fn check_before_send_accepts_https_host_names() {
    assert_eq!(
        before_send("https://hooks.slack.com/services/T/B/SECRET", false),
        Ok(())
    );
    assert_eq!(
        before_send(
            "https://prod-01.japaneast.logic.azure.com:443/workflows/x?sig=SECRET",
            false
        ),
        Ok(())
    );
}

#[test]
fn check_before_send_refuses_what_the_resolver_cannot_see() {
    for bad in [
        "http://hooks.slack.com/services/T/B/SECRET",
        "https://127.0.0.1/SECRET",
        "https://2130706433/SECRET", // 127.0.0.1 written as a number
        "https://0x7f.1/SECRET",
        "https://[::1]/SECRET",
        "https://[::ffff:169.254.169.254]/SECRET",
        "https://8.8.8.8/SECRET", // any IP literal: the provider's host name is required
        "https://localhost/SECRET",
        "https://LOCALHOST./SECRET",
        "https://app.localhost/SECRET",
        "https://user:SECRET@hooks.slack.com/x",
        "ftp://hooks.slack.com/SECRET",
    ] {
        let err = before_send(bad, false).unwrap_err();
        assert!(
            !err.contains("SECRET") && !err.contains("://"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn check_before_send_allows_only_loopback_when_private_targets_are_allowed() {
    for ok in [
        "http://127.0.0.1:9000/hook",
        "http://localhost:9000/hook",
        "http://[::1]:9000/hook",
    ] {
        assert_eq!(before_send(ok, true), Ok(()), "{ok}");
        assert!(before_send(ok, false).is_err(), "{ok}");
    }
    for bad in [
        "http://10.0.0.1/hook",
        "http://example.com/hook",
        "https://192.168.1.1/hook",
    ] {
        assert!(before_send(bad, true).is_err(), "{bad}");
    }
}
