//! The v2.1 client assertion: an RS256 JWT signed with the private half of an "assertion
//! signing key" whose public half is registered on the channel (LINE Developers Console →
//! Basic settings), naming that registration by its `kid`.
//!
//! LINE's guide has people generate the pair as JWKs, so the private key is accepted as a
//! JWK (`{"kty":"RSA","n":..,"d":..,"p":..}`) or as PEM (PKCS#1 or PKCS#8).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// `aud` of every assertion.
pub const ASSERTION_AUDIENCE: &str = "https://api.line.me/";
/// How long an assertion is valid (LINE allows at most 30 minutes; it is used at once).
pub const ASSERTION_LIFETIME_SECS: i64 = 10 * 60;
/// Lifetime asked for the issued token (`token_exp`; LINE allows up to 30 days). A day
/// keeps a leaked token short-lived while issuing only about one token a day per channel.
pub const TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// Reads a pasted private key. The error says what is wrong, never the key.
pub fn signing_key(text: &str) -> Result<EncodingKey, String> {
    // A PEM pasted through a JSON field often arrives with literal `\n`.
    let text = text.trim().replace("\\n", "\n");
    if text.starts_with('{') {
        return jwk_private_der(&text).map(|der| EncodingKey::from_rsa_der(&der));
    }
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        return EncodingKey::from_rsa_pem(text.as_bytes())
            .map_err(|_| "the PEM private key could not be read as an RSA key".to_string());
    }
    Err("the private key must be the JWK LINE's guide generates ({\"kty\":\"RSA\",\"d\":…}) or a PEM RSA private key".into())
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    token_exp: i64,
}

/// A signed assertion for `channel_id` (as `iss` and `sub`).
pub fn assertion(
    channel_id: &str,
    kid: &str,
    key: &EncodingKey,
    now: i64,
) -> Result<String, String> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    let claims = Claims {
        iss: channel_id,
        sub: channel_id,
        aud: ASSERTION_AUDIENCE,
        exp: now + ASSERTION_LIFETIME_SECS,
        token_exp: TOKEN_LIFETIME_SECS,
    };
    jsonwebtoken::encode(&header, &claims, key)
        .map_err(|_| "the private key could not sign (is it a complete RSA private key of at least 2048 bits?)".to_string())
}

#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    #[serde(default)]
    alg: Option<String>,
    n: String,
    e: String,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    dp: Option<String>,
    dq: Option<String>,
    qi: Option<String>,
}

/// A private RSA JWK as PKCS#1 `RSAPrivateKey` DER (what the signer reads).
fn jwk_private_der(text: &str) -> Result<Vec<u8>, String> {
    let jwk: RsaJwk = serde_json::from_str(text)
        .map_err(|_| "the private key looks like JSON but is not an RSA JWK".to_string())?;
    if jwk.kty != "RSA" || jwk.alg.as_deref().is_some_and(|a| a != "RS256") {
        return Err(
            "the JWK must be an RSA key for RS256 (\"kty\":\"RSA\", \"alg\":\"RS256\")".into(),
        );
    }
    let Some(d) = jwk.d.as_deref() else {
        return Err("this JWK is the public key (it has no \"d\"): paste the private key; the public one is what you register in LINE Developers Console".into());
    };
    let missing = "the private JWK must have all of n, e, d, p, q, dp, dq, qi";
    let parts = [
        Some(jwk.n.as_str()),
        Some(jwk.e.as_str()),
        Some(d),
        jwk.p.as_deref(),
        jwk.q.as_deref(),
        jwk.dp.as_deref(),
        jwk.dq.as_deref(),
        jwk.qi.as_deref(),
    ];
    let mut body = Vec::new();
    der_uint(&[0], &mut body); // version: two-prime
    for part in parts {
        let bytes = URL_SAFE_NO_PAD
            .decode(part.ok_or(missing)?.trim_end_matches('='))
            .map_err(|_| "a JWK field is not base64url".to_string())?;
        der_uint(&bytes, &mut body);
    }
    let mut der = vec![0x30];
    der_len(body.len(), &mut der);
    der.extend(body);
    Ok(der)
}

fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend(&bytes[skip..]);
}

/// A DER INTEGER holding the unsigned big-endian `value`.
fn der_uint(value: &[u8], out: &mut Vec<u8>) {
    let skip = value.iter().take_while(|b| **b == 0).count();
    let mut v = value[skip..].to_vec();
    if v.first().is_none_or(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    out.push(0x02);
    der_len(v.len(), out);
    out.extend(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_integers_are_minimal_and_unsigned() {
        let mut out = Vec::new();
        der_uint(&[0, 0, 0x7f], &mut out);
        assert_eq!(out, [0x02, 0x01, 0x7f]);
        out.clear();
        der_uint(&[0x80], &mut out);
        assert_eq!(out, [0x02, 0x02, 0x00, 0x80]);
        out.clear();
        der_uint(&[], &mut out);
        assert_eq!(out, [0x02, 0x01, 0x00]);
        let mut len = Vec::new();
        der_len(300, &mut len);
        assert_eq!(len, [0x82, 0x01, 0x2c]);
    }

    #[test]
    fn wrong_keys_are_explained() {
        let public = r#"{"kty":"RSA","alg":"RS256","n":"AQAB","e":"AQAB"}"#;
        let error = |text: &str| signing_key(text).err().unwrap_or_default();
        assert!(error(public).contains("public key"));
        assert!(error(r#"{"kty":"EC"}"#).contains("RSA"));
        assert!(error("not a key").contains("JWK"));
    }
}
