//! Confirmation links: `{public_url}/c/{delivery}.{expires_ms}.{signature}`.
//!
//! The signature (HMAC-SHA256, truncated to 128 bits) covers the delivery and the expiry, so
//! a link cannot be moved to another delivery or kept alive longer; the check is constant-time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SIGNATURE_BYTES: usize = 16;

#[derive(Clone)]
pub struct LinkSigner {
    key: [u8; 32],
    base_url: String,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkSigner({})", self.base_url)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not a link renkei made, or altered.
    Invalid,
    /// Genuine, but past its lifetime.
    Expired { delivery_id: i64 },
}

impl LinkSigner {
    pub fn new(key: [u8; 32], base_url: &str) -> Self {
        LinkSigner {
            key,
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(payload.as_bytes());
        mac
    }

    pub fn token(&self, delivery_id: i64, expires_at_ms: i64) -> String {
        let payload = format!("{delivery_id}.{expires_at_ms}");
        let sig = self.mac(&payload).finalize().into_bytes();
        format!(
            "{payload}.{}",
            URL_SAFE_NO_PAD.encode(&sig[..SIGNATURE_BYTES])
        )
    }

    pub fn url(&self, delivery_id: i64, expires_at_ms: i64) -> String {
        format!(
            "{}/c/{}",
            self.base_url,
            self.token(delivery_id, expires_at_ms)
        )
    }

    /// The delivery a token stands for, if it is genuine and not expired at `now_ms`.
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<i64, LinkError> {
        let mut parts = token.splitn(3, '.');
        let (Some(d), Some(e), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(LinkError::Invalid);
        };
        let (Ok(delivery_id), Ok(expires)) = (d.parse::<i64>(), e.parse::<i64>()) else {
            return Err(LinkError::Invalid);
        };
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| LinkError::Invalid)?;
        self.mac(&format!("{delivery_id}.{expires}"))
            .verify_truncated_left(&sig)
            .map_err(|_| LinkError::Invalid)?;
        if sig.len() != SIGNATURE_BYTES {
            return Err(LinkError::Invalid);
        }
        if now_ms >= expires {
            return Err(LinkError::Expired { delivery_id });
        }
        Ok(delivery_id)
    }
}

/// A member's self-service link page for one provider: `{public_url}/link/{provider}/{token}`,
/// where the token signs (purpose, tenant, member, expiry) with the same key, under a
/// different label so a confirmation token can never pass as a member link.
impl LinkSigner {
    pub fn member_token(
        &self,
        provider: &str,
        tenant: i64,
        member: i64,
        expires_ms: i64,
    ) -> String {
        let payload = format!("{tenant}.{member}.{expires_ms}");
        let sig = self
            .mac(&format!("member-link:{provider}:{payload}"))
            .finalize()
            .into_bytes();
        format!(
            "{payload}.{}",
            URL_SAFE_NO_PAD.encode(&sig[..SIGNATURE_BYTES])
        )
    }

    pub fn member_url(&self, provider: &str, tenant: i64, member: i64, expires_ms: i64) -> String {
        format!(
            "{}/link/{provider}/{}",
            self.base_url,
            self.member_token(provider, tenant, member, expires_ms)
        )
    }

    /// `(tenant, member)` of a genuine, unexpired member link token.
    pub fn verify_member(
        &self,
        provider: &str,
        token: &str,
        now_ms: i64,
    ) -> Result<(i64, i64), LinkError> {
        let parts: Vec<&str> = token.splitn(4, '.').collect();
        let [t, m, e, sig] = parts[..] else {
            return Err(LinkError::Invalid);
        };
        let (Ok(tenant), Ok(member), Ok(expires)) =
            (t.parse::<i64>(), m.parse::<i64>(), e.parse::<i64>())
        else {
            return Err(LinkError::Invalid);
        };
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| LinkError::Invalid)?;
        if sig.len() != SIGNATURE_BYTES {
            return Err(LinkError::Invalid);
        }
        self.mac(&format!(
            "member-link:{provider}:{tenant}.{member}.{expires}"
        ))
        .verify_truncated_left(&sig)
        .map_err(|_| LinkError::Invalid)?;
        if now_ms >= expires {
            return Err(LinkError::Expired { delivery_id: 0 });
        }
        Ok((tenant, member))
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_links_are_bound_to_provider_member_and_time() {
        let s = LinkSigner::new([7; 32], "https://r.example");
        let token = s.member_token("line", 3, 42, 1_000);
        assert_eq!(s.verify_member("line", &token, 999), Ok((3, 42)));
        assert!(s.verify_member("line", &token, 1_000).is_err());
        assert!(s.verify_member("slack", &token, 0).is_err());
        assert!(s
            .verify_member("line", &token.replacen("3.42", "3.43", 1), 0)
            .is_err());
        // A confirmation token is not a member token.
        assert!(s.verify_member("line", &s.token(42, 1_000), 0).is_err());
    }

    #[test]
    fn genuine_links_verify_until_they_expire() {
        let s = LinkSigner::new([7; 32], "https://renkei.example/");
        let url = s.url(42, 1_000);
        assert!(
            url.starts_with("https://renkei.example/c/42.1000."),
            "{url}"
        );
        let token = url.rsplit('/').next().unwrap();
        assert_eq!(s.verify(token, 999), Ok(42));
        assert_eq!(
            s.verify(token, 1_000),
            Err(LinkError::Expired { delivery_id: 42 })
        );
    }

    #[test]
    fn tampering_or_another_key_is_refused() {
        let s = LinkSigner::new([7; 32], "http://x");
        let token = s.token(42, 5_000);
        assert_eq!(
            s.verify(&token.replacen("42.", "43.", 1), 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            s.verify(&token.replacen(".5000.", ".9000.", 1), 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            LinkSigner::new([8; 32], "http://x").verify(&token, 0),
            Err(LinkError::Invalid)
        );
        let short = &token[..token.len() - 4];
        assert_eq!(s.verify(short, 0), Err(LinkError::Invalid));
        for junk in ["", "42", "42.5000", "a.b.c", "42.5000.!!"] {
            assert_eq!(s.verify(junk, 0), Err(LinkError::Invalid), "{junk}");
        }
    }
}
