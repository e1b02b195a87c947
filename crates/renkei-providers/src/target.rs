//! Pasted webhook URLs (Slack, Teams, Google Chat) must point at that provider, never at
//! an address inside the network renkei runs in (SSRF). Three layers:
//!
//! 1. [`check_webhook_url`] when a URL is pasted: `https`, one of the provider's hosts, no
//!    IP literal, no user info.
//! 2. [`check_before_send`] before every send, so a stored URL (older rules, a database
//!    edit) is re-validated: scheme, IP literals, `localhost`. reqwest connects to an IP
//!    literal without asking the resolver, so this is the only guard for those.
//! 3. [`webhook_http_client`]: its resolver drops every forbidden address a host name
//!    resolves to, on every new connection, so a provider name that resolves (or is
//!    re-pointed, DNS rebinding) to a private address is never connected to; and it
//!    follows at most [`MAX_WEBHOOK_REDIRECTS`] redirects, only to the same host and port
//!    over `https`. Providers' webhook endpoints do not redirect; Power Automate URLs may
//!    (within their own host). Any other redirect is not followed: the 3xx response is
//!    returned to the provider, which treats it as an unexpected status.
//!
//! The webhook client ignores `HTTP(S)_PROXY`: a proxy would resolve the name itself and
//! bypass the resolver check (and a proxy on a private address would itself be refused).
//!
//! `allow_private` is `RENKEI_ALLOW_PRIVATE_TARGETS` (tests and local demos only): loopback
//! URLs over `http` pass, and the resolver keeps private addresses.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use url::{Host, Url};

use crate::ConnectError;

/// Redirects a webhook send follows at most (same host, `https`).
pub const MAX_WEBHOOK_REDIRECTS: usize = 3;

/// A host a provider's webhooks live on: an exact name or every subdomain of a suffix.
#[derive(Debug, Clone, Copy)]
pub enum HostRule {
    Exact(&'static str),
    /// `*.logic.azure.com` is `Suffix("logic.azure.com")` (the suffix itself does not match).
    Suffix(&'static str),
}

impl HostRule {
    fn matches(self, host: &str) -> bool {
        match self {
            HostRule::Exact(h) => host == h,
            HostRule::Suffix(s) => host
                .strip_suffix(s)
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        }
    }
}

/// Checks a pasted webhook URL: `https` on one of `hosts`, no user info, no explicit
/// IP address. With `allow_private` (tests only) `http://` loopback URLs pass too.
pub fn check_webhook_url(
    raw: &str,
    hosts: &[HostRule],
    allow_private: bool,
    provider_help: &str,
) -> Result<Url, ConnectError> {
    let bad = |why: &str| {
        ConnectError::invalid(
            "invalid_webhook_url",
            format!("this webhook URL cannot be used: {why}. {provider_help}"),
        )
    };
    let url = Url::parse(raw.trim()).map_err(|_| bad("it is not a URL"))?;
    let host = url
        .host_str()
        .ok_or_else(|| bad("it has no host"))?
        .to_ascii_lowercase();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it carries a user name or password"));
    }
    if allow_private && is_loopback_host(&host) {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(bad("it must start with https://"));
    }
    if host.parse::<IpAddr>().is_ok() || host.starts_with('[') {
        return Err(bad("it names an IP address instead of the provider's host"));
    }
    if !hosts.iter().any(|r| r.matches(&host)) {
        return Err(bad(&format!("{host} is not one of this provider's hosts")));
    }
    Ok(url)
}

fn is_loopback_host(host: &str) -> bool {
    is_localhost_name(host)
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `localhost`, `localhost.` and names under it (RFC 6761: they resolve to loopback).
fn is_localhost_name(host: &str) -> bool {
    let h = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

/// Addresses a tenant-supplied URL must never reach: loopback, private, link-local
/// (cloud metadata), unique-local, unspecified, broadcast, documentation, benchmarking,
/// IETF-reserved and CGNAT ranges, and IPv6 forms that embed such an IPv4 address
/// (mapped, compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`).
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15
                || o[0] >= 224 // multicast and reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden_ip(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            let o = v6.octets();
            let embedded = |a: usize| IpAddr::from([o[a], o[a + 1], o[a + 2], o[a + 3]]);
            let compatible = seg[..6] == [0; 6];
            let nat64 = seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            if (compatible || nat64) && is_forbidden_ip(embedded(12)) {
                return true;
            }
            if seg[0] == 0x2002 && is_forbidden_ip(embedded(2)) {
                return true;
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link local
                || (seg[0] & 0xffc0) == 0xfec0 // site local (deprecated)
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        }
    }
}

/// Re-checks a stored webhook URL right before a send: `https` (or, with
/// `allow_private`, a loopback URL over `http`), no user info, no IP literal, not
/// `localhost`. The error never contains the URL (its path or query is the secret).
pub fn check_before_send(url: &Url, allow_private: bool) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the webhook URL carries a user name or password".into());
    }
    let host = url
        .host()
        .ok_or_else(|| "the webhook URL has no host".to_string())?;
    let loopback = match host {
        Host::Domain(d) => is_localhost_name(d),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    };
    if allow_private && loopback && matches!(url.scheme(), "http" | "https") {
        return Ok(());
    }
    if url.scheme() != "https" {
        return Err("the webhook URL must use https".into());
    }
    match host {
        Host::Ipv4(_) | Host::Ipv6(_) => {
            Err("the webhook URL names an IP address instead of the provider's host".into())
        }
        Host::Domain(_) if loopback => Err("the webhook URL points at this machine".into()),
        Host::Domain(_) => Ok(()),
    }
}

/// The HTTP client for sends to pasted webhook URLs: [`crate::http_client`]'s settings
/// plus the resolver and redirect rules described in the module doc.
pub fn webhook_http_client(timeout: Duration, allow_private: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .dns_resolver(Arc::new(PublicOnlyResolver { allow_private }))
        .redirect(same_host_redirects(allow_private))
        .referer(false)
        .no_proxy()
        .pool_max_idle_per_host(64)
        .user_agent(concat!("renkei/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client")
}

/// Follows a redirect only to the first URL's host and port, over `https` (or the same
/// scheme when `allow_private`), and at most [`MAX_WEBHOOK_REDIRECTS`] times.
fn same_host_redirects(allow_private: bool) -> Policy {
    Policy::custom(move |attempt| {
        // `previous` starts with the original URL, so its length is the hop count so far.
        let Some(first) = attempt.previous().first() else {
            return attempt.stop();
        };
        let next = attempt.url();
        let same_origin = next.host() == first.host()
            && next.port_or_known_default() == first.port_or_known_default();
        let scheme_ok =
            next.scheme() == "https" || (allow_private && next.scheme() == first.scheme());
        let follow = attempt.previous().len() <= MAX_WEBHOOK_REDIRECTS
            && same_origin
            && scheme_ok
            && check_before_send(next, allow_private).is_ok();
        if follow {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// A resolver that never hands out a forbidden address (unless `allow_private`).
#[derive(Debug, Clone, Copy)]
struct PublicOnlyResolver {
    allow_private: bool,
}

/// Why the resolver gave no address. Its text reaches `SendResult::error` through
/// `transport_error`: it names the host, never the URL.
#[derive(Debug)]
struct TargetRefused(String);

impl std::fmt::Display for TargetRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TargetRefused {}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port in afterwards.
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| TargetRefused(format!("could not resolve {host}: {e}")))?
                .collect();
            let kept = keep_allowed(found, allow_private);
            if kept.is_empty() {
                return Err(TargetRefused(format!(
                    "{host} resolves only to private, loopback or reserved addresses; \
                     renkei does not send into its own network"
                ))
                .into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

fn keep_allowed(addrs: Vec<SocketAddr>, allow_private: bool) -> Vec<SocketAddr> {
    if allow_private {
        return addrs;
    }
    addrs
        .into_iter()
        .filter(|a| !is_forbidden_ip(a.ip()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &[HostRule] = &[HostRule::Exact("hooks.slack.com")];
    const TEAMS: &[HostRule] = &[HostRule::Suffix("logic.azure.com")];

    #[test]
    fn provider_hosts_pass_and_others_fail() {
        assert!(
            check_webhook_url("https://hooks.slack.com/services/T/B/X", SLACK, false, "").is_ok()
        );
        assert!(check_webhook_url(
            "https://prod-01.japaneast.logic.azure.com:443/workflows/x",
            TEAMS,
            false,
            ""
        )
        .is_ok());
        for bad in [
            "http://hooks.slack.com/services/T/B/X",
            "https://hooks.slack.com.evil.com/x",
            "https://evilhooks.slack.com/x",
            "https://user:pw@hooks.slack.com/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "http://127.0.0.1:9/x",
            "not a url",
        ] {
            let e = check_webhook_url(bad, SLACK, false, "").unwrap_err();
            assert_eq!(e.code, "invalid_webhook_url", "{bad}");
        }
        assert!(check_webhook_url("https://logic.azure.com/x", TEAMS, false, "").is_err());
    }

    #[test]
    fn loopback_only_when_allowed() {
        assert!(check_webhook_url("http://127.0.0.1:9000/hook", SLACK, true, "").is_ok());
        assert!(check_webhook_url("http://localhost:9000/hook", SLACK, true, "").is_ok());
        assert!(check_webhook_url("http://10.0.0.1/hook", SLACK, true, "").is_err());
    }

    #[test]
    fn private_ranges_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "198.18.0.1",
            "192.0.0.170",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:a00:1::",
            "2001:db8::1",
            "fec0::1",
        ] {
            assert!(is_forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "52.1.2.3",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert!(!is_forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn resolver_filter_keeps_only_public_addresses() {
        let addrs: Vec<SocketAddr> = ["127.0.0.1:0", "[::1]:0", "10.0.0.7:0", "8.8.8.8:0"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let kept = keep_allowed(addrs.clone(), false);
        assert_eq!(kept, vec!["8.8.8.8:0".parse::<SocketAddr>().unwrap()]);
        assert_eq!(keep_allowed(addrs.clone(), true), addrs);
    }
}
