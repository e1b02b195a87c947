//! Inbound webhook signatures (Chatwork, Slack, LINE WORKS, LINE) and parsers for what
//! the receivers read from those webhooks.
//!
//! Every check works on the raw request body exactly as received: re-serialising parsed
//! JSON changes whitespace, key order and escapes, and the signature no longer matches.
//! The signature sent is decoded first and then compared with the expected HMAC through
//! [`hmac::Mac::verify_slice`], which compares in constant time (a tag of another length
//! is refused without looking at its bytes; the length is not secret).
//!
//! Receivers answer every [`SignatureError`] with [`SignatureError::http_status`] and
//! log only its [`code`](SignatureError::code): no message here contains a secret or a
//! signature.

mod events;

pub use events::{chatwork, line, line_works, slack, EventError};

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Slack refuses requests whose timestamp is more than this many seconds from now.
pub const SLACK_MAX_SKEW_SECS: i64 = 5 * 60;

/// Longest signature header looked at; anything longer is not one of ours.
const MAX_SIGNATURE_LEN: usize = 512;

/// Standard Base64 that accepts a missing `=` padding, so a proxy trimming it does not
/// turn a valid signature into a refused one (padding carries no information).
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why an inbound webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The named header (or parameter) is absent or empty.
    MissingSignature(&'static str),
    /// The named value is present but cannot be a signature (wrong encoding or prefix).
    MalformedSignature(&'static str),
    /// Well formed, but not the HMAC of this body with this secret.
    BadSignature,
    /// Slack: the request timestamp is more than 5 minutes from now (a replay or a clock
    /// problem); `skew_secs` is `timestamp - now`.
    StaleTimestamp { skew_secs: i64 },
    /// The stored secret cannot be used (empty, or Chatwork's token is not Base64). Our
    /// configuration is wrong, not the caller.
    BadSecret(&'static str),
}

impl SignatureError {
    /// The machine code, safe to log and return.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::MissingSignature(_) => "missing_signature",
            SignatureError::MalformedSignature(_) => "malformed_signature",
            SignatureError::BadSignature => "bad_signature",
            SignatureError::StaleTimestamp { .. } => "stale_timestamp",
            SignatureError::BadSecret(_) => "bad_secret",
        }
    }

    /// A human explanation; never contains a secret or the signature.
    pub fn message(&self) -> String {
        match self {
            SignatureError::MissingSignature(what) => format!("{what} is missing"),
            SignatureError::MalformedSignature(what) => format!("{what} is not a valid signature"),
            SignatureError::BadSignature => {
                "the signature does not match the request body and the configured secret".into()
            }
            SignatureError::StaleTimestamp { skew_secs } => format!(
                "the request timestamp is {} s {} now (at most {SLACK_MAX_SKEW_SECS} s allowed)",
                skew_secs.unsigned_abs(),
                if *skew_secs < 0 { "before" } else { "after" }
            ),
            SignatureError::BadSecret(what) => format!("the configured {what} cannot be used"),
        }
    }

    /// 500 when our own secret is unusable, 401 for everything the caller sent wrong.
    pub fn http_status(&self) -> u16 {
        match self {
            SignatureError::BadSecret(_) => 500,
            _ => 401,
        }
    }
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for SignatureError {}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = mac(key);
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// Constant-time check of `tag` against HMAC-SHA256(`key`, `parts`).
fn verify_tag(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> Result<(), SignatureError> {
    let mut m = mac(key);
    for p in parts {
        m.update(p);
    }
    m.verify_slice(tag)
        .map_err(|_| SignatureError::BadSignature)
}

/// The header value, trimmed, or `missing_signature` naming `what`.
fn present<'a>(value: Option<&'a str>, what: &'static str) -> Result<&'a str, SignatureError> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(SignatureError::MissingSignature(what)),
    }
}

fn decode_b64_signature(value: &str, what: &'static str) -> Result<Vec<u8>, SignatureError> {
    if value.len() > MAX_SIGNATURE_LEN {
        return Err(SignatureError::MalformedSignature(what));
    }
    LENIENT_B64
        .decode(value)
        .map_err(|_| SignatureError::MalformedSignature(what))
}

fn usable_secret<'a>(secret: &'a str, what: &'static str) -> Result<&'a [u8], SignatureError> {
    if secret.trim().is_empty() {
        return Err(SignatureError::BadSecret(what));
    }
    Ok(secret.as_bytes())
}

/// Chatwork's HMAC key: the webhook token, Base64-decoded.
fn chatwork_key(webhook_token_b64: &str) -> Result<Vec<u8>, SignatureError> {
    const WHAT: &str = "Chatwork webhook token";
    let key = LENIENT_B64
        .decode(webhook_token_b64.trim())
        .map_err(|_| SignatureError::BadSecret(WHAT))?;
    if key.is_empty() {
        return Err(SignatureError::BadSecret(WHAT));
    }
    Ok(key)
}

/// Chatwork: `X-ChatWorkWebhookSignature` (or the `chatwork_webhook_signature` query
/// parameter) = Base64(HMAC-SHA256(key = Base64-decode(webhook token), raw body)).
///
/// The header wins when both are present. A query value arrives form-decoded, where an
/// unescaped `+` of the Base64 became a space; spaces are turned back into `+`.
pub fn verify_chatwork(
    webhook_token_b64: &str,
    body: &[u8],
    header_signature: Option<&str>,
    query_signature: Option<&str>,
) -> Result<(), SignatureError> {
    let key = chatwork_key(webhook_token_b64)?;
    let header = header_signature.map(str::trim).filter(|v| !v.is_empty());
    let sig = match header {
        Some(h) => decode_b64_signature(h, "X-ChatWorkWebhookSignature")?,
        None => {
            // Spaces back to `+` before trimming: a signature that starts or ends with `+`
            // arrives with a space there, which trimming would drop.
            let restored = query_signature.map(|q| q.replace(' ', "+"));
            let q = present(
                restored.as_deref(),
                "X-ChatWorkWebhookSignature (or chatwork_webhook_signature)",
            )?;
            decode_b64_signature(q, "chatwork_webhook_signature")?
        }
    };
    verify_tag(&key, &[body], &sig)
}

/// The value Chatwork puts in `X-ChatWorkWebhookSignature` for `body`.
pub fn sign_chatwork(webhook_token_b64: &str, body: &[u8]) -> Result<String, SignatureError> {
    let key = chatwork_key(webhook_token_b64)?;
    Ok(STANDARD.encode(hmac_sha256(&key, &[body])))
}

/// Slack: `X-Slack-Signature: v0=hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" +
/// raw body))`, with `X-Slack-Request-Timestamp` at most 5 minutes from `now_unix` in
/// either direction. The timestamp is signed as the header text, not re-formatted.
pub fn verify_slack(
    signing_secret: &str,
    body: &[u8],
    timestamp_header: Option<&str>,
    signature_header: Option<&str>,
    now_unix: i64,
) -> Result<(), SignatureError> {
    let secret = usable_secret(signing_secret, "Slack signing secret")?;
    let ts_text = present(timestamp_header, "X-Slack-Request-Timestamp")?;
    let sig_text = present(signature_header, "X-Slack-Signature")?;
    let ts: i64 = ts_text
        .parse()
        .map_err(|_| SignatureError::MalformedSignature("X-Slack-Request-Timestamp"))?;
    // Checked before the HMAC so a replayed, validly signed request is still refused.
    let skew_secs = ts.saturating_sub(now_unix);
    if skew_secs.unsigned_abs() > SLACK_MAX_SKEW_SECS.unsigned_abs() {
        return Err(SignatureError::StaleTimestamp { skew_secs });
    }
    let hex_sig = sig_text
        .strip_prefix("v0=")
        .filter(|h| h.len() <= MAX_SIGNATURE_LEN)
        .ok_or(SignatureError::MalformedSignature("X-Slack-Signature"))?;
    let tag = hex::decode(hex_sig)
        .map_err(|_| SignatureError::MalformedSignature("X-Slack-Signature"))?;
    verify_tag(secret, &[b"v0:", ts_text.as_bytes(), b":", body], &tag)
}

/// The value Slack puts in `X-Slack-Signature` for `body` sent at `timestamp`.
pub fn sign_slack(signing_secret: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let tag = hmac_sha256(
        signing_secret.as_bytes(),
        &[b"v0:", ts.as_bytes(), b":", body],
    );
    format!("v0={}", hex::encode(tag))
}

/// LINE WORKS callback: `X-WORKS-Signature` = Base64(HMAC-SHA256(bot secret, raw body)).
pub fn verify_line_works(
    bot_secret: &str,
    body: &[u8],
    header_signature: Option<&str>,
) -> Result<(), SignatureError> {
    let secret = usable_secret(bot_secret, "LINE WORKS bot secret")?;
    let value = present(header_signature, "X-WORKS-Signature")?;
    let tag = decode_b64_signature(value, "X-WORKS-Signature")?;
    verify_tag(secret, &[body], &tag)
}

/// The value LINE WORKS puts in `X-WORKS-Signature` for `body`.
pub fn sign_line_works(bot_secret: &str, body: &[u8]) -> String {
    STANDARD.encode(hmac_sha256(bot_secret.as_bytes(), &[body]))
}

/// LINE webhook: `X-Line-Signature` = Base64(HMAC-SHA256(channel secret, raw body)).
pub fn verify_line(
    channel_secret: &str,
    body: &[u8],
    header_signature: Option<&str>,
) -> Result<(), SignatureError> {
    let secret = usable_secret(channel_secret, "LINE channel secret")?;
    let value = present(header_signature, "X-Line-Signature")?;
    let tag = decode_b64_signature(value, "X-Line-Signature")?;
    verify_tag(secret, &[body], &tag)
}

/// The value LINE puts in `X-Line-Signature` for `body`.
pub fn sign_line(channel_secret: &str, body: &[u8]) -> String {
    STANDARD.encode(hmac_sha256(channel_secret.as_bytes(), &[body]))
}
